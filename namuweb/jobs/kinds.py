"""Starting a job: the app's side of the job protocol.

A :class:`~namuweb.jobs.kind.JobKind` (declared once, beside its domain function) says what runs; the
page calls :func:`start`; the worker process (:mod:`namuweb.jobs.worker`) calls ``kind.run``; the
command line calls it too, in the foreground (:func:`namuweb.jobs.context.run_here`).  Here too:
who started a job (:func:`started_by`), and every job on disk (:func:`active_everywhere`).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from namuweb import config, storage
from namuweb.jobs import leftovers, state
from namuweb.jobs.kind import FOLDERS_ENV, KINDS, JobFolders, JobKind, job_folders  # noqa: F401 (the kinds' names, here too)
from namuweb.jobs.progress import Progress
from namuweb.jobs.state import LOG_FILE, STATUS_FILE, STOP_FILE, JobBusy, JobError, JobStatus

ALL_KINDS = "all-kinds"  # the lock a demo's cap on jobs of every kind together is checked under
_owner: contextvars.ContextVar[str | None] = contextvars.ContextVar("namuweb_job_owner", default=None)


@contextlib.contextmanager
def started_by(owner: str | None) -> Iterator[None]:
    """Jobs started in this block (this thread) belong to ``owner``, a browser session's id.

    The app wraps each page run in it, so the tool modules need not pass a session around."""
    token = _owner.set(owner)
    try:
        yield
    finally:
        _owner.reset(token)


def current_owner() -> str | None:
    """The visitor this thread works for (set by :func:`started_by`), None outside a page."""
    return _owner.get()


def active_everywhere(home: Path | None = None) -> list[tuple[Path, JobStatus]]:
    """Every active job of every kind in the data directory (watched: dead workers do not count, a stop past its grace is enforced)."""
    home = Path(home) if home is not None else config.data_home()
    found = []
    for pattern in job_folders():
        for status_file in sorted(home.glob(f"{pattern}/{STATUS_FILE}")):
            if status_file.parent.is_symlink():
                continue
            status = state.enforce_stop(status_file.parent)
            if status is not None and status.active:
                found.append((status_file.parent, status))
    return found


def everything(home: Path | None = None) -> list[tuple[Path, JobStatus]]:
    """Every job of every kind in the data directory with its stored status, whatever its state (read
    only: nothing is checked against its process)."""
    home = Path(home) if home is not None else config.data_home()
    found = []
    for pattern in job_folders():
        for status_file in sorted(home.glob(f"{pattern}/{STATUS_FILE}")):
            if not status_file.parent.is_symlink() and (status := state.read_status(status_file.parent)):
                found.append((status_file.parent.resolve(), status))
    return found


def _demo_room(demo: config.DemoSettings, active: list[tuple[Path, JobStatus]]) -> int:
    """Places left under a public demo's cap on jobs of every kind together (waiting ones hold none)."""
    return demo.max_jobs - sum(1 for _, status in active if status.state != "waiting")


def _check_demo_capacity(demo: config.DemoSettings, owner: str | None, *, wait_in_line: bool = False) -> None:
    """A public demo's two cores: a cap on jobs of every kind together, and on one visitor's (a job
    waiting in line counts as the visitor's: a reload never gives anyone more)."""
    active = active_everywhere()
    if _demo_room(demo, active) <= 0 and not wait_in_line:
        running = len(active)
        raise JobBusy(f"this demo runs at most {demo.max_jobs} background job{'s' if demo.max_jobs > 1 else ''} "
                      f"at once and {running} {'are' if running > 1 else 'is'} running now; "
                      "try again when one has ended")
    mine = [status.kind for _, status in active if owner is not None and status.owner == owner]
    if len(mine) >= demo.max_jobs_per_session:
        raise JobBusy(f"this demo runs {demo.max_jobs_per_session} background job{'s' if demo.max_jobs_per_session > 1 else ''} "
                      f"per visitor at a time, and yours ({', '.join(mine)}) is still running; "
                      "stop it or wait for it to end")


@contextlib.contextmanager
def start_locks(kind: JobKind) -> Iterator[None]:
    """The locks that keep starts (and a line's moves) of ``kind`` apart; in a demo, of every kind."""
    with state.flock(state.start_lock(kind.name)), (state.flock(state.start_lock(ALL_KINDS)) if config.demo_settings()
                                               else contextlib.nullcontext()):
        yield


def _capacity(kind: JobKind) -> int:
    return kind.max_active() if callable(kind.max_active) else kind.max_active


