"""The Embeddings page's Map tab (issue 34, parts 2 and 3): fixed colours per part-of-speech group, labels
that never overprint, hover with neighbours, search (hostile patterns too), click to make a word the query,
box and lasso selections listed and exported, projection settings chosen before the map is computed."""

import json
import time

import numpy as np
import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from namuweb.embeddings import projections
from namuweb.embeddings import word_map as maps
from namuweb.embeddings.vectors import Embeddings
from namuweb.morphemes.tag_display import MAP_GROUPS, map_group
from test_controls import downloads  # noqa: F401 -- a fixture: what a download button gives a visitor
from test_pages import page

# Kiwi's tags of every group, in turn: a vocabulary whose map holds all ten groups.
KIWI_TAGS = ["NNG", "VV", "VA", "MAG", "JKS", "EC", "SF", "SN", "SL", "IC", "NNP", "JX", "ETM", "MM"]


def tagged_vectors(size: int, dims: int = 12, seed: int = 0) -> Embeddings:
    rng = np.random.default_rng(seed)
    words = [f"낱말{i}/{KIWI_TAGS[i % len(KIWI_TAGS)]}" for i in range(size)]
    return Embeddings(words, list(range(size * 3, size * 2, -1)), rng.normal(size=(size, dims)).astype(np.float32))


def colours_by_tag(figure: dict, frame) -> dict[str, set[str]]:
    """Each tag's colours on a figure, read from the traces its points are drawn in."""
    found = {}
    for trace in figure["data"]:
        for row, _ in trace.get("customdata") or []:
            found.setdefault(frame["tag"].iat[row], set()).add(trace["marker"]["color"])
    return found


# --- colours and legend ---------------------------------------------------------------------------


def test_a_tags_colour_is_the_same_on_maps_of_300_and_1450_words():
    vectors = tagged_vectors(1500)
    maps_by_size = {}
    for n in (300, 1450):
        frame = maps.compute(vectors, maps.MapSettings(words=n, content_only=False))
        assert len(frame) == n
        maps_by_size[n] = colours_by_tag(maps.figure(frame, maps.Labelled([], [], []), "map"), frame)
    small, large = maps_by_size[300], maps_by_size[1450]
    assert set(small) == set(large) == set(KIWI_TAGS)
    for tag in KIWI_TAGS:
        assert small[tag] == large[tag] == {MAP_GROUPS[map_group(tag)][0]}, tag
    assert small["NNG"] == small["NNP"] != small["VV"]  # a group shares one colour; groups differ


def test_the_legend_always_names_all_ten_groups_in_korean_and_english():
    vectors = Embeddings([f"사람{i}/NNG" for i in range(30)], [1] * 30,
                         np.random.default_rng(0).normal(size=(30, 5)).astype(np.float32))  # nouns only
    frame = maps.compute(vectors, maps.MapSettings(words=30))
    figure = maps.figure(frame, maps.Labelled([], [], []), "map")
    legend = [trace["name"] for trace in figure["data"] if trace.get("showlegend", True)]
    assert legend == [f"{korean} ({group})" for group, (_, korean) in MAP_GROUPS.items()]
    assert "체언 (noun)" in legend and "조사 (particle)" in legend and len(legend) == 10


# --- labels --------------------------------------------------------------------------------------


def overlapping(boxes):
    for i, (a0, b0, a1, b1) in enumerate(boxes):
        for c0, d0, c1, d1 in boxes[i + 1:]:
            if a0 < c1 and c0 < a1 and b0 < d1 and d0 < b1:
                return (a0, b0, a1, b1), (c0, d0, c1, d1)
    return None


def placed_boxes(placements, px, py):
    return [(px[p.index] + p.dx - p.width / 2, py[p.index] + p.dy - p.height / 2,
             px[p.index] + p.dx + p.width / 2, py[p.index] + p.dy + p.height / 2) for p in placements]


