"""Training a run folder on one machine: one Keras ``fit`` call for the whole session.

The loop runs over an endless batch stream (:func:`data.training_data`), so the same code runs on any
Keras backend and under ``tf.distribute``; on a CPU with TensorFlow it trains the same model through
:mod:`namuweb.language_model.fast_lstm`'s faster pass.  A Keras "epoch" is only the validation interval.
Each step and validation goes to a :class:`session.TrainingSession` (metrics, checkpoints, best weights,
the budget and a stop), through :func:`keras_callback`; the data order is a function of (seed, epoch) and a
checkpoint's step says where in it the run was, so a resumed run continues without gaps or repeats.

Keras reports the running mean of its epoch as a batch's ``loss``, so the batch loss is
``n·mean_n − (n−1)·mean_{n−1}``.
"""

from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path
from typing import Callable

from namuweb.language_model import fast_lstm
from namuweb.language_model.data import inputs_and_targets, training_data, trigram_floor, validation_sample
from namuweb.language_model.model import build_model, compile_model
from namuweb.language_model.run_folder import Run
from namuweb.language_model.session import (TrainingSession, describe_device, load_checkpoint, load_split,
                                            quiet_tensorflow, validation_interval)
from namuweb.language_model.settings import scheduled_rate


def configure_devices(logical_cpus: int = 0) -> None:
    """Split the CPU into logical devices (to exercise distribution without GPUs); before TF starts."""
    if not logical_cpus:
        return
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * logical_cpus)


def make_strategy(kind: str, logical_cpus: int = 0):
    """A ``tf.distribute`` strategy, or ``None`` for plain single-device training."""
    import keras
    if keras.backend.backend() != "tensorflow" or kind == "none":
        return None
    import tensorflow as tf
    if kind == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if kind == "mirrored":
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if kind == "auto" and len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return None


def keras_callback(session: TrainingSession):
    """The Keras callback that hands ``fit``'s steps and validations to ``session`` and sets a scheduled
    learning rate before each step; it stops ``fit`` when the session ends."""
    import keras

    class StepsToSession(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.previous_mean = 0.0
            self.tick = time.perf_counter()

        def on_train_batch_begin(self, batch, logs=None):
            if session.config.schedule != "constant":
                self.model.optimizer.learning_rate.assign(scheduled_rate(session.config, session.done()))

        def on_train_batch_end(self, batch, logs=None):
            mean = float(logs["loss"])  # the running mean of this Keras epoch
            loss = (batch + 1) * mean - batch * self.previous_mean
            self.previous_mean = mean
            now = time.perf_counter()
            seconds, self.tick = now - self.tick, now
            if session.after_step(loss, seconds):
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if logs and "val_loss" in logs:
                session.validated(float(logs["val_loss"]))

    return StepsToSession()


def train(run_dir: Path, *, should_stop: Callable[[], bool] = lambda: False,
          on_step: Callable[[dict], None] | None = None, logical_cpus: int = 0,
          started: float | None = None) -> dict:
    """Train (or resume) the run in ``run_dir`` until its budget is spent or ``should_stop()``.

    One ``fit`` call runs the whole session over an endless batch stream; a Keras "epoch" is only
    the validation interval.  ``started`` (a ``time.monotonic()`` reading, default now) is when
    the job began, so a time budget counts the job's start-up too."""
    started = time.monotonic() if started is None else started
    quiet_tensorflow()
    run = Run(run_dir)
    config, split = load_split(run.path)
    vocab_size = run.vocab().size
    plan = run.plan(tokens=split.tokens)
    latest = run.latest_checkpoint()
    sample = validation_sample(split.val)
    floor = run.quality_floor(lambda: trigram_floor(split.train, sample, vocab_size) if len(sample) else None)

    configure_devices(logical_cpus)
    fast_lstm.configure_threads(config, logical_cpus)
    import keras
    strategy = make_strategy(config.distribute, logical_cpus)  # before any op: collectives configure at startup
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    keras.utils.set_random_seed(config.seed)
    with strategy.scope() if strategy else contextlib.nullcontext():
        if latest:
            model = load_checkpoint(run.path)
        else:
            model = build_model(vocab_size, config)
            compile_model(model, config)
    trained = model  # the model fit runs on; ``model`` is what checkpoints hold
    if fast_lstm.applies(config, strategy):
        trained = fast_lstm.training_model(model)
        trained.compile(optimizer=model.optimizer, loss=model.loss)  # one optimizer, same variables
    step = latest["step"] if latest else 0
    seconds_before = float(latest.get("seconds", 0.0)) if latest else 0.0
    budget_s = config.max_seconds - seconds_before if config.max_seconds else None
    run.truncate_metrics(after_step=step)
    device = describe_device(strategy) + (", fused LSTM pass" if trained is not model else "")
    session = TrainingSession(run, model, config, plan, step=step, budget_s=budget_s, started=started,
                              seconds_before=seconds_before, should_stop=should_stop, on_step=on_step)
    if on_step:
        on_step({"step": step, "total": plan.total, "epoch": session.data_epoch, "device": device,
                 "steps_per_epoch": plan.per_epoch, "max_seconds": config.max_seconds, "seconds": seconds_before})
    interval = validation_interval(plan.total)
    val_data = inputs_and_targets(sample) if len(sample) else None
    try:
        if step < plan.total and (budget_s is None or budget_s > 0):
            trained.fit(training_data(split.train, config.batch, seed=config.seed, start_step=step),
                        epochs=math.ceil((plan.total - step) / interval), steps_per_epoch=interval, verbose=0,
                        shuffle=False,
                        validation_data=val_data, validation_batch_size=config.batch,
                        callbacks=[keras_callback(session)])
        if not session.stopped and session.step > step and val_data is not None \
                and session.validated_step != session.step:  # a budget ended between validations: how good is it?
            session.validated(float(trained.evaluate(*val_data, batch_size=config.batch, verbose=0)))
        kept = session.keep_best() if not session.stopped and session.step > step else None
        if session.step > step or latest is None:
            session.save()
    finally:
        session.close()
    return {"step": session.step, "total": plan.total, "stopped": session.stopped, "device": device,
            "seconds": round(session.trained_seconds(), 3), "kept": kept, "startup_s": session.startup_s,
            "floor": floor}
