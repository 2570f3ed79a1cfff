"""The Embeddings page's Custom axes tab: two contrasts a visitor names with words become the map's x and y.

As the Embedding Projector's custom projections. The words, the axes and the positions come from
``namuweb.embeddings.custom_axes``; this module draws the boxes, the chart and the caption.
"""

import altair as alt
import pandas as pd
import streamlit as st

from namuweb.charts import FONT
from namuweb.embeddings import custom_axes
from namuweb.embeddings.vectors import Embeddings
from namuweb.literal_text import literal
from namuweb.morphemes.tag_display import MAP_GROUPS, map_group_label

CHART_HEIGHT = 560
CHART_WIDTH = 700   # about what "stretch" gives beside the legend; only the labels' placement uses it
LABEL_SIZE = 13
LABEL_STEPS = (0, -16, 16, -32, 32, -48, 48, -64, 64, -80, 80)  # pixels above or below a label's point
INPUT_KEYS = ("axis_x_from", "axis_x_to", "axis_y_from", "axis_y_to")
SIDE_HELP = ("Words separated by spaces: bare (남자) or tagged (남자/NNG). A side of several words stands for "
             "their mean, which averages out what one word carries by accident.")


def custom_axes_map(vectors: Embeddings, name: str) -> None:
    """The tab: the four sides of the two axes, how many words, content words or all, then the map."""
    st.caption("As the Embedding Projector's custom projections: each axis runs from the mean of its “from” words "
               "to the mean of its “to” words, and a word's place on it is the cosine of its vector with that "
               "direction.")
    if st.session_state.get("axes_for") != name:  # other vectors: open on contrasts these vectors know
        for key in INPUT_KEYS:
            st.session_state.pop(key, None)
        st.session_state.axes_for = name
        st.session_state.axes_opening = custom_axes.default_axes(vectors)
    (x_opens, x_ends), (y_opens, y_ends) = st.session_state.axes_opening
    cols = st.columns(4)
    sides = dict(max_chars=custom_axes.MAX_SIDE_CHARS, help=SIDE_HELP)
    x_from = cols[0].text_input("X axis: from", x_opens, key="axis_x_from", **sides)
    x_to = cols[1].text_input("X axis: to", x_ends, key="axis_x_to", **sides)
    y_from = cols[2].text_input("Y axis: from", y_opens, key="axis_y_from", **sides)
    y_to = cols[3].text_input("Y axis: to", y_ends, key="axis_y_to", **sides)
    size = len(vectors.words)
    tagged = bool(vectors.tagset())
    cols = st.columns([2, 1])
    n = size
    if size > 50:  # a slider needs two ends
        n = cols[0].slider("Words on the axes map", 50, min(custom_axes.MAX_WORDS, size),
                           min(custom_axes.DEFAULT_WORDS, size), key="axes_words",
                           help="The most frequent words; the axis words are always shown.")
    content_only = cols[1].toggle("Content words only", True, key="axes_content", disabled=not tagged,
                                  help="Nouns, verbs, adjectives and adverbs." if tagged
                                  else "These vectors carry no tags: every word is shown.") and tagged
    try:
        shown = custom_axes.custom_map(vectors, (x_from, x_to), (y_from, y_to), n, content_only)
    except custom_axes.AxisError as problem:
        st.warning(literal(problem), icon=":material/search_off:")
        return
    st.altair_chart(axes_chart(shown), width="stretch")
    st.caption(literal(f"x: {' '.join(shown.x.start)} → {' '.join(shown.x.end)}; "
                       f"y: {' '.join(shown.y.start)} → {' '.join(shown.y.end)}. "
                       f"{len(shown.points):,} words, axis words ringed. {shown.note}"))


def axes_chart(shown: custom_axes.AxesMap) -> alt.Chart:
    """The words on the two axes, coloured by part-of-speech group with the map's fixed colours; the axis
    words ringed and labelled; hover gives word, tag, count and both positions."""
    groups = alt.Scale(domain=[map_group_label(g) for g in MAP_GROUPS],
                       range=[colour for colour, _ in MAP_GROUPS.values()])
    base = alt.Chart(shown.points).encode(
        x=alt.X("x:Q", title=shown.x.title, scale=alt.Scale(zero=False, padding=30)),
        y=alt.Y("y:Q", title=shown.y.title, scale=alt.Scale(zero=False, padding=20)),
        tooltip=["word", "tag", alt.Tooltip("count:Q", format=","),
                 alt.Tooltip("x:Q", title=f"x: {shown.x.title}", format=".3f"),
                 alt.Tooltip("y:Q", title=f"y: {shown.y.title}", format=".3f"),
                 alt.Tooltip("axis:N", title="defines")])
    dots = base.mark_circle(opacity=0.6).encode(
        color=alt.Color("group:N", scale=groups, legend=alt.Legend(orient="right", title="part of speech",
                                                                   labelLimit=0)),
        size=alt.Size("count:Q", scale=alt.Scale(range=[15, 250]), legend=None))
    rings = base.transform_filter(alt.datum.axis != "").mark_point(shape="circle", size=260, strokeWidth=2.5,
                                                                   color="#d32f2f", filled=False)
    labels = alt.Chart(label_places(shown.points)).mark_text(
        align="left", baseline="middle", dx=9, dy=alt.ExprRef("datum.shift"), fontSize=LABEL_SIZE,
        fontWeight="bold", color="#b71c1c", font=FONT).encode(x="x:Q", y="y:Q", text="word:N")
    return (alt.layer(dots, rings, labels).properties(height=CHART_HEIGHT, title="Words on custom axes")
            .interactive()
            .configure_axis(labelFont=FONT, titleFont=FONT, titleFontSize=14)
            .configure_legend(labelFont=FONT, titleFont=FONT))


def label_places(points: pd.DataFrame) -> pd.DataFrame:
    """The axis words with a vertical shift in pixels for each label (column ``shift``), so that labels of
    words close together (the words of one side usually are) do not print over each other: each label, top
    to bottom, takes the first shift of :data:`LABEL_STEPS` where its box, estimated at the chart's opening
    scale, overlaps no label placed before it. Shifts are in pixels, so zooming keeps them."""
    labelled = points[points["axis"] != ""].sort_values("y", ascending=False)
    x_span = max(float(points["x"].max() - points["x"].min()), 1e-9) if len(points) else 1.0
    y_span = max(float(points["y"].max() - points["y"].min()), 1e-9) if len(points) else 1.0
    placed: list[tuple[float, float, float, float]] = []
    shifts = []
    for row in labelled.itertuples():
        left = row.x / x_span * CHART_WIDTH + 9
        right = left + sum(LABEL_SIZE if ord(ch) > 0x2000 else LABEL_SIZE * 0.6 for ch in row.word)
        middle = -row.y / y_span * CHART_HEIGHT
        for shift in LABEL_STEPS:
            top, bottom = middle + shift - LABEL_SIZE / 2 - 1, middle + shift + LABEL_SIZE / 2 + 1
            if not any(left < r and l < right and top < b and t < bottom for l, t, r, b in placed):
                break
        placed.append((left, top, right, bottom))
        shifts.append(shift)
    return labelled[["word", "x", "y"]].assign(shift=shifts)
