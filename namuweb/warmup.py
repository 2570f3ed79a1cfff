"""Warm, in the background, what a fresh server's first visitor would otherwise wait for.

A fresh server has no JVM, no Okt, no Kiwi model, no built-in corpus on disk and no TensorFlow
report, and the first visitor used to pay for all of them before seeing a page. :func:`start`
begins them in one daemon thread as soon as the server process starts (``serve.py``), in the
order visitors need them; the taggers and TensorFlow start in processes of their own. Pages never wait for the warm-up: :func:`state` tells them whether a
step is still running so they can say so with a spinner, and each step is idempotent and uses
the same locks as the pages, so a page that needs one early simply does the work itself.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Step:
    name: str
    label: str  # what a page says while it runs
    work: Callable[[], object]
    state: str = "waiting"  # waiting | running | done | failed
    result: object = None
    error: str | None = None
    seconds: float | None = None
    finished: threading.Event = field(default_factory=threading.Event)


def _okt() -> None:
    from namuweb.morphemes import analyzer_processes
    analyzer_processes.warm("okt")  # a worker process: Java starts there, and the server's threads keep running


def _kiwi() -> None:
    from namuweb.morphemes import analyzer_processes
    analyzer_processes.warm("kiwi", nice=10)  # in a process: Kiwi holds the GIL while it loads; niced: pages come first


def _builtin_corpus() -> None:
    from namuweb.corpora import corpus
    corpus.ensure_builtin()


def _tensorflow():
    from namuweb import machine
    return machine.tensorflow_status(nice=10)


def _maps() -> None:
    from namuweb.embeddings import projections
    projections.warm_up()  # in the maps' worker process (niced): UMAP compiles its kernels once, there


def _steps() -> dict[str, Step]:
    # The Tagger's default engine first (a deep link to it is the slowest first visit), then the corpus
    # every other page lists, then the rest.
    steps = [Step("okt", "Starting Java and the Okt tagger", _okt),
             Step("corpus", "Preparing the built-in corpus", _builtin_corpus),
             Step("kiwi", "Loading Kiwi's model", _kiwi),
             Step("tensorflow", "Checking TensorFlow and GPUs", _tensorflow),
             Step("maps", "Preparing t-SNE and UMAP maps", _maps)]
    return {step.name: step for step in steps}


LATER = frozenset({"kiwi", "tensorflow"})


_lock = threading.Lock()
_steps_by_name: dict[str, Step] = _steps()
_thread: threading.Thread | None = None
started_at: float | None = None


_first_page = threading.Event()
FIRST_PAGE_WAIT_S = 20.0  # the rest of the warm-up waits this long at most for the first page to be served


def page_served() -> None:
    """Called after every page run; the first lets the rest of the warm-up go on."""
    _first_page.set()


def _run_all() -> None:
    # Okt and the corpus first (a first visitor is likely to need them); the rest only once the
    # first page is out, so that page never shares the two cores with Kiwi's or TensorFlow's start.
    for step in _steps_by_name.values():
        if step.name in LATER:
            _first_page.wait(FIRST_PAGE_WAIT_S)
        run_step(step.name)


def run_step(name: str) -> Step:
    """Run one step now in this thread unless it ran or is running (then wait for it)."""
    step = _steps_by_name[name]
    with _lock:
        mine = step.state == "waiting"
        if mine:
            step.state = "running"
    if not mine:
        step.finished.wait()
        return step
    started = time.perf_counter()
    try:
        step.result = step.work()
        step.state = "done"
    except Exception as error:  # noqa: BLE001 -- a page that needs the step reports its own error
        step.error = f"{type(error).__name__}: {error}"
        step.state = "failed"
    finally:
        step.seconds = time.perf_counter() - started
        step.finished.set()
    if started_at is not None:  # the server's log says what the warm-up did and when
        print(f"namuweb warm-up: {step.name} {step.state} after {time.perf_counter() - started_at:.1f} s"
              + (f" ({step.error})" if step.error else ""), flush=True)
    return step


# What the pages import (pandas and Altair take most of it): loaded by a server before its port opens,
# in the seconds it waits for Okt anyway, so no first visit pays for Python imports.
PAGE_MODULES = ("pandas", "altair", "jpype", "namuweb.language_model.settings", "namuweb.charts", "namuweb.corpora.corpus",
                "namuweb.embeddings.embedding_library", "namuweb.language_model.generate", "namuweb.text.hangul", "namuweb.corpora.uploads",
                "namuweb.jobs", "namuweb.morphemes.analyzers", "namuweb.language_model.runs", "namuweb.language_model.estimate", "namuweb.language_model.training", "namuweb.machine", "namuweb.morphemes.analyzer_processes",
                "namuweb.morphemes.corpus_tagging", "namuweb.morphemes.tag_display", "namuweb.registry", "namuweb.text.vocab", "namuweb.text.vocab_report")


def import_page_modules() -> None:
    import importlib
    for name in PAGE_MODULES:
        importlib.import_module(name)


def start() -> None:
    """Begin the warm-up once per process, in a daemon thread; returns at once."""
    global _thread, started_at
    with _lock:
        if _thread is not None:
            return
        started_at = time.perf_counter()
        _thread = threading.Thread(target=_run_all, name="namuweb-warmup", daemon=True)
    _thread.start()


def state(name: str) -> Step:
    """The step's record (``state`` is waiting, running, done or failed); never blocks."""
    return _steps_by_name[name]


def started() -> bool:
    """Whether this process runs the warm-up (a server does; a test or the CLI does not)."""
    return _thread is not None


def wait(name: str, timeout: float) -> bool:
    """Wait at most ``timeout`` seconds for the warm-up to finish step ``name``; whether it has."""
    return _steps_by_name[name].finished.wait(timeout)


def available(name: str):
    """The step's result when it is done; computed here and now when this process runs no warm-up;
    None while the warm-up is still on its way to it (a page then says so instead of waiting)."""
    step = _steps_by_name[name]
    if not started():
        return run_step(name).result
    return step.result if step.finished.is_set() else None
