"""The syllable grammar of the jamo stream, as masks over a vocabulary: which tokens may come next.

The codec writes a Hangul syllable as *initial, vowel, optional final, ``ᴥ``* (compound vowels and
finals are single compatibility jamo: ``ㅘ``, ``ㄳ``), so a stream is well formed when it is a sequence
of such syllables and of tokens that are not jamo at all.  A sampler that draws only tokens this
grammar allows writes no loose jamo (``ㅏㅏ``, ``ㄸᴥ``, a vowel after a vowel) by construction; what
the model wanted instead is renormalised over what the grammar allows.

Four states: between syllables, after an initial, after a vowel, after a final.  :class:`Grammar`
holds one boolean mask per state over a vocabulary's ids and the state each token leads to, so the
sampler's cost per step is one table lookup and one ``np.where``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from namuweb.text.hangul import MARK, jamo_classes

BETWEEN, AFTER_INITIAL, AFTER_VOWEL, AFTER_FINAL = range(4)
STATES = ("between syllables", "after an initial", "after a vowel", "after a final")


def is_jamo(token: str) -> bool:
    """A compatibility jamo (U+3131–U+318E) or the end-of-syllable mark: a token only a syllable may hold."""
    return token == MARK or (len(token) == 1 and 0x3131 <= ord(token) <= 0x318E)


def next_state(state: int, token: str) -> int | None:
    """The state after ``token`` in ``state``, or None when the grammar does not allow it there."""
    initials, vowels, finals = jamo_classes()
    if state == BETWEEN:
        if token in initials:
            return AFTER_INITIAL
        return None if is_jamo(token) else BETWEEN
    if state == AFTER_INITIAL:
        return AFTER_VOWEL if token in vowels else None
    if state == AFTER_VOWEL:
        if token == MARK:
            return BETWEEN
        return AFTER_FINAL if token in finals else None
    return BETWEEN if token == MARK else None  # after a final only the mark closes the syllable


def state_after(tokens: Iterable[str], state: int = BETWEEN) -> int:
    """The state a stream leaves the grammar in; where the stream breaks it (a start text with loose
    jamo), the grammar starts over from the next token as if between syllables."""
    for token in tokens:
        state = next_state(state, token)
        if state is None:
            state = BETWEEN
    return state


@dataclass(frozen=True)
class Grammar:
    """The grammar over one vocabulary: ``allowed[state]`` is a boolean mask over token ids, and
    ``moves[state, id]`` the state that id leads to (``-1`` where it is not allowed)."""

    allowed: np.ndarray   # (4, vocabulary size) bool
    moves: np.ndarray     # (4, vocabulary size) int8

    @classmethod
    def of(cls, tokens: Sequence[str], never: Iterable[int] = ()) -> Grammar:
        """The grammar over a vocabulary listed by id; ids in ``never`` (padding, ``<unk>``) are never drawn.
        Kept for the next question about the same vocabulary (every generation asks; read-only arrays)."""
        return _grammar_of(tuple(tokens), tuple(sorted(set(never))))

    def advance(self, states: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Each row's state after its drawn id (a disallowed id, only possible without the mask, starts over)."""
        after = self.moves[states, ids]
        return np.where(after >= 0, after, BETWEEN).astype(np.int8)

    def mask(self, logits: np.ndarray, states: np.ndarray) -> np.ndarray:
        """``logits`` (rows × vocabulary) with every id the grammar forbids in each row's state at ``-inf``.
        A row whose state allows no id of this vocabulary (a corpus without a single vowel) stays as it was."""
        allowed = self.allowed[states]
        allowed[~allowed.any(axis=1)] = True
        return np.where(allowed, logits, -np.inf)


@functools.lru_cache(maxsize=16)
def _grammar_of(tokens: tuple[str, ...], never: tuple[int, ...]) -> Grammar:
    moves = np.full((4, len(tokens)), -1, dtype=np.int8)
    for token_id, token in enumerate(tokens):
        for state in range(4):
            after = next_state(state, token)
            if after is not None:
                moves[state, token_id] = after
    moves[:, list(never)] = -1
    allowed = moves >= 0
    moves.setflags(write=False)
    allowed.setflags(write=False)
    return Grammar(allowed=allowed, moves=moves)
