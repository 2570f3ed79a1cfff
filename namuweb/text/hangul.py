"""The tutorial's jamo codec: every Hangul syllable becomes its compatibility
jamo followed by the end-of-syllable mark ``ᴥ`` (U+1D25); everything else
passes through unchanged.

``한국`` → ``ㅎㅏㄴᴥㄱㅜㄱᴥ``.  The mark is what makes the stream reversible:
a syllable is always *initial, vowel, optional final* immediately before a
``ᴥ``, so standalone jamo in the source text (``ㅋㅋ``) never merge with their
neighbours on the way back.

Both directions work on whole strings with C-level primitives
(``str.translate`` and one regular expression) because corpora are tens of
megabytes; the tables are derived once from the ``jamo`` package rather than
written by hand.

A literal ``ᴥ`` in the source text would be indistinguishable from the mark.
``decompose`` therefore refuses it by default (``MarkerInTextError``); with
``marker="replace"`` it becomes U+FFFD so the damage is visible instead of
silently turning ``가ᴥ`` into ``가`` on the way back.
"""

from __future__ import annotations

import functools
import re

import jamo

MARK = "\u1d25"
REPLACEMENT = "\ufffd"
SYLLABLE_FIRST, SYLLABLE_LAST = 0xAC00, 0xD7A3


class MarkerInTextError(ValueError):
    """Raised when text to decompose already contains the mark ``ᴥ``."""


def _compat(conjoining: str) -> str:
    return jamo.j2hcj(conjoining)


@functools.cache
def jamo_classes() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Compatibility jamo that can start, be the vowel of, and end a syllable."""
    initials, vowels, finals = set(), set(), set()
    for code in range(SYLLABLE_FIRST, SYLLABLE_LAST + 1):
        parts = [_compat(j) for j in jamo.h2j(chr(code))]
        initials.add(parts[0])
        vowels.add(parts[1])
        finals.update(parts[2:])
    return frozenset(initials), frozenset(vowels), frozenset(finals)


@functools.cache
def _tables() -> tuple[dict[int, str], dict[str, str], re.Pattern]:
    decompose_table: dict[int, str] = {}
    compose_table: dict[str, str] = {}
    for code in range(SYLLABLE_FIRST, SYLLABLE_LAST + 1):
        syllable = chr(code)
        parts = [_compat(j) for j in jamo.h2j(syllable)]
        stream = "".join(parts) + MARK
        decompose_table[code] = stream
        compose_table[stream] = syllable
    initials, vowels, finals = jamo_classes()
    cls = lambda chars: "[" + "".join(sorted(chars)) + "]"  # noqa: E731
    pattern = re.compile(f"{cls(initials)}{cls(vowels)}{cls(finals)}?{MARK}")
    return decompose_table, compose_table, pattern


def decompose(text: str, marker: str = "error") -> str:
    """Turn every Hangul syllable into compatibility jamo + ``ᴥ``.

    ``marker`` says what to do with a literal ``ᴥ`` already in ``text``:
    ``"error"`` raises ``MarkerInTextError``, ``"replace"`` writes U+FFFD.
    """
    if MARK in text:
        if marker == "replace":
            text = text.replace(MARK, REPLACEMENT)
        elif marker == "error":
            raise MarkerInTextError(
                f"text contains {text.count(MARK)} literal '{MARK}' (U+1D25), "
                "the end-of-syllable mark; pass marker='replace' to map it to U+FFFD")
        else:
            raise ValueError(f"marker must be 'error' or 'replace', not {marker!r}")
    return text.translate(_tables()[0])


def compose(stream: str) -> str:
    """Recompose a jamo stream into syllables; never raises.

    Whatever cannot form a syllable (model output such as ``ㅏㅏᴥ`` or
    ``ㄸᴥ``) stays as literal jamo, and a ``ᴥ`` that closes no syllable is
    dropped.
    """
    _, compose_table, pattern = _tables()
    return pattern.sub(lambda m: compose_table[m.group()], stream).replace(MARK, "")


def is_syllable(char: str) -> bool:
    return SYLLABLE_FIRST <= ord(char) <= SYLLABLE_LAST
