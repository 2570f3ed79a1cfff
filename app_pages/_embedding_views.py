"""The Embeddings page's explorer tabs, each drawn by one function from the vectors the page picked.

Visual components apart from the page (as spacy-streamlit keeps its ``visualize_*`` apart from an app):
the page reads top to bottom — train, import, pick embeddings, one call per tab — and the widgets and
charts of each tab live here. The answers come from ``namuweb.embeddings``; nothing here computes them.
"""

from pathlib import Path

import pandas as pd
import streamlit as st

from namuweb import charts
from namuweb.config import demo_settings
from namuweb.embeddings import embedding_library, evaluation, evaluator, projections
from namuweb.embeddings import word_map as maps
from namuweb.embeddings.vectors import Embeddings
from namuweb.literal_text import literal

COSINE = {"cosine": st.column_config.NumberColumn(format="%.3f")}


@st.cache_resource(max_entries=4)
def load(folder: str, stamp: float) -> Embeddings:
    """Vectors per folder and file version, shared by all sessions."""
    return embedding_library.load(folder)


@st.cache_data(max_entries=24, show_spinner=False)
def map_points(folder: str, stamp: float, settings: maps.MapSettings) -> tuple[pd.DataFrame, bool]:
    """A map per vectors file and settings, shared by all sessions (t-SNE and UMAP are slow): the
    frame and whether its words are content words only."""
    frame = maps.compute(load(folder, stamp), settings)
    return frame, bool(frame.attrs.get("content_only"))


@st.cache_data(max_entries=64, show_spinner=False)
def map_matches(folder: str, stamp: float, settings: maps.MapSettings, text: str,
                regex: bool) -> tuple[list[int], str | None]:
    """The rows a search finds, or why it found none; a pattern stopped at the time limit is
    remembered too, so the page's next rerun does not wait for it again."""
    frame, _ = map_points(folder, stamp, settings)
    try:
        return maps.find(frame["word"].tolist(), text, regex), None
    except maps.SearchError as problem:
        return [], str(problem)


def pick_word(vectors: Embeddings, label: str, key: str, default: str | None = None) -> str | None:
    """A searchable word box: pick from the vocabulary or type a bare word like 국민; the token it names,
    or None (nothing picked, or a word the vectors do not know, which is said)."""
    index = vectors.index().get(default) if default else None
    word = st.selectbox(label, vectors.words, index=index, key=key, accept_new_options=True,
                        placeholder="type to search, e.g. 국민")
    if not word:
        return None
    try:
        return vectors.find(word)
    except KeyError as problem:
        st.warning(literal(problem.args[0] if problem.args else problem), icon=":material/search_off:")
        return None


def neighbours(vectors: Embeddings, first_word: str) -> None:
    cols = st.columns([3, 1, 2])
    with cols[0]:
        query = pick_word(vectors, "Word", "query", first_word)
    k = cols[1].number_input("How many", 1, 100, 10)
    tag = cols[2].selectbox("Only tag", ["(any)"] + vectors.tagset(), key="only_tag")
    tagged = vectors.has_content_tags()
    content_only = st.toggle("Content words only", value=tagged, disabled=not tagged,
                             help="Nouns, verbs, adjectives and adverbs (either tagset). Off: every word, "
                                  "particles, endings and symbols too, which sit near almost any word.")
    if not tagged:
        st.caption("These vectors carry no part-of-speech tags, so every word is shown.")
    if query:
        rows = pd.DataFrame(vectors.neighbors(query, k=int(k), tag=None if tag == "(any)" else tag,
                                              content_only=content_only and tagged),
                            columns=["word", "cosine"])
        st.session_state.highlight = [query] + rows["word"].tolist()  # the Map tab rings them
        left, right = st.columns([2, 3])
        left.dataframe(rows, hide_index=True, width="stretch", column_config=COSINE)
        right.altair_chart(charts.neighbors_bars(rows), width="stretch")


def similarity_and_analogy(vectors: Embeddings, first_word: str) -> None:
    cols = st.columns(2)
    with cols[0]:
        a = pick_word(vectors, "Word A", "sim_a", first_word)
    with cols[1]:
        b = pick_word(vectors, "Word B", "sim_b", vectors.words[min(1, len(vectors.words) - 1)])
    if a and b:
        st.metric("Cosine similarity", f"{vectors.similarity(a, b):.3f}")
    st.markdown("**Analogy** — A − B + C ≈ ? (inputs are excluded from the answers)")
    cols = st.columns(3)
    with cols[0]:
        pa = pick_word(vectors, "A", "an_a")
    with cols[1]:
        pb = pick_word(vectors, "− B", "an_b")
    with cols[2]:
        pc = pick_word(vectors, "+ C", "an_c")
    if pa and pb and pc:
        answers = pd.DataFrame(vectors.analogy([pa, pc], [pb], k=10), columns=["word", "cosine"])
        st.dataframe(answers, hide_index=True, width="stretch", column_config=COSINE)


