"""The whole product in one headless-Chromium walk, as a new visitor takes it on a fresh server.

home → vocabulary of the built-in corpus → tag a sentence → tag the built-in corpus → train
skip-gram and query a neighbour → start the quick-demo char-LSTM and watch its chart get points →
reload mid-training and find the job → generate at two temperatures, branch from a character of the sample,
write by clicking the next-syllable chart → inspect the model: surprisal per character, then one cell's activation.

Every page is photographed into ``test-artifacts/walkthrough/``; with
``NAMUWEB_UPDATE_SCREENSHOTS=1`` the photographs also replace the README's in ``docs/screenshots/``.
"""

import hashlib
import json
import os
import re
import shutil
import time

import pytest
from playwright.sync_api import expect

from polling import poll_until
from ui import ARTIFACTS_DIR, PROJECT_ROOT, expect_state, metric_value, open_from_sidebar, wait_for_step

SHOTS = ARTIFACTS_DIR / "walkthrough"
README_SHOTS = PROJECT_ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory, serve_app):
    from corpus_server import write_mirror
    home = tmp_path_factory.mktemp("walkthrough-home")
    mirror = write_mirror(tmp_path_factory.mktemp("walkthrough-mirror"))  # the catalogue, with no internet
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NAMUWEB_CORPUS_MIRROR", str(mirror))
        with serve_app(home, tmp_path_factory.mktemp("walkthrough-log") / "streamlit.log") as base_url:
            yield base_url


# Every Vega-Lite chart a visitor can see has drawn its canvas or SVG, and the fonts have loaded (a chart in
# a tab not open is drawn only when the tab opens).
CHARTS_DRAWN = """() => document.fonts.status === "loaded" && [...document.querySelectorAll(
  '[data-testid="stVegaLiteChart"]')].filter(chart => chart.checkVisibility())
  .every(chart => chart.querySelector("canvas, svg"))"""


def photograph(page, name: str, focus=None) -> None:
    """Save the visible page as ``<name>.png`` once its charts have drawn, ``focus`` scrolled into view."""
    if focus is not None:
        focus.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.wait_for_function(CHARTS_DRAWN)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    if os.environ.get("NAMUWEB_UPDATE_SCREENSHOTS") == "1":
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, README_SHOTS / f"{name}.png")
        # which page source each photograph shows: tests/test_readme.py compares it with today's
        manifest = README_SHOTS / "manifest.json"
        shots = json.loads(manifest.read_text()) if manifest.exists() else {}
        shots[name] = hashlib.sha256((PROJECT_ROOT / "app_pages" / f"{name}.py").read_bytes()).hexdigest()
        manifest.write_text(json.dumps(dict(sorted(shots.items())), indent=1) + "\n")


def hangul_count(text: str) -> int:
    return sum("가" <= ch <= "힣" for ch in text)


HANGUL_RENDERS = """() => {
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = "32px sans-serif";
  const korean = ctx.measureText("한").width;
  const missing = ctx.measureText("\\u0378").width;   // unassigned: drawn as a .notdef box
  return korean > 0 && Math.abs(korean - missing) > 0.5;
}"""
# The target is 2 s; on these 2 cores the first home page is idle in 1.5-2.4 s on most runs and
# once took 3.0 s (Streamlit's own front-end bundle is about 1 s of it), so the test holds the line at 3 s
# against a return of the old 6 s rather than fail a clean run now and then.
HOME_BOUND_S = 3.0


@pytest.mark.quiet
def test_home_is_the_fresh_servers_first_request_and_is_quick(fresh_server, browser, wait_for_app,
                                                               machine_slowdown, figure):
    """Must stay first in this module: the home page while the server still warms up in the background."""
    slowdown = machine_slowdown()
    context = browser.new_context(locale="ko-KR")  # Playwright's default 1280 × 720 window: a laptop
    page = context.new_page()
    try:
        page.goto(fresh_server, wait_until="commit")  # watch from the response, not the load event
        expect(page.get_by_role("heading", name=re.compile("namuweb"))).to_be_visible()
        seconds = wait_for_app(page)  # from the request to the page going idle
        bound = HOME_BOUND_S * slowdown
        figure(f"fresh server, first request /: idle in {seconds:.2f} s "
               f"(bound {bound:.1f} s: {HOME_BOUND_S:.0f} s × this machine's slowdown {slowdown:.2f})")
        assert seconds <= bound, f"the home page took {seconds:.1f} s on a fresh server"
    finally:
        context.close()


