"""Embeddings: train skip-gram vectors on a tagged corpus and explore who is near whom."""

import pandas as pd
import streamlit as st

from namuweb import charts, jobs, storage

from namuweb.corpora import corpus

from namuweb.embeddings import embedding_library, evaluation, evaluator, projections
from namuweb.config import demo_settings
from namuweb.markup import literal
from app_pages._uploads import file_uploader, forget_upload
from app_pages._widgets import corpus_picker, fragment, job_panel

st.title("Word embeddings")
st.caption("Skip-gram with negative sampling, as the tutorial explains it: words that appear in the same "
           "contexts end up close together. Train on a tagged corpus, or import word2vec vectors.")

DROPPABLE = ["Josa", "Punctuation", "Eomi", "PreEomi", "Foreign", "Number", "Alpha", "Suffix"]


# --- training -------------------------------------------------------------------------------
tagged = [c for c in corpus.list_corpora() if c.source == "tagged"]
busy = [e for e in embedding_library.entries() if e.status and e.status.active]
with st.expander("Train new embeddings", expanded=not tagged or not embedding_library.entries(),
                 icon=":material/model_training:"):
    if not tagged:
        st.info("No tagged corpus yet. One click tags the built-in corpus and trains on it with the defaults, "
                "as one job; or tag any corpus on the **Tagger** page (tab *Tag a corpus*) and come back.",
                icon=":material/label:")
        cols = st.columns([2, 1])
        if cols[0].button("Build embeddings from the built-in corpus", type="primary", icon=":material/bolt:"):
            try:
                folder = embedding_library.create_build()
                jobs.start(embedding_library.BUILD, folder, wait_in_line=True)
                st.session_state.open_embeddings = folder.name  # the explorer opens on it when it is ready
                st.rerun()
            except (ValueError, jobs.JobError) as problem:
                st.error(literal(problem), icon=":material/error:")
        if cols[1].button("Open the Tagger", icon=":material/label:"):
            st.switch_page("app_pages/tagger.py")
    else:
        from namuweb.embeddings.skipgram import SkipGramConfig  # no TensorFlow: the config is plain data
        source = corpus_picker("Tagged corpus", tagged, key="tagged_corpus").id
        cols = st.columns(5)
        defaults = SkipGramConfig(corpus=source)
        settings = dict(
            dimensions=cols[0].number_input("Dimensions", 2, 1000, defaults.dimensions),
            window=cols[1].number_input("Window", 1, 20, defaults.window),
            negatives=cols[2].number_input("Negatives", 1, 30, defaults.negatives),
            min_count=cols[3].number_input("Min count", 1, 1000, defaults.min_count),
            epochs=cols[4].number_input("Epochs", 1, 1000, defaults.epochs),
        )
        cols = st.columns(3)
        settings["learning_rate"] = cols[0].number_input("Learning rate", 0.0001, 1.0, defaults.learning_rate,
                                                         format="%.4f", help="SGD, decayed linearly as in word2vec")
        settings["subsample"] = cols[1].number_input("Subsampling", 0.0, 0.1, defaults.subsample, format="%.4f",
                                                     help="word2vec's threshold for dropping very frequent words")
        settings["seed"] = cols[2].number_input("Seed", 0, 2**31 - 1, defaults.seed)
        settings["drop_tags"] = tuple(st.multiselect("Leave out tokens tagged", DROPPABLE, ["Josa", "Punctuation"],
                                                     help="Particles and punctuation are frequent and say little."))
        shared = st.toggle("Share negatives within a step", True,
                           help=f"On: each step draws {defaults.shared_negatives} negative words that all its pairs "
                                "share, weighted so each pair's expected loss is word2vec's — about twice as fast. "
                                "Off: every pair draws its own negatives, exactly as word2vec does.")
        settings["shared_negatives"] = defaults.shared_negatives if shared else 0
        if busy:
            st.caption("Embeddings are training now: a new job waits in line and starts by itself.")
        if st.button("Train embeddings", type="primary", icon=":material/play_arrow:"):
            try:
                folder = embedding_library.create(SkipGramConfig(corpus=source, **settings).validated())
                jobs.start(embedding_library.SKIPGRAM, folder, wait_in_line=True)
                st.rerun()
            except (ValueError, jobs.JobError) as problem:
                st.error(literal(problem), icon=":material/error:")


