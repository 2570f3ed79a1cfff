"""Sampling new text from a trained char-LSTM, one token at a time.

The tutorial calls the whole Keras model eagerly for every token (bench/generate.py
measures how slow that is on this machine).  Here the trained weights are read straight out of the ``.keras``
checkpoint (a zip holding an HDF5 file) and one LSTM step is a handful of
NumPy operations on an explicit ``(h, c)`` state, so generating needs no
TensorFlow import and runs thousands of tokens a second.  The first layer's
input projection is folded into the embedding table (``E @ W + b``), since a
token's embedding only ever feeds that product.

Several samples run together as one batch, each with its own temperature.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from namuweb.text import hangul

from namuweb.language_model import runs
from namuweb.language_model.decoding import Decoder, Decoding, probabilities, repeated_ngram_share
from namuweb.language_model.run_folder import KERAS_WEIGHTS, Run, RunError
from namuweb.text.syllable_grammar import AFTER_INITIAL, AFTER_VOWEL, BETWEEN
from namuweb.text.vocab import Vocabulary, detokenize, tokenize

DEFAULT_START = "한국에서는"
CHECK_EVERY = 64


class StartTextError(ValueError):
    """A start text the model cannot be primed with; one line for the user."""


class CheckpointError(RunError):
    """A checkpoint that cannot be used: damaged on disk, or not matching the run's vocabulary."""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # the logistic function, without overflow warnings


@dataclass
class Weights:
    embedding: np.ndarray
    lstm: list[tuple[np.ndarray, np.ndarray, np.ndarray]]   # (kernel, recurrent_kernel, bias) per layer
    dense: tuple[np.ndarray, np.ndarray]

    @property
    def units(self) -> list[int]:
        return [recurrent.shape[0] for _, recurrent, _ in self.lstm]


def _suffix(name: str) -> int:
    match = re.search(r"_(\d+)$", name)
    return int(match.group(1)) if match else 0


def read_weights(checkpoint: Path) -> Weights:
    """The model's weights from a ``.keras`` archive, without loading Keras.

    A truncated or otherwise damaged file is a ``CheckpointError`` naming the file."""
    try:
        return _read_weights(checkpoint)
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, StopIteration, ValueError, zlib.error) as error:
        raise CheckpointError(f"the checkpoint {Path(checkpoint).name} is damaged (truncated or not a complete "
                              f"Keras archive: {type(error).__name__}: {error}); resume the run to rewrite it "
                              "from an earlier checkpoint, or train again") from None


def _read_weights(checkpoint: Path) -> Weights:
    with zipfile.ZipFile(checkpoint) as archive:
        import h5py
        with h5py.File(io.BytesIO(archive.read(KERAS_WEIGHTS)), "r") as f:
            layers = f["layers"]
            names = list(layers)
            lstm_names = sorted((n for n in names if n.startswith("lstm")), key=_suffix)
            dense_name = next(n for n in names if n.startswith("dense"))
            lstm = [tuple(np.asarray(layers[n]["cell"]["vars"][str(i)], dtype=np.float32) for i in range(3))
                    for n in lstm_names]
            return Weights(embedding=np.asarray(layers["embedding"]["vars"]["0"], dtype=np.float32),
                           lstm=lstm,
                           dense=(np.asarray(layers[dense_name]["vars"]["0"], dtype=np.float32),
                                  np.asarray(layers[dense_name]["vars"]["1"], dtype=np.float32)))


@dataclass
class State:
    h: list[np.ndarray]
    c: list[np.ndarray]


class CharLSTM:
    """A NumPy forward pass of Embedding → LSTM × L → Dense, one step at a time."""

    def __init__(self, weights: Weights):
        self.weights = weights
        kernel, _, bias = weights.lstm[0]
        self.input_table = weights.embedding @ kernel + bias   # (V, 4U): embedding folded into layer 0

    def initial_state(self, batch: int) -> State:
        return State(h=[np.zeros((batch, u), np.float32) for u in self.weights.units],
                     c=[np.zeros((batch, u), np.float32) for u in self.weights.units])

    def step(self, tokens: np.ndarray, state: State) -> np.ndarray:
        """Logits for the next token after ``tokens`` (one per sample); updates ``state`` in place."""
        return self.logits(self.advance(tokens, state))

    def logits(self, output: np.ndarray) -> np.ndarray:
        """The dense layer: next-token logits from the last layer's output."""
        kernel, bias = self.weights.dense
        return output @ kernel + bias

    def advance(self, tokens: np.ndarray, state: State) -> np.ndarray:
        """Read ``tokens`` (one per sample) through the LSTM layers, updating ``state`` in place;
        returns the last layer's output."""
        x = None
        for layer, (kernel, recurrent, bias) in enumerate(self.weights.lstm):
            if layer == 0:
                z = self.input_table[tokens] + state.h[0] @ recurrent
            else:
                z = x @ kernel + state.h[layer] @ recurrent + bias
            u = recurrent.shape[0]
            gates = _sigmoid(z)  # i, f and o; the g slice is recomputed with tanh below
            c = gates[:, u:2 * u] * state.c[layer] + gates[:, :u] * np.tanh(z[:, 2 * u:3 * u])
            x = gates[:, 3 * u:] * np.tanh(c)
            state.h[layer], state.c[layer] = x, c
        return x


