"""Training runs on disk: one folder per run under ``<data>/runs/``.

Everything a page or a second tab needs to show a run — its settings, its
vocabulary, its curves, its status and its checkpoints — is a file here, so
nothing lives only in a browser session and a run outlives the server.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from namuweb import config as app_config
from namuweb.corpora import corpus
from namuweb import jobs, storage
from namuweb.language_model import charlm
from namuweb.language_model.charlm import UNBOUNDED_STEPS, TrainConfig
from namuweb.text.vocab import Vocabulary, count_characters, jamo_counts, load_vocab

if TYPE_CHECKING:
    import pandas as pd  # imported where used: the training worker never loads pandas (see __main__)

CONFIG_FILE = "config.json"
VOCAB_FILE = "vocab.json"
TOKENS_FILE = "tokens.bin"  # the corpus as token ids (the vocabulary's dtype), written by the trainer
METRICS_FILE = "metrics.jsonl"
CHECKPOINTS = "checkpoints"
LATEST = "latest.json"
FOLDERS = jobs.JobFolders("runs", CONFIG_FILE)  # the training job kind is declared in trainer.py
CHECKPOINT_NAME = re.compile(r"step-(\d+)\.keras")  # what the trainer writes; nothing else is ever loaded


def checkpoint_name(step: int) -> str:
    """The file name of the checkpoint of ``step`` (sorts by step)."""
    return f"step-{step:08d}.keras"


def checkpoint_step(name: str) -> int | None:
    """The step a checkpoint file name holds, or None for any other name."""
    found = CHECKPOINT_NAME.fullmatch(name)
    return int(found.group(1)) if found else None


class RunError(ValueError):
    """A problem with a run the user can act on; one line."""


runs_dir = FOLDERS.root_dir
run_dirs = FOLDERS.all  # newest first; a symlink is not a run of this app and is left out


def find_run(ref: str, home: Path | None = None) -> Path:
    """The folder of run ``ref`` (an id from a URL, a table or the CLI) — never outside the runs folder."""
    try:
        folder = app_config.child_path(runs_dir(home), ref, "run")
    except app_config.UnsafeId as error:
        raise RunError(str(error)) from None
    if folder.is_symlink() or not (folder / CONFIG_FILE).is_file():
        raise RunError(f"no run {ref!r}; see the Train page or python -m namuweb runs")
    return folder




def runs_using(corpus_id: str, home: Path | None = None) -> list[Path]:
    """Runs trained on ``corpus_id``: what deleting that corpus would leave unable to resume."""
    using = []
    for folder in run_dirs(home):
        try:
            if storage.read_json(folder / CONFIG_FILE).get("corpus") == corpus_id:
                using.append(folder)
        except (OSError, ValueError):
            continue  # an unreadable run is listed as such on the Train page
    return using


def create_run(config: TrainConfig, home: Path | None = None, run_dir: Path | None = None,
               characters: Counter | None = None) -> Path:
    """A new run folder with its config and the corpus's vocabulary (a model carries its own).

    ``characters``: the corpus's character counts where the caller has just counted them (a
    pass over a large corpus takes seconds)."""
    found = corpus.get_corpus(config.corpus, home)
    config.corpus = found.id
    stamp = storage.utc_stamp()
    folder = Path(run_dir) if run_dir else runs_dir(home) / storage.new_name(config.preset, stamp=stamp)
    if (folder / CONFIG_FILE).exists():
        raise RunError(f"{folder} already holds a run; resume it or choose another folder")
    characters = count_characters(found) if characters is None else characters
    jamo = config.tokenization == "jamo"
    vocab = Vocabulary.from_counts(jamo_counts(characters) if jamo else characters, tokenizer="jamo" if jamo else "char")
    check_demo_limits(config, vocab.total)  # before the folder exists: a refused run leaves nothing
    storage.make_private_dirs(folder)
    run = Run(folder)
    vocab.save(run.vocab_file)
    data = config.to_json() | {"corpus_name": found.name, "created": stamp,
                               "tokens_per_char": round(vocab.total / max(sum(characters.values()), 1), 6),
                               "name": default_name(found.name, config.preset, stamp),
                               "budget": {k: getattr(config, k) for k in ("epochs", "steps", "max_seconds")}}
    storage.write_json(run.config_file, data)
    return folder


MAX_NAME_CHARS = 100


def default_name(corpus_name: str, preset: str, stamp: str) -> str:
    """What a run is called until a visitor renames it: its corpus, its preset and when it started
    (``KoCoNovel · quick demo · 2026-12-07 15:51``), from a ``YYYYmmdd-HHMMSS`` stamp."""
    when = f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}" if len(stamp) >= 13 else stamp
    label = charlm.PRESET_LABELS.get(preset, preset)
    return corpus.display_name(f"{corpus_name[:50]} · {label} · {when}")


@dataclass(frozen=True)
class FloorVerdict:
    """How a run's best held-out loss compares with its quality floor (both nats per token)."""

    best: float | None
    floor: float
    tokens_per_char: float | None

    @property
    def reached(self) -> bool:
        return self.best is not None and self.best < self.floor

    def _bits(self, loss: float | None) -> str:
        if loss is None:
            return "nothing yet (no validation)"
        bits = bits_per_char(loss, self.tokens_per_char)
        return f"{bits:.2f} bits per character" if bits is not None else f"{loss:.3f} nats per token"

    @property
    def bits_text(self) -> str:
        return self._bits(self.best)

    @property
    def floor_bits_text(self) -> str:
        return self._bits(self.floor)


