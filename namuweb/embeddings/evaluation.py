"""Judging embeddings the way gensim's ``KeyedVectors`` does, so figures compare with published ones:
word-pair similarity (``evaluate_word_pairs``), analogies by section in word2vec's
``questions-words.txt`` format (``evaluate_word_analogies``) and the odd one out (``doesnt_match``).

A word may be a tagged token (``국민/Noun``) or a bare word (``국민``, its most frequent tagged form),
as in the explorer; anything else is out of vocabulary and counted, never guessed.  No SciPy: the
two correlations are a few lines of NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from namuweb.embeddings.vectors import Embeddings


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


@dataclass
class PairScores:
    """gensim's ``evaluate_word_pairs`` figures: the correlations of human scores with cosine
    similarities over the pairs in the vocabulary, and the share of pairs out of it (in %)."""

    pearson: float
    spearman: float
    oov_ratio: float
    pairs: list[tuple[str, str, float, float]] = field(default_factory=list)  # (a, b, gold, cosine) in vocabulary
    unknown: list[tuple[str, str]] = field(default_factory=list)
    skipped_lines: int = 0  # lines that are not WORD<TAB>WORD<TAB>SCORE


def evaluate_word_pairs(embeddings: Embeddings, lines: Iterable[str], delimiter: str = "\t") -> PairScores:
    """Lines ``word1<TAB>word2<TAB>score``; ``#`` starts a comment line."""
    resolve, unit = _resolver(embeddings), embeddings.unit_vectors()
    index = embeddings.index()
    pairs, unknown, skipped = [], [], 0
    for line in lines:
        line = line.rstrip("\r\n")
        if not line or line.startswith("#"):
            continue
        try:
            a, b, gold = line.split(delimiter)
            gold = float(gold)
        except ValueError:
            skipped += 1
            continue
        first, second = resolve(a.strip()), resolve(b.strip())
        if first is None or second is None:
            unknown.append((a.strip(), b.strip()))
            continue
        pairs.append((first, second, gold, float(unit[index[first]] @ unit[index[second]])))
    gold = np.array([p[2] for p in pairs], dtype=float)
    model = np.array([p[3] for p in pairs], dtype=float)
    counted = len(pairs) + len(unknown)
    return PairScores(pearson=_pearson(gold, model), spearman=_pearson(_ranks(gold), _ranks(model)),
                      oov_ratio=100.0 * len(unknown) / counted if counted else 0.0, pairs=pairs, unknown=unknown,
                      skipped_lines=skipped)


@dataclass
class AnalogySection:
    section: str
    correct: list[tuple[str, str, str, str]] = field(default_factory=list)
    incorrect: list[tuple[str, str, str, str]] = field(default_factory=list)
    unknown: int = 0  # questions with a word out of vocabulary: not asked, as in gensim

    @property
    def accuracy(self) -> float | None:
        asked = len(self.correct) + len(self.incorrect)
        return len(self.correct) / asked if asked else None


@dataclass
class AnalogyScores:
    sections: list[AnalogySection]
    total: AnalogySection
    oov_ratio: float  # % of all questions
    skipped_lines: int = 0


class AnalogyFileError(ValueError):
    """Not word2vec's analogy format; one line for the user."""


def evaluate_word_analogies(embeddings: Embeddings, lines: Iterable[str]) -> AnalogyScores:
    """word2vec's ``questions-words.txt``: ``: section`` headers, then ``a b c d`` lines meaning a is
    to b as c is to d.  A question counts as correct when the nearest word to b − a + c, the three
    inputs left out, is d (gensim's 3CosAdd over its top 5)."""
    resolve = _resolver(embeddings)
    sections: list[AnalogySection] = []
    questions, unknown, skipped = 0, 0, 0
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
        questions += 1
        tokens = [resolve(w) for w in words]
        if None in tokens:
            unknown += 1
            sections[-1].unknown += 1
            continue
        a, b, c, expected = tokens
        answers = embeddings.analogy([b, c], [a], k=5)  # inputs are excluded already
        predicted = answers[0][0] if answers else None
        (sections[-1].correct if predicted == expected else sections[-1].incorrect).append(tuple(words))
    total = AnalogySection("Total accuracy", correct=[q for s in sections for q in s.correct],
                           incorrect=[q for s in sections for q in s.incorrect], unknown=unknown)
    return AnalogyScores(sections, total, 100.0 * unknown / questions if questions else 0.0, skipped)


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
