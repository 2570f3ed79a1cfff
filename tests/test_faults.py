"""Faults through real processes: a worker killed mid-epoch, a server that goes away while its
job runs, two Train clicks racing, and concurrent writers of a JSON-lines log.

Already covered elsewhere (not repeated here): a killed sleep worker becomes "interrupted"
(test_jobs.py::test_killed_worker_becomes_interrupted), a queued job whose starter died
before recording a PID times out (test_jobs.py::test_queued_job_without_a_pid_times_out),
racing status writers lose no update (test_jobs.py::test_concurrent_writers_lose_no_update),
a checkpoint write that fails leaves the previous one as latest
(test_trainer.py::test_checkpoint_write_is_atomic), and a reader skips a metrics line cut
mid-JSON (test_runs.py::test_read_metrics_ignores_a_half_written_last_line).
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from namuweb.corpora import corpus

from namuweb.embeddings import embedding_library, skipgram

from namuweb import jobs, storage

from namuweb.language_model import runs, session, trainer, training
from namuweb.language_model.settings import TrainConfig
from polling import poll_until
from library_texts import add_text

TEXT = "가나다라 마바사 아자차카 타파하.\n" * 300
TINY = dict(embedding=16, units=32, layers=1, batch=8, seq_len=20, learning_rate=0.02, val_share=0.1)
ROOT = Path(__file__).resolve().parent.parent


def train_workers(home: Path) -> list[int]:
    """PIDs of live training workers (``python -m namuweb.jobs.worker train DIR``) working under ``home``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"namuweb.jobs.worker" in argv and b"train" in argv and any(str(home).encode() in a for a in argv) \
                and jobs.process_alive(int(entry.name), None):
            found.append(int(entry.name))
    return found


pytestmark = pytest.mark.usefixtures("kill_leftover_workers")


@pytest.fixture
def tiny_corpus():
    return add_text(TEXT.encode("utf-8"), "tiny.txt")


def new_run(tiny_corpus, **changes) -> Path:
    settings = TINY | {"epochs": None, "steps": 100_000} | changes
    return runs.create_run(TrainConfig(corpus=tiny_corpus.id, preset="custom", **settings).validated())


def step_rows(run_dir):
    return runs.Run(run_dir).metrics().dropna(subset=["loss"])


# --- 1. SIGKILL mid-epoch, then resume ------------------------------------------------------------