@dataclass(frozen=True)
class Run:
    """One run folder, and the only code that knows its files (settings, vocabulary, token ids,
    metrics, checkpoints and ``latest.json``) and how many steps its settings make."""

    path: Path

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))

    @property
    def id(self) -> str:
        return self.path.name

    config_file = property(lambda self: self.path / CONFIG_FILE)
    vocab_file = property(lambda self: self.path / VOCAB_FILE)
    tokens_file = property(lambda self: self.path / TOKENS_FILE)  # the corpus as token ids, written by the trainer
    metrics_file = property(lambda self: self.path / METRICS_FILE)
    checkpoints_dir = property(lambda self: self.path / CHECKPOINTS)

    def settings(self) -> dict:
        """The stored settings as written (with the corpus's name and tokens per character)."""
        try:
            return storage.read_json(self.config_file)
        except FileNotFoundError:
            raise RunError(f"{self.path} is not a training run (no {CONFIG_FILE})") from None

    def config(self) -> TrainConfig:
        return TrainConfig.from_json(self.settings())

    def vocab(self) -> Vocabulary:
        return load_vocab(self.vocab_file)

    def corpus(self, home: Path | None = None) -> corpus.Corpus:
        """The corpus the run trains on; a deleted one is a RunError saying what the run can still do."""
        config = self.config()
        try:
            return corpus.get_corpus(config.corpus, home)
        except corpus.CorpusNotFound:
            name = self.settings().get("corpus_name") or config.corpus
            raise RunError(f"the corpus “{name}” this run trained on has been deleted: the run still generates "
                           "text (a model carries its own vocabulary), but it cannot resume or be evaluated") from None

    # --- step arithmetic: the trainer's, from the vocabulary's token count (no pass over the corpus)

    def steps_per_epoch(self) -> int:
        return charlm.steps_per_epoch(self.vocab().total, self.config())

    def planned_steps(self) -> int:
        return charlm.planned_steps(self.config(), self.vocab().total)

    # --- metrics

    def metrics(self) -> pd.DataFrame:
        """All metric rows; a half-written last line (a writer mid-append) is ignored."""
        import pandas as pd
        rows = storage.read_jsonl(self.metrics_file)
        return pd.DataFrame(rows, columns=sorted({k for r in rows for k in r} | {"step", "loss", "val_loss"}))

    def truncate_metrics(self, after_step: int) -> None:
        """Drop rows past ``after_step`` — steps a killed worker trained after its last checkpoint,
        which a resume trains again — so the curve continues without duplicate steps."""
        if not self.metrics_file.exists():
            return
        kept = []
        with open(self.metrics_file, encoding="utf-8") as f:
            for line in f:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if line.endswith("\n") and row.get("step", 0) <= after_step:
                    kept.append(line)
        storage.atomic_write(self.metrics_file, "".join(kept))

    # --- checkpoints

    def latest_checkpoint(self) -> dict | None:
        """``{"file", "step", "epoch", "epoch_step"}`` of the newest complete checkpoint.

        ``file`` must be a name the trainer writes (``step-N.keras``) of a regular file in
        the run's own ``checkpoints/`` folder: a ``latest.json`` naming ``../x`` or a symlink
        to somewhere else counts as no checkpoint, so nothing outside the run is ever loaded."""
        folder = self.checkpoints_dir
        try:
            latest = json.loads((folder / LATEST).read_text(encoding="utf-8"))
            name = latest["file"]
        except (FileNotFoundError, ValueError, TypeError, KeyError):
            return None
        if not isinstance(name, str) or not CHECKPOINT_NAME.fullmatch(name):
            return None
        path = folder / name
        if path.is_symlink() or not path.is_file() or path.resolve().parent != folder.resolve():
            return None
        return latest

    def checkpoint_file(self) -> Path:
        """The latest checkpoint's file, checked by :meth:`latest_checkpoint`; RunError if there is none."""
        latest = self.latest_checkpoint()
        if latest is None:
            raise RunError("this run has no checkpoint yet")
        return self.checkpoints_dir / latest["file"]

    # --- budget and quality floor

    def budget_spent(self, latest: dict) -> bool:
        """Whether the checkpoint ``latest`` is at the end of the run's budget (steps, epochs or seconds)."""
        config = self.config()
        if latest["step"] >= charlm.total_steps(config, self.steps_per_epoch()):
            return True
        return bool(config.max_seconds) and float(latest.get("seconds", 0.0)) >= config.max_seconds

    def prepare_to_continue(self) -> float | int | None:
        """Before resuming: a run whose budget is spent (below its floor, or finished) gets one more budget of
        the size it was started with; returns what was added (seconds or steps), None when nothing was."""
        from namuweb.language_model import checkpoints
        latest = self.latest_checkpoint()
        if latest is None or not self.budget_spent(latest) or checkpoints.verify(self.checkpoint_file()) is not None:
            return None  # a damaged last checkpoint: the trainer falls back past it, within the budget
        before = self.config()
        after = self.extend_budget()
        return (after.max_seconds - before.max_seconds) if before.max_seconds else \
            charlm.total_steps(after, self.steps_per_epoch()) - charlm.total_steps(before, self.steps_per_epoch())

    def extend_budget(self) -> TrainConfig:
        """One more budget of the size the run was started with (continuing a run that spent its own)."""
        settings = self.settings()
        first = settings.get("budget") or {k: settings.get(k) for k in ("epochs", "steps", "max_seconds")}
        for key in ("epochs", "steps", "max_seconds"):
            if settings.get(key) and first.get(key):
                settings[key] = settings[key] + first[key]
        settings["budget"] = first
        storage.write_json(self.config_file, settings)
        return TrainConfig.from_json(settings)

    def quality_floor(self, compute=None) -> float | None:
        """The run's quality floor (:func:`charlm.trigram_floor`, nats per token), computed by ``compute()``
        the first time and kept in its settings."""
        settings = self.settings()
        if settings.get("quality_floor") is None and compute is not None:
            settings["quality_floor"] = value = compute()
            if value is not None:
                storage.write_json(self.config_file, settings)
        return settings.get("quality_floor")

    def floor_verdict(self) -> FloorVerdict | None:
        """The run's best validation loss against its floor; None when it has no floor (no held-out text).
        Read without pandas: the training worker runs without it."""
        settings = self.settings()
        if settings.get("quality_floor") is None:
            return None
        losses = [row["val_loss"] for row in storage.read_jsonl(self.metrics_file)
                  if isinstance(row.get("val_loss"), (int, float))]
        return FloorVerdict(min(losses) if losses else None, settings["quality_floor"], settings.get("tokens_per_char"))

    def rename(self, name: str) -> str:
        """Give the run a new display name (its folder, and so every link to it, stays)."""
        app_config.refuse_in_demo("renaming runs", RunError)
        try:
            shown = corpus.checked_name(name, MAX_NAME_CHARS)
        except corpus.CorpusError as error:
            raise RunError(str(error).replace("corpus name", "run name")) from None
        settings = self.settings()
        settings["name"] = shown
        storage.write_json(self.config_file, settings)
        return shown

    def point_latest(self, name: str, step: int, per_epoch: int, **extra) -> dict:
        """Make ``latest.json`` name checkpoint ``name``: its step and where in the data that is (epoch
        ``step div per_epoch``, batch ``step mod per_epoch``); ``extra`` adds fields (``seconds`` trained)."""
        epoch, epoch_step = divmod(step, per_epoch)
        latest = {"file": name, "step": step, "epoch": epoch, "epoch_step": epoch_step, **extra, "time": time.time()}
        storage.write_json(self.checkpoints_dir / LATEST, latest)
        return latest


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


