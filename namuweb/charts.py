"""Altair chart builders: a DataFrame in, a chart out.

Kept apart from the pages (as spacy-streamlit keeps its visualizers apart)
so the same charts can be tested without a browser and reused by any page.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from namuweb.text.vocab import CATEGORIES

CATEGORY_COLORS = alt.Scale(domain=list(CATEGORIES), scheme="tableau20")
FONT = "Noto Sans CJK KR, Noto Sans KR, Malgun Gothic, Apple SD Gothic Neo, sans-serif"


def _style(chart: alt.Chart) -> alt.Chart:
    return chart.configure_axis(labelFont=FONT, titleFont=FONT).configure_legend(labelFont=FONT, titleFont=FONT)


def frequency_bars(table: pd.DataFrame, top_n: int = 30, log_scale: bool = False) -> alt.Chart:
    """The ``top_n`` most frequent tokens, most frequent first."""
    top = table.nlargest(top_n, "count")
    scale = alt.Scale(type="log") if log_scale else alt.Scale(type="linear")
    chart = alt.Chart(top, title=f"Top {len(top)} tokens by count").mark_bar().encode(
        x=alt.X("label:N", sort="-y", title="token", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("count:Q", scale=scale, title="count (log)" if log_scale else "count"),
        color=alt.Color("category:N", scale=CATEGORY_COLORS,
                        legend=alt.Legend(orient="bottom", columns=4, labelLimit=0)),
        tooltip=["id", "token", "name", "count", alt.Tooltip("share:Q", format=".2%"), "category"],
    )
    return _style(chart)


def coverage_curve(coverage: pd.DataFrame, marks: dict[float, int]) -> alt.Chart:
    """How many of the most frequent tokens it takes to cover a share of the text."""
    line = alt.Chart(coverage).mark_line(point=False).encode(
        x=alt.X("tokens:Q", title="most frequent tokens"),
        y=alt.Y("coverage:Q", title="share of text covered", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        tooltip=["tokens", alt.Tooltip("coverage:Q", format=".3%")],
    )
    levels = pd.DataFrame({"tokens": list(marks.values()), "level": list(marks.keys()),
                           "label": [f"{level:.1%} → {n} tokens" for level, n in marks.items()]})
    rules = alt.Chart(levels).mark_rule(strokeDash=[4, 4], color="gray").encode(x="tokens:Q")
    labels = alt.Chart(levels).mark_text(align="left", dx=4, dy=-6).encode(
        x="tokens:Q", y=alt.Y("level:Q"), text="label:N")
    return _style(alt.layer(line, rules, labels).properties(title="Coverage"))


def category_bars(by_category: pd.DataFrame) -> alt.Chart:
    chart = alt.Chart(by_category, title="Counts by category").mark_bar().encode(
        y=alt.Y("category:N", sort="-x", title=None, axis=alt.Axis(labelLimit=0)),
        x=alt.X("count:Q", title="count"),
        color=alt.Color("category:N", scale=CATEGORY_COLORS, legend=None),
        tooltip=["category", "tokens", "count"],
    )
    return _style(chart)


LOSS_COLORS = alt.Scale(domain=["loss", "loss (smoothed)", "val loss"], range=["#b7dcb9", "#2e7d32", "#e65100"])


def loss_chart(curves: pd.DataFrame, title: str = "Loss") -> alt.Chart:
    """Step loss (raw and smoothed) with the validation loss on the same axes."""
    base = alt.Chart(curves).encode(
        x=alt.X("step:Q", title="step"),
        y=alt.Y("value:Q", title="cross-entropy (nats / token)", scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", scale=LOSS_COLORS, legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["series", "step", alt.Tooltip("value:Q", format=".4f")],
    )
    lines = base.transform_filter(alt.datum.series != "val loss").mark_line()
    val = base.transform_filter(alt.datum.series == "val loss").mark_line(point=alt.OverlayMarkDef(size=60))
    return _style(alt.layer(lines, val).properties(title=title, height=320).interactive(bind_y=False))


def runs_overlay(curves: pd.DataFrame, axis: str = "step", unit: str = "nats / token") -> alt.Chart:
    """Smoothed loss (lines) and validation loss (points) of several runs, coloured by run, over
    steps or (``axis="seconds"``) over training time, where runs of different speed compare fairly."""
    x = alt.X("step:Q", title="step") if axis == "step" else alt.X("seconds:Q", title="training time (s)")
    base = alt.Chart(curves).encode(
        x=x,
        y=alt.Y("value:Q", title=f"cross-entropy ({unit})", scale=alt.Scale(zero=False)),
        color=alt.Color("run:N", legend=alt.Legend(orient="bottom", labelLimit=0)),
        tooltip=["run", "series", "step", alt.Tooltip("seconds:Q", format=".1f"), alt.Tooltip("value:Q", format=".4f")],
    )
    lines = base.transform_filter(alt.datum.series == "loss (smoothed)").mark_line()
    val = base.transform_filter(alt.datum.series == "val loss").mark_point(size=70, filled=True, shape="diamond")
    return _style(alt.layer(lines, val).properties(title="Runs compared", height=320).interactive(bind_y=False))


def _probability_axis(values, log_scale: bool) -> tuple[alt.Scale, float, alt.Axis]:
    """A probability axis: 0 to 1, or on a log scale from the decade below the smallest value shown, where
    a favourite near 100 % leaves the others visible; the bars' base (0, or that floor)."""
    if not log_scale:
        return alt.Scale(domain=[0, 1]), 0.0, alt.Axis(format="%", title="probability")
    shown = [v for v in values if v and v > 0]
    floor = max(1e-6, 10 ** math.floor(math.log10(min(shown)))) if shown else 1e-3
    return (alt.Scale(type="log", domain=[floor, 1]), floor,
            alt.Axis(format="~%", title="probability (log scale)"))


