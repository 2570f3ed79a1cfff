"""The most likely next *syllables* of a jamo model: what a visitor can pick to write with it, whole.

A jamo model predicts one token at a time (``ㅎ``, ``ㅏ``, ``ㄴ``, ``ᴥ``); a person thinks in syllables.
A syllable's probability is the product of its tokens' probabilities, the closing ``ᴥ`` included, so the
likeliest syllables come from a small beam over the syllable grammar
(:mod:`namuweb.text.syllable_grammar`): initial → vowel → optional final → ``ᴥ``, keeping the best
``beam`` partial paths at each step, each step one batched LSTM step for all of them.  Tokens that are
no jamo (a space, punctuation, a digit) are choices of one token.  The choices are disjoint events of
the token stream, so their probabilities sum to at most 1; what the model puts on loose jamo is in none.

The state after a context is cached per generator (the last few contexts, reused by any longer context
that starts with one of them): a visitor who clicks a syllable asks again about the same context plus
three or four tokens, and only those are read.
"""

from __future__ import annotations

import functools
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from namuweb.language_model.decoding import probabilities
from namuweb.language_model.generate import Generator, State, prepare_start
from namuweb.text import hangul, syllable_grammar
from namuweb.text.syllable_grammar import BETWEEN

BEAM = 12     # partial syllables kept at each step
TOP = 10      # choices listed
CACHED_CONTEXTS = 32


@dataclass(frozen=True)
class Choice:
    """One next syllable (or one token that is no jamo) after a context."""

    text: str           # what it writes: a syllable, a space, a comma …
    tokens: str         # the tokens it appends (jamo and ᴥ for a syllable; one character each)
    probability: float  # at temperature 1: the product of its tokens' probabilities
    tuned: float        # the same product at the asked temperature, top-k and top-p

    def to_json(self) -> dict:
        return {"text": self.text, "tokens": self.tokens, "probability": self.probability, "tuned": self.tuned}


@functools.lru_cache(maxsize=8)
def _grammar(symbols: tuple[str, ...], never: tuple[int, ...]) -> syllable_grammar.Grammar:
    return syllable_grammar.Grammar.of(symbols, never=never)


def grammar_of(generator: Generator) -> syllable_grammar.Grammar:
    """The syllable grammar over the generator's vocabulary; ``<unk>`` is never a choice."""
    unk = generator.vocab.unk_id
    return _grammar(tuple(generator.symbols), (unk,) if unk is not None else ())


_PRIMED: "weakref.WeakKeyDictionary[Generator, OrderedDict]" = weakref.WeakKeyDictionary()


def _copy(state: State) -> State:
    return State(h=[h.copy() for h in state.h], c=[c.copy() for c in state.c])


def primed(generator: Generator, ids: Sequence[int]) -> tuple[State, np.ndarray]:
    """The model's state (batch 1) after reading ``ids``, and its next-token logits (one row): from the
    longest cached context that ``ids`` begins with, reading only the rest."""
    if not ids:
        raise ValueError("a context needs at least one token")
    cache = _PRIMED.setdefault(generator, OrderedDict())
    key = tuple(int(i) for i in ids)
    best = max((k for k in cache if len(k) <= len(key) and key[:len(k)] == k), key=len, default=None)
    if best is not None:
        cache.move_to_end(best)
        state, logits = _copy(cache[best][0]), cache[best][1]
    else:
        state, logits = generator.model.initial_state(1), None
    for token in key[len(best or ()):]:
        logits = generator.model.step(np.array([token]), state)[0]
    if best != key:
        cache[key] = (_copy(state), logits)
        while len(cache) > CACHED_CONTEXTS:
            cache.popitem(last=False)
    return state, logits


def context_ids(generator: Generator, start: str, after: Sequence[str]) -> list[int]:
    """Token ids of a start text followed by tokens picked one at a time, as the next-token table reads them."""
    index = generator.vocab.index()
    symbols = {symbol: i for i, symbol in enumerate(generator.symbols)}
    return prepare_start(start, generator.vocab).ids + [symbols.get(t, index.get(t, 0)) for t in after]


def open_syllable(tokens: Sequence[str]) -> list[str]:
    """The tokens of the syllable still open at the end of ``tokens`` (none when it ends between syllables);
    where the tokens break the grammar, it starts over after the break, as
    :func:`namuweb.text.syllable_grammar.state_after` does."""
    state, since = BETWEEN, 0
    for i, token in enumerate(tokens):
        after = syllable_grammar.next_state(state, token)
        if after is None or after == BETWEEN:
            state, since = BETWEEN, i + 1
        else:
            state = after
    return list(tokens[since:])


