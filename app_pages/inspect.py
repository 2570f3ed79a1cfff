"""Inspect: how surprised a trained model is by each character of a text, and what its cells track."""

import pandas as pd
import streamlit as st

from namuweb import charts, heatmaps
from namuweb.corpora import corpus
from namuweb.language_model import generate, inspection, runs, sampling
from namuweb.literal_text import literal
from namuweb.text import lines
from app_pages._widgets import demo_notice, model_picker

st.title("Inspect a model")
st.caption("Paste a text and see it as the model reads it: every character coloured by how surprised the model "
           "was (its surprisal in bits), and the LSTM cells that track something you can name.")
demo_notice()

usable = generate.usable_runs()
if not usable:
    st.info("No trained model yet: train one on the Train page (or the quick demo on the Generate page), "
            "then inspect it here.", icon=":material/info:")
    st.stop()

left, right = st.columns(2)
run = model_picker("Model", usable, where=left, key="inspect_model")
others = [info for info in usable if info.id != run.id]
other = model_picker("Compare with (optional)", others, where=right, key="inspect_compare", optional=True)

EXAMPLE = "대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다."
if "inspect_text" not in st.session_state:
    st.session_state.inspect_text = EXAMPLE
if st.button("A line from the model's corpus", icon=":material/shuffle:"):
    try:
        line = lines.random_line(corpus.get_corpus(run.config.get("corpus", "")).path)
    except (corpus.CorpusError, OSError):
        st.warning("The model's corpus is gone; paste a text instead.", icon=":material/warning:")
    else:
        if line is None:
            st.warning("The model's corpus has no line long enough; paste a text instead.", icon=":material/warning:")
        else:
            st.session_state.inspect_text = line
text = st.text_area("Text", key="inspect_text", height=110, max_chars=inspection.MAX_CHARACTERS)
if not text.strip():
    st.info("Paste some text to inspect.", icon=":material/info:")
    st.stop()


@st.cache_resource(show_spinner="The model reads the text…", max_entries=4)
def inspected(run_dir: str, checkpoint: str, text: str) -> inspection.Inspection:
    """Shared, never copied (a long text's trace holds every cell's state after every character): the page only
    reads it."""
    return sampling.inspect(run_dir, text)  # in a sampler process: the server's interpreter stays free


def read(info) -> inspection.Inspection | None:
    try:
        return inspected(str(info.path), runs.Run(info.path).latest_checkpoint()["file"], text)
    except (runs.RunError, sampling.GenerationError) as problem:  # a damaged checkpoint, a foreign vocabulary, a time-out
        st.error(f"{info.id} cannot read it: {literal(problem)}", icon=":material/error:")
        return None


def hover(entry: inspection.CharacterSurprisal) -> str:
    if entry.bits is None:
        return f"{entry.char}: the model has no token for it"
    parts = " · ".join(f"{charts.token_label(t)} {b:.1f}" for t, b in entry.tokens)
    guesses = " · ".join(f"{charts.token_label(t)} {p:.0%}" for t, p in entry.guesses)
    return f"{charts.token_label(entry.char)}: {entry.bits:.1f} bits ({parts})\nexpected: {guesses}"


def surprisal_map(result: inspection.Inspection) -> tuple[list, list, list]:
    """Characters, colours and hover titles of a surprisal heatmap."""
    return ([c.char for c in result.characters], [heatmaps.surprisal_colour(c.bits) for c in result.characters],
            [hover(c) for c in result.characters])


SURPRISAL_STOPS = [(heatmaps.surprisal_colour(b), f"{b:g} bits") for b in (0, 2, 4, 8, 12)]
mine = read(run)
if mine is None:
    st.stop()
theirs = read(other) if other else None
surprisal_tab, cells_tab = st.tabs(["Surprisal", "Cells"])

with surprisal_tab:
    legend = heatmaps.legend(SURPRISAL_STOPS)
    if theirs is None:
        st.metric("Mean surprisal", f"{mine.bits_per_character:.2f} bits / character"
                  if mine.bits_per_character is not None else "–", help="the model's cross-entropy on this text")
        st.html(heatmaps.coloured_text(*surprisal_map(mine)) + legend)
    else:
        columns = st.columns(2)
        for column, result in zip(columns, (mine, theirs)):
            column.metric(result.run, f"{result.bits_per_character:.2f} bits / character"
                          if result.bits_per_character is not None else "–")
            with column:
                st.html(heatmaps.coloured_text(*surprisal_map(result)))
        st.html(heatmaps.legend(SURPRISAL_STOPS))
        st.markdown(f"**Which characters got easier** — green: `{literal(other.id)}` was less surprised than "
                    f"`{literal(run.id)}`; red: more.")
        change = [None if a.bits is None or b.bits is None else b.bits - a.bits
                  for a, b in zip(mine.characters, theirs.characters)]
        st.html(heatmaps.coloured_text(
            list(text), [heatmaps.diverging_colour(d, 6.0, negative=(46, 125, 50)) for d in change],
            [f"{charts.token_label(c)}: {d:+.1f} bits" if d is not None else charts.token_label(c) for c, d in zip(text, change)])
            + heatmaps.legend([(heatmaps.diverging_colour(d, 6.0, negative=(46, 125, 50)), f"{d:+g} bits")
                               for d in (-6, -3, 0, 3, 6)]))
    st.caption("Hover over a character for its tokens' bits and the model's five best guesses before it.")

with cells_tab:
    found = inspection.find_cells(mine.trace)
    rows = [{"feature": m.feature, "cell": m.label, "correlation": m.r, "layer": m.layer, "index": m.cell}
            for matches in found.values() for m in matches]
    st.caption("Every cell of every layer correlated with simple features of the token stream; the strongest "
               "three per feature. Select a row to colour the text by that cell.")
    table = pd.DataFrame(rows, columns=["feature", "cell", "correlation", "layer", "index"])
    picked = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                          key="cells_table", column_order=["feature", "cell", "correlation"],
                          column_config={"correlation": st.column_config.ProgressColumn(
                              format="%.2f", min_value=-1.0, max_value=1.0)})
    selected = picked.selection.rows if picked else []
    cols = st.columns(2)
    default = table.iloc[selected[0]] if selected else (table.iloc[0] if len(table) else None)
    layer = cols[0].number_input("Layer", 1, mine.trace.layers, int(default["layer"]) + 1 if default is not None else 1,
                                 key=f"cell_layer_{selected}")
    units = mine.trace.cells[layer - 1].shape[1]
    cell = cols[1].number_input("Cell", 0, units - 1, min(int(default["index"]) if default is not None else 0, units - 1),
                                key=f"cell_index_{selected}")
    values = inspection.cell_activation(mine.trace, layer - 1, cell)
    st.markdown(f"**Layer {layer} · cell {cell}** — red: high, blue: low (tanh of the cell state after each character)")
    st.html(heatmaps.coloured_text(list(text), [heatmaps.diverging_colour(v) for v in values],
                                   [f"{charts.token_label(c)}: {v:+.2f}" if v is not None else charts.token_label(c)
                                    for c, v in zip(text, values)])
            + heatmaps.legend([(heatmaps.diverging_colour(v), f"{v:+g}") for v in (-1, -0.5, 0, 0.5, 1)]))
