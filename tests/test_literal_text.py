"""Names and words from visitors show literally: no link, image, directive or colour from data."""

import html as html_module
import re
import unicodedata
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from namuweb.corpora import corpus

from namuweb import jobs

from namuweb.morphemes import corpus_tagging
from namuweb.literal_text import WORD_JOINER, literal
from library_texts import add_text

ROOT = Path(__file__).resolve().parents[1]

HOSTILE = ("[로그인하여 보기](https://evil.example/login) ![t](http://127.0.0.1:9999/pixel.png) :red[빨강] "
           "<img src=x> $x^2$ *bold* `code` www.evil.example https://evil.example/a_b")
LIVE = re.compile(r"<a |<img|<script|<em>|<strong>|<code>")  # for a name alone: nothing but text
LIVE_ON_A_PAGE = re.compile(r"<a |<img|<script")  # a page's own **bold** around a name is fine


def rendered(markdown: str) -> str:
    """CommonMark, as Streamlit's renderer treats links, images, emphasis and HTML."""
    return MarkdownIt("commonmark").render(markdown)


# GFM's bare autolinks as Streamlit's renderer finds them (mdast-util-gfm-autolink-literal): in the
# text after escapes are resolved, where the match starts a word (after nothing, a space or punctuation).
_BARE_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE)
_BARE_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")


def _starts_a_word(text: str, index: int) -> bool:
    before = text[index - 1] if index else " "
    return before.isspace() or unicodedata.category(before)[0] in "PS" or index == 0


def no_autolink(markdown: str) -> bool:
    """No bare URL, www. address or e-mail address in the rendered text would become a link."""
    text = html_module.unescape(re.sub(r"<[^>]+>", "", rendered(markdown)))
    for pattern, email in ((_BARE_URL, False), (_BARE_EMAIL, True)):
        for start in range(len(text)):  # every start, as the renderer retries one character on
            match = pattern.match(text, start)
            if match and _starts_a_word(text, start) and not (email and text[start - 1:start] == "/"):
                return False
    return True


def test_the_autolink_rule_finds_what_the_renderer_links():
    assert not no_autolink("see https://evil.example/login now")
    assert not no_autolink("\\[a\\]\\(https\\:\\/\\/evil\\.example\\)")  # escapes alone do not stop it
    assert not no_autolink("(www.evil.example)") and not no_autolink("mail me@evil.example")
    assert no_autolink("plain 한국어 text")


def test_literal_renders_as_exactly_the_text():
    html = rendered(literal(HOSTILE + " me@evil.example"))
    assert not LIVE.search(html), html
    assert no_autolink(literal(HOSTILE + " me@evil.example"))
    text = html_module.unescape(re.sub(r"<[^>]+>", "", html)).strip().replace(WORD_JOINER, "")
    assert text == HOSTILE + " me@evil.example"
    assert literal("한국어\n 이름") == "한국어 이름"  # line breaks cannot start a Markdown block


def shown_markdown(at: AppTest) -> list[str]:
    kinds = ("markdown", "caption", "info", "success", "warning", "error", "subheader", "title", "header")
    return [element.value for kind in kinds for element in at.get(kind)]


def assert_inert(at: AppTest) -> None:
    assert not at.exception, at.exception
    for value in shown_markdown(at):
        if "evil" in value or "127" in value:
            assert not LIVE_ON_A_PAGE.search(rendered(value)) and no_autolink(value), value


@pytest.fixture
def hostile_corpus():
    return add_text("한국어 문장입니다. 둘째 문장입니다.\n".encode() * 20, HOSTILE[:100])


def test_the_corpora_page_shows_a_hostile_name_as_text(hostile_corpus):
    at = AppTest.from_file(str(ROOT / "app_pages" / "corpora.py"), default_timeout=120).run()
    at.session_state["library_table"] = {"selection": {"rows": [1], "columns": []}}
    at.run()
    assert any("evil" in v for v in shown_markdown(at)), "the name was not shown at all"
    assert_inert(at)


def test_the_tagger_job_status_shows_a_hostile_corpus_name_as_text(hostile_corpus):
    job = corpus_tagging.create_job(hostile_corpus.id, "kiwi")
    jobs.write_status(job, state="failed", kind="tag", error=f"could not read {HOSTILE}")
    at = AppTest.from_file(str(ROOT / "app_pages" / "tagger.py"), default_timeout=120)
    at.session_state["tagger_tab"] = "Tag a corpus"
    at.run()
    assert any("evil" in v for v in shown_markdown(at)), "the job's corpus name was not shown"
    assert_inert(at)


def test_a_deleted_tagging_result_is_a_state_not_a_crash(hostile_corpus):
    job = corpus_tagging.create_job(hostile_corpus.id, "kiwi")
    corpus_tagging.FOLDERS.write(job, corpus_tagging.FOLDERS.read(job) | {"result": "gone-1234"})
    jobs.write_status(job, state="finished", kind="tag")
    at = AppTest.from_file(str(ROOT / "app_pages" / "tagger.py"), default_timeout=120)
    at.session_state["tagger_tab"] = "Tag a corpus"
    at.run()
    assert not at.exception and not at.error
    assert any("has since been deleted" in i.value for i in at.info)
