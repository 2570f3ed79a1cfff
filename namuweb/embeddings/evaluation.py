"""Judging embeddings the way gensim's ``KeyedVectors`` does, so figures compare with published ones:
word-pair similarity (``evaluate_word_pairs``), analogies by section in word2vec's
``questions-words.txt`` format (``evaluate_word_analogies``) and the odd one out (``doesnt_match``).

A word may be a tagged token (``국민/Noun``) or a bare word (``국민``, its most frequent tagged form),
as in the explorer; anything else is out of vocabulary and counted, never guessed.  No SciPy: the
two correlations are a few lines of NumPy.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from namuweb.embeddings.vectors import Embeddings

KOREAN_PAIRS_FILE = Path(__file__).resolve().parent / "data" / "ko_word_pairs.tsv"
KOREAN_PAIRS_NAME = "ko_word_pairs.tsv (built-in)"


def korean_word_pairs() -> bytes:
    """The built-in Korean word-pair file (``word1<TAB>word2<TAB>score``, 0–10), in the format an upload
    has, so it goes through the same evaluator.  Its pairs — nouns, verbs and adjectives common in movie
    reviews and novels — and their scores are this project's own judgement, not a published data set or
    a survey of raters (the file's header says so too): a small check that trained vectors order related
    words above unrelated ones, with a correlation to compare settings by, not a published benchmark.
    The file ships inside the package (the app and the CLI run from the checkout)."""
    return KOREAN_PAIRS_FILE.read_bytes()


def _resolver(embeddings: Embeddings):
    """word -> token, or None: the token itself, else a bare word's most frequent tagged form."""
    index, bare = embeddings.index(), embeddings._bare_forms()

    def resolve(word: str) -> str | None:
        if word in index:
            return word
        if word in bare:
            return embeddings.words[bare[word]]
        return None
    return resolve


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank (as Spearman's rho wants them)."""
    ranks = np.empty(len(values))
    ranks[np.argsort(values, kind="stable")] = np.arange(1, len(values) + 1)
    _, tie, size = np.unique(values, return_inverse=True, return_counts=True)
    return np.bincount(tie, weights=ranks)[tie] / size[tie]


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


EXAMPLES = 10  # questions or pairs out of vocabulary named to the visitor (the rest are counted)
BLOCK_SCORES = 2**23  # scores held at once while answering analogies (a block of questions × the vocabulary)


@dataclass
class PairScores:
    """gensim's ``evaluate_word_pairs`` figures: the correlations of human scores with cosine
    similarities over the pairs in the vocabulary, and the share of pairs out of it (in %).  Pairs out
    of vocabulary are counted, and the first few named with the words that were not found."""

    pearson: float
    spearman: float
    oov_ratio: float
    pairs: list[tuple[str, str, float, float]] = field(default_factory=list)  # (a, b, gold, cosine) in vocabulary
    unknown: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (a, b, words not found), the first few
    unknown_count: int = 0
    skipped_lines: int = 0  # lines that are not WORD<TAB>WORD<TAB>SCORE
    scored: int = 0  # pairs in the vocabulary; ``pairs`` may hold a sample of them (see :meth:`sampled`)
    read: int = 0  # pair lines read: all of the file's, or its first ones where a cap applies
    in_file: int = 0  # pair lines in the file

    def sampled(self, most: int) -> "PairScores":
        """The same figures with at most ``most`` of the scored pairs kept, evenly spaced through the
        file, for a chart and for carrying between processes (a 5 MB file holds 200,000 pairs)."""
        if len(self.pairs) <= most:
            return self
        keep = np.linspace(0, len(self.pairs) - 1, most).round().astype(int)
        return replace(self, pairs=[self.pairs[i] for i in keep])

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "PairScores":
        data = dict(data)
        data["pairs"] = [tuple(p) for p in data["pairs"]]
        data["unknown"] = [(a, b, list(missing)) for a, b, missing in data["unknown"]]
        return cls(**data)


def evaluate_word_pairs(embeddings: Embeddings, lines: Iterable[str], delimiter: str = "\t", *,
                        max_pairs: int | None = None) -> PairScores:
    """Lines ``word1<TAB>word2<TAB>score``; ``#`` starts a comment line.  With ``max_pairs`` only the
    first pair lines count (a public demo's cap); the rest are only counted, so the page can say so."""
    resolve, unit = _resolver(embeddings), embeddings.unit_vectors()
    index = embeddings.index()
    found: list[tuple[str, str, float]] = []
    unknown, unknown_count, skipped, in_file = [], 0, 0, 0
    for line in lines:
        line = line.rstrip("\r\n")
        if not line or line.startswith("#"):
            continue
        in_file += 1
        if max_pairs is not None and in_file > max_pairs:
            continue
        try:
            a, b, gold = line.split(delimiter)
            gold = float(gold)
        except ValueError:
            skipped += 1
            continue
        a, b = a.strip(), b.strip()
        first, second = resolve(a), resolve(b)
        if first is None or second is None:
            unknown_count += 1
            if len(unknown) < EXAMPLES:
                unknown.append((a, b, [w for w, t in ((a, first), (b, second)) if t is None]))
            continue
        found.append((first, second, gold))
    left = np.array([index[p[0]] for p in found], dtype=np.int64)
    right = np.array([index[p[1]] for p in found], dtype=np.int64)
    cosine = np.einsum("ij,ij->i", unit[left], unit[right]).astype(float) if len(found) else np.zeros(0)
    gold = np.array([p[2] for p in found], dtype=float)
    counted = len(found) + unknown_count
    return PairScores(pearson=_pearson(gold, cosine), spearman=_pearson(_ranks(gold), _ranks(cosine)),
                      oov_ratio=100.0 * unknown_count / counted if counted else 0.0,
                      pairs=[(a, b, g, c) for (a, b, g), c in zip(found, cosine.tolist())], unknown=unknown,
                      unknown_count=unknown_count, skipped_lines=skipped, scored=len(found),
                      read=min(in_file, max_pairs) if max_pairs is not None else in_file, in_file=in_file)


@dataclass
class AnalogySection:
    section: str
    correct: int = 0
    incorrect: int = 0
    unknown: int = 0  # questions with a word out of vocabulary: not asked, as in gensim

    @property
    def accuracy(self) -> float | None:
        asked = self.correct + self.incorrect
        return self.correct / asked if asked else None


@dataclass
class AnalogyScores:
    sections: list[AnalogySection]
    total: AnalogySection
    oov_ratio: float  # % of the questions read
    skipped_lines: int = 0
    unknown: list[tuple[str, list[str]]] = field(default_factory=list)  # (question, words not found), the first few
    read: int = 0  # question lines read: all of the file's, or its first ones where a cap applies
    in_file: int = 0  # question lines in the file
    unscored: int = 0  # questions in the vocabulary the time limit left unanswered (the last ones read)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "AnalogyScores":
        data = dict(data)
        data["sections"] = [AnalogySection(**s) for s in data["sections"]]
        data["total"] = AnalogySection(**data["total"])
        data["unknown"] = [(question, list(missing)) for question, missing in data["unknown"]]
        return cls(**data)


class AnalogyFileError(ValueError):
    """Not word2vec's analogy format; one line for the user."""


def evaluate_word_analogies(embeddings: Embeddings, lines: Iterable[str], *, max_questions: int | None = None,
                            progress: Callable[[int, int], None] | None = None,
                            deadline: float | None = None) -> AnalogyScores:
    """word2vec's ``questions-words.txt``: ``: section`` headers, then ``a b c d`` lines meaning a is
    to b as c is to d.  A question counts as correct when the nearest word to b − a + c, the three
    inputs left out, is d (gensim's 3CosAdd).

    The questions are scored as gensim does it in spirit: a block of them at a time, as one product of
    their directions with every unit vector, not one nearest-word search each (a file of 190,000
    questions took minutes that way).  ``progress(done, total)`` hears after each block; past
    ``deadline`` (``time.monotonic()``) the remaining questions are left unscored and counted, so a
    time limit ends with the accuracy of the questions answered so far.  With ``max_questions`` only
    the first question lines are read (a public demo's cap); the rest are only counted."""
    resolve = _resolver(embeddings)
    index = embeddings.index()
    sections: list[AnalogySection] = []
    asked_ids: list[tuple[int, int, int, int]] = []  # (a, b, c, expected) word ids
    asked_section: list[int] = []
    unknown: list[tuple[str, list[str]]] = []
    unknown_count, skipped, in_file = 0, 0, 0
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith(":"):
            sections.append(AnalogySection(line.lstrip(":").strip()))
            continue
        if not sections:
            raise AnalogyFileError(f"line {number} comes before any ': section' header; this is not an analogy file "
                                   "in word2vec's questions-words.txt format")
        words = line.split()
        if len(words) != 4:
            skipped += 1
            continue
        in_file += 1
        if max_questions is not None and in_file > max_questions:
            continue
        tokens = [resolve(w) for w in words]
        if None in tokens:
            unknown_count += 1
            sections[-1].unknown += 1
            if len(unknown) < EXAMPLES:
                unknown.append((" ".join(words), [w for w, t in zip(words, tokens) if t is None]))
            continue
        asked_ids.append(tuple(index[t] for t in tokens))
        asked_section.append(len(sections) - 1)
    right = _answer_analogies(embeddings.unit_vectors(), np.array(asked_ids, dtype=np.int64).reshape(-1, 4),
                              progress, deadline)
    scored = np.array(asked_section[:len(right)], dtype=np.int64)
    correct = np.bincount(scored[right], minlength=len(sections))
    answered = np.bincount(scored, minlength=len(sections))
    for i, section in enumerate(sections):
        section.correct, section.incorrect = int(correct[i]), int(answered[i] - correct[i])
    total = AnalogySection("Total accuracy", correct=int(right.sum()), incorrect=int(len(right) - right.sum()),
                           unknown=unknown_count)
    read = min(in_file, max_questions) if max_questions is not None else in_file
    return AnalogyScores(sections, total, 100.0 * unknown_count / read if read else 0.0, skipped, unknown=unknown,
                         read=read, in_file=in_file, unscored=len(asked_ids) - len(right))


def _answer_analogies(unit: np.ndarray, questions: np.ndarray, progress, deadline) -> np.ndarray:
    """Whether each question (rows of word ids a, b, c, expected) is answered right, block by block; fewer
    rows than questions when ``deadline`` passed first.  Each direction b − a + c is compared with every
    unit vector at once; its length does not change which word is nearest, so it is not normalised.
    A block holds as many questions as keep its scores within :data:`BLOCK_SCORES` (large blocks keep
    the matrix product efficient; the vectors transposed once make it faster still)."""
    right = np.zeros(len(questions), dtype=bool)
    columns = np.ascontiguousarray(unit.T)
    block_rows = max(16, BLOCK_SCORES // max(1, len(unit)))
    rows = np.arange(block_rows)
    done = 0
    while done < len(questions):
        block = questions[done:done + block_rows]
        a, b, c, expected = block.T
        scores = (unit[b] + unit[c] - unit[a]) @ columns
        here = rows[:len(block)]
        scores[here, a] = scores[here, b] = scores[here, c] = -np.inf  # the inputs are never the answer
        best = scores.argmax(axis=1)
        right[done:done + len(block)] = (best == expected) & np.isfinite(scores[here, best])
        done += len(block)
        if progress is not None:
            progress(done, len(questions))
        if deadline is not None and time.monotonic() > deadline:
            break
    return right[:done]


def doesnt_match(embeddings: Embeddings, words: list[str]) -> tuple[str, list[str]]:
    """gensim's ``doesnt_match``: of the words in the vocabulary, the one least similar to their mean
    direction; also the words left out as unknown."""
    resolve = _resolver(embeddings)
    known = [t for t in map(resolve, words) if t is not None]
    unknown = [w for w in words if resolve(w) is None]
    if not known:
        raise ValueError("none of these words is in the vocabulary")
    unit = embeddings.unit_vectors()[[embeddings.index()[t] for t in known]]
    mean = unit.mean(axis=0)
    mean /= max(float(np.linalg.norm(mean)), 1e-12)
    return sorted(zip((unit @ mean).tolist(), known))[0][1], unknown
