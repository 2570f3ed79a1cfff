"""Embeddings: train skip-gram vectors on a tagged corpus and explore who is near whom."""

import streamlit as st

from namuweb import charts, jobs, storage

from namuweb.corpora import corpus

from namuweb.embeddings import embedding_library
from namuweb.config import demo_settings
from namuweb.literal_text import literal
from namuweb.morphemes import analyzers
from app_pages import _embedding_views as views
from app_pages._embedding_axes import custom_axes_map
from app_pages._uploads import file_uploader, forget_upload
from app_pages._widgets import corpus_picker, fragment, job_panel

st.title("Word embeddings")
st.caption("Skip-gram with negative sampling, as the tutorial explains it: words that appear in the same "
           "contexts end up close together. Train on a tagged corpus, or import word2vec vectors.")


# --- training -------------------------------------------------------------------------------
tagged = [c for c in corpus.list_corpora() if c.source == "tagged"]
busy = [e for e in embedding_library.entries() if e.status and e.status.active]
with st.expander("Train new embeddings", expanded=not tagged or not embedding_library.entries(),
                 icon=":material/model_training:"):
    if not tagged:
        st.info("No tagged corpus yet. One click tags the built-in corpus and trains on it with the defaults, "
                "as one job; or tag any corpus on the **Tagger** page (tab *Tag a corpus*) and come back.",
                icon=":material/label:")
        engines = embedding_library.build_engines()
        cols = st.columns([2, 1, 1])
        engine = cols[1].selectbox("Tagger", engines, key="build_engine", format_func=analyzers.LABELS.get,
                                   help="Okt is the tutorial's tagger (국민/Noun) and needs Java; Kiwi needs none "
                                        "(국민/NNG, Sejong tags). Only the taggers that can run here are offered.")
        if not engines:
            cols[1].caption("Neither Okt (needs Java) nor Kiwi can run here.")
        if cols[0].button("Build embeddings from the built-in corpus", type="primary", icon=":material/bolt:",
                          disabled=not engines):
            try:
                folder = embedding_library.create_build(engine=engine)
                jobs.start(embedding_library.BUILD, folder, wait_in_line=True)
                st.session_state.open_embeddings = folder.name  # the explorer opens on it when it is ready
                st.rerun()
            except (ValueError, jobs.JobError) as problem:
                st.error(literal(problem), icon=":material/error:")
        if cols[2].button("Open the Tagger", icon=":material/label:"):
            st.switch_page("app_pages/tagger.py")
    else:
        from namuweb.embeddings.skipgram import LIMITS, SkipGramConfig, droppable_tags  # no TensorFlow
        picked = corpus_picker("Tagged corpus", tagged, key="tagged_corpus")
        source = picked.id
        cols = st.columns(5)
        defaults = SkipGramConfig(corpus=source)
        settings = dict(
            dimensions=cols[0].number_input("Dimensions", 2, LIMITS["dimensions"][1], defaults.dimensions),
            window=cols[1].number_input("Window", *LIMITS["window"], defaults.window),
            negatives=cols[2].number_input("Negatives", *LIMITS["negatives"], defaults.negatives),
            min_count=cols[3].number_input("Min count", *LIMITS["min_count"], defaults.min_count),
            epochs=cols[4].number_input("Epochs", *LIMITS["epochs"], defaults.epochs),
        )
        cols = st.columns(3)
        settings["learning_rate"] = cols[0].number_input("Learning rate", 0.0001, 1.0, defaults.learning_rate,
                                                         format="%.4f", help="SGD, decayed linearly as in word2vec")
        settings["subsample"] = cols[1].number_input("Subsampling", 0.0, 0.1, defaults.subsample, format="%.4f",
                                                     help="word2vec's threshold for dropping very frequent words")
        settings["seed"] = cols[2].number_input("Seed", *LIMITS["seed"], defaults.seed)
        choices, dropped = droppable_tags(picked)  # in the corpus's own tagset: Okt's Josa, Kiwi's JKS, …
        settings["drop_tags"] = tuple(st.multiselect("Leave out tokens tagged", choices, dropped,
                                                     help="Particles and punctuation are frequent and say little."))
        shared = st.toggle("Share negatives within a step", True,
                           help=f"On: each step draws {defaults.shared_negatives} negative words that all its pairs "
                                "share, weighted so each pair's expected loss is word2vec's — faster. "
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
    st.info("No embeddings yet: train some above or import a word2vec file.", icon=":material/info:")
    st.stop()
by_id = {e.id: e for e in ready}
if st.session_state.get("open_embeddings") in by_id:  # a build just finished
    st.session_state.embeddings = st.session_state.pop("open_embeddings")
if st.session_state.get("embeddings") not in by_id:
    st.session_state.embeddings = ready[0].id
chosen = by_id[st.selectbox("Embeddings", list(by_id), key="embeddings", format_func=lambda i: by_id[i].label)]
stamp = (chosen.path / embedding_library.VECTORS_FILE).stat().st_mtime  # a new file is new vectors
vectors = views.load(str(chosen.path), stamp)
st.caption(f"{len(vectors.words):,} words × {vectors.vectors.shape[1]} dimensions")
st.caption(literal(embedding_library.provenance(chosen, vectors)))
first_word = vectors.example_word()

near, relate, world, axes, judge, export = st.tabs(["Neighbours", "Similarity & analogy", "Map", "Custom axes",
                                                   "Evaluate", "Export"])
with near:
    views.neighbours(vectors, first_word)
with relate:
    views.similarity_and_analogy(vectors, first_word)
with world:
    views.word_map(vectors, str(chosen.path), stamp)
with axes:
    custom_axes_map(vectors, chosen.id)
with judge:
    st.caption("As gensim evaluates: odd one out (`doesnt_match`), word-pair similarity (`evaluate_word_pairs`: "
               "Spearman and Pearson correlation of human scores with cosine similarity) and analogies "
               "(`evaluate_word_analogies`, word2vec's questions-words.txt format). Bare words such as 국민 and "
               "tagged tokens such as 국민/Noun both work.")
    views.odd_one_out(vectors)
    views.evaluation_files(chosen.path)
with export:
    views.export(vectors, chosen.id)