def loss_so_far(folder, status) -> None:
    curve = embedding_library.loss_curve(folder)
    if len(curve):
        st.altair_chart(charts.loss_chart(curve[["step", "loss"]].rename(columns={"loss": "value"})
                                          .assign(series="loss"), title="Skip-gram loss"), width="stretch")


def training_label(folder, status) -> str:
    return f"Training {storage.read_json(folder / embedding_library.META_FILE).get('name', folder.name)}"


@fragment("the embeddings training", run_every=2)
def training_progress():
    # Only while one trains; the explorer below lists it when it ends.
    job_panel((embedding_library.SKIPGRAM, embedding_library.BUILD), training_label, only_active=True,
              after=loss_so_far, refresh_on_end=True)


training_progress()

with st.expander("Import word2vec vectors", icon=":material/upload:"):
    upload = file_uploader("word2vec text or binary file (what gensim writes)", key="vectors_upload",
                           type=["txt", "vec", "bin", "w2v"], disabled=not demo_settings().uploads_allowed)
    if upload is not None:
        try:
            entry = embedding_library.import_file(upload.getvalue(), upload.name)
            st.session_state.embeddings = entry.id
            st.session_state.vectors_message = ("success", f"Imported “{literal(entry.label)}”.")
        except ValueError as problem:
            st.session_state.vectors_message = ("error", literal(problem))
        finally:
            forget_upload(upload, "vectors_upload")
        st.rerun()
    if message := st.session_state.get("vectors_message"):
        if message[0] == "error":
            st.error(message[1], icon=":material/error:")
        else:
            st.success(message[1], icon=":material/check_circle:")

# --- exploring ------------------------------------------------------------------------------
ready = [e for e in embedding_library.entries() if e.ready]
if not ready:
    st.info("No embeddings yet: train some above (the defaults take well under a minute on the built-in "
            "corpus) or import a word2vec file.", icon=":material/info:")
    st.stop()
by_id = {e.id: e for e in ready}
if st.session_state.get("open_embeddings") in by_id:  # a build just finished
    st.session_state.embeddings = st.session_state.pop("open_embeddings")
if st.session_state.get("embeddings") not in by_id:
    st.session_state.embeddings = ready[0].id
chosen = by_id[st.selectbox("Embeddings", list(by_id), key="embeddings", format_func=lambda i: by_id[i].label)]


@st.cache_resource(max_entries=4)
def load(folder: str, stamp: float):
    """Vectors per folder and file version, shared by all sessions."""
    return embedding_library.load(folder)


vectors = load(str(chosen.path), (chosen.path / embedding_library.VECTORS_FILE).stat().st_mtime)
st.caption(f"{len(vectors.words):,} words × {vectors.vectors.shape[1]} dimensions")
vocabulary = vectors.words


def pick_word(label: str, key: str, default: str | None = None) -> str | None:
    """A searchable word box: pick from the vocabulary or type a bare word like 국민."""
    index = vocabulary.index(default) if default in vocabulary else None
    return st.selectbox(label, vocabulary, index=index, key=key, accept_new_options=True,
                        placeholder="type to search, e.g. 국민")


def resolve(word: str | None) -> str | None:
    if not word:
        return None
    try:
        return vectors.find(word)
    except KeyError as problem:
        st.warning(literal(problem.args[0] if problem.args else problem), icon=":material/search_off:")
        return None


def opening_word() -> str:
    """국민 in whatever tagset the vectors use (국민/Noun with Okt, 국민/NNG with Kiwi), else the most frequent word."""
    for bare in ("국민", "대통령", "법률"):
        try:
            return vectors.find(bare)
        except KeyError:
            continue
    return vocabulary[0]


first_word = opening_word()
near, relate, world, judge, export = st.tabs(["Neighbours", "Similarity & analogy", "Map", "Evaluate", "Export"])

