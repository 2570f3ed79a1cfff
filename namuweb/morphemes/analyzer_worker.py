"""One tagging engine in a process of its own, answering the server over a pipe.

``python -m namuweb.morphemes.analyzer_worker ENGINE [NICE]`` reads one JSON request per line on stdin
(``{"text": ..., "norm": ..., "stem": ...}``) and writes one JSON answer per line
(``{"tokens": [[form, tag], ...]}`` or ``{"error": ...}``); its first line says whether the
engine started (``{"ready": true}``). It lives apart from the server so that an engine that
hangs, runs out of heap or crashes (Kkma, Hannanum and Komoran all can) is killed and
restarted without touching other visitors, and so that Kiwi, which holds Python's GIL while it
loads and tags, never freezes the server. Java's own output goes to stderr: stdout is the protocol.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading

from namuweb import helper_processes


def limit_data(engine: str) -> None:
    """Bound an engine outside the JVM (whose heap has its own limit) to ``$NAMUWEB_WORKER_DATA_MB``
    of data: past it an allocation fails, the request ends in an error and the worker is replaced."""
    from namuweb.morphemes.analyzers import JAVA_ENGINES
    megabytes = int(os.environ.get("NAMUWEB_WORKER_DATA_MB", "0"))
    if megabytes > 0 and engine not in JAVA_ENGINES:
        resource.setrlimit(resource.RLIMIT_DATA, (megabytes * 2**20, megabytes * 2**20))


def main(argv: list[str]) -> int:
    engine = argv[0]
    if len(argv) > 1 and int(argv[1]):
        os.nice(int(argv[1]))
    limit_data(engine)
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # whatever the engine prints (the JVM writes to fd 1) stays out of the answers
    threading.Thread(target=helper_processes.exit_with_parent, args=(os.getppid(),), daemon=True).start()

    def say(message: dict) -> None:
        answers.write(json.dumps(message, ensure_ascii=False) + "\n")

    from namuweb.morphemes import analyzers
    try:
        analyzers.pos("나무위키 말뭉치를 만들어보자", engine)  # the first call loads the dictionaries too
    except Exception as problem:  # noqa: BLE001 -- told to the server, which shows it
        say({"error": str(problem) if isinstance(problem, analyzers.EngineUnavailable) else analyzers.one_line(problem)})
        return 1
    say({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        try:
            tokens = analyzers.pos(request["text"], engine, norm=request.get("norm", False),
                               stem=request.get("stem", False))
        except Exception as problem:  # noqa: BLE001 -- an engine's own failure on this input
            # An engine past its memory is not trusted again: the worker ends and the server starts a fresh one.
            fatal = isinstance(problem, MemoryError) or "OutOfMemoryError" in f"{type(problem).__name__} {problem}"
            say({"error": analyzers.one_line(problem), "fatal": fatal})
            if fatal:
                return 3
            continue
        say({"tokens": tokens})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
