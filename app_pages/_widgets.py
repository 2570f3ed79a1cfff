"""What several pages show the same way: one place, so the pages stay widgets → one call → rendering."""

import functools
import logging
from pathlib import Path
from typing import Callable, Iterable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from namuweb import config, jobs, registry, web  # registry: every kind of job, so a start sees jobs of them all
from namuweb.corpora import corpus
from namuweb.literal_text import literal

PAGE_LOG = logging.getLogger("namuweb.pages")


def logged_failure(what: str, error: Exception) -> str:
    """Log ``error`` with its traceback for the server's log, and return one line for the visitor saying what
    failed (Streamlit's own traceback box is long, and inside a fragment that reruns every few seconds it is gone
    before anyone reads it), as Markdown-safe text."""
    PAGE_LOG.error("%s failed", what, exc_info=error)
    return literal(f"{what} failed: {type(error).__name__}: {error}. This was logged on the server, with the details.")


def show_failure(what: str, error: Exception) -> None:
    """A page that raised: log it and say so in one line where the page stopped."""
    st.error(logged_failure(what, error), icon=":material/bug_report:")


def visitor() -> str | None:
    """Who is asking, as per-visitor limits count (a demo's jobs, the samplers' turns): the browser's
    ``namuweb_visitor`` cookie (set by the app's own server, ``app.py``), else its address, else this
    session.  A session is one tab's one load: a reload is a new one, so it is only the last resort
    (``streamlit run streamlit_app.py`` on localhost)."""
    browser = web.visitor_id(st.context.cookies.get(web.VISITOR_COOKIE))
    if browser:
        return "browser:" + web.visitor_key(browser)
    if isinstance(address := st.context.ip_address, str) and address:
        return "address:" + web.visitor_key(address)
    run_context = get_script_run_ctx()
    return "session:" + run_context.session_id if run_context else None


def fragment(part: str, *, run_every: float | None = None):
    """``st.fragment`` for a live part of a page, named ``part`` ("the runs table"), whose failures stay in view.

    A fragment that reruns every few seconds replaces whatever an exception drew in it at its next run, so a
    button in it that raises looked like a button that did nothing (Train's Resume once did).  Here the failure
    is logged, shown in one line and remembered in the session: the part shows it on every run after, until the
    visitor dismisses it; the rest of the page goes on working."""
    remembered = f"failure-{part}"

    def decorate(body):
        @st.fragment(run_every=run_every)
        @functools.wraps(body)
        def live_part(*args, **kwargs):
            try:
                with jobs.started_by(visitor()):  # a fragment's own rerun skips the app script, which sets it
                    body(*args, **kwargs)
            except Exception as error:  # control flow (st.rerun, st.stop) is not an Exception
                st.session_state[remembered] = logged_failure(part[:1].upper() + part[1:], error)
            if message := st.session_state.get(remembered):
                cols = st.columns([8, 1], vertical_alignment="center")
                cols[0].error(message, icon=":material/bug_report:")
                if cols[1].button("Dismiss", key=f"dismiss-{remembered}"):
                    del st.session_state[remembered]
                    rerun_this_part()
        return live_part
    return decorate


def rerun_this_part() -> None:
    """Rerun the fragment a click came from, or the whole page where the fragment ran as part of it: a browser
    reruns only the fragment after a click in it, AppTest the whole page, where ``scope="fragment"`` raises."""
    context = get_script_run_ctx()
    st.rerun(scope="fragment" if context is not None and context.fragment_ids_this_run else "app")


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
    """A trained run as a picker lists it: its name, tokens, steps, held-out bits per character."""
    bits = info.best_val_bits_per_char
    val = f" · {bits:.2f} bits/char" if bits is not None else (
        f" · val loss {info.best_val_loss:.3f}" if info.best_val_loss is not None else " · not validated")
    tokens = " · syllables" if info.config.get("tokenization") == "syllables" else ""
    floor = " · below its quality floor" if info.below_floor else ""
    return f"{info.name}{tokens} · {info.steps:,} steps{val}{floor}"