with near:
    cols = st.columns([3, 1, 2])
    with cols[0]:
        query = resolve(pick_word("Word", "query", first_word))
    k = cols[1].number_input("How many", 1, 100, 10)
    tags = sorted({t for t in vectors.tags() if t})
    tag = cols[2].selectbox("Only tag", ["(any)"] + tags, key="only_tag")
    if query:
        rows = pd.DataFrame(vectors.neighbors(query, k=int(k), tag=None if tag == "(any)" else tag),
                            columns=["word", "cosine"])
        st.session_state.highlight = [query] + rows["word"].tolist()
        left, right = st.columns([2, 3])
        left.dataframe(rows, hide_index=True, width="stretch",
                       column_config={"cosine": st.column_config.NumberColumn(format="%.3f")})
        right.altair_chart(charts.neighbors_bars(rows), width="stretch")

with relate:
    cols = st.columns(2)
    with cols[0]:
        a = resolve(pick_word("Word A", "sim_a", first_word))
    with cols[1]:
        b = resolve(pick_word("Word B", "sim_b", vocabulary[min(1, len(vocabulary) - 1)]))
    if a and b:
        st.metric("Cosine similarity", f"{vectors.similarity(a, b):.3f}")
    st.markdown("**Analogy** — A − B + C ≈ ? (inputs are excluded from the answers)")
    cols = st.columns(3)
    with cols[0]:
        pa = resolve(pick_word("A", "an_a"))
    with cols[1]:
        pb = resolve(pick_word("− B", "an_b"))
    with cols[2]:
        pc = resolve(pick_word("+ C", "an_c"))
    if pa and pb and pc:
        answers = pd.DataFrame(vectors.analogy([pa, pc], [pb], k=10), columns=["word", "cosine"])
        st.dataframe(answers, hide_index=True, width="stretch",
                     column_config={"cosine": st.column_config.NumberColumn(format="%.3f")})

@st.cache_data(max_entries=24, show_spinner=False)
def map_points(folder: str, stamp: float, n: int, method: str):
    """A map per vectors file, size and method, shared by all sessions: t-SNE and UMAP take seconds."""
    return load(folder, stamp).projection(n=n, method=method)


with world:
    cols = st.columns([2, 1])
    n = cols[0].slider("Most frequent words", 50, min(2000, max(50, len(vocabulary))), min(300, len(vocabulary)))
    method = cols[1].segmented_control("Projection", list(projections.METHODS), default="pca", key="projection",
                                       format_func=projections.METHODS.get) or "pca"
    try:
        with st.spinner(f"Computing the {projections.METHODS[method]} map of {min(n, len(vocabulary)):,} words…",
                        show_time=True):
            points = map_points(str(chosen.path), (chosen.path / embedding_library.VECTORS_FILE).stat().st_mtime,
                                n, method)
    except projections.ProjectionError as problem:
        st.error(literal(problem), icon=":material/error:")
        points = map_points(str(chosen.path), (chosen.path / embedding_library.VECTORS_FILE).stat().st_mtime, n, "pca")
        method = "pca"
    highlight = st.session_state.get("highlight", [])
    st.altair_chart(charts.embedding_map(points, highlight), width="stretch")
    shown = [w for w in highlight if w in set(points["word"])]
    st.caption(f"{projections.METHODS[method]} of the vectors. Drag to pan, scroll to zoom. "
               + (f"Ringed: **{literal(shown[0])}** and its neighbours "
                  f"{literal(', '.join(shown[1:])) or '(none among these words)'}."
                  if shown else "Pick a word in the Neighbours tab to ring it and its neighbours here."))

