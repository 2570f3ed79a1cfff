"""The figures and tables the vocabulary page shows, computed once per corpus
so that the page only renders them (and the CLI prints the same numbers)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from namuweb.text import hangul
from namuweb.text.vocab import (ReadProgress, Vocabulary, category, char_name, count_characters, describe,
                                jamo_counts, short_label)

if TYPE_CHECKING:
    import pandas as pd  # imported where used: the training worker never loads pandas (see __main__)

COVERAGE_LEVELS = (0.9, 0.99, 0.999)


@dataclass
class VocabularyReport:
    char_counts: Counter
    token_counts: Counter
    vocab: Vocabulary

    @property
    def characters(self) -> int:
        return sum(self.char_counts.values())

    @property
    def tokens(self) -> int:
        return sum(self.token_counts.values())

    @property
    def hangul_share(self) -> float:
        initials, vowels, finals = hangul.jamo_classes()
        jamo = initials | vowels | finals
        hangul_chars = sum(n for c, n in self.char_counts.items() if hangul.is_syllable(c) or c in jamo)
        return hangul_chars / self.characters if self.characters else 0.0

    def figures(self) -> dict[str, float]:
        return {"characters": self.characters, "jamo tokens": self.tokens,
                "vocabulary size": self.vocab.size, "Hangul share": self.hangul_share}

    def table(self) -> pd.DataFrame:
        """One row per token, in id order."""
        import pandas as pd
        total = self.vocab.total or 1
        return pd.DataFrame({
            "id": range(self.vocab.size),
            "token": [describe(c) for c in self.vocab.chars],
            "label": [short_label(c) for c in self.vocab.chars],
            "code point": ["" if len(c) != 1 else f"U+{ord(c):04X}" for c in self.vocab.chars],
            "name": [char_name(c) for c in self.vocab.chars],
            "count": self.vocab.counts,
            "share": [n / total for n in self.vocab.counts],
            "category": [category(c) for c in self.vocab.chars],
        })

    def coverage(self) -> pd.DataFrame:
        """Cumulative share of the text covered by the N most frequent tokens."""
        import pandas as pd
        counts = np.sort(np.array(self.vocab.counts, dtype=np.int64))[::-1]
        covered = np.cumsum(counts) / max(int(counts.sum()), 1)
        return pd.DataFrame({"tokens": np.arange(1, len(counts) + 1), "coverage": covered})

    def tokens_to_cover(self) -> dict[float, int]:
        covered = self.coverage()["coverage"].to_numpy()
        return {level: int(np.searchsorted(covered, level - 1e-12) + 1) for level in COVERAGE_LEVELS}

    def by_category(self) -> pd.DataFrame:
        table = self.table()
        grouped = table.groupby("category", sort=False).agg(tokens=("id", "size"), count=("count", "sum"))
        return grouped.reset_index().sort_values("count", ascending=False, ignore_index=True)

    def with_min_count(self, min_count: int) -> "VocabularyReport":
        vocab = Vocabulary.from_counts(self.token_counts, min_count, tokenizer=self.vocab.tokenizer)
        return VocabularyReport(self.char_counts, self.token_counts, vocab)


def report(source, *, jamo: bool = True, min_count: int = 1,
           progress: ReadProgress | None = None) -> VocabularyReport:
    chars = count_characters(source, progress=progress)
    tokens = jamo_counts(chars) if jamo else chars
    vocab = Vocabulary.from_counts(tokens, min_count, tokenizer="jamo" if jamo else "char")
    return VocabularyReport(chars, tokens, vocab)


def search(table: pd.DataFrame, query: str) -> pd.DataFrame:
    """Rows whose token, name, code point or category contains ``query`` (case-insensitive)."""
    query = query.strip()
    if not query:
        return table
    columns = ["token", "name", "code point", "category"]
    import pandas as pd
    hit = pd.Series(False, index=table.index)
    for column in columns:
        hit |= table[column].str.contains(query, case=False, regex=False)
    return table[hit]


def fold_summary(full: VocabularyReport, folded: VocabularyReport) -> dict[str, float]:
    """What a minimum count did: how many symbols were folded and how much text they were."""
    unk = folded.vocab.counts[folded.vocab.unk_id] if folded.vocab.unk else 0
    return {"before": full.vocab.size, "after": folded.vocab.size,
            "folded symbols": full.vocab.size - (folded.vocab.size - (1 if folded.vocab.unk else 0)),
            "folded share": unk / folded.tokens if folded.tokens else 0.0}
