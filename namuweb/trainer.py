"""Training a run folder: the loop, its metrics, its checkpoints.

The loop is Keras ``fit``, one call per epoch, so the same code runs on any
Keras backend and under ``tf.distribute`` (on a CPU with TensorFlow, ``fit`` runs
the same model through :mod:`namuweb.fast_lstm`'s faster pass).  Around it:

* every step appends ``{step, epoch, loss, tokens_per_s, time}`` to
  ``metrics.jsonl``; Keras reports the running epoch mean, so the batch loss
  is recovered as ``n·mean_n − (n−1)·mean_{n−1}``;
* every epoch end and every stop writes a full ``.keras`` checkpoint
  (weights *and* optimizer state) to a temporary name and moves it into place
  before ``latest.json`` points at it, so a crash never leaves a corrupt
  latest checkpoint;
* the data order of an epoch is a function of (seed, epoch), so a resumed run
  skips exactly the batches it had already trained on and the step counter
  continues without gaps or repeats.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from pathlib import Path
from typing import Callable

from namuweb import charlm, fast_lstm, jobs, runs
from namuweb.vocab import load_vocab

KEEP_CHECKPOINTS = 2


def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


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


def describe_device(strategy) -> str:
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


class _TensorBoard:
    """Step loss and epoch validation loss as TensorBoard scalars (TensorFlow backend only)."""

    def __init__(self, run_dir: Path):
        try:
            import tensorboard  # noqa: F401  (tf.summary.scalar fails at the first step without it)
            import tensorflow as tf
            self.tf = tf
            self.writer = tf.summary.create_file_writer(str(run_dir / "tensorboard"))
        except ImportError as missing:
            print(f"no TensorBoard event files: {missing}", flush=True)  # the curves are in metrics.jsonl
            self.writer = None

    def scalar(self, name: str, value: float, step: int) -> None:
        if self.writer is not None:
            with self.writer.as_default():
                self.tf.summary.scalar(name, value, step=step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.flush()


def load_checkpoint(run_dir: Path):
    """The run's latest checkpoint as a Keras model.

    Only a file :func:`runs.latest_checkpoint` accepts (``step-N.keras`` inside this run's
    ``checkpoints/``) is opened, and with Keras's safe mode on, so a ``.keras`` file can never
    run code (a ``Lambda`` layer's pickled function is refused)."""
    import keras
    return keras.models.load_model(runs.checkpoint_path(Path(run_dir)), safe_mode=True)


def save_checkpoint(model, run_dir: Path, step: int, epoch: int, epoch_step: int) -> dict:
    folder = run_dir / runs.CHECKPOINTS
    folder.mkdir(exist_ok=True)
    name = f"step-{step:08d}.keras"
    tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp.keras"
    model.save(tmp)
    os.replace(tmp, folder / name)
    latest = {"file": name, "step": step, "epoch": epoch, "epoch_step": epoch_step, "time": time.time()}
    runs.write_json(folder / runs.LATEST, latest)
    kept = sorted(folder.glob("step-*.keras"))
    for old in kept[:-KEEP_CHECKPOINTS]:
        old.unlink(missing_ok=True)
    return latest


class _StepLog:
    """Per-step bookkeeping shared by the Keras callback and the epoch loop."""

    def __init__(self, run_dir: Path, config: charlm.TrainConfig, step: int, total: int,
                 should_stop: Callable[[], bool], on_step: Callable[[dict], None] | None):
        self.run_dir, self.config, self.step, self.total = run_dir, config, step, total
        self.should_stop, self.on_step = should_stop, on_step
        self.metrics = jobs.JsonlAppender(run_dir / runs.METRICS_FILE).open()  # one os.write per line
        self.board = _TensorBoard(run_dir)
        self.stopped = False

    def write(self, row: dict) -> None:
        self.metrics.write(row)

    def close(self) -> None:
        self.metrics.close()
        self.board.close()


def _callback(log: _StepLog, epoch: int, skip: int):
    import keras

    class StepMetrics(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch_index, logs=None):
            self.previous_mean = 0.0
            self.tick = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            n = batch + 1
            mean = float(logs["loss"])
            loss = n * mean - batch * self.previous_mean
            self.previous_mean = mean
            now = time.perf_counter()
            seconds, self.tick = now - self.tick, now
            log.step += 1
            row = {"step": log.step, "epoch": epoch + 1, "loss": round(loss, 5),
                   "tokens_per_s": round(log.config.batch * log.config.seq_len / max(seconds, 1e-9), 1),
                   "time": round(time.time(), 3)}
            log.write(row)
            log.board.scalar("loss", loss, log.step)
            if log.on_step:
                log.on_step(row | {"total": log.total, "epoch_step": skip + n})
            if log.step >= log.total or log.should_stop():
                log.stopped = log.step < log.total
                self.model.stop_training = True

    return StepMetrics()


def _load_split(run_dir: Path) -> tuple[charlm.TrainConfig, charlm.Split]:
    config = runs.load_config(run_dir)
    vocab = load_vocab(run_dir / runs.VOCAB_FILE)
    from namuweb.hangul import decompose
    ids = vocab.encode(decompose(runs.training_corpus(run_dir).read_text(), marker="replace"))
    return config, charlm.Split.of(ids, config.seq_len, config.val_share, config.batch)


def evaluate(run_dir: Path) -> float:
    """Validation loss of the latest checkpoint, on demand; appended to the run's curves."""
    _quiet_tensorflow()
    run_dir = Path(run_dir)
    config, split = _load_split(run_dir)
    latest = runs.latest_checkpoint(run_dir)
    if latest is None:
        raise runs.RunError("this run has no checkpoint yet")
    if not len(split.val):
        raise runs.RunError("this run holds out no validation data (validation share 0)")
    model = load_checkpoint(run_dir)
    data = charlm.make_dataset(split.val, min(config.batch, len(split.val)), shuffle=False)
    loss = float(model.evaluate(data, verbose=0, return_dict=True)["loss"])
    jobs.append_jsonl(run_dir / runs.METRICS_FILE, {"step": latest["step"], "val_loss": round(loss, 5),
                                                    "on_demand": True, "time": round(time.time(), 3)})
    return loss


def train(run_dir: Path, *, should_stop: Callable[[], bool] = lambda: False,
          on_step: Callable[[dict], None] | None = None, logical_cpus: int = 0) -> dict:
    """Train (or resume) the run in ``run_dir`` until its budget is spent or ``should_stop()``."""
    _quiet_tensorflow()
    run_dir = Path(run_dir)
    config, split = _load_split(run_dir)
    vocab_size = load_vocab(run_dir / runs.VOCAB_FILE).size
    per_epoch = split.steps_per_epoch(config.batch)
    total = charlm.total_steps(config, per_epoch)

    configure_devices(logical_cpus)
    import keras
    strategy = make_strategy(config.distribute, logical_cpus)  # before any op: collectives configure at startup
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    keras.utils.set_random_seed(config.seed)
    latest = runs.latest_checkpoint(run_dir)
    with strategy.scope() if strategy else contextlib.nullcontext():
        if latest:
            model = load_checkpoint(run_dir)
        else:
            model = charlm.build_model(vocab_size, config)
            charlm.compile_model(model, config)
    trained = model  # the model fit runs on; ``model`` is what checkpoints hold
    if fast_lstm.applies(config, strategy):
        trained = fast_lstm.training_model(model)
        trained.compile(optimizer=model.optimizer, loss=model.loss)  # one optimizer, same variables
    step = latest["step"] if latest else 0
    runs.truncate_metrics(run_dir, after_step=step)
    epoch, skip = (latest["epoch"], latest["epoch_step"]) if latest else (0, 0)
    if skip >= per_epoch:
        epoch, skip = epoch + 1, 0
    device = describe_device(strategy) + (", fused LSTM pass" if trained is not model else "")
    log = _StepLog(run_dir, config, step, total, should_stop, on_step)
    if on_step:
        on_step({"step": step, "total": total, "epoch": epoch + 1, "device": device, "steps_per_epoch": per_epoch})
    val_batch = min(config.batch, len(split.val)) if len(split.val) else 0
    val_data = charlm.make_dataset(split.val, val_batch, shuffle=False) if val_batch else None
    try:
        while log.step < total and not log.stopped:
            batches = charlm.make_dataset(split.train, config.batch, seed=config.seed, epoch=epoch, skip=skip)
            steps_now = min(charlm.batches_per_epoch(split.train, config.batch, skip), total - log.step)
            history = trained.fit(batches, epochs=1, steps_per_epoch=steps_now, verbose=0, shuffle=False,
                                validation_data=val_data, callbacks=[_callback(log, epoch, skip)])
            done_in_epoch = skip + (log.step - step)
            step, skip = log.step, done_in_epoch
            if skip >= per_epoch:
                epoch, skip = epoch + 1, 0
            val_loss = history.history.get("val_loss", [None])[-1]
            if val_loss is not None:
                log.write({"step": log.step, "epoch": epoch if skip == 0 else epoch + 1,
                           "val_loss": round(float(val_loss), 5), "time": round(time.time(), 3)})
                log.board.scalar("val_loss", float(val_loss), log.step)
            save_checkpoint(model, run_dir, log.step, epoch, skip)
    finally:
        log.close()
    return {"step": log.step, "total": total, "stopped": log.stopped, "device": device}