def test_sigkill_mid_run_resumes_from_the_last_checkpoint_and_the_curve_continues(tiny_corpus, monkeypatch):
    monkeypatch.setenv("NAMUWEB_CHECKPOINT_EVERY_S", "1")  # the worker checkpoints by time: often, here
    epochs = 4  # long enough that the stop below lands mid-run on a fast machine too
    run_dir = new_run(tiny_corpus, epochs=epochs, steps=None)
    config, split = session.load_split(run_dir)  # the trainer's own arithmetic
    per_epoch = runs.Run(run_dir).plan(tokens=split.tokens).per_epoch
    assert per_epoch >= 20, "the corpus should give several steps per epoch"
    total = epochs * per_epoch

    started = jobs.start(training.TRAINING, run_dir)
    assert started.state in ("queued", "running") and started.pid is not None  # a quick worker may be running already
    with pytest.raises(jobs.JobBusy):  # one training job at a time
        jobs.start(training.TRAINING, new_run(tiny_corpus))
    # A checkpoint written by time while the worker trains on; then a stop, which checkpoints too.
    poll_until(lambda: jobs.read_status(run_dir).state == "running"
               and (runs.Run(run_dir).latest_checkpoint() or {}).get("step", 0) >= 10,
               timeout=120, interval=0.02, what="a checkpoint by time at step 10 or later while the run trains")
    jobs.request_stop(run_dir)
    assert jobs.wait(run_dir, timeout=60).state == "stopped"
    assert runs.Run(run_dir).latest_checkpoint()["step"] == len(step_rows(run_dir)), "the stop checkpoints its last step"
    assert runs.Run(run_dir).latest_checkpoint()["step"] <= total - 20, "the run should be stopped well before its end"

    # Resumed with checkpoints far apart, so that however slow this machine is the worker gets a few
    # steps past its checkpoint before it is killed (with one every second, a loaded machine wrote one
    # after nearly every step).
    monkeypatch.setenv("NAMUWEB_CHECKPOINT_EVERY_S", "600")
    jobs.start(training.TRAINING, run_dir)

    def caught_past_the_checkpoint():
        """Freeze the worker once it has trained a few steps past its checkpoint."""
        latest, status = runs.Run(run_dir).latest_checkpoint(), jobs.read_status(run_dir)
        if status is None or status.pid is None or status.state != "running":
            return None
        if int(step_rows(run_dir)["step"].max()) < latest["step"] + 3:
            return None
        os.killpg(status.pid, signal.SIGSTOP)  # now nothing moves while we look
        return status.pid, runs.Run(run_dir).latest_checkpoint(), int(step_rows(run_dir)["step"].max())

    pid, checkpoint, last_before_kill = poll_until(caught_past_the_checkpoint, timeout=120, interval=0.02,
                                                   what="worker a few steps past its checkpoint")
    assert last_before_kill <= total - 10, "the resumed run should be caught mid-run"
    before = step_rows(run_dir).set_index("step")["time"].to_dict()
    os.killpg(pid, signal.SIGKILL)
    killed_at = time.time()
    resumed = checkpoint["step"]
    assert (checkpoint["epoch"], checkpoint["epoch_step"]) == divmod(resumed, per_epoch)  # where in the data

    interrupted = poll_until(lambda: (s := jobs.current_status(run_dir)) and s.state == "interrupted" and s,
                             timeout=10, what="interrupted")
    assert "resume" in interrupted.error
    assert runs.run_info(run_dir).state == "interrupted"

    jobs.start(training.TRAINING, run_dir)  # Resume, as the page's button does
    final = jobs.wait(run_dir, timeout=240, poll=0.2)
    assert final.state == "finished", jobs.log_tail(run_dir)

    steps = step_rows(run_dir)
    assert list(steps["step"]) == list(range(1, total + 1)), "steps repeated, missing or out of order"
    times = steps.set_index("step")["time"]
    # Rows up to the checkpoint are the first worker's, kept as they were; every row after it was
    # trained again by the resumed worker (the killed worker's extra steps were dropped).
    assert all(times[s] == before[s] for s in range(1, resumed + 1))
    assert last_before_kill > resumed and all(times[s] > killed_at for s in range(resumed + 1, total + 1))
    # The resumed worker started from the checkpoint's weights, not from scratch.
    losses = steps.set_index("step")["loss"]
    assert losses.loc[resumed + 1:resumed + 5].mean() < 0.7 * losses.loc[1:5].mean()
    val = runs.Run(run_dir).metrics().dropna(subset=["val_loss"])
    assert val["step"].is_monotonic_increasing and val["step"].is_unique  # none repeated after the resume
    assert val["step"].iloc[-1] == total
    assert runs.Run(run_dir).latest_checkpoint()["step"] == total


# --- 2. the server goes away while its job runs -----------------------------------------------------

