"""Looking inside a trained char-LSTM: how surprised it is by each character of a text, and which of
its cells track something a person can name.

Both come from one NumPy forward pass over the text (no TensorFlow in the server) that keeps every
step's state.  Surprisal is the model's own next-token probability read back, in bits, summed over
a character's tokens.  The cell finder correlates every cell of every layer with simple, named
features of the token stream, after Karpathy, Johnson and Fei-Fei, "Visualizing and Understanding
Recurrent Networks" (2015), and LSTMVis: a cell that counts open parentheses or knows where in a
syllable it is stands out by its correlation.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import numpy as np

from namuweb.language_model.generate import Generator
from namuweb.text import hangul
from namuweb.text.vocab import tokenize

TOP_GUESSES = 5
MAX_CHARACTERS = 20_000  # a page's text box: bounded so one forward pass over it takes seconds, not minutes
CONTEXT = "\n"  # what the model has read before the text: the start of a line, as generation begins

_OPENING, _CLOSING = "(（", ")）"
_QUOTES = {'"': '"', "“": "”", "‘": "’", "「": "」", "『": "』", "'": "'"}


@dataclass
class Trace:
    """One text read by one model, token by token."""

    text: str
    tokenizer: str
    tokens: list[str]          # the text's tokens (jamo and ᴥ, or characters), one per step
    char_index: np.ndarray     # (T,) the character of ``text`` each token belongs to
    known: np.ndarray          # (T,) the model's vocabulary has the token (an unknown one is skipped)
    bits: np.ndarray           # (T,) surprisal of each token given all before it, in bits (nan: unknown)
    guesses: list[list[tuple[str, float]]]  # the model's top guesses before each token, with probabilities
    cells: list[np.ndarray]    # per layer, (T, units): tanh of the cell state after each token (float16)

    @property
    def layers(self) -> int:
        return len(self.cells)


@dataclass
class CharacterSurprisal:
    char: str
    bits: float | None                 # None: a character the model has no token for
    tokens: list[tuple[str, float]]    # its tokens with their bits (the jamo breakdown)
    guesses: list[tuple[str, float]]   # what the model expected at its first token


@dataclass
class CellMatch:
    feature: str
    layer: int  # 0-based
    cell: int   # 0-based
    r: float    # Pearson correlation of the cell's activation with the feature, over the text's tokens

    @property
    def label(self) -> str:
        return f"layer {self.layer + 1} · cell {self.cell}"


def trace(generator: Generator, text: str) -> Trace:
    """Feed ``text`` (after ``CONTEXT``) through the model, keeping each step's cell states and the
    probabilities it gave each token before seeing it."""
    if len(text) > MAX_CHARACTERS:
        raise ValueError(f"the text has {len(text):,} characters; inspect at most {MAX_CHARACTERS:,} at a time")
    vocab, weights = generator.vocab, generator.model.weights
    tokenizer = vocab.tokenizer
    index = vocab.index()
    tokens, char_index = [], []
    for position, char in enumerate(text):
        for token in tokenize(char, tokenizer):
            tokens.append(token)
            char_index.append(position)
    ids = np.array([index.get(t, vocab.unk_id if vocab.unk else -1) for t in tokens], dtype=np.int64)
    known = ids >= 0
    context = [index[t] for t in tokenize(CONTEXT, tokenizer) if t in index]
    model, units = generator.model, weights.units
    state = model.initial_state(1)
    output = state.h[-1]
    for token in context:
        output = model.advance(np.array([token]), state)
    before = np.zeros((len(tokens), units[-1]), np.float32)  # the last layer's output before each token
    cells = [np.zeros((len(tokens), u), np.float32) for u in units]
    step = np.zeros(1, dtype=np.int64)
    for t, token in enumerate(ids):
        before[t] = output[0]
        if token >= 0:  # an unknown token is skipped: the state reads on past it
            step[0] = token
            output = model.advance(step, state)
        for layer, c in enumerate(state.c):
            cells[layer][t] = c[0]
    cells = [np.tanh(block).astype(np.float16) for block in cells]  # enough for colours and correlations
    logits = model.logits(before).astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    bits = np.full(len(tokens), np.nan)
    bits[known] = -log_probs[np.flatnonzero(known), ids[known]] / math.log(2)
    top = np.argsort(-log_probs, axis=1)[:, :TOP_GUESSES]
    symbols = generator.symbols
    guesses = [[(symbols[i], float(np.exp(log_probs[t, i]))) for i in row] for t, row in enumerate(top)]
    return Trace(text=text, tokenizer=tokenizer, tokens=tokens, char_index=np.array(char_index, dtype=np.int64),
                 known=known, bits=bits, guesses=guesses, cells=cells)


def characters(traced: Trace) -> list[CharacterSurprisal]:
    """Each character of the text with its surprisal (the sum over its tokens) and its breakdown."""
    result = [CharacterSurprisal(char, 0.0, [], []) for char in traced.text]
    for t, position in enumerate(traced.char_index):
        entry = result[position]
        if not entry.tokens:
            entry.guesses = traced.guesses[t]
        entry.tokens.append((traced.tokens[t], float(traced.bits[t])))
        if not traced.known[t]:
            entry.bits = None
        elif entry.bits is not None:
            entry.bits += float(traced.bits[t])
    return result


def token_features(traced: Trace) -> dict[str, np.ndarray]:
    """Named features of each token: where it is in its syllable (jamo runs only), whether it is
    inside parentheses or quotes, after a space, how far from the line's start, and what kind of
    character it belongs to."""
    text, positions = traced.text, traced.char_index
    depth = np.zeros(len(text))
    quoted = np.zeros(len(text))
    after_space = np.zeros(len(text))
    column = np.zeros(len(text))
    open_parens, open_quote, line_start = 0, None, 0
    for i, char in enumerate(text):
        depth[i] = open_parens > 0
        quoted[i] = open_quote is not None
        after_space[i] = i > 0 and text[i - 1] == " "
        column[i] = i - line_start
        if char in _OPENING:
            open_parens += 1
        elif char in _CLOSING:
            open_parens = max(0, open_parens - 1)
        if open_quote is not None and char == _QUOTES[open_quote]:
            open_quote = None
        elif open_quote is None and char in _QUOTES:
            open_quote = char
        if char == "\n":
            line_start = i + 1
    kinds = np.array([_kind(char) for char in text]) if text else np.zeros(0, dtype="<U1")
    features = {
        "inside parentheses": depth[positions],
        "inside quotes": quoted[positions],
        "after a space": after_space[positions],
        "distance from line start": column[positions],
        "Hangul": (kinds == "h")[positions].astype(float),
        "digit": (kinds == "d")[positions].astype(float),
        "Latin": (kinds == "l")[positions].astype(float),
    }
    if traced.tokenizer == "jamo":
        roles = _syllable_roles(traced)
        for role in ("initial", "vowel", "final", "syllable end (ᴥ)"):
            features[role] = (roles == role).astype(float)
    return features


def _kind(char: str) -> str:
    if hangul.is_syllable(char) or "\u3131" <= char <= "\u318e":
        return "h"
    if char.isdigit():
        return "d"
    if char.isascii() and char.isalpha():
        return "l"
    return "o"


def _syllable_roles(traced: Trace) -> np.ndarray:
    """Initial, vowel, final or ᴥ for each token of a syllable; "" for the rest."""
    roles = np.full(len(traced.tokens), "", dtype=object)
    t = 0
    while t < len(traced.tokens):
        position = traced.char_index[t]
        end = t
        while end + 1 < len(traced.tokens) and traced.char_index[end + 1] == position:
            end += 1
        if hangul.is_syllable(traced.text[position]):
            count = end - t + 1
            roles[t], roles[t + 1], roles[end] = "initial", "vowel", "syllable end (ᴥ)"
            if count == 4:
                roles[t + 2] = "final"
        t = end + 1
    return roles


def find_cells(traced: Trace, top: int = 3) -> dict[str, list[CellMatch]]:
    """For each feature, the ``top`` cells of all layers whose activation over the text correlates
    most strongly with it (positively or negatively).  A feature that does not vary in the text
    (no parentheses, no digits …) has no cells."""
    known = traced.known
    activations = np.concatenate(traced.cells, axis=1)[known].astype(np.float64)
    where = [(layer, cell) for layer, block in enumerate(traced.cells) for cell in range(block.shape[1])]
    found = {}
    if len(activations) < 3:
        return found
    centred = activations - activations.mean(axis=0)
    spread = np.sqrt((centred ** 2).sum(axis=0))
    for name, values in token_features(traced).items():
        values = values[known] - values[known].mean()
        norm = math.sqrt(float(values @ values))
        if norm == 0:
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (values @ centred) / (norm * spread)
        r = np.nan_to_num(r)
        best = np.argsort(-np.abs(r))[:top]
        found[name] = [CellMatch(name, where[i][0], where[i][1], float(r[i])) for i in best]
    return found


def cell_activation(traced: Trace, layer: int, cell: int) -> list[float | None]:
    """One cell's activation at each character: its value after the character's last token."""
    values: list[float | None] = [None] * len(traced.text)
    column = traced.cells[layer][:, cell]
    for t, position in enumerate(traced.char_index):
        values[position] = float(column[t])
    return values


@dataclass
class Inspection:
    """A text as one run's model read it: the trace, each character's surprisal and their mean."""

    run: str
    trace: Trace
    characters: list[CharacterSurprisal]
    bits_per_character: float | None

    def save(self, path) -> None:
        """Into one ``.npz`` of plain arrays (the cells' states) and JSON (the rest): how a sampler process
        hands a trace to the server, which never unpickles anything."""
        trace = self.trace
        about = {"run": self.run, "bits_per_character": self.bits_per_character, "text": trace.text,
                 "tokenizer": trace.tokenizer, "tokens": trace.tokens, "guesses": trace.guesses,
                 "layers": len(trace.cells), "characters": [asdict(c) for c in self.characters]}
        with open(path, "wb") as out:
            np.savez(out, char_index=trace.char_index, known=trace.known, bits=trace.bits,
                     about=np.frombuffer(json.dumps(about, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
                     **{f"cells_{layer}": cells for layer, cells in enumerate(trace.cells)})

    @classmethod
    def load(cls, path) -> Inspection:
        with np.load(path, allow_pickle=False) as stored:
            about = json.loads(stored["about"].tobytes().decode("utf-8"))
            trace = Trace(text=about["text"], tokenizer=about["tokenizer"], tokens=about["tokens"],
                          char_index=stored["char_index"], known=stored["known"], bits=stored["bits"],
                          guesses=[[tuple(g) for g in guesses] for guesses in about["guesses"]],
                          cells=[stored[f"cells_{layer}"] for layer in range(about["layers"])])
        characters = [CharacterSurprisal(char=c["char"], bits=c["bits"], tokens=[tuple(t) for t in c["tokens"]],
                                         guesses=[tuple(g) for g in c["guesses"]]) for c in about["characters"]]
        return cls(run=about["run"], trace=trace, characters=characters,
                   bits_per_character=about["bits_per_character"])


def inspect(run_dir, text: str) -> Inspection:
    """The latest checkpoint of the run in ``run_dir`` reads ``text``."""
    from pathlib import Path

    from namuweb.language_model.generate import load_generator
    traced = trace(load_generator(Path(run_dir)), text)
    chars = characters(traced)
    scored = [c.bits for c in chars if c.bits is not None]
    return Inspection(run=Path(run_dir).name, trace=traced, characters=chars,
                      bits_per_character=sum(scored) / len(scored) if scored else None)
