import json

import pandas as pd
import pytest

from namuweb.language_model import estimate, runs, settings as lm_settings

from namuweb import charts, jobs
from namuweb.language_model.settings import TrainConfig


@pytest.fixture
def run_dir():
    return runs.create_run(TrainConfig.from_preset("builtin", "demo"))


def write_metrics(run_dir, rows, tail=""):
    with open(runs.Run(run_dir).metrics_file, "w", encoding="utf-8") as f:
        f.write("".join(json.dumps(r) + "\n" for r in rows) + tail)


def test_create_run_stores_config_and_the_corpus_vocabulary(run_dir):
    config = json.loads((runs.Run(run_dir).config_file).read_text(encoding="utf-8"))
    assert config["corpus"] == "builtin" and config["preset"] == "demo" and "konlpy" in config["corpus_name"]
    vocab = json.loads((runs.Run(run_dir).vocab_file).read_text(encoding="utf-8"))
    assert len(vocab["chars"]) == 156
    assert config["tokens_per_char"] == pytest.approx(154_939 / 65_209, abs=1e-6)  # jamo tokens per character
    with pytest.raises(runs.RunError, match="already holds a run"):
        runs.create_run(TrainConfig.from_preset("builtin", "demo"), run_dir=run_dir)


def test_read_metrics_ignores_a_half_written_last_line(run_dir):
    write_metrics(run_dir, [{"step": 1, "loss": 3.0, "time": 1.0}, {"step": 2, "loss": 2.5, "time": 2.0}],
                  tail='{"step": 3, "lo')
    metrics = runs.Run(run_dir).metrics()
    assert list(metrics["step"]) == [1, 2]


def test_curves_smooth_and_keep_validation_points(run_dir):
    rows = [{"step": s, "epoch": 1, "loss": 4.0 - 0.1 * s, "tokens_per_s": 10.0, "time": float(s)} for s in range(1, 21)]
    rows.append({"step": 20, "epoch": 1, "val_loss": 2.2, "time": 20.0})
    write_metrics(run_dir, rows)
    curves = runs.curves(runs.Run(run_dir).metrics())
    assert set(curves["series"]) == {"loss", "loss (smoothed)", "val loss"}
    raw = curves[curves.series == "loss"]["value"].to_numpy()
    smooth = curves[curves.series == "loss (smoothed)"]["value"].to_numpy()
    assert smooth[0] == raw[0] and smooth[-1] > raw[-1]  # the average lags a falling curve
    assert curves[curves.series == "val loss"]["value"].tolist() == [2.2]
    chart = charts.loss_chart(curves).to_dict()
    assert len(chart["layer"]) == 2
    overlay = charts.runs_overlay(pd.concat([curves.assign(run="a"), curves.assign(run="b")])).to_dict()
    assert overlay["layer"][0]["encoding"]["color"]["field"] == "run"
    assert overlay["layer"][0]["encoding"]["x"]["field"] == "step"
    by_time = charts.runs_overlay(curves.assign(run="a"), "seconds").to_dict()
    assert by_time["layer"][0]["encoding"]["x"]["field"] == "seconds"
    # rows from before "seconds" was recorded get it from their times
    assert curves[curves.series == "loss"]["seconds"].tolist() == [float(s - 1) for s in range(1, 21)]


def test_bits_per_character_from_nats_per_token(run_dir):
    assert runs.bits_per_char(1.0, 2.0) == pytest.approx(2 / 0.6931471805599453)
    assert runs.bits_per_char(None, 2.0) is None and runs.bits_per_char(1.0, None) is None
    write_metrics(run_dir, [{"step": 5, "loss": 2.0, "time": 1.0}, {"step": 5, "val_loss": 1.5, "time": 1.0}])
    info = runs.run_info(run_dir)
    assert info.best_val_bits_per_char == pytest.approx(1.5 * info.config["tokens_per_char"] / 0.6931471805599453)


def test_progress_of_a_time_budget_counts_seconds(run_dir):
    config = json.loads((runs.Run(run_dir).config_file).read_text())
    assert config["max_seconds"] == 25 and config["steps"] is None  # the quick demo
    write_metrics(run_dir, [{"step": s, "epoch": 1, "loss": 2.0, "tokens_per_s": 100.0, "seconds": 5.0 + s,
                             "time": 100.0 + s} for s in range(1, 11)])
    jobs.write_status(run_dir, state="running", kind="train",
                      progress=jobs.Progress(extra={"total_steps": lm_settings.UNBOUNDED_STEPS}))
    where = runs.progress_from_metrics(runs.run_info(run_dir), runs.Run(run_dir).metrics())
    assert where.fraction == pytest.approx(15 / 25) and where.eta_s == pytest.approx(10.0)
    assert (where.unit, where.extra["step"]) == ("s", 10) and where.line().startswith("60% · 15 of 25 s · step 10")


def test_progress_has_an_eta_from_recent_steps(run_dir):
    write_metrics(run_dir, [{"step": s, "epoch": 1, "loss": 2.0, "tokens_per_s": 100.0, "time": 100.0 + s}
                            for s in range(1, 11)])
    jobs.write_status(run_dir, state="running", kind="train", progress=jobs.Progress(extra={"total_steps": 50}))
    info = runs.run_info(run_dir)
    where = runs.progress_from_metrics(info, runs.Run(run_dir).metrics())
    assert where.done == 10 and where.total == 50 and where.fraction == pytest.approx(0.2)
    assert where.eta_s == pytest.approx(40.0) and where.rate == pytest.approx(1.0)