def bits_per_char(nats_per_token: float | None, tokens_per_char: float | None) -> float | None:
    """A loss in nats per token as bits per character of the text (``None`` when either is unknown):
    a character is ``tokens_per_char`` tokens on average (about 2.4 jamo tokens for Korean text; 1 for a
    run on syllables), so runs on either tokenization compare."""
    if nats_per_token is None or not tokens_per_char:
        return None
    return nats_per_token * tokens_per_char / math.log(2)


def run_info(run_dir: Path) -> RunInfo:
    run_dir = Path(run_dir)
    status = jobs.enforce_stop(run_dir)  # the Train page watches runs through this
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
    return [run_info(folder) for folder in run_dirs(home)
            if (status := jobs.enforce_stop(folder)) and status.active]


def check_demo_limits(config: TrainConfig, tokens: int) -> None:
    """In demo mode, refuse training when it is off or when the run would exceed the demo's steps."""
    demo = app_config.demo_settings()
    if not demo:
        return
    if not demo.training_allowed:
        raise RunError("training is off in this demo; generate with the models already here")
    steps = charlm.planned_steps(config, tokens)
    if config.max_seconds and steps >= UNBOUNDED_STEPS:  # only a time budget: the job's own clock limits it
        if config.max_seconds > demo.max_job_seconds:
            raise RunError(f"this demo trains for at most {demo.max_job_seconds:g} s per run, and these settings "
                           f"ask for {config.max_seconds:g} s; lower the time budget")
        return
    if steps > demo.max_steps:
        raise RunError(f"this demo trains at most {demo.max_steps:,} steps per run, and these settings "
                       f"take {steps:,}; lower the epochs or the step budget")


