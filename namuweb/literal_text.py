"""Text that came from a visitor, made to show literally where Streamlit renders Markdown.

Most of Streamlit's text (titles, alerts, captions, progress labels, spinners) is Markdown: a
corpus named ``[log in](https://evil.example)`` became a live link, ``![t](http://host/pixel)``
an image fetched from anywhere, ``:red[…]`` red text. :func:`literal` backslash-escapes every
ASCII punctuation mark, which CommonMark shows as the mark itself, so links, images, directives,
maths and HTML stay plain text; it also folds line breaks. Escapes do not stop GFM's bare
autolinks (``https://…``, ``www.…``, ``name@host``): Streamlit's renderer finds those in the text
after the escapes are resolved, and links one only where it starts a word. So a word joiner
(U+2060, invisible) goes before each ``http``, ``www`` and ``@``. Names, words, tokens and
messages that quote them go through it on every page.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
WORD_JOINER = "\u2060"
_AUTOLINK_STARTS = re.compile(r"(?=https?:|www\.|@)", re.IGNORECASE)


def unlinkable(text: str) -> str:
    """``text`` with an invisible word joiner before each ``http``, ``www`` and ``@``: no bare autolink."""
    return _AUTOLINK_STARTS.sub(WORD_JOINER, text)


def literal(text: object) -> str:
    """``text`` as Markdown that renders exactly as ``text`` (whitespace runs become one space;
    see :func:`unlinkable` for the invisible joiners)."""
    return _PUNCTUATION.sub(r"\\\1", unlinkable(" ".join(str(text).split())))