def word_map(vectors: Embeddings, folder: str, stamp: float) -> None:
    """The Map tab: settings chosen before the map is computed (a t-SNE of 10,000 words takes a while),
    then a search, the map, what was selected on it."""
    settings = map_settings(vectors)
    try:
        with st.spinner(f"Computing the {projections.METHODS[settings.method]} map of {settings.words:,} words…",
                        show_time=True):
            frame, content_only = map_points(folder, stamp, settings)
    except projections.ProjectionError as problem:
        st.error(literal(problem), icon=":material/error:")
        settings = maps.MapSettings(settings.words, "pca", settings.content_only, settings.perplexity,
                                    settings.n_neighbors)
        frame, content_only = map_points(folder, stamp, settings)
    cols = st.columns([3, 1, 1])
    text = cols[0].text_input("Find words on the map", key="map_search", max_chars=maps.MAX_SEARCH_CHARS,
                              placeholder="text such as 사랑, or a regular expression such as ^사.*/NNG$")
    regex = cols[1].toggle("Regular expression", key="map_regex")
    label_all = cols[2].toggle("Label all", key="map_label_all",
                               help=f"Labels as many words as fit without overprinting (at most {maps.MAX_LABELS}).")
    matches, problem = map_matches(folder, stamp, settings, text, regex) if text.strip() else ([], None)
    if problem:
        st.warning(literal(problem), icon=":material/search_off:")
    rows = {word: i for i, word in enumerate(frame["word"])}
    highlight = [w for w in st.session_state.get("highlight", []) if w in rows]
    chart_state = st.session_state.get("word_map_chart") or {}
    selection = chart_state.get("selection") or {}
    number = maps.map_id(folder, stamp, settings)
    selected = maps.rows_of_selection(selection, len(frame), number) if maps.is_region(selection) else []
    labelled = maps.Labelled(rings=[rows[w] for w in highlight], selected=selected, matches=matches,
                             everything=label_all)
    title = (f"{projections.METHODS[settings.method]} map of the {len(frame):,} most frequent "
             + ("content words" if content_only else "words"))
    st.plotly_chart(maps.figure(frame, labelled, title, number), key="word_map_chart",
                    on_select=map_clicked(frame, number),
                    selection_mode=("points", "box", "lasso"), width="stretch",
                    config={"scrollZoom": True, "displaylogo": False})
    notes = [f"{title}."]
    if settings.content_only and not content_only:
        notes.append("These vectors carry no tags, so the map shows words of every kind.")
    if text.strip() and not problem:
        found = ", ".join(frame["word"].iat[i] for i in matches[:20])
        matched = "word matches" if len(matches) == 1 else "words match"
        notes.append(f"{len(matches):,} {matched} “{literal(text.strip())}”"
                     + (f": {literal(found)}{' …' if len(matches) > 20 else ''}." if matches else "."))
    if highlight:
        neighbours_shown = literal(", ".join(highlight[1:])) or "(none on this map)"
        notes.append(f"Ringed: **{literal(highlight[0])}** and its neighbours {neighbours_shown}.")
    else:
        notes.append("Pick a word in the Neighbours tab, or click a point here, to ring it and its neighbours.")
    notes.append("Click a point to make it the Neighbours tab's word; draw a box or a lasso (the chart's toolbar) "
                 "to list words. Scroll to zoom, double-click to reset.")
    st.caption(" ".join(notes))
    if selected:
        chosen = frame.iloc[selected][["word", "tag", "count"]]
        st.markdown(f"**{len(selected):,} words selected**")
        st.dataframe(chosen, hide_index=True, width="stretch", height=min(400, 38 + 35 * len(chosen)))
        st.download_button("Download the selected words", maps.selection_tsv(frame, selected),
                           file_name="selected_words.tsv", mime="text/tab-separated-values",
                           icon=":material/download:")


