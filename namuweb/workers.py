"""Helper processes that answer the server's questions, so CPU work never holds the server's interpreter.

Streamlit runs every visitor's page in a thread of one Python process: while one page computes in
Python (sampling a model, tracing it), every other visitor's page waits for the interpreter.  Work
that takes more than a moment therefore goes to a pool of long-lived worker processes, niced below
the server; the page's thread only waits on a pipe, which lets the other pages run.  A worker keeps
what it loaded (a model's weights) between questions, so asking again costs no start and no load.

The protocol, both sides of which live here: the server writes a JSON header line, then
``header["bytes"]`` raw bytes (often none); the worker answers JSON lines, ``{"progress": …}`` any
number of times, then exactly one final answer (``{"error": …}`` when the work raised).  Anything a
library prints in the worker goes to stderr, never into the answers.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Callable

from namuweb import helper_processes
from namuweb.jobs.kinds import current_owner


class WorkerFailed(RuntimeError):
    """The worker timed out or died; it has been replaced.  One line for the visitor."""


class WorkerTimedOut(WorkerFailed):
    """The worker overstayed the question's time limit and was stopped."""


# --- the worker's side ---------------------------------------------------------------------------

def serve(handle: Callable[[dict, bytes, Callable[[Any], None]], dict], nice: int = 0) -> int:
    """Answer requests on stdin until it closes: ``handle(header, data, progress)`` returns the final
    answer and may call ``progress(value)`` on the way; an exception becomes ``{"error": one line}``."""
    if nice:
        os.nice(nice)
    requests = sys.stdin.buffer
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what libraries print stays out of the answers
    threading.Thread(target=helper_processes.exit_with_parent, args=(os.getppid(),), daemon=True).start()

    def tell(message: dict) -> None:
        answers.write(json.dumps(message, ensure_ascii=False).encode() + b"\n")
        answers.flush()

    for line in iter(requests.readline, b""):
        header = json.loads(line)
        data = requests.read(header.get("bytes", 0))
        try:
            answer = handle(header, data, lambda value: tell({"progress": value}))
        except Exception as problem:  # noqa: BLE001 -- told to the server, which shows it
            answer = {"error": f"{type(problem).__name__}: {problem}"[:400], "kind": type(problem).__name__}
        tell(answer)
    return 0


# --- the server's side ---------------------------------------------------------------------------

class _Process:
    """One worker process and the thread that reads its answers into a queue (None when it ends)."""

    def __init__(self, module: str, env: dict):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, env={**os.environ, **env})
        self.answers: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, name=f"{module}-answers", daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.proc.stdout:
                self.answers.put(json.loads(line))
        except (OSError, ValueError):
            pass
        self.answers.put(None)

    def ask(self, header: dict, data: bytes, progress: Callable[[Any], None] | None, deadline: float) -> dict:
        try:
            self.proc.stdin.write(json.dumps(dict(header, bytes=len(data))).encode() + b"\n" + data)
            self.proc.stdin.flush()
        except OSError:
            raise WorkerFailed("the worker process ended; try again") from None
        while True:
            try:
                answer = self.answers.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError from None
            if answer is None:
                raise WorkerFailed("the worker process ended; try again")
            if "progress" not in answer:
                return answer
            if progress is not None:
                progress(answer["progress"])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        helper_processes.stop(self.proc, self.log)


class Pool:
    """At most ``size`` worker processes running ``python -m module``, started on first use and kept.

    A question waits for a free worker (without the interpreter: a semaphore), then for its answer
    up to ``time_limit_s``; a worker that overstays is killed and the next question starts a fresh
    one, so one visitor's runaway question costs one worker, never the server.  One visitor (the
    page's :func:`namuweb.jobs.current_owner`: a browser, with all its tabs) has at most
    ``per_visitor`` questions with the workers at once; the rest of theirs wait their turn, so
    eight tabs of one browser cannot take every worker from everyone else."""

    def __init__(self, module: str, size: int, env: dict | None = None, per_visitor: int = 1):
        self.module, self.size, self.env, self.per_visitor = module, size, dict(env or {}), per_visitor
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[_Process] = []
        self._visitors: dict[str, list] = {}  # visitor -> [its semaphore, questions holding or awaiting it]

    def ask(self, header: dict, data: bytes = b"", *, time_limit_s: float,
            progress: Callable[[Any], None] | None = None, what: str = "the work") -> dict:
        """The worker's final answer to ``header`` (+ ``data``); ``progress`` hears its progress lines
        on the calling thread.  :class:`WorkerFailed` on a time-out or a dead worker."""
        with self._visitor_turn(current_owner()), self._slots:
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            if worker is None or not worker.alive():
                if worker is not None:
                    worker.stop()
                worker = _Process(self.module, self.env)
            healthy = False
            try:
                answer = worker.ask(header, data, progress, time.monotonic() + time_limit_s)
                healthy = True
            except TimeoutError:
                raise WorkerTimedOut(f"{what} took longer than {time_limit_s:g} s and was stopped") from None
            finally:
                if healthy:
                    with self._lock:
                        self._idle.append(worker)
                else:
                    worker.stop()
        return answer

    @contextlib.contextmanager
    def _visitor_turn(self, visitor: str | None):
        if visitor is None:  # not asked for a page (the command line, a test): only the pool's size bounds it
            yield
            return
        with self._lock:
            entry = self._visitors.setdefault(visitor, [threading.BoundedSemaphore(self.per_visitor), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._lock:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._visitors[visitor]

    def pids(self) -> list[int]:
        """The idle workers' process ids (a look from outside, for tests)."""
        with self._lock:
            return [w.proc.pid for w in self._idle]

    def stop(self) -> None:
        """End the idle workers; the next question starts a fresh one."""
        with self._lock:
            while self._idle:
                self._idle.pop().stop()
