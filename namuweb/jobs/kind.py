"""A kind of job, declared once beside its domain function, and the registry of the kinds declared.

A :class:`JobKind` names where its folders live, the settings file that makes a folder one of its
jobs, the domain function that does the work (``run(job_dir, job) -> summary line``), which corpus
a job of it reads and how its result reads.  Declaring one with :func:`register` puts it in
:data:`KINDS` when its module is imported; the jobs package imports no tool, so a process sees the
kinds of the tools it imported (``namuweb.registry`` imports every tool: the complete registry).

This module knows nothing of starting or running a job (:mod:`~namuweb.jobs.kinds`,
:mod:`~namuweb.jobs.context`): they import it, never the other way round.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple

from namuweb import config, storage
from namuweb.jobs import state
from namuweb.jobs.state import JobStatus

_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_ROOT = re.compile(r"[a-z][a-z0-9_-]*(/[a-z][a-z0-9_-]*)?")
GENERIC = "jobs"  # the folder any kind may keep its jobs under (jobs/<kind>/<id>), seen without being registered
FOLDERS_ENV = "NAMUWEB_JOB_FOLDERS"  # the starting process's job folders, handed to the worker it spawns

KINDS: dict[str, JobKind] = {}  # name → kind, every kind declared in a module this process has imported


@dataclass(frozen=True)
class JobFolders:
    """Where the jobs of one kind live: a folder under the data directory with one folder per job,
    each made a job of this kind by its settings file.  A root is one folder (``runs``) or one under
    ``jobs/`` (``jobs/tag``)."""

    root: str            # e.g. "runs", "jobs/tag"
    settings_file: str   # e.g. "config.json"

    def __post_init__(self):
        if not _ROOT.fullmatch(self.root) or ("/" in self.root and not self.root.startswith(GENERIC + "/")):
            raise ValueError(f"job folders live in a folder of the data directory or one under {GENERIC}/, "
                             f"not {self.root!r}")

    @property
    def pattern(self) -> str:
        """The glob, under the data directory, of this kind's job folders."""
        return f"{self.root}/*"

    def root_dir(self, home: Path | None = None) -> Path:
        path = (home or config.data_home()) / self.root
        storage.make_private_dirs(path)
        return path

    def all(self, home: Path | None = None) -> list[Path]:
        """The job folders, newest first; a symlink is not a folder of this app."""
        return sorted((p for p in self.root_dir(home).iterdir()
                       if not p.is_symlink() and (p / self.settings_file).is_file()), reverse=True)

    def new(self, prefix: str = "", home: Path | None = None, stamp: str | None = None) -> Path:
        return storage.new_folder(self.root_dir(home), prefix, stamp=stamp)

    def read(self, job_dir: Path) -> dict:
        return storage.read_json(Path(job_dir) / self.settings_file)

    def write(self, job_dir: Path, data: dict) -> None:
        storage.write_json(Path(job_dir) / self.settings_file, data)

    def active(self, home: Path | None = None) -> list[Path]:
        """Folders with a job running now (watched: a stop past its grace is enforced)."""
        return [d for d in self.all(home) if (s := state.enforce_stop(d)) and s.active]


class Described(NamedTuple):
    """A job's result in one line for a page (plain text, never Markdown); ``present`` is False where the
    result has gone since (a deleted corpus): a state of the result, not a success."""

    text: str
    present: bool = True


def corpus_setting(settings: dict) -> str | None:
    """The corpus a job reads, where its settings name it ``corpus`` (most kinds)."""
    value = settings.get("corpus")
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class CorpusUse:
    """What a kind's jobs do with a library corpus: which one they read (from the job's settings), how
    one reading it now is named ("training run" → "training run 2026…"), and, where what a job made
    outlives the corpus, what deleting it costs: ``after_deletion`` is formatted with ``n`` (how many)
    and ``names`` (the first few), e.g. "{n} training run(s) ({names}) can no longer resume"."""

    reads: Callable[[dict], str | None] = corpus_setting
    noun: str = "job"
    after_deletion: str | None = None
    name: Callable[[Path], str] | None = None  # how a job is named there; the folder's name by default

    def named(self, job_dir: Path) -> str:
        if self.name is not None:
            try:
                return self.name(job_dir)
            except (OSError, ValueError, KeyError):
                pass
        return Path(job_dir).name


