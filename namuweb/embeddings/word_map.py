"""The Embeddings page's map, apart from the page: which words, where, in which colour, with which
labels, and what a visitor's search finds (issue 34, parts 2 and 3).

A person reads a map by its colours, its labels and what hovering tells: so the colours are the ten
part-of-speech groups of :data:`namuweb.morphemes.tag_display.MAP_GROUPS`, each fixed whatever the
words shown, with all ten always in the legend; the labels are placed by a small greedy placer that
never prints one over another (a label that finds no room is left out, or drawn on a leader line);
and hovering names a word's tag, frequency and its three nearest words on the same map.

The figure is Plotly's, for its lasso (Vega-Lite selects by box only) and WebGL scatter, which
draws 10,000 points without slowing the page.  Every string a visitor or a vectors file supplies
is escaped before Plotly sees it: Plotly reads a subset of HTML (links included) in its texts.
"""

from __future__ import annotations

import html
import json
import math
import re
import subprocess
import sys
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from namuweb.embeddings import projections
from namuweb.embeddings.vectors import Embeddings
from namuweb.morphemes.tag_display import MAP_GROUPS, map_group, map_group_label

MAX_WORDS = 10_000
MIN_WORDS = 10
LEGEND = {group: map_group_label(group) for group in MAP_GROUPS}  # "체언 (noun)"
COLOURS = {group: colour for group, (colour, _) in MAP_GROUPS.items()}
NEAREST_ON_HOVER = 3


# --- the words and their places ------------------------------------------------------------------


@dataclass(frozen=True)
class MapSettings:
    """What a visitor chooses before a map is computed."""
    words: int = 1000
    method: str = "pca"
    content_only: bool = True
    perplexity: float = projections.PERPLEXITY["default"]
    n_neighbors: int = projections.N_NEIGHBORS["default"]

    def validated(self) -> "MapSettings":
        """The settings within their bounds (a URL or a stale session may carry anything)."""
        if self.method not in projections.METHODS:
            raise ValueError(f"unknown projection {self.method!r}; choose one of {', '.join(projections.METHODS)}")
        return MapSettings(
            words=max(MIN_WORDS, min(MAX_WORDS, int(self.words))), method=self.method,
            content_only=bool(self.content_only),
            perplexity=max(projections.PERPLEXITY["min"], min(projections.PERPLEXITY["max"], float(self.perplexity))),
            n_neighbors=max(projections.N_NEIGHBORS["min"], min(projections.N_NEIGHBORS["max"], int(self.n_neighbors))))


def chosen_ids(vectors: Embeddings, settings: MapSettings) -> tuple[np.ndarray, bool]:
    """The ids of the words the map shows and whether they are content words only.  Vectors without
    tags (an imported word2vec file) have no content words: then the most frequent words of any kind."""
    if settings.content_only:
        ids = vectors.most_frequent(settings.words, content_only=True)
        if len(ids):
            return ids, True
    return vectors.most_frequent(settings.words), False


def compute(vectors: Embeddings, settings: MapSettings) -> pd.DataFrame:
    """The map: one row per word shown, most frequent first, with columns word, tag, count, group
    (the map's part-of-speech group), x, y and near (its three nearest words on this map).  The frame's
    ``attrs["content_only"]`` says whether the words are content words only."""
    settings = settings.validated()
    ids, content_only = chosen_ids(vectors, settings)
    xy = projections.project(vectors.vectors[ids], settings.method, perplexity=settings.perplexity,
                             n_neighbors=settings.n_neighbors)
    tags = vectors.tags()
    words = [vectors.words[i] for i in ids]
    nearest = nearest_on_map(vectors.unit_vectors()[ids])
    frame = pd.DataFrame({
        "word": words, "tag": [tags[i] for i in ids], "count": [int(vectors.counts[i]) for i in ids],
        "group": [map_group(tags[i]) for i in ids], "x": xy[:, 0], "y": xy[:, 1],
        "near": [", ".join(words[j] for j in row) for row in nearest]})
    frame.attrs["content_only"] = content_only
    return frame


