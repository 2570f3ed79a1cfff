"""The char-LSTM's settings: presets, limits, the step plan every part of training shares, and
what settings cost (memory, arithmetic) — checked before anything is allocated or any job starts.

Nothing here imports Keras or reads a run folder: the pages, the CLI and the trainer all ask this module.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass

PRESETS: dict[str, dict] = {
    # "A good model, fast": a time budget of training, so the promise holds on any machine.  Chosen on the
    # novels (bench/preset_sweep.py, 25 s, held-out bits per character; README): in 25 s many quick steps of a
    # narrow LSTM at a high rate beat a wide one (width, rate, batch, sequence, dropout, schedule swept); on the
    # built-in corpus the same settings win too.
    "demo": dict(embedding=64, units=128, layers=1, dropout=0.2, batch=32, seq_len=64,
                 learning_rate=0.02, epochs=None, steps=None, max_seconds=25, val_share=0.05),
    # "A better model in five minutes": wider than the quick demo, its learning rate decaying over the budget.
    # Chosen on the novels (bench/preset_sweep.py, 300 s, held-out bits per character; README): LSTM 256 with
    # light dropout at rate 0.01 beat LSTM 384 (dropout 0.2) and the earlier LSTM 512 with dropout 0.5 at 0.005,
    # which was chosen on the 65,000-character built-in corpus, where a model overfits within a minute.
    "better": dict(embedding=64, units=256, layers=1, dropout=0.1, batch=32, seq_len=64, learning_rate=0.01,
                   schedule="cosine", epochs=None, steps=None, max_seconds=300, val_share=0.05),
    # The tutorial's settings: Embedding(V,128) → LSTM(128) → Dense(V), batch 100 × 300 tokens, Adam.
    "tutorial": dict(embedding=128, units=128, layers=1, dropout=0.0, batch=100, seq_len=300,
                     learning_rate=0.001, epochs=1, steps=None, val_share=0.05),
}
SCHEDULES = ("constant", "cosine")
TOKENIZATIONS = ("jamo", "syllables")  # the tutorial's jamo and ᴥ, or whole characters
QUICK_DEMO_SECONDS_ENV = "NAMUWEB_QUICK_DEMO_SECONDS"


def preset_settings(preset: str) -> dict:
    """A preset's settings (``custom`` starts from the tutorial's); ``$NAMUWEB_QUICK_DEMO_SECONDS``
    sets the quick demo's time budget for a deployment."""
    settings = dict(PRESETS.get(preset, PRESETS["tutorial"]))
    if preset == "demo" and (seconds := os.environ.get(QUICK_DEMO_SECONDS_ENV, "").strip()):
        try:
            settings["max_seconds"] = float(seconds)
        except ValueError:
            raise ValueError(f"{QUICK_DEMO_SECONDS_ENV} must be a number of seconds, got {seconds!r}") from None
    return settings


def quick_demo_time() -> str:
    """How long the quick demo trains, as every page that mentions it says it: its time budget (the preset's,
    or this deployment's ``$NAMUWEB_QUICK_DEMO_SECONDS``), counted from its first step."""
    return f"{preset_settings('demo')['max_seconds']:g} seconds of training"

def scheduled_rate(config: "TrainConfig", done: float) -> float:
    """The learning rate when ``done`` (0…1) of the run's budget is spent: constant, or a cosine
    from the configured rate down to a tenth of it at the end of the budget."""
    if config.schedule == "constant":
        return config.learning_rate
    done = min(max(done, 0.0), 1.0)
    return config.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * done)))


PRESET_LABELS = {"demo": "quick demo", "better": "better model (5 min)", "tutorial": "tutorial", "custom": "custom"}
PRESET_NAMES = (*PRESETS, "custom")  # in the order the Train page offers them

LIMITS = {  # name: (minimum, maximum) — checked before anything is allocated
    "embedding": (1, 4096), "units": (1, 8192), "layers": (1, 8), "dropout": (0.0, 0.9),
    "batch": (1, 4096), "seq_len": (2, 10_000), "learning_rate": (1e-7, 1.0),
    "epochs": (1, 100_000), "steps": (1, 10_000_000), "val_share": (0.0, 0.5), "seed": (0, 2**31 - 1),
    "max_seconds": (1, 10**7),
}


def _bound(value) -> str:
    """A limit for a message: whole numbers in full (1048576, not 1.04858e+06), others short."""
    return str(value) if isinstance(value, int) else f"{value:g}"


