"""A training session of a run, whatever loop drives it: what :mod:`trainer` (one machine, Keras ``fit``)
and :mod:`multiworker` (a cluster, a custom step) share.

The loop reports each step's loss and each validation to a :class:`TrainingSession`, which keeps the
step count and the budget's clock and hands every event to its callbacks, each with one job (the seam
of minGPT's trainer):

* :class:`MetricsLog` — a row per step and per validation in the run's metrics log;
* :class:`TensorBoardLog` — the same losses as TensorBoard scalars (TensorFlow only);
* :class:`StepForwarder` — each step's row to whoever watches (the job's progress);
* :class:`Checkpointer` — a full checkpoint every ``CHECKPOINT_EVERY_S`` while training goes on, and at the end;
* :class:`BestWeights` — the weights of the best validation, put back at the end if they beat the last;
* :class:`SampleWriter` — every few seconds, and at the end, a short text from the current weights at two
  temperatures into the run's samples log, so a visitor watches noise turn into words.

A step or time budget, or a stop request, ends the session (:meth:`TrainingSession.after_step`);
:meth:`TrainingSession.save` is its end (each piece's ``on_end``: the last checkpoint, a last sample).
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

import numpy as np

from namuweb.language_model import generate
from namuweb.language_model.data import Split, encode_to_file
from namuweb.language_model.run_folder import Run
from namuweb.language_model.settings import StepPlan, TrainConfig

CHECKPOINT_EVERY_S = 60.0     # and at the end and at a stop: a kill loses at most this much training
CHECKPOINT_EVERY_ENV = "NAMUWEB_CHECKPOINT_EVERY_S"
VALIDATE_EVERY_STEPS = 50     # on a fixed sample (data.VALIDATION_TOKENS), so it costs little
SAVE_STALL_S = 10.0  # a checkpoint save this slow leaves every thread's stack in the job's log
# Samples while it learns.  Training waits while the NumPy sampler writes them (10-15 ms for the quick demo's model
# on the novels; bench/training_samples.py: 0.3 % of the training time), so they come at most every SAMPLE_EVERY_S of
# training and never take more than SAMPLE_SHARE of it (a slower model's samples come less often): the quick demo's
# 25 s show four moments on the way and its end.  Two temperatures: 0.5 shows what the model is sure of (words
# appear there first), 1.0 what it has learned as it is (its raw distribution, the one its loss measures).
SAMPLE_EVERY_S = 5.0
SAMPLE_EVERY_ENV = "NAMUWEB_SAMPLE_EVERY_S"  # seconds between samples; "off": none at all
SAMPLE_SHARE = 0.01
SAMPLE_TEMPERATURES = (0.5, 1.0)
SAMPLE_LENGTH = 60  # characters after the start text: a line, short enough to read at a glance
SAMPLE_SEED = 1     # the same draws at every step, so two samples differ only by what the model learned between


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

    def on_end(self, session: TrainingSession) -> None:
        """The session has ended and its model is final (the best weights put back where they won): keep it."""

    def close(self) -> None:
        """The session is over (also after an error)."""


def sample_every_s() -> float | None:
    """Seconds of training between samples: ``$NAMUWEB_SAMPLE_EVERY_S`` or :data:`SAMPLE_EVERY_S`; None for
    ``off`` (no samples, not even at the end)."""
    value = os.environ.get(SAMPLE_EVERY_ENV, "").strip()
    if value.lower() == "off":
        return None
    return float(value) if value else SAMPLE_EVERY_S


def generation_weights(model) -> generate.Weights:
    """A Keras char-LSTM's current weights as the NumPy sampler reads them (what :func:`generate.read_weights`
    reads out of a checkpoint), copied from its layers: the embedding, each LSTM's kernel, recurrent kernel and
    bias, and the logits layer.  The fused CPU pass (:mod:`fast_lstm`) trains these same variables."""
    import keras
    lstms = [layer for layer in model.layers if isinstance(layer, keras.layers.LSTM)]

    def values(name_or_layer) -> list:
        layer = model.get_layer(name_or_layer) if isinstance(name_or_layer, str) else name_or_layer
        return [np.asarray(w, dtype=np.float32) for w in layer.get_weights()]

    kernel, bias = values("logits")
    return generate.Weights(embedding=values("embedding")[0], lstm=[tuple(values(layer)) for layer in lstms],
                            dense=(kernel, bias))


class SampleWriter(Callback):
    """Every ``every_s`` seconds of training (by ``clock``), and once at the end, a text of
    :data:`SAMPLE_LENGTH` characters after :data:`generate.DEFAULT_START` from the model's current weights at
    each of :data:`SAMPLE_TEMPERATURES`, with a fixed seed, appended to the run's samples log (a row per text).

    Training waits while it samples, so the next sample comes no sooner than ``1 / share`` times this one's
    cost: sampling never takes more than ``share`` of the training time.  A resume drops samples of steps past
    its checkpoint (a killed worker's) and appends its own."""

    def __init__(self, run: Run, model, *, step: int, every_s: float = SAMPLE_EVERY_S,
                 clock: Callable[[], float] = time.monotonic, share: float = SAMPLE_SHARE):
        self.run, self.model, self.clock = run, model, clock
        self.every_s, self.share = every_s, share
        self.next_at: float | None = None
        self.last_step: int | None = None  # of the last samples written
        self.spent_s = 0.0                 # sampling this session, training waiting
        self.vocab = None
        self.blas = None  # a threadpoolctl controller, made at the first sample; False without threadpoolctl
        self.broken = False
        run.truncate_samples(after_step=step)
        self.log = run.samples_log()

    def on_start(self, session) -> None:
        self.next_at = self.clock() + self.every_s

    def on_continue(self, session) -> None:
        if self.next_at is not None and self.clock() >= self.next_at:
            self.write(session)

    def on_end(self, session) -> None:
        self.write(session, end=True)

    def write(self, session: TrainingSession, end: bool = False) -> None:
        if self.broken or self.last_step == session.step:
            return
        began, seconds = self.clock(), round(session.trained_seconds(), 2)
        try:
            if self.vocab is None:
                self.vocab = self.run.vocab()
            with self.one_blas_thread():
                generator = generate.Generator(generation_weights(self.model), self.vocab)
                for samples in generator.stream(generate.DEFAULT_START, SAMPLE_LENGTH, list(SAMPLE_TEMPERATURES),
                                                seed=SAMPLE_SEED):
                    pass  # the last yield holds the finished texts
            texts = [sample.text for sample in samples]
        except Exception as error:  # noqa: BLE001  (a sample is a view of training: it must never end a run)
            print(f"no samples while training any more: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            self.broken = True
            return
        spent = self.clock() - began
        for temperature, text in zip(SAMPLE_TEMPERATURES, texts):
            self.log.write({"step": session.step, "seconds": seconds, "temperature": temperature, "text": text,
                            "seed": SAMPLE_SEED, "sample_s": round(spent, 4), "end": end,
                            "time": round(time.time(), 3)})
        self.spent_s += spent
        self.last_step = session.step
        self.next_at = self.clock() + max(self.every_s, spent / self.share)

    def one_blas_thread(self):
        """NumPy's BLAS on one thread while it samples: its matrices are a batch of two, and with a thread per core
        (the default) its threads went on spinning after every sample, CPU taken from training, and the sample
        itself took longer (``bench/training_samples.py`` measures the cost).  threadpoolctl comes with
        scikit-learn; without it, BLAS is left as it is."""
        if self.blas is None:
            try:
                from threadpoolctl import ThreadpoolController
                self.blas = ThreadpoolController()
            except ImportError:
                self.blas = False
        return self.blas.limit(limits=1, user_api="blas") if self.blas else contextlib.nullcontext()

    def close(self) -> None:
        self.log.close()


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

    def on_end(self, session) -> None:
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
                 on_step: Callable[[dict], None] | None = None, checkpoint_every_s: float | None = None,
                 write_samples: bool = True):
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
        every_s = sample_every_s() if write_samples else None  # only a cluster's chief writes samples
        self.samples = SampleWriter(run, model, step=step, every_s=every_s) if every_s is not None else None
        self.callbacks: list[Callback] = [self.metrics, TensorBoardLog(run), *([StepForwarder(on_step)] if on_step else []),
                                          self.checkpoints, self.best, *([self.samples] if self.samples else [])]

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
        """The session's end, its model final: every piece's ``on_end`` (the last checkpoint, then a last sample)."""
        for callback in self.callbacks:
            callback.on_end(self)

    def close(self) -> None:
        for callback in self.callbacks:
            callback.close()
