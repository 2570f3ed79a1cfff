"""Names and words from visitors show literally: no link, image, directive or colour from data."""

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from namuweb import corpus, jobs, tagging
from namuweb.markup import literal

ROOT = Path(__file__).resolve().parents[1]

HOSTILE = ("[로그인하여 보기](https://evil.example/login) ![t](http://127.0.0.1:9999/pixel.png) :red[빨강] "
           "<img src=x> $x^2$ *bold* `code` www.evil.example https://evil.example/a_b")
LIVE = re.compile(r"<a |<img|<script|<em>|<strong>|<code>")  # for a name alone: nothing but text
LIVE_ON_A_PAGE = re.compile(r"<a |<img|<script")  # a page's own **bold** around a name is fine


def rendered(markdown: str) -> str:
    """CommonMark, as Streamlit's renderer treats links, images, emphasis and HTML."""
    return MarkdownIt("commonmark").render(markdown)


def no_autolink(markdown: str) -> bool:
    """GFM also links bare ``https://…`` and ``www.…``: escaped, the source holds neither."""
    return "://" not in markdown and not re.search(r"(?<![\\])www\.", markdown)


def test_literal_renders_as_exactly_the_text():
    html = rendered(literal(HOSTILE))
    assert not LIVE.search(html), html
    assert no_autolink(literal(HOSTILE))
    text = re.sub(r"<[^>]+>", "", html).strip().replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert text == HOSTILE
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
    return corpus.add_upload("한국어 문장입니다. 둘째 문장입니다.\n".encode() * 20, HOSTILE[:100])


def test_the_corpora_page_shows_a_hostile_name_as_text(hostile_corpus):
    at = AppTest.from_file(str(ROOT / "app_pages" / "corpora.py"), default_timeout=120).run()
    at.session_state["library_table"] = {"selection": {"rows": [1], "columns": []}}
    at.run()
    assert any("evil" in v for v in shown_markdown(at)), "the name was not shown at all"
    assert_inert(at)


def test_the_tagger_job_status_shows_a_hostile_corpus_name_as_text(hostile_corpus):
    job = tagging.create_job(hostile_corpus.id, "kiwi")
    jobs.write_status(job, state="failed", kind="tag", error=f"could not read {HOSTILE}")
    at = AppTest.from_file(str(ROOT / "app_pages" / "tagger.py"), default_timeout=120)
    at.session_state["tagger_tab"] = "Tag a corpus"
    at.run()
    assert any("evil" in v for v in shown_markdown(at)), "the job's corpus name was not shown"
    assert_inert(at)


def test_a_deleted_tagging_result_is_a_state_not_a_crash(hostile_corpus):
    job = tagging.create_job(hostile_corpus.id, "kiwi")
    tagging._write_job(job, tagging.read_job(job) | {"result": "gone-1234"})
    jobs.write_status(job, state="finished", kind="tag")
    at = AppTest.from_file(str(ROOT / "app_pages" / "tagger.py"), default_timeout=120)
    at.session_state["tagger_tab"] = "Tag a corpus"
    at.run()
    assert not at.exception and not at.error
    assert any("has since been deleted" in i.value for i in at.info)
