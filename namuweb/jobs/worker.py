"""``python -m namuweb.jobs.worker KIND DIR --run MODULE:FUNCTION [--without MODULE]…``: the process
:func:`namuweb.jobs.start` spawns.  It runs the kind's domain function on the job folder through
:func:`~namuweb.jobs.run_here`; its stdout and stderr are the job's log.  Nothing else is ever started as
a job, and it knows no kind by name: the kind is the one its module declares with that function."""

from __future__ import annotations

import time

STARTED = time.monotonic()  # before the imports below: a training time budget counts from the job's start

import argparse
import dataclasses
import faulthandler
import importlib
import sys
from pathlib import Path

for _flag, _module in zip(sys.argv, sys.argv[1:]):
    if _flag == "--without":
        # Before anything imports it: a kind's ``worker_without`` (a training worker without pandas, which
        # Keras imports only to accept DataFrames, starts sooner and holds less memory: bench/large_corpus.py).
        sys.modules.setdefault(_module, None)

from namuweb.config import keep_files_private
from namuweb.jobs import waiting
from namuweb.jobs.context import ProgressPrinter, run_here
from namuweb.jobs.kind import JobKind
from namuweb.jobs.state import read_status


def _kind(name: str, entry: str) -> JobKind:
    """The job kind run by ``entry``, where it is declared, under the name it was started as."""
    module_name, _, function = entry.partition(":")
    module = importlib.import_module(module_name)
    for value in vars(module).values():
        if isinstance(value, JobKind) and value.entry == entry:
            return value if value.name == name else dataclasses.replace(value, name=name)
    raise SystemExit(f"{module_name} declares no job kind run by {function}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m namuweb.jobs.worker")
    parser.add_argument("kind")
    parser.add_argument("job_dir")
    parser.add_argument("--run", required=True, help="MODULE:FUNCTION of the kind's domain function")
    parser.add_argument("--without", action="append", default=[], metavar="MODULE",
                        help="a module the kind's work never needs, blocked before the kind is imported")
    args = parser.parse_args(argv)
    keep_files_private()  # Keras and TensorFlow write files of their own in the job's folder
    faulthandler.enable()  # a crash inside TensorFlow or the JVM leaves the Python stack in the job's log
    kind = _kind(args.kind, args.run)
    started = STARTED
    status = read_status(args.job_dir)
    if status is not None and status.state == "stopped" and status.error == waiting.STOPPED_IN_LINE:
        return 0  # stopped while it waited, before this process had looked
    if status is not None and status.state == "waiting":
        if not waiting.wait_for_turn(kind, Path(args.job_dir)):
            return 0  # taken out of the line: the status says so
        started = time.monotonic()  # a time budget counts from the turn, not from the line
    printer = ProgressPrinter(sys.stdout)
    try:
        summary = run_here(kind, Path(args.job_dir), started=started, show=printer)
    except Exception:
        return 1  # the context has written "failed" and logged what happened
    printer.close()
    print(summary, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
