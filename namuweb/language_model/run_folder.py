"""One training run: a folder under ``<data>/runs/``, and the only code that knows its files.

Everything a page or a second tab needs to show a run — its settings, its vocabulary, its curves,
the samples it wrote while it learned, its status and its checkpoints — is a file here, so nothing
lives only in a browser session and a run outlives the server.  :class:`Run` reads and writes them:
its settings and step plan, its metrics and samples logs, its checkpoints (saved atomically, pruned,
checked, repaired past damage), its budget and quality floor.  Creating a run and the checks before
it trains are at the end.

A checkpoint's step fixes where in the data it was (:meth:`StepPlan.epoch_of`), so an older
checkpoint, which has no ``latest.json`` of its own, resumes exactly.
"""

from __future__ import annotations

import functools
import json
import math
import re
import time
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from namuweb import config as app_config
from namuweb import jobs, storage
from namuweb.corpora import corpus
from namuweb.language_model.settings import PRESET_LABELS, StepPlan, TrainConfig, step_plan
from namuweb.text.vocab import Vocabulary, count_characters, jamo_counts, load_vocab

if TYPE_CHECKING:
    import pandas as pd  # imported where used: the training worker never loads pandas (see __main__)

CONFIG_FILE = "config.json"
VOCAB_FILE = "vocab.json"
TOKENS_FILE = "tokens.bin"  # the corpus as token ids (the vocabulary's dtype), written by the trainer
METRICS_FILE = "metrics.jsonl"
SAMPLES_FILE = "samples.jsonl"  # short texts the model wrote while it trained (session.SampleWriter)
TENSORBOARD = "tensorboard"
CHECKPOINTS = "checkpoints"
LATEST = "latest.json"
CHECKPOINT_NAME = re.compile(r"step-(\d+)\.keras")  # what the trainer writes; nothing else is ever loaded
TEMPORARY_CHECKPOINT = ".tmp.keras"  # a checkpoint mid-save (Keras insists on the suffix)
DAMAGED = ".damaged"  # a checkpoint that failed its check, kept beside the others, never loaded
KEEP_CHECKPOINTS = 2
KERAS_WEIGHTS = "model.weights.h5"  # inside a .keras archive: what generation reads without Keras
KERAS_MEMBERS = ("config.json", KERAS_WEIGHTS)  # what every intact .keras archive holds
# what a failed first session leaves that a resume makes again: the token file, a checkpoint cut off mid-save
PARTIAL_FILES = (TOKENS_FILE, f"{CHECKPOINTS}/.*{TEMPORARY_CHECKPOINT}")
FOLDERS = jobs.JobFolders("runs", CONFIG_FILE)  # the training job kind is declared in training.py
runs_dir = FOLDERS.root_dir


def checkpoint_name(step: int) -> str:
    """The file name of the checkpoint of ``step`` (sorts by step)."""
    return f"step-{step:08d}.keras"


def checkpoint_step(name: str) -> int | None:
    """The step a checkpoint file name holds, or None for any other name."""
    found = CHECKPOINT_NAME.fullmatch(name)
    return int(found.group(1)) if found else None


class RunError(ValueError):
    """A problem with a run the user can act on; one line."""


class DamagedCheckpoint(RunError):
    """Every checkpoint of a run is damaged; the message says which and what to do."""


def bits_per_char(nats_per_token: float | None, tokens_per_char: float | None) -> float | None:
    """A loss in nats per token as bits per character of the text (``None`` when either is unknown):
    a character is ``tokens_per_char`` tokens on average (about 2.4 jamo tokens for Korean text; 1 for a
    run on syllables), so runs on either tokenization compare."""
    if nats_per_token is None or not tokens_per_char:
        return None
    return nats_per_token * tokens_per_char / math.log(2)


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


def verify(path: Path) -> str | None:
    """``None`` for an intact ``.keras`` archive, else why it is damaged (one short phrase): its zip
    directory and every member's CRC (milliseconds for these models).

    Remembered per file version (path, size, modification time), since pages ask every few seconds."""
    try:
        stat = Path(path).stat()
    except FileNotFoundError:
        return "the file is missing"
    except OSError as error:
        return f"it cannot be read ({error})"
    return _verify(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _verify(path: str, size: int, mtime_ns: int) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            missing = [name for name in KERAS_MEMBERS if name not in archive.namelist()]
            if missing:
                return f"it lacks {', '.join(missing)}"
            broken = archive.testzip()
            if broken is not None:
                return f"{broken} fails its checksum"
    except FileNotFoundError:
        return "the file is missing"
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, ValueError, NotImplementedError) as error:
        return f"not a complete Keras archive ({error})"
    return None