def check_startable(run_dir: Path) -> None:
    """Refuse to start (or resume) training ``run_dir`` before a worker starts only to fail: a deleted
    corpus, a demo's limits."""
    run = Run(run_dir)
    run.corpus()
    if app_config.demo_settings():
        check_demo_limits(run.config(), run.vocab().total)


def max_training_jobs() -> int:
    """Training jobs at once (``NAMUWEB_MAX_TRAINING_JOBS``, default 1: two would share the cores)."""
    return int(os.environ.get("NAMUWEB_MAX_TRAINING_JOBS", "1"))


def delete_run(run_dir: Path, home: Path | None = None) -> None:
    """Delete a run folder of this app (one directly in the runs folder; refused in demo mode)."""
    app_config.refuse_in_demo("deleting runs", RunError)
    run_dir = Path(run_dir)
    if run_dir.resolve().parent != runs_dir(home).resolve() or run_dir.is_symlink():
        raise RunError(f"{run_dir} is not a run in {runs_dir(home)}")
    status = jobs.current_status(run_dir)
    if status and status.active:
        raise RunError("stop the run before deleting it")
    if not (run_dir / CONFIG_FILE).is_file():
        raise RunError(f"{run_dir} is not a training run")
    shutil.rmtree(run_dir)


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


def training_progress(step: int, total: int | None, *, seconds: float | None = None,
                      max_seconds: float | None = None, steps_per_s: float | None = None, message: str = "",
                      **extra) -> jobs.Progress:
    """A run's progress record: counted in steps, or in seconds trained when a time budget will end
    the run first (the ETA is then what is left of the budget)."""
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


