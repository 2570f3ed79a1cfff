"""The tutorial's character-level LSTM: its settings, its data and its model.

The model is plain Keras 3 (Embedding → LSTM → Dense logits) so it runs on
TensorFlow by default and on JAX or PyTorch when ``KERAS_BACKEND`` says so.
The LSTM keeps cuDNN-eligible settings (tanh/sigmoid, no recurrent dropout,
dropout as separate layers) so a GPU gets the fast kernel automatically.

The corpus stays one compact integer array; batches are cut from it by
NumPy fancy indexing, never token by token in Python.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from namuweb import storage

PRESETS: dict[str, dict] = {
    # "A good model, fast": a time budget of training, so the promise holds on any machine.  Chosen on the
    # novels (bench/preset_sweep.py, 25 s, held-out bits per character; README): in 25 s many quick steps of a
    # narrow LSTM at a high rate beat a wide one (width, rate, batch, sequence, dropout, schedule swept); on the
    # built-in corpus the same settings win too.
    "demo": dict(embedding=64, units=128, layers=1, dropout=0.2, batch=32, seq_len=64,
                 learning_rate=0.02, epochs=None, steps=None, max_seconds=25, val_share=0.05),
    # "A better model in five minutes": wider than the quick demo, its learning rate decaying over the budget.
    # Chosen on the novels (bench/preset_sweep.py, 300 s, held-out bits per character; README): LSTM 256 with
    # light dropout at rate 0.01 beat LSTM 384 (dropout 0.2) and the earlier LSTM 512 with dropout 0.5 at 0.005,
    # which was chosen on the 65,000-character built-in corpus, where a model overfits within a minute.
    "better": dict(embedding=64, units=256, layers=1, dropout=0.1, batch=32, seq_len=64, learning_rate=0.01,
                   schedule="cosine", epochs=None, steps=None, max_seconds=300, val_share=0.05),
    # The tutorial's settings: Embedding(V,128) → LSTM(128) → Dense(V), batch 100 × 300 tokens, Adam.
    "tutorial": dict(embedding=128, units=128, layers=1, dropout=0.0, batch=100, seq_len=300,
                     learning_rate=0.001, epochs=1, steps=None, val_share=0.05),
}
SCHEDULES = ("constant", "cosine")
TOKENIZATIONS = ("jamo", "syllables")  # the tutorial's jamo and ᴥ, or whole characters
QUICK_DEMO_SECONDS_ENV = "NAMUWEB_QUICK_DEMO_SECONDS"


def preset_settings(preset: str) -> dict:
    """A preset's settings (``custom`` starts from the tutorial's); ``$NAMUWEB_QUICK_DEMO_SECONDS``
    sets the quick demo's time budget for a deployment."""
    settings = dict(PRESETS.get(preset, PRESETS["tutorial"]))
    if preset == "demo" and (seconds := os.environ.get(QUICK_DEMO_SECONDS_ENV, "").strip()):
        try:
            settings["max_seconds"] = float(seconds)
        except ValueError:
            raise ValueError(f"{QUICK_DEMO_SECONDS_ENV} must be a number of seconds, got {seconds!r}") from None
    return settings


def scheduled_rate(config: "TrainConfig", done: float) -> float:
    """The learning rate when ``done`` (0…1) of the run's budget is spent: constant, or a cosine
    from the configured rate down to a tenth of it at the end of the budget."""
    if config.schedule == "constant":
        return config.learning_rate
    done = min(max(done, 0.0), 1.0)
    return config.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * done)))


PRESET_LABELS = {"demo": "quick demo", "better": "better model (5 min)", "tutorial": "tutorial", "custom": "custom"}
PRESET_NAMES = (*PRESETS, "custom")  # in the order the Train page offers them

VALIDATION_TOKENS = 32_768  # per validation: a fixed sample, not a pass over the held-out share

LIMITS = {  # name: (minimum, maximum) — checked before anything is allocated
    "embedding": (1, 4096), "units": (1, 8192), "layers": (1, 8), "dropout": (0.0, 0.9),
    "batch": (1, 4096), "seq_len": (2, 10_000), "learning_rate": (1e-7, 1.0),
    "epochs": (1, 100_000), "steps": (1, 10_000_000), "val_share": (0.0, 0.5), "seed": (0, 2**31 - 1),
    "max_seconds": (1, 10**7),
}


