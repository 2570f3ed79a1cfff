"""The job protocol through real worker subprocesses (``python -m namuweb.jobs.worker sleep DIR``, the tests' own
stand-in kind in sleep_job.py)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from namuweb import jobs
from namuweb.jobs import JobBusy, JobStatus
from namuweb.jobs.kinds import worker_command
from polling import poll_until
from sleep_job import sleeper
from library_texts import add_text
from namuweb.language_model import training


def start_sleep(job_dir, seconds, *, fail=False, ignore_stop=False, kind="sleep", **options):
    """Start a sleep job in ``job_dir`` through the real worker."""
    return jobs.start(sleeper(job_dir, seconds, fail=fail, ignore_stop=ignore_stop, kind=kind), job_dir, **options)


def run_worker_by_hand(job_dir, seconds):
    """The worker command run without start(), as a user might from a shell."""
    subprocess.run(worker_command(sleeper(job_dir, seconds), job_dir), check=True, timeout=10,
                   cwd=jobs.kinds.config.PROJECT_ROOT)


def running(job_dir):
    return poll_until(lambda: (s := jobs.current_status(job_dir)) is not None and s.state == "running" and s)


def gone(pid):
    """The process no longer exists (reaped) or is a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in "ZX"
    except FileNotFoundError:
        return True


pytestmark = pytest.mark.usefixtures("kill_leftover_workers")


@pytest.fixture
def job_dir(isolated_home):
    return isolated_home / "jobs-under-test" / "a"


# --- through a real worker ------------------------------------------------------


def test_stop_a_running_job(job_dir):
    queued = start_sleep(job_dir, 20)
    assert queued.state in ("queued", "running") and queued.kind == "sleep"
    assert queued.pid is not None and queued.pid_start is not None

    status = running(job_dir)
    assert status.pid == queued.pid
    assert jobs.process_alive(status.pid, status.pid_start)
    assert status.started is not None and status.started >= status.created
    # "running" comes before the worker's first heartbeat; stop once it has reported a step (a loaded
    # machine can take a while), so the stopped job's progress below is the worker's own.
    poll_until(lambda: jobs.read_status(job_dir).progress.done > 0, timeout=60,
               what="the sleep job's first step")

    stopping = jobs.request_stop(job_dir)
    assert stopping.state == "stopping" and stopping.stop_requested is not None
    assert jobs.request_stop(job_dir).stop_requested == stopping.stop_requested  # idempotent

    started = time.monotonic()
    final = jobs.wait(job_dir, timeout=5, poll=0.05)
    assert final.state == "stopped" and final.error is None
    assert time.monotonic() - started < 2.0  # the stop file is checked every 0.5 s
    assert final.ended is not None
    assert 0 < final.progress.done < final.progress.total == 200 and final.progress.unit == "steps"
    poll_until(lambda: gone(final.pid), timeout=3)
    assert "stop requested" in jobs.log_tail(job_dir)


def test_job_that_finishes(job_dir):
    start_sleep(job_dir, 0.3)
    final = jobs.wait(job_dir, timeout=10, poll=0.05)
    assert final.state == "finished" and final.error is None
    assert (final.progress.done, final.progress.total) == (3, 3)  # the last report reaches the disk at the end
    assert final.started <= final.updated <= final.ended
    # "finished" is written just before the interpreter exits, so the process may linger briefly.
    poll_until(lambda: not jobs.process_alive(final.pid, final.pid_start), timeout=3)
    assert "sleeping 0.3 s" in jobs.log_tail(job_dir)


def test_failing_job_reports_one_line_and_logs_the_traceback(job_dir):
    start_sleep(job_dir, 0.1, fail=True)
    final = jobs.wait(job_dir, timeout=10, poll=0.05)
    assert final.state == "failed"
    assert final.error == "RuntimeError: boom"
    log = jobs.log_tail(job_dir, lines=100)
    assert "Traceback (most recent call last)" in log and 'raise RuntimeError("boom")' in log
    assert jobs.log_tail(job_dir, lines=1) == log.splitlines()[-1]


