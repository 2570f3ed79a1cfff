"""The runs as the pages and the CLI see them: the list, what each one is at a glance, where a
training run is, their curves side by side, and deleting one.

One run folder's files are :mod:`namuweb.language_model.run_folder`'s; this module only reads
them through its :class:`Run`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from namuweb import config as app_config
from namuweb import jobs
from namuweb.language_model.run_folder import (FOLDERS, FloorVerdict, Run, RunError, bits_per_char, create_run,
                                               default_name, runs_dir)
from namuweb.language_model.settings import PRESET_LABELS, UNBOUNDED_STEPS

if TYPE_CHECKING:
    import pandas as pd  # imported where used: the training worker never loads pandas (see __main__)

__all__ = ["FloorVerdict", "Run", "RunError", "bits_per_char", "create_run", "runs_dir"]  # what pages use beside these

run_dirs = FOLDERS.all  # newest first; a symlink is not a run of this app and is left out


@dataclass
class RunInfo:
    id: str
    path: Path
    config: dict
    status: jobs.JobStatus | None
    steps: int
    best_val_loss: float | None
    last_loss: float | None

    @property
    def state(self) -> str:
        return self.status.state if self.status else "created"

    @property
    def active(self) -> bool:
        return bool(self.status and self.status.active)

    @property
    def name(self) -> str:
        """Its display name: given by a visitor, or its corpus, preset and start."""
        return self.config.get("name") or default_name(str(self.config.get("corpus_name", self.config.get("corpus", ""))),
                                                       str(self.config.get("preset", "")), self.id)

    @property
    def below_floor(self) -> bool:
        """Ended (or stopped) with its best validation no better than its quality floor."""
        floor = self.config.get("quality_floor")
        return floor is not None and (self.best_val_loss is None or self.best_val_loss >= floor)

    @property
    def floor_verdict(self) -> FloorVerdict | None:
        floor = self.config.get("quality_floor")
        return None if floor is None else FloorVerdict(self.best_val_loss, floor, self.config.get("tokens_per_char"))

    @property
    def duration(self) -> float | None:
        if not self.status or not self.status.started:
            return None
        return (self.status.ended or self.status.updated or self.status.started) - self.status.started

    @property
    def device(self) -> str:
        return (self.status.progress.extra.get("device") if self.status else None) or ""

    @property
    def best_val_bits_per_char(self) -> float | None:
        """The best validation loss in bits per character of the corpus (comparable across tokenizations)."""
        return bits_per_char(self.best_val_loss, self.config.get("tokens_per_char"))


def run_info(run_dir: Path, status: jobs.JobStatus | None = None) -> RunInfo:
    """One run's figures; ``status`` as a watcher just read it (each view enforces a stop once), else read
    and enforced here."""
    run_dir = Path(run_dir)
    status = status or jobs.enforce_stop(run_dir)
    run = Run(run_dir)
    metrics = run.metrics()
    steps = int(metrics["step"].max()) if metrics["step"].notna().any() else 0
    val = metrics["val_loss"].dropna()
    losses = metrics["loss"].dropna()
    return RunInfo(id=run_dir.name, path=run_dir,
                   config=run.settings(),
                   status=status, steps=steps, best_val_loss=float(val.min()) if len(val) else None,
                   last_loss=float(losses.iloc[-1]) if len(losses) else None)


def list_runs(home: Path | None = None) -> list[RunInfo]:
    infos = []
    for folder in run_dirs(home):
        try:
            infos.append(run_info(folder))
        except (OSError, ValueError, KeyError):
            continue
    return infos


def active_runs(home: Path | None = None) -> list[RunInfo]:
    """Runs training now; only their curves are read (pages call this every few seconds)."""
    return [run_info(folder, status) for folder in run_dirs(home)
            if (status := jobs.enforce_stop(folder)) and status.active]


def runs_using(corpus_id: str, home: Path | None = None) -> list[Path]:
    """Runs trained on ``corpus_id``: what deleting that corpus would leave unable to resume."""
    using = []
    for folder in run_dirs(home):
        try:
            if Run(folder).settings().get("corpus") == corpus_id:
                using.append(folder)
        except (OSError, ValueError):
            continue  # an unreadable run is listed as such on the Train page
    return using


def delete_run(run_dir: Path, home: Path | None = None) -> None:
    """Delete a run folder of this app (one directly in the runs folder; refused in demo mode)."""
    app_config.refuse_in_demo("deleting runs", RunError)
    run_dir = Path(run_dir)
    if run_dir.resolve().parent != runs_dir(home).resolve() or run_dir.is_symlink():
        raise RunError(f"{run_dir} is not a run in {runs_dir(home)}")
    status = jobs.current_status(run_dir)
    if status and status.active:
        raise RunError("stop the run before deleting it")
    if not Run(run_dir).is_run():
        raise RunError(f"{run_dir} is not a training run")
    shutil.rmtree(run_dir)


# --- where a training run is

def progress_record(step: int, total: int | None, *, seconds: float | None = None,
                    max_seconds: float | None = None, steps_per_s: float | None = None, message: str = "",
                    **extra) -> jobs.Progress:
    """A training run's job progress record: counted in steps, or in seconds trained when a time budget will
    end the run first (the ETA is then what is left of the budget)."""
    bounded = bool(total) and total < UNBOUNDED_STEPS
    eta = (total - step) / steps_per_s if steps_per_s and bounded else None
    if max_seconds and seconds is not None:
        left = max(max_seconds - seconds, 0.0)
        eta = left if eta is None else min(eta, left)
        if not bounded or seconds / max_seconds > step / total:
            return jobs.Progress(done=min(seconds, max_seconds), total=max_seconds, unit="s", eta_s=eta,
                                 message=f"step {step:,}" + (f" · {message}" if message else ""),
                                 extra={"step": step, "total_steps": total, **extra})
    return jobs.Progress(done=step, total=total if bounded else None, unit="steps", rate=steps_per_s, eta_s=eta,
                         message=message, extra={"step": step, "total_steps": total, **extra})


def progress_from_metrics(info: RunInfo, metrics: pd.DataFrame, window: int = 20) -> jobs.Progress:
    """Where a run is, read from its metrics (the rate from the recent steps) and its job's total."""
    import pandas as pd
    reported = info.status.progress.extra if info.status else {}
    total = reported.get("total_steps") or 0
    steps = metrics.dropna(subset=["loss"]) if "loss" in metrics else metrics.iloc[0:0]
    step = int(steps["step"].iloc[-1]) if len(steps) else int(reported.get("step", 0))
    recent = steps.tail(window)
    rate = None
    if len(recent) >= 2 and recent["time"].iloc[-1] > recent["time"].iloc[0]:
        rate = (recent["step"].iloc[-1] - recent["step"].iloc[0]) / (recent["time"].iloc[-1] - recent["time"].iloc[0])
    seconds = float(steps["seconds"].iloc[-1]) if len(steps) and "seconds" in steps \
        and pd.notna(steps["seconds"].iloc[-1]) else None
    epoch = int(steps["epoch"].iloc[-1]) if len(steps) else 1
    loss = float(steps["loss"].iloc[-1]) if len(steps) else None
    return progress_record(step, total, seconds=seconds, max_seconds=info.config.get("max_seconds"),
                           steps_per_s=rate, message=f"epoch {epoch}" + (f" · loss {loss:.3f}" if loss else ""),
                           epoch=epoch, loss=loss,
                           tokens_per_s=float(recent["tokens_per_s"].median()) if len(recent) else None)


