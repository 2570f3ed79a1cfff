"""The trainer for real: tiny models on a tiny repetitive corpus, a few dozen steps each."""

import importlib.util
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from namuweb.corpora import corpus

from namuweb.language_model import runs, session, trainer, training
from namuweb.language_model.settings import TrainConfig
from library_texts import add_text

TEXT = "가나다라 마바사 아자차카 타파하.\n" * 300
TINY = dict(embedding=16, units=32, layers=1, batch=8, seq_len=20, learning_rate=0.02, val_share=0.1)


@pytest.fixture
def tiny_corpus():
    return add_text(TEXT.encode("utf-8"), "tiny.txt")


def new_run(tiny_corpus, **changes):
    settings = TINY | {"epochs": None, "steps": 40} | changes
    return runs.create_run(TrainConfig(corpus=tiny_corpus.id, preset="custom", **settings).validated())


def visible_gpus() -> int:
    import tensorflow as tf
    return len(tf.config.list_logical_devices("GPU"))


def losses(run_dir):
    metrics = runs.Run(run_dir).metrics()
    return metrics.dropna(subset=["loss"])


def test_loss_falls_on_a_repetitive_corpus(tiny_corpus):
    run_dir = new_run(tiny_corpus)
    result = trainer.train(run_dir)
    steps = losses(run_dir)
    assert result["step"] == 40 and list(steps["step"]) == list(range(1, 41))
    assert steps["loss"].tail(5).mean() < 0.5 * steps["loss"].head(3).mean()
    val = runs.Run(run_dir).metrics()["val_loss"].dropna()
    assert len(val) >= 1 and val.iloc[-1] < steps["loss"].iloc[0]
    assert {"step", "epoch", "loss", "tokens_per_s", "time"} <= set(steps.columns)
    assert list((run_dir / "tensorboard").iterdir()), "no TensorBoard event file"
    gpus = visible_gpus()
    if gpus:  # Keras' own LSTM (its cuDNN kernel), not the fused CPU pass
        assert result["device"].startswith(f"{gpus} GPU") and "fused" not in result["device"], result["device"]
    else:  # TensorFlow on a CPU: namuweb.language_model.fast_lstm trained it
        assert result["device"] == "CPU (tensorflow), fused LSTM pass"


def test_the_plain_keras_pass_still_trains_when_asked_for(tiny_corpus, monkeypatch):
    monkeypatch.setenv("NAMUWEB_PLAIN_LSTM", "1")
    run_dir = new_run(tiny_corpus, steps=20)
    result = trainer.train(run_dir)
    assert "fused" not in result["device"]
    steps = losses(run_dir)
    assert steps["loss"].tail(3).mean() < steps["loss"].head(3).mean()


