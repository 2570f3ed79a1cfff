"""A stand-in job kind for the tests: the real protocol and worker process, with no real work.

``run`` reports a step every 0.1 s for the settings' ``seconds``; ``fail`` raises at the end and
``ignore_stop`` never looks at stop requests.  The worker imports this module from the tests
folder (conftest puts it on the workers' PYTHONPATH)."""

import dataclasses
import time
from pathlib import Path

from namuweb import jobs

FOLDERS = jobs.JobFolders("jobs/sleep", "job.json")


def run(job_dir: Path, job: jobs.JobContext) -> str:
    settings = FOLDERS.read(job_dir)
    total = max(1, round(settings["seconds"] / 0.1))
    print(f"sleeping {settings['seconds']:g} s", flush=True)
    for step in range(1, total + 1):
        if not settings["ignore_stop"] and job.stop_requested:
            print("stop requested", flush=True)
            break
        time.sleep(0.1)
        job.report(step, total, "steps")
    if settings["fail"]:
        raise RuntimeError("boom")
    return "slept"


SLEEP = jobs.JobKind("sleep", FOLDERS, run)  # creates only its settings: nothing is partial


def sleeper(job_dir: Path, seconds: float, *, fail: bool = False, ignore_stop: bool = False,
            kind: str = "sleep") -> jobs.JobKind:
    """Prepare ``job_dir`` as a sleep job and return the kind to start it as (``kind`` names it)."""
    Path(job_dir).mkdir(parents=True, exist_ok=True)
    FOLDERS.write(job_dir, {"seconds": seconds, "fail": fail, "ignore_stop": ignore_stop})
    return SLEEP if kind == SLEEP.name else dataclasses.replace(SLEEP, name=kind)
