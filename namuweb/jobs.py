"""Long work (training, tagging, imports) as background jobs whose state lives on disk.

A Streamlit script is re-run on every click and dies with the browser tab, so
long work cannot live inside it.  Each job is a separate process,
``python -m namuweb <args>``, started in its own session, and everything known
about it is in its job directory:

* ``status.json`` -- a :class:`JobStatus`, replaced atomically, so a reload, a
  second tab or a restarted server all read the same truth;
* ``job.log`` -- the worker's stdout and stderr, appended;
* ``stop-requested`` -- a file, because the app may no longer be the parent
  of the worker it wants to stop;
* ``*.jsonl`` logs (a run's metrics, a skip-gram loss curve) -- appended one
  whole line per ``os.write`` on an ``O_APPEND`` descriptor
  (:class:`storage.JsonlAppender`), so concurrent writers never interleave and a
  reader (:func:`storage.read_jsonl`) only ever skips a last line still being written.

Two processes write ``status.json``: the worker (heartbeats, its final state)
and the app (stop requests, repairs).  Every write is a read-merge-write under
an ``flock`` on the job directory so neither loses the other's change.  The app
never trusts a recorded state on its own: :func:`current_status` checks it
against the process (PID *and* start time, since PIDs are reused) and marks
jobs whose worker vanished; :func:`enforce_stop` kills one that will not stop.  Backend code: no Streamlit import.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from namuweb import config, storage

STATES = ("queued", "running", "stopping", "stopped", "finished", "failed", "interrupted")
ACTIVE = frozenset({"queued", "running", "stopping"})
STATUS_FILE = "status.json"
LOG_FILE = "job.log"
STOP_FILE = "stop-requested"

VANISHED = "the worker process ended without saying why (killed or server restarted); resume to continue"
_KIND = re.compile(r"[a-z][a-z0-9_-]*")
_MAX_ERROR_CHARS = 500
_STOP_CHECK_S = 0.5
_HEARTBEAT_S = 1.0

# Popen objects of the workers this process started, so current_status() can reap them
# (no zombies in a long-running server, no "still running" ResourceWarning).
_children: dict[int, subprocess.Popen] = {}
_children_lock = threading.Lock()


class JobError(RuntimeError):
    """A job problem the user can act on; the message is one user-facing line."""


class JobBusy(JobError):
    """Another job of the same kind is active (or this one already is)."""


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
    progress: dict = field(default_factory=dict)  # free-form, e.g. {"step": 10, "total": 100}
    owner: str | None = None  # the browser session that started it (a demo caps jobs per session)

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
        data = json.loads((Path(job_dir) / STATUS_FILE).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("state") not in STATES or not isinstance(data.get("kind"), str):
            return None
        known = {f.name for f in fields(JobStatus)}
        status = JobStatus(**{k: v for k, v in data.items() if k in known})
        if not isinstance(status.progress, dict):
            return None
        return status
    except (OSError, ValueError, TypeError):
        return None


def kind_dir(kind: str, home: Path | None = None) -> Path:
    """``<data>/jobs/<kind>/``: where jobs of one kind keep their folders."""
    path = (home or config.data_home()) / "jobs" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def folders_with(parent: Path, marker: str) -> list[Path]:
    """The job folders under ``parent`` (those holding ``marker``), newest first."""
    return sorted((p for p in Path(parent).iterdir() if (p / marker).is_file()), reverse=True)


@dataclass(frozen=True)
class JobFolders:
    """The folders of one kind of job under ``<data>/jobs/<kind>/``, each holding a settings file."""

    kind: str
    settings_file: str = "job.json"

    def root(self, home: Path | None = None) -> Path:
        return kind_dir(self.kind, home)

    def all(self, home: Path | None = None) -> list[Path]:
        return folders_with(self.root(home), self.settings_file)

    def read(self, job_dir: Path) -> dict:
        return storage.read_json(Path(job_dir) / self.settings_file)

    def write(self, job_dir: Path, data: dict) -> None:
        storage.write_json(Path(job_dir) / self.settings_file, data)

    def active(self, home: Path | None = None) -> list[Path]:
        return [d for d in self.all(home) if (s := enforce_stop(d)) and s.active]


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (a file or a directory), held for the block.

    Each call opens its own descriptor, so the lock excludes other threads of
    this process as well as other processes, and dies with a killed holder.
    """
    flags = os.O_RDONLY if path.is_dir() else os.O_RDWR | os.O_CREAT
    fd = os.open(path, flags, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_locked(job_dir: Path, changes: dict) -> JobStatus:
    """Merge ``changes`` into the stored status; the caller holds the job lock."""
    current = read_status(job_dir)
    if current is None:
        if "state" not in changes or "kind" not in changes:
            raise JobError(f"{job_dir} has no job status yet; give state and kind")
        current = JobStatus(state=changes["state"], kind=changes["kind"])
    status = JobStatus(**{**asdict(current), **changes})
    if status.state not in STATES:
        raise ValueError(f"unknown job state {status.state!r}")
    storage.atomic_write(job_dir / STATUS_FILE, json.dumps(asdict(status), indent=2, default=storage.jsonable))
    return status


def write_status(job_dir, **changes) -> JobStatus:
    """Merge ``changes`` into the status (field by field) and store it atomically."""
    job_dir = Path(job_dir)
    job_dir.mkdir(parents=True, exist_ok=True)
    with _flock(job_dir):
        return _write_locked(job_dir, changes)


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


def _pid_start(pid: int) -> int | None:
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
    with _flock(job_dir):
        status = read_status(job_dir)
        if status is None or not status.active:
            return status
        now = time.time()
        if status.pid is None:
            # start() records the PID right after spawning; only a crash in between leaves none.
            if now - status.created > queued_timeout_s:
                return _write_locked(job_dir, {"state": "interrupted", "error": VANISHED, "ended": now})
        elif not process_alive(status.pid, status.pid_start):
            return _write_locked(job_dir, {"state": "interrupted", "error": VANISHED, "ended": now})
        return status


def enforce_stop(job_dir, *, grace_s: float = 30.0) -> JobStatus | None:
    """The reaper: :func:`current_status`, after killing a worker that has ignored a stop request
    for longer than ``grace_s`` (the job becomes "stopped").  Whatever watches a job it may have
    asked to stop (a page's progress, ``wait``, a new start) calls this, so a hung worker ends."""
    status = current_status(job_dir)
    if status is None or status.state != "stopping" or status.stop_requested is None:
        return status
    with _flock(Path(job_dir)):
        status = read_status(job_dir)
        if (status is not None and status.state == "stopping" and status.stop_requested is not None
                and time.time() - status.stop_requested > grace_s):
            _kill(status.pid)
            return _write_locked(Path(job_dir), {"state": "stopped", "ended": time.time(),
                                                 "error": f"did not stop within {grace_s:g} s; killed"})
        return status


_owner: contextvars.ContextVar[str | None] = contextvars.ContextVar("namuweb_job_owner", default=None)
ALL_KINDS = "all-kinds"  # the lock a demo's cap on jobs of every kind together is checked under
# Where each kind keeps its job folders under the data directory (runs, skip-gram, tagging, imports).
JOB_FOLDERS = ("runs/*", "embeddings/*", "jobs/*/*")


@contextlib.contextmanager
def started_by(owner: str | None) -> Iterator[None]:
    """Jobs started in this block (this thread) belong to ``owner``, a browser session's id.

    The app wraps each page run in it, so the tool modules need not pass a session around."""
    token = _owner.set(owner)
    try:
        yield
    finally:
        _owner.reset(token)


def active_everywhere(home: Path | None = None) -> list[tuple[Path, JobStatus]]:
    """Every active job of every kind in the data directory (watched: dead workers do not count, a stop past its grace is enforced)."""
    home = Path(home) if home is not None else config.data_home()
    found = []
    for pattern in JOB_FOLDERS:
        for status_file in sorted(home.glob(f"{pattern}/{STATUS_FILE}")):
            if status_file.parent.is_symlink():
                continue
            status = enforce_stop(status_file.parent)
            if status is not None and status.active:
                found.append((status_file.parent, status))
    return found


def _check_demo_capacity(demo: config.DemoSettings, owner: str | None) -> None:
    """A public demo's two cores: a cap on jobs of every kind together, and on one visitor's."""
    active = active_everywhere()
    if len(active) >= demo.max_jobs:
        raise JobBusy(f"this demo runs at most {demo.max_jobs} background job{'s' if demo.max_jobs > 1 else ''} "
                      f"at once and {len(active)} {'are' if len(active) > 1 else 'is'} running now; "
                      "try again when one has ended")
    mine = [status.kind for _, status in active if owner is not None and status.owner == owner]
    if len(mine) >= demo.max_jobs_per_session:
        raise JobBusy(f"this demo runs {demo.max_jobs_per_session} background job{'s' if demo.max_jobs_per_session > 1 else ''} "
                      f"per visitor at a time, and yours ({', '.join(mine)}) is still running; "
                      "stop it or wait for it to end")


def _lock_path(kind: str) -> Path:
    if not _KIND.fullmatch(kind):
        raise ValueError(f"job kind must be lowercase letters, digits, - or _, got {kind!r}")
    directory = config.data_home() / "jobs"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{kind}.lock"


def _command(argv: list[str]) -> list[str]:
    """``python -m namuweb ARGV``, or ``python ARGV`` when ARGV names a module (``-m pkg.mod ...``)."""
    argv = [str(a) for a in argv]
    if argv and argv[0].startswith("-m"):
        return [sys.executable, *argv]
    return [sys.executable, "-m", "namuweb", *argv]


def start(job_dir, kind: str, argv: list[str], *, peers: Iterable[Path] = (), max_active: int = 1,
          env: dict | None = None) -> JobStatus:
    """Spawn the worker ``python -m namuweb ARGV`` for a job and return its "queued" status.

    ``peers`` are the other job directories of this kind; with them and
    ``job_dir`` at most ``max_active`` jobs may be active, else :class:`JobBusy`.
    The check and the spawn happen under a per-kind lock file, so two clicks,
    tabs or servers racing to start a job spawn exactly one.  ARGV may instead
    name a module as ``["-m", "pkg.mod", ...]`` (used by the tests' ``sleep``
    worker).  The worker switches the state to "running" itself.
    """
    job_dir = Path(job_dir).resolve()
    command = _command(argv)
    demo, owner = config.demo_settings(), _owner.get()
    with _flock(_lock_path(kind)), (_flock(_lock_path(ALL_KINDS)) if demo else contextlib.nullcontext()):
        dirs = {job_dir, *(Path(p).resolve() for p in peers)}
        active = []
        for directory in sorted(dirs):
            status = enforce_stop(directory)
            if status is not None and status.active and (status.kind == kind or directory == job_dir):
                active.append(directory)
        if job_dir in active:
            raise JobBusy(f"this {kind} job is already {read_status(job_dir).state}: {job_dir}")
        if len(active) >= max_active:
            raise JobBusy(f"another {kind} job is active ({', '.join(map(str, active))}); "
                          "stop it or wait for it to end")
        if demo:
            _check_demo_capacity(demo, owner)

        write_status(job_dir, state="queued", kind=kind, created=time.time(), pid=None, pid_start=None,
                     started=None, updated=None, ended=None, stop_requested=None, error=None, progress={},
                     owner=owner)
        (job_dir / STOP_FILE).unlink(missing_ok=True)
        with open(job_dir / LOG_FILE, "ab") as log:
            stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
            log.write(f"--- {stamp} start: {shlex.join(command)}\n".encode())
            log.flush()
            try:
                child = subprocess.Popen(
                    command, cwd=config.PROJECT_ROOT, start_new_session=True, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
                )
            except OSError as error:
                write_status(job_dir, state="failed", ended=time.time(), error=f"could not start the worker: {error}")
                raise JobError(f"could not start the {kind} worker: {error}") from None
        with _children_lock:
            _children[child.pid] = child
        # Only PID fields: the worker may already have written "running".
        return write_status(job_dir, pid=child.pid, pid_start=_pid_start(child.pid))


def request_stop(job_dir) -> JobStatus:
    """Ask the worker to stop at its next check; repeating it keeps the first request time.

    A file, not a signal: it works whoever started the worker, and a queued
    worker sees it as soon as it starts.  :func:`enforce_stop` kills a worker
    that ignores it for longer than the grace period.
    """
    job_dir = Path(job_dir)
    if read_status(job_dir) is None:
        raise JobError(f"there is no job in {job_dir}")
    with _flock(job_dir):
        (job_dir / STOP_FILE).touch()
        status = read_status(job_dir)
        if status is None:
            raise JobError(f"there is no job in {job_dir}")
        if status.state in ("queued", "running"):
            status = _write_locked(job_dir, {"state": "stopping", "stop_requested": time.time()})
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


# --- the worker's side -------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= _MAX_ERROR_CHARS else line[: _MAX_ERROR_CHARS - 1] + "…"


class Worker:
    """Used INSIDE the worker process (the ``python -m namuweb ...`` command) as a context manager.

    It reports "running", heartbeats and the final state, and turns SIGTERM,
    SIGINT and the stop file into :attr:`stop_requested`, which the work loop
    polls so it can save a checkpoint and leave cleanly.  It also works for a
    CLI run that no :func:`start` prepared: it then writes the status itself.
    """

    def __init__(self, job_dir, kind: str):
        self.job_dir = Path(job_dir)
        self.kind = kind
        self.progress: dict = {}
        self._signalled = False
        self._stop_seen = False
        self._stop_checked = float("-inf")
        self._last_write = float("-inf")
        self._old_handlers: dict = {}
        self._deadline: float | None = None  # demo mode: when the job has had its time
        self._timed_out = False

    def __enter__(self) -> Worker:
        demo = config.demo_settings()
        self._limit = demo.max_job_seconds
        self._deadline = time.monotonic() + self._limit if demo else None
        self.job_dir.mkdir(parents=True, exist_ok=True)
        now, pid = time.time(), os.getpid()
        with _flock(self.job_dir):
            current = read_status(self.job_dir)
            changes = {"kind": self.kind, "pid": pid, "pid_start": _pid_start(pid), "started": now,
                       "updated": now, "ended": None, "error": None, "progress": {}}
            if current is not None and current.active and current.pid not in (None, pid) \
                    and process_alive(current.pid, current.pid_start):
                raise JobBusy(f"another worker (PID {current.pid}) is {current.state} in {self.job_dir}")
            if current is not None and current.state in ("queued", "stopping"):
                # Prepared by start(): a stop requested while queued stays requested.
                changes["state"] = current.state if current.state == "stopping" else "running"
            else:  # a standalone run, or a stale directory: begin afresh
                (self.job_dir / STOP_FILE).unlink(missing_ok=True)
                changes.update(state="running", created=now, stop_requested=None)
            _write_locked(self.job_dir, changes)
        self._last_write = time.monotonic()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._old_handlers[signum] = signal.signal(signum, self._on_signal)
        return self

    def _on_signal(self, signum, frame) -> None:
        self._signalled = True

    @property
    def stop_requested(self) -> bool:
        """A stop signal arrived, the stop file exists (looked for at most every 0.5 s), or, in
        demo mode, the job has run for the demo's time limit."""
        if self._signalled or self._stop_seen or self._timed_out:
            return True
        now = time.monotonic()
        if self._deadline is not None and now >= self._deadline:
            self._timed_out = True
            return True
        if now - self._stop_checked >= _STOP_CHECK_S:
            self._stop_checked = now
            self._stop_seen = (self.job_dir / STOP_FILE).exists()
        return self._stop_seen

    def heartbeat(self, force: bool = False, **progress) -> None:
        """Merge ``progress`` and show the job is alive; on disk at most once a second unless ``force``."""
        self.progress.update(progress)
        now = time.monotonic()
        if force or now - self._last_write >= _HEARTBEAT_S:
            write_status(self.job_dir, updated=time.time(), progress=self.progress)
            self._last_write = now

    def __exit__(self, exc_type, exc, tb) -> bool:
        for signum, handler in self._old_handlers.items():
            signal.signal(signum, handler)
        self._old_handlers.clear()
        # What the work loop saw, or a stop file it had no time to see; not the clock (a job
        # that finished just at the demo's time limit finished).
        stop = self._signalled or self._stop_seen or self._timed_out or (self.job_dir / STOP_FILE).exists()
        swallow = False
        error = None
        if exc is None:
            state = "stopped" if stop else "finished"
            if stop and self._timed_out:
                error = f"stopped at this demo's limit of {self._limit:g} s per job"
        elif isinstance(exc, KeyboardInterrupt):
            state, swallow = "stopped", stop
        elif isinstance(exc, SystemExit) and exc.code in (0, None):
            state = "stopped" if stop else "finished"
        else:
            state, error = "failed", _one_line(exc)
            traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
            sys.stderr.flush()
        now = time.time()
        write_status(self.job_dir, state=state, error=error, ended=now, updated=now, progress=self.progress)
        return swallow


# --- a worker for the tests ----------------------------------------------------


def _sleep_command(argv: list[str] | None = None) -> int:
    """``python -m namuweb.jobs sleep JOB_DIR --seconds S [--fail] [--ignore-stop]``.

    A stand-in job so the tests exercise the real subprocess path; not part
    of the app's CLI.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m namuweb.jobs")
    commands = parser.add_subparsers(dest="command", required=True)
    sleep = commands.add_parser("sleep", help="heartbeat every 0.1 s for S seconds")
    sleep.add_argument("job_dir")
    sleep.add_argument("--seconds", type=float, default=1.0)
    sleep.add_argument("--kind", default="sleep")
    sleep.add_argument("--fail", action="store_true", help='raise RuntimeError("boom") at the end')
    sleep.add_argument("--ignore-stop", action="store_true", help="never look at stop requests")
    args = parser.parse_args(argv)

    try:
        with Worker(args.job_dir, args.kind) as worker:
            total = max(1, round(args.seconds / 0.1))
            print(f"sleeping {args.seconds:g} s", flush=True)
            for step in range(1, total + 1):
                if not args.ignore_stop and worker.stop_requested:
                    print("stop requested", flush=True)
                    break
                time.sleep(0.1)
                worker.heartbeat(step=step, total=total)
            if args.fail:
                raise RuntimeError("boom")
    except Exception:
        return 1  # the Worker has logged the traceback and written "failed"
    return 0


if __name__ == "__main__":
    sys.exit(_sleep_command())