def mean_cross_entropy(model: CharLSTM, chunks: np.ndarray, rows_at_once: int = 256) -> float:
    """Mean cross-entropy per token (nats) of ``model`` on ``chunks`` (each ``[x..., last target]``, read
    from a zero state, as Keras's ``evaluate`` reads them): the validation loss without TensorFlow."""
    chunks = np.asarray(chunks, dtype=np.int64)
    total, count = 0.0, 0
    for first in range(0, len(chunks), rows_at_once):
        block = chunks[first:first + rows_at_once]
        inputs, targets = block[:, :-1], block[:, 1:]
        state = model.initial_state(len(block))
        rows = np.arange(len(block))
        for t in range(inputs.shape[1]):
            logits = model.step(inputs[:, t], state).astype(np.float64)
            top = logits.max(axis=1)
            log_total = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
            total += float((log_total - logits[rows, targets[:, t]]).sum())
        count += targets.size
    return total / count if count else float("nan")


@dataclass
class PreparedStart:
    text: str                 # what the output starts with
    ids: list[int]
    missing: list[str] = field(default_factory=list)   # characters the vocabulary lacks
    mapped_to_unk: bool = False


def prepare_start(start: str, vocab: Vocabulary) -> PreparedStart:
    """Token ids of a start text; characters the model never saw are named, then mapped
    to ``<unk>`` (if the model has one) or skipped, so generation still runs."""
    index = vocab.index()
    if hangul.MARK in start and vocab.tokenizer == "jamo":
        raise StartTextError(
            f"the start text contains {hangul.MARK} (U+1D25), the end-of-syllable mark the model writes after "
            "every syllable; it cannot be part of a start text — remove it")
    stream = tokenize(start, vocab.tokenizer)
    missing = sorted({t for t in stream if t not in index})
    if vocab.unk:
        ids = [index.get(t, vocab.unk_id) for t in stream]
    else:
        ids = [index[t] for t in stream if t in index]
    text = start
    if not vocab.unk and missing:
        text = detokenize("".join(t for t in stream if t in index), vocab.tokenizer)
    if not ids:
        fallback = "\n" if "\n" in index else vocab.chars[0]
        ids, text = [index[fallback]], text if text.strip() else ""
    return PreparedStart(text=text, ids=ids, missing=missing, mapped_to_unk=bool(vocab.unk and missing))


@dataclass
class Sample:
    """One sample as it grows: its jamo tokens and their text.

    The text is composed incrementally: everything up to the last token after which no later token
    can change a syllable (a ``ᴥ`` or a token that is no jamo) is composed once and kept, so reading
    the text after every few tokens costs time linear in the sample, not quadratic."""

    start: str
    tokens: list[str] = field(default_factory=list)
    tokenizer: str = "jamo"  # "char": each token is a character already
    _settled_text: str = field(default="", repr=False, compare=False)
    _settled: int = field(default=0, repr=False, compare=False)
    _read: tuple[int, str] = field(default=(-1, ""), repr=False, compare=False)  # (tokens, text) last composed

    @property
    def stream(self) -> str:
        return "".join(self.tokens)

    @property
    def continuation(self) -> str:
        """The new text; read again with no token added or taken away, the same string without composing
        (a stream's update reads it twice: for the page and for its own length check)."""
        if self._read[0] == len(self.tokens):
            return self._read[1]
        text = self._compose()
        self._read = (len(self.tokens), text)
        return text

    def _compose(self) -> str:
        if self.tokenizer != "jamo":
            return "".join(self.tokens)
        tokens, settled = self.tokens, self._settled
        if settled > len(tokens):  # the tokens were replaced: start over
            settled, self._settled_text = 0, ""
        boundary = settled
        jamo = _jamo()
        for i in range(len(tokens) - 1, settled - 1, -1):
            if tokens[i] == hangul.MARK or tokens[i] not in jamo:
                boundary = i + 1
                break
        if boundary > settled:
            self._settled_text += hangul.compose("".join(tokens[settled:boundary]))
        self._settled = boundary
        return self._settled_text + hangul.compose("".join(tokens[boundary:]))

    @property
    def text(self) -> str:
        return self.start + self.continuation

    @property
    def repeated_4gram_share(self) -> float:
        """The share of the new text's syllable 4-grams (four characters ending in a Hangul syllable) that
        occur more than once in it: near 0 for fresh text, near 1 for a loop."""
        return repeated_ngram_share(self.continuation, 4)

    def replace_tokens(self, tokens: list[str]) -> None:
        self.tokens, self._settled_text, self._settled, self._read = tokens, "", 0, (-1, "")

    def drop_last(self) -> None:
        """Take away the last token (an open syllable's jamo when the budget ran out)."""
        self.tokens.pop()
        self._read = (-1, "")