@dataclass(frozen=True)
class LiveFigures:
    """What the Train page shows of the run it watches, read from its metrics in one pass."""

    progress: jobs.Progress
    step: int
    total: int | None        # None when only a time budget ends the run
    epoch: int
    loss: float | None
    val_loss: float | None   # the last validation
    bits_per_char: float | None
    tokens_per_s: float | None
    startup_s: float | None  # the latest session's, from the job's start to its first step
    kept: tuple[int, float] | None  # (step, validation loss) of the best weights a finished run kept

    @classmethod
    def of(cls, info: RunInfo, metrics: pd.DataFrame) -> LiveFigures:
        where = progress_from_metrics(info, metrics)
        val = metrics["val_loss"].dropna() if "val_loss" in metrics else metrics.iloc[0:0]
        last_val = float(val.iloc[-1]) if len(val) else None
        total = where.extra["total_steps"]
        startup = metrics["startup_s"].dropna() if "startup_s" in metrics else metrics.iloc[0:0]
        kept = metrics.dropna(subset=["kept_step"]).iloc[-1] if "kept_step" in metrics \
            and metrics["kept_step"].notna().any() else None
        return cls(progress=where, step=where.extra["step"], total=total if total and total < UNBOUNDED_STEPS else None,
                   epoch=where.extra["epoch"], loss=where.extra["loss"], val_loss=last_val,
                   bits_per_char=bits_per_char(last_val, info.config.get("tokens_per_char")),
                   tokens_per_s=where.extra["tokens_per_s"], startup_s=float(startup.iloc[-1]) if len(startup) else None,
                   kept=(int(kept["kept_step"]), float(kept["kept_val_loss"])) if kept is not None else None)

    def tiles(self) -> list[tuple[str, str, str | None]]:
        """``(label, value, help)`` of each figure, as the page shows them side by side."""
        def shown(value, form: str) -> str:
            return "–" if value is None else format(value, form)
        return [("Step", f"{self.step:,} / {self.total:,}" if self.total else f"{self.step:,}", f"epoch {self.epoch}"),
                ("Loss", shown(self.loss, ".3f"), "training loss of the last step, nats per jamo token"),
                ("Val loss", shown(self.val_loss, ".3f"), "on a fixed sample of held-out text, nats per jamo token"),
                ("Bits/char", shown(self.bits_per_char, ".2f"),
                 "the validation loss in bits per character of the text: comparable across tokenizations"),
                ("Tokens/s", shown(self.tokens_per_s or None, ",.0f"), None),
                ("Start-up", "–" if self.startup_s is None else f"{self.startup_s:.1f} s",
                 "from pressing Train to the end of the first training step (starting TensorFlow, building the "
                 "model and tracing its step); a time budget counts only the training after it")]


