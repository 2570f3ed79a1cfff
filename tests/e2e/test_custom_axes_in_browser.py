"""A custom-axes map drawn in a real browser: the visitor names two contrasts, and the words take their places.

The server gets word vectors imported into its data directory before it starts (a word2vec file, as a visitor
would import one), so the test needs no training: its own time is the page's.
"""

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from ui import ARTIFACTS_DIR

# Words with a planted meaning: one direction tells men from women, another the past from the present, and a
# few words lean along one of them; the rest is noise.
PLANTED = {"남자/NNG": (1, 0), "여자/NNG": (-1, 0), "아버지/NNG": (0.8, 0), "어머니/NNG": (-0.8, 0),
           "과거/NNG": (0, 1), "현재/NNG": (0, -1), "옛날/NNG": (0, 0.8), "지금/MAG": (0, -0.8)}
FILLERS = 200


def planted_vectors():
    from namuweb.embeddings.vectors import Embeddings
    rng = np.random.default_rng(7)
    words = list(PLANTED) + ["은/JX", "는/JX"] + [f"낱말{i}/{'NNG' if i % 4 else 'VV'}" for i in range(FILLERS)]
    vectors = rng.normal(scale=0.3, size=(len(words), 16))
    for row, (gender, time) in enumerate(PLANTED.values()):
        vectors[row, 0], vectors[row, 1] = 3 * gender, 3 * time
    return Embeddings(words, list(range(len(words) * 5, 0, -5)), vectors.astype(np.float32))


@pytest.fixture(scope="module")
def server_with_vectors(tmp_path_factory, serve_app):
    from namuweb.embeddings import embedding_library
    home = tmp_path_factory.mktemp("custom-axes-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NAMUWEB_HOME", str(home))
        embedding_library.import_file(planted_vectors().word2vec_text(), "planted.txt", home=home)
    with serve_app(home, tmp_path_factory.mktemp("custom-axes-log") / "streamlit.log", warm=False) as base_url:
        yield base_url


CHART_DRAWN = """() => document.fonts.status === "loaded" && [...document.querySelectorAll(
  '[data-testid="stVegaLiteChart"]')].some(chart => chart.checkVisibility() && chart.querySelector("canvas, svg"))"""


def hover_until_a_tooltip(page, chart) -> str:
    """Move the pointer over the chart, row by row, until a point's tooltip shows; its text."""
    box = chart.bounding_box()
    tooltip = page.locator("#vg-tooltip-element.visible")
    for fy in np.linspace(0.1, 0.9, 25):
        for fx in np.linspace(0.05, 0.8, 40):
            page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            if tooltip.count():
                return tooltip.inner_text()
    raise AssertionError("no point of the custom-axes map showed a tooltip under the pointer")


def test_a_visitor_draws_a_custom_axes_map(server_with_vectors, page, wait_for_app):
    page.goto(f"{server_with_vectors}/embeddings")
    wait_for_app(page)
    page.get_by_role("tab", name="Custom axes").click()
    panel = page.get_by_role("tabpanel", name="Custom axes")
    # The tab opens on the issue's own contrasts: these vectors know all four words.
    expect(panel.get_by_role("textbox", name="X axis: from")).to_have_value("남자")
    expect(panel.get_by_role("textbox", name="Y axis: to")).to_have_value("현재")
    expect(panel.get_by_text(re.compile(r"^x: 남자/NNG → 여자/NNG; y: 과거/NNG → 현재/NNG\. 208 words"))).to_be_visible()
    page.wait_for_function(CHART_DRAWN)

    # A set of words on one side, a tagged token on another.
    x_from = panel.get_by_role("textbox", name="X axis: from")
    x_from.fill("남자 아버지")
    x_from.press("Enter")
    wait_for_app(page)
    y_to = panel.get_by_role("textbox", name="Y axis: to")
    y_to.fill("현재 지금/MAG")
    y_to.press("Enter")
    wait_for_app(page)
    caption = panel.get_by_text(re.compile(r"^x: 남자/NNG 아버지/NNG → 여자/NNG; y: 과거/NNG → 현재/NNG 지금/MAG\."))
    expect(caption).to_be_visible()
    expect(caption).to_contain_text("independent")  # the planted contrasts are orthogonal
    chart = panel.locator('[data-testid="stVegaLiteChart"]')
    expect(chart).to_have_count(1)
    page.wait_for_function(CHART_DRAWN)
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(ARTIFACTS_DIR / "custom_axes.png"))
    tip = hover_until_a_tooltip(page, chart)
    for field in ("word", "tag", "count", "x: 남자 아버지 → 여자", "y: 과거 → 현재 지금/MAG"):
        assert field in tip, tip

    # A word the vectors do not know is named, and no map is drawn until the axis is whole again.
    x_from.fill("남자 없는말")
    x_from.press("Enter")
    wait_for_app(page)
    expect(panel.get_by_text("The x axis's “from” side: '없는말' is not in the vocabulary")).to_be_visible()
    expect(chart).to_have_count(0)
    x_from.fill("남자")
    x_from.press("Enter")
    wait_for_app(page)
    expect(chart).to_have_count(1)
    expect(panel.get_by_text(re.compile(r"^x: 남자/NNG → 여자/NNG; y: "))).to_be_visible()