def nearest_on_map(unit: np.ndarray, k: int = NEAREST_ON_HOVER, chunk: int = 1024) -> np.ndarray:
    """For each row of ``unit`` (unit vectors), the positions of its ``k`` most similar other rows, most
    similar first: a block of rows at a time, so 10,000 words need one 1,024 × 10,000 block in memory,
    never the whole 10,000 × 10,000 matrix."""
    n = len(unit)
    k = max(0, min(k, n - 1))
    out = np.zeros((n, k), dtype=np.int64)
    if k == 0:
        return out
    unit = np.ascontiguousarray(unit, dtype=np.float32)
    for start in range(0, n, chunk):
        scores = unit[start:start + chunk] @ unit.T
        rows = np.arange(len(scores))
        scores[rows, start + rows] = -np.inf  # not itself
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1, kind="stable")
        out[start:start + chunk] = np.take_along_axis(best, order, axis=1)
    return out


# --- finding words -------------------------------------------------------------------------------

MAX_SEARCH_CHARS = 100
SEARCH_TIME_LIMIT_S = 2.0


class SearchError(ValueError):
    """A search that cannot be answered; ``str()`` is one line for the visitor."""


# The regular expression runs in a throwaway process: Python's ``re`` backtracks, a pattern such as
# ``(a+)+$`` takes exponential time on a long word, and nothing interrupts a match in a thread (it
# holds the GIL, so the whole server would stop).  A process is killed at the time limit.
_MATCHER = """
import json, re, sys
request = json.loads(sys.stdin.buffer.read())
pattern = re.compile(request["pattern"], re.IGNORECASE)
sys.stdout.write(json.dumps([i for i, word in enumerate(request["words"]) if pattern.search(word)]))
"""


def find(words: list[str], text: str, regex: bool = False, time_limit: float = SEARCH_TIME_LIMIT_S) -> list[int]:
    """The positions of the ``words`` that contain ``text`` (ignoring case), or that a regular expression
    matches anywhere when ``regex``.  A visitor's pattern is hostile: at most :data:`MAX_SEARCH_CHARS`
    characters, checked before it runs, and run in a process that is stopped after ``time_limit``."""
    text = text.strip()
    if len(text) > MAX_SEARCH_CHARS:
        raise SearchError(f"a search is at most {MAX_SEARCH_CHARS} characters; this one has {len(text):,}")
    if not text:
        return []
    if not regex:
        folded = text.casefold()
        return [i for i, word in enumerate(words) if folded in word.casefold()]
    try:
        re.compile(text, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError) as problem:
        raise SearchError(f"not a regular expression: {problem}") from None
    request = json.dumps({"pattern": text, "words": list(words)}, ensure_ascii=False).encode("utf-8")
    try:
        done = subprocess.run([sys.executable, "-I", "-S", "-c", _MATCHER], input=request, capture_output=True,
                              timeout=time_limit)
    except subprocess.TimeoutExpired:  # run() has killed it
        raise SearchError(f"the regular expression was still matching after {time_limit:g} s and was stopped: "
                          "nested repeats such as (a+)+ can take exponential time; simplify it") from None
    if done.returncode != 0:
        raise SearchError("the regular expression could not be run on these words")
    return [int(i) for i in json.loads(done.stdout)]


def selection_tsv(frame: pd.DataFrame, rows: list[int]) -> bytes:
    """The selected words as a download: ``word TAB tag TAB count`` with a header, in map order."""
    lines = ["word\ttag\tcount"] + [
        "\t".join([_tsv_cell(frame["word"].iat[i]), _tsv_cell(frame["tag"].iat[i]), str(int(frame["count"].iat[i]))])
        for i in sorted(set(rows))]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _tsv_cell(text: str) -> str:
    return str(text).replace("\t", " ").replace("\n", " ").replace("\r", " ")


def map_id(*what) -> int:
    """A short number naming one map (its vectors and settings), carried by each of its points: a
    selection kept from another map (the settings changed, the chart kept its state) names no rows here."""
    return zlib.crc32(repr(what).encode("utf-8")) & 0x7FFFFFFF