def next_token_chart(rows: list[dict], pickable: bool = False, log_scale: bool = False) -> alt.Chart:
    """Top next-token probabilities at temperature 1 beside those at the chosen temperature.

    ``pickable``: each token's whole column (not only its bars, which may be a pixel high) takes a
    click, selecting that token in the selection ``pick`` (field ``token``).  ``log_scale``: the
    probabilities on a log axis (a token the setting rules out has no bar)."""
    frame = pd.DataFrame(rows).melt(id_vars="token", var_name="setting", value_name="probability")
    frame["label"] = frame["token"].map(token_label)
    order = list(dict.fromkeys(frame["label"]))
    settings = [key for key in rows[0] if key != "token"] if rows else []
    x = alt.X("label:N", sort=order, title="next token", axis=alt.Axis(labelAngle=0, labelFontSize=16))
    y_scale, base, y_axis = _probability_axis(frame["probability"], log_scale)
    if log_scale:
        frame = frame[frame["probability"] >= base]
    frame = frame.assign(base=base)
    bars = alt.Chart(frame).mark_bar().encode(
        x=x, xOffset=alt.XOffset("setting:N"),
        y=alt.Y("probability:Q", axis=y_axis, scale=y_scale), y2="base:Q",
        color=alt.Color("setting:N", legend=alt.Legend(orient="bottom", title=None),
                        scale=alt.Scale(domain=settings, range=["#9e9e9e", "#2e7d32"])),
        tooltip=["label", "setting", alt.Tooltip("probability:Q", format=".2%")])
    if not pickable:
        return _style(bars.properties(height=260, title="Next token: what the temperature does"))
    wide = pd.DataFrame([{"token": row["token"], "label": token_label(row["token"]), "top": 1.0, "base": base,
                          "at 1": row[settings[0]], "at yours": row[settings[-1]]} for row in rows])
    columns = alt.Chart(wide).mark_bar(opacity=0.01, cursor="pointer").encode(
        x=x, y=alt.Y("top:Q", scale=y_scale, axis=y_axis), y2="base:Q",
        tooltip=["label", alt.Tooltip("at 1:Q", format=".2%", title=settings[0]),
                 alt.Tooltip("at yours:Q", format=".2%", title=settings[-1])],
    ).add_params(alt.selection_point(name="pick", fields=["token"], on="click", clear=False))
    return _style(alt.layer(bars, columns).properties(height=300,
                                                      title="Next token: click one to write it"))


