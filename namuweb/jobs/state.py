"""A job's state on disk, and the processes behind it: the part of the job protocol both sides share.

Everything known about a job is in its folder, so a reload, a second tab or a restarted server all
read the same truth:

* ``status.json`` -- a :class:`JobStatus`, replaced atomically;
* ``job.log`` -- the worker's stdout and stderr, appended;
* ``stop-requested`` -- a file, because the app may no longer be the parent of the worker it wants
  to stop.

Two processes write ``status.json``: the worker (heartbeats, its final state) and the app (stop
requests, repairs).  Every write is a read-merge-write under an ``flock`` on the job folder so
neither loses the other's change.  The app never trusts a recorded state on its own:
:func:`current_status` checks it against the process (PID *and* start time, since PIDs are reused)
and marks jobs whose worker vanished; only :func:`enforce_stop`, the reaper, kills anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Iterator

from namuweb import config, storage
from namuweb.jobs.progress import Progress

STATES = ("waiting", "queued", "running", "stopping", "stopped", "finished", "failed", "interrupted")
ACTIVE = frozenset({"waiting", "queued", "running", "stopping"})  # waiting: in line for a place (jobs.waiting)
STATUS_FILE = "status.json"
LOG_FILE = "job.log"
STOP_FILE = "stop-requested"

STOPPED_IN_LINE = "taken out of the line before it began"  # a Stop while waiting (namuweb.jobs.waiting)
VANISHED = "the worker process ended without saying why (killed or server restarted); resume to continue"

# Popen objects of the workers this process started, so current_status() can reap them
# (no zombies in a long-running server, no "still running" ResourceWarning).
_children: dict[int, subprocess.Popen] = {}
_children_lock = threading.Lock()


class JobError(RuntimeError):
    """A job problem the user can act on; the message is one user-facing line."""


class JobBusy(JobError):
    """Another job of the same kind is active (or this one already is)."""


class JobIncomplete(JobError):
    """The work spent its budget without reaching what it promised (a training run below its quality
    floor): the job ends "stopped", not "finished", and the message says why and how to continue."""


@dataclass
class JobStatus:
    state: str
    kind: str  # e.g. "train"
    pid: int | None = None
    pid_start: int | None = None  # /proc/<pid>/stat field 22: tells a reused PID apart
    created: float = 0.0  # time.time() values from here on
    started: float | None = None
    updated: float | None = None  # heartbeat
    ended: float | None = None
    stop_requested: float | None = None
    error: str | None = None  # one line, for failed / interrupted / killed
    progress: Progress = field(default_factory=Progress)
    owner: str | None = None  # the browser session that started it (a demo caps jobs per session)
    result: dict | None = None  # what the job made (a corpus id, a report), as its kind names it; kept across resumes


    @property
    def active(self) -> bool:
        return self.state in ACTIVE


# --- status file -------------------------------------------------------------


def read_status(job_dir) -> JobStatus | None:
    """The stored status, or None if there is none or it cannot be trusted.

    Writes are atomic, so a corrupt file means outside damage; callers treat it
    like a missing job rather than crash a page over it.
    """
    try:
        data = storage.read_json(Path(job_dir) / STATUS_FILE)
        if not isinstance(data, dict) or data.get("state") not in STATES or not isinstance(data.get("kind"), str):
            return None
        known = {f.name for f in fields(JobStatus)}
        if not isinstance(data.get("result"), (dict, type(None))):
            data["result"] = None  # outside damage: the job is still readable, its result is not
        return JobStatus(**{k: v for k, v in data.items() if k in known} | {"progress": Progress.from_json(data.get("progress"))})
    except (OSError, ValueError, TypeError):
        return None


@contextlib.contextmanager
def flock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (a file or a directory), held for the block.

    Each call opens its own descriptor, so the lock excludes other threads of
    this process as well as other processes, and dies with a killed holder.
    """
    flags = os.O_RDONLY if path.is_dir() else os.O_RDWR | os.O_CREAT
    fd = os.open(path, flags, storage.PRIVATE_FILE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_locked(job_dir: Path, changes: dict) -> JobStatus:
    """Merge ``changes`` into the stored status; the caller holds the job lock."""
    current = read_status(job_dir)
    if current is None:
        if "state" not in changes or "kind" not in changes:
            raise JobError(f"{job_dir} has no job status yet; give state and kind")
        current = JobStatus(state=changes["state"], kind=changes["kind"])
    status = JobStatus(**{**asdict(current), **changes})
    if not isinstance(status.progress, Progress):
        status.progress = Progress.from_json(status.progress)
    if status.state not in STATES:
        raise ValueError(f"unknown job state {status.state!r}")
    storage.atomic_write(job_dir / STATUS_FILE, json.dumps(asdict(status), indent=2, default=storage.jsonable))
    return status


def record_result(job_dir, **values) -> JobStatus:
    """Merge ``values`` into the job's result (key by key) and store it atomically."""
    job_dir = Path(job_dir)
    with flock(job_dir):
        current = read_status(job_dir)
        if current is None:
            raise JobError(f"there is no job in {job_dir}")
        return write_locked(job_dir, {"result": {**(current.result or {}), **values}})


def start_lock(name: str, home: Path | None = None) -> Path:
    """The lock file that keeps starts (and a line's moves) of the kind ``name`` apart."""
    directory = (home or config.data_home()) / "jobs"
    storage.make_private_dirs(directory)
    return directory / f"{name}.lock"


def write_status(job_dir, **changes) -> JobStatus:
    """Merge ``changes`` into the status (field by field) and store it atomically."""
    job_dir = Path(job_dir)
    storage.make_private_dirs(job_dir)
    with flock(job_dir):
        return write_locked(job_dir, changes)


# --- processes ---------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) of ``pid``, or None if it does not exist."""
    try:
        with open(f"/proc/{int(pid)}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
        # The command name (field 2) may contain spaces and parentheses; fields 3+ follow the last ")".
        rest = stat[stat.rindex(")") + 2:].split()
        return rest[0], int(rest[19])
    except (OSError, ValueError, IndexError):
        return None


def pid_start(pid: int) -> int | None:
    stat = _proc_stat(pid)
    return stat[1] if stat else None


def process_alive(pid, pid_start) -> bool:
    """Whether ``pid`` runs, is not a zombie, and started at ``pid_start`` (if known).

    Comparing start times keeps a recycled PID from passing for a dead worker.
    """
    if pid is None:
        return False
    stat = _proc_stat(pid)
    if stat is None or stat[0] in "ZXx":
        return False
    return pid_start is None or stat[1] == pid_start


def _reap(pid: int | None, pid_start: int | None) -> None:
    """Collect the exit status of a worker this process started, so it leaves no zombie."""
    if pid is None:
        return
    with _children_lock:
        child = _children.get(pid)
        if child is not None:
            if child.poll() is not None:
                del _children[pid]
            return
    stat = _proc_stat(pid)
    if stat is not None and stat[0] == "Z" and stat[1] == pid_start:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass  # a zombie, but someone else's child


def adopt(child: subprocess.Popen) -> None:
    """Keep the Popen of a worker this process started, so :func:`current_status` can reap it."""
    with _children_lock:
        _children[child.pid] = child


def _kill(pid: int) -> None:
    """SIGKILL the worker's process group (it leads one when started by :func:`start`)."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:  # a standalone CLI run shares its shell's group: kill only itself
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    with _children_lock:
        child = _children.pop(pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=2)


# --- the app's side ----------------------------------------------------------


def current_status(job_dir, *, queued_timeout_s: float = 120.0) -> JobStatus | None:
    """The job's status, with what its worker could not report itself written in: a worker that
    died (or never started) makes the job "interrupted".  Kills nothing (see :func:`enforce_stop`).
    The check and the repair happen under the job lock, so a worker that writes "finished" and
    exits just then is never overwritten."""
    job_dir = Path(job_dir)
    status = read_status(job_dir)
    if status is None:
        return None
    _reap(status.pid, status.pid_start)
    if not status.active:
        return status
    with flock(job_dir):
        status = read_status(job_dir)
        if status is None or not status.active:
            return status
        now = time.time()
        if status.pid is None:
            # start() records the PID right after spawning; only a crash in between leaves none.
            if now - status.created > queued_timeout_s:
                return write_locked(job_dir, {"state": "interrupted", "error": VANISHED, "ended": now})
        elif not process_alive(status.pid, status.pid_start):
            return write_locked(job_dir, {"state": "interrupted", "error": VANISHED, "ended": now})
        return status


def enforce_stop(job_dir, *, grace_s: float = 30.0) -> JobStatus | None:
    """The reaper: :func:`current_status`, after killing a worker that has ignored a stop request
    for longer than ``grace_s`` (the job becomes "stopped").  Whatever watches a job it may have
    asked to stop (a page's progress, ``wait``, a new start) calls this, so a hung worker ends."""
    status = current_status(job_dir)
    if status is None or status.state != "stopping" or status.stop_requested is None:
        return status
    with flock(Path(job_dir)):
        status = read_status(job_dir)
        if (status is not None and status.state == "stopping" and status.stop_requested is not None
                and time.time() - status.stop_requested > grace_s):
            _kill(status.pid)
            return write_locked(Path(job_dir), {"state": "stopped", "ended": time.time(),
                                                 "error": f"did not stop within {grace_s:g} s; killed"})
        return status


def request_stop(job_dir) -> JobStatus:
    """Ask the worker to stop at its next check; repeating it keeps the first request time.

    A file, not a signal: it works whoever started the worker, and a queued
    worker sees it as soon as it starts.  :func:`enforce_stop` kills a worker
    that ignores it for longer than the grace period.
    """
    job_dir = Path(job_dir)
    if read_status(job_dir) is None:
        raise JobError(f"there is no job in {job_dir}")
    with flock(job_dir):
        (job_dir / STOP_FILE).touch()
        status = read_status(job_dir)
        if status is None:
            raise JobError(f"there is no job in {job_dir}")
        if status.state == "waiting":  # it never began: out of the line at once, its worker leaves unasked
            now = time.time()
            status = write_locked(job_dir, {"state": "stopped", "stop_requested": now, "ended": now,
                                            "error": STOPPED_IN_LINE})
        elif status.state in ("queued", "running"):
            status = write_locked(job_dir, {"state": "stopping", "stop_requested": time.time()})
        return status


def wait(job_dir, timeout: float, poll: float = 0.2) -> JobStatus:
    """Watch the job (:func:`enforce_stop`) until it is no longer active; TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        status = enforce_stop(job_dir)
        if status is None:
            raise JobError(f"there is no job in {job_dir}")
        if not status.active:
            return status
        if time.monotonic() >= deadline:
            raise TimeoutError(f"job in {job_dir} still {status.state} after {timeout:g} s")
        time.sleep(poll)


def log_tail(job_dir, lines: int = 40) -> str:
    """The last ``lines`` lines of the job's log ("" if none), read from the end of the file."""
    path = Path(job_dir) / LOG_FILE
    try:
        with path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            chunk = 8192
            while True:
                f.seek(max(0, size - chunk))
                data = f.read()
                if chunk >= size or data.count(b"\n") > lines:
                    break
                chunk *= 4
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", errors="replace").splitlines()[-lines:])
