"""Character vocabularies over the jamo stream, numbered as the tutorial
numbers them: id = position in ``sorted(set(stream))``.

Counting never holds the whole corpus: raw characters are counted chunk by
chunk and each syllable's count is then spread over its jamo and ``ᴥ``, which
gives the jamo-token counts without materialising the (2-3x longer) stream.

Encoding is a table lookup on code points in NumPy, because the tutorial's
``np.array(list(map(vocab.get, data)))`` spends seconds and hundreds of MB on
Python objects for a 30 MB corpus.  Ids are the narrowest unsigned integer
type that fits, so a corpus of 11M tokens with under 256 symbols is 11 MB.

A rare-character cut-off folds every character seen fewer than ``min_count``
times into one ``<unk>`` token placed *after* the sorted characters, so the
ids of the kept characters stay the tutorial's.
"""

from __future__ import annotations

import codecs
import json
import os
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from namuweb.text import hangul

from namuweb import storage

UNK = "<unk>"
UNK_DISPLAY = "\ufffd"
FORMAT = "namuweb-vocab"
CHUNK_CHARS = 1 << 20
ENCODE_SLICE = 1 << 20

ReadProgress = Callable[[int, int], None]  # called with (done, total): characters of a str, bytes of a file


def tokenize(text: str, tokenizer: str) -> str:
    """The token stream of ``text``, one token per character of the result: its jamo and ``ᴥ`` marks
    ("jamo", a literal ``ᴥ`` becoming U+FFFD), or its characters themselves ("char")."""
    return hangul.decompose(text, marker="replace") if tokenizer == "jamo" else text


def detokenize(stream: str, tokenizer: str) -> str:
    """The text of a token stream: jamo recomposed into syllables, or the characters as they are."""
    return hangul.compose(stream) if tokenizer == "jamo" else stream


class UnknownTokensError(KeyError):
    """Raised by ``encode`` for characters the vocabulary lacks (and no ``<unk>``)."""

    def __init__(self, missing: Iterable[str]):
        self.missing = sorted(set(missing))
        shown = ", ".join(describe(c) for c in self.missing[:10])
        more = f" and {len(self.missing) - 10} more" if len(self.missing) > 10 else ""
        super().__init__(f"not in the vocabulary: {shown}{more}")

    def __str__(self) -> str:
        return self.args[0]


@dataclass
class Vocabulary:
    chars: list[str]
    counts: list[int]
    unk: str | None = None
    tokenizer: str = "jamo"
    _lookup: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def size(self) -> int:
        return len(self.chars)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint8 if self.size <= 1 << 8 else np.uint16 if self.size <= 1 << 16 else np.uint32)

    @property
    def unk_id(self) -> int | None:
        return self.chars.index(self.unk) if self.unk else None

    @property
    def total(self) -> int:
        return sum(self.counts)

    def index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.chars)}

    def _table(self) -> np.ndarray:
        if self._lookup is None:
            singles = [(i, c) for i, c in enumerate(self.chars) if c != self.unk]
            top = max((ord(c) for _, c in singles), default=0)
            sentinel = np.iinfo(np.uint32).max
            table = np.full(top + 1, sentinel, dtype=np.uint32)
            for i, c in singles:
                table[ord(c)] = i
            self._lookup = table
        return self._lookup

    def encode(self, tokens: str) -> np.ndarray:
        """Ids of each character of ``tokens`` (a jamo stream for a jamo vocabulary)."""
        table = self._table()
        sentinel = np.iinfo(np.uint32).max
        out = np.empty(len(tokens), dtype=self.dtype)
        missing: set[str] = set()
        for start in range(0, len(tokens), ENCODE_SLICE):
            piece = tokens[start:start + ENCODE_SLICE]
            points = np.frombuffer(piece.encode("utf-32-le"), dtype=np.uint32)
            ids = np.full(points.shape, sentinel, dtype=np.uint32)
            inside = points < table.size
            ids[inside] = table[points[inside]]
            unknown = ids == sentinel
            if unknown.any():
                if self.unk is None:
                    missing.update(chr(p) for p in np.unique(points[unknown]))
                    continue
                ids[unknown] = self.unk_id
            out[start:start + len(piece)] = ids
        if missing:
            raise UnknownTokensError(missing)
        return out

    def decode(self, ids: Iterable[int] | np.ndarray) -> str:
        """Text of ``ids``; ``<unk>`` shows as U+FFFD so the result stays one char per id."""
        symbols = np.array([UNK_DISPLAY if c == self.unk else c for c in self.chars], dtype="<U1")
        return symbols[np.asarray(ids, dtype=np.int64)].tobytes().decode("utf-32-le")

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": 1, "tokenizer": self.tokenizer,
                "unk": self.unk, "chars": self.chars, "counts": self.counts}

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        storage.make_private_dirs(path.parent)
        return storage.atomic_write(path, json.dumps(self.to_json(), ensure_ascii=False))

    @classmethod
    def from_json(cls, data: dict) -> "Vocabulary":
        if data.get("format") != FORMAT:
            raise ValueError("not a namuweb vocabulary file")
        chars, counts = list(data["chars"]), [int(n) for n in data["counts"]]
        if len(chars) != len(counts) or len(set(chars)) != len(chars):
            raise ValueError("corrupt vocabulary: chars and counts disagree or repeat")
        return cls(chars=chars, counts=counts, unk=data.get("unk"), tokenizer=data.get("tokenizer", "jamo"))

    @classmethod
    def from_counts(cls, counts: Counter, min_count: int = 1, tokenizer: str = "jamo") -> "Vocabulary":
        kept = sorted(c for c, n in counts.items() if n >= min_count)
        rare = sum(n for c, n in counts.items() if n < min_count)
        chars, numbers = kept, [counts[c] for c in kept]
        unk = None
        if rare:
            unk = UNK
            chars, numbers = chars + [UNK], numbers + [rare]
        return cls(chars=chars, counts=numbers, unk=unk, tokenizer=tokenizer)


