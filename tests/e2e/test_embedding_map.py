"""The Map tab in a real browser (issue 34): a visitor searches the map for a word and sees it found and
ringed, then clicks a point on the map and the Neighbours tab's word becomes that point's word.

The server gets vectors imported before it starts (a word2vec file, as a visitor could upload one), so
the test waits for no training; the map is PCA, computed the same way here to know where each point is.
"""

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from ui import ARTIFACTS_DIR

WORDS = ["고양이/NNG", "강아지/NNG", "사랑/NNG", "학교/NNG", "먹/VV", "예쁘/VA", "빨리/MAG", "선생님/NNG",
         "바다/NNG", "여행/NNG", "읽/VV", "조용히/MAG"] + [f"단어{i}/NNG" for i in range(48)]


def planted_vectors():
    from namuweb.embeddings.vectors import Embeddings
    rng = np.random.default_rng(7)
    return Embeddings(WORDS, list(range(len(WORDS) * 10, 0, -10)), rng.normal(size=(len(WORDS), 16)).astype(np.float32))


@pytest.fixture(scope="module")
def map_server(tmp_path_factory, serve_app):
    """A server whose library holds the planted vectors, imported before it starts."""
    home = tmp_path_factory.mktemp("map-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NAMUWEB_HOME", str(home))
        from namuweb.embeddings import embedding_library
        embedding_library.import_file(planted_vectors().word2vec_text(), "planted.txt")
    with serve_app(home, tmp_path_factory.mktemp("map-log") / "streamlit.log", warm=False) as base_url:
        yield base_url


def loneliest(frame) -> int:
    """The row whose point lies farthest from any other on the first view: a click there can hit only it."""
    from namuweb.embeddings import word_map
    (x0, x1), (y0, y1) = word_map._ranges(frame)
    xy = np.column_stack([(frame["x"] - x0) / (x1 - x0), (y1 - frame["y"]) / (y1 - y0)])
    distances = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    return int(np.argmax(distances.min(axis=1)))


def test_the_map_finds_a_word_and_a_click_makes_a_point_the_query(map_server, page, wait_for_app):
    from namuweb.embeddings import word_map
    page.goto(f"{map_server}/embeddings")
    wait_for_app(page, timeout=60_000)
    word_box = page.get_by_role("combobox", name="Word", exact=True)  # the Neighbours tab's word
    expect(word_box).to_have_value(re.compile(r"/NNG$"))
    first_query = word_box.input_value()
    page.get_by_role("tab", name="Map").click()
    chart = page.locator('[data-testid="stPlotlyChart"]')
    expect(chart).to_be_visible(timeout=30_000)
    expect(chart.get_by_text("체언 (noun)")).to_be_visible()  # the legend: every group, Korean names too
    expect(chart.get_by_text("조사 (particle)")).to_be_visible()

    # Search: the word is found, ringed (the "search matches" trace joins the legend) and labelled.
    search = page.get_by_role("textbox", name="Find words on the map")
    search.fill("고양이")
    search.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text(re.compile("1 word matches “고양이”: 고양이/NNG"))).to_be_visible()
    expect(chart.get_by_text("search matches")).to_be_visible()
    expect(chart.locator(".annotation-text").filter(has_text="고양이/NNG")).to_have_count(1)
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    chart.evaluate("element => element.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(ARTIFACTS_DIR / "embedding_map_search.png"))

    # Click a point: the page computes the same PCA map, so the test knows where each word is drawn.
    frame = word_map.compute(planted_vectors(), word_map.MapSettings())
    row = loneliest(frame)
    word = frame["word"].iat[row]
    assert word != first_query
    chart.evaluate("element => element.scrollIntoView({block: 'center'})")
    area = chart.locator(".nsewdrag").first.bounding_box()
    (x0, x1), (y0, y1) = word_map._ranges(frame)
    x = area["x"] + (frame["x"].iat[row] - x0) / (x1 - x0) * area["width"]
    y = area["y"] + (y1 - frame["y"].iat[row]) / (y1 - y0) * area["height"]
    page.mouse.move(x, y)
    expect(page.locator(".hovertext").filter(has_text=word)).to_have_count(1)  # hover names the word
    page.mouse.click(x, y)
    wait_for_app(page)
    expect(page.get_by_text(re.compile(f"Ringed: {re.escape(word)} and its neighbours"))).to_be_visible(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS_DIR / "embedding_map_click.png"))
    page.get_by_role("tab", name="Neighbours").click()
    expect(word_box).to_have_value(word)