def line_and_room(kind: JobKind, job_dir: Path) -> tuple[list[tuple[Path, JobStatus]], list[JobStatus], int]:
    """The jobs waiting in ``job_dir``'s line, first first; the running jobs whose places it waits
    for; and the places free now.  The line is the kind's, or in a public demo every kind's (the
    demo's cap is on all jobs together).  Called under :func:`start_locks`."""
    demo = config.demo_settings()
    active = active_everywhere()
    of_kind = [(d.resolve(), s) for d, s in active if s.kind == kind.name]
    scope = [(d.resolve(), s) for d, s in active] if demo else of_kind
    line = sorted(((d, s) for d, s in scope if s.state == "waiting"), key=lambda item: (item[1].created, str(item[0])))
    running = [s for _, s in (scope if demo else of_kind) if s.state != "waiting"]
    room = _capacity(kind) - sum(1 for _, s in of_kind if s.state != "waiting")
    if demo:
        room = min(room, _demo_room(demo, active))
    return line, running, room


def worker_command(kind: JobKind, job_dir: Path) -> list[str]:
    """The worker process of a job: ``python -m namuweb.jobs.worker KIND DIR --run MODULE:FUNCTION``, with
    ``--without MODULE`` for each module the kind's worker blocks."""
    return [sys.executable, "-m", "namuweb.jobs.worker", kind.name, str(job_dir), "--run", kind.entry,
            *(arg for module in kind.worker_without for arg in ("--without", module))]


@leftovers.removed_if_refused  # a first start that is refused leaves no folder behind
def start(kind: JobKind, job_dir, *, peers: Iterable[Path] | None = None, max_active: int | None = None,
          env: dict | None = None, wait_in_line: bool = False) -> JobStatus:
    """Spawn the worker for the job in ``job_dir`` and return its status: "queued", or already "running".

    With ``job_dir`` and its ``peers`` (by default every folder of the kind) at most ``max_active``
    jobs of the kind may be active, else :class:`JobBusy`.  The check and the spawn happen under a
    per-kind lock file, so two clicks, tabs or servers racing to start a job spawn exactly one.  The
    worker switches the state to "running" itself.

    With ``wait_in_line`` (the pages' way) a job whose kind, or a public demo, is at its limit is not
    refused: its worker starts "waiting" and takes its turn (:mod:`namuweb.jobs.waiting`).  What a demo
    allows one visitor is still refused past its limit.
    """
    if kind.check is not None:
        kind.check(Path(job_dir))
    job_dir = Path(job_dir).resolve()
    command = worker_command(kind, job_dir)
    peers = kind.folders.all() if peers is None else peers
    if max_active is None:
        max_active = kind.max_active() if callable(kind.max_active) else kind.max_active
    demo, owner = config.demo_settings(), _owner.get()
    with start_locks(kind):
        dirs = {job_dir, *(Path(p).resolve() for p in peers)}
        active = []
        for directory in sorted(dirs):
            status = state.enforce_stop(directory)
            if status is not None and status.active and (status.kind == kind.name or directory == job_dir):
                active.append((directory, status))
        if job_dir in [d for d, _ in active]:
            raise JobBusy(f"this {kind.name} job is already {state.read_status(job_dir).state}: {job_dir}")
        full = sum(1 for _, s in active if s.state != "waiting") >= max_active
        if full and not wait_in_line:
            raise JobBusy(f"another {kind.name} job is active ({', '.join(str(d) for d, _ in active)}); "
                          "stop it or wait for it to end")
        if demo:
            _check_demo_capacity(demo, owner, wait_in_line=wait_in_line)
        line, _, room = line_and_room(kind, job_dir) if wait_in_line else ([], [], 1)
        waits = wait_in_line and (full or bool(line) or room <= 0)  # first come, first served

        state.write_status(job_dir, state="waiting" if waits else "queued", kind=kind.name, created=time.time(), pid=None, pid_start=None,
                           started=None, updated=None, ended=None, stop_requested=None, error=None,
                           progress=Progress(), owner=owner)
        (job_dir / STOP_FILE).unlink(missing_ok=True)
        with open(job_dir / LOG_FILE, "ab", opener=storage.private_opener) as log:
            stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
            log.write(f"--- {stamp} start: {shlex.join(command)}\n".encode())
            log.flush()
            try:
                child = subprocess.Popen(
                    command, cwd=config.PROJECT_ROOT, start_new_session=True, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1", FOLDERS_ENV: os.pathsep.join(job_folders()), **(env or {})},
                )
            except OSError as error:
                state.write_status(job_dir, state="failed", ended=time.time(),
                                   error=f"could not start the worker: {error}")
                raise JobError(f"could not start the {kind.name} worker: {error}") from None
        state.adopt(child)
        # Only PID fields: the worker may already have written "running".
        return state.write_status(job_dir, pid=child.pid, pid_start=state.pid_start(child.pid))
