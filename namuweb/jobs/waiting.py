"""The line jobs wait in when their kind (or a public demo) is at its limit: a visitor's job is not
refused, it waits with its place and an estimate, and starts by itself.

:func:`~namuweb.jobs.start` with ``wait_in_line=True`` spawns the worker at once with the state
"waiting"; the worker (:func:`wait_for_turn`) looks at the line about once a second under the same
locks that keep starts apart, writes its place and estimate into its progress, and turns "queued"
(then "running") when it is first in line and there is room.  The line is on disk, like everything
about a job, so a reload, a second tab or a restarted server shows the same line; a Stop takes the
job out of it.  First come, first served: the line is ordered by when each job was put in it.
"""

from __future__ import annotations

import functools
import statistics
import time
from pathlib import Path
from namuweb import config
from namuweb.jobs import kinds, state
from namuweb.jobs.kind import JobKind
from namuweb.jobs.progress import Progress, format_seconds

WAITING = "waiting"
POLL_S = 1.0
TYPICAL_S = 60.0  # a kind's duration before any job of it has finished here
STOPPED_IN_LINE = state.STOPPED_IN_LINE


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def typical_seconds(kind: str, home: Path | None = None) -> float:
    """How long a job of ``kind`` has taken here: the median of its last finished ones."""
    took = sorted(((s.ended, s.ended - s.started) for _, s in kinds.everything(home)
                   if s.kind == kind and s.state == "finished" and s.started and s.ended), reverse=True)[:10]
    if took:
        return statistics.median(seconds for _, seconds in took)
    demo = config.demo_settings()
    return min(TYPICAL_S, demo.max_job_seconds) if demo else TYPICAL_S


def estimate(ahead: list[state.JobStatus], running: list[state.JobStatus], slots: int,
             home: Path | None = None, now: float | None = None) -> float:
    """Seconds until a job behind ``ahead`` starts, with ``running`` holding ``slots`` places: each
    running job frees its place when its own estimate says (or when a typical job of its kind
    would), and each job ahead takes the first place to free and holds it for a typical run."""
    now = time.time() if now is None else now
    typical = functools.cache(lambda kind: typical_seconds(kind, home))  # one look at the finished jobs per kind
    frees = []
    for status in running:
        left = status.progress.eta_s
        if left is None:
            left = typical(status.kind) - (now - (status.started or now))
        frees.append(max(0.0, left))
    frees += [0.0] * max(0, slots - len(frees))
    frees.sort()
    for status in ahead:
        first = frees.pop(0)
        frees.append(first + typical(status.kind))
        frees.sort()
    return frees[0] if frees else 0.0


def wait_for_turn(kind: JobKind, job_dir: Path, poll_s: float = POLL_S) -> bool:
    """In the worker of a waiting job: wait until it is first in line and there is room, then mark it
    "queued" and return True; False when a Stop took it out of the line first."""
    job_dir = Path(job_dir).resolve()
    while True:
        with kinds.start_locks(kind):
            status = state.read_status(job_dir)
            if status is None:
                return False
            if status.state != WAITING or (job_dir / state.STOP_FILE).exists():
                state.write_status(job_dir, state="stopped", ended=time.time(), error=STOPPED_IN_LINE)
                return False
            line, running, room = kinds.line_and_room(kind, job_dir)
            place = next(i for i, (d, _) in enumerate(line) if d == job_dir)
            if place == 0 and room > 0:
                state.write_status(job_dir, state="queued", progress=Progress(message="starting"))
                return True
            seconds = estimate([s for _, s in line[:place]], running, max(1, len(running) + room))
            state.write_status(job_dir, updated=time.time(), progress=Progress(
                message=f"waiting in line: {_ordinal(place + 1)} of {len(line)}", eta_s=seconds,
                extra={"place": place + 1, "line": len(line)}))
        time.sleep(poll_s)


def describe(status: state.JobStatus) -> str:
    """One line for a page: the job's place in line and when it should start."""
    extra = status.progress.extra
    where = f"{_ordinal(extra['place'])} in line of {extra['line']}" if "place" in extra else "in line"
    when = f", starts in about {format_seconds(status.progress.eta_s)}" if status.progress.eta_s is not None else ""
    return f"Waiting: {where}{when}. It starts by itself; Stop takes it out of the line."

