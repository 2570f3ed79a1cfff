"""Whole pages built from every construct the converter handles -- valid and broken, in any order, with
literals that quote markup -- keep every word a reader sees: the words outside code blocks, comments
and footnotes all survive conversion, and the import's oracle agrees the page is whole."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from namuweb.corpora.namumark import TextOptions, convert, keeps_enough, oracle_weight

# Each construct is a template: "{w}" is a word a reader sees (it must survive), "{h}" one a reader
# does not (code, comments, footnotes, file links: it may go).
VISIBLE = [
    "{w} 문장이다.",
    "'''{w}''' 굵게", "''{w}'' 기울여", "__{w}__", "~~{w}~~", "--{w}--", "^^{w}^^", ",,{w},,",
    "[[{w}]]", "[[가상 문서|{w}]]", "[[{w}#s-2]]", "[[{w}|{w}]]",
    "{{{#red {w}}}}", "{{{+1 {w}}}}", "{{{#0a0,#3c3 {w}}}}",
    "{{{#!wiki style=\"padding:2px\"\n{w} 상자\n}}}",
    "{{{#!folding {w}\n접힌 {w}\n}}}",
    "{{{#!html <i>{w}</i>}}}",
    "[ruby({w},ruby=읽기)]",
    "\n== {w} ==\n", "\n|| {w} ||<:> {w} ||\n", "\n * {w}\n", "\n> {w}\n", "\n 1. {w}\n",
    # literals that quote markup: shown as written, the word inside with them
    "{{{\\}}} {w}", "{{{\\\\}}} {w}", "{{{[[{w}]]}}}", "{{{'''{w}'''}}}", "{{{{{{#red {w}}}}}}}",
    "{{{\\{{{#blue {w}}}}}}}", "{{{|| {w} ||}}}", "{{{[* {w}]}}}",
    # escapes outside literals (balanced: an escaped opener's closer would otherwise be a stray one)
    "\\[[{w}\\]]", "\\'''{w}", "\\{{{{w}",
]
HIDDEN = [
    "[* {h} 각주]", "[*가 {h}]", "\n## {h} 주석\n", "{{{#!syntax python\n{h} = 1\n}}}", "{{{\n{h} 코드\n}}}",
    "[[파일:{h}.png]]", "[[분류:{h}]]", "[include(틀:{h})]", "[목차]", "[br]", "{{{#!style .{h}{{color:red}}}}}",
]
# Broken markup: openers never closed, and closers with nothing to close.  A stray closer after an
# open opener would close it and make a block, which may rightly hide what lies between, so closers
# come only before the first opener (see ``page``).
OPENERS = ["{{{", "[[", "[*", "'''", "{{{#!wiki style=\"", "{{{#!folding ", "{{{#!syntax python", "{{{#!html",
           "{{{#red ", "\\"]
CLOSERS = ["}}}", "]]"]

PIECES = ([("visible", t) for t in VISIBLE] + [("hidden", t) for t in HIDDEN]
          + [("opener", t) for t in OPENERS] + [("closer", t) for t in CLOSERS])


def word(number: int) -> str:
    """A word of two Hangul syllables no construct's own text holds: "낱" and one syllable per number."""
    return "낱" + chr(0xB098 + number)


@st.composite
def page(draw, broken: bool = True):
    """(markup, the words a reader sees in it): pieces in any order, on one line or several."""
    choices = PIECES if broken else [p for p in PIECES if p[0] in ("visible", "hidden")]
    pieces = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=40))
    separators = draw(st.lists(st.sampled_from([" ", "\n", " 그리고 "]), min_size=len(pieces), max_size=len(pieces)))
    first_opener = next((i for i, (kind, _) in enumerate(pieces) if kind == "opener"), len(pieces))
    pieces = ([p for p in pieces if p[0] == "closer"]
              + [p for i, p in enumerate(pieces) if p[0] != "closer" or i < first_opener])
    markup, words = [], []
    for number, ((kind, template), separator) in enumerate(zip(pieces, separators)):
        w = word(number)
        markup.append(template.replace("{w}", w).replace("{h}", "숨은" + w) + separator)
        if kind == "visible":
            words.append(w)
    return "".join(markup), words


@settings(max_examples=500, deadline=None)
@given(page())
def test_every_visible_word_of_a_page_survives(built):
    markup, words = built
    text = convert(markup).text
    missing = [w for w in words if w not in text]
    assert not missing, (missing, markup, text)


@settings(max_examples=300, deadline=None)
@given(page(broken=False))
def test_the_oracle_finds_a_sound_page_whole(built):
    """A page with no broken markup keeps enough of the oracle's weight: the import neither converts
    it again nor reports it."""
    markup, _ = built
    text = convert(markup).text
    assert keeps_enough(text, oracle_weight(markup)), (oracle_weight(markup), markup, text)


@pytest.mark.parametrize("unit", ["[[a|", "[*", "[*[[", "{{{#!syntax ", "{{{#!style", "{{{a\n", "{{{\n}", "[a(", "[가 ",
                                  "##", "{{{"])
def test_the_oracle_is_linear_on_hostile_pages(unit):
    markup = unit * (200_000 // len(unit)) + "낱말"
    started = time.process_time()  # CPU seconds: a loaded machine's pauses are not the oracle's work
    oracle_weight(markup, TextOptions(footnotes="remove", keep_headings=False, keep_tables=False))
    assert time.process_time() - started < 1.0
