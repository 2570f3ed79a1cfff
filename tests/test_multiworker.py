"""Multi-worker training (issue 16): worker processes on localhost ports, as on several machines.

Each worker is its own ``python -m namuweb train`` process with its own data folder, as it would
be on its own machine; only the chief's folder may end up holding the run."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from namuweb.language_model import generate, multiworker, runs

from namuweb import jobs, storage
from polling import poll_until

ROOT = Path(__file__).resolve().parent.parent
TEXT = "가나다라 마바사 아자차카 타파하. 하늘과 바람과 별과 시.\n" * 200
TINY = ["--preset", "custom", "--embedding", "8", "--units", "16", "--batch", "4", "--seq-len", "16",
        "--learning-rate", "0.01", "--val-share", "0.1"]


tf_config = multiworker.tf_config


class Cluster:
    """Two ``train`` processes; each worker has its own data folder and temporary folder."""

    def __init__(self, tmp_path: Path, corpus_file: Path):
        self.workers, self.tmp_path, self.corpus_file = multiworker.local_workers(2), tmp_path, corpus_file
        self.homes = [tmp_path / f"home{i}" for i in (0, 1)]
        self.run_dir = self.homes[0] / "runs" / "cluster-run"  # in the chief's library: its Train page lists it
        self.tmps = [tmp_path / f"tmp{i}" for i in (0, 1)]
        for folder in (*self.homes, *self.tmps):
            folder.mkdir(exist_ok=True)
        self.procs: list[subprocess.Popen] = []

    def worker(self, index: int, *args: str, env: dict | None = None) -> subprocess.Popen:
        environment = os.environ | {"NAMUWEB_HOME": str(self.homes[index]), "TMPDIR": str(self.tmps[index]),
                                    "TF_CPP_MIN_LOG_LEVEL": "2"} | (env or {})
        proc = subprocess.Popen([sys.executable, "-m", "namuweb", "train", *args, "--tf-config",
                                 tf_config(self.workers, index)], cwd=ROOT, env=environment,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        return proc

    def start(self, *args: str, env: dict | None = None) -> tuple[subprocess.Popen, subprocess.Popen]:
        common = ["--corpus", str(self.corpus_file), *TINY, "--distribute", "multiworker", *args]
        return (self.worker(0, *common, "--run-dir", str(self.run_dir), env=env),
                self.worker(1, *common, env=env))

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()


@pytest.fixture
def cluster(tmp_path):
    corpus_file = tmp_path / "corpus.txt"
    corpus_file.write_text(TEXT, encoding="utf-8")
    made = Cluster(tmp_path, corpus_file)
    yield made
    made.kill_all()


def finish(proc: subprocess.Popen, timeout: float = 180) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def step_rows(run_dir: Path) -> list[dict]:
    return [row for row in storage.read_jsonl(runs.Run(run_dir).metrics_file) if "loss" in row]


def test_cluster_of_reads_the_workers_and_refuses_what_it_cannot_train():
    found = multiworker.cluster_of(tf_config(["localhost:1234", "localhost:1235"], 1))
    assert found.workers == ("localhost:1234", "localhost:1235") and found.index == 1 and not found.chief
    assert found.name(0) == "worker 0 (localhost:1234)"
    for bad in ("", "{}", '{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}',
                '{"cluster": {"worker": ["a:1"], "ps": ["b:2"]}, "task": {"type": "worker", "index": 0}}',
                '{"cluster": {"worker": ["no port"]}, "task": {"type": "worker", "index": 0}}'):
        with pytest.raises(multiworker.ClusterError):
            multiworker.cluster_of(bad)


ONE_STEP = r"""
import json, os, sys
import numpy as np
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
mode, out = sys.argv[1], sys.argv[2]
if mode != "single":
    os.environ["TF_CONFIG"] = mode
import tensorflow as tf, keras
from namuweb.language_model import model as lm_model, multiworker, settings as lm_settings
config = lm_settings.TrainConfig(corpus="c", preset="custom", embedding=8, units=16, batch=3, seq_len=12,
                            learning_rate=0.05)
V, workers = 30, 2
rng = np.random.default_rng(7)
x = rng.integers(0, V, (config.batch * workers, config.seq_len)).astype("int32")
y = rng.integers(0, V, (config.batch * workers, config.seq_len)).astype("int32")
initial = np.load(sys.argv[3]) if len(sys.argv) > 3 else None
strategy = tf.distribute.MultiWorkerMirroredStrategy() if mode != "single" else None
keras.utils.set_random_seed(0)
with strategy.scope() if strategy else __import__("contextlib").nullcontext():
    model = lm_model.build_model(V, config)
    lm_model.compile_model(model, config)
    model.optimizer.build(model.trainable_variables)
if mode == "single":
    model.set_weights([initial[k] for k in sorted(initial.files, key=int)])
    with tf.GradientTape() as tape:  # the global batch's mean loss, as one worker computes it
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, model(x, training=True)))
    model.optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
else:
    index = json.loads(mode)["task"]["index"]
    np.savez(out + ".initial.npz", **{str(i): w for i, w in enumerate(model.get_weights())})
    step = multiworker.step_function(strategy, model, tokens=x.size)
    mine = slice(index * config.batch, (index + 1) * config.batch)
    loss = step(tf.constant(x[mine]), tf.constant(y[mine]))