def test_list_runs_skips_broken_folders_and_delete_refuses_active_runs(run_dir):
    (runs.runs_dir() / "broken").mkdir()
    runs.Run(runs.runs_dir() / "broken").config_file.write_text("{not json")
    assert [i.id for i in runs.list_runs()] == [run_dir.name]
    jobs.write_status(run_dir, state="queued", kind="train", created=9e12)
    with pytest.raises(runs.RunError, match="stop the run"):
        runs.delete_run(run_dir)
    jobs.write_status(run_dir, state="stopped")
    runs.delete_run(run_dir)
    assert runs.list_runs() == []


def test_measured_speed_comes_from_recent_runs_else_the_reference(run_dir):
    from namuweb.language_model import settings as lm_settings
    assert estimate.measured_speed() == estimate.REFERENCE_SPEED  # a run without steps tells nothing
    started = 1_000.0
    jobs.write_status(run_dir, state="finished", kind="train", started=started)
    write_metrics(run_dir, [{"step": s, "loss": 3.0, "tokens_per_s": 1000.0 * (2 if s > 4 else 1),
                             "time": started + 7.5 + s} for s in range(1, 12)])
    speed = estimate.measured_speed()
    config = TrainConfig.from_json(json.loads((runs.Run(run_dir).config_file).read_text(encoding="utf-8")))
    per_token = lm_settings.flops_per_token(156, config)
    assert speed.flops_per_second == pytest.approx(2000.0 * per_token)  # the median after the first three steps
    assert speed.startup_seconds == pytest.approx(8.5)  # start to the first step's row


def test_a_plan_says_steps_time_and_why_a_run_cannot_start(monkeypatch):
    steps = TrainConfig.from_preset("builtin", "custom", epochs=2, batch=10, seq_len=9, val_share=0.0)
    plan = estimate.plan_run(steps, tokens=10_000, vocab_size=50)
    assert (plan.steps.per_epoch, plan.steps.total, plan.problem, plan.feasible) == (100, 200, None, True)
    assert plan.seconds == pytest.approx(plan.startup_seconds + 200 * plan.seconds_per_step)

    timed = TrainConfig.from_preset("builtin", "demo")  # only a time budget
    plan = estimate.plan_run(timed, tokens=100_000, vocab_size=50)
    assert plan.steps.time_budget_only and plan.seconds == timed.max_seconds
    assert plan.steps_within_budget == int((timed.max_seconds - plan.startup_seconds) / plan.seconds_per_step)

    too_big = TrainConfig.from_preset("builtin", "custom", units=8192, layers=8, batch=4096, seq_len=10_000)
    plan = estimate.plan_run(too_big, tokens=100_000_000, vocab_size=50)
    assert not plan.feasible and plan.problem.startswith("too large for this machine")

    monkeypatch.setenv("NAMUWEB_DEMO", "1")
    plan = estimate.plan_run(TrainConfig.from_preset("builtin", "custom", epochs=50, batch=10, seq_len=9),
                             tokens=10_000, vocab_size=50)
    assert plan.feasible and "this demo trains at most" in plan.problem  # settings that run, past a demo's limit


def test_only_run_folder_knows_the_names_of_a_run_folders_own_files():
    """The project's rule: a run folder's file names are known to run_folder.Run alone (pages, the trainer and the
    benchmarks ask it for paths), so a renamed file is one edit."""
    from pathlib import Path
    from namuweb.language_model import run_folder
    root = Path(__file__).resolve().parent.parent
    sources = [path for folder in ("namuweb", "app_pages", "bench", "scripts")
               for path in (root / folder).rglob("*.py")]
    sources += list(root.glob("*.py"))
    for name in (run_folder.METRICS_FILE, run_folder.SAMPLES_FILE, run_folder.TOKENS_FILE, run_folder.LATEST):
        naming = sorted(str(path.relative_to(root)) for path in sources if name in path.read_text(encoding="utf-8"))
        assert naming == ["namuweb/language_model/run_folder.py"], (name, naming)


def test_learning_samples_are_one_row_per_moment_newest_first(run_dir):
    run = runs.Run(run_dir)
    with run.samples_log() as log:
        for step, seconds in ((5, 5.1), (9, 10.3)):
            for temperature in (0.5, 1.0):
                log.write({"step": step, "seconds": seconds, "temperature": temperature,
                           "text": f"{step}@{temperature}"})
        log.write({"step": "x", "text": 3})  # not a row the trainer writes
    with open(run.samples_file, "a", encoding="utf-8") as f:
        f.write('{"step": 12, "seconds"')  # a writer cut off mid-line
    assert runs.learning_samples(run_dir) == [
        {"step": 9, "seconds": 10.3, "temperature 0.5": "9@0.5", "temperature 1.0": "9@1.0"},
        {"step": 5, "seconds": 5.1, "temperature 0.5": "5@0.5", "temperature 1.0": "5@1.0"}]
    run.truncate_samples(after_step=5)  # what a resume from step 5 does
    assert [moment["step"] for moment in runs.learning_samples(run_dir)] == [5]