SERVER = """
import os, signal, sys
from pathlib import Path
from namuweb import jobs
from namuweb.language_model import training
status = jobs.start(training.TRAINING, Path(sys.argv[1]))
print(status.pid, flush=True)
if sys.argv[2] == "crash":
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("how", ["exit", "crash"])
def test_job_outlives_its_server_and_a_fresh_process_sees_it_running_then_interrupted(tiny_corpus, how):
    run_dir = new_run(tiny_corpus)
    server = subprocess.run([sys.executable, "-c", SERVER, str(run_dir), how], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert server.returncode == (0 if how == "exit" else -signal.SIGKILL), server.stderr
    worker = int(server.stdout.split()[0])

    # "After the restart": this process never started the job; everything it knows is on disk.
    info = poll_until(lambda: (i := runs.list_runs()) and i[0].state == "running" and i[0],
                      timeout=60, what="running after the server went away")
    assert info.status.pid == worker and jobs.process_alive(worker, info.status.pid_start)
    with open(f"/proc/{worker}/stat") as f:
        parent = int(f.read().rsplit(")", 1)[1].split()[1])
    assert parent != os.getpid()  # not our child: reparented when its server went away
    assert [r.id for r in runs.active_runs()] == [run_dir.name]

    os.killpg(worker, signal.SIGKILL)
    gone = poll_until(lambda: (i := runs.list_runs()) and i[0].state == "interrupted" and i[0],
                      timeout=10, what="interrupted once the worker is gone")
    assert "resume" in gone.status.error
    assert runs.active_runs() == []  # the Train button unlocks; nothing shows as running forever
    assert jobs.read_status(run_dir).state == "interrupted"  # repaired on disk, for every other reader too


# --- 3. two Train clicks (or two tabs) at once ------------------------------------------------------


def test_two_train_clicks_in_threads_start_exactly_one_job(tiny_corpus, isolated_home):
    run_dirs = [new_run(tiny_corpus), new_run(tiny_corpus)]
    barrier = threading.Barrier(2)
    results = {}

    def click(run_dir):
        barrier.wait()
        try:
            results[run_dir.name] = jobs.start(training.TRAINING, run_dir)
        except jobs.JobBusy as error:
            results[run_dir.name] = error

    threads = [threading.Thread(target=click, args=(d,)) for d in run_dirs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    started = [d for d in run_dirs if isinstance(results[d.name], jobs.JobStatus)]
    busy = [d for d in run_dirs if isinstance(results[d.name], jobs.JobBusy)]
    assert len(started) == 1 and len(busy) == 1
    assert jobs.read_status(busy[0]) is None  # the loser wrote nothing and spawned nothing
    winner = results[started[0].name].pid
    # A process fresh from exec shows an empty command line for a moment (the kernel sets its arguments
    # up after the parent is told the exec happened; under load that moment was long enough to miss it).
    workers = poll_until(lambda: train_workers(isolated_home), timeout=30, interval=0.05,
                         what="the winner's worker process")
    assert workers == [winner], (f"workers {workers}, expected [{winner}]; status {jobs.read_status(started[0])}; "
                                 f"log: {jobs.log_tail(started[0])[-1500:]}")


RACER = """
import sys, time
from pathlib import Path
from namuweb import jobs
from namuweb.language_model import training
run_dir, ready, go = map(Path, sys.argv[1:4])
ready.touch()
while not go.exists():
    time.sleep(0.001)
try:
    print("started", jobs.start(training.TRAINING, run_dir).pid, flush=True)
except jobs.JobBusy as error:
    print("busy", error, flush=True)
"""


def test_two_train_clicks_in_two_processes_start_exactly_one_job(tiny_corpus, isolated_home, tmp_path):
    run_dirs = [new_run(tiny_corpus), new_run(tiny_corpus)]
    go = tmp_path / "go"
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(d), str(tmp_path / f"ready-{i}"), str(go)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for i, d in enumerate(run_dirs)]
    poll_until(lambda: all((tmp_path / f"ready-{i}").exists() for i in range(2)), timeout=60, what="racers ready")
    go.touch()
    outputs = [r.communicate(timeout=60) for r in racers]
    assert [r.returncode for r in racers] == [0, 0], [err for _, err in outputs]
    words = sorted(out.split()[0] for out, _ in outputs)
    assert words == ["busy", "started"], outputs
    winner = next(int(out.split()[1]) for out, _ in outputs if out.startswith("started"))
    loser = run_dirs[[out.startswith("busy") for out, _ in outputs].index(True)]
    assert jobs.read_status(loser) is None
    assert train_workers(isolated_home) == [winner]


# --- 4. JSON-lines logs: concurrent writers, half-written lines --------------------------------------

APPENDER = """
import sys
from namuweb import storage
path, writer, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with storage.JsonlAppender(path) as log:
    for i in range(count):
        size = (i * 7919 + writer * 104729) % 6000   # up to 18 kB: past a pipe buffer and stdio's 8 kB
        log.write({"step": i, "writer": writer, "size": size, "pad": "가" * size})
