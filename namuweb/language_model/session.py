"""A training session of a run, whatever loop drives it: what :mod:`trainer` (one machine, Keras ``fit``)
and :mod:`multiworker` (a cluster, a custom step) share.

The loop reports each step's loss and each validation to a :class:`TrainingSession`, which keeps the
step count and the budget's clock and hands every event to its callbacks, each with one job (the seam
of minGPT's trainer):

* :class:`MetricsLog` — a row per step and per validation in the run's metrics log;
* :class:`TensorBoardLog` — the same losses as TensorBoard scalars (TensorFlow only);
* :class:`StepForwarder` — each step's row to whoever watches (the job's progress);
* :class:`Checkpointer` — a full checkpoint every ``CHECKPOINT_EVERY_S`` while training goes on, and at the end;
* :class:`BestWeights` — the weights of the best validation, put back at the end if they beat the last.

A step or time budget, or a stop request, ends the session (:meth:`TrainingSession.after_step`).
"""

from __future__ import annotations

import contextlib
import faulthandler
import math
import os
import sys
import time
from pathlib import Path
from typing import Callable

from namuweb.language_model.data import Split, encode_to_file
from namuweb.language_model.run_folder import Run
from namuweb.language_model.settings import StepPlan, TrainConfig

CHECKPOINT_EVERY_S = 60.0     # and at the end and at a stop: a kill loses at most this much training
CHECKPOINT_EVERY_ENV = "NAMUWEB_CHECKPOINT_EVERY_S"
VALIDATE_EVERY_STEPS = 50     # on a fixed sample (data.VALIDATION_TOKENS), so it costs little
SAVE_STALL_S = 10.0  # a checkpoint save this slow leaves every thread's stack in the job's log


def quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def load_split(run_dir: Path) -> tuple[TrainConfig, Split]:
    """The run's settings and its chunks, read from a token file the first call writes next to them."""
    run = Run(run_dir)
    config = run.config()
    ids = encode_to_file(run.corpus(), run.vocab(), run.tokens_file)
    return config, Split.of(ids, config.seq_len, config.val_share, config.batch)


def load_checkpoint(run_dir: Path):
    """The run's latest checkpoint as a Keras model.

    Only a file :meth:`Run.latest_checkpoint` accepts (a checkpoint name inside this run's own folder)
    is opened, and with Keras's safe mode on, so a ``.keras`` file can never run code (a ``Lambda``
    layer's pickled function is refused)."""
    import keras
    return keras.models.load_model(Run(run_dir).checkpoint_file(), safe_mode=True)


def validation_interval(total: int) -> int:
    """Steps between validations: every ``VALIDATE_EVERY_STEPS``, and at least eight times in a short run."""
    return max(1, min(VALIDATE_EVERY_STEPS, math.ceil(total / 8)))


def describe_device(strategy) -> str:
    """Where a session trains: the device, the backend, a ``tf.distribute`` strategy's replicas."""
    import keras
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        gpus = tf.config.list_logical_devices("GPU")
        where = f"{len(gpus)} GPU" + ("s" if len(gpus) > 1 else "") if gpus else "CPU"
    elif backend == "jax":
        import jax
        where = jax.devices()[0].platform.upper()
    else:
        where = "CPU"
    if strategy is not None:
        where += f", {type(strategy).__name__} × {strategy.num_replicas_in_sync}"
    return f"{where} ({backend})"


@contextlib.contextmanager
def reporting_a_stall(seconds: float = SAVE_STALL_S):
    """If the block runs longer than ``seconds``, every thread's Python stack goes to stderr (the job log).

    Now and then a run's final save has stalled after a stop (once long enough for the stop's grace to
    kill it, losing the stopped run's model), and it has not been caught in the act; the stacks will say where."""
    try:
        faulthandler.dump_traceback_later(seconds, file=sys.stderr)
    except (AttributeError, ValueError, OSError):  # a stderr without a file descriptor (under a test runner)
        yield
        return
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