def progress(info: RunInfo, metrics: pd.DataFrame, window: int = 20) -> jobs.Progress:
    """Where a run is, from its metrics (the rate from the recent steps) and its job's total."""
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
    return training_progress(step, total, seconds=seconds, max_seconds=info.config.get("max_seconds"),
                             steps_per_s=rate, message=f"epoch {epoch}" + (f" · loss {loss:.3f}" if loss else ""),
                             epoch=epoch, loss=loss,
                             tokens_per_s=float(recent["tokens_per_s"].median()) if len(recent) else None)


@dataclass(frozen=True)
class MeasuredSpeed:
    flops_per_second: float  # the model's arithmetic per second of training
    startup_seconds: float   # a job's start before its first step: TensorFlow's import, the first tracing


REFERENCE_SPEED = MeasuredSpeed(1.6e11, 6.0)  # the quick demo with the fused CPU pass on 2 cores


def measured_speed(home: Path | None = None, recent: int = 5) -> MeasuredSpeed:
    """How fast this machine trains, from its ``recent`` newest runs (the 2-core reference where none
    tells): what the Train page's time estimate is calibrated with. One read of each run's metrics."""
    import pandas as pd
    rates, waits = [], []
    for info in list_runs(home)[:recent]:
        run = Run(info.path)
        metrics = run.metrics()
        if "tokens_per_s" in metrics and metrics["tokens_per_s"].notna().sum() > 5:
            config = TrainConfig.from_json(info.config)
            vocab_size = run.vocab().size
            rates.append(metrics["tokens_per_s"].dropna().iloc[3:].median() * charlm.flops_per_token(vocab_size, config))
        if info.status and info.status.started and "time" in metrics and "loss" in metrics \
                and metrics["loss"].notna().any():
            wait = float(metrics.dropna(subset=["loss"])["time"].iloc[0]) - info.status.started
            if 0 < wait < 600:
                waits.append(wait)
    return MeasuredSpeed(float(pd.Series(rates).median()) if rates else REFERENCE_SPEED.flops_per_second,
                         float(pd.Series(waits).median()) if waits else REFERENCE_SPEED.startup_seconds)


@dataclass(frozen=True)
class RunPlan:
    """What a new run of some settings would do on this machine, said before anything starts: its
    steps, how long they take (from this machine's recent runs), or why it cannot start."""

    steps_per_epoch: int
    steps: int                # UNBOUNDED_STEPS when only a time budget ends the run
    seconds_per_step: float
    startup_seconds: float
    max_seconds: float | None
    problem: str | None = None  # too big for memory, too little text for a batch, past a demo's limit
    feasible: bool = True       # the settings can train here (at most a demo's limit refuses them)

    @property
    def time_budget_only(self) -> bool:
        return self.steps >= UNBOUNDED_STEPS

    @property
    def seconds(self) -> float:
        """From the job's start to a finished model."""
        if self.time_budget_only:
            return float(self.max_seconds)
        seconds = self.startup_seconds + self.steps * self.seconds_per_step
        return min(seconds, self.max_seconds) if self.max_seconds else seconds

    @property
    def steps_within_budget(self) -> int:
        """The steps a time budget leaves room for (all planned steps without one)."""
        if not self.time_budget_only:
            return self.steps
        return int(max(self.seconds - self.startup_seconds, 0) / self.seconds_per_step)


def plan_run(config: TrainConfig, tokens: int, vocab_size: int, home: Path | None = None) -> RunPlan:
    """The plan of a run of ``config`` on a corpus of ``tokens`` tokens (jamo or characters, as
    ``config.tokenization`` says) and ``vocab_size`` kinds."""
    speed = measured_speed(home)  # this machine's recent runs calibrate the estimate
    problem, feasible = None, True
    try:  # refused before any job starts: a corpus that cannot fill a batch, a model too big for memory
        charlm.check_memory(vocab_size, config)
        charlm.check_corpus_size(tokens, config)
    except ValueError as error:
        problem, feasible = str(error), False
    else:
        try:
            check_demo_limits(config, tokens)
        except RunError as error:
            problem = str(error)
    return RunPlan(steps_per_epoch=charlm.steps_per_epoch(tokens, config), steps=charlm.planned_steps(config, tokens),
                   seconds_per_step=charlm.estimate_seconds_per_step(vocab_size, config, speed.flops_per_second),
                   startup_seconds=speed.startup_seconds, max_seconds=config.max_seconds, problem=problem,
                   feasible=feasible)