"""


def test_concurrent_writers_never_interleave_metrics_lines_and_readers_see_only_whole_rows(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    path = runs.Run(run_dir).metrics_file
    writers, count = 4, 300
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, str(path), str(w), str(count)], cwd=ROOT)
             for w in range(writers)]
    reads = 0
    while any(p.poll() is None for p in procs):  # read while they write
        rows = runs.Run(run_dir).metrics()
        if len(rows):
            assert (rows["pad"].str.len() == rows["size"]).all(), "a reader saw a partial row"
        reads += 1
    assert [p.wait(timeout=60) for p in procs] == [0] * writers
    assert reads > 0

    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == writers * count + 1
    rows = [json.loads(line) for line in lines[:-1]]  # every line is one whole JSON object
    for w in range(writers):
        mine = [r for r in rows if r["writer"] == w]
        assert [r["step"] for r in mine] == list(range(count))  # each exactly once, in its writer's order
        assert all(len(r["pad"]) == r["size"] for r in mine)


def test_readers_skip_a_line_cut_mid_json_in_every_jsonl_log(tmp_path):
    rows = [{"step": 1, "epoch": 1, "loss": 2.0}, {"step": 2, "epoch": 1, "loss": 1.5}]
    whole = "".join(json.dumps(r) + "\n" for r in rows)
    folder = tmp_path / "log"
    folder.mkdir()
    (folder / embedding_library.LOSS_FILE).write_text(whole + '{"step": 3, "epoch": 1, "lo', encoding="utf-8")
    assert embedding_library.loss_curve(folder)["step"].tolist() == [1, 2]
    assert storage.read_jsonl(folder / embedding_library.LOSS_FILE) == rows
    # A line cut mid-character (a multi-byte jamo) is skipped too, not a decoding error.
    (folder / "x.jsonl").write_bytes(whole.encode() + '{"step": 3, "w": "가'.encode()[:-1])
    assert storage.read_jsonl(folder / "x.jsonl") == rows
    assert storage.read_jsonl(folder / "missing.jsonl") == []


def test_every_jsonl_log_is_appended_through_the_single_write_helper(tiny_corpus, tmp_path, monkeypatch):
    """The trainer's metrics (steps and on-demand validation) and the skip-gram loss log are written
    through storage.JsonlAppender, one whole line per write: every line in those files is a row that
    went through it, in order, and nothing else appended to them."""
    written: dict[Path, list[dict]] = {}

    class Recording(storage.JsonlAppender):
        def write(self, row: dict) -> None:
            super().write(row)
            written.setdefault(self.path, []).append(json.loads(json.dumps(row, default=storage.jsonable)))

    monkeypatch.setattr(storage, "JsonlAppender", Recording)
    run_dir = new_run(tiny_corpus, steps=6)
    trainer.train(run_dir)
    training.evaluate(run_dir)
    tagged = tmp_path / "tagged.txt"
    tagged.write_text("개/Noun 가/Josa 밥/Noun 을/Josa 먹다/Verb ./Punctuation\n" * 200, encoding="utf-8")
    found = corpus.add_file(tagged, "tagged", source="tagged", parent=corpus.BUILTIN_ID)
    skipgram.train(skipgram.SkipGramConfig(corpus=found.id, dimensions=8, epochs=2), tmp_path / "vectors")

    for path in (runs.Run(run_dir).metrics_file, tmp_path / "vectors" / skipgram.LOSS_FILE):
        rows = storage.read_jsonl(path)
        assert rows and rows == written.get(path), f"{path.name} holds rows that did not go through JsonlAppender"
        assert path.read_bytes().count(b"\n") == len(rows)  # one line per write, none split or merged
    metrics = storage.read_jsonl(runs.Run(run_dir).metrics_file)
    assert [r["step"] for r in metrics if "loss" in r] == list(range(1, 7))
    assert [r.get("on_demand") for r in metrics if "val_loss" in r][-1] is True