@dataclass(frozen=True)
class JobKind:
    """One kind of long work, declared beside its domain function.  ``run(job_dir, job)`` does the
    work, reporting through the :class:`~namuweb.jobs.context.JobContext` it is handed (and what it made
    through ``job.record``), and returns one summary line; ``check(job_dir)``, if given, refuses a start
    before any process is spawned (a deleted corpus, a demo's limits); ``max_active`` caps the jobs of the
    kind at once; ``partial`` names (globs inside the job folder) the outputs a failed job removes -- each
    kind's docstring says what it keeps as the record of the failure (:mod:`~namuweb.jobs.leftovers`).

    ``corpus`` says which library corpus a job reads (None: none); ``describe(job_dir, result)`` gives its
    result as a :class:`Described` line (None: nothing to say); ``legacy_result`` maps a result's key to
    the settings key an earlier version kept it under, so folders written then still read;
    ``worker_without`` names modules the worker process blocks before it imports the kind (Keras imports
    pandas only to accept DataFrames, which the trainer never passes)."""

    name: str                 # the status's kind and the name of the lock that keeps starts apart
    folders: JobFolders
    run: Callable[..., str]   # (job_dir, JobContext) -> summary line
    check: Callable[[Path], None] | None = None
    max_active: int | Callable[[], int] = 1
    partial: tuple[str, ...] = ()
    corpus: CorpusUse | None = None
    describe: Callable[[Path, dict], Described | None] | None = None
    legacy_result: dict[str, str] = field(default_factory=dict, hash=False)
    worker_without: tuple[str, ...] = ()

    def __post_init__(self):
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"job kind must be lowercase letters, digits, - or _, got {self.name!r}")

    @property
    def entry(self) -> str:
        """``module:function`` of ``run``, the worker's import path."""
        return f"{self.run.__module__}:{self.run.__qualname__}"

    def result(self, job_dir: Path, status: JobStatus | None = None) -> dict:
        """What the job made, from its status; a folder an earlier version wrote keeps it in its settings."""
        status = status if status is not None else state.read_status(job_dir)
        if status is not None and status.result is not None:
            return dict(status.result)
        if not self.legacy_result:
            return {}
        try:
            settings = self.folders.read(job_dir)
        except (OSError, ValueError):
            return {}
        return {key: settings[old] for key, old in self.legacy_result.items() if settings.get(old) is not None}

    def description(self, job_dir: Path, status: JobStatus | None = None) -> Described | None:
        """The result in one line, or None where the kind says nothing or the job made nothing yet."""
        result = self.result(job_dir, status)
        return self.describe(Path(job_dir), result) if self.describe is not None and result else None

    def reads(self, job_dir: Path) -> str | None:
        """The library corpus this job reads, from its settings (None: none, or unreadable settings)."""
        if self.corpus is None:
            return None
        try:
            return self.corpus.reads(self.folders.read(job_dir))
        except (OSError, ValueError, AttributeError):
            return None


def register(kind: JobKind) -> JobKind:
    """Put ``kind`` in :data:`KINDS` (at its declaration: ``TAGGING = jobs.register(jobs.JobKind(...))``).
    A name is declared once: a second, different kind under it is an error (the module re-imported,
    the same entry, replaces it)."""
    known = KINDS.get(kind.name)
    if known is not None and known is not kind and known.entry != kind.entry:
        raise ValueError(f"two kinds of job are named {kind.name!r}: {known.entry} and {kind.entry}")
    KINDS[kind.name] = kind
    return kind


def job_folders() -> tuple[str, ...]:
    """Where job folders live under the data directory (globs): the registered kinds' folders, the generic
    ``jobs/*/*``, and in a worker the folders of the process that started it (:data:`FOLDERS_ENV`), which
    may have imported kinds the worker has not; the demo's cap on all jobs together looks here."""
    patterns = {kind.folders.pattern for kind in KINDS.values() if not kind.folders.root.startswith(GENERIC + "/")}
    patterns.add(f"{GENERIC}/*/*")
    patterns.update(p for p in os.environ.get(FOLDERS_ENV, "").split(os.pathsep) if p)
    return tuple(sorted(patterns))