@dataclass
class TrainConfig:
    corpus: str
    preset: str = "demo"
    embedding: int = 128
    units: int = 128
    layers: int = 1
    dropout: float = 0.0
    batch: int = 100
    seq_len: int = 300
    learning_rate: float = 0.001
    epochs: int | None = 1
    steps: int | None = None
    val_share: float = 0.05
    seed: int = 0
    mixed_precision: bool = False
    distribute: str = "auto"          # auto | none | mirrored | multiworker
    max_seconds: float | None = None  # a wall-clock budget: training stops once the run has trained this long
    schedule: str = "constant"        # constant | cosine (the learning rate decays to a tenth over the budget)
    tokenization: str = "jamo"        # jamo (the tutorial's: a syllable is its jamo and ᴥ) | syllables

    @classmethod
    def from_preset(cls, corpus: str, preset: str = "demo", **overrides) -> "TrainConfig":
        if preset not in PRESET_NAMES:
            raise ValueError(f"unknown preset {preset!r}; choose {', '.join(PRESET_NAMES)}")
        base = preset_settings(preset)
        base.update({k: v for k, v in overrides.items() if v is not None})
        if overrides.get("steps") is not None and overrides.get("epochs") is None:
            base["epochs"] = None
        if overrides.get("epochs") is not None and overrides.get("steps") is None:
            base["steps"] = None
        if overrides.get("max_seconds") is not None and overrides.get("epochs") is None \
                and overrides.get("steps") is None:  # only a time budget: as many steps as it allows
            base["epochs"], base["steps"] = None, None
        elif overrides.get("max_seconds") is None and (overrides.get("epochs") is not None
                                                        or overrides.get("steps") is not None):
            base["max_seconds"] = None  # a step or epoch budget given replaces a preset's time budget
        return cls(corpus=corpus, preset=preset, **base).validated()

    def validated(self) -> "TrainConfig":
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if value is None and name in ("epochs", "steps", "max_seconds"):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ValueError(f"{name.replace('_', ' ')} must be between {_bound(low)} and {_bound(high)}, "
                                 f"not {value!r}")
        if self.epochs is None and self.steps is None and self.max_seconds is None:
            raise ValueError("give a number of epochs, a step budget or a time budget")
        if self.tokenization not in TOKENIZATIONS:
            raise ValueError(f"tokenization must be {' or '.join(TOKENIZATIONS)}, not {self.tokenization!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be {' or '.join(SCHEDULES)}, not {self.schedule!r}")
        if self.distribute not in ("auto", "none", "mirrored", "multiworker"):
            raise ValueError(f"distribute must be auto, none, mirrored or multiworker, not {self.distribute!r}")
        return self

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "TrainConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names}).validated()


class CorpusTooSmall(ValueError):
    """The corpus does not fill one training batch; the message names tokens needed and available."""


class TooLargeForMemory(ValueError):
    """The model and batch would not fit this machine's memory; the message says how much they need."""


def validation_chunks(count: int, val_share: float) -> int:
    """How many of ``count`` chunks a validation share holds out (at least one, never all)."""
    return min(count - 1, max(1, round(count * val_share))) if val_share > 0 and count > 1 else 0


def tokens_needed(config: "TrainConfig") -> int:
    """The fewest tokens whose ``seq_len + 1`` chunks leave one full batch after the validation share."""
    count = config.batch
    while count - validation_chunks(count, config.val_share) < config.batch:
        count += 1
    return count * (config.seq_len + 1)


def check_corpus_size(tokens: int, config: "TrainConfig") -> None:
    """Refuse, before any job starts, a corpus that cannot fill one batch."""
    needed = tokens_needed(config)
    if tokens < needed:
        share = f" plus a validation share of {config.val_share:g}" if config.val_share else ""
        raise CorpusTooSmall(
            f"corpus too small: one batch of {config.batch} × {config.seq_len + 1} tokens{share} needs at least "
            f"{needed:,} tokens, and this corpus has {tokens:,}; lower the batch size or the sequence length, "
            "or pick a larger corpus")


UNBOUNDED_STEPS = LIMITS["steps"][1]  # the "total" of a run that has only a time budget


@dataclass(frozen=True)
class StepPlan:
    """How many steps a run's settings make on its corpus: whole batches per epoch, and the total a step or
    epoch budget allows (:data:`UNBOUNDED_STEPS` when only a time budget ends the run).  Step ``s`` is batch
    ``s mod per_epoch`` of epoch ``s div per_epoch``: every epoch runs all its batches and a resume continues
    the step count, so a step alone says where in the data a run is."""

    per_epoch: int
    total: int

    @property
    def time_budget_only(self) -> bool:
        return self.total >= UNBOUNDED_STEPS

    def epoch_of(self, step: int) -> tuple[int, int]:
        """``(epoch, batch within it)`` of global step ``step``, both from 0."""
        return divmod(step, self.per_epoch)


