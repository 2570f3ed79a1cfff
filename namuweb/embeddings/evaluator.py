"""The Evaluate tab's file evaluations (word pairs, analogies), bounded: off the server's script thread,
with a time limit and progress, cached for every visitor, and capped in a public demo.

A visitor chooses the file, so one evaluation could once hold the server's interpreter for minutes.
Here it runs in a worker process (``namuweb.embeddings.evaluation_worker``), niced and on one BLAS
thread, up to :data:`WORKERS` at once; the page's thread only waits on it, so other visitors' pages
are served meanwhile.  Why worker processes and not a background job: a job is work that outlives a
visit and owns a folder (status, log, Stop, Resume, a line per kind); an evaluation is a question the
visitor waits for, answered in seconds, whose answer belongs to no folder.  A job per evaluation would
write a folder per click and take one of a demo's job slots.  Why not the maps' worker: a t-SNE holds
it for up to two minutes, and an evaluation needs none of its libraries.  The workers live as long as
the server and keep the last embeddings they loaded, so a question costs no process start or load.

Each evaluation runs in a thread of this module, not the visitor's: a visitor who clicks elsewhere
meanwhile (Streamlit then stops the page's run) leaves it to finish into the cache.  Results are
cached by what decides them: the file's digest, the embeddings' folder and file version, the cap and
the time limit; a second visitor asking the same, or the same one asking again, gets it at once, and
two asking at the same time share one evaluation.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from namuweb import config, workers
from namuweb.embeddings.evaluation import AnalogyScores, PairScores
from namuweb.embeddings.vectors import VECTORS_FILE

TIME_LIMIT_ENV = "NAMUWEB_EVALUATION_TIMEOUT_S"
DEFAULT_TIME_LIMIT_S = 60.0
DEMO_MAX_QUESTIONS_ENV = "NAMUWEB_DEMO_MAX_EVALUATION_QUESTIONS"
DEFAULT_DEMO_MAX_QUESTIONS = 20_000  # word2vec's own questions-words.txt (19,544 questions) fits whole
FILE_LIMIT_BYTES = 5 * 2**20  # evaluation files are small text files
WORKERS = 2
# Reading the file and loading the vectors come before the worker's own checks of the time limit:
# the server kills a worker this long after the limit, whatever it was doing.
OVERSTAY_S = 15.0
CACHE_ENTRIES = 32
CHART_PAIRS = 5_000  # pairs a scatter shows (and a worker sends back) at most
WHAT = {"pairs": "word-pair", "analogies": "analogy"}


class EvaluationError(ValueError):
    """An evaluation that gave no figures; one line for the visitor."""


class FileRefused(EvaluationError):
    """The file is not in the format asked for: the same file is refused again, so this is cached too."""


@dataclass(frozen=True)
class Evaluation:
    what: str  # "pairs" or "analogies"
    scores: PairScores | AnalogyScores
    seconds: float  # how long the worker took, the first time
    time_limit_s: float
    cached: bool  # this answer came from the cache, computed for an earlier request

    @property
    def stopped_by_time_limit(self) -> bool:
        return isinstance(self.scores, AnalogyScores) and self.scores.unscored > 0


def time_limit() -> float:
    """Seconds one evaluation may take (``NAMUWEB_EVALUATION_TIMEOUT_S``, default 60)."""
    return config.positive_number(TIME_LIMIT_ENV, DEFAULT_TIME_LIMIT_S)


def demo_max_questions() -> int | None:
    """In a public demo, the questions (or pairs) read from a file, its first ones; None outside one
    (``NAMUWEB_DEMO_MAX_EVALUATION_QUESTIONS``, default 20,000)."""
    if not config.demo_settings():
        return None
    return int(config._demo_number(DEMO_MAX_QUESTIONS_ENV, DEFAULT_DEMO_MAX_QUESTIONS, minimum=1, whole=True))



def file_bounds() -> str:
    """What an evaluation file may be and how long its evaluation may take, in one line for its uploader."""
    cap = demo_max_questions()
    return (f"UTF-8 text up to {FILE_LIMIT_BYTES // 2**20} MB, evaluated in the background for at most "
            f"{time_limit():g} s." + (f" This public demo reads the first {cap:,} questions or pairs of a file."
                                      if cap else ""))


def demo_bounds() -> str | None:
    """In a public demo, the line that says how much of a file an evaluation reads; None outside one."""
    cap = demo_max_questions()
    return (f"Public demo: an evaluation reads the first {cap:,} questions or pairs of a file and stops after "
            f"{time_limit():g} s.") if cap else None

# --- the workers ------------------------------------------------------------------------------

POOL = workers.Pool("namuweb.embeddings.evaluation_worker", size=WORKERS,
                    env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
_lock = threading.Lock()
_cache: OrderedDict[tuple, Evaluation | EvaluationError] = OrderedDict()
_flights: dict[tuple, "_Flight"] = {}


def stop_workers() -> None:
    """End the idle workers; the next evaluation starts a fresh one."""
    POOL.stop()


def worker_pids() -> list[int]:
    """The idle workers' process ids (a look from outside, for tests)."""
    return POOL.pids()