def _bound(value) -> str:
    """A limit for a message: whole numbers in full (1048576, not 1.04858e+06), others short."""
    return str(value) if isinstance(value, int) else f"{value:g}"


@dataclass
class TrainConfig:
    corpus: str
    preset: str = "demo"
    embedding: int = 128
    units: int = 128
    layers: int = 1
    dropout: float = 0.0
    batch: int = 100
    seq_len: int = 300
    learning_rate: float = 0.001
    epochs: int | None = 1
    steps: int | None = None
    val_share: float = 0.05
    seed: int = 0
    mixed_precision: bool = False
    distribute: str = "auto"          # auto | none | mirrored | multiworker
    max_seconds: float | None = None  # a wall-clock budget: training stops once the run has trained this long
    schedule: str = "constant"        # constant | cosine (the learning rate decays to a tenth over the budget)
    tokenization: str = "jamo"        # jamo (the tutorial's: a syllable is its jamo and ᴥ) | syllables

    @classmethod
    def from_preset(cls, corpus: str, preset: str = "demo", **overrides) -> "TrainConfig":
        if preset not in PRESET_NAMES:
            raise ValueError(f"unknown preset {preset!r}; choose {', '.join(PRESET_NAMES)}")
        base = preset_settings(preset)
        base.update({k: v for k, v in overrides.items() if v is not None})
        if overrides.get("steps") is not None and overrides.get("epochs") is None:
            base["epochs"] = None
        if overrides.get("epochs") is not None and overrides.get("steps") is None:
            base["steps"] = None
        if overrides.get("max_seconds") is not None and overrides.get("epochs") is None \
                and overrides.get("steps") is None:  # only a time budget: as many steps as it allows
            base["epochs"], base["steps"] = None, None
        elif overrides.get("max_seconds") is None and (overrides.get("epochs") is not None
                                                        or overrides.get("steps") is not None):
            base["max_seconds"] = None  # a step or epoch budget given replaces a preset's time budget
        return cls(corpus=corpus, preset=preset, **base).validated()

    def validated(self) -> "TrainConfig":
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if value is None and name in ("epochs", "steps", "max_seconds"):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ValueError(f"{name.replace('_', ' ')} must be between {_bound(low)} and {_bound(high)}, "
                                 f"not {value!r}")
        if self.epochs is None and self.steps is None and self.max_seconds is None:
            raise ValueError("give a number of epochs, a step budget or a time budget")
        if self.tokenization not in TOKENIZATIONS:
            raise ValueError(f"tokenization must be {' or '.join(TOKENIZATIONS)}, not {self.tokenization!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be {' or '.join(SCHEDULES)}, not {self.schedule!r}")
        if self.distribute not in ("auto", "none", "mirrored", "multiworker"):
            raise ValueError(f"distribute must be auto, none, mirrored or multiworker, not {self.distribute!r}")
        return self

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "TrainConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names}).validated()


class CorpusTooSmall(ValueError):
    """The corpus does not fill one training batch; the message names tokens needed and available."""


class TooLargeForMemory(ValueError):
    """The model and batch would not fit this machine's memory; the message says how much they need."""


def _validation_chunks(count: int, val_share: float) -> int:
    return min(count - 1, max(1, round(count * val_share))) if val_share > 0 and count > 1 else 0


def tokens_needed(config: "TrainConfig") -> int:
    """The fewest tokens whose ``seq_len + 1`` chunks leave one full batch after the validation share."""
    count = config.batch
    while count - _validation_chunks(count, config.val_share) < config.batch:
        count += 1
    return count * (config.seq_len + 1)


def check_corpus_size(tokens: int, config: "TrainConfig") -> None:
    """Refuse, before any job starts, a corpus that cannot fill one batch."""
    needed = tokens_needed(config)
    if tokens < needed:
        share = f" plus a validation share of {config.val_share:g}" if config.val_share else ""
        raise CorpusTooSmall(
            f"corpus too small: one batch of {config.batch} × {config.seq_len + 1} tokens{share} needs at least "
            f"{needed:,} tokens, and this corpus has {tokens:,}; lower the batch size or the sequence length, "
            "or pick a larger corpus")


def steps_per_epoch(tokens: int, config: "TrainConfig") -> int:
    """Training batches per epoch of a corpus of ``tokens`` tokens (as ``Split.of`` cuts it)."""
    count = tokens // (config.seq_len + 1)
    return (count - _validation_chunks(count, config.val_share)) // config.batch