def load_vocab(path: str | os.PathLike) -> Vocabulary:
    return Vocabulary.from_json(storage.read_json(path))


def iter_text(source, chunk_chars: int = CHUNK_CHARS, progress: ReadProgress | None = None) -> Iterator[str]:
    """Chunks of ``source``: a ``str`` is text, an ``os.PathLike`` is a UTF-8 file,
    anything with ``iter_chunks()`` (a library corpus) streams itself."""
    if isinstance(source, str):
        total = len(source)
        for start in range(0, total, chunk_chars):
            yield source[start:start + chunk_chars]
            if progress:
                progress(min(start + chunk_chars, total), total)
        return
    if hasattr(source, "path") and hasattr(source, "iter_chunks"):
        source = source.path
    path = Path(source)
    total = path.stat().st_size
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    with path.open("rb") as f:
        while block := f.read(chunk_chars):
            done += len(block)
            text = decoder.decode(block)
            if text:
                yield text
            if progress:
                progress(done, total)
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail


def count_characters(source, progress: ReadProgress | None = None) -> Counter:
    """Raw character counts of a text, file or corpus, in constant memory (a chunk's code points
    counted by ``np.bincount``, no Python loop over characters)."""
    totals = np.zeros(0, dtype=np.int64)
    for chunk in iter_text(source, progress=progress):
        counts = np.bincount(np.frombuffer(chunk.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))
        if len(counts) > len(totals):
            totals = np.concatenate([totals, np.zeros(len(counts) - len(totals), dtype=np.int64)])
        totals[:len(counts)] += counts
    return Counter({chr(point): int(totals[point]) for point in np.flatnonzero(totals)})


def jamo_counts(char_counts: Counter) -> Counter:
    """Counts of the jamo stream's tokens, derived from raw character counts.

    A literal ``ᴥ`` in the text becomes U+FFFD, as ``decompose(marker="replace")`` does."""
    tokens: Counter = Counter()
    for char, n in char_counts.items():
        if hangul.is_syllable(char):
            for token in hangul.decompose(char):
                tokens[token] += n
        elif char == hangul.MARK:
            tokens[hangul.REPLACEMENT] += n
        else:
            tokens[char] += n
    return tokens


# --- describing tokens for people -------------------------------------------------

_CONTROL_NAMES = {"\t": "CHARACTER TABULATION (tab)", "\n": "LINE FEED (newline)",
                  "\r": "CARRIAGE RETURN", "\x00": "NULL", "\x0b": "LINE TABULATION",
                  "\x0c": "FORM FEED"}


def char_name(char: str) -> str:
    if char == UNK:
        return "unknown (rare characters folded together)"
    return _CONTROL_NAMES.get(char) or unicodedata.name(char, f"U+{ord(char):04X}")


def is_invisible(char: str) -> bool:
    return char != UNK and (unicodedata.category(char)[0] in "CZ")


def describe(char: str) -> str:
    """A readable label: the character itself, or its code point and name when it is invisible."""
    if char == UNK:
        return UNK
    if is_invisible(char):
        return f"U+{ord(char):04X} {char_name(char)}"
    return char


def short_label(char: str) -> str:
    """A compact label for chart axes: ``␣`` for a space, an escape for other invisible ones."""
    if char == " ":
        return "␣"
    if char != UNK and is_invisible(char):
        return repr(char)[1:-1]
    return char


def category(char: str) -> str:
    if char == UNK:
        return "unknown"
    if char == hangul.MARK:
        return "ᴥ end of syllable"
    initials, vowels, finals = hangul.jamo_classes()
    if char in vowels:
        return "vowel"
    if char in initials and char in finals:
        return "consonant (initial or final)"
    if char in initials:
        return "consonant (initial only)"
    if char in finals:
        return "consonant (final only)"
    if hangul.is_syllable(char):
        return "Hangul syllable"
    kind = unicodedata.category(char)
    if char.isspace() or kind == "Zs":
        return "whitespace"
    if kind == "Nd":
        return "digit"
    if kind[0] == "L" and "LATIN" in unicodedata.name(char, ""):
        return "Latin"
    if kind[0] == "P" or (kind[0] == "S" and ord(char) < 0x80):
        return "punctuation"
    return "other"


CATEGORIES = ("consonant (initial or final)", "consonant (initial only)", "consonant (final only)",
              "vowel", "ᴥ end of syllable", "Hangul syllable", "Latin", "digit", "punctuation",
              "whitespace", "other", "unknown")