class _Flight:
    """One evaluation on its way: its progress, then its answer, for every request that waits on it."""

    def __init__(self, key: tuple, header: dict, data: bytes):
        self.key, self.header, self.data = key, header, data
        self.progress = (0, 0)
        self.answer: Evaluation | EvaluationError | None = None
        self.finished = threading.Event()
        threading.Thread(target=self._run, name="namuweb-evaluation", daemon=True).start()

    def _run(self) -> None:
        try:
            self.answer = self._evaluate()
        except Exception as problem:  # noqa: BLE001 -- every waiting page hears of it
            self.answer = EvaluationError(f"the evaluation failed: {type(problem).__name__}: {problem}"[:300])
        with _lock:
            if isinstance(self.answer, (Evaluation, FileRefused)):
                _cache[self.key] = self.answer
                while len(_cache) > CACHE_ENTRIES:
                    _cache.popitem(last=False)
            _flights.pop(self.key, None)
        self.finished.set()

    def _evaluate(self) -> Evaluation | EvaluationError:
        what, limit = self.header["what"], self.header["time_limit_s"]
        try:
            answer = POOL.ask(self.header, self.data, time_limit_s=limit + OVERSTAY_S,
                              progress=lambda value: self._heard(*value), what=f"the {WHAT[what]} evaluation")
        except workers.WorkerTimedOut:  # the worker's own limit, plus the overstay, has passed
            return EvaluationError(f"the {WHAT[what]} evaluation took longer than {limit:g} s and was stopped")
        except workers.WorkerFailed:
            return EvaluationError(f"the {WHAT[what]} evaluation's worker stopped; try again")
        if "refused" in answer:
            return FileRefused(answer["refused"])
        if "error" in answer:
            return EvaluationError(f"the {WHAT[what]} evaluation failed: {answer['error']}")
        scores = (AnalogyScores if what == "analogies" else PairScores).from_json(answer["result"])
        return Evaluation(what, scores, answer["seconds"], limit, cached=False)

    def _heard(self, done: int, total: int) -> None:
        self.progress = (done, total)


def _request(what: str, folder: Path, data: bytes) -> tuple[tuple, dict, str]:
    """The cache key, the worker's header and the file's text; refuses a file too large or not UTF-8."""
    if what not in WHAT:
        raise ValueError(f"unknown evaluation {what!r}; choose one of {', '.join(WHAT)}")
    if len(data) > FILE_LIMIT_BYTES:
        raise EvaluationError(f"the file is larger than {FILE_LIMIT_BYTES // 2**20} MB; evaluation files are small "
                              "text files")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EvaluationError("the file is not UTF-8 text") from None
    folder = Path(folder).resolve()
    try:
        version = (folder / VECTORS_FILE).stat()
    except FileNotFoundError:
        raise EvaluationError("these embeddings have no vectors (deleted, or still training)") from None
    header = {"what": what, "folder": str(folder), "max_questions": demo_max_questions(),
              "time_limit_s": time_limit(), "chart_pairs": CHART_PAIRS}
    key = (what, hashlib.sha256(data).hexdigest(), str(folder), version.st_mtime_ns, version.st_size,
           header["max_questions"], header["time_limit_s"], CHART_PAIRS)
    return key, header, text


def cached(what: str, folder: Path, data: bytes) -> Evaluation | None:
    """The evaluation of this file on these embeddings if one was made (for any visitor), else None;
    computes nothing, so a page may ask on every run."""
    try:
        key, _, _ = _request(what, folder, data)
    except EvaluationError:
        return None
    with _lock:
        answer = _cache.get(key)
    return _from_cache(answer) if isinstance(answer, Evaluation) else None


def evaluate(what: str, folder: Path, data: bytes,
             progress: Callable[[int, int], None] | None = None) -> Evaluation:
    """Evaluate the file ``data`` (``what``: ``"pairs"`` or ``"analogies"``) on the embeddings in
    ``folder``, from the cache if it is there.  ``progress(done, total)`` hears how far it is, from
    the calling thread (``total`` is 0 until the worker has read the file: waiting for a free worker,
    loading).  Raises :class:`EvaluationError` with one line for the visitor."""
    key, header, text = _request(what, folder, data)
    with _lock:
        answer = _cache.get(key)
        if answer is not None:
            _cache.move_to_end(key)
        else:
            flight = _flights.get(key)
            if flight is None:
                payload = text.encode("utf-8")
                flight = _flights[key] = _Flight(key, dict(header, bytes=len(payload)), payload)
    if answer is not None:
        if isinstance(answer, EvaluationError):
            raise answer
        return _from_cache(answer)
    while not flight.finished.wait(0.1):
        if progress is not None:
            progress(*flight.progress)
    if isinstance(flight.answer, EvaluationError):
        raise flight.answer
    return flight.answer


def _from_cache(answer: Evaluation) -> Evaluation:
    return Evaluation(answer.what, answer.scores, answer.seconds, answer.time_limit_s, cached=True)