class Callback:
    """One job done around a training loop; every event is a no-op unless a piece needs it."""

    def on_start(self, session: TrainingSession) -> None:
        """The session's first step is done: start-up is over."""

    def on_step(self, session: TrainingSession, row: dict) -> None:
        """A step is done; ``row`` is its metrics row."""

    def on_continue(self, session: TrainingSession) -> None:
        """The step just recorded did not end the session: training goes on."""

    def on_validation(self, session: TrainingSession, row: dict) -> None:
        """A validation is done; ``row`` is its metrics row."""

    def close(self) -> None:
        """The session is over (also after an error)."""


class MetricsLog(Callback):
    """Every step's, validation's and start-up's row, appended to the run's metrics log (one write each)."""

    def __init__(self, run: Run):
        self.log = run.metrics_log()

    def on_start(self, session) -> None:
        self.write({"step": session.step, "startup_s": session.startup_s, "time": round(time.time(), 3)})

    def on_step(self, session, row) -> None:
        self.write(row)

    def on_validation(self, session, row) -> None:
        self.write(row)

    def write(self, row: dict) -> None:
        self.log.write(row)

    def close(self) -> None:
        self.log.close()


class TensorBoardLog(Callback):
    """Step loss and validation loss as TensorBoard scalars (TensorFlow backend only)."""

    def __init__(self, run: Run):
        try:
            import tensorboard  # noqa: F401  (tf.summary.scalar fails at the first step without it)
            import tensorflow as tf
            self.tf = tf
            self.writer = tf.summary.create_file_writer(str(run.tensorboard_dir))
        except ImportError as missing:
            print(f"no TensorBoard event files: {missing}", flush=True)  # the curves are in the metrics log
            self.writer = None

    def scalar(self, name: str, value: float, step: int) -> None:
        if self.writer is not None:
            with self.writer.as_default():
                self.tf.summary.scalar(name, value, step=step)

    def on_step(self, session, row) -> None:
        self.scalar("loss", row["loss"], row["step"])

    def on_validation(self, session, row) -> None:
        self.scalar("val_loss", row["val_loss"], row["step"])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.flush()


class StepForwarder(Callback):
    """Each step's row, with the session's total, batch in epoch and start-up, to ``on_step`` (the job's
    progress, or a test)."""

    def __init__(self, on_step: Callable[[dict], None]):
        self.on_step_row = on_step

    def on_step(self, session, row) -> None:
        self.on_step_row(row | {"total": session.plan.total, "epoch_step": session.plan.epoch_of(session.step)[1],
                                "startup_s": session.startup_s})


class Checkpointer(Callback):
    """A full checkpoint (weights and optimizer state) every ``every_s`` seconds of a session that goes on
    (:data:`CHECKPOINT_EVERY_S`, or ``$NAMUWEB_CHECKPOINT_EVERY_S``), and whenever :meth:`save` is called."""

    def __init__(self, run: Run, model, every_s: float | None = None):
        self.run, self.model = run, model
        self.every_s = float(os.environ.get(CHECKPOINT_EVERY_ENV) or CHECKPOINT_EVERY_S) if every_s is None else every_s
        self.saved_at = time.monotonic()

    def on_continue(self, session) -> None:
        if time.monotonic() - self.saved_at >= self.every_s:
            self.save(session)

    def save(self, session: TrainingSession) -> None:
        with reporting_a_stall():
            self.run.save_checkpoint(self.model, session.step, session.plan, seconds=session.trained_seconds())
        self.saved_at = time.monotonic()


class BestWeights(Callback):
    """The weights of this session's best validation; at the end of a run they are put back if they beat the
    last ones: a long run on a small corpus overfits, and the model people generate from should be its best."""

    def __init__(self, model):
        self.model = model
        self.best: tuple[int, float, list] | None = None  # (step, validation loss, weights)
        self.last: float | None = None

    def on_validation(self, session, row) -> None:
        self.last = row["val_loss"]
        if self.best is None or self.last < self.best[1]:
            self.best = (row["step"], self.last, self.model.get_weights())

    def restore(self) -> tuple[int, float] | None:
        """Put the best weights back where they beat the last; ``(step, validation loss)`` of what was kept."""
        if self.best is None or self.last is None or self.best[1] >= self.last:
            return None
        step, val_loss, weights = self.best
        self.model.set_weights(weights)
        return step, val_loss