@pytest.mark.parametrize("points, seed", [(12, 0), (80, 1), (600, 2)])
def test_no_two_placed_labels_overlap_and_all_stay_inside_the_plot(points, seed):
    rng = np.random.default_rng(seed)
    px, py = rng.uniform(0, 400, points), rng.uniform(0, 300, points)
    px[:8], py[:8] = 200 + rng.normal(0, 3, 8), 150 + rng.normal(0, 3, 8)  # a tight cluster: the red blob of issue 34
    texts = [("대한민국헌법" if i % 3 else "word") + str(i) for i in range(points)]
    placements = maps.place_labels(px, py, texts, list(range(points)), 400, 300, keep_clear=list(range(8)))
    boxes = placed_boxes(placements, px, py)
    assert overlapping(boxes) is None
    assert all(0 <= x0 and 0 <= y0 and x1 <= 400 and y1 <= 300 for x0, y0, x1, y1 in boxes)
    assert {p.index for p in placements} >= set(range(8))  # the cluster is labelled, some on leader lines
    if points == 600:
        assert 0 < len(placements) < points  # no room for all: the rest are left out, never overprinted


def test_a_hangul_label_is_wider_than_a_latin_one_of_as_many_characters():
    assert maps.text_box("국민국민")[0] > maps.text_box("abcd")[0] * 1.4


def test_label_all_labels_as_many_as_fit_up_to_its_bound_quickly():
    vectors = tagged_vectors(6000)
    frame = maps.compute(vectors, maps.MapSettings(words=5000, content_only=False))
    started = time.perf_counter()
    placements = maps.labels(frame, maps.Labelled([0, 1, 2], [], [], everything=True))
    assert time.perf_counter() - started < 10
    assert 3 < len(placements) <= maps.MAX_LABELS and {0, 1, 2} <= {p.index for p in placements}
    (x0, x1), (y0, y1) = maps._ranges(frame)
    px = (frame["x"].to_numpy() - x0) / (x1 - x0) * maps.PLACER_WIDTH_PX
    py = (y1 - frame["y"].to_numpy()) / (y1 - y0) * maps.PLACER_HEIGHT_PX
    assert overlapping(placed_boxes(placements, px, py)) is None


# --- hover ---------------------------------------------------------------------------------------


def test_hover_names_word_tag_frequency_and_its_three_nearest_words_on_the_map():
    vectors = tagged_vectors(200)
    frame = maps.compute(vectors, maps.MapSettings(words=100, content_only=False))
    unit = vectors.unit_vectors()[vectors.most_frequent(100)]
    scores = unit @ unit.T
    np.fill_diagonal(scores, -np.inf)
    for row in (0, 17, 99):
        expected = [frame["word"].iat[j] for j in np.argsort(-scores[row])[:3]]
        assert frame["near"].iat[row] == ", ".join(expected)
    hover = maps.hover_texts(frame)[17]
    assert frame["word"].iat[17] in hover and f"tag {frame['tag'].iat[17]}" in hover
    assert f"frequency {frame['count'].iat[17]:,}" in hover and frame["near"].iat[17] in hover


def test_nearest_on_map_in_chunks_is_the_whole_matrixs_answer():
    unit = np.random.default_rng(3).normal(size=(257, 6)).astype(np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    scores = unit @ unit.T
    np.fill_diagonal(scores, -np.inf)
    assert np.array_equal(maps.nearest_on_map(unit, chunk=50), np.argsort(-scores, axis=1, kind="stable")[:, :3])


def test_a_hostile_word_is_inert_text_in_hover_and_labels():
    words = ['<a href="javascript:alert(1)">x</a>/NNG', "<b>굵게</b>/NNG"] + [f"말{i}/NNG" for i in range(20)]
    vectors = Embeddings(words, list(range(22, 0, -1)), np.random.default_rng(0).normal(size=(22, 4)).astype(np.float32))
    frame = maps.compute(vectors, maps.MapSettings(words=22))
    figure = json.dumps(maps.figure(frame, maps.Labelled([0, 1], [], []), "map"), ensure_ascii=False)
    assert "<a href" not in figure and "<b>굵게" not in figure and "&lt;a href" in figure


# --- search --------------------------------------------------------------------------------------


def test_search_finds_text_and_regular_expressions():
    words = ["사랑/NNG", "사람/NNG", "먹다/VV", "사랑하다/VV"]
    assert maps.find(words, "사랑") == [0, 3]
    assert maps.find(words, "^사.*/NNG$", regex=True) == [0, 1]
    assert maps.find(words, "") == []
    with pytest.raises(maps.SearchError, match="not a regular expression"):
        maps.find(words, "(사랑", regex=True)
    with pytest.raises(maps.SearchError, match="at most 100 characters"):
        maps.find(words, "사" * 101)


def test_a_catastrophic_pattern_is_stopped_promptly_with_a_clear_message():
    words = ["a" * 40 + "!"] * 5 + ["사랑/NNG"]
    started = time.perf_counter()
    with pytest.raises(maps.SearchError, match="still matching after 1 s and was stopped"):
        maps.find(words, "(a+)+$", regex=True, time_limit=1.0)
    assert time.perf_counter() - started < 5


# --- the page ------------------------------------------------------------------------------------


def imported(tmp_path, vectors: Embeddings) -> None:
    from namuweb.embeddings import embedding_library
    (tmp_path / "v.txt").write_bytes(vectors.word2vec_text())
    embedding_library.import_file((tmp_path / "v.txt").read_bytes(), "v.txt")


def map_figure(at) -> dict:
    [chart] = at.get("plotly_chart")
    return json.loads(chart.proto.spec)


def map_words(at) -> set[str]:
    """The words the map draws, read from its hover texts (the page's figure, as the browser gets it)."""
    import html
    import re
    figure = map_figure(at)
    return {html.unescape(re.match(r"<b>(.*?)</b>", text).group(1))
            for trace in figure["data"][:10] for text in trace.get("text") or []}


def trace(at, name: str) -> dict:
    return next(t for t in map_figure(at)["data"] if t["name"] == name)


def select_on_map(at, selection: dict):
    """What the browser sends when a visitor clicks a point or draws a box on the map: the chart's widget
    state, as Plotly's selection event gives it (AppTest cannot drive a Plotly chart itself)."""
    [chart] = at.get("plotly_chart")
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=chart.proto.id, string_value=json.dumps({"selection": selection})))
    return at._run(states)


