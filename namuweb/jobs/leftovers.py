"""What a job that never ran, or that failed, leaves on disk: only the record of why.

Two rules, one per way a job can come to nothing:

* **Refused at its start** (busy, a demo's limit, bad settings, a worker that cannot be spawned): a
  job folder that had never been started -- no status file yet, and nothing in it but what its
  page or command prepared for this start: settings, an uploaded dump -- is removed whole, uploads
  included.  The visitor has the refusal's message; a folder that never ran would only sit in the
  lists as a job that is neither queued nor done.  A folder that has run before (a Resume that is
  refused) keeps everything: its earlier work is still its own.
* **Failed while running**: the files that each :class:`~namuweb.jobs.JobKind` names as its
  ``partial`` outputs (half-written text, temporary files, an uploaded dump that cannot be
  imported) are removed before the status says "failed", so a Resume pressed at once never races
  the clean-up.  The settings, status and log stay: they are what a visitor reads to see why.

A stopped or interrupted job keeps its partial outputs: they are what Resume continues from.
"""

from __future__ import annotations

import fnmatch
import functools
import shutil
from pathlib import Path
from typing import Callable, Iterable

from namuweb.jobs import state
from namuweb.jobs.kind import JobKind


# What a page or command writes into a job folder before its first start: settings and metadata
# (JSON), and an uploaded dump.  Anything else is work, done by a job or by the domain code called directly.
PREPARED = ("*.json", "dump.*")


def never_started(job_dir: Path) -> bool:
    """Nothing has run in ``job_dir``: no status was ever written, and it holds only what is prepared
    for a start (a run trained by calling the trainer directly has checkpoints but no status)."""
    job_dir = Path(job_dir)
    if (job_dir / state.STATUS_FILE).exists():
        return False
    try:
        return all(p.is_file() and not p.is_symlink() and any(fnmatch.fnmatch(p.name, g) for g in PREPARED)
                   for p in job_dir.iterdir())
    except OSError:
        return False


def discard_refused(kind: JobKind, job_dir: Path) -> bool:
    """Remove ``job_dir`` after its first start was refused; True when it was removed.

    Under the kind's start lock, and only while nobody has started it since: a worker spawned for it
    (another tab's start of the same folder) writes a status with its PID, which this leaves alone."""
    job_dir = Path(job_dir)
    with state.flock(state.start_lock(kind.name)):
        status = state.read_status(job_dir) if job_dir.is_dir() else None
        if status is not None and (status.pid is not None or status.state != "failed"):
            return False  # it runs, or ran: not a folder this start prepared and lost
        if job_dir.is_symlink() or not job_dir.is_dir():
            return False
        shutil.rmtree(job_dir, ignore_errors=True)
        return True


def removed_if_refused(start: Callable[..., state.JobStatus]) -> Callable[..., state.JobStatus]:
    """Wrap :func:`namuweb.jobs.start` so that a first start that raises leaves no folder behind."""

    @functools.wraps(start)
    def starting(kind: JobKind, job_dir, *args, **kwargs) -> state.JobStatus:
        first = never_started(Path(job_dir))
        try:
            return start(kind, job_dir, *args, **kwargs)
        except BaseException:
            if first:
                discard_refused(kind, Path(job_dir))
            raise

    return starting


def discard_partial(job_dir: Path, patterns: Iterable[str]) -> list[Path]:
    """Remove what matches ``patterns`` (globs inside ``job_dir``) and return what was removed.  A
    symbolic link is removed as a link, never followed."""
    job_dir = Path(job_dir)
    removed = []
    for pattern in patterns:
        for path in sorted(job_dir.glob(pattern)):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed
