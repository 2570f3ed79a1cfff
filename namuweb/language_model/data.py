"""The char-LSTM's data: a corpus as a file of token ids, cut into chunks, batched in a shuffled
order that a resumed run replays, a fixed validation sample, and the quality floor a run must beat.

The corpus stays one compact integer array; batches are cut from it by NumPy fancy indexing (or
TensorFlow's gather), never token by token in Python.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from namuweb import storage
from namuweb.language_model.settings import TrainConfig, batches_per_epoch, check_corpus_size, validation_chunks

VALIDATION_TOKENS = 32_768  # per validation: a fixed sample, not a pass over the held-out share


@dataclass
class Split:
    """Non-overlapping ``seq_len + 1``-token chunks; the last ``val_share`` of them is held out."""

    train: np.ndarray
    val: np.ndarray

    @classmethod
    def of(cls, ids: np.ndarray, seq_len: int, val_share: float, batch: int) -> "Split":
        width = seq_len + 1
        count = len(ids) // width
        chunks = ids[:count * width].reshape(count, width)
        n_val = validation_chunks(count, val_share)
        split = cls(train=chunks[:count - n_val], val=chunks[count - n_val:])
        if len(split.train) < batch:
            check_corpus_size(len(ids), TrainConfig(corpus="", batch=batch, seq_len=seq_len, val_share=val_share))
        return split

    @property
    def tokens(self) -> int:
        """The tokens the chunks hold (what :func:`settings.step_plan` counts from)."""
        return (len(self.train) + len(self.val)) * self.train.shape[1]


def epoch_order(count: int, seed: int, epoch: int) -> np.ndarray:
    """The shuffled chunk order of one epoch; a function of (seed, epoch) so a resumed run replays it."""
    return np.random.default_rng([seed, epoch]).permutation(count)


class _CharacterEncoder:
    """Text straight to token ids, a character at a time in NumPy: each code point's ids (a syllable's
    jamo and its ``ᴥ``, or the character itself) are looked up once and cached, so a large corpus is
    encoded without building its decomposed text (the same ids as ``vocab.encode(decompose(text))``)."""

    WIDTH = 4  # the most tokens one character becomes: initial, vowel, final, ᴥ

    def __init__(self, vocab):
        self.vocab = vocab
        self.lengths = np.zeros(0, dtype=np.uint8)  # 0: not looked up yet
        self.ids = np.zeros((0, self.WIDTH), dtype=vocab.dtype)

    def encode(self, text: str) -> np.ndarray:
        from namuweb.text.vocab import tokenize
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        if not len(points):
            return np.zeros(0, dtype=self.vocab.dtype)
        top = int(points.max())
        if top >= len(self.lengths):
            grow = top + 1 - len(self.lengths)
            self.lengths = np.concatenate([self.lengths, np.zeros(grow, dtype=np.uint8)])
            self.ids = np.concatenate([self.ids, np.zeros((grow, self.WIDTH), dtype=self.ids.dtype)])
        for point in np.unique(points[self.lengths[points] == 0]):
            ids = self.vocab.encode(tokenize(chr(point), self.vocab.tokenizer))  # unknown: UnknownTokensError
            self.ids[point, :len(ids)] = ids
            self.lengths[point] = len(ids)
        rows, lengths = self.ids[points], self.lengths[points]
        return rows[np.arange(self.WIDTH) < lengths[:, None]]


def encode_to_file(source, vocab, path) -> np.ndarray:
    """The corpus's token ids, written to ``path`` a block at a time and returned as a read-only
    memory map: a corpus of any size trains without its decomposed text or its ids in memory."""
    from namuweb.text.vocab import iter_text
    path = Path(path)
    if not path.exists():
        encoder = _CharacterEncoder(vocab)

        def write(out):
            for text in iter_text(source):
                out.write(encoder.encode(text).tobytes())
        storage.atomic_write(path, write)
    if path.stat().st_size == 0:
        return np.zeros(0, dtype=vocab.dtype)
    return np.memmap(path, dtype=vocab.dtype, mode="r")


def batch_stream(chunks: np.ndarray, batch: int, *, seed: int = 0, start_step: int = 0) -> Iterator[tuple]:
    """Endless ``(chunk[:, :-1], chunk[:, 1:])`` batches, epoch after epoch, from global step ``start_step``.

    Step ``s`` is batch ``s mod P`` of epoch ``s div P`` (``P`` whole batches per epoch, the
    remainder dropped as the tutorial does), so a resumed run continues exactly where its
    checkpoint was.  ``chunks`` may be a memory map: only the rows of one batch are read."""
    per_epoch = batches_per_epoch(len(chunks), batch)
    epoch, index = divmod(start_step, per_epoch)
    while True:
        order = epoch_order(len(chunks), seed, epoch)
        for i in range(index, per_epoch):
            yield inputs_and_targets(chunks[order[i * batch:(i + 1) * batch]])
        epoch, index = epoch + 1, 0


TABLE_IN_MEMORY_BYTES = 64 * 2**20  # larger training data is read a batch at a time from its token file


def _file_rows(chunks: np.ndarray) -> tuple[str, int] | None:
    """``(path, byte offset of row 0)`` when ``chunks`` are contiguous rows of a memory-mapped file."""
    import mmap
    root = chunks
    while isinstance(root, np.ndarray) and not isinstance(root.base, mmap.mmap):
        root = root.base
    if not isinstance(root, np.memmap) or root.filename is None or not chunks.flags.c_contiguous:
        return None
    return root.filename, chunks.ctypes.data - root.ctypes.data + root.offset


def _row_reader(path: str, start: int, width: int, dtype):
    """Rows of a token file by index, with one ``pread`` each: unlike a memory map, the pages read
    do not stay in the process's memory, so a corpus of any size trains in the same memory."""
    row_bytes = width * np.dtype(dtype).itemsize
    fd = os.open(path, os.O_RDONLY)

    def read(indices: np.ndarray) -> np.ndarray:
        rows = np.empty((len(indices), width), dtype=dtype)
        for k, index in enumerate(indices):
            rows[k] = np.frombuffer(os.pread(fd, row_bytes, start + int(index) * row_bytes), dtype=dtype)
        return rows
    return read