def model_picker(label: str, infos: list, *, where=st, key: str | None = None, optional: bool = False):
    """A run from ``infos`` (runs with a checkpoint), or None where ``optional`` and none is picked;
    a remembered run that has since gone falls back to the first."""
    by_id = {info.id: info for info in infos}
    choices = ([None] if optional else []) + list(by_id)
    if not choices:
        return None
    if key is not None and st.session_state.get(key) not in choices:
        st.session_state[key] = choices[0]
    names = [info.name for info in infos]
    twins = {name for name in names if names.count(name) > 1}  # the same name twice: the folder tells them apart

    def shown(i) -> str:
        if i is None:
            return "none"
        return run_label(by_id[i]) + (f" · {i}" if by_id[i].name in twins else "")
    chosen = where.selectbox(label, choices, key=key, format_func=shown)
    return by_id.get(chosen)


def job_progress(job_dir: Path, status: jobs.JobStatus, label: str, progress: jobs.Progress | None = None,
                 stop_label: str = "Stop") -> None:
    """An active job's bar (done, rate, the kind's message, ETA) and its Stop button; call it from a
    fragment that reruns every few seconds.  Plain text:  ``progress`` overrides the job's own report (a training
    run's, read from its metrics); label and progress are shown as written, never as Markdown."""
    job_bar(status, label, progress)
    if status.state != "stopping" and st.button(stop_label, icon=":material/stop:", key=f"stop-{Path(job_dir).name}"):
        jobs.request_stop(job_dir)
        rerun_this_part()


def job_bar(status: jobs.JobStatus, label: str, progress: jobs.Progress | None = None) -> None:
    """An active job's bar, or its place in line while it waits for one (the job's own report)."""
    if status.state == "waiting":
        st.info(literal(f"{label}: {jobs.waiting.describe(status)}"), icon=":material/schedule:")
    else:
        progress = progress or status.progress
        st.progress(progress.fraction, text=literal(f"{label}: {progress.line() or status.state + '…'}"))


ENDED = ("stopped", "interrupted", "failed")
Hook = Callable[[Path, jobs.JobStatus], object]


def picked_jobs(kinds: Iterable[jobs.JobKind], *, remember: str | None = None, only_active: bool = False,
                most: int = 1, unstarted: bool = False) -> list[tuple[Path, jobs.JobStatus | None]]:
    """The jobs a panel shows, each with its status, watched once (:func:`namuweb.jobs.enforce_stop`): the
    active ones (the one this session remembers first), else the remembered one, else the newest; ``most``
    of them.  Kinds that share a folder (skip-gram and its builds) are watched together; a folder no job ran
    in (no status: a run trained by calling the trainer) only where ``unstarted``."""
    folders = sorted({d for kind in kinds for d in kind.folders.all()}, key=lambda d: d.name, reverse=True)
    wanted = st.session_state.get(remember) if remember else None
    statuses = [(d, s) for d in folders if (s := jobs.enforce_stop(d)) is not None or unstarted]
    active = [(d, s) for d, s in statuses if s is not None and s.active]
    first = sorted(active, key=lambda item: item[0].name != wanted)  # stable: newest first
    if not only_active:
        first += sorted((item for item in statuses if item not in active), key=lambda item: item[0].name != wanted)
    return first[:most]


