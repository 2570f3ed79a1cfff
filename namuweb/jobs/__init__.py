"""Long work (training, tagging, imports, skip-gram) as background jobs whose state lives on disk.

A Streamlit script is re-run on every click and dies with the browser tab, so long work cannot live
inside it.  The protocol, in four parts:

* :mod:`~namuweb.jobs.kind` -- a :class:`JobKind` is declared once, beside its domain function
  (where its folders live, its settings file, what runs it, the corpus it reads, how its result
  reads) and :func:`register`-ed in :data:`KINDS` (``namuweb.registry`` imports every tool's);
* :mod:`~namuweb.jobs.kinds` -- :func:`start` spawns a job's worker; every job on disk;
* :mod:`~namuweb.jobs.worker` -- the one worker process, ``python -m namuweb.jobs.worker KIND DIR``;
* :mod:`~namuweb.jobs.context` -- what the domain function is handed: :class:`JobContext`
  (stop requests in, :class:`Progress` out), also used by the command line's foreground runs;
* :mod:`~namuweb.jobs.waiting` -- the line a job waits in when its kind (or a demo) is at its limit;
* :mod:`~namuweb.jobs.state` -- the status file and the processes behind it: a reader that kills
  nothing (:func:`current_status`) and a reaper that is named as one (:func:`enforce_stop`).
"""

from namuweb.jobs import waiting
from namuweb.jobs.context import JobContext, ProgressPrinter, run_here
from namuweb.jobs.kind import KINDS, CorpusUse, Described, JobFolders, JobKind, corpus_setting, job_folders, register
from namuweb.jobs.kinds import active_everywhere, current_owner, start, started_by
from namuweb.jobs.progress import Progress, format_seconds
from namuweb.jobs.state import (ACTIVE, LOG_FILE, STATES, STATUS_FILE, STOP_FILE, VANISHED, JobBusy, JobError,
                                JobIncomplete, JobStatus, current_status, enforce_stop, log_tail, process_alive, read_status,
                                request_stop, wait, write_status)

__all__ = ["ACTIVE", "KINDS", "CorpusUse", "Described", "corpus_setting", "job_folders", "register", "LOG_FILE", "STATES", "STATUS_FILE", "STOP_FILE", "VANISHED", "JobBusy",
           "JobContext", "JobError", "current_owner", "JobFolders", "JobIncomplete", "JobKind", "JobStatus", "Progress", "ProgressPrinter", "active_everywhere",
           "current_status", "enforce_stop", "format_seconds", "log_tail", "process_alive", "read_status",
           "request_stop", "run_here", "start", "started_by", "wait", "waiting", "write_status"]