def training_data(chunks: np.ndarray, batch: int, *, seed: int = 0, start_step: int = 0):
    """Endless training batches for Keras ``fit``, from global step ``start_step`` on.

    On TensorFlow each epoch's order is a stateless shuffle of (seed, epoch) in TensorFlow ops, so
    a resumed run continues its own order exactly. Chunks of up to :data:`TABLE_IN_MEMORY_BYTES`
    are one tensor, gathered in C++; larger ones (a memory-mapped token file) are read a batch at
    a time from the file, so memory does not grow with the corpus. Elsewhere it is
    :func:`batch_stream` (a NumPy order of its own)."""
    import keras
    if keras.backend.backend() != "tensorflow":
        return batch_stream(chunks, batch, seed=seed, start_step=start_step)
    import tensorflow as tf
    count, width = chunks.shape
    per_epoch = batches_per_epoch(count, batch)
    first_epoch, skip = divmod(start_step, per_epoch)
    source = _file_rows(chunks) if chunks.nbytes > TABLE_IN_MEMORY_BYTES else None
    if source is None:
        table = tf.constant(np.asarray(chunks))

        def rows(indices):
            return tf.gather(table, indices)
    else:
        read = _row_reader(*source, width, chunks.dtype)

        def rows(indices):
            block = tf.numpy_function(read, [indices], tf.as_dtype(chunks.dtype), stateful=False)
            block.set_shape([batch, width])
            return block

    def epoch_picks(epoch):
        noise = tf.random.stateless_uniform([count], seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        order = tf.argsort(noise)[:per_epoch * batch]
        return tf.data.Dataset.from_tensor_slices(tf.reshape(order, (per_epoch, batch)))

    def gather(indices):
        block = tf.cast(rows(indices), tf.int32)
        return block[:, :-1], block[:, 1:]

    picks = tf.data.Dataset.range(first_epoch, 2**62).flat_map(epoch_picks).skip(skip)
    return picks.map(gather).prefetch(2)


def validation_sample(chunks: np.ndarray, tokens: int = VALIDATION_TOKENS) -> np.ndarray:
    """At most ``tokens`` tokens of held-out chunks, spread evenly over the held-out part: validation
    costs the same on any corpus, so it can run often without slowing training."""
    if not len(chunks):
        return chunks
    count = min(len(chunks), max(1, tokens // (chunks.shape[1] - 1)))
    return np.asarray(chunks[np.linspace(0, len(chunks) - 1, count).round().astype(int)])


FLOOR_TRAINING_TOKENS = 5_000_000  # what the floor's counts are taken from: enough for a trigram, quick on any corpus
FLOOR_WEIGHTS = (0.6, 0.3, 0.09, 0.01)  # trigram, bigram, unigram, uniform


def trigram_floor(train: np.ndarray, sample: np.ndarray, vocab_size: int) -> float:
    """The quality floor of a run: the held-out loss (nats per token, on the trainer's own validation
    ``sample``, scored as it scores it: each chunk from its start) of an interpolated trigram count model of
    the training chunks.  A run whose model does not beat it has learned no more than which token follows
    the last two, and its text reads as noise; so it does not call itself finished.

    Jelinek-Mercer interpolation with fixed weights (:data:`FLOOR_WEIGHTS`); an order whose context was
    never seen gives its weight to the others.  Counts come from the first :data:`FLOOR_TRAINING_TOKENS`."""
    flat = np.asarray(train[:max(1, FLOOR_TRAINING_TOKENS // max(train.shape[1], 1))]).astype(np.int64).reshape(-1)
    v = np.int64(vocab_size)
    unigrams = np.bincount(flat, minlength=vocab_size).astype(np.float64)
    pairs = np.unique(flat[:-1] * v + flat[1:], return_counts=True)
    triples = np.unique((flat[:-2] * v + flat[1:-1]) * v + flat[2:], return_counts=True)

    def count(table, keys):
        found = np.searchsorted(table[0], keys)
        found = np.minimum(found, len(table[0]) - 1)
        return np.where(table[0][found] == keys, table[1][found], 0).astype(np.float64)

    block = np.asarray(sample).astype(np.int64)
    a = np.concatenate([np.full((len(block), 1), -1), block[:, :-2]], axis=1)  # -1: no token before a chunk's start
    b, c = block[:, :-1], block[:, 1:]
    a, b, c = a.reshape(-1), b.reshape(-1), c.reshape(-1)
    ab = np.where(a >= 0, count(pairs, np.maximum(a, 0) * v + b), 0.0)
    abc = count(triples, (np.maximum(a, 0) * v + b) * v + c)
    bc, nb = count(pairs, b * v + c), unigrams[b]
    weights = np.array(FLOOR_WEIGHTS)[None, :] * np.stack([ab > 0, nb > 0, np.ones_like(nb), np.ones_like(nb)], axis=1)
    weights /= weights.sum(axis=1, keepdims=True)
    probabilities = np.stack([np.divide(abc, ab, out=np.zeros_like(ab), where=ab > 0),
                              np.divide(bc, nb, out=np.zeros_like(nb), where=nb > 0),
                              unigrams[c] / max(len(flat), 1), np.full_like(nb, 1.0 / vocab_size)], axis=1)
    return float(-np.log((weights * probabilities).sum(axis=1)).mean())


def inputs_and_targets(chunks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(chunk[:, :-1], chunk[:, 1:])`` as int32, the pairs every batch is made of."""
    block = np.asarray(chunks).astype(np.int32)
    return block[:, :-1], block[:, 1:]