@dataclass
class Inspection:
    """A run's checkpoints as a resume would find them."""

    good: tuple[int, Path] | None           # the newest intact checkpoint
    damaged: list[tuple[Path, str]] = field(default_factory=list)   # newer ones that are not intact
    latest_ok: bool = True                  # latest.json names ``good``

    @property
    def resumable(self) -> bool:
        """False only when checkpoints exist and none of them is intact."""
        return self.good is not None or not self.damaged

    def describe_damage(self) -> str:
        return "; ".join(f"{path.name} is damaged: {why}" for path, why in self.damaged)

    def resume_message(self) -> str | None:
        """What a resume will do about damage, for the page and the CLI; ``None`` when nothing is wrong."""
        if not self.damaged:
            return None
        if self.good is None:
            return f"{self.describe_damage()}; no intact checkpoint is left, so this run cannot resume — start a new run"
        return f"{self.describe_damage()}; resuming from the intact checkpoint at step {self.good[0]:,}"


@dataclass(frozen=True)
class Run:
    """One run folder: its settings, vocabulary, token ids, metrics, samples, TensorBoard events, checkpoints and
    ``latest.json``, and how many steps its settings make."""

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
    samples_file = property(lambda self: self.path / SAMPLES_FILE)
    tensorboard_dir = property(lambda self: self.path / TENSORBOARD)
    checkpoints_dir = property(lambda self: self.path / CHECKPOINTS)

    def is_run(self) -> bool:
        """A run folder of this app: its settings are a regular file."""
        try:
            return self.config_file.is_file()
        except OSError:
            return False

    # --- settings, vocabulary, corpus

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

    def plan(self, tokens: int | None = None, workers: int = 1) -> StepPlan:
        """Its steps per epoch and total (:func:`settings.step_plan`), from the corpus's ``tokens`` (default:
        the vocabulary's count, so no pass over the corpus) on ``workers`` workers."""
        return step_plan(self.config(), self.vocab().total if tokens is None else tokens, workers)

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

    # --- metrics

    def metrics(self) -> pd.DataFrame:
        """All metric rows; a half-written last line (a writer mid-append) is ignored."""
        import pandas as pd
        rows = storage.read_jsonl(self.metrics_file)
        return pd.DataFrame(rows, columns=sorted({k for r in rows for k in r} | {"step", "loss", "val_loss"}))

    def metrics_log(self) -> storage.JsonlAppender:
        """The metrics log, open for appending (one ``os.write`` per row)."""
        return storage.JsonlAppender(self.metrics_file).open()

    def append_metrics(self, row: dict) -> None:
        storage.append_jsonl(self.metrics_file, row)

    def truncate_metrics(self, after_step: int) -> None:
        """Drop rows past ``after_step`` — steps a killed worker trained after its last checkpoint,
        which a resume trains again — so the curve continues without duplicate steps."""
        if not self.metrics_file.exists():
            return
        kept = [row for row in storage.read_jsonl(self.metrics_file) if row.get("step", 0) <= after_step]
        storage.atomic_write(self.metrics_file, "".join(json.dumps(row, default=storage.jsonable) + "\n" for row in kept))

    # --- samples written while it trained

    def samples(self) -> list[dict]:
        """The samples the run wrote while it trained, oldest first: a row per text with ``step``, ``seconds``
        (trained by then), ``temperature``, ``text`` (the start text and what followed), ``seed``, ``sample_s``
        (what that moment's samples cost), ``end`` (the session's last) and ``time``; a half-written last line is
        ignored.  Read without pandas (the training worker runs without it)."""
        return storage.read_jsonl(self.samples_file)

    def samples_log(self) -> storage.JsonlAppender:
        """The samples log, open for appending (one ``os.write`` per row)."""
        return storage.JsonlAppender(self.samples_file).open()

    def truncate_samples(self, after_step: int) -> None:
        """Drop samples past ``after_step``, as :meth:`truncate_metrics` drops the rows of steps a killed worker
        trained after its last checkpoint: their weights are gone, and a resume writes samples of its own."""
        if not self.samples_file.exists():
            return
        kept = [row for row in self.samples()  # and no half-written line, nor a row the trainer never wrote
                if isinstance(row.get("step"), int) and row["step"] <= after_step]
        storage.atomic_write(self.samples_file,
                                 "".join(json.dumps(row, default=storage.jsonable) + "\n" for row in kept))

    # --- checkpoints

    def checkpoint_files(self) -> list[tuple[int, Path]]:
        """``(step, path)`` of the run's checkpoint files, newest first."""
        folder = self.checkpoints_dir
        if not folder.is_dir():
            return []
        return sorted(((step, p) for p in folder.iterdir() if (step := checkpoint_step(p.name)) is not None),
                      reverse=True)

    def latest_checkpoint(self) -> dict | None:
        """``{"file", "step", "epoch", "epoch_step"}`` of the newest complete checkpoint.

        ``file`` must be a name the trainer writes (``step-N.keras``) of a regular file in
        the run's own ``checkpoints/`` folder: a ``latest.json`` naming ``../x`` or a symlink
        to somewhere else counts as no checkpoint, so nothing outside the run is ever loaded."""
        try:
            latest = storage.read_json(self.checkpoints_dir / LATEST)
            name = latest["file"]
        except (FileNotFoundError, ValueError, TypeError, KeyError):
            return None
        if not isinstance(name, str) or self.checkpoint_path(name) is None:
            return None
        return latest

    def checkpoint_path(self, name: str) -> Path | None:
        """The checkpoint file ``name`` of this run: a name the trainer writes, a regular file in its own
        ``checkpoints/`` folder (not a symlink out of it); None for anything else."""
        if not CHECKPOINT_NAME.fullmatch(name):
            return None
        folder = self.checkpoints_dir
        path = folder / name
        if path.is_symlink() or not path.is_file() or path.resolve().parent != folder.resolve():
            return None
        return path

    def checkpoint_file(self) -> Path:
        """The latest checkpoint's file, checked by :meth:`latest_checkpoint`; RunError if there is none."""
        latest = self.latest_checkpoint()
        if latest is None:
            raise RunError("this run has no checkpoint yet")
        return self.checkpoints_dir / latest["file"]

    def save_checkpoint(self, model, step: int, plan: StepPlan, seconds: float = 0.0) -> dict:
        """Write ``model`` (weights and optimizer state) as the run's newest checkpoint, atomically (a
        temporary name moved into place before ``latest.json`` points at it, so a crash never leaves a
        corrupt latest checkpoint); keep the newest :data:`KEEP_CHECKPOINTS`.  ``seconds``: trained so far,
        which a time budget counts on resume."""
        folder = storage.make_private_dirs(self.checkpoints_dir)
        name = checkpoint_name(step)
        with storage.atomic_path(folder / name, suffix=TEMPORARY_CHECKPOINT) as temporary:
            model.save(temporary)
        latest = self.point_latest(name, step, plan, seconds=round(seconds, 3))
        for _, old in self.checkpoint_files()[KEEP_CHECKPOINTS:]:
            old.unlink(missing_ok=True)
        return latest

    def point_latest(self, name: str, step: int, plan: StepPlan, **extra) -> dict:
        """Make ``latest.json`` name checkpoint ``name``: its step and where in the data that is;
        ``extra`` adds fields (``seconds`` trained)."""
        epoch, epoch_step = plan.epoch_of(step)
        latest = {"file": name, "step": step, "epoch": epoch, "epoch_step": epoch_step, **extra, "time": time.time()}
        storage.write_json(self.checkpoints_dir / LATEST, latest)
        return latest

    def inspect_checkpoints(self) -> Inspection:
        """The newest intact checkpoint, the damaged ones newer than it, and whether latest.json agrees."""
        damaged, good = [], None
        for step, path in self.checkpoint_files():
            why = verify(path)
            if why is None:
                good = (step, path)
                break
            damaged.append((path, why))
        latest = self.latest_checkpoint()
        latest_ok = good is None or (latest is not None and latest.get("file") == good[1].name)
        return Inspection(good=good, damaged=damaged, latest_ok=latest_ok)

    def repair_checkpoints(self) -> Inspection:
        """Before a resume: move damaged checkpoints aside (``*.damaged``, kept, never deleted) and point
        latest.json at the newest intact one.  Raises ``DamagedCheckpoint`` when checkpoints exist but none
        is intact."""
        inspection = self.inspect_checkpoints()
        if inspection.damaged and inspection.good is None:
            raise DamagedCheckpoint(inspection.resume_message())
        for path, _ in inspection.damaged:
            path.replace(path.with_name(path.name + DAMAGED))
        if inspection.good is not None and not inspection.latest_ok:
            step, path = inspection.good
            self.point_latest(path.name, step, self.plan(), recovered=True)
        return inspection

    # --- budget and quality floor

    def budget_spent(self, latest: dict) -> bool:
        """Whether the checkpoint ``latest`` is at the end of the run's budget (steps, epochs or seconds)."""
        config = self.config()
        if latest["step"] >= self.plan().total:
            return True
        return bool(config.max_seconds) and float(latest.get("seconds", 0.0)) >= config.max_seconds

    def prepare_to_continue(self) -> float | int | None:
        """Before resuming: a run whose budget is spent (below its floor, or finished) gets one more budget of
        the size it was started with; returns what was added (seconds or steps), None when nothing was."""
        latest = self.latest_checkpoint()
        if latest is None or not self.budget_spent(latest) or verify(self.checkpoint_file()) is not None:
            return None  # a damaged last checkpoint: the trainer falls back past it, within the budget
        before, steps_before = self.config(), self.plan().total
        after = self.extend_budget()
        return (after.max_seconds - before.max_seconds) if before.max_seconds else self.plan().total - steps_before

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
        """The run's quality floor (:func:`data.trigram_floor`, nats per token), computed by ``compute()``
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


# --- a new run, and the checks before one trains

MAX_NAME_CHARS = 100


def default_name(corpus_name: str, preset: str, stamp: str) -> str:
    """What a run is called until a visitor renames it: its corpus, its preset and when it started
    (``KoCoNovel · quick demo · 2026-12-07 15:51``), from a ``YYYYmmdd-HHMMSS`` stamp."""
    when = f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}" if len(stamp) >= 13 else stamp
    label = PRESET_LABELS.get(preset, preset)
    return corpus.display_name(f"{corpus_name[:50]} · {label} · {when}")


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
    check_demo_limits(config, step_plan(config, vocab.total))  # before the folder exists: a refused run leaves nothing
    storage.make_private_dirs(folder)
    run = Run(folder)
    vocab.save(run.vocab_file)
    data = config.to_json() | {"corpus_name": found.name, "created": stamp,
                               "tokens_per_char": round(vocab.total / max(sum(characters.values()), 1), 6),
                               "name": default_name(found.name, config.preset, stamp),
                               "budget": {k: getattr(config, k) for k in ("epochs", "steps", "max_seconds")}}
    storage.write_json(run.config_file, data)
    return folder


def check_demo_limits(config: TrainConfig, plan: StepPlan) -> None:
    """In demo mode, refuse training when it is off or when the run would exceed the demo's steps."""
    demo = app_config.demo_settings()
    if not demo:
        return
    if not demo.training_allowed:
        raise RunError("training is off in this demo; generate with the models already here")
    if config.max_seconds and plan.time_budget_only:  # only a time budget: the job's own clock limits it
        if config.max_seconds > demo.max_job_seconds:
            raise RunError(f"this demo trains for at most {demo.max_job_seconds:g} s per run, and these settings "
                           f"ask for {config.max_seconds:g} s; lower the time budget")
        return
    if plan.total > demo.max_steps:
        raise RunError(f"this demo trains at most {demo.max_steps:,} steps per run, and these settings "
                       f"take {plan.total:,}; lower the epochs or the step budget")


def check_startable(run_dir: Path) -> None:
    """Refuse to start (or resume) training ``run_dir`` before a worker starts only to fail: a deleted
    corpus, a demo's limits."""
    run = Run(run_dir)
    run.corpus()
    if app_config.demo_settings():
        config = run.config()
        check_demo_limits(config, step_plan(config, run.vocab().total))
