"""What several pages show the same way: one place, so the pages stay widgets → one call → rendering."""

from pathlib import Path

import streamlit as st

from namuweb import config, jobs
from namuweb.corpora import corpus
from namuweb.markup import literal


def demo_notice() -> None:
    """In demo mode, what is open and what is limited, at the top of a page whose limits bite."""
    if demo := config.demo_settings():
        st.info(demo.notice(), icon=":material/visibility:")


def corpus_picker(label: str, corpora: list[corpus.Corpus], *, where=st, key: str | None = None,
                  show_source: bool = False) -> corpus.Corpus:
    """A corpus from ``corpora`` (not empty), listed by name and size; a remembered choice that has
    since been deleted falls back to the first instead of breaking the page."""
    by_id = {c.id: c for c in corpora}
    if key is not None and st.session_state.get(key) not in by_id:
        st.session_state[key] = next(iter(by_id))
    chosen = where.selectbox(label, list(by_id), key=key, format_func=lambda i: f"{by_id[i].name} · {by_id[i].chars:,} "
                             f"characters" + (f" · {by_id[i].source}" if show_source else "")
                             + (f" · {by_id[i].licence}" if by_id[i].licence else ""))
    if by_id[chosen].attribution:
        where.caption(literal(f"{by_id[chosen].attribution} · {by_id[chosen].licence}"))
    return by_id[chosen]


def run_label(info) -> str:
    """A trained run as a picker lists it: id, corpus, tokens, steps, validation loss."""
    val = f" · val loss {info.best_val_loss:.3f}" if info.best_val_loss is not None else ""
    tokens = " · syllables" if info.config.get("tokenization") == "syllables" else ""
    return f"{info.id} · {info.config.get('corpus_name', info.config.get('corpus'))}{tokens} · {info.steps:,} steps{val}"


def model_picker(label: str, infos: list, *, where=st, key: str | None = None, optional: bool = False):
    """A run from ``infos`` (runs with a checkpoint), or None where ``optional`` and none is picked;
    a remembered run that has since gone falls back to the first."""
    by_id = {info.id: info for info in infos}
    choices = ([None] if optional else []) + list(by_id)
    if not choices:
        return None
    if key is not None and st.session_state.get(key) not in choices:
        st.session_state[key] = choices[0]
    chosen = where.selectbox(label, choices, key=key,
                             format_func=lambda i: "none" if i is None else run_label(by_id[i]))
    return by_id.get(chosen)


def job_progress(job_dir: Path, status: jobs.JobStatus, label: str, progress: jobs.Progress | None = None,
                 stop_label: str = "Stop") -> None:
    """An active job's bar (done, rate, the kind's message, ETA) and its Stop button; call it from a
    fragment that reruns every few seconds.  Plain text:  ``progress`` overrides the job's own report (a training
    run's, read from its metrics); label and progress are shown as written, never as Markdown."""
    progress = progress or status.progress
    st.progress(progress.fraction, text=literal(f"{label}: {progress.line() or status.state + '…'}"))
    if status.state != "stopping" and st.button(stop_label, icon=":material/stop:", key=f"stop-{Path(job_dir).name}"):
        jobs.request_stop(job_dir)
        st.rerun(scope="fragment")
