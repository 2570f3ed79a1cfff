"""The Embeddings page's Custom axes tab, run by AppTest as the server runs the page."""

import json

import numpy as np
import pandas as pd
import pytest
from streamlit import dataframe_util

from namuweb.embeddings import custom_axes, embedding_library
from namuweb.embeddings.vectors import Embeddings
from namuweb.literal_text import literal
from namuweb.morphemes.tag_display import MAP_GROUPS, map_group_label
from test_pages import page

TITLE = "Words on custom axes"
AXIS_WORDS = ["남자/NNG", "여자/NNG", "과거/NNG", "현재/NNG", "사람/NNG", "시간/NNG"]


def korean_vectors(seed: int = 0, fillers: int = 150) -> Embeddings:
    """The issue's axis words and a particle among filler nouns and verbs, most frequent first."""
    rng = np.random.default_rng(seed)
    words = ["은/JX"] + AXIS_WORDS + [f"말{i}/{'NNG' if i % 3 else 'VV'}" for i in range(fillers)]
    return Embeddings(words, list(range(len(words) * 10, 0, -10)),
                      rng.normal(size=(len(words), 12)).astype(np.float32))


def imported(vectors: Embeddings, tmp_path, name: str = "v.txt") -> str:
    (tmp_path / name).write_bytes(vectors.word2vec_text())
    return embedding_library.import_file((tmp_path / name).read_bytes(), name).id


def axes_chart(at):
    """(spec, points, labels) of the Custom axes chart, or None when the tab draws none: the points are the
    dots' data, the labels the label layer's."""
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        title = spec.get("title")
        if (title.get("text") if isinstance(title, dict) else title) == TITLE:
            data = {d.name: dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets}
            layer_data = [layer.get("data", spec.get("data"))["name"] for layer in spec["layer"]]
            return spec, data[layer_data[0]], data[layer_data[2]]
    return None


def axes_warnings(at) -> list[str]:
    return [w.value for w in at.warning if " axis" in w.value]


def set_axes(at, x_from, x_to, y_from, y_to):
    for key, text in zip(("axis_x_from", "axis_x_to", "axis_y_from", "axis_y_to"), (x_from, x_to, y_from, y_to)):
        at.text_input(key=key).input(text)
    return at.run()