def job_panel(kinds: jobs.JobKind | Iterable[jobs.JobKind], label: str | Callable[[Path, jobs.JobStatus], str], *,
              remember: str | None = None, only_active: bool = False, most: int = 1,
              title: Callable[[Path], str] | None = None, header: Hook | None = None,
              progress: Callable[[Path, jobs.JobStatus], jobs.Progress | None] | None = None,
              ended: Hook | None = None, after: Hook | None = None, stop_label: str = "Stop",
              resume_label: str | None = None, resume_key: str = "resume", resume_failed: bool = False,
              stopped_line: bool = True, refresh_on_end: bool = False, unstarted: bool = False) -> Path | None:
    """The one way a page watches its jobs of ``kinds``; call it from a live part (:func:`fragment`).

    It picks the jobs (:func:`picked_jobs`), and for each: the page's ``header``; while active, its bar or
    its place in line (``label``, ``progress`` overriding the job's own report) and ``stop_label``'s button;
    once ended, the kind's description of its result (only the first job's, of several), the page's
    ``ended`` (True: it said all there is), a line for a stop or a failure (``title`` names the job there;
    ``stopped_line`` False: only a failure's) and ``resume_label``'s button (key ``{resume_key}-{folder}``;
    a failed job too where ``resume_failed``); then the page's ``after``.  ``refresh_on_end`` reruns the
    whole page when a job it showed active has ended (its result belongs in the page's lists).  ``unstarted``: a
    folder no job ran in is shown too (status None: ``header`` and ``after`` only).  Returns the first job's
    folder, None when there is none.  Label and texts are shown literally, never as Markdown."""
    kinds = (kinds,) if isinstance(kinds, jobs.JobKind) else tuple(kinds)
    by_name = {kind.name: kind for kind in kinds}
    shown = picked_jobs(kinds, remember=remember, only_active=only_active, most=most, unstarted=unstarted)
    watching = f"job-panel-{'+'.join(by_name)}"
    was_active, now_active = st.session_state.get(watching, set()), {d.name for d, s in shown if s and s.active}
    st.session_state[watching] = now_active
    if refresh_on_end and was_active - now_active:
        st.rerun(scope="app")
    for number, (job_dir, status) in enumerate(shown):
        if status is None:  # no job ran here: the page's own parts only
            for hook in (header, after):
                if hook is not None:
                    hook(job_dir, status)
            continue
        kind = by_name.get(status.kind, kinds[0])
        described = None if status.active else kind.description(job_dir, status)
        if number and described is not None and described.present:
            continue  # of several jobs, one finished result is enough (the newest, or an active one above)
        if header is not None:
            header(job_dir, status)
        named = f"{title(job_dir)}: " if title is not None else ""
        if status.active:
            job_bar(status, label(job_dir, status) if callable(label) else label,
                    progress(job_dir, status) if progress is not None else None)
            if status.state != "stopping" and st.button(stop_label, icon=":material/stop:", key=f"stop-{job_dir.name}"):
                jobs.request_stop(job_dir)
                rerun_this_part()
        else:
            if described is not None:
                (st.success if described.present else st.info)(
                    literal(described.text), icon=":material/check_circle:" if described.present else ":material/delete:")
            said = bool(ended(job_dir, status)) if ended is not None else False
            if not said and (described is None or not described.present) and status.state in ENDED:
                if status.error:
                    (st.error if status.state == "failed" else st.warning)(
                        literal(f"{named or status.state + ': '}{status.error}"), icon=":material/warning:")
                elif stopped_line:
                    at = status.progress.line()
                    st.warning(literal(f"{named}{status.state}{' at ' + at if at else ''}."), icon=":material/pause:")
                if (resume_label is not None and (status.state != "failed" or resume_failed)
                        and st.button(resume_label, icon=":material/replay:", key=f"{resume_key}-{job_dir.name}")):
                    try:
                        jobs.start(kind, job_dir, wait_in_line=True)
                    except jobs.JobError as problem:  # shown where it was pressed (a demo's limit, a deleted corpus)
                        st.error(literal(problem), icon=":material/error:")
                    else:
                        if remember:
                            st.session_state[remember] = job_dir.name
                        rerun_this_part()
        if after is not None:
            after(job_dir, status)
    return shown[0][0] if shown else None


def floor_notice(info, *, key: str) -> None:
    """A run that spent its budget below its quality floor: say so plainly, and offer to continue training it
    (one more budget of the same size).  Nothing for a run that reached its floor."""
    if not info.below_floor or (info.status and info.status.active):
        return
    from namuweb.language_model import runs
    verdict = runs.FloorVerdict(info.best_val_loss, info.config["quality_floor"], info.config.get("tokens_per_char"))
    cols = st.columns([5, 1], vertical_alignment="center")
    cols[0].warning(f"{literal(info.name)} is below its quality floor: {verdict.bits_text} on held-out text, where a "
                    f"trigram count model of the same text scores {verdict.floor_bits_text}. Its text will read as "
                    "noise. It needs more training (a busy machine fits fewer steps into a time budget); continuing "
                    "trains it for one more budget.", icon=":material/trending_down:")
    if cols[1].button("Continue", icon=":material/replay:", key=f"continue-{key}-{info.id}",
                      help="train it for one more budget of the size it began with"):
        continue_training(info)


def continue_training(info) -> None:
    """Resume a run (one more budget where its own is spent) and show it on the Train page."""
    from namuweb.language_model import runs, training
    try:
        training.TRAINING.check(info.path)
        runs.Run(info.path).prepare_to_continue()
        jobs.start(training.TRAINING, info.path, wait_in_line=True)
        st.session_state.focus_run = info.id
        st.rerun(scope="app")
    except (jobs.JobError, runs.RunError) as problem:
        st.error(literal(problem), icon=":material/error:")