def choice_chart(rows: list[dict], *, title: str, log_scale: bool = False, marked: str | None = None,
                 x_title: str = "next syllable") -> alt.Chart:
    """Choices (rows of ``label``, ``tokens`` and a probability per setting, most likely first) as large
    labelled bars; each choice's whole column takes a click, selecting its ``tokens`` in the selection
    ``pick``.  Two settings side by side (temperature 1 and the visitor's) in grey and green; with
    ``marked`` (the tokens a text wrote there), that choice's bars orange and the others grey."""
    settings = [key for key in rows[0] if key not in ("label", "tokens")] if rows else []
    frame = pd.DataFrame(rows, columns=["label", "tokens", *settings]).melt(
        id_vars=["label", "tokens"], var_name="setting", value_name="probability")
    frame["shown"] = frame["label"].map(token_label)
    frame["written"] = (frame["tokens"] == marked).map({True: "written here", False: "another choice"})
    order = list(dict.fromkeys(frame["shown"]))
    y_scale, base, y_axis = _probability_axis(frame["probability"], log_scale)
    if log_scale:
        frame = frame[frame["probability"] >= base]
    frame = frame.assign(base=base)
    x = alt.X("shown:N", sort=order, title=x_title, axis=alt.Axis(labelAngle=0, labelFontSize=24, labelPadding=6))
    if marked is None:
        colour = alt.Color("setting:N", legend=alt.Legend(orient="bottom", title=None),
                           scale=alt.Scale(domain=settings, range=["#9e9e9e", "#2e7d32"][-len(settings):]))
    else:
        colour = alt.Color("written:N", legend=alt.Legend(orient="bottom", title=None),
                           scale=alt.Scale(domain=["written here", "another choice"], range=["#ef6c00", "#9e9e9e"]))
    bars = alt.Chart(frame).mark_bar().encode(
        x=x, y=alt.Y("probability:Q", scale=y_scale, axis=y_axis), y2="base:Q", color=colour,
        tooltip=["shown", "tokens", "setting", alt.Tooltip("probability:Q", format=".3%")])
    if len(settings) > 1:
        bars = bars.encode(xOffset=alt.XOffset("setting:N"))
    wide = pd.DataFrame([{"shown": token_label(row["label"]), "tokens": row["tokens"], "top": 1.0, "base": base,
                          **{setting: row[setting] for setting in settings}} for row in rows],
                        columns=["shown", "tokens", "top", "base", *settings])
    columns = alt.Chart(wide).mark_bar(opacity=0.01, cursor="pointer").encode(
        x=x, y=alt.Y("top:Q", scale=y_scale, axis=y_axis), y2="base:Q",
        tooltip=["shown", "tokens", *[alt.Tooltip(f"{s}:Q", format=".3%") for s in settings]],
    ).add_params(alt.selection_point(name="pick", fields=["tokens"], on="click", clear=False))
    return _style(alt.layer(bars, columns).properties(height=300, title=title))


def token_label(token: str) -> str:
    """A token as a chart or caption shows it: a space as ␣, a line break as \\n."""
    return {" ": "␣", "\n": "\\n", "\u1d25": "ᴥ"}.get(token, token)


NEIGHBOUR_BAR_PX = 22  # each bar's band: room for one line of a Korean label


def neighbors_bars(rows: pd.DataFrame) -> alt.Chart:
    """Cosine similarity of the nearest words, most similar on top, every word labelled: each bar gets a
    band of its own height (the chart grows with the list) and overlapping labels are never thinned out
    (Vega-Lite's default hid every other one when the band was short)."""
    return _style(alt.Chart(rows, title="Nearest words").mark_bar(color="#2e7d32").encode(
        y=alt.Y("word:N", sort="-x", title=None,
                axis=alt.Axis(labelLimit=0, labelOverlap=False, labelFontSize=12)),
        x=alt.X("cosine:Q", scale=alt.Scale(domain=[min(0.0, float(rows["cosine"].min() if len(rows) else 0)), 1])),
        tooltip=["word", alt.Tooltip("cosine:Q", format=".3f")],
    ).properties(height=alt.Step(NEIGHBOUR_BAR_PX)))


def pair_scores(pairs: pd.DataFrame) -> alt.Chart:
    """Human scores against the model's cosine similarity, one point per word pair (columns a, b, gold, cosine);
    hovering a point names its pair ("영화 – 작품") first, then the two figures."""
    named = pairs.assign(pair=pairs["a"].astype(str) + " – " + pairs["b"].astype(str))
    chart = alt.Chart(named).mark_circle(size=40, opacity=0.6).encode(
        x=alt.X("gold:Q", title="human score"), y=alt.Y("cosine:Q", title="cosine similarity"),
        tooltip=[alt.Tooltip("pair:N", title="pair"), alt.Tooltip("gold:Q", title="human score"),
                 alt.Tooltip("cosine:Q", format=".3f")])
    return _style(chart.properties(title="Word pairs: human score vs cosine", height=320))
