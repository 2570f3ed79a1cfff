"""Corpora: the library every page picks from; uploads and Namuwiki dump imports."""

import pandas as pd
import streamlit as st

from namuweb import config, jobs, registry

from namuweb.corpora import catalogue, corpus, downloads, uploads
from namuweb.literal_text import literal
from app_pages._uploads import file_uploader, forget_upload
from app_pages._widgets import demo_notice, fragment, job_panel

SOURCES = {"builtin": "built-in", "upload": "upload", "namuwiki": "Namuwiki import", "download": "download"}

st.title("Corpora")
st.caption("Every text the app can use. The other pages pick from this same library.")
demo = config.demo_settings()
demo_notice()


def start_download(source: str) -> None:
    """A catalogue entry or URL as a new download job; its progress shows below."""
    try:
        jobs.start(downloads.DOWNLOAD, downloads.create(source), wait_in_line=True)
        st.session_state.corpora_message = ("info", "Downloading: progress below.")
    except (corpus.CorpusError, ValueError, jobs.JobError) as problem:
        st.session_state.corpora_message = ("error", literal(problem))
    st.rerun()


def source_label(item) -> str:
    if item.source == "tagged":
        try:
            return f"tagged from {corpus.get_corpus(item.parent).name}" if item.parent else "tagged"
        except corpus.CorpusError:
            return "tagged (source deleted)"
    return SOURCES.get(item.source, item.source)


# --- the catalogue: open Korean texts one click away --------------------------------------------
with st.expander("Get an open Korean text", icon=":material/library_add:", expanded=len(corpus.list_corpora()) <= 1):
    st.caption("Millions of characters to learn from, downloaded into the library with their licence and "
               "attribution. Start with the novels for the char-LSTM.")
    for entry in catalogue.entries():
        cols = st.columns([5, 1])
        cols[0].markdown(f"**{literal(entry.title)}** · about {entry.approx_bytes / config.MB:,.0f} MB · "
                         f"{entry.approx_chars / 1e6:,.1f} M characters  \n{literal(entry.description)}  \n"
                         f"*{literal(entry.licence_line)}* · {literal(entry.attribution)}")
        if cols[1].button("Get", key=f"get-{entry.name}", icon=":material/download:"):
            start_download(entry.name)
    cols = st.columns([5, 1], vertical_alignment="bottom")
    url = cols[0].text_input("Add from URL", placeholder="https://… a .txt, .gz/.zip or Namuwiki dump "
                             "(add #sha256=… to check it)", disabled=bool(demo), key="download_url")
    if cols[1].button("Add", key="get-url", icon=":material/add_link:", disabled=bool(demo) or not url.strip()):
        start_download(url)


def download_name(job) -> str:
    return downloads.FOLDERS.read(job)["name"]


def import_name(job) -> str:
    return uploads.FOLDERS.read(job)["name"]


@fragment("the downloads", run_every=2)
def download_progress():
    # The new corpus belongs in the table: the page reruns when a download ends.
    job_panel(downloads.DOWNLOAD, lambda job, status: f"Downloading {download_name(job)}", most=3,
              title=download_name, stop_label="Stop the download", resume_label="Resume",
              resume_key="resume-download", refresh_on_end=True)


download_progress()