def parameter_count(vocab_size: int, config: "TrainConfig") -> int:
    inputs = [config.embedding] + [config.units] * (config.layers - 1)
    lstm = sum(4 * config.units * (width + config.units + 1) for width in inputs)
    return vocab_size * config.embedding + lstm + config.units * vocab_size + vocab_size


def memory_needed(vocab_size: int, config: "TrainConfig") -> int:
    """A rough upper estimate of training memory in bytes: weights, gradients and Adam's two moments
    (4 copies of every parameter), plus the activations one batch keeps for backpropagation
    (embedding, about 6 values per LSTM unit and step, and logits, softmax and their gradient)."""
    per_token = config.embedding + 6 * config.units * config.layers + 3 * vocab_size
    activations = config.batch * config.seq_len * per_token
    return 4 * (4 * parameter_count(vocab_size, config) + activations)


def available_memory() -> int:
    """This machine's physical memory in bytes (0 if unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def check_memory(vocab_size: int, config: "TrainConfig", available: int | None = None) -> None:
    """Refuse settings whose estimate exceeds this machine's memory, before anything is allocated."""
    available = available_memory() if available is None else available
    needed = memory_needed(vocab_size, config)
    if available and needed > available:
        raise TooLargeForMemory(
            f"too large for this machine: {config.layers} layer(s) of {config.units:,} units with batch "
            f"{config.batch} × {config.seq_len:,} tokens need about {needed / 2**30:,.1f} GiB to train "
            f"({parameter_count(vocab_size, config):,} parameters), and this machine has "
            f"{available / 2**30:,.1f} GiB; lower the units, layers, batch size or sequence length")


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
        n_val = _validation_chunks(count, val_share)
        split = cls(train=chunks[:count - n_val], val=chunks[count - n_val:])
        if len(split.train) < batch:
            check_corpus_size(len(ids), TrainConfig(corpus="", batch=batch, seq_len=seq_len, val_share=val_share))
        return split

    def steps_per_epoch(self, batch: int) -> int:
        return len(self.train) // batch


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
    per_epoch = len(chunks) // batch
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
    per_epoch = count // batch
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


def build_model(vocab_size: int, config: TrainConfig):
    import keras
    from keras import layers

    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab_size, config.embedding, name="embedding")(tokens)
    for i in range(config.layers):
        if config.dropout:
            x = layers.Dropout(config.dropout, name=f"dropout_{i}")(x)
        x = layers.LSTM(config.units, return_sequences=True, recurrent_initializer="glorot_uniform",
                        name=f"lstm_{i}")(x)
    if config.dropout:
        x = layers.Dropout(config.dropout, name="dropout_out")(x)
    logits = layers.Dense(vocab_size, dtype="float32", name="logits")(x)
    return keras.Model(tokens, logits, name="char_lstm")


def compile_model(model, config: TrainConfig) -> None:
    import keras

    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))


def flops_per_token(vocab_size: int, config: TrainConfig) -> float:
    """Forward + backward multiply-adds per token, for the time estimate shown before training."""
    lstm = 4 * config.units * (config.embedding + config.units)
    lstm += 4 * config.units * (2 * config.units) * (config.layers - 1)
    return 3 * 2 * (lstm + config.units * vocab_size)


def estimate_seconds_per_step(vocab_size: int, config: TrainConfig, flops_per_second: float) -> float:
    return config.batch * config.seq_len * flops_per_token(vocab_size, config) / flops_per_second


UNBOUNDED_STEPS = LIMITS["steps"][1]  # the "total" of a run that has only a time budget


def planned_steps(config: TrainConfig, tokens: int) -> int:
    """The steps a run of ``config`` on a corpus of ``tokens`` jamo tokens trains (``seq_len + 1``-token
    chunks, the validation share held out, whole batches per epoch) unless a time budget ends it first."""
    return total_steps(config, steps_per_epoch(tokens, config))


def total_steps(config: TrainConfig, steps_per_epoch: int) -> int:
    """The steps a run trains unless its time budget ends it first (``UNBOUNDED_STEPS`` with only that)."""
    if config.steps is None and config.epochs is None:
        return UNBOUNDED_STEPS
    if config.steps is not None:
        return config.steps if config.epochs is None else min(config.steps, config.epochs * steps_per_epoch)
    return config.epochs * steps_per_epoch
