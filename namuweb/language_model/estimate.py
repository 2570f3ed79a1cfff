"""What a new run of some settings would do on this machine, said before anything starts: its step
plan, how long it takes (calibrated on this machine's recent runs), or why it cannot start; and the Train page's
proposal built from them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from namuweb import jobs, warmup

from namuweb.language_model import runs
from namuweb.language_model.run_folder import Run, RunError, check_demo_limits
from namuweb.language_model.settings import (StepPlan, TrainConfig, check_corpus_size, check_memory,
                                             estimate_seconds_per_step, flops_per_token, step_plan)


@dataclass(frozen=True)
class MeasuredSpeed:
    flops_per_second: float  # the model's arithmetic per second of training
    startup_seconds: float   # a job's start before its first step: TensorFlow's import, the first tracing


# Until this machine's own runs tell: the quick demo with the fused CPU pass on a small CPU (bench/time_to_quality.py).
REFERENCE_SPEED = MeasuredSpeed(1.6e11, 6.0)


def measured_speed(home: Path | None = None, recent: int = 5) -> MeasuredSpeed:
    """How fast this machine trains, from its ``recent`` newest runs (:data:`REFERENCE_SPEED` where none
    tells): what the Train page's time estimate is calibrated with. One read of each run's metrics."""
    import pandas as pd
    rates, waits = [], []
    for info in runs.list_runs(home)[:recent]:
        run = Run(info.path)
        metrics = run.metrics()
        if "tokens_per_s" in metrics and metrics["tokens_per_s"].notna().sum() > 5:
            config = TrainConfig.from_json(info.config)
            rates.append(metrics["tokens_per_s"].dropna().iloc[3:].median() * flops_per_token(run.vocab().size, config))
        if info.status and info.status.started and "time" in metrics and "loss" in metrics \
                and metrics["loss"].notna().any():
            wait = float(metrics.dropna(subset=["loss"])["time"].iloc[0]) - info.status.started
            if 0 < wait < 600:
                waits.append(wait)
    return MeasuredSpeed(float(pd.Series(rates).median()) if rates else REFERENCE_SPEED.flops_per_second,
                         float(pd.Series(waits).median()) if waits else REFERENCE_SPEED.startup_seconds)


@dataclass(frozen=True)
class RunPlan:
    """What a new run of some settings would do on this machine: its steps, how long they take, or why it
    cannot start."""

    steps: StepPlan
    seconds_per_step: float
    startup_seconds: float
    max_seconds: float | None
    problem: str | None = None  # too big for memory, too little text for a batch, past a demo's limit
    feasible: bool = True       # the settings can train here (at most a demo's limit refuses them)

    @property
    def seconds(self) -> float:
        """From the job's start to a finished model."""
        if self.steps.time_budget_only:
            return float(self.max_seconds)
        seconds = self.startup_seconds + self.steps.total * self.seconds_per_step
        return min(seconds, self.max_seconds) if self.max_seconds else seconds

    @property
    def seconds_per_epoch(self) -> float:
        return self.steps.per_epoch * self.seconds_per_step

    @property
    def steps_within_budget(self) -> int:
        """The steps a time budget leaves room for (all planned steps without one)."""
        if not self.steps.time_budget_only:
            return self.steps.total
        return int(max(self.seconds - self.startup_seconds, 0) / self.seconds_per_step)


def plan_run(config: TrainConfig, tokens: int, vocab_size: int, home: Path | None = None) -> RunPlan:
    """The plan of a run of ``config`` on a corpus of ``tokens`` tokens (jamo or characters, as
    ``config.tokenization`` says) and ``vocab_size`` kinds."""
    speed = measured_speed(home)  # this machine's recent runs calibrate the estimate
    steps = step_plan(config, tokens)
    problem, feasible = None, True
    try:  # refused before any job starts: a corpus that cannot fill a batch, a model too big for memory
        check_memory(vocab_size, config)
        check_corpus_size(tokens, config)
    except ValueError as error:
        problem, feasible = str(error), False
    else:
        try:
            check_demo_limits(config, steps)
        except RunError as error:
            problem = str(error)
    return RunPlan(steps=steps, seconds_per_step=estimate_seconds_per_step(vocab_size, config, speed.flops_per_second),
                   startup_seconds=speed.startup_seconds, max_seconds=config.max_seconds, problem=problem,
                   feasible=feasible)


@dataclass(frozen=True)
class Proposal:
    """A new run as the Train page proposes it: its checked settings, a line on the device and the time it
    takes, and why it cannot start."""

    config: TrainConfig | None
    line: str | None      # Markdown: the device, steps and time per epoch, the whole run
    error: str | None
    startable: bool


def propose(corpus_id: str, preset: str, settings: dict, corpus_figures: Callable[[TrainConfig], tuple[int, int]],
            home: Path | None = None) -> Proposal:
    """Settings from the Train page's form, checked, planned on the corpus (``corpus_figures(config)``: its
    tokens and vocabulary size, as the config tokenizes it) and on this machine's TensorFlow."""
    try:
        config = TrainConfig(corpus=corpus_id, preset=preset, **settings).validated()
    except ValueError as problem:
        return Proposal(None, None, str(problem), False)
    tf = warmup.available("tensorflow")  # None while a fresh server still checks it in the background
    if tf is None:
        device = "still checking (TensorFlow is starting)"
    elif not tf.ok:
        device = "TensorFlow unavailable — " + tf.detail
    else:
        device = ("GPU: " + tf.detail) if "GPU" in tf.detail and "no GPU" not in tf.detail else "CPU"
    plan = plan_run(config, *corpus_figures(config), home=home)
    if plan.steps.time_budget_only:
        this_run = (f"this run: **{jobs.format_seconds(plan.seconds)}** from start to a finished model, "
                    f"about {plan.steps_within_budget:,} steps")
    else:
        this_run = f"this run: {plan.steps.total:,} steps ≈ {jobs.format_seconds(plan.seconds)} from start to a finished model"
    line = (f"**Device:** {device} · **{plan.steps.per_epoch:,} steps per epoch** · about "
            f"**{jobs.format_seconds(plan.seconds_per_epoch)} per epoch** · {this_run} (estimated from this "
            "machine's recent runs)") if plan.feasible else None
    return Proposal(config, line, plan.problem, plan.problem is None and (tf is None or tf.ok))
