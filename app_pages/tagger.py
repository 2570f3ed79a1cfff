"""Tagger: split Korean into morphemes with their parts of speech; tag whole corpora."""

import pandas as pd
import streamlit as st

from namuweb.corpora import corpus

from namuweb import jobs

from namuweb.morphemes import analyzers, analyzer_processes, corpus_tagging, tag_display
from namuweb.literal_text import literal
from app_pages._widgets import corpus_picker, fragment, job_panel

EXAMPLES = ["나무위키 말뭉치를 만들어보자", "아버지가방에들어가신다", "한국어 형태소 분석은 생각보다 재미있습니다.",
            "ㅋㅋ 이거 진짜 맛있닼ㅋㅋ"]
LONG_INPUT = analyzer_processes.page_chunk_chars()
MAX_INPUT = analyzer_processes.page_max_chars()  # longer text: Tag a corpus (a job)
URL_TEXT = 2000  # longer text is left out of the link, which browsers and proxies cap at a few KB

st.title("Morpheme tagger")
st.caption("Korean text split into morphemes with their parts of speech, as the tutorial does with konlpy: "
           "`나무위키 말뭉치를 만들어보자` → `나무/Noun 위키/Noun 말뭉치/Noun 를/Josa 만들어/Verb 보자/Verb`.")

engines = {e.name: e for e in analyzer_processes.engines()}
available = [name for name, e in engines.items() if e.available]
missing = [e for e in engines.values() if not e.available]
if missing:
    with st.expander(f"{len(missing)} engine(s) unavailable here", icon=":material/info:"):
        for e in missing:
            st.markdown(f"**{e.label}** — {e.reason}")
        if any(e.needs_java for e in missing):
            st.caption(analyzers.JAVA_HINT)
if not available:
    st.error("No tagging engine is available. " + analyzers.JAVA_HINT, icon=":material/error:")
    st.stop()

# The text and the engine live in the URL, so a shared link opens with the same input.
if "text" not in st.session_state:
    st.session_state.text = st.query_params.get("text", EXAMPLES[0])
if "engine" not in st.session_state:
    wanted = st.query_params.get("engine", "okt")
    st.session_state.engine = wanted if wanted in available else ("okt" if "okt" in available else available[0])

st.caption("Examples:")
for col, example in zip(st.columns(len(EXAMPLES)), EXAMPLES):
    col.button(example, on_click=st.session_state.update, kwargs={"text": example}, key=f"example-{example}",
               width="stretch")
text = st.text_area("Text", key="text", height=110, placeholder="한국어 문장을 입력하세요…")
left, right = st.columns([3, 2])
engine = left.segmented_control("Engine", available, key="engine", format_func=lambda n: analyzers.LABELS[n],
                                selection_mode="single") or available[0]
options = {}
if engine == "okt":
    cols = right.columns(2)
    options = {"norm": cols[0].toggle("norm", help="Okt: normalise spellings (ㅋㅋ 맛있닼 → 맛있다)"),
               "stem": cols[1].toggle("stem", help="Okt: verbs and adjectives as their dictionary form")}
st.query_params["engine"] = engine
if len(text) <= URL_TEXT:
    st.query_params["text"] = text
else:
    st.query_params.pop("text", None)
too_long = (f"This text has {len(text):,} characters; the Tag tab tags up to {MAX_INPUT:,} "
            "(NAMUWEB_TAGGER_MAX_CHARS). For longer text use **Tag a corpus** (the third tab): upload the text "
            "on the Corpora page, then tag it there as a background job with progress and Stop.")


@st.cache_data(max_entries=512, show_spinner=False)
def timed_pos(text: str, engine: str, norm: bool = False, stem: bool = False) -> tuple[list, float]:
    """Tags of a short text with the time they took (kept: the tabs below all rerun on every change)."""
    return analyzer_processes.timed(text, engine, norm=norm, stem=stem)


def tag(text: str, engine: str, **options) -> tuple[list, float]:
    if len(text) <= LONG_INPUT:
        return timed_pos(text, engine, **options)
    bar = st.progress(0.0, text="Tagging a long text in chunks…")
    try:
        return analyzer_processes.timed(text, engine, chunk_chars=LONG_INPUT, **options,
                             progress=lambda done, total: bar.progress(min(done / max(total, 1), 1.0)))
    finally:
        bar.empty()