with judge:
    st.caption("As gensim evaluates: odd one out (`doesnt_match`), word-pair similarity (`evaluate_word_pairs`: "
               "Spearman and Pearson correlation of human scores with cosine similarity) and analogies "
               "(`evaluate_word_analogies`, word2vec's questions-words.txt format). Bare words such as 국민 and "
               "tagged tokens such as 국민/Noun both work.")
    odd_words = st.text_input("Odd one out — words separated by spaces",
                              "", key="odd_words",
                              placeholder="대통령 국회 법률 고양이")
    if odd_words.split():
        try:
            odd, unknown = evaluation.doesnt_match(vectors, odd_words.split())
            st.metric("Does not match", odd)
            if unknown:
                st.caption("Not in the vocabulary, left out: " + literal(", ".join(unknown)))
        except ValueError as problem:
            st.warning(literal(problem), icon=":material/search_off:")

    cap, limit = evaluator.demo_max_questions(), evaluator.time_limit()
    bounds = (f"UTF-8 text up to {evaluator.FILE_LIMIT_BYTES // 2**20} MB, evaluated in the background for at most "
              f"{limit:g} s." + (f" This public demo reads the first {cap:,} questions or pairs of a file." if cap else ""))
    uploads_open = demo_settings().uploads_allowed
    cols = st.columns(2)
    files = {"pairs": cols[0].file_uploader("Word pairs (word1 TAB word2 TAB score)", type=["txt", "tsv", "csv"],
                                            key="pairs_file", help=bounds, disabled=not uploads_open),
             "analogies": cols[1].file_uploader("Analogies (questions-words.txt format)", type=["txt"],
                                                key="analogy_file", help=bounds, disabled=not uploads_open)}
    clicked = {"pairs": cols[0].button("Evaluate word pairs", key="evaluate_pairs", icon=":material/functions:",
                                       disabled=files["pairs"] is None),
               "analogies": cols[1].button("Evaluate analogies", key="evaluate_analogies", icon=":material/functions:",
                                           disabled=files["analogies"] is None)}
    if cap:
        st.caption(f"Public demo: an evaluation reads the first {cap:,} questions or pairs of a file and stops "
                   f"after {limit:g} s.")
    elif not uploads_open:
        st.caption("Uploads are off in this demo, evaluation files too.")

    def evaluated(what: str) -> evaluator.Evaluation | None:
        """The file's evaluation: computed with a progress bar when its button was clicked, else the one
        already made for this file and these vectors (by any visitor), else None."""
        upload = files[what]
        if upload is None:
            return None
        if not clicked[what]:
            return evaluator.cached(what, chosen.path, upload.getvalue())
        unit = "questions" if what == "analogies" else "pairs"
        bar = st.progress(0.0, text=f"Waiting for a free evaluator for “{literal(upload.name)}”…")

        def progress(done: int, total: int) -> None:
            if total:
                bar.progress(done / total, text=f"{done:,} of {total:,} {unit} answered")
        try:
            return evaluator.evaluate(what, chosen.path, upload.getvalue(), progress)
        except evaluator.EvaluationError as problem:
            st.error(f"“{literal(upload.name)}”: {literal(problem)}", icon=":material/error:")
            return None
        finally:
            bar.empty()

    def provenance(result: evaluator.Evaluation, unit: str) -> None:
        scores = result.scores
        if scores.read < scores.in_file:
            st.info(f"This demo evaluated the first {scores.read:,} of the file's {scores.in_file:,} {unit}.",
                    icon=":material/info:")
        st.caption(f"Evaluated in {result.seconds:.1f} s" + (", shown from the cache." if result.cached else "."))

    def not_scored(examples: list[dict], count: int, unit: str) -> None:
        """Issue 34: what could not be scored, named, not only counted."""
        if count:
            st.caption(f"Not scored, a word out of vocabulary: {count:,} {unit}"
                       + (f"; the first {len(examples)}:" if count > len(examples) else ":"))
            st.dataframe(pd.DataFrame(examples), hide_index=True, width="stretch")

    if (result := evaluated("pairs")) is not None:
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
    if (result := evaluated("analogies")) is not None:
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

with export:
    folder = chosen.path
    st.caption("For the TensorFlow Embedding Projector (projector.tensorflow.org: *Load* the two files) and for "
               "gensim or any word2vec reader.")
    cols = st.columns(3)

    def projector_files():
        import tempfile
        from pathlib import Path
        with tempfile.TemporaryDirectory() as tmp:
            vectors.to_projector(Path(tmp) / "vectors.tsv", Path(tmp) / "metadata.tsv")
            return (Path(tmp) / "vectors.tsv").read_bytes(), (Path(tmp) / "metadata.tsv").read_bytes()

    def word2vec_file():
        import tempfile
        from pathlib import Path
        with tempfile.TemporaryDirectory() as tmp:
            vectors.to_word2vec_text(Path(tmp) / "vectors.txt")
            return (Path(tmp) / "vectors.txt").read_bytes()

    cols[0].download_button("vectors.tsv", lambda: projector_files()[0], file_name="vectors.tsv",
                            icon=":material/download:")
    cols[1].download_button("metadata.tsv", lambda: projector_files()[1], file_name="metadata.tsv",
                            icon=":material/download:")
    cols[2].download_button("word2vec text", word2vec_file, file_name=f"{chosen.id}.txt", icon=":material/download:")