def test_training_without_tensorboard_installed_still_records_its_curve(tiny_corpus, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard → ImportError
    run_dir = new_run(tiny_corpus, steps=5)
    assert trainer.train(run_dir)["step"] == 5
    assert list(losses(run_dir)["step"]) == [1, 2, 3, 4, 5]
    assert not (run_dir / "tensorboard").exists()


def test_stop_then_resume_continues_the_step_count_with_optimizer_state(tiny_corpus):
    run_dir = new_run(tiny_corpus, steps=30)
    stopped = trainer.train(run_dir, should_stop=lambda: len(losses(run_dir)) >= 12)
    assert stopped["stopped"] and stopped["step"] == 12
    latest = runs.Run(run_dir).latest_checkpoint()
    assert latest["step"] == 12
    import keras
    restored = keras.models.load_model(runs.Run(run_dir).checkpoints_dir / latest["file"])
    assert int(restored.optimizer.iterations.numpy()) == 12
    before = losses(run_dir)["loss"].tail(3).mean()
    finished = trainer.train(run_dir)
    steps = losses(run_dir)
    assert finished["step"] == 30 and not finished["stopped"]
    assert list(steps["step"]) == list(range(1, 31)), "steps repeated or missing after resume"
    assert steps["loss"].iloc[12:15].mean() < before * 1.3, "loss jumped back after resume"


def test_resume_after_a_kill_drops_the_steps_past_the_checkpoint(tiny_corpus, monkeypatch):
    """Its metrics and samples past the checkpoint go; the samples before it stay, and the resume appends its own."""
    monkeypatch.setenv(session.SAMPLE_EVERY_ENV, "3600")  # only each session's last sample, however slow the machine
    run_dir = new_run(tiny_corpus, steps=12)
    trainer.train(run_dir, should_stop=lambda: len(losses(run_dir)) >= 6)
    run = runs.Run(run_dir)
    stopped = run.samples()
    assert [(row["step"], row["temperature"], row["end"]) for row in stopped] == [(6, 0.5, True), (6, 1.0, True)]
    with open(run.metrics_file, "a", encoding="utf-8") as f:  # a killed worker's extra steps
        f.write(json.dumps({"step": 7, "epoch": 1, "loss": 9.9, "tokens_per_s": 1, "time": 0}) + "\n")
        f.write('{"step": 8, "epo')  # and a half-written line
    with open(run.samples_file, "a", encoding="utf-8") as f:  # and its samples
        f.write(json.dumps({"step": 7, "temperature": 0.5, "text": "lost", "seconds": 1.0}) + "\n")
        f.write('{"step": 8, "tem')
    trainer.train(run_dir)
    steps = losses(run_dir)
    assert list(steps["step"]) == list(range(1, 13)) and 9.9 not in set(steps["loss"])
    samples = run.samples()
    assert samples[:2] == stopped and [row["step"] for row in samples[2:]] == [12, 12]


def test_samples_come_at_the_writers_interval_from_the_current_weights_and_once_at_the_end(tiny_corpus):
    """A clock the test moves a second per step: every 3 s a sample at each temperature, with the same start and
    seed; the end's last one is the saved checkpoint's text, which the Generate page's sampler reads back."""
    from namuweb.language_model import generate, model as lm_model, settings as lm_settings
    run = runs.Run(new_run(tiny_corpus, steps=100))
    config = run.config()
    model = lm_model.build_model(run.vocab().size, config)
    now = [0.0]
    training_session = session.TrainingSession(run, model, config, lm_settings.StepPlan(per_epoch=10, total=100),
                                               step=0, budget_s=None, started=time.monotonic(), seconds_before=0.0,
                                               checkpoint_every_s=float("inf"), write_samples=False)
    writer = session.SampleWriter(run, model, step=0, every_s=3.0, clock=lambda: now[0])
    training_session.callbacks.append(writer)
    try:
        for _ in range(11):
            assert training_session.after_step(3.0, 0.01) is False
            now[0] += 1.0
        model.set_weights([w * 0.5 for w in model.get_weights()])  # a different model at the end: the best weights
        training_session.save()
    finally:
        training_session.close()
    rows = run.samples()
    assert [(row["step"], row["temperature"], row["end"]) for row in rows] == [
        (step, temperature, step == 11) for step in (4, 7, 10, 11) for temperature in session.SAMPLE_TEMPERATURES]
    start = generate.prepare_start(generate.DEFAULT_START, run.vocab()).text  # what of it the tiny vocabulary has
    assert all(row["text"].startswith(start) and row["seed"] == session.SAMPLE_SEED
               and len(row["text"]) == len(start) + session.SAMPLE_LENGTH for row in rows)
    assert rows[0]["text"] == rows[2]["text"], "the same weights, start and seed: the same text"
    assert rows[-1]["text"] != rows[0]["text"]
    saved = generate.read_weights(run.checkpoint_file())
    assert all(np.array_equal(a, b) for a, b in zip(weight_arrays(session.generation_weights(model)),
                                                    weight_arrays(saved)))
    *_, last = generate.load_generator(run.path).stream(generate.DEFAULT_START, session.SAMPLE_LENGTH,
                                                        list(session.SAMPLE_TEMPERATURES), seed=session.SAMPLE_SEED)
    assert [sample.text for sample in last] == [row["text"] for row in rows[-2:]]


def weight_arrays(weights):
    return [weights.embedding, *(w for layer in weights.lstm for w in layer), *weights.dense]


def test_no_samples_when_they_are_switched_off(tiny_corpus, monkeypatch):
    monkeypatch.setenv(session.SAMPLE_EVERY_ENV, "off")  # the benchmark's baseline
    run_dir = new_run(tiny_corpus, steps=3)
    trainer.train(run_dir)
    assert runs.Run(run_dir).samples() == [] and runs.Run(run_dir).latest_checkpoint()["step"] == 3


def test_a_time_budget_ends_the_run_and_counts_across_a_resume(tiny_corpus):
    run_dir = new_run(tiny_corpus, steps=100_000, max_seconds=3)
    began = time.monotonic()
    result = trainer.train(run_dir, started=began)
    elapsed = time.monotonic() - began
    assert not result["stopped"] and 0 < result["step"] < 100_000, result
    latest = runs.Run(run_dir).latest_checkpoint()
    assert latest["step"] == result["step"] and 3 <= latest["seconds"] <= elapsed
    rows = losses(run_dir)
    assert rows["seconds"].is_monotonic_increasing and rows["seconds"].iloc[-1] <= latest["seconds"]
    again = trainer.train(run_dir)  # the budget is spent: a resume trains nothing more
    assert again["step"] == result["step"] and not again["stopped"]
    assert runs.Run(run_dir).latest_checkpoint() == latest


def test_a_finished_run_keeps_its_best_validation_weights(tiny_corpus):
    import numpy as np
    from namuweb.language_model import model as lm_model, settings as lm_settings
    run_dir = new_run(tiny_corpus, steps=100)
    run = runs.Run(run_dir)
    config = run.config()
    model = lm_model.build_model(20, config)
    training_session = session.TrainingSession(run, model, config, lm_settings.StepPlan(per_epoch=10, total=100),
                                               step=0, budget_s=None, started=time.monotonic(), seconds_before=0.0)
    try:
        training_session.step = 10
        training_session.validated(2.0)
        best = [w.copy() for w in model.get_weights()]
        model.set_weights([w + 1 for w in best])  # it trains on and overfits: validation gets worse
        training_session.step = 20
        training_session.validated(2.5)
        kept = training_session.keep_best()
        assert kept["kept_step"] == 10 and kept["kept_val_loss"] == 2.0
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), best))
        training_session.validated(1.5)  # a later best: nothing to put back
        assert training_session.keep_best() is None
    finally:
        training_session.close()
    metrics = run.metrics()
    assert metrics["kept_step"].dropna().tolist() == [10]
    assert metrics["val_loss"].dropna().tolist() == [2.0, 2.5, 1.5]  # every validation logged, in order


