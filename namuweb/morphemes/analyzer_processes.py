"""Tagging for the pages: each engine runs in worker processes, and every request has a time limit.

A visitor controls the text, and some engines hang or exhaust their heap on ordinary-looking
input (Kkma is superlinear on repeated syllables). In the server process one such call used to
hold an engine, or the whole server, for every visitor. Here each engine lives in its own
worker processes (``namuweb.morphemes.analyzer_worker``), up to :data:`WORKERS_PER_ENGINE` at a time; a
request past its limit gets its worker killed, the next request starts a fresh one, and the
visitor is told which engine gave up and why. Other engines and other visitors never wait for it.

Jobs (tagging a whole corpus) call :mod:`namuweb.morphemes.analyzers` directly: they are processes already.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace

from namuweb import helper_processes
from namuweb.morphemes import analyzers
from namuweb.morphemes.analyzers import EngineUnavailable

WORKERS_PER_ENGINE = 2
START_TIMEOUT_S = 120.0  # a cold JVM engine loading its dictionaries on a loaded machine
JVM_HEAP_MB = 512  # each JVM worker's heap: a runaway input ends in OutOfMemoryError, not the machine's RAM
# The other workers' data (Kiwi's model is most of it): past it an allocation fails and the worker is restarted.
NATIVE_DATA_MB = 3072
RETRY_AFTER_S = 60.0  # an engine that could not start is reported unavailable this long, then tried again


TIMEOUT_ENV = "NAMUWEB_TAGGER_TIMEOUT_S"


def time_limit(engine: str) -> float:
    """Seconds one request may take (``NAMUWEB_TAGGER_TIMEOUT_S``, default 10)."""
    return float(os.environ.get(TIMEOUT_ENV, "10"))


def page_chunk_chars() -> int:
    """Text longer than this is tagged in chunks, with a progress bar (``NAMUWEB_TAGGER_CHUNK_CHARS``, 5000)."""
    return int(os.environ.get("NAMUWEB_TAGGER_CHUNK_CHARS", "5000"))


def page_max_chars() -> int:
    """The longest text a page tags in one request; longer text is a corpus job
    (``NAMUWEB_TAGGER_MAX_CHARS``, 20000), so a pasted book never stalls the page."""
    return int(os.environ.get("NAMUWEB_TAGGER_MAX_CHARS", "20000"))


class EngineGaveUp(EngineUnavailable):
    """The engine did not answer this input in time, or crashed on it; it has been restarted."""


class _Died(Exception):
    pass


class _Worker:
    """One ``python -m namuweb.morphemes.analyzer_worker ENGINE`` process and the thread that reads its answers."""

    def __init__(self, engine: str, nice: int = 0):
        self.engine = engine
        env = dict(os.environ, NAMUWEB_JVM_HEAP_MB=str(JVM_HEAP_MB), NAMUWEB_WORKER_DATA_MB=str(NATIVE_DATA_MB),
                   PYTHONUNBUFFERED="1")
        # One garbage-collector thread: an engine that runs away on a visitor's text (Kkma near its heap
        # limit) then leaves the other core to the pages while its time limit runs; tagging is as fast.
        env["JAVA_TOOL_OPTIONS"] = f"{os.environ.get('JAVA_TOOL_OPTIONS', '')} -XX:+UseSerialGC".strip()
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "namuweb.morphemes.analyzer_worker", engine, str(nice)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env)
        self.answers: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, name=f"namuweb-{engine}-answers", daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                self.answers.put(json.loads(line))
            except ValueError:
                continue
        self.answers.put(None)  # the process has ended

    def answer(self, timeout: float) -> dict:
        try:
            message = self.answers.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            raise TimeoutError from None
        if message is None:
            raise _Died(self.last_words())
        return message

    def ask(self, request: dict, timeout: float) -> dict:
        try:
            self.proc.stdin.write((json.dumps(request, ensure_ascii=False) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise _Died(self.last_words()) from None
        return self.answer(timeout)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def last_words(self) -> str:
        """The last line the worker wrote to stderr (a Java exception, a kill), for the message."""
        try:
            self.proc.wait(timeout=2)
            self.log.seek(0)
            lines = [line for line in self.log.read().decode("utf-8", "replace").splitlines() if line.strip()]
        except (OSError, subprocess.TimeoutExpired):
            lines = []
        code = self.proc.returncode
        how = f"exit code {code}" if code is None or code >= 0 else f"signal {-code}"
        return f"{lines[-1].strip()[:200]} ({how})" if lines else how

    def kill(self) -> None:
        helper_processes.stop(self.proc, self.log)


_cond = threading.Condition()
_idle: dict[str, list[_Worker]] = {name: [] for name in analyzers.ENGINES}
_count: dict[str, int] = {name: 0 for name in analyzers.ENGINES}
_starting: dict[str, int] = {name: 0 for name in analyzers.ENGINES}
_failures: dict[str, tuple[str, float]] = {}  # engines whose worker could not start: (reason, when)


def _start_worker(engine: str, nice: int = 0) -> _Worker:
    worker = _Worker(engine, nice)
    try:
        message = worker.answer(START_TIMEOUT_S)
    except TimeoutError:
        worker.kill()
        raise EngineGaveUp(f"{analyzers.LABELS[engine]} did not start within {START_TIMEOUT_S:.0f} s") from None
    except _Died as died:
        worker.kill()
        message = {"error": f"{analyzers.LABELS[engine]} could not start: {died}"}
    if "error" in message:
        worker.kill()
        _failures[engine] = (message["error"], time.monotonic())
        raise EngineUnavailable(message["error"])
    return worker


def _failure(engine: str) -> str | None:
    """Why ``engine`` could not start here, if it failed within :data:`RETRY_AFTER_S` (then it is tried again)."""
    failed = _failures.get(engine)
    if failed is None or time.monotonic() - failed[1] > RETRY_AFTER_S:
        return None
    return failed[0]


def _acquire(engine: str, deadline: float, nice: int = 0) -> _Worker:
    with _cond:
        while True:
            while _idle[engine]:
                worker = _idle[engine].pop()
                if worker.alive():
                    return worker
                _count[engine] -= 1
                worker.kill()
            # One start at a time per engine: a request that comes while a worker is starting (the
            # warm-up's, say) waits for it instead of starting a second JVM that slows both down.
            if _count[engine] < WORKERS_PER_ENGINE and not _starting[engine]:
                _count[engine] += 1
                _starting[engine] += 1
                break
            if not _cond.wait(timeout=max(deadline - time.monotonic(), 0.0)) and time.monotonic() >= deadline:
                raise EngineGaveUp(f"{analyzers.LABELS[engine]} is busy with other visitors' text; try again in a moment")
    try:
        return _start_worker(engine, nice)
    except BaseException:
        with _cond:
            _count[engine] -= 1
            _cond.notify_all()
        raise
    finally:
        with _cond:
            _starting[engine] -= 1


def _release(worker: _Worker, healthy: bool) -> None:
    with _cond:
        if healthy and worker.alive():
            _idle[worker.engine].append(worker)
        else:
            _count[worker.engine] -= 1
        _cond.notify_all()
    if not healthy:
        worker.kill()


def pos(text: str, engine: str = "okt", *, norm: bool = False, stem: bool = False,
        timeout: float | None = None) -> list[tuple[str, str]]:
    """:func:`namuweb.morphemes.analyzers.pos` in a worker, within ``timeout`` seconds (the engine's limit by default).

    Raises :class:`EngineGaveUp` when the engine takes longer or crashes (its worker is replaced)
    and :class:`EngineUnavailable` when it cannot run here."""
    if engine not in analyzers.LABELS:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(analyzers.ENGINES)}")
    if reason := _failure(engine):
        raise EngineUnavailable(reason)
    if not text.strip():
        return []
    limit = time_limit(engine) if timeout is None else timeout
    label = analyzers.LABELS[engine]
    worker = _acquire(engine, time.monotonic() + START_TIMEOUT_S)
    try:
        answer = worker.ask({"text": text, "norm": norm, "stem": stem}, limit)
    except TimeoutError:
        _release(worker, healthy=False)
        raise EngineGaveUp(f"{label} gave up: no answer within {limit:.0f} s for this text of {len(text):,} "
                           "characters, so it was stopped and restarted. Try a shorter text or another "
                           "engine.") from None
    except _Died as died:
        _release(worker, healthy=False)
        raise EngineGaveUp(f"{label} crashed on this text ({died}); it has been restarted.") from None
    except BaseException:
        _release(worker, healthy=False)
        raise
    _release(worker, healthy=not answer.get("fatal"))
    if "error" in answer:
        restarted = " It has been restarted." if answer.get("fatal") else ""
        raise EngineGaveUp(f"{label} failed on this text: {answer['error']}.{restarted}")
    return [(form, tag) for form, tag in answer["tokens"]]


def pos_chunked(text: str, engine: str = "okt", *, chunk_chars: int = 2000, progress=None,
                **options) -> list[tuple[str, str]]:
    """:func:`pos` over chunks cut at line, sentence or word boundaries, each within the time limit."""
    return analyzers.pos_chunked(text, engine, chunk_chars=chunk_chars, progress=progress, tagger=pos, **options)


def timed(text: str, engine: str = "okt", *, chunk_chars: int | None = None, progress=None,
          **options) -> tuple[list[tuple[str, str]], float]:
    """The tags of ``text`` and the seconds they took: in one call, or in chunks of ``chunk_chars``
    when the text is longer (``progress(done, total)`` after each)."""
    started = time.perf_counter()
    if chunk_chars is not None and len(text) > chunk_chars:
        tokens = pos_chunked(text, engine, chunk_chars=chunk_chars, progress=progress, **options)
    else:
        tokens = pos(text, engine, **options)
    return tokens, time.perf_counter() - started


def waiting_line(engine: str) -> str:
    """What a visitor waits for while ``engine`` tags: its start, or only the tagging."""
    label = analyzers.LABELS[engine]
    return {"starting": f"{label} is still starting (the server has just started); then it tags…",
            "cold": f"Starting {label} (its first use on this server)…"}.get(state(engine), f"Tagging with {label}…")

def warm(engine: str, nice: int = 0) -> None:
    """Have one worker of ``engine`` started and idle; runs in the caller's thread (the warm-up's).

    ``nice``: a worker started ahead of need can yield the CPU to the pages it is not serving yet."""
    with _cond:
        if _idle[engine] or _count[engine]:
            return
    try:
        _release(_acquire(engine, time.monotonic() + START_TIMEOUT_S, nice), True)
    except EngineUnavailable:
        pass  # the page that asks for it says why


def start_in_background(engines) -> None:
    """Start a worker for each cold engine at once, each in a thread: Compare then waits for the
    slowest engine's start, not for the sum of them."""
    for engine in engines:
        if state(engine) == "cold" and not _failure(engine):
            threading.Thread(target=warm, args=(engine,), name=f"namuweb-start-{engine}", daemon=True).start()


def state(engine: str) -> str:
    """``ready`` (a worker is up), ``starting`` (one is on its way) or ``cold`` (none yet)."""
    with _cond:
        if _count[engine] > _starting[engine]:
            return "ready"
        return "starting" if _starting[engine] else "cold"


def engines() -> list[analyzers.EngineInfo]:
    """:func:`namuweb.morphemes.analyzers.engines` (file checks only), less the engines whose worker could not start."""
    return [replace(info, available=False, reason=reason) if (reason := _failure(info.name)) else info
            for info in analyzers.engines()]


def shutdown(engine: str | None = None) -> None:
    """Stop every worker, or every worker of ``engine`` (at exit; tests)."""
    names = list(_idle) if engine is None else [engine]
    with _cond:
        workers = [w for name in names for w in _idle[name]]
        for name in names:
            _idle[name].clear()
            _count[name] = 0
    for worker in workers:
        worker.kill()


atexit.register(shutdown)