np.savez(out, loss=float(loss), **{str(i): w for i, w in enumerate(model.get_weights())})
"""


def test_one_step_of_two_workers_equals_one_step_of_one_worker_on_both_batches(tmp_path):
    workers = multiworker.local_workers(2)
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    outs = [tmp_path / f"worker{i}.npz" for i in (0, 1)]
    procs = [subprocess.Popen([sys.executable, "-c", ONE_STEP, tf_config(workers, i), str(outs[i])], env=env,
                              stderr=subprocess.PIPE, text=True) for i in (0, 1)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
    single = tmp_path / "single.npz"
    subprocess.run([sys.executable, "-c", ONE_STEP, "single", str(single), str(outs[0]) + ".initial.npz"], env=env,
                   check=True, capture_output=True)
    expected = np.load(single)
    initial = np.load(str(outs[0]) + ".initial.npz")
    for out in outs:
        got = np.load(out)
        assert abs(float(got["loss"]) - float(expected["loss"])) < 1e-5
        names = [k for k in expected.files if k != "loss"]
        assert any(not np.allclose(initial[k], expected[k]) for k in names)  # the step moved the weights
        for k in names:
            np.testing.assert_allclose(got[k], expected[k], atol=1e-5, rtol=0)


def test_two_local_workers_train_a_run_only_the_chief_keeps_and_it_generates(cluster, monkeypatch):
    chief, other = cluster.start("--steps", "6")
    code, out, err = finish(chief)
    assert code == 0, err[-3000:]
    code1, out1, err1 = finish(other)
    assert code1 == 0, err1[-3000:]
    assert "finished at step 6 of 6 on 2 workers" in out
    assert "the chief worker 0" in out1 and "finished at step 6" in out1
    latest = runs.Run(cluster.run_dir).latest_checkpoint()
    assert latest["step"] == 6
    assert [row["step"] for row in step_rows(cluster.run_dir)] == [1, 2, 3, 4, 5, 6]
    assert jobs.read_status(cluster.run_dir).progress.extra["workers"] == 2
    monkeypatch.setenv("NAMUWEB_HOME", str(cluster.homes[0]))  # the chief's Train page
    page = AppTest.from_file(str(ROOT / "app_pages" / "train.py"), default_timeout=60).run()
    [table] = [frame.value for frame in page.dataframe if "device" in frame.value]
    name = runs.run_info(cluster.run_dir).name
    assert table.set_index("name").loc[name, "device"].startswith("2 workers")
    # the other worker's data folder holds nothing once it is done, and its scratch run is gone from its
    # temporary folder (where TensorFlow's autograph also leaves the modules it generated, not ours)
    assert list(cluster.homes[1].iterdir()) == []
    assert [p.name for p in cluster.tmps[1].iterdir() if p.name.startswith("namuweb")] == []
    [sample] = generate.load_generator(cluster.run_dir).generate("가나", length=20, temperature=0.5, seed=1)
    assert sample.text.startswith("가나") and len(sample.continuation) >= 10


def test_a_killed_worker_fails_the_run_naming_it_and_resume_continues_for_the_whole_cluster(cluster):
    chief, other = cluster.start("--steps", "100000", env={"NAMUWEB_CHECKPOINT_EVERY_S": "0.5"})
    checkpoint = poll_until(lambda: runs.Run(cluster.run_dir).latest_checkpoint(), timeout=120,
                            what="the chief's first checkpoint")
    poll_until(lambda: step_rows(cluster.run_dir)[-1]["step"] > checkpoint["step"] if step_rows(cluster.run_dir)
               else False, timeout=60, what="a step past the checkpoint")
    os.kill(other.pid, signal.SIGKILL)
    code, _, err = finish(chief, timeout=120)
    assert code != 0
    named = f"worker 1 ({cluster.workers[1]}) stopped answering"
    assert named in err
    assert jobs.read_status(cluster.run_dir).state == "failed" and named in jobs.read_status(cluster.run_dir).error
    saved = runs.Run(cluster.run_dir).latest_checkpoint()["step"]

    # resume: the chief from its run folder, the other worker with the start command again
    chief = cluster.worker(0, "--run-dir", str(cluster.run_dir))
    other = cluster.worker(1, "--corpus", str(cluster.corpus_file), *TINY, "--distribute", "multiworker",
                           "--steps", "100000")

    def resumed_past_the_checkpoint():
        status = jobs.read_status(cluster.run_dir)
        return status.pid == chief.pid and status.state == "running" and status.progress.extra.get("step", 0) > saved + 2

    poll_until(resumed_past_the_checkpoint, timeout=120, what="the resumed chief training past its checkpoint")
    jobs.request_stop(cluster.run_dir)  # reaches the chief; the chief takes every worker with it
    code, out, err = finish(chief)
    assert code == 0, err[-3000:]
    code1, out1, err1 = finish(other)
    assert code1 == 0, err1[-3000:]
    stopped_at = runs.Run(cluster.run_dir).latest_checkpoint()["step"]
    assert f"stopped at step {stopped_at}" in out and f"stopped at step {stopped_at} with the chief" in out1
    steps = [row["step"] for row in step_rows(cluster.run_dir)]
    assert steps == list(range(1, stopped_at + 1))  # resumed right after the checkpoint, no gap, no repeat