def test_the_session_hands_each_event_to_every_callback_in_order(tiny_corpus):
    """The callback seam: a piece added to a session hears each step and validation after the built-in
    ones, and a step budget ends the session at its last step."""
    from namuweb.language_model import settings as lm_settings
    run = runs.Run(new_run(tiny_corpus, steps=3))
    heard = []

    class Listener(session.Callback):
        def on_start(self, s):
            heard.append(("start", s.step, s.startup_s is not None))

        def on_step(self, s, row):
            heard.append(("step", row["step"], row["loss"]))

        def on_continue(self, s):
            heard.append(("continue", s.step))

        def on_validation(self, s, row):
            heard.append(("validation", row["step"], row["val_loss"]))

        def close(self):
            heard.append(("close",))

    class Weights:  # what the best-weights piece keeps of a model
        def get_weights(self):
            return []

    training_session = session.TrainingSession(run, Weights(), run.config(), lm_settings.StepPlan(per_epoch=2, total=3),
                                               step=0, budget_s=None, started=time.monotonic(), seconds_before=0.0,
                                               checkpoint_every_s=float("inf"))
    training_session.callbacks.append(Listener())
    try:
        assert [training_session.after_step(loss, 0.01) for loss in (3.0, 2.5)] == [False, False]
        training_session.validated(2.4)
        assert training_session.after_step(2.0, 0.01) is True and not training_session.stopped  # the budget, not a stop
    finally:
        training_session.close()
    assert heard == [("start", 0, True), ("step", 1, 3.0), ("continue", 1), ("step", 2, 2.5), ("continue", 2),
                     ("validation", 2, 2.4), ("step", 3, 2.0), ("close",)]  # the last step does not continue
    assert [row["epoch"] for row in run.metrics().dropna(subset=["loss"]).to_dict("records")] == [1, 2, 2]


def test_checkpoint_write_is_atomic(tiny_corpus, monkeypatch):
    run_dir = new_run(tiny_corpus, steps=4)
    trainer.train(run_dir)
    good = runs.Run(run_dir).latest_checkpoint()

    def crash(self, path, *args, **kwargs):
        open(path, "wb").write(b"partial")
        raise OSError("disk full")

    import keras
    monkeypatch.setattr(keras.Model, "save", crash)
    run_config = json.loads((runs.Run(run_dir).config_file).read_text())
    (runs.Run(run_dir).config_file).write_text(json.dumps(run_config | {"steps": 8}))
    with pytest.raises(OSError):
        trainer.train(run_dir)
    assert runs.Run(run_dir).latest_checkpoint() == good
    assert (runs.Run(run_dir).checkpoints_dir / good["file"]).read_bytes()[:2] == b"PK"