def map_settings(vectors: Embeddings) -> maps.MapSettings:
    """The map's settings, in a form: nothing is computed until the visitor draws it."""
    size = len(vectors.words)
    top = max(maps.MIN_WORDS + 1, min(maps.MAX_WORDS, size))
    defaults = maps.MapSettings()
    with st.form("map_form", border=False):
        cols = st.columns([3, 2, 1])
        n = cols[0].slider("Most frequent words", maps.MIN_WORDS, top, min(defaults.words, top), step=10)
        method = cols[1].segmented_control("Projection", list(projections.METHODS), default="pca", key="projection",
                                           format_func=projections.METHODS.get) or "pca"
        all_tags = cols[2].toggle("All tags", key="map_all_tags",
                                  help="Off: nouns, verbs, adjectives and adverbs only. On: particles, endings, "
                                       "symbols and the rest too.")
        cols = st.columns([1, 1, 1])
        perplexity = cols[0].number_input("t-SNE perplexity", projections.PERPLEXITY["min"],
                                          projections.PERPLEXITY["max"], projections.PERPLEXITY["default"], step=5.0,
                                          help="About how many neighbours each word's neighbourhood holds (5–50 "
                                               "is usual); capped at a third of the words.")
        neighbours_n = cols[1].number_input("UMAP neighbours", projections.N_NEIGHBORS["min"],
                                            projections.N_NEIGHBORS["max"], projections.N_NEIGHBORS["default"],
                                            help="Small: local detail; large: the overall shape.")
        cols[2].form_submit_button("Draw the map", icon=":material/scatter_plot:", width="stretch")
    return maps.MapSettings(int(n), method, not all_tags, float(perplexity), int(neighbours_n)).validated()


def map_clicked(frame: pd.DataFrame, number: int):
    """The map's on_select callback: a click on one point makes its word the query (the Neighbours tab's
    word box, key "query", and the rings follow on this rerun); a box or lasso only lists words."""
    def clicked() -> None:
        selection = (st.session_state.get("word_map_chart") or {}).get("selection") or {}
        rows = maps.rows_of_selection(selection, len(frame), number)
        if not maps.is_region(selection) and len(rows) == 1:
            st.session_state["query"] = frame["word"].iat[rows[0]]
    return clicked


def odd_one_out(vectors: Embeddings) -> None:
    odd_words = st.text_input("Odd one out — words separated by spaces", "", key="odd_words",
                              placeholder="대통령 국회 법률 고양이")
    if odd_words.split():
        try:
            odd, unknown = evaluation.doesnt_match(vectors, odd_words.split())
            st.metric("Does not match", odd)
            if unknown:
                st.caption("Not in the vocabulary, left out: " + literal(", ".join(unknown)))
        except ValueError as problem:
            st.warning(literal(problem), icon=":material/search_off:")


def evaluation_files(folder: Path) -> None:
    """The two evaluation files' uploaders and buttons, then each file's evaluation."""
    bounds, uploads_open = evaluator.file_bounds(), demo_settings().uploads_allowed
    cols = st.columns(2)
    files = {"pairs": cols[0].file_uploader("Word pairs (word1 TAB word2 TAB score)", type=["txt", "tsv", "csv"],
                                            key="pairs_file", help=bounds, disabled=not uploads_open),
             "analogies": cols[1].file_uploader("Analogies (questions-words.txt format)", type=["txt"],
                                                key="analogy_file", help=bounds, disabled=not uploads_open)}
    clicked = {"pairs": cols[0].button("Evaluate word pairs", key="evaluate_pairs", icon=":material/functions:",
                                       disabled=files["pairs"] is None),
               "analogies": cols[1].button("Evaluate analogies", key="evaluate_analogies", icon=":material/functions:",
                                           disabled=files["analogies"] is None)}
    if note := evaluator.demo_bounds():
        st.caption(note)
    elif not uploads_open:
        st.caption("Uploads are off in this demo, evaluation files too.")
    if (result := evaluated("pairs", folder, files["pairs"], clicked["pairs"])) is not None:
        pair_scores(result)
    korean_pairs(folder)
    if (result := evaluated("analogies", folder, files["analogies"], clicked["analogies"])) is not None:
        analogy_scores(result)


class BuiltinFile:
    """A file that ships with namuweb, in the shape of an upload (``name``, ``getvalue``), so it takes the
    uploads' evaluator path."""

    def __init__(self, name: str, data: bytes):
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


def korean_pairs(folder: Path) -> None:
    """The built-in Korean word pairs: a button, then their correlations as for an uploaded file (kept shown
    on later runs, from the evaluator's cache)."""
    clicked = st.button("Evaluate with the built-in Korean pairs", key="evaluate_korean_pairs",
                        icon=":material/translate:",
                        help="Pairs of words common in movie reviews and novels (영화–작품, 재미있–지루하, …), "
                             "scored 0–10 by namuweb's authors themselves: not a published data set.")
    if clicked:
        st.session_state.korean_pairs_shown = True
    if st.session_state.get("korean_pairs_shown"):
        builtin = BuiltinFile(evaluation.KOREAN_PAIRS_NAME, evaluation.korean_word_pairs())
        if (result := evaluated("pairs", folder, builtin, clicked)) is not None:
            st.caption("The built-in Korean pairs: scores are namuweb's own judgement, not a published data set.")
            pair_scores(result)