def map_number(at) -> int:
    """The number the page's map gives each of its points (beside its row)."""
    return next(t["customdata"][0][1] for t in map_figure(at)["data"] if t.get("customdata"))


def point(row: int, number: int) -> dict:
    return {"curve_number": 0, "point_number": 0, "point_index": 0, "x": 0.0, "y": 0.0, "customdata": [row, number]}


def caption_text(at) -> str:
    return " ".join(c.value for c in at.caption).replace("\\", "")


def test_the_map_shows_content_words_by_default_and_every_tag_with_the_switch(tmp_path):
    vectors = tagged_vectors(140)
    imported(tmp_path, vectors)
    at = page("embeddings").run()
    assert not at.exception and not at.error
    from namuweb.morphemes.tag_display import is_content
    shown = map_words(at)
    assert shown and all(is_content(w.rsplit("/", 1)[1]) for w in shown)
    assert "content words" in map_figure(at)["layout"]["title"]["text"]
    next(t for t in at.toggle if t.label == "All tags").set_value(True)
    next(b for b in at.button if b.label == "Draw the map").click().run()
    assert not at.exception
    assert len(map_words(at)) == 140 and any(w.endswith("/JKS") for w in map_words(at))


def test_projection_settings_reach_the_projection_only_when_the_map_is_drawn(tmp_path, monkeypatch):
    vectors = tagged_vectors(300)
    imported(tmp_path, vectors)
    asked = []
    real = projections.project

    def recorded(points, method, timeout=projections.TIME_LIMIT_S, perplexity=None, n_neighbors=None):
        asked.append((len(points), method, perplexity, n_neighbors))
        return real(points, "pca")
    monkeypatch.setattr(projections, "project", recorded)
    at = page("embeddings").run()
    first = asked[-1]
    assert first[1] == "pca"

    def choose() -> None:
        next(n for n in at.number_input if n.label == "t-SNE perplexity").set_value(12.0)
        next(n for n in at.number_input if n.label == "UMAP neighbours").set_value(40)
        next(s for s in at.slider if s.label == "Most frequent words").set_value(60)
    choose()
    at.run()  # changed, not drawn: the map stays as it was
    assert not at.exception and asked[-1] == first
    choose()
    at.session_state["projection"] = "tsne"
    next(b for b in at.button if b.label == "Draw the map").click().run()
    assert not at.exception and asked[-1] == (60, "tsne", 12.0, 40)