# --- curves, one run's and several side by side

def curves(metrics: pd.DataFrame, smoothing: float = 0.9) -> pd.DataFrame:
    """Long-form loss curves for charts: raw step loss, its exponential moving average
    (TensorBoard's smoothing, debiased), and validation loss, each point with its step and the
    seconds the run had trained by then (runs from before that was recorded: seconds since their
    first row)."""
    import pandas as pd
    metrics = metrics.copy()
    if "seconds" not in metrics:
        metrics["seconds"] = float("nan")
    if "time" in metrics and metrics["seconds"].isna().any() and metrics["time"].notna().any():
        metrics["seconds"] = metrics["seconds"].fillna(metrics["time"] - metrics["time"].min())
    steps = metrics.dropna(subset=["loss"]) if "loss" in metrics else metrics.iloc[0:0]
    frames = []
    if len(steps):
        raw = steps[["step", "seconds", "loss"]].rename(columns={"loss": "value"}).assign(series="loss")
        smoothed = steps["loss"].ewm(alpha=1 - smoothing, adjust=True).mean() if smoothing else steps["loss"]
        frames += [raw, raw.assign(value=smoothed.to_numpy(), series="loss (smoothed)")]
    val = metrics.dropna(subset=["val_loss"]) if "val_loss" in metrics else metrics.iloc[0:0]
    if len(val):
        frames.append(val[["step", "seconds", "val_loss"]].rename(columns={"val_loss": "value"})
                      .assign(series="val loss"))
    if not frames:
        return pd.DataFrame({"step": pd.Series(dtype=int), "seconds": pd.Series(dtype=float),
                             "value": pd.Series(dtype=float), "series": pd.Series(dtype=str)})
    return pd.concat(frames, ignore_index=True)