def same_points(shown: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert shown["word"].tolist() == expected["word"].tolist()
    assert shown["x"].to_numpy() == pytest.approx(expected["x"].to_numpy(), abs=1e-6)
    assert shown["y"].to_numpy() == pytest.approx(expected["y"].to_numpy(), abs=1e-6)
    assert shown["group"].tolist() == expected["group"].tolist()
    assert shown["axis"].tolist() == expected["axis"].tolist()


def test_the_tab_opens_on_the_issues_axes_and_draws_the_words_where_the_vectors_place_them(tmp_path):
    vectors = korean_vectors()
    imported(vectors, tmp_path)
    at = page("embeddings").run()
    assert not at.exception and not at.warning
    assert [at.text_input(key=k).value for k in ("axis_x_from", "axis_x_to", "axis_y_from", "axis_y_to")] == \
        ["남자", "여자", "과거", "현재"]
    spec, shown, labelled = axes_chart(at)
    same_points(shown, custom_axes.custom_map(vectors, ("남자", "여자"), ("과거", "현재"), n=157).points)
    assert "은/JX" not in set(shown["word"])  # content words by default
    dots, rings, labels = spec["layer"]
    assert (dots["encoding"]["x"]["title"], dots["encoding"]["y"]["title"]) == ("남자 → 여자", "과거 → 현재")
    colours = dots["encoding"]["color"]["scale"]
    assert colours["domain"] == [map_group_label(g) for g in MAP_GROUPS]  # the full legend, fixed colours
    assert colours["range"] == [colour for colour, _ in MAP_GROUPS.values()]
    assert {t["field"] for t in dots["encoding"]["tooltip"]} >= {"word", "tag", "count", "x", "y"}
    assert labels["mark"]["type"] == "text" and labels["encoding"]["text"]["field"] == "word"
    assert rings["transform"] == [{"filter": "(datum.axis !== '')"}]  # ringed: the axis words
    assert sorted(labelled["word"]) == sorted(["남자/NNG", "여자/NNG", "과거/NNG", "현재/NNG"])  # and labelled
    cosine = custom_axes.custom_map(vectors, ("남자", "여자"), ("과거", "현재")).cosine
    assert any(literal(f"cosine is {cosine:+.2f}") in c.value for c in at.caption)


def test_two_axes_typed_by_a_visitor_redraw_the_map_with_their_words_ringed(tmp_path):
    vectors = korean_vectors()
    imported(vectors, tmp_path)
    at = set_axes(page("embeddings").run(), "남자 사람", "여자/NNG", "과거", "현재 시간")
    assert not at.exception and not at.warning
    spec, shown, labelled = axes_chart(at)
    expected = custom_axes.custom_map(vectors, ("남자 사람", "여자/NNG"), ("과거", "현재 시간"), n=157)
    same_points(shown, expected.points)
    assert shown.set_index("word")["axis"]["사람/NNG"] == "x from"
    assert spec["layer"][0]["encoding"]["x"]["title"] == "남자 사람 → 여자/NNG"
    assert spec["layer"][0]["encoding"]["y"]["title"] == "과거 → 현재 시간"
    caption = next(c.value for c in at.caption if "cosine is" in c.value)
    assert caption == literal("x: 남자/NNG 사람/NNG → 여자/NNG; y: 과거/NNG → 현재/NNG 시간/NNG. "
                              f"156 words, axis words ringed. {expected.note}")


def test_the_word_count_and_the_content_switch_reach_the_map(tmp_path):
    vectors = korean_vectors()
    imported(vectors, tmp_path)
    at = page("embeddings").run()
    at.slider(key="axes_words").set_value(60).run()
    _, shown, _ = axes_chart(at)
    assert shown["word"].tolist() == custom_axes.custom_map(vectors, ("남자", "여자"), ("과거", "현재"), n=60).points[
        "word"].tolist()
    assert len(shown) == 60
    at.toggle(key="axes_content").set_value(False).run()
    _, shown, _ = axes_chart(at)
    assert len(shown) == 60 and shown["word"].iloc[0] == "은/JX"  # every tag: the particle is the most frequent
    assert shown.set_index("word").loc["은/JX", "group"] == map_group_label("particle")


@pytest.mark.parametrize("side, text, message", [
    ("axis_y_to", "현재 없는말", "The y axis's “to” side: '없는말' is not in the vocabulary"),
    ("axis_x_to", "남자", "The x axis goes nowhere"),
    ("axis_x_from", "", "The x axis has no “from” words"),
    ("axis_y_from", "[눌러](https://evil.example) **굵게**", "The y axis's “from” side: '[눌러](https://evil.example)'"),
])
def test_an_axis_that_cannot_be_drawn_is_named_in_a_warning_and_no_map_is_drawn(tmp_path, side, text, message):
    imported(korean_vectors(), tmp_path)
    at = page("embeddings").run()
    at.text_input(key=side).input(text).run()
    assert not at.exception
    [warning] = [w.value for w in at.warning]
    assert warning.startswith(literal(message)), warning  # shown as text: no link, no bold
    assert axes_chart(at) is None


def test_a_side_is_bounded_in_length_and_in_words(tmp_path):
    imported(korean_vectors(), tmp_path)
    at = page("embeddings").run()
    assert at.text_input(key="axis_x_from").proto.max_chars == custom_axes.MAX_SIDE_CHARS
    at.text_input(key="axis_x_from").input(" ".join(["남자"] * 30)).run()
    [warning] = [w.value for w in at.warning]
    assert warning == literal("The x axis's “from” side has 30 words; at most 20 are allowed.")


def test_untagged_vectors_show_every_word_and_say_why_the_switch_is_off(tmp_path):
    rng = np.random.default_rng(5)
    words = ["그리고", "남자", "여자", "과거", "현재"] + [f"낱말{i}" for i in range(80)]
    vectors = Embeddings(words, list(range(len(words), 0, -1)), rng.normal(size=(len(words), 6)).astype(np.float32))
    imported(vectors, tmp_path)
    at = page("embeddings").run()
    switch = at.toggle(key="axes_content")
    assert switch.disabled and "no tags" in switch.help
    at.slider(key="axes_words").set_value(60).run()
    _, shown, _ = axes_chart(at)
    assert shown["word"].tolist() == words[:60]  # every word, most frequent first
    assert set(shown["group"]) == {map_group_label("other")}


def test_other_vectors_open_on_their_own_words(tmp_path):
    """Vectors without the issue's words open on their most frequent content words; going back to the first
    vectors opens them on 남자 → 여자 again, not on what the other vectors held."""
    first = imported(korean_vectors(), tmp_path, "v.txt")
    rng = np.random.default_rng(3)
    words = ["의/JKG", "나라/NNG", "바다/NNG", "걷/VV", "하늘/NNG"] + [f"낱말{i}/NNG" for i in range(60)]
    other = imported(Embeddings(words, list(range(len(words), 0, -1)),
                                rng.normal(size=(len(words), 6)).astype(np.float32)), tmp_path, "w.txt")
    at = page("embeddings")
    at.session_state["embeddings"] = other
    at.run()
    assert [at.text_input(key=k).value for k in ("axis_x_from", "axis_x_to", "axis_y_from", "axis_y_to")] == \
        ["나라", "바다", "걷", "하늘"]
    assert axes_chart(at) is not None and not axes_warnings(at)
    at.selectbox(key="embeddings").set_value(first).run()
    assert [at.text_input(key=k).value for k in ("axis_x_from", "axis_x_to", "axis_y_from", "axis_y_to")] == \
        ["남자", "여자", "과거", "현재"]
    assert not axes_warnings(at) and axes_chart(at) is not None  # (the other tabs may still hold 나라/NNG)


def test_labels_of_words_close_together_are_moved_apart_and_others_stay_by_their_point():
    from app_pages._embedding_axes import LABEL_SIZE, label_places
    points = pd.DataFrame({"word": ["남자/NNG", "아버지/NNG", "소년/NNG", "여자/NNG", "말1/NNG"],
                           "x": [-0.9, -0.9, -0.89, 0.9, 0.0], "y": [0.0, -0.001, 0.0, 0.0, 0.5],
                           "axis": ["x from", "x from", "x from", "x to", ""]})
    places = label_places(points).set_index("word")
    assert sorted(places.index) == ["남자/NNG", "소년/NNG", "아버지/NNG", "여자/NNG"]  # only the axis words
    near = places.loc[["남자/NNG", "소년/NNG", "아버지/NNG"], "shift"].tolist()
    assert len(set(near)) == 3 and all(abs(a - b) > LABEL_SIZE for a in near for b in near if a != b)
    assert places.loc["여자/NNG", "shift"] == 0  # alone on its side
