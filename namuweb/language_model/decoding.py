"""How the sampler picks each next token, beyond temperature, top-k and top-p (issue 33).

:class:`Decoding` holds the options; :class:`Decoder` applies them, one step at a time, to the
logits of a batch of samples, and draws.

* **Well-formed Hangul** (``well_formed``, on by default; only for jamo-tokenized models): every
  token the syllable grammar (:mod:`namuweb.text.syllable_grammar`) forbids in a sample's state is
  masked out *before* the repetition penalty, the n-gram ban, temperature, top-k and top-p, so the
  model's odds are renormalised over what may come next: initial, vowel, optional final, ``ᴥ``,
  and tokens that are no jamo only where a syllable may end.  ``<unk>`` is never drawn.  The
  composed text then holds no loose jamo.  A character-tokenized model writes whole characters
  already and is left as it is.
* **In syllables**: the repetition penalty and the n-gram ban work on the *characters of the
  composed text* (a Hangul syllable, a space, a full stop), as Hugging Face's work on tokens, but
  only a Hangul syllable is ever penalised or banned: a space or a full stop repeats by nature, and
  penalising them gives a text without spaces.  In a jamo stream a syllable is decided by the token
  that follows its vowel: ``ᴥ`` (a syllable without a final) or its final.  So at that point
  — and only there — the penalty and the ban act on those tokens:

  - ``repetition_penalty`` θ (Hugging Face's ``RepetitionPenaltyLogitsProcessor``): each token that
    would make a syllable already in the text (the start text included) has its logit divided by θ
    when positive, multiplied by θ when negative.  θ = 1 is off; θ > 1 discourages repeats.
  - ``no_repeat_ngram`` n (Hugging Face's ``no_repeat_ngram_size``): a token that would make a
    syllable completing an n-gram of characters already in the text is forbidden.  So that a sample
    can never be cornered (a vowel after which every final and ``ᴥ`` is banned), a vowel all of whose
    syllables are banned is banned too; should even that leave nothing, the ban is lifted for that step.

  A character-tokenized model's tokens are characters: there each Hangul syllable token is
  penalised or banned directly.
* **Stop at** ``"sentence"``: the sample ends at the first white space after a ``.``, ``!``, ``?``
  or ``…`` it wrote (closing quotes and brackets may come between), the white space not written;
  ``"line"``: it ends before the first new line it would write after some text of its own.  The length is
  then an upper bound.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from namuweb.text import hangul
from namuweb.text.syllable_grammar import AFTER_INITIAL, AFTER_VOWEL, BETWEEN, Grammar, is_jamo

STOPS = ("sentence", "line")
SENTENCE_ENDS = frozenset(".!?…")
CLOSERS = frozenset("\"')]}”’」』》〉")
REPEATED_N = 4  # the n of a sample's repeated n-gram share


class DecodingError(ValueError):
    """Options that cannot be used; one line for the user."""


@dataclass(frozen=True)
class Decoding:
    """The decoding options (all off but ``well_formed``)."""

    well_formed: bool = True
    repetition_penalty: float = 1.0
    no_repeat_ngram: int = 0
    stop_at: str | None = None   # None, "sentence" or "line"

    def validated(self) -> Decoding:
        if not 1.0 <= self.repetition_penalty <= 10.0:
            raise DecodingError("the repetition penalty must be between 1 (off) and 10")
        if not 0 <= self.no_repeat_ngram <= 20:
            raise DecodingError("the no-repeat n-gram size must be between 0 (off) and 20")
        if self.stop_at not in (None, *STOPS):
            raise DecodingError(f"stop at must be one of {', '.join(STOPS)} (or nothing), not {self.stop_at!r}")
        return self

    @property
    def syllabic(self) -> bool:
        """Whether the penalty or the n-gram ban is on (they need each sample's syllables)."""
        return self.repetition_penalty != 1.0 or self.no_repeat_ngram > 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> Decoding:
        data = data or {}
        return cls(well_formed=bool(data.get("well_formed", True)),
                   repetition_penalty=float(data.get("repetition_penalty", 1.0)),
                   no_repeat_ngram=int(data.get("no_repeat_ngram", 0)),
                   stop_at=data.get("stop_at") or None).validated()


def loose_jamo(text: str) -> int:
    """How many compatibility jamo (U+3131–U+318E) a composed text holds: jamo no syllable took in."""
    return sum(1 for c in text if 0x3131 <= ord(c) <= 0x318E)


def syllable_ngrams(text: str, n: int) -> list[str]:
    """The text's n-grams of characters that end in a Hangul syllable: those the n-gram ban can forbid."""
    return [text[i - n:i] for i in range(n, len(text) + 1) if hangul.is_syllable(text[i - 1])]


def repeated_ngram_share(text: str, n: int = REPEATED_N) -> float:
    """The share of the text's syllable n-grams (n characters ending in a Hangul syllable) that occur
    more than once in it: 0 for a text that never repeats itself, near 1 for a loop."""
    grams = syllable_ngrams(text, n)
    if not grams:
        return 0.0
    counts: dict[str, int] = {}
    for gram in grams:
        counts[gram] = counts.get(gram, 0) + 1
    return sum(1 for gram in grams if counts[gram] > 1) / len(grams)


def probabilities(logits: np.ndarray, temperature: float, top_k: int = 0, top_p: float = 1.0) -> np.ndarray:
    """Next-token probabilities of one row of logits after temperature, top-k and top-p.

    Temperature 0 puts all the mass on the most likely token."""
    logits = np.asarray(logits, dtype=np.float64)
    if temperature <= 0:
        probs = np.zeros_like(logits)
        probs[int(np.argmax(logits))] = 1.0
        return probs
    scaled = logits / temperature
    if top_k and top_k < len(scaled):
        cutoff = np.partition(scaled, -top_k)[-top_k]
        scaled = np.where(scaled >= cutoff, scaled, -np.inf)
    probs = np.exp(scaled - scaled.max())
    probs /= probs.sum()
    if top_p < 1.0:
        order = np.argsort(-probs)
        cumulative = np.cumsum(probs[order])
        keep = order[:int(np.searchsorted(cumulative, top_p) + 1)]
        kept = np.zeros_like(probs)
        kept[keep] = probs[keep]
        probs = kept / kept.sum()
    return probs


def draw(logits: np.ndarray, temperature: float, rng: np.random.Generator, top_k: int = 0,
         top_p: float = 1.0) -> int:
    """One token id drawn from a row of logits at ``temperature`` (with top-k / top-p as in
    ``probabilities``).  Plain sampling takes a short path: a few float32 operations on the row."""
    if temperature <= 0 or top_k or top_p < 1.0:
        probs = probabilities(logits, temperature, top_k, top_p)
        return min(int(np.searchsorted(np.cumsum(probs), rng.random() * probs.sum())), len(probs) - 1)
    weights = _exp(_multiply(_subtract(logits, _maximum(logits)), 1.0 / temperature))
    cumulative = _accumulate(weights, out=weights)
    return min(int(cumulative.searchsorted(rng.random() * cumulative[-1])), len(cumulative) - 1)


# The ufuncs themselves: on a row of a few hundred logits, np.cumsum and ndarray.max spend most of their
# time in Python dispatch, and the sampler calls them once a token.
_maximum, _subtract, _multiply, _exp, _accumulate = (np.maximum.reduce, np.subtract, np.multiply, np.exp,
                                                     np.add.accumulate)



@functools.cache
def _syllable_parts(syllable: str) -> tuple[str, str]:
    """A syllable's initial + vowel, and the token that decides it after them (its final, or ``ᴥ``)."""
    stream = hangul.decompose(syllable)
    return stream[:2], (stream[2] if len(stream) == 4 else hangul.MARK)


class _Row:
    """One sample's syllables so far, for the penalty, the ban and the stop."""

    __slots__ = ("state", "open", "units", "seen", "follows", "written", "stopped")

    def __init__(self):
        self.state = BETWEEN
        self.open = ""          # the jamo of the syllable being written
        self.units: list[str] = []   # the composed text's characters, start text included
        self.seen: dict[str, set[int]] = {}      # initial + vowel → the deciding ids of syllables in the text
        self.follows: dict[str, set[str]] = {}   # n - 1 characters → the syllables that followed them
        self.written = 0        # how many of ``units`` this sample wrote (the rest is the start text)
        self.stopped = False


class Decoder:
    """Draws a batch's next tokens under :class:`Decoding`, keeping each sample's state.

    ``symbols`` are the vocabulary's tokens by id (``<unk>`` as U+FFFD), ``start`` the start
    text's token ids.  The default path (the mask alone, no top-k/top-p) is :meth:`_pick_lean`."""

    def __init__(self, symbols: Sequence[str], tokenizer: str, decoding: Decoding, temperatures: Sequence[float],
                 rng: np.random.Generator, *, top_k: int = 0, top_p: float = 1.0, unk_id: int | None = None,
                 start: Sequence[int] = (), dense_bias: np.ndarray | None = None):
        self._draw = draw
        self.decoding = decoding
        self.symbols = list(symbols)
        self.jamo = tokenizer == "jamo"
        self.temperatures = list(temperatures)
        self.rng, self.top_k, self.top_p = rng, top_k, top_p
        self.index = {s: i for i, s in enumerate(self.symbols)}
        self.grammar = (Grammar.of(self.symbols, never=[] if unk_id is None else [unk_id])
                        if self.jamo and decoding.well_formed else None)
        tracking = Grammar.of(self.symbols) if self.jamo and self.grammar is None else None
        self.moves = (self.grammar or tracking).moves if self.jamo else None
        self._moves = self.moves.tolist() if self.jamo else None
        if self.grammar is not None:
            allowed = self.grammar.allowed.copy()
            allowed[~allowed.any(axis=1)] = True   # a state this vocabulary cannot continue is left alone
            self.bias = np.where(allowed, 0.0, -np.inf).astype(np.float32)
        self.syllabic = decoding.syllabic
        self.tracking = self.syllabic or decoding.stop_at is not None
        # what may follow a vowel in this vocabulary: no final (then ``ᴥ``), or one of its finals
        self.endings = [""] * (hangul.MARK in self.index) + sorted(hangul.jamo_classes()[2] & set(self.index))
        self.rows = [_Row() for _ in self.temperatures]
        for row in self.rows:
            for token in start:
                self._note(row, int(token), generated=False)
        self.states = [self.start_state] * len(self.rows)
        self.size = len(self.symbols)
        self.picked = [0] * len(self.rows)
        self.lean = not self.tracking and not top_k and top_p >= 1.0
        self._greedy = [t <= 0 for t in self.temperatures]
        # On the default path the output layer's bias may come with the noise (``dense_bias``): then ``pick``
        # takes the logits without it, and the one addition a token costs is the one the model's step had.
        self.dense_bias = dense_bias if self.lean else None
        self._lean = None
        self._noise: np.ndarray | None = None
        self._scales = np.array([max(t, 0.0) for t in self.temperatures], dtype=np.float32)[None, :, None]
        self._choices = np.zeros(len(self.rows), dtype=np.int64)

    @property
    def start_state(self) -> int:
        return self.rows[0].state if self.rows else BETWEEN

    def stopped(self, b: int) -> bool:
        return self.rows[b].stopped

    def pick(self, logits: np.ndarray) -> np.ndarray:
        """The next token of every sample from its row of ``logits`` (also kept as Python ints in ``picked``)."""
        if self.lean:
            return self._pick_lean(logits)
        choices = np.empty(len(self.temperatures), dtype=np.int64)
        for b, temperature in enumerate(self.temperatures):
            row = logits[b]
            if self.grammar is not None:
                row = row + self.bias[self.states[b]]
            elif self.syllabic:
                row = row.copy()
            if self.syllabic:
                self._adjust(self.rows[b], row)
            choices[b] = choice = self._draw(row, temperature, self.rng, self.top_k, self.top_p)
            if self.tracking:
                self._note(self.rows[b], int(choice))
                self.states[b] = self.rows[b].state
            elif self.grammar is not None:
                after = self._moves[self.states[b]][choice]
                self.states[b] = after if after >= 0 else BETWEEN
        self.picked = choices.tolist()
        return choices

    def _pick_lean(self, logits: np.ndarray) -> np.ndarray:
        """The default path, one step (see :meth:`lean_draw`)."""
        if self._lean is None:
            self._lean = self.lean_draw()
        choose, noises = self._lean
        self.picked = choose(logits, next(noises), self._choices)
        return self._choices

    def lean_draw(self) -> tuple[Callable[[np.ndarray, np.ndarray, np.ndarray], list[int]], Iterator[np.ndarray]]:
        """The default path (the mask or nothing, no top-k/top-p, no penalty, ban or stop), by the Gumbel-max
        trick: ``argmax(logits / T + G)``, G drawn from the standard Gumbel distribution for every token, is a
        draw from ``softmax(logits / T)``, exactly; so is ``argmax(logits + T·G)``.  The noise comes a block of
        steps at a time, already scaled, so a token costs one addition and one argmax beyond the model's step.

        The mask costs nothing when the draw is one the grammar allows: the argmax over all tokens, when it is
        an allowed one, is also the argmax over the allowed ones.  Only when it is forbidden is the argmax
        taken again with the state's forbidden tokens at ``-inf``, over the same noise: the same token the
        masked, renormalised draw gives, exactly.

        Returns ``choose(logits, noise, tokens)``, which gives every sample's token for one step (a row of
        logits per sample; also written into the array ``tokens``) and moves its grammar state, and the
        steps' noise, one array per step: the stream calls them directly, with no layer of methods between,
        as a token costs little more than the step."""
        states = self.states
        moves = self._moves if self.grammar is not None else None
        masks = self.bias if self.grammar is not None else None

        def choose_one(logits: np.ndarray, noise: np.ndarray, tokens: np.ndarray) -> list[int]:
            """``choose`` for one sample, the page's usual case: the same steps without the loop."""
            row = logits[0] + noise[0]
            choice = int(row.argmax())
            if moves is not None:
                state = states[0]
                after = moves[state][choice]
                if after < 0:
                    choice = int((row + masks[state]).argmax())
                    after = moves[state][choice]
                states[0] = after if after >= 0 else BETWEEN
            tokens[0] = choice
            return [choice]

        def choose(logits: np.ndarray, noise: np.ndarray, tokens: np.ndarray) -> list[int]:
            picked = []
            for b, state in enumerate(states):
                row = logits[b] + noise[b]
                choice = int(row.argmax())
                if moves is not None:
                    after = moves[state][choice]
                    if after < 0:   # forbidden here: the best of the allowed, with the same noise
                        choice = int((row + masks[state]).argmax())
                        after = moves[state][choice]
                    states[b] = after if after >= 0 else BETWEEN
                tokens[b] = choice
                picked.append(choice)
            return picked

        def noises() -> Iterator[np.ndarray]:
            while True:
                yield from self._noise_block()

        return (choose_one if len(states) == 1 else choose), noises()

    def _noise_block(self, steps: int = 128) -> np.ndarray:
        """Gumbel noise for the next ``steps`` steps of every sample, times its temperature (float32: its
        largest value, about 16.6, cuts off a tail of probability 6e-8), plus the output layer's bias if the
        logits come without it; a sample at temperature 0 gets no noise (its argmax is the greedy choice).
        Shape (steps, sample, vocabulary).  Written into the same array every time (a fresh block this size
        is fresh memory from the system each time, which costs more than the noise): a step's row is read
        before the next block is drawn."""
        if self._noise is None or len(self._noise) != steps:
            self._noise = np.empty((steps, len(self.rows), self.size), np.float32)
        noise = self._noise
        self.rng.random(out=noise, dtype=np.float32)
        with np.errstate(divide="ignore"):
            np.log(noise, out=noise)
            np.negative(noise, out=noise)
            np.log(noise, out=noise)
        np.negative(noise, out=noise)
        noise *= self._scales
        noise[:, self._greedy, :] = 0.0   # not 0 × ∞: a uniform draw of exactly 0 gives an infinite Gumbel
        if self.dense_bias is not None:
            noise += self.dense_bias
        return noise

    # --- each sample's syllables ------------------------------------------------------------------------

    def _note(self, row: _Row, token: int, generated: bool = True) -> None:
        symbol = self.symbols[token]
        if not self.jamo:
            self._unit(row, symbol, generated)
            return
        after = self._moves[row.state][token]
        if after < 0:  # only without the mask: the syllable breaks off, its jamo are loose
            row.open = ""
            row.state = BETWEEN
            if not is_jamo(symbol):
                self._unit(row, symbol, generated)
            return
        if symbol == hangul.MARK:
            self._unit(row, hangul.compose(row.open + hangul.MARK), generated)
            row.open = ""
        elif after == BETWEEN:
            self._unit(row, symbol, generated)
        else:
            row.open += symbol
        row.state = after

    def _unit(self, row: _Row, unit: str, generated: bool) -> None:
        if row.stopped:
            return
        stop = self.decoding.stop_at
        if generated and stop is not None:
            if stop == "line" and unit == "\n" and self._wrote_something(row):
                row.stopped = True
                return
            if stop == "sentence" and unit.isspace() and self._ends_a_sentence(row):
                row.stopped = True
                return
        if not self.syllabic:
            if stop is not None:
                row.units.append(unit)
                row.written += generated
            return
        n = self.decoding.no_repeat_ngram
        syllable = hangul.is_syllable(unit)
        if n and syllable and len(row.units) >= n - 1:
            row.follows.setdefault("".join(row.units[len(row.units) - n + 1:]), set()).add(unit)
        if syllable and self.decoding.repetition_penalty != 1.0:
            prefix, decider = self._decider(unit)
            if decider is not None:
                row.seen.setdefault(prefix, set()).add(decider)
        row.units.append(unit)
        row.written += generated

    @staticmethod
    def _wrote_something(row: _Row) -> bool:
        return any(not unit.isspace() for unit in row.units[len(row.units) - row.written:]) if row.written else False

    def _ends_a_sentence(self, row: _Row) -> bool:
        for back, unit in enumerate(reversed(row.units)):
            if back >= row.written:
                return False  # the start text's own sentence end does not count
            if unit in CLOSERS:
                continue
            return unit in SENTENCE_ENDS
        return False

    def _decider(self, syllable: str) -> tuple[str, int | None]:
        """The open jamo under which ``syllable`` is decided, and the id that decides it."""
        if not self.jamo:
            return "", self.index.get(syllable)
        prefix, decider = _syllable_parts(syllable)
        return prefix, self.index.get(decider)

    def _adjust(self, row: _Row, logits: np.ndarray) -> None:
        """The penalty and the ban on one sample's (masked) logits, in place."""
        deciding = (row.state == AFTER_VOWEL) if self.jamo else True
        theta = self.decoding.repetition_penalty
        if theta != 1.0 and deciding and (ids := row.seen.get(row.open)):
            ids = list(ids)
            values = logits[ids]
            logits[ids] = np.where(values > 0, values / theta, values * theta)
        n = self.decoding.no_repeat_ngram
        if not n or len(row.units) < n - 1:
            return
        banned = row.follows.get("".join(row.units[len(row.units) - n + 1:]) if n > 1 else "")
        if not banned:
            return
        if deciding:
            ids = [i for s in banned for prefix, i in [self._decider(s)] if prefix == row.open and i is not None]
        elif row.state == AFTER_INITIAL:  # a vowel after which every syllable is banned is a dead end: ban it
            per_vowel: dict[str, int] = {}
            for s in banned:
                prefix = _syllable_parts(s)[0]
                if prefix[0] == row.open:
                    per_vowel[prefix] = per_vowel.get(prefix, 0) + 1
            ids = [self.index[prefix[1]] for prefix, count in per_vowel.items()
                   if count >= len(self.endings) and prefix[1] in self.index
                   and all(hangul.compose(prefix + ending + hangul.MARK) in banned for ending in self.endings)]
        else:
            return
        if not ids:
            return
        kept = logits[ids].copy()
        logits[ids] = -np.inf
        if not np.isfinite(logits.max()):
            logits[ids] = kept  # nothing else is left: the ban is lifted for this step