def test_cli_trains_on_two_logical_cpus_with_mirrored_strategy(tiny_corpus, isolated_home):
    done = subprocess.run(
        [sys.executable, "-m", "namuweb", "train", "--corpus", tiny_corpus.id, "--preset", "custom", "--steps", "6",
         "--embedding", "16", "--units", "32", "--batch", "8", "--seq-len", "20", "--distribute", "mirrored",
         "--logical-cpus", "2"],
        capture_output=True, text=True, timeout=300, env=os.environ | {"NAMUWEB_HOME": str(isolated_home)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "finished at step 6 of 6" in done.stdout
    # MirroredStrategy mirrors over the GPUs when there are any, else over the two logical CPUs
    assert f"MirroredStrategy × {visible_gpus() or 2}" in done.stdout
    [info] = runs.list_runs()
    assert info.state == "finished" and info.steps == 6


def test_cli_refuses_bad_settings_in_one_line(tiny_corpus):
    done = subprocess.run([sys.executable, "-m", "namuweb", "train", "--corpus", tiny_corpus.id, "--preset", "custom",
                           "--batch", "0"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["namuweb train: error: batch must be between 1 and 4096, not 0"]


OTHER_BACKENDS = [b for b in ("jax", "torch") if importlib.util.find_spec(b)]


@pytest.mark.skipif(not OTHER_BACKENDS, reason="no other Keras backend (jax or torch) is installed here")
@pytest.mark.parametrize("backend", OTHER_BACKENDS or ["none"])
def test_model_builds_and_steps_on_another_backend(backend, tiny_corpus):
    code = ("from namuweb.language_model import model as lm_model, settings as lm_settings; import numpy as np;"
            "m = lm_model.build_model(30, lm_settings.TrainConfig(corpus='c', embedding=8, units=8));"
            "lm_model.compile_model(m, lm_settings.TrainConfig(corpus='c'));"
            "x = np.random.randint(0, 30, (4, 11)); h = m.fit(x[:, :-1], x[:, 1:], epochs=1, verbose=0);"
            "print(h.history['loss'][0])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env=os.environ | {"KERAS_BACKEND": backend})
    assert done.returncode == 0, done.stderr[-2000:]
    assert 0 < float(done.stdout.strip().splitlines()[-1]) < 10


def test_multiworker_with_a_broken_tf_config_is_refused_clearly_before_any_training(tiny_corpus):
    tf_config = json.dumps({"cluster": {"worker": ["localhost:1", "localhost:2"]}, "task": {"type": "chief", "index": 0}})
    done = subprocess.run([sys.executable, "-m", "namuweb", "train", "--corpus", tiny_corpus.id,
                           "--distribute", "multiworker", "--tf-config", tf_config],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "TF_CONFIG's task must be a worker 0…1, not chief 0" in done.stderr and "Traceback" not in done.stderr
    assert not runs.list_runs()  # refused before a run folder was made


def test_validation_loss_on_demand_matches_the_last_epoch_end(tiny_corpus):
    run_dir = new_run(tiny_corpus, steps=10)
    trainer.train(run_dir)
    metrics = runs.Run(run_dir).metrics()
    kept = metrics["kept_val_loss"].dropna() if "kept_val_loss" in metrics else []
    # the checkpoint holds the last weights, or the best ones where the run overfitted after them
    recorded = kept.iloc[-1] if len(kept) else metrics["val_loss"].dropna().iloc[-1]
    assert training.evaluate(run_dir) == pytest.approx(recorded, abs=1e-3)
    rows = runs.Run(run_dir).metrics()
    assert rows["on_demand"].fillna(False).astype(bool).sum() == 1


def test_a_stalled_save_leaves_every_threads_stack_in_the_log(tmp_path, monkeypatch):
    """The final save once stalled past the stop's grace: when it happens again, the job log says where."""
    log = open(tmp_path / "job.log", "w+")
    monkeypatch.setattr(sys, "stderr", log)

    def stalled_save():
        time.sleep(1.0)
    with session.reporting_a_stall(0.2):
        stalled_save()
    log.flush()
    report = (tmp_path / "job.log").read_text()
    assert "stalled_save" in report and ("Thread 0x" in report or "Current thread" in report)
    with session.reporting_a_stall(0.3):  # a quick block: the report is cancelled when it ends
        pass
    time.sleep(0.6)
    assert (tmp_path / "job.log").read_text() == report


def test_a_time_budget_counts_training_not_the_start_up(tiny_corpus):
    """A job whose start took 100 s (TensorFlow's import on a busy machine) still trains for its whole budget,
    and the start-up is recorded apart."""
    run_dir = new_run(tiny_corpus, steps=100_000, max_seconds=2)
    result = trainer.train(run_dir, started=time.monotonic() - 100)
    assert result["step"] > 5 and result["startup_s"] >= 100, result
    metrics = runs.Run(run_dir).metrics()
    assert metrics["startup_s"].dropna().tolist() == [result["startup_s"]]
    assert 2 <= runs.Run(run_dir).latest_checkpoint()["seconds"] < 100


def test_the_quality_floor_is_a_trigram_models_held_out_loss():
    import numpy as np
    from namuweb.language_model import data as lm_data, model as lm_model, settings as lm_settings
    rng = np.random.default_rng(0)
    cycle = np.tile(np.array([3, 1, 4, 1, 5, 9, 2, 6]), 400)  # the next token follows from the two before it
    chunks = cycle[: 21 * (len(cycle) // 21)].reshape(-1, 21)
    assert lm_data.trigram_floor(chunks[:-10], chunks[-10:], 10) < 0.1 * np.log(10)  # the fixed weights keep ~0.09
    noise = rng.integers(0, 10, size=(300, 21))
    assert abs(lm_data.trigram_floor(noise[:-20], noise[-20:], 10) - np.log(10)) < 0.1


def unreachable_floor(run_dir):
    """The run's floor set out of reach (0 nats), as a crowded machine's few steps would leave it."""
    from namuweb import storage
    run = runs.Run(run_dir)
    storage.write_json(run.config_file, run.settings() | {"quality_floor": 0.0})
    return run_dir


def test_a_run_below_its_quality_floor_stops_instead_of_finishing_and_continues_with_one_more_budget(tiny_corpus):
    """A time budget spent below the floor (as on a crowded machine: here a budget of about two steps) stops the
    run with the reason; a step budget trains as asked and finishes, marked below its floor all the same."""
    from namuweb import jobs
    run_dir = unreachable_floor(new_run(tiny_corpus, steps=None, max_seconds=1))
    with pytest.raises(jobs.JobIncomplete, match="below its quality floor: after [0-9]+ steps?"):
        jobs.run_here(training.TRAINING, run_dir)
    status = jobs.read_status(run_dir)
    assert status.state == "stopped" and "python -m namuweb train --run-dir" in status.error
    info = runs.run_info(run_dir)
    floor = runs.Run(run_dir).settings()["quality_floor"]
    assert info.below_floor and info.best_val_loss >= floor
    assert runs.Run(run_dir).prepare_to_continue() == 1  # the budget was spent: one more of the same size
    assert runs.Run(run_dir).config().max_seconds == 2 and runs.Run(run_dir).prepare_to_continue() is None
    by_steps = unreachable_floor(new_run(tiny_corpus, steps=2))
    assert "finished at step 2" in jobs.run_here(training.TRAINING, by_steps)
    assert jobs.read_status(by_steps).state == "finished" and runs.run_info(by_steps).below_floor
    run_dir_ok = new_run(tiny_corpus, steps=None, max_seconds=20)
    jobs.run_here(training.TRAINING, run_dir_ok)
    assert jobs.read_status(run_dir_ok).state == "finished" and not runs.run_info(run_dir_ok).below_floor


def test_the_cli_says_plainly_when_a_run_ends_below_its_floor_and_continues_it(tiny_corpus, isolated_home):
    env = {**os.environ, "NAMUWEB_HOME": str(isolated_home)}
    run_dir = unreachable_floor(new_run(tiny_corpus, steps=None, max_seconds=1))
    command = [sys.executable, "-m", "namuweb", "train", "--run-dir", str(run_dir)]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 3, first.stderr
    assert "namuweb train: below its quality floor" in first.stderr and "Traceback" not in first.stderr
    steps = runs.run_info(run_dir).steps
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 3 and "its budget was spent; training 1 s more" in again.stderr, again.stderr
    assert runs.run_info(run_dir).steps > steps
    renamed = subprocess.run([sys.executable, "-m", "namuweb", "rename-run", run_dir.name, "첫 모델"], env=env,
                             capture_output=True, text=True, timeout=300)
    assert renamed.returncode == 0 and runs.run_info(run_dir).name == "첫 모델"
    listed = subprocess.run([sys.executable, "-m", "namuweb", "runs"], env=env, capture_output=True, text=True,
                            timeout=300).stdout
    assert "'첫 모델'" in listed
