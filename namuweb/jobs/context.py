"""The worker's side of the job protocol: what a domain function is handed while it runs as a job.

A :class:`JobContext` is the one seam between long work and the app (as minGPT's trainer has its
callbacks): the work asks :attr:`~JobContext.stop_requested` between steps and tells
:meth:`~JobContext.report` where it is; the context turns that into heartbeats, a status file, a
progress line and a final state.  The same function runs in the app's worker process and in the
foreground of the command line (:func:`run_here`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

from namuweb import config, storage
from namuweb.jobs import leftovers, state
from namuweb.jobs.progress import Progress
from namuweb.jobs.kind import JobKind
from namuweb.jobs.state import STOP_FILE, JobBusy, JobError, JobIncomplete

_MAX_ERROR_CHARS = 500
_STOP_CHECK_S = 0.5
_HEARTBEAT_S = 1.0


def one_line(exc: BaseException) -> str:
    """A failure for the status file: a :class:`JobError`'s own words, else ``Type: message``."""
    text = " ".join(str(exc).split())
    line = text if isinstance(exc, JobError) and text else f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= _MAX_ERROR_CHARS else line[: _MAX_ERROR_CHARS - 1] + "…"


class ProgressPrinter:
    """Progress on a stream: redrawn in place on a terminal, else one line per tenth of the work (or
    per minute when the total is unknown), so a job's log stays readable."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last_tenth, self.last_time = -1, float("-inf")

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if self.tty:
            if now - self.last_time >= 0.2 or progress.fraction >= 1:
                self.last_time = now
                print("\r" + progress.line(), end="", file=self.stream, flush=True)
            return
        tenth = int(10 * progress.fraction) if progress.total else -1
        if tenth != self.last_tenth or (not progress.total and now - self.last_time >= 60):
            self.last_tenth, self.last_time = tenth, now
            print(progress.line(), file=self.stream, flush=True)

    def close(self) -> None:
        if self.tty and self.last_time > float("-inf"):
            print(file=self.stream, flush=True)


class JobContext:
    """Used INSIDE the process doing the work, as a context manager around it.

    It reports "running", heartbeats and the final state, and turns SIGTERM, SIGINT and the stop
    file into :attr:`stop_requested`, which the work loop polls so it can save and leave cleanly.
    ``started`` is when the job's process started (a time budget counts from there); ``show``
    receives every report (a progress line); ``partial`` (globs in the folder) is removed when the
    work fails, before the status says so.  It also works for a run no :func:`~namuweb.jobs.start`
    prepared: it then writes the status itself.
    """

    def __init__(self, job_dir, kind: str, *, started: float | None = None,
                 show: Callable[[Progress], None] | None = None, partial: tuple[str, ...] = ()):
        self.job_dir = Path(job_dir)
        self.kind = kind
        self.started = time.monotonic() if started is None else started
        self.show = show
        self.partial = partial
        self.progress = Progress()
        self._first: tuple[float, float] | None = None  # (time, done) of the first report: the rate's base
        self._signalled = False
        self._stop_seen = False
        self._stop_checked = float("-inf")
        self._last_write = float("-inf")
        self._old_handlers: dict = {}
        self._deadline: float | None = None  # demo mode: when the job has had its time
        self._timed_out = False

    def __enter__(self) -> JobContext:
        demo = config.demo_settings()
        self._limit = demo.max_job_seconds
        self._deadline = time.monotonic() + self._limit if demo else None
        storage.make_private_dirs(self.job_dir)
        now, pid = time.time(), os.getpid()
        with state.flock(self.job_dir):
            current = state.read_status(self.job_dir)
            changes = {"kind": self.kind, "pid": pid, "pid_start": state.pid_start(pid), "started": now,
                       "updated": now, "ended": None, "error": None, "progress": Progress()}
            if current is not None and current.active and current.pid not in (None, pid) \
                    and state.process_alive(current.pid, current.pid_start):
                raise JobBusy(f"another worker (PID {current.pid}) is {current.state} in {self.job_dir}")
            if current is not None and current.state in ("queued", "stopping"):
                # Prepared by start(): a stop requested while queued stays requested.
                changes["state"] = current.state if current.state == "stopping" else "running"
            else:  # a standalone run, or a stale directory: begin afresh
                (self.job_dir / STOP_FILE).unlink(missing_ok=True)
                changes.update(state="running", created=now, stop_requested=None)
            state.write_locked(self.job_dir, changes)
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

    def report(self, done: float, total: float | None = None, unit: str = "", message: str = "", *,
               force: bool = False, **extra) -> Progress:
        """Where the work is, in ``unit``: the rate is the mean since the first report (so start-up
        does not count) and the ETA follows from it."""
        now = time.monotonic()
        if self._first is None or done < self._first[1] or unit != self.progress.unit:
            self._first = (now, done)
        elapsed = now - self._first[0]
        rate = (done - self._first[1]) / elapsed if elapsed > 0 and done > self._first[1] else None
        eta_s = max(total - done, 0) / rate if rate and total else None
        return self.publish(Progress(done=done, total=total, unit=unit, rate=rate, eta_s=eta_s, message=message,
                                     extra=extra), force=force)

    def publish(self, progress: Progress, *, force: bool = False) -> Progress:
        """Report a record the work has made itself (a training run knows its ETA better: a time
        budget); on disk at most once a second unless ``force``.  ``extra`` figures accumulate."""
        progress.extra = {**self.progress.extra, **progress.extra}
        self.progress = progress
        if self.show:
            self.show(progress)
        now = time.monotonic()
        if force or now - self._last_write >= _HEARTBEAT_S:
            state.write_status(self.job_dir, updated=time.time(), progress=progress)
            self._last_write = now
        return progress

    def record(self, **result) -> None:
        """What the work made (a corpus's id, a report), into the job's status at once, key by key: the
        pages read it there (``kind.result``), and a resumed job finds it (a build's tagged corpus)."""
        state.record_result(self.job_dir, **result)

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
            state_ = "stopped" if stop else "finished"
            if stop and self._timed_out:
                error = f"stopped at this demo's limit of {self._limit:g} s per job"
        elif isinstance(exc, JobIncomplete):
            state_, error = "stopped", one_line(exc)
        elif isinstance(exc, KeyboardInterrupt):
            state_, swallow = "stopped", stop
        elif isinstance(exc, SystemExit) and exc.code in (0, None):
            state_ = "stopped" if stop else "finished"
        else:
            state_, error = "failed", one_line(exc)
            if not isinstance(exc, JobError):  # a user's problem needs no traceback, a bug does
                traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
            sys.stderr.flush()
            try:  # while the status still says "running", so no Resume can start before the clean-up ends
                leftovers.discard_partial(self.job_dir, self.partial)
            except OSError as problem:
                print(f"could not remove the failed job's partial outputs: {problem}", file=sys.stderr, flush=True)
        now = time.time()
        state.write_status(self.job_dir, state=state_, error=error, ended=now, updated=now, progress=self.progress)
        return swallow


def run_here(kind: JobKind, job_dir: Path, *, started: float | None = None,
             show: Callable[[Progress], None] | None = None) -> str:
    """Run a job in this process (the worker's, or the command line's foreground) and return its
    summary line."""
    with JobContext(job_dir, kind.name, started=started, show=show, partial=kind.partial) as job:
        return kind.run(Path(job_dir), job)
