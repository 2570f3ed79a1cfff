"""Text coloured character by character, as HTML for a page: a model's surprisal, one LSTM cell's
activation, or how much easier one run found each character than another.

Visual components apart from the app (as spacy-streamlit keeps its displaCy views): each function
returns an HTML string, every character and tooltip escaped, so any text a visitor pastes is shown
as text.  The hover title of a character carries its details (its jamo and their bits, the model's
guesses there)."""

from __future__ import annotations

import html
import re
from typing import Sequence

_COLOUR = re.compile(r"rgb\(\d{1,3},\d{1,3},\d{1,3}\)|#[0-9a-fA-F]{3,8}")  # what a style may carry
SURPRISAL_CAP = 12.0  # bits: a character this surprising or more gets the full colour
_STYLE = ("font-size: 1.15rem; line-height: 2.0; white-space: pre-wrap; word-break: break-all; "
          "font-family: 'Noto Sans KR', 'Apple SD Gothic Neo', sans-serif;")


def _span(char: str, colour: str | None, title: str) -> str:
    if char == "\n":
        return "<br>"
    shown = html.escape(char) if char != " " else "&nbsp;"
    style = f"background:{colour};" if colour and _COLOUR.fullmatch(colour) else ""
    return f'<span style="{style}border-radius:3px;padding:0 1px" title="{html.escape(title, quote=True)}">{shown}</span>'


def _mix(low: tuple[int, int, int], high: tuple[int, int, int], amount: float) -> str:
    amount = min(1.0, max(0.0, amount))
    r, g, b = (round(a + (z - a) * amount) for a, z in zip(low, high))
    return f"rgb({r},{g},{b})"


def surprisal_colour(bits: float | None) -> str | None:
    """White (expected) to deep red (``SURPRISAL_CAP`` bits or more); None: the model could not score it."""
    if bits is None:
        return None
    return _mix((255, 255, 255), (211, 47, 47), (bits / SURPRISAL_CAP) ** 0.8)


def diverging_colour(value: float | None, limit: float = 1.0, negative=(25, 118, 210), positive=(211, 47, 47)) -> str | None:
    """Blue for negative, white at zero, red for positive (or the colours given), full at ``limit``."""
    if value is None:
        return None
    if value >= 0:
        return _mix((255, 255, 255), positive, value / limit)
    return _mix((255, 255, 255), negative, -value / limit)


def coloured_text(chars: Sequence[str], colours: Sequence[str | None], titles: Sequence[str],
                  classes: str = "") -> str:
    """The text, each character on its colour with its hover title; ``classes`` name the block for the page's
    styles (letters, digits and dashes only)."""
    body = "".join(_span(c, colour, title) for c, colour, title in zip(chars, colours, titles))
    names = " ".join(filter(None, (re.sub(r"[^a-z0-9-]", "", name) for name in classes.split())))
    named = f' class="{names}"' if names else ""
    return f'<div{named} style="{_STYLE}">{body}</div>'


def legend(stops: Sequence[tuple[str, str]]) -> str:
    """A row of colour swatches with their labels."""
    items = "".join(f'<span style="display:inline-block;width:1.1em;height:1.1em;'
                    f'{"background:" + colour + ";" if _COLOUR.fullmatch(colour or "") else ""}'
                    f'border:1px solid #ccc;vertical-align:middle;margin:0 4px 0 12px"></span>{html.escape(label)}'
                    for colour, label in stops)
    return f'<div style="font-size:0.85rem;color:#555">{items}</div>'


TEXT_CLASS = "namuweb-text"
MARKED = "rgb(255,224,130)"  # the character a visitor picked in a text


def plain_text(text: str, *, mark: int | None = None, cursor: bool = False, extra_class: str = "") -> str:
    """``text`` exactly as written (every space and line break kept, escaped), in the page's proportional
    type; the character at ``mark`` on a highlight, and a ``▌`` after the text while it grows."""
    if mark is not None and 0 <= mark < len(text):
        body = (html.escape(text[:mark]) + f'<mark style="background:{MARKED};padding:0 1px">'
                + html.escape(text[mark]) + "</mark>" + html.escape(text[mark + 1:]))
    else:
        body = html.escape(text)
    # Streamlit dedents what st.html is given, which empties a line of only spaces: such spaces go as entities.
    body = re.sub(r"(?m)^[ \t]+$", lambda line: line.group().replace(" ", "&#32;").replace("\t", "&#9;"), body)
    classes = " ".join(filter(None, (TEXT_CLASS, re.sub(r"[^a-z0-9-]", "", extra_class))))
    return f'<div class="{classes}" style="{_STYLE}">{body}{"▌" if cursor else ""}</div>'