def compared_curves(infos: list[RunInfo]) -> tuple["pd.DataFrame", str]:
    """The curves of several runs in one frame (a ``run`` column) and their unit: bits per character
    when every run knows its tokens per character, so runs on jamo and on syllables compare fairly;
    else nats per token."""
    import pandas as pd
    factors = [bits_per_char(1.0, info.config.get("tokens_per_char")) for info in infos]
    in_bits = all(factors)
    frames = [curves(Run(info.path).metrics()).assign(run=info.id) for info in infos]
    if in_bits:
        frames = [frame.assign(value=frame["value"] * factor) for frame, factor in zip(frames, factors)]
    return pd.concat(frames, ignore_index=True), "bits / character" if in_bits else "nats / token"


# --- samples written while it learned

def learning_samples(run_dir: Path) -> list[dict]:
    """The samples a run wrote while it trained, newest first, one row per moment: its ``step``, the
    ``seconds`` it had trained by then, and the text at each temperature (a column ``temperature 0.5`` …)."""
    moments: dict[int, dict] = {}
    for row in Run(run_dir).samples():
        step, text, temperature = row.get("step"), row.get("text"), row.get("temperature")
        if not isinstance(step, int) or not isinstance(text, str) or not isinstance(temperature, (int, float)):
            continue  # not a row the trainer writes
        seconds = row.get("seconds") if isinstance(row.get("seconds"), (int, float)) else None
        moment = moments.setdefault(step, {"step": step, "seconds": seconds})
        moment[f"temperature {temperature:.1f}"] = text
    return sorted(moments.values(), key=lambda moment: -moment["step"])


# --- the table of runs, and what one of them can do

TABLE_NUMBERS = {"best val loss": "nats per token (jamo or syllable), on held-out text",  # column: its help
                 "bits/char": "the same loss in bits per character of the text: comparable across tokenizations",
                 "last loss": None}


def table_row(info: RunInfo) -> dict:
    """A run as the Train page's table lists it."""
    return {"name": info.name, "state": info.state,
            "quality floor": "–" if info.config.get("quality_floor") is None or info.active
            else "below" if info.below_floor else "reached",
            "corpus": info.config.get("corpus_name", info.config.get("corpus")),
            "preset": PRESET_LABELS.get(info.config.get("preset"), info.config.get("preset")),
            "tokens": info.config.get("tokenization", "jamo"),
            "steps": info.steps, "best val loss": info.best_val_loss, "bits/char": info.best_val_bits_per_char,
            "last loss": info.last_loss,
            "duration": jobs.format_seconds(info.duration) if info.duration is not None else "–", "device": info.device}


@dataclass(frozen=True)
class Actions:
    """What a run's buttons may do now, and the warnings that say why not."""

    latest: dict | None          # its latest checkpoint, None before the first
    checkpoint: Path | None      # that checkpoint's file, to download
    damage: str | None           # damaged checkpoints, and what a resume will do about them
    orphaned: str | None         # its corpus was deleted: it still generates, but cannot resume or be evaluated
    can_resume: bool
    can_evaluate: bool

    @classmethod
    def of(cls, info: RunInfo) -> Actions:
        run = Run(info.path)
        inspection = run.inspect_checkpoints()
        try:
            run.corpus()
            orphaned = None
        except RunError as problem:
            orphaned = str(problem)
        latest = run.latest_checkpoint()
        return cls(latest=latest, checkpoint=run.checkpoint_file() if latest else None,
                   damage=inspection.resume_message(), orphaned=orphaned,
                   can_resume=info.state in ("stopped", "interrupted", "failed") and inspection.resumable
                   and not orphaned,
                   can_evaluate=latest is not None and not info.active and not orphaned)
