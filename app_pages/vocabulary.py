"""Vocabulary: the jamo-level character vocabulary of a corpus (or, to compare, its syllables)."""

import json

import streamlit as st

from namuweb import charts, config

from namuweb.corpora import corpus, uploads

from namuweb.text import hangul
from namuweb.text.vocab_report import fold_summary, report, search
from namuweb.literal_text import literal
from app_pages._uploads import file_uploader, forget_upload
from app_pages._widgets import corpus_picker

st.title("Vocabulary")
st.caption("Every Hangul syllable becomes its jamo plus the end-of-syllable mark ᴥ (`한국` → `ㅎㅏㄴᴥㄱㅜㄱᴥ`); "
           "the sorted set of tokens is the vocabulary, numbered as the tutorial numbers it.")


def handle_upload(upload) -> None:
    """Store a new upload, then let go of it (the page reruns with an empty uploader)."""
    if upload is None:
        return
    try:
        stored = uploads.receive(upload, upload.name).corpus
        st.session_state.corpus_id = stored.id
        st.session_state.upload_message = ("info", literal(stored.notice or f"Stored “{stored.name}” in the corpus library."))
    except corpus.CorpusError as error:
        st.session_state.upload_message = ("error", literal(error))
    finally:
        forget_upload(upload, "upload")
    st.rerun()


with st.expander("Upload a new corpus (.txt)", expanded=False):
    upload = file_uploader("Text file", key="upload", type=["txt"],
                              disabled=not config.demo_settings().uploads_allowed,
                              help=f"UTF-8 preferred; UTF-16 and CP949/EUC-KR are converted. "
                                   f"Limit {config.max_upload_bytes() // config.MB} MB.")
    handle_upload(upload)
if message := st.session_state.get("upload_message"):
    kind, text = message
    (st.error if kind == "error" else st.info)(text, icon=":material/error:" if kind == "error" else ":material/info:")

chosen = corpus_picker("Corpus", corpus.list_corpora(), key="corpus_id", show_source=True)
tokens = st.segmented_control(
    "Tokens", ["jamo", "syllables"], default="jamo", key="vocabulary_tokens",
    format_func={"jamo": "jamo + ᴥ (the tutorial's)", "syllables": "whole syllables"}.get,
    help="The tutorial splits syllables into jamo to shrink the vocabulary; see by how much. A run can "
         "train on either (the Train page's Tokens setting).") or "jamo"


@st.cache_resource
def reports() -> dict:
    """Reports per corpus version, shared by all sessions (a plain dict so progress can be drawn)."""
    return {}


key = (chosen.id, chosen.created, tokens)
if key not in reports():
    bar = st.progress(0.0, text="Counting characters…")
    reports()[key] = report(chosen, jamo=tokens == "jamo", progress=lambda done, total: bar.progress(
        min(done / max(total, 1), 1.0), text=f"Counting characters… {done:,} / {total:,} bytes"))
    bar.empty()
    while len(reports()) > 16:
        reports().pop(next(iter(reports())))
full = reports()[key]

min_count = st.number_input("Minimum count (rarer tokens are folded into `<unk>`)", min_value=1, value=1,
                            step=1, help="1 keeps every token, as the tutorial does.")
shown = full.with_min_count(min_count) if min_count > 1 else full

figures = full.figures()
columns = st.columns(4)
columns[0].metric("Characters", f"{figures['characters']:,}")
columns[1].metric("Jamo tokens" if tokens == "jamo" else "Tokens (syllables and other characters)",
                  f"{figures['jamo tokens']:,}")
columns[2].metric("Vocabulary size", f"{shown.vocab.size:,}",
                  delta=f"{shown.vocab.size - full.vocab.size:,} with min count {min_count}" if min_count > 1 else None,
                  delta_color="off")
columns[3].metric("Hangul share", f"{figures['Hangul share']:.1%}")
if min_count > 1:
    fold = fold_summary(full, shown)
    st.info(f"Minimum count {min_count}: {fold['folded symbols']:,} rare tokens folded into `<unk>`, "
            f"covering {fold['folded share']:.3%} of the text; vocabulary {fold['before']:,} → {fold['after']:,}.")

st.subheader("Preview")
length = st.slider("Characters to preview", 100, 2000, 400, step=100)
raw = next(chosen.iter_chunks(length), "")  # the corpus's first characters, not the whole file read
stream = hangul.decompose(raw, marker="replace")
back = hangul.compose(stream)
left, middle, right = st.columns(3)
left.text_area("Raw text", raw, height=220, disabled=True)
middle.text_area("Jamo stream", stream, height=220, disabled=True)
right.text_area("Recomposed", back, height=220, disabled=True)
if back == raw:
    st.success("Round trip exact: recomposing the jamo stream gives back the raw text.", icon=":material/check_circle:")
else:
    st.warning("Round trip changed the text (it contains the mark ᴥ, shown as �).", icon=":material/warning:")

st.subheader("Tokens")
table = shown.table()
query = st.text_input("Search tokens", placeholder="ㄱ, LINE FEED, U+00A0, vowel, Latin…")
st.dataframe(
    search(table, query).drop(columns=["label"]), hide_index=True, width="stretch", height=360,
    column_config={"share": st.column_config.ProgressColumn("share", format="percent", min_value=0.0,
                                                            max_value=float(table["share"].max() or 1.0)),
                   "count": st.column_config.NumberColumn("count", format="localized")},
)

st.subheader("Charts")
top_left, top_right = st.columns([3, 1])
most = min(200, shown.vocab.size)  # a slider from 10 to 10 or fewer raises: a tiny vocabulary is shown whole
top_n = top_right.slider("Top N", 10, most, min(30, most)) if most > 10 else most
log_scale = top_right.toggle("Log scale", value=False)
top_left.altair_chart(charts.frequency_bars(table, top_n, log_scale), width="stretch")
left, right = st.columns(2)
cover = shown.tokens_to_cover()
left.altair_chart(charts.coverage_curve(shown.coverage(), cover), width="stretch")
left.caption(" · ".join(f"{level:.1%} of the text: {n} tokens" for level, n in cover.items()))
right.altair_chart(charts.category_bars(shown.by_category()), width="stretch")

st.subheader("Download")
left, right = st.columns(2)
left.download_button("Vocabulary (JSON)", json.dumps(shown.vocab.to_json(), ensure_ascii=False, indent=1),
                     file_name=f"{chosen.id}.vocab.json", mime="application/json", icon=":material/download:")
right.download_button("Token table (CSV)", table.drop(columns=["label"]).to_csv(index=False),
                      file_name=f"{chosen.id}.tokens.csv", mime="text/csv", icon=":material/download:")
