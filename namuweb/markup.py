"""Text that came from a visitor, made to show literally where Streamlit renders Markdown.

Most of Streamlit's text (titles, alerts, captions, progress labels, spinners) is Markdown: a
corpus named ``[log in](https://evil.example)`` became a live link, ``![t](http://host/pixel)``
an image fetched from anywhere, ``:red[…]`` red text. :func:`literal` backslash-escapes every
ASCII punctuation mark, which CommonMark shows as the mark itself, so links, images, directives,
maths, HTML and autolinks (``https\\://…``, ``www\\.…``) stay plain text; it also folds line breaks.
Names, words, tokens and messages that quote them go through it on every page.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def literal(text: object) -> str:
    """``text`` as Markdown that renders exactly as ``text`` (whitespace runs become one space)."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))
