"""The app in headless Chromium, as a visitor sees it.

The tagger deep-link test must stay first: it is the first request the fresh server gets, which is
when Streamlit used to show "Page not found" and when a visitor used to wait for Java to start.
"""

import re
import time
from urllib.parse import quote

from playwright.sync_api import expect

from ui import current_step, expect_state, metric_value

HANGUL_RENDERS = """() => {
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = "32px sans-serif";
  const korean = ctx.measureText("한").width;
  const missing = ctx.measureText("\\u0378").width;   // unassigned: drawn as a .notdef box
  return korean > 0 && Math.abs(korean - missing) > 0.5;
}"""


def sidebar_links(page) -> list[str]:
    return [t.strip().splitlines()[-1] for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]


FIRST_VISIT_BOUND_S = 5.0  # a tagger deep link as a fresh server's first request, until the page is idle


def test_first_request_tagger_deep_link_is_tagged_within_five_seconds(app_server, page, wait_for_app):
    started = time.monotonic()
    page.goto(f"{app_server}/tagger?text={quote('아버지가방에들어가신다')}&engine=okt")
    line = page.locator('[data-testid="stCode"]').first
    expect(line).to_contain_text("아버지/Noun", timeout=60_000)
    wait_for_app(page, timeout=60_000)
    seconds = time.monotonic() - started
    print(f"\nfresh server, first request /tagger?text=…&engine=okt: tagged and idle in {seconds:.2f} s")
    expect(page.get_by_role("textbox", name="Text")).to_have_value("아버지가방에들어가신다")
    expect(page.get_by_text("Verb").first).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    assert sidebar_links(page) == ["Home", "Corpora", "Tagger", "Embeddings", "Vocabulary", "Train", "Generate"]
    assert seconds <= FIRST_VISIT_BOUND_S, f"the first visitor waited {seconds:.1f} s for the tagger deep link"


def test_deep_link_to_vocabulary(app_server, page, wait_for_app):
    page.goto(f"{app_server}/vocabulary")
    wait_for_app(page)
    expect(page.get_by_role("heading", name=re.compile("Vocabulary"))).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    assert sidebar_links(page) == ["Home", "Corpora", "Tagger", "Embeddings", "Vocabulary", "Train", "Generate"]


def test_home_to_vocabulary_shows_builtin_vocabulary_size(app_server, page, wait_for_app):
    page.goto(app_server)
    wait_for_app(page)
    expect(page.get_by_role("heading", name=re.compile("namuweb"))).to_be_visible()
    expect(page.get_by_text(re.compile("TensorFlow 2\\."))).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Open Vocabulary").click()
    wait_for_app(page)
    assert page.url.rstrip("/").endswith("/vocabulary")
    size = page.locator('[data-testid="stMetric"]').filter(has_text="Vocabulary size")
    expect(size.locator('[data-testid="stMetricValue"]')).to_have_text("156")
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Jamo tokens")
           .locator('[data-testid="stMetricValue"]')).to_have_text("154,939")
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(3)
    expect(page.get_by_text("Round trip exact")).to_be_visible()
    assert page.evaluate(HANGUL_RENDERS), "Korean glyphs render as boxes: install fonts-noto-cjk"


def test_train_quick_demo_streams_survives_reload_and_stops(app_server, page, wait_for_app):
    page.goto(f"{app_server}/train")
    wait_for_app(page)
    expect(page.get_by_text(re.compile("steps per epoch"))).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Train").click()
    expect_state(page, "running")
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    expect(chart).to_be_visible()
    deadline_step = current_step(page) + 5
    page.wait_for_timeout(500)
    before = chart.screenshot()
    for _ in range(60):
        if current_step(page) >= deadline_step:
            break
        page.wait_for_timeout(1000)
    assert current_step(page) >= deadline_step, "the step counter did not advance live"
    page.wait_for_timeout(2500)  # one more fragment tick redraws the chart
    assert chart.screenshot() != before, "the loss chart did not change while training"
    run_heading = page.get_by_role("heading", name=re.compile("^Run ")).inner_text()

    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=run_heading)).to_be_visible(timeout=30_000)
    expect_state(page, "running")
    second = page.context.new_page()
    second.goto(f"{app_server}/train")
    expect(second.get_by_role("heading", name=run_heading)).to_be_visible(timeout=30_000)
    expect(second.get_by_role("button", name="Train")).to_be_disabled()
    second.close()

    page.get_by_role("button", name="Stop").click()
    expect_state(page, "stopped", timeout=60_000)
    expect(page.get_by_role("button", name="Train")).to_be_enabled(timeout=30_000)


def test_generate_streams_korean_text(app_server, usable_run, page, wait_for_app):
    page.goto(f"{app_server}/generate")
    wait_for_app(page)
    page.get_by_role("button", name="Generate").click()
    wait_for_app(page)
    output = page.locator('[data-testid="stCode"]').first
    expect(output).to_contain_text("한국에서는", timeout=30_000)
    text = output.inner_text()
    continuation = text.split("한국에서는", 1)[1]
    assert sum("가" <= ch <= "힣" for ch in continuation) >= 20, text
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(1)


def test_embeddings_query_highlights_the_word_on_the_map(app_server, namuweb_home, page, wait_for_app, monkeypatch):
    from namuweb import corpus, embedding_library, morph, skipgram
    monkeypatch.setenv("NAMUWEB_HOME", str(namuweb_home))
    if not [e for e in embedding_library.entries() if e.ready]:
        source = corpus.ensure_builtin()
        output = namuweb_home / "tagged-for-test.txt"
        morph.tag_corpus(source.path, output, "kiwi")
        tagged = corpus.add_file(output, "built-in · tagged (Kiwi)", source="tagged", parent=source.id)
        folder = embedding_library.create(skipgram.SkipGramConfig(corpus=tagged.id).validated())
        embedding_library.run(folder)
    page.goto(f"{app_server}/embeddings")
    wait_for_app(page)
    word_box = page.get_by_role("combobox", name="Word")
    word_box.click()
    word_box.fill("국민")
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    page.get_by_role("tab", name="Map").click()
    expect(page.get_by_text(re.compile(r"Ringed: 국민/"))).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stVegaLiteChart"]').last).to_be_visible()


def test_import_the_fixture_dump_from_the_corpora_page(app_server, page, wait_for_app):
    from pathlib import Path
    dump = Path(__file__).resolve().parents[1] / "fixtures" / "namuwiki" / "mini.json"
    page.goto(f"{app_server}/corpora")
    wait_for_app(page)
    if not page.locator('[data-testid="stFileUploaderDropzoneInput"]').count():
        page.get_by_text("Add a corpus").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(dump))
    expect(page.get_by_text(re.compile("Imported mini.json"))).to_be_visible(timeout=90_000)
    page.goto(f"{app_server}/vocabulary")
    wait_for_app(page)
    page.get_by_role("combobox", name="Corpus").click()
    expect(page.get_by_role("option", name=re.compile("Namuwiki · mini.json"))).to_be_visible()