class TrainingSession:
    """One session of training a run: the step count, the budget's clock, a stop, and the callbacks.

    A time budget counts training after the first step: not the job's start (TensorFlow's import, the
    model's build, the step's tracing take seconds, many more on a busy machine), reported as ``startup_s``."""

    def __init__(self, run: Run, model, config: TrainConfig, plan: StepPlan, *, step: int, budget_s: float | None,
                 started: float, seconds_before: float, should_stop: Callable[[], bool] = lambda: False,
                 on_step: Callable[[dict], None] | None = None, checkpoint_every_s: float | None = None):
        self.config, self.plan = config, plan
        self.step, self.should_stop = step, should_stop
        self.budget_s, self.deadline, self.job_started = budget_s, None, started
        self.seconds_before, self.session_start, self.startup_s = seconds_before, None, None
        self.stopping = False   # the last step ended the session
        self.stopped = False    # ended before its budget (a stop request)
        self.validated_step: int | None = None
        self.metrics = MetricsLog(run)
        self.checkpoints = Checkpointer(run, model, checkpoint_every_s)
        self.best = BestWeights(model)
        self.callbacks: list[Callback] = [self.metrics, TensorBoardLog(run), *([StepForwarder(on_step)] if on_step else []),
                                          self.checkpoints, self.best]

    @property
    def data_epoch(self) -> int:
        """The epoch of the data the session is in, from 1."""
        return self.plan.epoch_of(self.step)[0] + 1

    def trained_seconds(self) -> float:
        """Seconds this run has trained, over all its sessions (what a time budget counts; the
        wall-clock axis of its curves)."""
        return self.seconds_before + (time.monotonic() - self.session_start if self.session_start is not None else 0.0)

    def done(self) -> float:
        """The share of the run's budget spent: steps, or time when that runs out first."""
        share = self.step / max(self.plan.total, 1)
        if self.config.max_seconds:
            share = max(share, self.trained_seconds() / self.config.max_seconds)
        return share

    def _begin(self) -> None:
        """The first step of this session is done: the time budget's clock starts now, and the seconds from
        the job's start to here are its start-up."""
        if self.session_start is not None:
            return
        self.session_start = time.monotonic()
        self.deadline = self.session_start + self.budget_s if self.budget_s is not None else None
        self.startup_s = round(self.session_start - self.job_started, 2)
        for callback in self.callbacks:
            callback.on_start(self)

    def after_step(self, loss: float, seconds: float) -> bool:
        """Record one step that took ``seconds``; True when training should stop."""
        self._begin()
        self.step += 1
        row = {"step": self.step, "epoch": self.data_epoch, "loss": round(loss, 5),
               "tokens_per_s": round(self.config.batch * self.config.seq_len / max(seconds, 1e-9), 1),
               "seconds": round(self.trained_seconds(), 2), "time": round(time.time(), 3)}
        for callback in self.callbacks:
            callback.on_step(self, row)
        out_of_time = self.deadline is not None and time.monotonic() >= self.deadline
        self.stopping = self.step >= self.plan.total or out_of_time or self.should_stop()  # after the row: a stop
        if self.stopping:                                                   # request may count the rows written
            self.stopped = self.step < self.plan.total and not out_of_time
        else:
            for callback in self.callbacks:
                callback.on_continue(self)
        return self.stopping

    def validated(self, val_loss: float) -> None:
        self.validated_step = self.step
        row = {"step": self.step, "epoch": self.data_epoch, "val_loss": round(val_loss, 5),
               "seconds": round(self.trained_seconds(), 2), "time": round(time.time(), 3)}
        for callback in self.callbacks:
            callback.on_validation(self, row)

    def keep_best(self) -> dict | None:
        """At the end of a run, put back the weights of its best validation if they beat the last ones;
        returns what was kept (also a metrics row), for the log."""
        kept = self.best.restore()
        if kept is None:
            return None
        row = {"step": self.step, "kept_step": kept[0], "kept_val_loss": round(kept[1], 5), "time": round(time.time(), 3)}
        self.metrics.write(row)
        return row

    def save(self) -> None:
        self.checkpoints.save(self)

    def close(self) -> None:
        for callback in self.callbacks:
            callback.close()
