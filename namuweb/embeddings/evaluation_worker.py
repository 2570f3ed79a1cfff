"""The evaluations' worker process: ``python -m namuweb.embeddings.evaluation_worker``.

Reads a JSON header line (``{"what": "analogies" | "pairs", "folder", "bytes", "max_questions",
"time_limit_s"}``) and the file's UTF-8 bytes on stdin; writes JSON lines on stdout: ``{"progress":
[done, total]}`` while it scores, then one ``{"result": …}``, ``{"refused": …}`` (a file that is not in
the expected format: one line for the visitor) or ``{"error": …}``.  One request after another, for the
server's whole life, keeping the last embeddings it loaded, so asking again costs no load.

Niced and one BLAS thread (the server sets it): pages and taggers come first on two cores, and one
visitor's evaluation takes one core at most.  The time limit is kept here, between blocks of
questions, so a file that is too large ends with the accuracy of the questions answered so far; the
server also kills a worker that overstays it.  Anything a library prints goes to stderr.
"""

from __future__ import annotations

import os
import sys
import time

from namuweb import workers

PROGRESS_EVERY_S = 0.2  # the page's bar moves smoothly without a line per block


_loaded: dict[tuple[str, int], object] = {}  # one embeddings at a time: the last one asked about


def answer(header: dict, data: bytes, tell_progress) -> dict:
    from namuweb.embeddings import evaluation
    from namuweb.embeddings.vectors import VECTORS_FILE, Embeddings
    started = time.monotonic()
    told = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - told[0] >= PROGRESS_EVERY_S or done == total:
            told[0] = now
            tell_progress([done, total])
    key = (header["folder"], os.stat(os.path.join(header["folder"], VECTORS_FILE)).st_mtime_ns)
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = Embeddings.load(header["folder"])
    lines = data.decode("utf-8").splitlines()
    try:
        if header["what"] == "analogies":
            scores = evaluation.evaluate_word_analogies(
                _loaded[key], lines, max_questions=header["max_questions"], progress=progress,
                deadline=started + header["time_limit_s"])
        else:
            scores = evaluation.evaluate_word_pairs(_loaded[key], lines, max_pairs=header["max_questions"])
            progress(scores.read, scores.read)
            scores = scores.sampled(header["chart_pairs"])
    except evaluation.AnalogyFileError as problem:
        return {"refused": str(problem)}
    return {"result": scores.to_json(), "seconds": time.monotonic() - started}


if __name__ == "__main__":
    sys.exit(workers.serve(answer, nice=10))