def _rows(logits: np.ndarray, temperature: float, top_k: int, top_p: float) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities of each row of logits at temperature 1 and as tuned."""
    logits = np.asarray(logits, dtype=np.float64)
    plain = np.exp(logits - logits.max(axis=1, keepdims=True))
    plain /= plain.sum(axis=1, keepdims=True)
    if temperature == 1.0 and not top_k and top_p >= 1.0:
        return plain, plain
    return plain, np.stack([probabilities(row, temperature, top_k, top_p) for row in logits])


def choices(generator: Generator, start: str, after: Sequence[str] = (), *, temperature: float = 1.0,
            top_k: int = 0, top_p: float = 1.0, top: int = TOP, beam: int = BEAM,
            include: Sequence[str] = ()) -> list[Choice]:
    """The ``top`` likeliest next syllables (and tokens that are no jamo) after ``start`` and the tokens
    ``after`` it, most likely first.  Where ``after`` ends inside a syllable (picked jamo by jamo), the
    choices complete it: their text is the whole syllable, their tokens the rest of it.  ``include``:
    token strings listed too even where the beam would not (the character a sample wrote there), each
    computed along its own tokens."""
    state, logits = primed(generator, context_ids(generator, start, after))
    opened = open_syllable(after) if generator.vocab.tokenizer == "jamo" else []
    found = _beam(generator, state, logits, opened, temperature, top_k, top_p, top, beam)
    listed = {c.tokens for c in found}
    for tokens in include:
        if tokens and tokens not in listed:
            found.append(_along(generator, state, logits, opened, tokens, temperature, top_k, top_p))
            listed.add(tokens)
    return sorted(found, key=lambda c: -c.probability)


def _text(opened: Sequence[str], tokens: str, tokenizer: str) -> str:
    return hangul.compose("".join(opened) + tokens) if tokenizer == "jamo" else tokens


def _beam(generator, state, logits, opened, temperature, top_k, top_p, top, beam) -> list[Choice]:
    symbols, tokenizer = generator.symbols, generator.vocab.tokenizer
    grammar = grammar_of(generator)
    moves = grammar.moves
    if tokenizer != "jamo":  # every token is a whole character: each one closes
        moves = np.where(grammar.moves[BETWEEN] >= 0, BETWEEN, -1)[None, :].repeat(4, axis=0).astype(np.int8)
        moves[:, [i for i, s in enumerate(symbols) if syllable_grammar.is_jamo(s)]] = BETWEEN
        if generator.vocab.unk_id is not None:
            moves[:, generator.vocab.unk_id] = -1
    gstate = syllable_grammar.state_after(opened) if opened else BETWEEN
    paths = [""]                        # each partial path's tokens so far
    path_p, path_q = np.ones(1), np.ones(1)
    path_state = np.array([gstate])
    logits = np.asarray(logits)[None, :]
    done: list[Choice] = []
    while paths:
        plain, tuned = _rows(logits, temperature, top_k, top_p)
        step_moves = moves[path_state]                  # (paths, V)
        p = path_p[:, None] * plain
        q = path_q[:, None] * tuned
        closing = step_moves == BETWEEN
        for row, token in zip(*np.nonzero(closing & (p > 0))):
            done.append(Choice(_text(opened, paths[row] + symbols[token], tokenizer), paths[row] + symbols[token],
                               float(p[row, token]), float(q[row, token])))
        done = sorted(done, key=lambda c: -c.probability)[:top]
        bound = done[-1].probability if len(done) >= top else 0.0  # a partial below it cannot rise above it
        opening = (step_moves > 0) & (p > bound)
        rows, tokens = np.nonzero(opening)
        if not len(rows):
            break
        keep = np.argsort(-p[rows, tokens], kind="stable")[:beam]
        rows, tokens = rows[keep], tokens[keep]
        paths = [paths[r] + symbols[t] for r, t in zip(rows, tokens)]
        path_p, path_q = p[rows, tokens], q[rows, tokens]
        path_state = step_moves[rows, tokens]
        state = State(h=[h[rows] for h in state.h], c=[c[rows] for c in state.c])
        logits = generator.model.step(tokens.astype(np.int64), state)
    return done


def _along(generator, state, logits, opened, tokens: str, temperature, top_k, top_p) -> Choice:
    """One choice's probabilities computed along its own tokens, step by step."""
    index = {symbol: i for i, symbol in enumerate(generator.symbols)}
    state = _copy(state)
    p = q = 1.0
    for i, token in enumerate(tokens):
        plain, tuned = _rows(np.asarray(logits)[None, :], temperature, top_k, top_p)
        token_id = index.get(token, generator.vocab.unk_id)
        if token_id is None:  # a token the model does not have: it never writes it
            return Choice(_text(opened, tokens, generator.vocab.tokenizer), tokens, 0.0, 0.0)
        p, q = p * float(plain[0, token_id]), q * float(tuned[0, token_id])
        if i + 1 < len(tokens):
            logits = generator.model.step(np.array([token_id]), state)[0]
    return Choice(_text(opened, tokens, generator.vocab.tokenizer), tokens, p, q)