# --- adding ---------------------------------------------------------------------------------
with st.expander("Add a corpus: upload text or a Namuwiki dump", icon=":material/upload:"):
    st.caption(f"`.txt` (UTF-8, UTF-16 or CP949), or a Namuwiki dump as `.json` / `.jsonl` / `.parquet`, "
               f"optionally as `.gz` or `.zip`. Up to {config.max_upload_bytes() // config.MB:,} MB.")
    from namuweb.corpora.namuwiki import ImportOptions  # plain data; the converter loads only in the job
    defaults = ImportOptions()
    cols = st.columns(4)
    options = dict(
        min_chars=cols[0].number_input("Min. characters per document", 0, 100_000, defaults.min_chars),
        sample_rate=cols[1].number_input("Sampling rate", 0.001, 1.0, defaults.sample_rate, format="%.3f"),
        max_documents=cols[2].number_input("Max. documents (0 = all)", 0, 100_000_000, 0) or None,
        footnotes=cols[3].selectbox("Footnotes", ["remove", "inline"]),
    )
    cols = st.columns(4)
    options.update(keep_headings=cols[0].toggle("Keep headings", defaults.keep_headings),
                   keep_tables=cols[1].toggle("Keep tables", defaults.keep_tables),
                   keep_code=cols[2].toggle("Keep code blocks", defaults.keep_code),
                   jamo=cols[3].toggle("Also write jamo", defaults.jamo))
    options["title_pattern"] = st.text_input("Only titles matching (regular expression, optional)") or None
    upload = file_uploader("File", key="corpus_upload", type=uploads.UPLOAD_TYPES, disabled=not demo.uploads_allowed)
    if upload is not None:
        try:
            with st.spinner(f"Receiving {literal(upload.name)}…"):
                received = uploads.receive(upload, upload.name, ImportOptions(**options))
            if received.kind == "corpus":
                st.session_state.corpora_message = ("info", literal(received.corpus.notice or
                                                                    f"Stored “{received.corpus.name}”."))
            else:
                jobs.start(uploads.IMPORT, received.job_dir, wait_in_line=True)
                st.session_state.corpora_message = ("info", f"Importing “{literal(upload.name)}” as a job: progress below.")
        except (corpus.CorpusError, ValueError, jobs.JobError) as problem:
            st.session_state.corpora_message = ("error", literal(problem))
        finally:
            forget_upload(upload, "corpus_upload")
        st.rerun()
if message := st.session_state.get("corpora_message"):
    (st.error if message[0] == "error" else st.info)(message[1])


@fragment("the import", run_every=2)
def import_progress():
    # The new corpus belongs in the table: the page reruns when an import ends.
    job_panel(uploads.IMPORT, lambda job, status: f"Importing {import_name(job)}", title=import_name,
              stop_label="Stop the import", resume_label="Resume the import", refresh_on_end=True)


import_progress()

# --- the library ----------------------------------------------------------------------------
library = corpus.list_corpora()
table = pd.DataFrame([{"name": c.name, "source": source_label(c), "licence": c.licence or "",
                       "size (MB)": c.bytes / config.MB, "characters": c.chars,
                       "created": c.created[:19].replace("T", " ")} for c in library])
picked = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                      key="library_table",
                      column_config={"size (MB)": st.column_config.NumberColumn(format="%.2f"),
                                     "characters": st.column_config.NumberColumn(format="localized")})
rows = [r for r in (picked.selection.rows if picked else []) if r < len(library)]  # a deleted row's selection
if not rows:
    st.caption("Select a corpus to preview, rename, download or delete it.")
    st.stop()
chosen = library[rows[0]]
st.subheader(literal(chosen.name))
if chosen.notice:
    st.caption(literal(chosen.notice))
for line in chosen.origin_lines():
    st.caption(literal(line))
st.code(next(chosen.iter_chunks(1500), ""), language=None, wrap_lines=True)
cols = st.columns([3, 1, 1, 1])
new_name = cols[0].text_input("Name", chosen.name, key=f"name-{chosen.id}", label_visibility="collapsed")
if cols[1].button("Rename", icon=":material/edit:", disabled=new_name == chosen.name or bool(demo)):
    try:
        corpus.rename_corpus(chosen.id, new_name)
        st.rerun()
    except corpus.CorpusError as problem:
        st.error(literal(problem))
cols[2].download_button("Download", lambda chosen=chosen: corpus.export(chosen)[0],
                        file_name=f"{chosen.id}{'.zip' if chosen.origin_lines() else '.txt'}",
                        icon=":material/download:")
with cols[3].popover("Delete", icon=":material/delete:", disabled=chosen.source == "builtin" or bool(demo)):
    using = registry.corpus_usage(chosen.id)
    st.write(f"Delete **{literal(chosen.name)}**?")
    if using.active:
        st.warning(f"{literal(', '.join(using.active))} is reading it now: stop it or wait for it to end.",
                   icon=":material/hourglass_top:")
    elif warning := using.warning():
        st.warning(literal(warning), icon=":material/warning:")
    if st.button("Yes, delete", type="primary", key=f"delete-{chosen.id}", disabled=bool(using.active)):
        try:
            registry.delete_corpus(chosen.id)
            st.rerun()
        except corpus.CorpusError as problem:
            st.error(literal(problem))
