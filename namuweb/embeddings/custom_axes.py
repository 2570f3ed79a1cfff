"""Custom axes: a map whose x and y mean what a visitor chose, as the Embedding Projector's custom projections.

A PCA or t-SNE map places words by whatever varies most, and its axes mean nothing one can name. Here each
axis is a contrast a person names with words: from 남자 to 여자, from 과거 to 현재. Its direction is the mean
of the "to" words' unit vectors less the mean of the "from" words' (a set of words on a side averages out what
one word carries by accident), made unit length; a word's position on the axis is its unit vector's dot
product with that direction, as the Projector computes it. Two axes give every word a place in a plane
whose sides are labelled, and the cosine between the two directions says how far the picture is one contrast
drawn twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from namuweb.embeddings.vectors import Embeddings, UnknownWord, split_tag
from namuweb.morphemes.tag_display import is_content, map_group, map_group_label

MAX_SIDE_WORDS = 20     # words on one side of an axis: a contrast, not a vocabulary
MAX_SIDE_CHARS = 300    # what one side's text box holds
MAX_WORDS = 5000        # words on the map (a browser draws them all as one chart)
DEFAULT_WORDS = 500
# Above this cosine between the two directions, the axes largely measure one contrast (the words lie along
# a diagonal); below the lower one, they are close to independent.
DEGENERATE_COSINE = 0.7
INDEPENDENT_COSINE = 0.3
# Contrasts tried in order for the opening axes: the issue's own example first, then pairs common in reviews
# and novels, then pairs of the built-in corpus (the constitution and bills).
DEFAULT_PAIRS = (("남자", "여자"), ("과거", "현재"), ("남성", "여성"), ("어제", "오늘"), ("아버지", "어머니"),
                 ("처음", "마지막"), ("권리", "의무"), ("국가", "국민"), ("대통령", "국회"))
SIDES = ("from", "to")


class AxisError(ValueError):
    """An axis that cannot be drawn; ``str()`` is one line a visitor can act on."""


@dataclass(frozen=True)
class Axis:
    """One custom axis: the tokens of each side and the unit direction from one to the other."""
    name: str                     # "x" or "y"
    start: tuple[str, ...]        # the "from" side's tokens (남자/NNG)
    end: tuple[str, ...]          # the "to" side's tokens
    direction: np.ndarray         # unit length, in the vectors' space
    title: str                    # "남자 → 여자": the words as the visitor typed them

    def positions(self, unit_vectors: np.ndarray) -> np.ndarray:
        """Each row's place along the axis: its unit vector's dot product with the direction."""
        return unit_vectors @ self.direction


@dataclass(frozen=True)
class AxesMap:
    """The words placed on two custom axes.

    ``points``: one row per word, columns word, tag, group (the map group's legend label), count, x, y and
    ``axis`` (which sides the word defines, such as "x from"; empty for the other words)."""
    points: pd.DataFrame
    x: Axis
    y: Axis
    cosine: float                 # between the two directions

    @property
    def note(self) -> str:
        return correlation_note(self.cosine)


def correlation_note(cosine: float) -> str:
    """What the cosine between the two directions means for the picture, in one sentence."""
    strength = abs(cosine)
    if strength >= DEGENERATE_COSINE:
        meaning = ("the two axes largely measure the same contrast, so the words lie along a diagonal and the "
                   "second axis adds little: choose words that differ in another way")
    elif strength >= INDEPENDENT_COSINE:
        meaning = "the axes partly measure the same contrast, so the cloud leans along a diagonal"
    else:
        meaning = "the axes are close to independent, so each shows its own contrast"
    return f"The two directions' cosine is {cosine:+.2f}: {meaning}."


def side_words(text: str | Sequence[str], axis: str, side: str) -> list[str]:
    """The words of one side (text split on whitespace, or a list), bounded."""
    if isinstance(text, str):
        if len(text) > MAX_SIDE_CHARS:
            raise AxisError(f"The {axis} axis's “{side}” side is {len(text):,} characters long; at most "
                            f"{MAX_SIDE_CHARS} are allowed.")
        words = text.split()
    else:
        words = [w for word in text for w in str(word).split()]
    if not words:
        raise AxisError(f"The {axis} axis has no “{side}” words: give one word or more, separated by spaces.")
    if len(words) > MAX_SIDE_WORDS:
        raise AxisError(f"The {axis} axis's “{side}” side has {len(words):,} words; at most {MAX_SIDE_WORDS} "
                        "are allowed.")
    return words


def _tokens(vectors: Embeddings, words: list[str], axis: str, side: str) -> tuple[str, ...]:
    """The vocabulary's token for each word (bare 남자 → its most frequent tagged form), each once, in order."""
    tokens: list[str] = []
    for word in words:
        try:
            token = vectors.find(word)
        except UnknownWord as problem:
            raise AxisError(f"The {axis} axis's “{side}” side: {problem}") from None
        if token not in tokens:
            tokens.append(token)
    return tuple(tokens)


def axis(vectors: Embeddings, start: str | Sequence[str], end: str | Sequence[str], name: str = "x") -> Axis:
    """The axis from the words of ``start`` to those of ``end`` (each a text of words separated by spaces, or
    a list; bare words or tagged tokens)."""
    start_words, end_words = side_words(start, name, "from"), side_words(end, name, "to")
    start_tokens = _tokens(vectors, start_words, name, "from")
    end_tokens = _tokens(vectors, end_words, name, "to")
    unit = vectors.unit_vectors()
    index = vectors.index()
    direction = (unit[[index[t] for t in end_tokens]].mean(axis=0).astype(np.float64)
                 - unit[[index[t] for t in start_tokens]].mean(axis=0).astype(np.float64))
    length = float(np.linalg.norm(direction))
    if length < 1e-6:
        same = " ".join(start_tokens) if set(start_tokens) == set(end_tokens) else "their words average out"
        raise AxisError(f"The {name} axis goes nowhere: its “from” and “to” sides are the same ({same}), so it "
                        "has no direction.")
    return Axis(name, start_tokens, end_tokens, direction / length,
                f"{' '.join(start_words)} → {' '.join(end_words)}")


def _frequent_ids(vectors: Embeddings, n: int, content_only: bool) -> list[int]:
    """The ids of the ``n`` most frequent words (ties: vocabulary order), content words only if asked."""
    order = np.argsort(-np.asarray(vectors.counts, dtype=np.int64), kind="stable")
    if content_only:
        tags = vectors.tags()
        content_tags = {tag for tag in set(tags) if is_content(tag)}
        keep = np.fromiter((tags[i] in content_tags for i in order), dtype=bool, count=len(order))
        order = order[keep]
    return [int(i) for i in order[:n]]


def axes_map(vectors: Embeddings, x: Axis, y: Axis, n: int = DEFAULT_WORDS, content_only: bool = True) -> AxesMap:
    """The ``n`` most frequent words (content words only unless ``content_only`` is off) and every axis word,
    placed on the two axes."""
    n = max(0, min(int(n), MAX_WORDS))
    roles: dict[int, list[str]] = {}
    index = vectors.index()
    for ax in (x, y):
        for side, tokens in zip(SIDES, (ax.start, ax.end)):
            for token in tokens:
                roles.setdefault(index[token], []).append(f"{ax.name} {side}")
    ids = _frequent_ids(vectors, n, content_only)
    shown = set(ids)
    ids += [i for i in roles if i not in shown]  # the axis words are always on the map
    unit = vectors.unit_vectors()[ids]
    tags = vectors.tags()
    points = pd.DataFrame({
        "word": [vectors.words[i] for i in ids],
        "tag": [tags[i] for i in ids],
        "group": [map_group_label(map_group(tags[i])) for i in ids],
        "count": [int(vectors.counts[i]) for i in ids],
        "x": x.positions(unit),
        "y": y.positions(unit),
        "axis": [", ".join(roles.get(i, [])) for i in ids],
    })
    return AxesMap(points, x, y, float(x.direction @ y.direction))


def custom_map(vectors: Embeddings, x: tuple, y: tuple, n: int = DEFAULT_WORDS, content_only: bool = True) -> AxesMap:
    """The map on the axes ``x`` = (from, to) and ``y`` = (from, to), each side a text of words or a list."""
    return axes_map(vectors, axis(vectors, *x, name="x"), axis(vectors, *y, name="y"), n, content_only)


def default_axes(vectors: Embeddings) -> tuple[tuple[str, str], tuple[str, str]]:
    """Two contrasts to open on: the first two of :data:`DEFAULT_PAIRS` whose four words the vectors know (the
    issue's 남자 → 여자 and 과거 → 현재 where they exist), else the most frequent (content) words in turn."""
    known = set(vectors.words) | {split_tag(word)[0] for word in vectors.words}
    pairs = [pair for pair in DEFAULT_PAIRS
             if all(word in known for word in pair) and vectors.find(pair[0]) != vectors.find(pair[1])]
    if len(pairs) < 2:
        used = {vectors.find(word) for pair in pairs for word in pair}
        tagged = bool(vectors.tagset())
        frequent = [vectors.words[i] for i in _frequent_ids(vectors, 4 + len(used), tagged)]
        if len(frequent) < 4 + len(used):  # few content words: any word will do
            frequent = [vectors.words[i] for i in _frequent_ids(vectors, 4 + len(used), False)]
        spare = [_short(vectors, token) for token in frequent if token not in used]
        while len(pairs) < 2 and len(spare) >= 2:
            pairs.append((spare.pop(0), spare.pop(0)))
    while len(pairs) < 2:  # a vocabulary of one or two words: the page says what is wrong with these
        pairs.append((vectors.words[0], vectors.words[-1]))
    return pairs[0], pairs[1]


def _short(vectors: Embeddings, token: str) -> str:
    """The bare word where it names this very token (국민 for 국민/NNG), else the token itself."""
    bare = split_tag(token)[0]
    return bare if bare != token and vectors.find(bare) == token else token