def test_a_new_visitor_walks_through_every_tool(fresh_server, browser, wait_for_app, figure):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        walk(page, fresh_server, wait_for_app, figure)
    finally:
        page.screenshot(path=str(ARTIFACTS_DIR / "walkthrough-last-state.png"))
        context.close()


class Phases:
    """Seconds each part of the walk took, printed at the end so a slow part shows in CI's output."""

    def __init__(self):
        self.marks = [("start", time.monotonic())]

    def __call__(self, name: str) -> None:
        self.marks.append((name, time.monotonic()))

    def report(self) -> str:
        return "  ".join(f"{name} {end - start:.1f} s"
                         for (_, start), (name, end) in zip(self.marks, self.marks[1:]))


def walk(page, app, wait_for_app, figure):
    phase = Phases()
    try:
        walk_phases(page, app, wait_for_app, phase)
    finally:
        figure(f"walkthrough phases: {phase.report()}")


def walk_phases(page, app, wait_for_app, phase):
    # Home: what each tool does and the machine's status.
    page.goto(app)
    wait_for_app(page)
    expect(page.get_by_role("heading", name=re.compile("namuweb"))).to_be_visible()
    expect(page.get_by_text(re.compile("TensorFlow 2\\."))).to_be_visible(timeout=60_000)
    photograph(page, "home")

    phase("home")
    # Vocabulary of the built-in corpus.
    page.get_by_role("button", name="Open Vocabulary").click()
    wait_for_app(page)
    assert page.url.rstrip("/").endswith("/vocabulary")
    expect(metric_value(page, "Vocabulary size")).to_have_text("156")
    expect(metric_value(page, "Jamo tokens")).to_have_text("154,939")
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(3)
    expect(page.get_by_text("Round trip exact")).to_be_visible()
    assert page.evaluate(HANGUL_RENDERS), "Korean glyphs render as boxes: install fonts-noto-cjk"
    photograph(page, "vocabulary")

    phase("vocabulary")
    # Embeddings from nothing: one click tags the built-in corpus and trains on it, then the explorer opens on 국민.
    open_from_sidebar(page, "embeddings", wait_for_app)
    page.get_by_role("button", name="Build embeddings from the built-in corpus").click()
    word_box = page.get_by_role("combobox", name="Word")
    expect(word_box).to_be_visible(timeout=240_000)
    wait_for_app(page)
    neighbours = page.locator('[data-testid="stDataFrame"]').first
    expect(neighbours).to_be_visible()
    expect(page.get_by_text(re.compile(r"국민/(Noun|NNG)"))).not_to_have_count(0)
    page.get_by_role("tab", name="Map").click()
    expect(page.get_by_text(re.compile(r"Ringed: 국민/"))).to_be_visible(timeout=30_000)
    page.get_by_text("t-SNE", exact=True).click()  # the same map by t-SNE, in the maps' worker
    page.get_by_role("button", name="Draw the map").click()
    expect(page.get_by_text(re.compile(r"^t-SNE map of .*Ringed: 국민/"))).to_be_visible(timeout=90_000)
    search = page.get_by_role("textbox", name="Find words on the map")  # search the map: 대통령 is found
    search.fill("대통령")
    search.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"match(es)? “대통령”: 대통령/"))).to_be_visible(timeout=30_000)
    photograph(page, "embeddings", focus=page.get_by_role("tab", name="Map"))
    page.get_by_role("tab", name="Custom axes").click()  # a map along two contrasts the vectors can draw
    expect(page.get_by_text(re.compile(r"^x: \S+ → \S+; y: \S+ → \S+\. "))).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stVegaLiteChart"]').last).to_be_visible()

    phase("embeddings in one click")
    # Tag a sentence typed by hand.
    open_from_sidebar(page, "tagger", wait_for_app)
    box = page.get_by_role("textbox", name="Text")
    box.fill("아버지가방에들어가신다")
    box.press("Control+Enter")
    wait_for_app(page)
    expect(page.locator('[data-testid="stText"]').first).to_contain_text("아버지/Noun", timeout=60_000)

    phase("tag a sentence")
    # Tag the built-in corpus as a job; the result becomes a tagged corpus.
    page.get_by_role("tab", name="Tag a corpus").click()
    page.get_by_role("button", name="Tag the corpus").click()
    expect(page.get_by_text(re.compile("Saved as the corpus"))).to_be_visible(timeout=240_000)
    page.get_by_role("tab", name="Tag", exact=True).click()
    photograph(page, "tagger")

    phase("tag the corpus")
    # The library: the built-in corpus and its tagged child, in a table.
    open_from_sidebar(page, "corpora", wait_for_app)
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    # An open text from the catalogue: one click on Get, and it arrives with its licence.
    page.get_by_text("Get an open Korean text").click()
    page.get_by_text("KoCoNovel: 50 Korean novels and short stories").first.scroll_into_view_if_needed()
    page.locator('[class*="st-key-get-koconovel"] button').click()
    expect(page.get_by_text(re.compile("Downloaded KoCoNovel.*CC BY-SA 4.0"))).to_be_visible(timeout=120_000)
    photograph(page, "corpora")

    phase("corpora")
    # The quick-demo char-LSTM: the chart gets points while it trains.
    open_from_sidebar(page, "train", wait_for_app)
    expect(page.get_by_text(re.compile("steps per epoch"))).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Train").click()
    expect_state(page, "running")
    first = wait_for_step(page, 1, "the quick demo's first step")
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    expect(chart).to_be_visible()
    before = chart.screenshot()
    wait_for_step(page, first + 5, "the step counter advancing live", timeout_s=90)
    redrawn = time.monotonic() + 10  # the chart's fragment redraws it every 2 s
    while chart.screenshot() == before:
        assert time.monotonic() < redrawn, "the loss chart did not change while training"
        page.wait_for_timeout(250)
    run_heading = page.get_by_role("heading", name=re.compile(" · quick demo · ")).inner_text()

    phase("train to a live chart")
    # Reload mid-training: the job is still there and still running; a second tab sees it too.
    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=run_heading)).to_be_visible()
    expect_state(page, "running")
    second = page.context.new_page()
    second.goto(f"{app}/train")
    expect(second.get_by_role("heading", name=run_heading)).to_be_visible(timeout=30_000)
    expect(second.get_by_text("A new one waits in line")).to_be_visible()  # a second Train would wait its turn
    second.close()
    phase("reload and second tab")
    # Enough steps for Korean syllables at temperatures 1.0 and 1.2: after 60 steps of the quick demo, the
    # fewest Hangul syllables in 100 samples of 200 characters were 61, three times what generate asserts.
    # Then stop: a checkpoint is written on stop.
    wait_for_step(page, 60, "the quick demo training long enough to generate Korean", timeout_s=240)
    photograph(page, "train", focus=page.get_by_role("heading", name=run_heading))
    page.get_by_role("button", name="Stop").click()
    expect_state(page, "stopped", timeout=90_000)
    expect(page.get_by_role("button", name="Train")).to_be_enabled(timeout=30_000)

    phase("train to step 60 and stop")
    # Generate from the stopped run's checkpoint at two temperatures.
    open_from_sidebar(page, "generate", wait_for_app)
    texts = {}
    # Below 1.0 a young model often repeats spaces and line ends, so that is no test of Korean.
    slider = page.get_by_role("slider", name=re.compile("^Temperature")).first
    expect(slider).to_have_value("0.8")  # the page's default; each arrow press is one 0.05 step
    for temperature in ("1", "1.2"):
        slider.focus()
        for _ in range(4):
            slider.press("ArrowRight")
        wait_for_app(page)
        expect(slider).to_have_value(temperature)
        page.get_by_role("button", name="Generate").click()
        wait_for_app(page)
        expect(page.get_by_text(f"temperature {temperature} ·")).to_be_visible()
        output = page.locator(".namuweb-sample").first  # the finished text, in the page's proportional type
        expect(output).to_contain_text("한국에서는")
        texts[temperature] = output.inner_text().split("한국에서는", 1)[1]
        assert hangul_count(texts[temperature]) >= 20, texts[temperature]
    assert texts["1"] != texts["1.2"], "the two temperatures gave the same text"
    # Branch from a character in the middle of the sample: its alternatives, one picked by a click, and on.
    original = page.locator(".namuweb-sample").first.inner_text()
    character = page.get_by_role("spinbutton", name="Character")
    character.fill("10")
    character.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text(re.compile("^Character 10 is "))).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(2)  # the alternatives, the next syllables
    alternatives = page.locator('[data-testid="stVegaLiteChart"]').first
    alternatives.scroll_into_view_if_needed()
    page.wait_for_function(CHARTS_DRAWN)
    box = alternatives.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.14, box["y"] + box["height"] * 0.4)  # the likeliest column
    wait_for_app(page)
    shown = page.locator('[data-testid="stSelectbox"]').filter(has_text="Continue with").evaluate(
        "box => [box.innerText, ...[...box.querySelectorAll('input')].map(input => input.value)].join('\\n')")
    label = re.search(r"(\S+) · \d", shown).group(1)  # the picked choice, "나 · 12.3%"
    chosen = {"␣": " ", "\\n": "\n"}.get(label, label)
    page.get_by_role("button", name="Continue from here").click()
    wait_for_app(page)
    expect(page.get_by_role("button", name="Back to the original")).to_be_visible()
    branched = page.locator(".namuweb-sample").first.inner_text()
    kept = len("한국에서는") + 9
    assert branched[:kept] == original[:kept] and branched[kept] == chosen, (original, branched, chosen)
    page.get_by_role("button", name="Back to the original").click()
    wait_for_app(page)
    expect(page.locator(".namuweb-sample").first).to_have_text(original)
    # Write with the model: a click on the first column (the likeliest syllable) writes it whole; Undo takes it back.
    written = page.locator(".namuweb-written")
    expect(written).to_have_text("한국에서는▌")
    chart = page.locator('[data-testid="stVegaLiteChart"]').last
    chart.scroll_into_view_if_needed()
    page.wait_for_function(CHARTS_DRAWN)
    box = chart.bounding_box()
    first_column = (box["x"] + box["width"] * 0.14, box["y"] + box["height"] * 0.4)  # right of the y axis
    picked = page.get_by_text(re.compile("^Picked: "))
    page.mouse.click(*first_column)
    wait_for_app(page)
    expect(picked).to_be_visible()
    once, after_one = picked.inner_text(), written.inner_text()
    assert len(once.split()) == 2, once  # "Picked:" and one syllable
    assert len(after_one) == len("한국에서는▌") + 1, after_one  # one whole character, never a loose jamo
    page.mouse.click(*first_column)  # the likeliest syllable after it
    wait_for_app(page)
    expect(picked).not_to_have_text(once)
    assert len(picked.inner_text().split()) == 3 and len(written.inner_text()) == len(after_one) + 1
    page.get_by_role("button", name="Undo").click()
    wait_for_app(page)
    expect(picked).to_have_text(once)
    expect(written).to_have_text(after_one)
    photograph(page, "generate")
    phase("generate")

    # Inspect: the stopped run reads a text; each character's colour is its surprisal, its title the details.
    open_from_sidebar(page, "inspect", wait_for_app)
    characters = page.locator('[data-testid="stHtml"] span[title]')
    expect(characters.first).to_be_visible(timeout=30_000)
    titles = characters.evaluate_all("spans => spans.map(s => s.title)")
    assert len(titles) > 40 and sum("bits" in t and "expected:" in t for t in titles) > 40, titles[:3]
    expect(page.get_by_text(re.compile(r"\d\.\d\d bits / character"))).to_be_visible()
    page.get_by_role("tab", name="Cells").click()
    cell_map = page.locator('[data-testid="stHtml"]').last
    before = cell_map.inner_html()
    cell = page.get_by_role("spinbutton", name="Cell")
    first_cell = cell.input_value()  # the table's first row: the strongest cell of the first feature
    # One click on the second row's marker (the grid is drawn on a canvas: 35 px rows under a 35 px header)
    # picks the feature's second-strongest cell, a different one, and the text takes its colours.
    table = page.locator('[data-testid="stDataFrame"]').last
    table.scroll_into_view_if_needed()
    grid = table.bounding_box()
    page.mouse.click(grid["x"] + 18, grid["y"] + 35 + 35 * 1.5)
    wait_for_app(page)
    expect(cell).not_to_have_value(first_cell)
    poll_until(lambda: cell_map.inner_html() != before, timeout=30, what="another cell colouring the text")
    page.get_by_role("tab", name="Surprisal").click()
    photograph(page, "inspect")
    phase("inspect")
