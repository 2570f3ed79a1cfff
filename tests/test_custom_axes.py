"""Custom axes on small hand-made vectors, where each expected position can be worked out by hand."""

import math

import numpy as np
import pytest

from namuweb.embeddings import custom_axes
from namuweb.embeddings.custom_axes import AxisError
from namuweb.embeddings.vectors import Embeddings
from namuweb.morphemes.tag_display import MAP_GROUPS

# Four words on the axes of a 4-D space, one particle, one noun off the axes, and one adjective whose raw
# vector is long (its unit vector is what counts).
WORDS = {  # token: (count, vector)
    "남자/NNG": (60, [1, 0, 0, 0]),
    "여자/NNG": (50, [0, 1, 0, 0]),
    "과거/NNG": (40, [0, 0, 1, 0]),
    "현재/NNG": (30, [0, 0, 0, 1]),
    "은/JX": (100, [1, 1, 1, 1]),
    "사람/NNG": (20, [1, 1, 0, 0]),
    "크/VA": (10, [0, 30, 0, 40]),
}


def hand_made(words=WORDS) -> Embeddings:
    return Embeddings(list(words), [count for count, _ in words.values()],
                      np.array([vector for _, vector in words.values()], dtype=np.float32))


def by_word(shown: custom_axes.AxesMap) -> dict[str, tuple[float, float]]:
    return {row.word: (row.x, row.y) for row in shown.points.itertuples()}


def test_a_word_pair_axis_places_each_word_by_its_unit_vector_along_the_direction():
    """x: 남자 → 여자 is (−1, 1, 0, 0)/√2; y: 과거 → 현재 is (0, 0, −1, 1)/√2. 크's unit vector is (0, .6, 0, .8)."""
    shown = custom_axes.custom_map(hand_made(), ("남자", "여자"), ("과거", "현재"))
    places = by_word(shown)
    half = 1 / math.sqrt(2)
    assert places["남자/NNG"] == pytest.approx((-half, 0))
    assert places["여자/NNG"] == pytest.approx((half, 0))
    assert places["과거/NNG"] == pytest.approx((0, -half))
    assert places["현재/NNG"] == pytest.approx((0, half))
    assert places["사람/NNG"] == pytest.approx((0, 0), abs=1e-7)  # as much man as woman
    assert places["크/VA"] == pytest.approx((0.6 * half, 0.8 * half))  # its length (50) does not count
    assert shown.cosine == pytest.approx(0.0)
    assert (shown.x.title, shown.y.title) == ("남자 → 여자", "과거 → 현재")
    assert (shown.x.start, shown.x.end) == (("남자/NNG",), ("여자/NNG",))


def test_a_side_of_several_words_stands_for_their_mean():
    """From {남자, 여자} to 과거: (−½, −½, 1, 0), of length √1.5."""
    x = custom_axes.axis(hand_made(), "남자 여자", "과거", "x")
    length = math.sqrt(1.5)
    assert x.direction == pytest.approx(np.array([-0.5, -0.5, 1, 0]) / length)
    unit = hand_made().unit_vectors()
    assert x.positions(unit[[0, 2, 5]]) == pytest.approx([-0.5 / length, 1 / length, -1 / math.sqrt(2) / length])
    assert custom_axes.axis(hand_made(), ["남자", "여자 남자"], ["과거"]).start == ("남자/NNG", "여자/NNG")  # once each


def test_the_cosine_between_the_axes_says_when_the_picture_is_one_contrast_drawn_twice():
    vectors = hand_made()
    leaning = custom_axes.custom_map(vectors, ("남자", "여자"), ("남자", "과거"))  # (−1,1,0,0)·(−1,0,1,0) / 2
    assert leaning.cosine == pytest.approx(0.5)
    assert "partly" in leaning.note
    twice = custom_axes.custom_map(vectors, ("남자", "여자"), ("남자/NNG 과거", "여자 현재"))
    assert twice.cosine == pytest.approx(1 / math.sqrt(2))  # (−1,1,0,0)/√2 · (−1,1,−1,1)/2
    assert "same contrast" in twice.note and "+0.71" in twice.note
    opposite = custom_axes.custom_map(vectors, ("남자", "여자"), ("여자", "남자"))
    assert opposite.cosine == pytest.approx(-1) and "same contrast" in opposite.note
    assert "independent" in custom_axes.custom_map(vectors, ("남자", "여자"), ("과거", "현재")).note


def test_content_words_by_default_all_tags_when_asked_and_the_axis_words_always():
    vectors = hand_made()
    content = custom_axes.custom_map(vectors, ("남자", "여자"), ("과거", "현재"), n=10)
    assert "은/JX" not in set(content.points["word"])
    assert content.points["word"].tolist() == ["남자/NNG", "여자/NNG", "과거/NNG", "현재/NNG", "사람/NNG", "크/VA"]
    every = custom_axes.custom_map(vectors, ("남자", "여자"), ("과거", "현재"), n=10, content_only=False)
    assert every.points["word"].tolist()[0] == "은/JX"  # the most frequent word of all
    few = custom_axes.custom_map(vectors, ("사람", "크"), ("과거", "은"), n=1)  # 남자, then the axes' words
    assert few.points["word"].tolist() == ["남자/NNG", "사람/NNG", "크/VA", "과거/NNG", "은/JX"]
    assert few.points.set_index("word")["axis"].to_dict() == {
        "남자/NNG": "", "사람/NNG": "x from", "크/VA": "x to", "과거/NNG": "y from", "은/JX": "y to"}
    both = custom_axes.custom_map(vectors, ("남자", "여자"), ("남자", "과거"), n=0)
    assert both.points.set_index("word")["axis"]["남자/NNG"] == "x from, y from"