def test_killed_worker_becomes_interrupted(job_dir):
    start_sleep(job_dir, 20)
    status = running(job_dir)
    os.killpg(status.pid, signal.SIGKILL)
    poll_until(lambda: gone(status.pid), timeout=3)

    repaired = jobs.current_status(job_dir)
    assert repaired.state == "interrupted"
    assert "ended without saying why" in repaired.error
    assert jobs.read_status(job_dir).state == "interrupted"  # repaired on disk, not just in memory
    poll_until(lambda: not os.path.exists(f"/proc/{status.pid}"), timeout=3)  # refresh reaped the zombie


def test_worker_ignoring_a_stop_is_killed_after_the_grace_period(job_dir):
    start_sleep(job_dir, 20, ignore_stop=True)
    status = running(job_dir)
    jobs.request_stop(job_dir)

    assert jobs.enforce_stop(job_dir, grace_s=0.5).state == "stopping"  # within the grace period: left alone
    time.sleep(0.7)
    assert jobs.process_alive(status.pid, status.pid_start)  # it really ignored the stop
    killed = jobs.enforce_stop(job_dir, grace_s=0.5)
    assert killed.state == "stopped"
    assert killed.error == "did not stop within 0.5 s; killed"
    poll_until(lambda: gone(status.pid), timeout=3)
    assert jobs.enforce_stop(job_dir).state == "stopped"  # and it stays that way


def test_stop_requested_while_queued_is_honoured(job_dir):
    jobs.write_status(job_dir, state="queued", kind="sleep", created=time.time())
    jobs.request_stop(job_dir)
    # A worker starting in a directory with a pending stop request leaves at once.
    run_worker_by_hand(job_dir, 20)
    assert jobs.read_status(job_dir).state == "stopped"


def test_standalone_cli_run_writes_its_own_status(job_dir):
    """A worker run by hand (no start()) reports too, and a stale stop file from an old run does not stop it."""
    jobs.write_status(job_dir, state="stopped", kind="sleep", error="old")
    (job_dir / jobs.STOP_FILE).touch()
    run_worker_by_hand(job_dir, 0.2)
    final = jobs.read_status(job_dir)
    assert (final.state, final.error, final.progress.done, final.progress.total) == ("finished", None, 2, 2)
    assert not (job_dir / jobs.STOP_FILE).exists()


# --- starting: one job of a kind ------------------------------------------------


def test_second_start_with_an_active_peer_is_busy(isolated_home):
    first, second = isolated_home / "j1", isolated_home / "j2"
    start_sleep(first, 20, peers=[second])
    with pytest.raises(JobBusy, match="j1"):
        start_sleep(second, 20, peers=[first])
    assert jobs.read_status(second) is None and not (second / jobs.LOG_FILE).exists()  # nothing spawned
    with pytest.raises(JobBusy):
        start_sleep(first, 20)  # the same job twice

    jobs.request_stop(first)
    assert jobs.wait(first, timeout=5, poll=0.05).state == "stopped"
    restarted = start_sleep(second, 0.1, peers=[first])
    assert restarted.state in ("queued", "running")
    assert jobs.wait(second, timeout=10, poll=0.05).state == "finished"


def test_max_active_allows_that_many(isolated_home):
    dirs = [isolated_home / f"j{i}" for i in range(3)]
    start_sleep(dirs[0], 20, peers=dirs, max_active=2)
    start_sleep(dirs[1], 20, peers=dirs, max_active=2)
    with pytest.raises(JobBusy):
        start_sleep(dirs[2], 20, peers=dirs, max_active=2)
    # A different kind does not count against this one.
    start_sleep(dirs[2], 0.1, kind="other", peers=dirs[:2], max_active=1)
    assert jobs.wait(dirs[2], timeout=10, poll=0.05).state == "finished"