@functools.cache
def _jamo() -> frozenset[str]:
    initials, vowels, finals = hangul.jamo_classes()
    return initials | vowels | finals


class Generator:
    def __init__(self, weights: Weights, vocab: Vocabulary):
        self.model = CharLSTM(weights)
        self.vocab = vocab
        self.symbols = [hangul.REPLACEMENT if c == vocab.unk else c for c in vocab.chars]

    def _prime(self, ids: list[int], batch: int) -> tuple[State, np.ndarray]:
        state = self.model.initial_state(batch)
        logits = None
        for token in ids:
            logits = self.model.step(np.full(batch, token), state)
        return state, logits

    def next_token_table(self, start: str, temperature: float, top_k: int = 0, top_p: float = 1.0,
                         top: int = 10, after: Sequence[str] = ()) -> list[dict]:
        """The ``top`` most likely next tokens after ``start`` (and the tokens ``after`` it, picked one
        at a time) at temperature 1 and at ``temperature``."""
        prepared = prepare_start(start, self.vocab)
        index = self.vocab.index()
        symbols = {symbol: i for i, symbol in enumerate(self.symbols)}
        _, logits = self._prime(prepared.ids + [symbols.get(t, index.get(t, 0)) for t in after], 1)
        plain = probabilities(logits[0], 1.0)
        tuned = probabilities(logits[0], temperature, top_k, top_p)
        best = np.argsort(-np.maximum(plain, tuned))[:top]
        return [{"token": self.symbols[i], "temperature 1": float(plain[i]),
                 f"your temperature {temperature:g}": float(tuned[i])} for i in best]

    def written(self, start: str, after: Sequence[str]) -> str:
        """The text of ``start`` followed by tokens picked one at a time (jamo recomposed as they close)."""
        return prepare_start(start, self.vocab).text + detokenize("".join(after), self.vocab.tokenizer)

    def stream(self, start: str, length: int, temperatures: list[float], *, seed: int | None = None,
               top_k: int = 0, top_p: float = 1.0, every: int = CHECK_EVERY,
               decoding: Decoding | None = None) -> Iterator[list[Sample]]:
        """Generate ``len(temperatures)`` samples of ``length`` new characters each (at most, with a
        stop), yielding the samples every ``every`` tokens and once at the end.  ``decoding``: the
        well-formed mask (on by default), the repetition penalty, the n-gram ban and the stop
        (:mod:`namuweb.language_model.decoding`)."""
        if length < 1:
            raise ValueError("length must be at least 1 character")
        decoding = (decoding or Decoding()).validated()
        prepared = prepare_start(start, self.vocab)
        batch = len(temperatures)
        rng = np.random.default_rng(seed)
        kernel, dense_bias = self.model.weights.dense
        decoder = Decoder(self.symbols, self.vocab.tokenizer, decoding, temperatures, rng, top_k=top_k, top_p=top_p,
                          unk_id=self.vocab.unk_id, start=prepared.ids, dense_bias=dense_bias)
        folded = decoder.dense_bias is not None  # the default path: the step's bias comes with the sampling noise
        start_text, open_tokens = prepared.text, []
        if decoder.grammar is not None and decoder.start_state != BETWEEN:
            # The start text ends in a syllable's first jamo (typed ``한국ㅇ``): the model finishes that
            # syllable, so the sample's text composes it whole instead of leaving the jamo loose.
            count = {AFTER_INITIAL: 1, AFTER_VOWEL: 2}.get(decoder.start_state, 3)
            open_tokens = [self.symbols[i] for i in prepared.ids[-count:]]
            start_text = prepared.text[:-count] if prepared.text.endswith("".join(open_tokens)) else prepared.text
        samples = [Sample(start=start_text, tokens=list(open_tokens), tokenizer=self.vocab.tokenizer)
                   for _ in temperatures]
        state, logits = self._prime(prepared.ids, batch)
        if folded:
            logits = logits - dense_bias
        done = [False] * batch
        step = 0
        max_tokens = 8 * length + 64
        stops = decoding.stop_at is not None
        symbols, advance = self.symbols, self.model.advance
        writing = [(b, sample.tokens.append) for b, sample in enumerate(samples)]  # the samples not yet done
        if folded:  # the default path: the decoder's choice and noise, called here with nothing between
            choose, noises = decoder.lean_draw()
            choices = np.zeros(batch, dtype=np.int64)
        while writing and step < max_tokens:
            if folded:
                picked = choose(logits, next(noises), choices)
            else:
                choices = decoder.pick(logits)
                picked = decoder.picked
            for b, append in writing:
                if stops and decoder.stopped(b):
                    done[b] = True  # the token that ended it (a new line, a space after a full stop) is not written
                else:
                    append(symbols[picked[b]])
            if folded:  # CharLSTM.step without its "+ bias", which the decoder's noise holds
                logits = advance(choices, state) @ kernel
            else:
                logits = self.model.step(choices, state)
            step += 1
            if stops or step % every == 0:
                if step % every == 0:
                    for b, sample in enumerate(samples):
                        done[b] = done[b] or _complete(sample, length)
                    yield samples
                writing = [(b, append) for b, append in writing if not done[b]]
        for sample in samples:
            if decoder.grammar is not None:  # ended by the token budget mid-syllable: the open syllable goes
                while sample.tokens and sample.tokens[-1] in _jamo():
                    sample.drop_last()
            _trim(sample, length)
        yield samples

    def generate(self, start: str = DEFAULT_START, length: int = 300, temperature: float = 1.0, *,
                 samples: int = 1, seed: int | None = None, top_k: int = 0, top_p: float = 1.0,
                 decoding: Decoding | None = None) -> list[Sample]:
        result = None
        for result in self.stream(start, length, [temperature] * samples, seed=seed, top_k=top_k, top_p=top_p,
                                  decoding=decoding):
            pass
        return result