def test_each_point_carries_its_tag_count_and_the_maps_fixed_group():
    shown = custom_axes.custom_map(hand_made(), ("남자", "여자"), ("과거", "은"), n=10)
    rows = shown.points.set_index("word")
    particle = f"{MAP_GROUPS['particle'][1]} (particle)"
    assert rows.loc["은/JX", ["tag", "count", "group"]].tolist() == ["JX", 100, particle]
    assert rows.loc["크/VA", "group"] == "형용사 (adjective)"
    assert rows.loc["남자/NNG", "group"] == "체언 (noun)"


def test_a_bare_word_takes_its_most_frequent_tagged_form_and_a_tagged_token_itself():
    words = dict(WORDS) | {"사랑/NNG": (70, [0, 0, 1, 1]), "사랑/VV": (5, [0, 0, -1, -1])}
    vectors = hand_made(words)
    assert custom_axes.axis(vectors, "남자", "사랑").end == ("사랑/NNG",)
    assert custom_axes.axis(vectors, "남자", "사랑/VV").end == ("사랑/VV",)


@pytest.mark.parametrize("start, end, expected", [
    ("", "여자", "The x axis has no “from” words"),
    ("남자", "   ", "The x axis has no “to” words"),
    ("남자", "여자 없는말", "The x axis's “to” side: '없는말' is not in the vocabulary of 7 words"),
    ("남자 여자", "여자 남자", "The x axis goes nowhere: its “from” and “to” sides are the same (남자/NNG 여자/NNG)"),
    ("남자", "남자/NNG", "The x axis goes nowhere"),  # the bare word is the same token
    (" ".join(["남자"] * 21), "여자", "The x axis's “from” side has 21 words; at most 20"),
    ("남자 " * 200, "여자", "The x axis's “from” side is 600 characters long; at most 300"),
])
def test_an_axis_that_cannot_be_drawn_says_why_in_one_line(start, end, expected):
    with pytest.raises(AxisError) as raised:
        custom_axes.axis(hand_made(), start, end, "x")
    message = str(raised.value)
    assert message.startswith(expected), message
    assert "\n" not in message and isinstance(raised.value, ValueError)


def test_the_y_axis_names_itself_in_its_errors():
    with pytest.raises(AxisError, match="^The y axis's “from” side: '미래' is not in the vocabulary"):
        custom_axes.custom_map(hand_made(), ("남자", "여자"), ("미래", "현재"))


def test_the_number_of_words_is_bounded():
    many = {f"말{i}/NNG": (1000 - i, np.eye(6)[i % 6] + i / 1000) for i in range(custom_axes.MAX_WORDS + 100)}
    shown = custom_axes.custom_map(hand_made(many), ("말0", "말1"), ("말2", "말3"), n=10**9)
    assert len(shown.points) == custom_axes.MAX_WORDS


def test_the_opening_axes_are_the_issues_contrasts_where_the_vectors_know_them():
    assert custom_axes.default_axes(hand_made()) == (("남자", "여자"), ("과거", "현재"))
    no_past = {word: value for word, value in WORDS.items() if word != "과거/NNG"}
    no_past |= {"국가/NNG": (3, [1, 0, 1, 0]), "국민/NNG": (2, [0, 1, 0, 1])}
    assert custom_axes.default_axes(hand_made(no_past)) == (("남자", "여자"), ("국가", "국민"))


def test_without_those_words_the_axes_open_on_the_most_frequent_content_words():
    words = {"은/JX": (100, [1, 1, 0]), "길/NNG": (50, [1, 0, 0]), "집/NNG": (40, [0, 1, 0]),
             "가/VV": (30, [0, 0, 1]), "집/VV": (1, [1, 0, 1]), "빨리/MAG": (20, [1, 1, 1]), "새/MM": (10, [0, 1, 1])}
    assert custom_axes.default_axes(hand_made(words)) == (("길", "집"), ("가", "빨리"))
    untagged = {"하나": (9, [1, 0]), "둘": (8, [0, 1]), "셋": (7, [1, 1]), "넷": (6, [1, -1])}
    assert custom_axes.default_axes(hand_made(untagged)) == (("하나", "둘"), ("셋", "넷"))
    # every opening axis of either kind draws
    custom_axes.custom_map(hand_made(words), *custom_axes.default_axes(hand_made(words)))
    custom_axes.custom_map(hand_made(untagged), *custom_axes.default_axes(hand_made(untagged)), content_only=False)


def test_a_bare_opening_word_names_its_token_and_a_shadowed_one_stays_tagged():
    """집/VV is less frequent than 집/NNG: "집" would name the noun, so the verb opens as 집/VV."""
    words = {"집/VV": (50, [1, 0, 0]), "집/NNG": (60, [0, 1, 0]), "길/NNG": (40, [0, 0, 1]),
             "가/VV": (30, [1, 1, 0]), "새/NNG": (20, [1, 0, 1])}
    (x_from, x_to), (y_from, y_to) = custom_axes.default_axes(hand_made(words))
    assert (x_from, x_to, y_from, y_to) == ("집", "집/VV", "길", "가")