def batches_per_epoch(training_chunks: int, batch: int) -> int:
    """Whole batches in one epoch of ``training_chunks`` chunks (the remainder is dropped, as the tutorial
    does): the plan and the data order agree because both ask this."""
    return training_chunks // batch


def step_plan(config: TrainConfig, tokens: int, workers: int = 1) -> StepPlan:
    """The one step arithmetic: a corpus of ``tokens`` tokens cut into ``seq_len + 1``-token chunks (as
    :meth:`namuweb.language_model.data.Split.of` cuts it), the validation share held out, whole batches of
    ``batch × workers`` chunks per epoch; the total from the step or epoch budget."""
    count = tokens // (config.seq_len + 1)
    per_epoch = batches_per_epoch(count - validation_chunks(count, config.val_share), config.batch * workers)
    if config.steps is None and config.epochs is None:
        total = UNBOUNDED_STEPS
    elif config.steps is not None:
        total = config.steps if config.epochs is None else min(config.steps, config.epochs * per_epoch)
    else:
        total = config.epochs * per_epoch
    return StepPlan(per_epoch, total)


BUDGETS = {"epochs": "Epochs", "steps": "Steps", "time": "Seconds of training"}  # how a budget is given


def budget_of(settings: dict) -> str:
    """Which budget a preset's settings give: a time budget, else epochs, else steps."""
    return "time" if settings.get("max_seconds") else "epochs" if settings.get("epochs") else "steps"


def budget_amount(settings: dict, budget: str) -> int:
    """How many epochs, steps or seconds ``settings`` give as ``budget`` (a default where they give another)."""
    return {"epochs": settings.get("epochs") or 1, "steps": settings.get("steps") or 100,
            "time": int(settings.get("max_seconds") or 60)}[budget]


def budget_settings(budget: str, amount) -> dict:
    """The settings a budget of ``amount`` epochs, steps or seconds sets (the other two off)."""
    return {"epochs": amount if budget == "epochs" else None, "steps": amount if budget == "steps" else None,
            "max_seconds": amount if budget == "time" else None}


def parameter_count(vocab_size: int, config: "TrainConfig") -> int:
    inputs = [config.embedding] + [config.units] * (config.layers - 1)
    lstm = sum(4 * config.units * (width + config.units + 1) for width in inputs)
    return vocab_size * config.embedding + lstm + config.units * vocab_size + vocab_size


def memory_needed(vocab_size: int, config: "TrainConfig") -> int:
    """A rough upper estimate of training memory in bytes: weights, gradients and Adam's two moments
    (4 copies of every parameter), plus the activations one batch keeps for backpropagation
    (embedding, about 6 values per LSTM unit and step, and logits, softmax and their gradient)."""
    per_token = config.embedding + 6 * config.units * config.layers + 3 * vocab_size
    activations = config.batch * config.seq_len * per_token
    return 4 * (4 * parameter_count(vocab_size, config) + activations)


def available_memory() -> int:
    """This machine's physical memory in bytes (0 if unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def check_memory(vocab_size: int, config: "TrainConfig", available: int | None = None) -> None:
    """Refuse settings whose estimate exceeds this machine's memory, before anything is allocated."""
    available = available_memory() if available is None else available
    needed = memory_needed(vocab_size, config)
    if available and needed > available:
        raise TooLargeForMemory(
            f"too large for this machine: {config.layers} layer(s) of {config.units:,} units with batch "
            f"{config.batch} × {config.seq_len:,} tokens need about {needed / 2**30:,.1f} GiB to train "
            f"({parameter_count(vocab_size, config):,} parameters), and this machine has "
            f"{available / 2**30:,.1f} GiB; lower the units, layers, batch size or sequence length")


def flops_per_token(vocab_size: int, config: TrainConfig) -> float:
    """Forward + backward multiply-adds per token, for the time estimate shown before training."""
    lstm = 4 * config.units * (config.embedding + config.units)
    lstm += 4 * config.units * (2 * config.units) * (config.layers - 1)
    return 3 * 2 * (lstm + config.units * vocab_size)


def estimate_seconds_per_step(vocab_size: int, config: TrainConfig, flops_per_second: float) -> float:
    return config.batch * config.seq_len * flops_per_token(vocab_size, config) / flops_per_second