def test_search_rings_and_labels_every_match_and_a_hostile_pattern_answers_promptly(tmp_path):
    words = [f"사랑{i}/NNG" for i in range(5)] + ["a" * 40 + "!/NNG"] * 3 + [f"말{i}/NNG" for i in range(40)]
    vectors = Embeddings(words, list(range(len(words), 0, -1)),
                         np.random.default_rng(0).normal(size=(len(words), 6)).astype(np.float32))
    imported(tmp_path, vectors)
    at = page("embeddings").run()
    at.text_input(key="map_search").input("사랑").run()
    assert not at.exception and not at.warning
    matches = trace(at, "search matches")
    assert len(matches["x"]) == 5 and matches["showlegend"]
    assert "5 words match “사랑”" in caption_text(at)
    labelled = {a["text"] for a in map_figure(at)["layout"]["annotations"]}
    assert {f"사랑{i}/NNG" for i in range(5)} <= labelled

    at.toggle(key="map_regex").set_value(True)
    at.text_input(key="map_search").input("^사랑[0-2]/").run()
    assert len(trace(at, "search matches")["x"]) == 3

    at.text_input(key="map_search").input("(a+)+$")
    started = time.perf_counter()
    at.run()
    assert time.perf_counter() - started < 15
    assert not at.exception
    [warning] = [w.value for w in at.warning]
    assert "still matching after" in warning and "simplify it" in warning
    assert trace(at, "search matches")["x"] == [None]


def test_clicking_a_point_makes_it_the_query_and_the_rings_follow(tmp_path):
    vectors = tagged_vectors(140)
    imported(tmp_path, vectors)
    at = page("embeddings").run()
    frame = maps.compute(vectors, maps.MapSettings(words=140))
    row = 7
    word = frame["word"].iat[row]
    assert at.selectbox(key="query").value != word
    select_on_map(at, {"points": [point(row, map_number(at))], "point_indices": [0], "box": [], "lasso": []})
    assert not at.exception
    assert at.selectbox(key="query").value == word
    table = at.dataframe[0].value["word"].tolist()
    assert f"Ringed: **{word}** and its neighbours" in caption_text(at)
    rings = trace(at, "query and neighbours")
    assert len(rings["x"]) == 1 + len([w for w in table if w in set(frame["word"])])
    assert word in {a["text"] for a in map_figure(at)["layout"]["annotations"]}


def test_a_box_or_lasso_selection_lists_the_words_and_exports_them(tmp_path, downloads):
    vectors = tagged_vectors(140)
    imported(tmp_path, vectors)
    at = page("embeddings").run()
    query_before = at.selectbox(key="query").value
    frame = maps.compute(vectors, maps.MapSettings(words=140))
    rows = [3, 11, 12, 40]
    number = map_number(at)
    lasso = {"points": [point(r, number) for r in rows] + [{"customdata": [10_000, number]}, {"customdata": ["x"]},
                                                            point(5, number + 1)],  # another map's point
             "point_indices": rows, "box": [], "lasso": [{"x": [0, 1, 1], "y": [0, 0, 1]}]}
    select_on_map(at, lasso)
    assert not at.exception
    assert at.selectbox(key="query").value == query_before  # a region lists words, it picks no query
    listed = next(d.value for d in at.dataframe if list(d.value.columns) == ["word", "tag", "count"])
    assert listed["word"].tolist() == [frame["word"].iat[r] for r in rows]
    name, given = downloads(at, "Download the selected words")
    assert name == "selected_words.tsv" and given.decode("utf-8").splitlines() == (
        ["word\ttag\tcount"] + [f"{w}\t{t}\t{c}" for w, t, c in listed.itertuples(index=False)])
    assert listed["tag"].tolist() == [frame["tag"].iat[r] for r in rows]
    next(s for s in at.slider if s.label == "Most frequent words").set_value(40)
    next(b for b in at.button if b.label == "Draw the map").click()
    select_on_map(at, lasso)  # the chart keeps its selection while the map is redrawn with other settings
    assert not at.exception and len(map_words(at)) == 40
    # another map: the selection kept from the first names none of its words
    assert not [d for d in at.dataframe if list(d.value.columns) == ["word", "tag", "count"]]


def test_label_all_labels_more_words_without_overprinting(tmp_path):
    vectors = tagged_vectors(400)
    imported(tmp_path, vectors)
    at = page("embeddings").run()
    before = len(map_figure(at)["layout"]["annotations"])
    at.toggle(key="map_label_all").set_value(True).run()
    assert not at.exception
    after = map_figure(at)["layout"]["annotations"]
    assert len(after) > before + 10 and len(after) <= maps.MAX_LABELS