def _complete(sample: Sample, length: int) -> bool:
    """Past ``length`` characters with no syllable still open, so the first ``length`` are final."""
    return len(sample.continuation) > length and sample.tokens[-1] not in _jamo()


def _trim(sample: Sample, length: int) -> None:
    """Keep exactly ``length`` new characters; the token stream becomes that text's jamo."""
    sample.replace_tokens(list(tokenize(sample.continuation[:length], sample.tokenizer)))


def check_match(weights: Weights, vocab: Vocabulary, where: str) -> None:
    """The vocabulary must be the one the model was trained with: as many tokens as embedding rows
    and output logits, else the ids would index the wrong rows (garbage) or past the end (a crash)."""
    rows, outputs = weights.embedding.shape[0], weights.dense[0].shape[1]
    if not rows == outputs == vocab.size:
        raise CheckpointError(
            f"{where}: vocab.json has {vocab.size:,} tokens but the checkpoint's model has {rows:,} embedding rows "
            f"and {outputs:,} outputs — the vocabulary does not belong to this model; restore the run's own "
            "vocab.json or train a new run")


@functools.lru_cache(maxsize=8)
def _load(run_dir: str, checkpoint: str) -> Generator:
    run = Run(run_dir)
    path = run.path
    file = run.checkpoint_path(checkpoint)
    if file is None:
        raise CheckpointError(f"run {path.name}: its checkpoint {checkpoint} has gone; reload the page")
    weights = read_weights(file)
    try:
        vocab = run.vocab()
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"run {path.name}: its vocab.json is missing or damaged ({error})") from None
    check_match(weights, vocab, f"run {path.name}")
    return Generator(weights, vocab)


def load_generator(run_dir: Path) -> Generator:
    """The generator of a run's latest checkpoint, cached per run and checkpoint."""
    latest = Run(run_dir).latest_checkpoint()
    if latest is None:
        raise RunError(f"{Path(run_dir).name} has no checkpoint yet: train it first")
    return _load(str(Path(run_dir).resolve()), latest["file"])


def usable_runs(home: Path | None = None) -> list[runs.RunInfo]:
    """Runs with a checkpoint that are not training right now, best first: lowest held-out bits per
    character (comparable across tokenizations), runs never validated last, newest first among equals."""
    usable = [info for info in runs.list_runs(home)
              if not info.active and Run(info.path).latest_checkpoint()]
    return sorted(usable, key=lambda info: (info.best_val_bits_per_char is None,
                                            info.best_val_bits_per_char or 0.0))