def evaluated(what: str, folder: Path, upload, clicked: bool) -> evaluator.Evaluation | None:
    """The file's evaluation: computed with a progress bar when its button was clicked, else the one
    already made for this file and these vectors (by any visitor), else None."""
    if upload is None:
        return None
    if not clicked:
        return evaluator.cached(what, folder, upload.getvalue())
    unit = "questions" if what == "analogies" else "pairs"
    bar = st.progress(0.0, text=f"Waiting for a free evaluator for “{literal(upload.name)}”…")

    def progress(done: int, total: int) -> None:
        if total:
            bar.progress(done / total, text=f"{done:,} of {total:,} {unit} answered")
    try:
        return evaluator.evaluate(what, folder, upload.getvalue(), progress)
    except evaluator.EvaluationError as problem:
        st.error(f"“{literal(upload.name)}”: {literal(problem)}", icon=":material/error:")
        return None
    finally:
        bar.empty()


def pair_scores(result: evaluator.Evaluation) -> None:
    scores = result.scores
    cols = st.columns(4)
    cols[0].metric("Spearman", f"{scores.spearman:.3f}")
    cols[1].metric("Pearson", f"{scores.pearson:.3f}")
    cols[2].metric("Pairs scored", f"{scores.scored:,}")
    cols[3].metric("Out of vocabulary", f"{scores.oov_ratio:.1f}%", help=f"{scores.unknown_count:,} pairs")
    if scores.pairs:
        st.altair_chart(charts.pair_scores(pd.DataFrame(scores.pairs, columns=["a", "b", "gold", "cosine"])),
                        width="stretch")
        if scores.scored > len(scores.pairs):
            st.caption(f"The chart shows {len(scores.pairs):,} of the {scores.scored:,} pairs, evenly through "
                       "the file; the correlations are over all of them.")
    not_scored([{"pair": f"{a} – {b}", "not in the vocabulary": ", ".join(missing)}
                for a, b, missing in scores.unknown], scores.unknown_count, "pairs")
    provenance(result, "pairs")


def analogy_scores(result: evaluator.Evaluation) -> None:
    scores = result.scores
    if result.stopped_by_time_limit:
        answered = scores.total.correct + scores.total.incorrect
        st.warning(f"The time limit ({result.time_limit_s:g} s) ended this evaluation: {answered:,} of the "
                   f"{answered + scores.unscored:,} questions in the vocabulary were answered, in file order, "
                   "and the accuracy below is theirs. Try a smaller file.", icon=":material/timer_off:")
    table = pd.DataFrame([{"section": s.section, "correct": s.correct, "asked": s.correct + s.incorrect,
                           "accuracy": s.accuracy, "out of vocabulary": s.unknown}
                          for s in [*scores.sections, scores.total]])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"accuracy": st.column_config.ProgressColumn(format="percent", min_value=0,
                                                                            max_value=1)})
    not_scored([{"question": question, "not in the vocabulary": ", ".join(missing)}
                for question, missing in scores.unknown], scores.total.unknown, "questions")
    provenance(result, "questions")


def not_scored(examples: list[dict], count: int, unit: str) -> None:
    """Issue 34: what could not be scored, named, not only counted."""
    if count:
        st.caption(f"Not scored, a word out of vocabulary: {count:,} {unit}"
                   + (f"; the first {len(examples)}:" if count > len(examples) else ":"))
        st.dataframe(pd.DataFrame(examples), hide_index=True, width="stretch")


def provenance(result: evaluator.Evaluation, unit: str) -> None:
    scores = result.scores
    if scores.read < scores.in_file:
        st.info(f"This demo evaluated the first {scores.read:,} of the file's {scores.in_file:,} {unit}.",
                icon=":material/info:")
    st.caption(f"Evaluated in {result.seconds:.1f} s" + (", shown from the cache." if result.cached else "."))


def export(vectors: Embeddings, name: str) -> None:
    st.caption("For the TensorFlow Embedding Projector (projector.tensorflow.org: *Load* the two files) and for "
               "gensim or any word2vec reader.")
    cols = st.columns(3)
    cols[0].download_button("vectors.tsv", lambda: vectors.projector_tsv()[0], file_name="vectors.tsv",
                            icon=":material/download:")
    cols[1].download_button("metadata.tsv", lambda: vectors.projector_tsv()[1], file_name="metadata.tsv",
                            icon=":material/download:")
    cols[2].download_button("word2vec text", vectors.word2vec_text, file_name=f"{name}.txt",
                            icon=":material/download:")