def test_concurrent_starts_spawn_exactly_one(isolated_home):
    a, b = isolated_home / "a", isolated_home / "b"
    barrier = threading.Barrier(2)
    results = {}

    def attempt(job, peer):
        barrier.wait()
        try:
            results[job.name] = start_sleep(job, 20, peers=[peer])
        except JobBusy as error:
            results[job.name] = error

    threads = [threading.Thread(target=attempt, args=pair) for pair in ((a, b), (b, a))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    started = [name for name, r in results.items() if isinstance(r, JobStatus)]
    busy = [name for name, r in results.items() if isinstance(r, JobBusy)]
    assert len(started) == 1 and len(busy) == 1
    loser = isolated_home / busy[0]
    assert jobs.read_status(loser) is None
    assert jobs.current_status(isolated_home / started[0]).active


def test_queued_job_without_a_pid_times_out(job_dir):
    jobs.write_status(job_dir, state="queued", kind="sleep", created=time.time() - 5)
    assert jobs.current_status(job_dir).state == "queued"  # start() may still be spawning it
    assert jobs.current_status(job_dir, queued_timeout_s=1).state == "interrupted"


# --- the status file --------------------------------------------------------------


def test_corrupt_status_is_treated_as_absent(job_dir):
    job_dir.mkdir(parents=True)
    for garbage in ('{"state": "runn', "[]", '{"state": "bogus", "kind": "x"}', "\xff\xfe"):
        (job_dir / jobs.STATUS_FILE).write_text(garbage, encoding="latin-1")
        assert jobs.read_status(job_dir) is None
        assert jobs.current_status(job_dir) is None
    assert jobs.read_status(job_dir.parent / "missing") is None


def test_write_status_merges_and_leaves_no_temp_files(job_dir):
    first = jobs.write_status(job_dir, state="running", kind="train", progress=jobs.Progress(1, 5, "steps"))
    assert first == JobStatus(state="running", kind="train", progress=jobs.Progress(1, 5, "steps"))
    merged = jobs.write_status(job_dir, error="x")
    assert (merged.state, merged.kind, merged.progress, merged.error) == ("running", "train", first.progress, "x")
    assert jobs.read_status(job_dir) == merged
    assert json.loads((job_dir / jobs.STATUS_FILE).read_text())["error"] == "x"
    assert sorted(p.name for p in job_dir.iterdir()) == [jobs.STATUS_FILE]
    with pytest.raises(ValueError):
        jobs.write_status(job_dir, state="sleeping")
    assert jobs.read_status(job_dir) == merged  # a rejected write changes nothing
    assert sorted(p.name for p in job_dir.iterdir()) == [jobs.STATUS_FILE]


def test_concurrent_writers_lose_no_update(job_dir):
    """Worker heartbeats and the app's stop request race on status.json; both must survive."""
    jobs.write_status(job_dir, state="running", kind="train")
    script = ("import sys; from namuweb import jobs\n"
              "for i in range(150): jobs.write_status(sys.argv[1], **{sys.argv[2]: float(i)})")
    writers = [subprocess.Popen([sys.executable, "-c", script, str(job_dir), field], cwd=jobs.kinds.config.PROJECT_ROOT)
               for field in ("updated", "stop_requested")]
    assert [w.wait(timeout=20) for w in writers] == [0, 0]
    final = jobs.read_status(job_dir)
    assert final.updated == 149.0 and final.stop_requested == 149.0


def test_pid_reuse_guard():
    me = os.getpid()
    start = jobs.state.pid_start(me)
    assert start is not None
    assert jobs.process_alive(me, start)
    assert not jobs.process_alive(me, start + 1)
    assert not jobs.process_alive(None, None)
    assert not jobs.process_alive(2**22 + 12345, None)  # above the kernel's PID limit


def test_log_tail(job_dir):
    assert jobs.log_tail(job_dir) == ""
    job_dir.mkdir(parents=True)
    (job_dir / jobs.LOG_FILE).write_text("".join(f"line {i}\n" for i in range(10000)), encoding="utf-8")
    assert jobs.log_tail(job_dir, lines=3) == "line 9997\nline 9998\nline 9999"


@pytest.mark.parametrize("module", ["jobs", "jobs.worker", "language_model.runs", "morphemes.corpus_tagging", "embeddings.skipgram",
                                    "language_model.trainer", "cli"])
def test_backend_does_not_import_streamlit(module):
    """The job machinery and what a worker process runs load without Streamlit, directly or through
    any import chain (a fresh interpreter's ``sys.modules``, not the source text)."""
    code = f"import sys, namuweb.{module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit'))"
    done = subprocess.run([sys.executable, "-c", code], cwd=jobs.kinds.config.PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]", f"namuweb.{module} pulls in Streamlit"


# --- the protocol's parts ---------------------------------------------------------


def test_every_kind_of_the_app_is_declared_once_where_its_folders_are():
    from namuweb import registry
    from test_leftovers import declared_kinds
    assert set(registry.KINDS) == declared_kinds() - {"sleep"}  # every JobKind(...) in namuweb, found in the source
    assert {"train", "tag", "skipgram", "build-embeddings", "import", "download"} <= set(registry.KINDS)
    for name, kind in registry.KINDS.items():
        assert jobs.KINDS[name] is kind and registry.kind(name) is kind
        module, _, function = kind.entry.partition(":")
        assert module.startswith("namuweb.") and getattr(sys.modules[module], function) is kind.run
        assert worker_command(kind, "/x")[1:5] == ["-m", "namuweb.jobs.worker", kind.name, "/x"]
        assert kind.folders.pattern in jobs.job_folders() or kind.folders.root.startswith("jobs/")
    # Kinds that share a folder (a build's folder is also a skip-gram's) tell their jobs apart by the settings file.
    assert len({(k.folders.root, k.folders.settings_file) for k in registry.KINDS.values()}) == len(registry.KINDS)
    with pytest.raises(ValueError, match="two kinds of job are named 'train'"):
        jobs.register(jobs.JobKind("train", jobs.JobFolders("jobs/other", "job.json"), os.getcwd))
    for root in ("runs/deeper", "../outside", "/abs"):
        with pytest.raises(ValueError, match="job folders live in"):
            jobs.JobFolders(root, "job.json")  # the demo's cap on all jobs would not see it


def test_the_folders_of_a_registered_kind_are_watched_with_every_job(isolated_home):
    """Where jobs live follows the registry: a kind registered with its own folder is seen by the demo's cap
    on all jobs together (here in this process, and in a worker through the folders its starter hands it)."""
    from sleep_job import run
    kind = jobs.JobKind("elsewhere-test", jobs.JobFolders("elsewhere", "job.json"), run)
    job_dir = isolated_home / "elsewhere" / "one"
    jobs.write_status(job_dir, state="running", kind=kind.name, created=0, pid=os.getpid(),
                      pid_start=jobs.state.pid_start(os.getpid()))
    assert "elsewhere/*" not in jobs.job_folders() and jobs.active_everywhere() == []
    jobs.register(kind)
    try:
        assert "elsewhere/*" in jobs.job_folders()
        assert [d.name for d, _ in jobs.active_everywhere()] == ["one"]
    finally:
        del jobs.KINDS[kind.name]


def test_a_job_keeps_what_it_made_in_its_status_and_an_old_folder_still_reads(isolated_home):
    """A result lives in the status (``job.record``); a folder an earlier version wrote kept it in its settings
    file, and still reads from there."""
    from namuweb.corpora import corpus
    from namuweb.morphemes import corpus_tagging
    source = add_text("나무위키 말뭉치를 만들어보자.\n".encode("utf-8"), "작은.txt")
    new = corpus_tagging.create_job(source.id, "kiwi")
    with jobs.JobContext(new, corpus_tagging.TAGGING.name) as job:
        job.record(corpus=source.id)
        job.record(lines=3)  # key by key
    assert jobs.read_status(new).result == {"corpus": source.id, "lines": 3}
    assert "result" not in corpus_tagging.FOLDERS.read(new)
    assert corpus_tagging.TAGGING.result(new) == {"corpus": source.id, "lines": 3}

    old = corpus_tagging.create_job(source.id, "kiwi")  # as the previous version left it: the result in job.json
    corpus_tagging.FOLDERS.write(old, corpus_tagging.FOLDERS.read(old) | {"result": source.id})
    jobs.write_status(old, state="finished", kind=corpus_tagging.TAGGING.name, created=0)
    assert jobs.read_status(old).result is None
    assert corpus_tagging.TAGGING.result(old) == {"corpus": source.id}
    assert corpus_tagging.TAGGING.description(old) == jobs.Described(f"Saved as the corpus “{source.name}”: {source.notice}.")
    corpus.delete_corpus(source.id)
    assert corpus_tagging.TAGGING.description(old).present is False
    never = corpus_tagging.create_job(corpus.BUILTIN_ID, "kiwi")  # nothing made yet: nothing to describe
    assert corpus_tagging.TAGGING.result(never) == {} and corpus_tagging.TAGGING.description(never) is None


def test_progress_reads_as_one_line_and_survives_a_damaged_record():
    progress = jobs.Progress(120, 284, "steps", rate=3.14, eta_s=53, message="epoch 2 · loss 1.234")
    assert progress.fraction == pytest.approx(120 / 284)
    assert progress.line() == "42% · 120 of 284 steps · 3.1 steps/s · epoch 2 · loss 1.234 · ETA 0m 53s"
    assert jobs.Progress(0.5, 2.43, "MB").line() == "21% · 0.5 of 2.4 MB"
    assert jobs.Progress(7, None, "lines").fraction == 0.0 and jobs.Progress(7, None, "lines").line() == "7 lines"
    assert jobs.Progress.from_json(progress.to_json()) == progress
    for damaged in (None, [], {"done": "many"}, {"total": {}}):
        assert jobs.Progress.from_json(damaged) == jobs.Progress()


def test_a_report_gives_the_rate_since_the_first_report_and_an_eta(job_dir):
    seen = []
    with jobs.JobContext(job_dir, "sleep", show=seen.append) as job:
        before = time.monotonic()
        job.report(10, 110, "steps")  # start-up before the first report does not count
        after_first = time.monotonic()
        time.sleep(0.2)
        before_last = time.monotonic()
        last = job.report(30, 110, "steps", "half way", loss=2.5)
        after = time.monotonic()
    assert seen[0].rate is None and seen[-1] is last
    # 20 steps over the time between the two reports, however long a loaded machine made it
    assert 20 / (after - before) <= last.rate <= 20 / (before_last - after_first)
    assert last.eta_s == pytest.approx(80 / last.rate)
    assert last.extra == {"loss": 2.5}
    final = jobs.read_status(job_dir)
    assert final.state == "finished" and final.progress == last  # the last report is on disk at the end


def test_a_job_error_is_the_users_line_and_a_bug_keeps_its_type(job_dir, capsys):
    for error, expected in ((jobs.JobError("the corpus was deleted"), "the corpus was deleted"),
                            (KeyError("x"), "KeyError: 'x'")):
        with pytest.raises(type(error)):
            with jobs.JobContext(job_dir, "sleep"):
                raise error
        assert jobs.read_status(job_dir).error == expected
    assert capsys.readouterr().err.count("Traceback") == 1  # only the bug's


def test_the_worker_blocks_what_its_kind_never_needs_and_names_no_kind(job_dir):
    """A kind's ``worker_without`` reaches the worker as ``--without``, blocked before the kind is imported;
    the worker's own source names no kind of job."""
    from namuweb.language_model import training
    assert worker_command(training.TRAINING, "/x")[-2:] == ["--without", "pandas"]
    code = ("import sys; sys.argv = ['w', 'train', '/x', '--run', 'm:f', '--without', 'pandas']; "
            "import namuweb.jobs.worker; print(sys.modules['pandas'])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=jobs.kinds.config.PROJECT_ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "None", done.stderr[-2000:]
    source = (jobs.kinds.config.PROJECT_ROOT / "namuweb" / "jobs" / "worker.py").read_text(encoding="utf-8")
    from namuweb import registry
    assert not [name for name in registry.KINDS if f'"{name}"' in source or f"'{name}'" in source]


def test_the_worker_runs_only_a_declared_kind(job_dir):
    job_dir.mkdir(parents=True)
    done = subprocess.run([sys.executable, "-m", "namuweb.jobs.worker", "sleep", str(job_dir), "--run", "os:getcwd"],
                          capture_output=True, text=True, timeout=60, cwd=jobs.kinds.config.PROJECT_ROOT)
    assert done.returncode != 0 and "declares no job kind" in done.stderr
    assert jobs.read_status(job_dir) is None
