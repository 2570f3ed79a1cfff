"""The app in headless Chromium: a fresh server's first request, and the dump import.

The tagger deep-link test must stay first: it is the first request the fresh server gets, which is
when Streamlit used to show "Page not found" and when a visitor used to wait for Java to start.
The tour of every tool (vocabulary, training with reload and a second tab, generation, embeddings)
is tests/e2e/test_walkthrough.py.
"""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect


def sidebar_links(page) -> list[str]:
    return [t.strip().splitlines()[-1] for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]


FIRST_VISIT_BOUND_S = 5.0  # a tagger deep link as a fresh server's first request, until the page is idle


@pytest.mark.quiet
def test_first_request_tagger_deep_link_is_tagged_within_five_seconds(app_server, page, wait_for_app,
                                                                       machine_slowdown, figure):
    slowdown = machine_slowdown()
    # "commit": start watching as soon as the response arrives, not after the browser's load event
    page.goto(f"{app_server}/tagger?text={quote('아버지가방에들어가신다')}&engine=okt", wait_until="commit")
    line = page.locator('[data-testid="stText"]').first
    expect(line).to_contain_text("아버지/Noun", timeout=60_000)
    seconds = wait_for_app(page, timeout=60_000)  # from the request to the page going idle, tagged
    bound = FIRST_VISIT_BOUND_S * slowdown
    figure(f"fresh server, first request /tagger?text=…&engine=okt: tagged and idle in {seconds:.2f} s "
           f"(bound {bound:.1f} s: {FIRST_VISIT_BOUND_S:.0f} s × this machine's slowdown {slowdown:.2f})")
    expect(page.get_by_role("textbox", name="Text")).to_have_value("아버지가방에들어가신다")
    expect(page.get_by_text("Verb").first).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    assert sidebar_links(page) == ["Home", "Corpora", "Tagger", "Embeddings", "Vocabulary", "Train", "Generate",
                                   "Inspect"]
    assert seconds <= bound, f"the first visitor waited {seconds:.1f} s for the tagger deep link"


def uploads_held_in_memory(app_server) -> int:
    """Bytes of uploaded files the server holds, as its metrics endpoint reports them."""
    import urllib.request
    metrics = urllib.request.urlopen(f"{app_server}/_stcore/metrics", timeout=30).read().decode()
    assert "# TYPE cache_memory_bytes gauge" in metrics, "Streamlit's metrics no longer report cache memory"
    held = re.findall(r'cache_memory_bytes\{cache_type="UploadedFileManager"[^}]*\} (\d+)', metrics)
    return sum(int(n) for n in held)


def test_import_the_fixture_dump_from_the_corpora_page(app_server, page, wait_for_app):
    from pathlib import Path
    dump = Path(__file__).resolve().parents[1] / "fixtures" / "namuwiki" / "mini.json"
    page.goto(f"{app_server}/corpora")
    wait_for_app(page)
    if not page.locator('[data-testid="stFileUploaderDropzoneInput"]').count():
        page.get_by_text("Add a corpus").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(dump))
    expect(page.get_by_text(re.compile("Imported mini.json"))).to_be_visible(timeout=90_000)
    # Stored on disk, the upload is no longer held in the server's memory (Streamlit's own figure).
    assert uploads_held_in_memory(app_server) == 0
    page.goto(f"{app_server}/vocabulary")
    wait_for_app(page)
    page.get_by_role("combobox", name="Corpus").click()
    expect(page.get_by_role("option", name=re.compile("Namuwiki · mini.json"))).to_be_visible()
