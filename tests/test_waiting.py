"""A job at its kind's limit (or a demo's) waits in line instead of being refused, and starts by itself."""

import time

import pytest

from namuweb import jobs
from namuweb.jobs import waiting
from namuweb.jobs.progress import Progress
from polling import poll_until
from sleep_job import FOLDERS, SLEEP, sleeper


def queued_sleeper(seconds: float, owner: str | None = None) -> jobs.JobStatus:
    job_dir = FOLDERS.new()
    kind = sleeper(job_dir, seconds)
    with jobs.started_by(owner):
        status = jobs.start(kind, job_dir, wait_in_line=True)
    return job_dir, status


def test_a_second_job_waits_with_its_place_and_starts_by_itself_when_the_first_ends(isolated_home):
    first, started = queued_sleeper(1.5)
    assert started.state in ("queued", "running")
    second, status = queued_sleeper(0.2)
    assert status.state == "waiting"
    told = poll_until(lambda: (s := jobs.read_status(second)).progress.extra.get("place") and s, timeout=20,
                      what="the waiting worker's place in line")
    assert (told.progress.extra["place"], told.progress.extra["line"]) == (1, 1)
    assert told.progress.eta_s is not None and "1st in line of 1" in waiting.describe(told)
    assert jobs.wait(first, timeout=30, poll=0.05).state == "finished"
    assert jobs.wait(second, timeout=30, poll=0.05).state == "finished"
    assert jobs.read_status(second).started >= jobs.read_status(first).ended - 0.01, "it ran only after the first"


def test_the_line_is_first_come_first_served(isolated_home):
    first, _ = queued_sleeper(1.0)
    second, _ = queued_sleeper(0.3)
    third, status = queued_sleeper(0.3)
    assert status.state == "waiting"
    poll_until(lambda: jobs.read_status(third).progress.extra.get("place") == 2, timeout=20,
               what="the third job seeing itself second in line")
    for job_dir in (first, second, third):
        assert jobs.wait(job_dir, timeout=40, poll=0.05).state == "finished"
    starts = [jobs.read_status(d).started for d in (first, second, third)]
    assert starts == sorted(starts)


def test_stop_takes_a_waiting_job_out_of_the_line_before_it_runs(isolated_home):
    first, _ = queued_sleeper(20)
    second, status = queued_sleeper(0.2)
    assert status.state == "waiting"
    jobs.request_stop(second)
    stopped = jobs.wait(second, timeout=20, poll=0.05)
    assert (stopped.state, stopped.error) == ("stopped", waiting.STOPPED_IN_LINE)
    assert "sleeping" not in jobs.log_tail(second), "a job taken out of the line never ran"
    assert jobs.current_status(first).active, "the running job goes on"
    jobs.request_stop(first)
    jobs.wait(first, timeout=20, poll=0.05)


def test_without_wait_in_line_a_busy_kind_still_refuses(isolated_home):
    first, _ = queued_sleeper(20)
    job_dir = FOLDERS.new()
    with pytest.raises(jobs.JobBusy):
        jobs.start(sleeper(job_dir, 0.1), job_dir)
    jobs.request_stop(first)
    jobs.wait(first, timeout=20, poll=0.05)


def test_a_demo_puts_other_visitors_in_line_but_refuses_one_visitor_a_second_job(isolated_home, monkeypatch):
    monkeypatch.setenv("NAMUWEB_DEMO", "1")
    monkeypatch.setenv("NAMUWEB_DEMO_MAX_JOBS", "1")
    first, _ = queued_sleeper(20, owner="visitor-a")
    with pytest.raises(jobs.JobBusy, match="per visitor"):
        queued_sleeper(0.2, owner="visitor-a")  # a reload or a second tab is the same visitor
    second, status = queued_sleeper(0.2, owner="visitor-b")
    assert status.state == "waiting"
    with pytest.raises(jobs.JobBusy, match="per visitor"):
        queued_sleeper(0.2, owner="visitor-b")  # waiting in line counts as the visitor's job
    jobs.request_stop(first)
    assert jobs.wait(second, timeout=40, poll=0.05).state == "finished"


def test_the_estimate_counts_the_running_jobs_end_and_the_typical_run_of_each_job_ahead(isolated_home):
    def status(state, eta=None, started=None):
        return jobs.JobStatus(state=state, kind=SLEEP.name, started=started, progress=Progress(eta_s=eta))
    now = time.time()
    # No finished job yet: a typical run is waiting.TYPICAL_S.
    assert waiting.estimate([], [status("running", eta=30)], 1, now=now) == 30
    assert waiting.estimate([status("waiting")], [status("running", eta=30)], 1, now=now) == 30 + waiting.TYPICAL_S
    assert waiting.estimate([status("waiting")], [status("running", eta=30), status("running", eta=5)], 2, now=now) == 30
    unknown = status("running", started=now - 20)  # no ETA of its own: a typical run less what it has done
    assert waiting.estimate([], [unknown], 1, now=now) == pytest.approx(waiting.TYPICAL_S - 20)
