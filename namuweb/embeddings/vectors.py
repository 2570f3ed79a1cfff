"""Word vectors apart from how they were trained: nearest words, analogies, maps, and word2vec /
Projector files.

Pages and the CLI query vectors through this module alone, so browsing embeddings never imports
the skip-gram trainer or TensorFlow (gensim keeps ``KeyedVectors`` apart from ``Word2Vec`` for the
same reason).  Vectors trained here and vectors imported from a word2vec file are the same object.
"""

from __future__ import annotations

import difflib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from namuweb import storage

VECTORS_FILE = "vectors.npy"
VOCAB_FILE = "vocab.json"
_TAG = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*")


class UnknownWord(KeyError):
    """A word the embeddings do not know; ``str()`` is one user-facing line."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else "unknown word"


def split_tag(token: str) -> tuple[str, str]:
    """``("국민", "Noun")`` for ``"국민/Noun"``; ``(token, "")`` for a plain word."""
    word, slash, tag = token.rpartition("/")
    if slash and word and _TAG.fullmatch(tag):
        return word, tag
    return token, ""


def _write_atomic(path: Path, write: Callable) -> None:
    """``storage.atomic_write`` into a folder made on demand."""
    storage.make_private_dirs(Path(path).parent)
    storage.atomic_write(path, write)


@dataclass
class Embeddings:
    words: list[str]        # "국민/Noun" tokens, or plain words for imported files
    counts: list[int]
    vectors: np.ndarray     # (V, D) float32, the input (centre) vectors
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or len(self.words) != len(self.vectors) or len(self.counts) != len(self.words):
            raise ValueError(f"{len(self.words)} words, {len(self.counts)} counts and vectors of shape "
                             f"{self.vectors.shape} do not match")

    # lookups

    def index(self) -> dict[str, int]:
        if "index" not in self._cache:
            self._cache["index"] = {word: i for i, word in enumerate(self.words)}
        return self._cache["index"]

    def tags(self) -> list[str]:
        if "tags" not in self._cache:
            self._cache["tags"] = [split_tag(word)[1] for word in self.words]
        return self._cache["tags"]

    def tagset(self) -> list[str]:
        """The tags the words carry (Okt's Noun, Kiwi's NNG, …), sorted; empty for untagged vectors."""
        return sorted(set(self.tags()) - {""})

    def example_word(self, candidates=("국민", "대통령", "법률")) -> str:
        """The first of ``candidates`` in whatever tagset the vectors use (국민/Noun with Okt, 국민/NNG with
        Kiwi), else the most frequent word: what the explorer opens on."""
        for bare in candidates:
            if bare in self.index() or bare in self._bare_forms():
                return self.find(bare)
        return self.words[int(self._by_frequency()[0])]

    def _by_frequency(self) -> np.ndarray:
        """Word ids, most frequent first (ties: vocabulary order)."""
        if "order" not in self._cache:
            self._cache["order"] = np.argsort(-np.asarray(self.counts, dtype=np.int64), kind="stable")
        return self._cache["order"]

    def _bare_forms(self) -> dict[str, int]:
        """Each bare word ("국민") to the id of its most frequent tagged form."""
        if "bare" not in self._cache:
            bare: dict[str, int] = {}
            for i in self._by_frequency():
                bare.setdefault(split_tag(self.words[i])[0], int(i))
            self._cache["bare"] = bare
        return self._cache["bare"]

    def find(self, query: str) -> str:
        """The token for ``query``: itself if known, else the most frequent tagged form of a bare word."""
        query = query.strip()
        if query in self.index():
            return query
        if query in self._bare_forms():
            return self.words[self._bare_forms()[query]]
        close = difflib.get_close_matches(query, list(self._bare_forms()), n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownWord(f"{query!r} is not in the vocabulary of {len(self.words):,} words{hint}")

    def _id(self, query: str) -> int:
        return self.index()[self.find(query)]

    # geometry

    def unit_vectors(self) -> np.ndarray:
        if "unit" not in self._cache:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._cache["unit"] = self.vectors / np.maximum(norms, 1e-12)
        return self._cache["unit"]

    def content_mask(self) -> np.ndarray:
        """Which words are content words (nouns, verbs, adjectives, adverbs: ``tag_display.is_content``, in
        either tagset); all False for untagged vectors."""
        if "content" not in self._cache:
            from namuweb.morphemes.tag_display import is_content
            self._cache["content"] = np.fromiter((is_content(tag) for tag in self.tags()), dtype=bool,
                                                 count=len(self.words))
        return self._cache["content"]

    def has_content_tags(self) -> bool:
        """Whether the content-word filter can mean anything here: some word carries a content tag."""
        return bool(self.content_mask().any())

    def _nearest(self, direction: np.ndarray, exclude: set[int], k: int, tag: str | None,
                 content_only: bool = False) -> list[tuple[str, float]]:
        unit = self.unit_vectors()
        direction = direction / max(float(np.linalg.norm(direction)), 1e-12)
        scores = unit @ direction
        if exclude:
            scores[list(exclude)] = -np.inf
        if tag is not None:
            scores[np.asarray(self.tags()) != tag] = -np.inf
        if content_only:
            scores[~self.content_mask()] = -np.inf
        take = min(len(scores), k + len(exclude))
        best = np.argpartition(-scores, take - 1)[:take] if take < len(scores) else np.arange(len(scores))
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.words[i], float(scores[i])) for i in best if np.isfinite(scores[i])][:k]

    def neighbors(self, query: str, k: int = 10, tag: str | None = None,
                  content_only: bool = False) -> list[tuple[str, float]]:
        """The ``k`` words with the highest cosine similarity to ``query`` (itself excluded); only those
        tagged ``tag``, and with ``content_only`` only content words: particles, endings and symbols
        occur beside every word, so unfiltered they crowd the list of any word (issue 34).  The query
        itself may be any word."""
        i = self._id(query)
        return self._nearest(self.unit_vectors()[i], {i}, k, tag, content_only)

    def similarity(self, a: str, b: str) -> float:
        unit = self.unit_vectors()
        return float(unit[self._id(a)] @ unit[self._id(b)])

    def analogy(self, positive: list[str], negative: list[str], k: int = 10) -> list[tuple[str, float]]:
        """gensim's ``most_similar(positive, negative)``: the mean of the inputs' unit vectors
        (negatives subtracted), inputs excluded from the answer."""
        if not positive and not negative:
            raise ValueError("give at least one word")
        unit = self.unit_vectors()
        plus = [self._id(w) for w in positive]
        minus = [self._id(w) for w in negative]
        direction = (unit[plus].sum(axis=0) - unit[minus].sum(axis=0)) / (len(plus) + len(minus))
        return self._nearest(direction, set(plus) | set(minus), k, None)

    def projection(self, n: int = 300, method: str = "pca") -> pd.DataFrame:
        """The ``n`` most frequent words in 2-D by ``method`` (``pca``, ``tsne``, ``umap``: see
        :mod:`namuweb.embeddings.projections`): columns word, tag, count, x, y."""
        from namuweb.embeddings import projections
        ids = self._by_frequency()[:max(0, n)]
        xy = projections.project(self.vectors[ids], method)
        tags = self.tags()
        return pd.DataFrame({"word": [self.words[i] for i in ids], "tag": [tags[i] for i in ids],
                             "count": [int(self.counts[i]) for i in ids], "x": xy[:, 0], "y": xy[:, 1]})

    # files

    def save(self, folder: Path) -> None:
        """``vectors.npy`` and ``vocab.json``, each written whole or not at all (vectors first,
        so a ``vocab.json`` on disk always has its vectors)."""
        folder = Path(folder)
        _write_atomic(folder / VECTORS_FILE, lambda f: np.save(f, self.vectors))
        vocab = json.dumps({"words": self.words, "counts": [int(c) for c in self.counts]}, ensure_ascii=False)
        _write_atomic(folder / VOCAB_FILE, lambda f: f.write(vocab.encode("utf-8")))

    @classmethod
    def load(cls, folder: Path) -> "Embeddings":
        folder = Path(folder)
        try:
            vocab = storage.read_json(folder / VOCAB_FILE)
            vectors = np.load(folder / VECTORS_FILE, allow_pickle=False)  # never unpickle a file
        except FileNotFoundError:
            raise FileNotFoundError(f"{folder} holds no embeddings ({VOCAB_FILE} + {VECTORS_FILE})") from None
        return cls(list(vocab["words"]), [int(c) for c in vocab["counts"]], vectors)

    def word2vec_text(self) -> bytes:
        """word2vec's text format (what gensim's ``load_word2vec_format`` reads), for a download; 9
        significant digits so float32 values read back exactly."""
        out = io.BytesIO()
        out.write(f"{len(self.words)} {self.vectors.shape[1]}\n".encode("utf-8"))
        for word, row in zip(self.words, self.vectors):
            out.write((word + " " + " ".join(f"{v:.9g}" for v in row.tolist()) + "\n").encode("utf-8"))
        return out.getvalue()

    def projector_tsv(self) -> tuple[bytes, bytes]:
        """The two files TensorFlow's Embedding Projector loads, for a download: vectors (no header) and
        metadata with a ``word\\ttag\\tcount`` header (several columns need one)."""
        vectors, metadata = io.BytesIO(), io.BytesIO()
        for row in self.vectors.tolist():
            vectors.write(("\t".join(f"{v:.6g}" for v in row) + "\n").encode("utf-8"))
        metadata.write(b"word\ttag\tcount\n")
        for word, tag, count in zip(self.words, self.tags(), self.counts):
            metadata.write(f"{_tsv_cell(word)}\t{tag}\t{int(count)}\n".encode("utf-8"))
        return vectors.getvalue(), metadata.getvalue()

    def most_frequent(self, n: int, content_only: bool = False) -> np.ndarray:
        """The ids of the ``n`` most frequent words, most frequent first; with ``content_only`` only
        nouns, verbs, adjectives and adverbs (``tag_display.is_content``, either tagset): what the map shows."""
        order = self._by_frequency()
        if content_only:
            from namuweb.morphemes.tag_display import is_content
            tags = self.tags()
            order = order[np.fromiter((is_content(tags[i]) for i in order), dtype=bool, count=len(order))]
        return order[:max(0, n)]


def neighbour_overlap(first: Embeddings, second: Embeddings, words: list[str], k: int = 10) -> float:
    """How far two embeddings agree: the mean share of each word's ``k`` nearest neighbours they have in
    common, over ``words`` (each in both vocabularies, neighbours searched in both whole vocabularies).

    Two word2vec trainings on the same text with different seeds agree only partly; that agreement
    is the baseline another trainer is measured against (``bench/skipgram.py``)."""
    if not words:
        raise ValueError("no words to compare")
    shared = 0
    for word in words:
        mine = {w for w, _ in first.neighbors(word, k)}
        theirs = {w for w, _ in second.neighbors(word, k)}
        shared += len(mine & theirs)
    return shared / (k * len(words))


def _tsv_cell(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ")


MAX_WORD2VEC_DIMS = 10_000


def read_word2vec(path: Path) -> Embeddings:
    """A word2vec file, text or binary (detected), as gensim or the C tool writes it.

    The header is checked against the file's size before anything is allocated (a 24-byte file
    may claim 100,000 × 100,000), and the text format is read a line at a time into one float32
    array, so memory is the vectors themselves. The format has no counts; the file is ordered
    most frequent first by convention, so the descending rank stands in for them."""
    path = Path(path)
    with path.open("rb") as f:
        header = f.readline(200)
        try:
            size, dims = (int(x) for x in header.split())
        except ValueError:
            raise ValueError(f"{path.name} is not a word2vec file: the first line must be '<words> <dimensions>'") \
                from None
        body_bytes = path.stat().st_size - len(header)
        if not (0 < size and 0 < dims <= MAX_WORD2VEC_DIMS) or size * dims * 2 > body_bytes:
            # every number takes at least 2 bytes in the text format ("0 ") and 4 in the binary one
            raise ValueError(f"its header promises {size:,} words × {dims:,} dimensions, which cannot fit in "
                             f"the {body_bytes:,} bytes that follow it")
        start = f.tell()
        parsed = _parse_text(_bounded_lines(f, _max_text_row_bytes(dims)), size, dims)
        if parsed is None:
            f.seek(start)
            parsed = _parse_binary(f, size, dims, path)
    words, vectors = parsed
    return Embeddings(words, list(range(size, 0, -1)), vectors)


MAX_WORD_BYTES = 4096  # one word of a word2vec file in UTF-8: far above any real token


def _max_text_row_bytes(dims: int) -> int:
    """The longest row of the text format: a word and ``dims`` numbers, each written in at most 64 characters."""
    return MAX_WORD_BYTES + 64 * (dims + 1)


def _bounded_lines(f, limit: int):
    """The lines of a binary file, ending at the first one longer than ``limit`` bytes, which is never read
    whole (a binary word2vec file may hold no line break for hundreds of megabytes)."""
    while line := f.readline(limit + 1):
        if len(line) > limit and not line.endswith(b"\n"):
            yield None
            return
        yield line


def _parse_text(lines, size: int, dims: int):
    """(words, vectors) if ``lines`` (a binary file after the header) are the text format, else None."""
    words, vectors = [], np.empty((size, dims), dtype=np.float32)
    for raw in lines:
        if raw is None:  # a row longer than any of the text format
            return None
        try:
            line = raw.decode("utf-8").rstrip()
        except UnicodeDecodeError:
            return None
        if not line.strip():
            continue
        parts = line.split(" ")
        if len(parts) != dims + 1 or len(words) >= size:
            return None
        try:
            vectors[len(words)] = np.asarray(parts[1:], dtype=np.float32)
        except ValueError:
            return None
        words.append(parts[0])
    return (words, vectors) if len(words) == size else None


_BINARY_READ = 1 << 20


def _parse_binary(f, size: int, dims: int, path) -> tuple[list[str], np.ndarray]:
    """The binary rows, read from the open file a megabyte at a time: memory is the vectors, not the file too."""
    width = 4 * dims
    words, vectors = [], np.empty((size, dims), dtype=np.float32)
    body, at = b"", 0

    def have(n: int) -> bool:
        nonlocal body, at
        while len(body) - at < n:
            block = f.read(max(_BINARY_READ, n))
            if not block:
                return False
            body, at = body[at:] + block, 0
        return True

    for i in range(size):
        while have(1) and body[at:at + 1] in (b"\n", b"\r"):  # the C tool ends each row with one
            at += 1
        while (space := body.find(b" ", at, at + MAX_WORD_BYTES + 1)) < 0:
            if len(body) - at > MAX_WORD_BYTES:
                raise ValueError(f"{path} is not a word2vec file: word {i + 1} is longer than {MAX_WORD_BYTES:,} bytes")
            if not have(len(body) - at + 1):
                raise ValueError(f"{path} is not a word2vec file: it ends inside word {i + 1} of {size}")
        if not have(space - at + 1 + width):
            raise ValueError(f"{path} is not a word2vec file: it ends inside word {i + 1} of {size}")
        space = body.find(b" ", at)  # ``have`` may have moved the buffer
        words.append(body[at:space].decode("utf-8", errors="replace"))
        vectors[i] = np.frombuffer(body, dtype="<f4", count=dims, offset=space + 1)
        at = space + 1 + width
    return words, vectors


# --- data ----------------------------------------------------------------------