def rows_of_selection(selection: dict, size: int, map_number: int | None = None) -> list[int]:
    """The map rows a Plotly selection names (each point carries ``[row, map number]`` as customdata),
    in map order; what the browser sends is hostile, so anything but a row of this map is dropped."""
    rows = set()
    for point in (selection or {}).get("points", []) or []:
        data = point.get("customdata") if isinstance(point, dict) else None
        if not isinstance(data, list) or not data:
            continue
        row = data[0]
        if map_number is not None and (len(data) < 2 or data[1] != map_number):
            continue
        if isinstance(row, (int, float)) and not isinstance(row, bool) and float(row).is_integer() \
                and 0 <= int(row) < size:
            rows.add(int(row))
    return sorted(rows)


def is_region(selection: dict) -> bool:
    """Whether a selection was drawn with the box or the lasso (else it is a click on points)."""
    return bool((selection or {}).get("box") or (selection or {}).get("lasso"))


# --- labels --------------------------------------------------------------------------------------

FONT_PX = 12
MAX_LABELS = 300  # "label all" labels as many as fit, up to this many: each is an element in the page


def text_box(text: str, font_px: float = FONT_PX) -> tuple[float, float]:
    """An estimate of a label's width and height in pixels: Hangul and other wide characters take a
    full em, Latin letters, digits and marks about six tenths of one."""
    width = sum(font_px if unicodedata.east_asian_width(c) in "WF" else 0.62 * font_px for c in text)
    return width + 4, 1.3 * font_px


@dataclass(frozen=True)
class Placement:
    """Where a point's label goes: its box's centre at (dx, dy) pixels from the point (y downwards),
    on a leader line when it is away from the point."""
    index: int
    dx: float
    dy: float
    width: float
    height: float
    leader: bool