def tag_tab() -> None:
    if not text.strip():
        st.info("Type a sentence or pick an example above." + (" (The text is only whitespace.)" if text else ""),
                icon=":material/keyboard:")
    elif len(text) > MAX_INPUT:
        st.warning(too_long, icon=":material/warning:")
    else:
        if len(text) > LONG_INPUT:
            st.caption(f"Long input: tagged in chunks of {LONG_INPUT:,} characters "
                       "(NAMUWEB_TAGGER_CHUNK_CHARS).")
        try:
            with st.spinner(analyzer_processes.waiting_line(engine)):
                tokens, seconds = tag(text, engine, **options)
        except analyzers.EngineUnavailable as problem:
            st.error(literal(problem), icon=":material/error:")
            tokens = None
        if tokens is not None:
            st.caption(f"{len(tokens):,} morphemes in {seconds * 1000:.0f} ms")
            st.markdown(tag_display.chips_html(tokens), unsafe_allow_html=True)
            st.markdown(tag_display.legend_html(tokens), unsafe_allow_html=True)
            st.markdown("**The tutorial's line**")
            st.text(" ".join(analyzers.flat(tokens)))  # plain text: the page's first view stays light to load
            if st.toggle("Each morpheme in a table, with its tag's meaning", key="tag_table"):
                st.dataframe(pd.DataFrame(tag_display.token_rows(tokens, analyzers.tag_meanings(engine))), hide_index=True,
                             width="stretch")

def compare_tab() -> None:
    if not text.strip():
        st.info("Type a sentence to compare the engines on it.", icon=":material/keyboard:")
    elif len(text) > LONG_INPUT:
        st.info(f"Compare works on up to {LONG_INPUT:,} characters.", icon=":material/info:")
    else:
        st.caption("Outlined chips are cuts that not every engine makes.")
        analyzer_processes.start_in_background(available)
        results, times, rows = {}, {}, {}

        def show(name: str, highlight: set[int] | None = None) -> None:
            rows[name].markdown(f"**{analyzers.LABELS[name]}** · {len(results[name])} morphemes · "
                                f"{times[name] * 1000:.0f} ms\n\n" + tag_display.chips_html(results[name], highlight),
                                unsafe_allow_html=True)
        for name in available:  # each engine shows as soon as it is done; outlines come at the end
            rows[name] = st.empty()
            try:
                with rows[name].container():
                    with st.spinner(analyzer_processes.waiting_line(name)):
                        results[name], times[name] = tag(text, name, **(options if name == "okt" else {}))
                show(name)
            except analyzers.EngineUnavailable as problem:
                rows[name].warning(f"{analyzers.LABELS[name]}: {literal(problem)}", icon=":material/warning:")
        different = tag_display.disagreements(results)
        for name in results:
            show(name, different[name])

def corpus_tab() -> None:
    st.caption("The tutorial's rule: every line is split on '.', each sentence is tagged, and sentences of more "
               "than one token are written as space-separated `word/Tag`. The result becomes a new corpus in the "
               "library (for the skip-gram trainer).")
    cols = st.columns([3, 2])
    source_id = corpus_picker("Corpus to tag", [c for c in corpus.list_corpora() if c.source != "tagged"],
                              where=cols[0]).id
    job_engine = cols[1].selectbox("Engine", available, index=available.index(engine),
                                   format_func=lambda n: analyzers.LABELS[n], key="job_engine")
    if corpus_tagging.FOLDERS.active():
        st.caption("A corpus is being tagged now: a new job waits in line and starts by itself.")
    if st.button("Tag the corpus", type="primary", icon=":material/play_arrow:"):
        try:
            job = corpus_tagging.create_job(source_id, job_engine, **(options if job_engine == "okt" else {}))
            jobs.start(corpus_tagging.TAGGING, job, wait_in_line=True)
            st.session_state.tag_job = job.name
            st.rerun()
        except (jobs.JobError, ValueError) as problem:
            st.error(literal(problem), icon=":material/error:")

    def heading(job, status) -> None:
        settings = corpus_tagging.FOLDERS.read(job)
        st.markdown(f"**{literal(settings['corpus_name'])}** with {analyzers.LABELS[settings['engine']]} — {status.state}")

    def tagged_text(job, status) -> None:
        """A finished job's tagged corpus, its beginning and its file (the kind's line says where it went)."""
        try:
            tagged = corpus.get_corpus(corpus_tagging.TAGGING.result(job, status)["corpus"])
        except (KeyError, corpus.CorpusNotFound):  # nothing made, or deleted since (the kind's line says so)
            return
        st.code(next(tagged.iter_chunks(600), ""), language=None, wrap_lines=True)
        st.download_button("Download the tagged corpus", lambda path=tagged.path: path.read_bytes(),
                           file_name=f"{tagged.id}.txt", icon=":material/download:", key=f"dl-{job.name}")

    @fragment("the tagging job", run_every=2)
    def tagging_progress():
        job_panel(corpus_tagging.TAGGING, "Tagging", remember="tag_job", header=heading, ended=tagged_text,
                  resume_label="Resume", resume_failed=True)

    tagging_progress()


# Only the open tab runs: Compare starts every engine, and a visitor who only tags must not wait for it.
single, compare, whole = st.tabs(["Tag", "Compare engines", "Tag a corpus"], key="tagger_tab", on_change="rerun")

for tab, show in zip((single, compare, whole), (tag_tab, compare_tab, corpus_tab)):
    if tab.open:
        with tab:
            show()