class _Boxes:
    """Placed boxes in a grid of cells, so a new box is checked against its neighbours only."""

    def __init__(self, cell: float = 48.0):
        self.cell, self.grid = cell, {}

    def _cells(self, box):
        x0, y0, x1, y1 = box
        for cx in range(int(x0 // self.cell), int(x1 // self.cell) + 1):
            for cy in range(int(y0 // self.cell), int(y1 // self.cell) + 1):
                yield cx, cy

    def free(self, box, gap: float = 1.0) -> bool:
        x0, y0, x1, y1 = box
        for cell in self._cells(box):
            for a0, b0, a1, b1 in self.grid.get(cell, ()):
                if x0 < a1 + gap and a0 < x1 + gap and y0 < b1 + gap and b0 < y1 + gap:
                    return False
        return True

    def add(self, box) -> None:
        for cell in self._cells(box):
            self.grid.setdefault(cell, []).append(box)


def _candidates(w: float, h: float, radius: float):
    """Offsets of a label's centre from its point, nearest first: the eight places touching the
    point, then three rings farther out, which need a leader line."""
    gap = radius + 2
    yield from (((gap + w / 2, 0.0), False), ((-(gap + w / 2), 0.0), False), ((0.0, -(gap + h / 2)), False),
                ((0.0, gap + h / 2), False), ((gap + w / 2, -(gap + h / 2)), False),
                ((-(gap + w / 2), -(gap + h / 2)), False), ((gap + w / 2, gap + h / 2), False),
                ((-(gap + w / 2), gap + h / 2), False))
    for distance in (26.0, 42.0, 62.0):
        for step in range(12):
            angle = step * math.pi / 6
            cx, cy = math.cos(angle), math.sin(angle)
            yield ((distance * cx + cx * w / 2, distance * cy + cy * h / 2), True)


def place_labels(px: np.ndarray, py: np.ndarray, texts: list[str], order: list[int], width: float,
                 height: float, radii: np.ndarray | None = None, keep_clear: list[int] | None = None,
                 limit: int = MAX_LABELS, font_px: float = FONT_PX, leaders: int | None = None) -> list[Placement]:
    """Greedy label placement: the points of ``order`` in turn (most important first) each get the
    first candidate place whose box is inside the ``width`` × ``height`` plot, overlaps no label placed
    before it and covers none of the ``keep_clear`` points' markers; a point with no such place gets no
    label.  At most ``limit`` labels; only the first ``leaders`` of ``order`` (all by default) may go on
    a leader line, the rest ("label all") only beside their points.  Positions are pixels, y downwards."""
    radii = np.full(len(px), 4.0) if radii is None else radii
    boxes = _Boxes()
    for i in keep_clear or []:
        r = float(radii[i])
        boxes.add((px[i] - r, py[i] - r, px[i] + r, py[i] + r))
    placed = []
    leaders = len(order) if leaders is None else leaders
    for position, i in enumerate(order):
        if len(placed) >= limit:
            break
        w, h = text_box(texts[i], font_px)
        for (dx, dy), leader in _candidates(w, h, float(radii[i])):
            if leader and position >= leaders:
                break
            x, y = px[i] + dx, py[i] + dy
            box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height or not boxes.free(box):
                continue
            boxes.add(box)
            placed.append(Placement(int(i), dx, dy, w, h, leader))
            break
    return placed


# --- the figure ----------------------------------------------------------------------------------

HEIGHT_PX = 640
# The plot area the placer assumes: no larger than the real one on a narrow window, so labels that
# do not overlap here do not overlap there (a wider plot only spreads the points apart).
PLACER_WIDTH_PX, PLACER_HEIGHT_PX = 640.0, 480.0
MARGIN = {"l": 10, "r": 10, "t": 36, "b": 10}


def plotly_text(text: str) -> str:
    """A word as inert Plotly text: Plotly reads ``<b>``, ``<br>``, ``<a href>`` and entities in its
    labels and hover texts, so ``&``, ``<`` and ``>`` go as entities."""
    return html.escape(str(text), quote=False)


def _ranges(frame: pd.DataFrame) -> tuple[tuple[float, float], tuple[float, float]]:
    def padded(values: np.ndarray) -> tuple[float, float]:
        if not len(values):
            return (-1.0, 1.0)
        low, high = float(values.min()), float(values.max())
        pad = 0.04 * (high - low) or 1.0
        return (low - pad, high + pad)
    return padded(frame["x"].to_numpy()), padded(frame["y"].to_numpy())


def marker_sizes(counts: np.ndarray) -> np.ndarray:
    """Marker diameters in pixels by frequency, on a log scale (a few words are far more frequent)."""
    logs = np.log(np.maximum(np.asarray(counts, dtype=np.float64), 1.0))
    span = logs.max() - logs.min() if len(logs) else 0.0
    return 5.0 + 9.0 * ((logs - logs.min()) / span if span > 0 else np.zeros_like(logs))


@dataclass(frozen=True)
class Labelled:
    """Which words to label, most important first: the query and its neighbours, the visitor's
    selection, the search's matches; then, with ``everything``, the rest by frequency."""
    rings: list[int]
    selected: list[int]
    matches: list[int]
    everything: bool = False


def label_order(frame: pd.DataFrame, labelled: Labelled) -> list[int]:
    seen, order = set(), []
    rest = range(len(frame)) if labelled.everything else []
    for i in [*labelled.rings, *labelled.selected, *labelled.matches, *rest]:
        if i not in seen:
            seen.add(i)
            order.append(i)
    return order


def labels(frame: pd.DataFrame, labelled: Labelled) -> list[Placement]:
    """The labels' places at the figure's first view (its axes' ranges are fixed to match)."""
    (x0, x1), (y0, y1) = _ranges(frame)
    px = (frame["x"].to_numpy() - x0) / (x1 - x0) * PLACER_WIDTH_PX
    py = (y1 - frame["y"].to_numpy()) / (y1 - y0) * PLACER_HEIGHT_PX
    radii = marker_sizes(frame["count"].to_numpy()) / 2
    keep_clear = label_order(frame, Labelled(labelled.rings, labelled.selected, labelled.matches))
    return place_labels(px, py, frame["word"].tolist(), label_order(frame, labelled), PLACER_WIDTH_PX,
                        PLACER_HEIGHT_PX, radii=radii, keep_clear=keep_clear, leaders=len(keep_clear))


def hover_texts(frame: pd.DataFrame) -> list[str]:
    return [f"<b>{plotly_text(word)}</b><br>tag {plotly_text(tag or '(none)')} · {plotly_text(LEGEND[group])}"
            f"<br>frequency {count:,}<br>nearest on this map: {plotly_text(near)}"
            for word, tag, group, count, near in zip(frame["word"], frame["tag"], frame["group"], frame["count"],
                                                     frame["near"])]


def figure(frame: pd.DataFrame, labelled: Labelled, title: str, map_number: int = 0) -> dict:
    """The map as a Plotly figure (a plain dict: Plotly's objects copy every annotation list on each
    addition): one WebGL scatter per part-of-speech group (all ten, in legend order, each in its fixed
    colour, an empty group too so the legend is always whole), rings around the query's neighbourhood
    and the search's matches, and the placed labels.  Each point carries ``[row, map_number]`` as
    ``customdata``."""
    (x0, x1), (y0, y1) = _ranges(frame)
    xs, ys = frame["x"].to_numpy(), frame["y"].to_numpy()
    sizes = marker_sizes(frame["count"].to_numpy())
    hover = hover_texts(frame)
    groups = frame["group"].to_numpy()
    data = []
    for group in MAP_GROUPS:
        rows = np.flatnonzero(groups == group)
        data.append({
            "type": "scattergl", "mode": "markers", "name": LEGEND[group], "legendgroup": group,
            "x": xs[rows].tolist() if len(rows) else [None], "y": ys[rows].tolist() if len(rows) else [None],
            "marker": {"color": COLOURS[group], "size": sizes[rows].round(1).tolist() if len(rows) else 9,
                       "opacity": 0.75, "line": {"width": 0}},
            "customdata": [[int(i), map_number] for i in rows], "text": [hover[i] for i in rows],
            "hovertemplate": "%{text}<extra></extra>"})
    for rows, name, colour, size in ((labelled.matches, "search matches", "#111111", 15),
                                     (labelled.rings, "query and neighbours", "#d32f2f", 19)):
        data.append({
            "type": "scattergl", "mode": "markers", "name": name, "hoverinfo": "skip", "showlegend": bool(rows),
            "x": xs[rows].tolist() if rows else [None], "y": ys[rows].tolist() if rows else [None],
            "marker": {"symbol": "circle-open", "size": size, "color": colour, "line": {"width": 2.5}}})
    colours = {**{i: "#0d47a1" for i in labelled.matches}, **{i: "#4a148c" for i in labelled.selected},
               **{i: "#b71c1c" for i in labelled.rings}}
    annotations = []
    for label in labels(frame, labelled):
        i = label.index
        annotation = {"x": float(xs[i]), "y": float(ys[i]), "text": plotly_text(frame["word"].iat[i]),
                      "font": {"size": FONT_PX, "color": colours.get(i, "#333333")}, "xanchor": "center",
                      "yanchor": "middle", "bgcolor": "rgba(255,255,255,0.6)", "borderpad": 0}
        if label.leader:
            annotation |= {"showarrow": True, "arrowhead": 0, "arrowwidth": 1, "arrowcolor": "#888888",
                           "ax": label.dx, "ay": label.dy, "axref": "pixel", "ayref": "pixel", "standoff": 3}
        else:
            annotation |= {"showarrow": False, "xshift": label.dx, "yshift": -label.dy}
        annotations.append(annotation)
    layout = {
        "title": {"text": plotly_text(title)}, "height": HEIGHT_PX, "margin": MARGIN, "hovermode": "closest",
        "xaxis": {"range": [x0, x1], "visible": False}, "yaxis": {"range": [y0, y1], "visible": False},
        # Below the plot, all ten groups whatever the words shown; clicking one would hide a group and
        # leave the labels' places wrong, so it does nothing.
        "legend": {"orientation": "h", "x": 0.0, "y": -0.01, "yanchor": "top",
                   "title": {"text": "part of speech"}, "itemclick": False, "itemdoubleclick": False,
                   "itemsizing": "constant"},  # every group's symbol one size, an empty group's too
        "annotations": annotations, "uirevision": "map"}
    return {"data": data, "layout": layout}


