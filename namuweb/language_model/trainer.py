"""Training a run folder: the loop, its metrics, its checkpoints.

The loop is one Keras ``fit`` call for the whole session, over an endless batch stream
(:func:`charlm.training_data`), so the same code runs on any Keras backend and under
``tf.distribute``; on a CPU with TensorFlow it trains the same model through
:mod:`namuweb.language_model.fast_lstm`'s faster pass.  A Keras "epoch" is only the validation interval.
Around it (:class:`RunProgress`, the callback):

* every step appends ``{step, epoch, loss, tokens_per_s, seconds, time}`` to ``metrics.jsonl``;
  every validation (a fixed held-out sample) a ``val_loss`` row;
* a full ``.keras`` checkpoint (weights *and* optimizer state) every ``CHECKPOINT_EVERY_S``, at a
  stop and at the end, written to a temporary name and moved into place before ``latest.json``
  points at it, so a crash never leaves a corrupt latest checkpoint;
* a step budget, a time budget (counted from the job's start and across resumes) or a stop ends
  the run; a finished run keeps its best validation weights;
* the data order is a function of (seed, epoch) and a checkpoint's step says where in it the run
  was, so a resumed run continues without gaps or repeats.
"""

from __future__ import annotations

import contextlib
import faulthandler
import math
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Callable

from namuweb.language_model import charlm, fast_lstm, generate, runs

from namuweb import jobs, storage

KEEP_CHECKPOINTS = 2
CHECKPOINT_EVERY_S = 60.0     # and at the end and at a stop: a kill loses at most this much training
CHECKPOINT_EVERY_ENV = "NAMUWEB_CHECKPOINT_EVERY_S"
LOGICAL_CPUS_ENV = "NAMUWEB_LOGICAL_CPUS"  # split the CPU to exercise tf.distribute without GPUs
VALIDATE_EVERY_STEPS = 50     # on a fixed sample (charlm.VALIDATION_TOKENS), so it costs little


def quiet_tensorflow() -> None:
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

    Only a file :meth:`runs.Run.latest_checkpoint` accepts (``step-N.keras`` inside this run's
    ``checkpoints/``) is opened, and with Keras's safe mode on, so a ``.keras`` file can never
    run code (a ``Lambda`` layer's pickled function is refused)."""
    import keras
    return keras.models.load_model(runs.Run(run_dir).checkpoint_file(), safe_mode=True)


SAVE_STALL_S = 10.0  # a checkpoint save this slow leaves every thread's stack in the job's log


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


def save_checkpoint(model, run_dir: Path, step: int, per_epoch: int, seconds: float = 0.0) -> dict:
    """Write ``model`` (weights and optimizer state) as the run's newest checkpoint, atomically.

    ``latest.json`` records where in the data the step is (epoch ``step div per_epoch``, batch
    ``step mod per_epoch``) and the seconds trained so far, which a time budget counts on resume."""
    folder = runs.Run(run_dir).checkpoints_dir
    folder.mkdir(mode=storage.PRIVATE_DIR, exist_ok=True)
    name = runs.checkpoint_name(step)
    tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp.keras"  # Keras insists on the suffix
    model.save(tmp)
    os.replace(tmp, folder / name)
    latest = runs.Run(run_dir).point_latest(name, step, per_epoch, seconds=round(seconds, 3))
    kept = sorted(p for p in folder.iterdir() if runs.checkpoint_step(p.name) is not None)
    for old in kept[:-KEEP_CHECKPOINTS]:
        old.unlink(missing_ok=True)
    return latest


class RunProgress:
    """The Keras callback: a metrics row per step, validation rows, checkpoints by time, and stopping.

    Keras reports the running mean of its epoch, so the batch loss is ``n·mean_n − (n−1)·mean_{n−1}``."""

    def __init__(self, run_dir: Path, model, config: charlm.TrainConfig, *, step: int, total: int,
                 per_epoch: int, budget_s: float | None, started: float, seconds_before: float,
                 should_stop: Callable[[], bool], on_step: Callable[[dict], None] | None):
        import keras
        self.run_dir, self.model_to_save, self.config = run_dir, model, config
        self.step, self.total, self.per_epoch = step, total, per_epoch
        self.should_stop, self.on_step = should_stop, on_step
        # A time budget counts training after the first step: not the job's start (TensorFlow's import, the
        # model's build, the step's tracing take seconds, many more on a busy machine), reported as ``startup_s``.
        self.budget_s, self.deadline, self.job_started = budget_s, None, started
        self.seconds_before, self.session_start, self.startup_s = seconds_before, None, None
        self.saved_at = time.monotonic()
        self.checkpoint_every = float(os.environ.get(CHECKPOINT_EVERY_ENV) or CHECKPOINT_EVERY_S)
        self.metrics = storage.JsonlAppender(runs.Run(run_dir).metrics_file).open()  # one os.write per line
        self.board = _TensorBoard(run_dir)
        self.stopped = False
        self.best: tuple[int, float, list] | None = None  # (step, validation loss, weights) of this session's best
        self.last_val: float | None = None
        self.validated_step: int | None = None
        progress = self

        class Callback(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.previous_mean = 0.0
                self.tick = time.perf_counter()

            def on_train_batch_begin(self, batch, logs=None):
                if progress.config.schedule != "constant":
                    self.model.optimizer.learning_rate.assign(charlm.scheduled_rate(progress.config, progress.done()))

            def on_train_batch_end(self, batch, logs=None):
                mean = float(logs["loss"])
                loss = (batch + 1) * mean - batch * self.previous_mean
                self.previous_mean = mean
                now = time.perf_counter()
                seconds, self.tick = now - self.tick, now
                if progress.after_step(loss, seconds):
                    self.model.stop_training = True

            def on_epoch_end(self, epoch, logs=None):
                if logs and "val_loss" in logs:
                    progress.validated(float(logs["val_loss"]))

        self.callback = Callback()

    @property
    def data_epoch(self) -> int:
        return self.step // self.per_epoch + 1

    def begin(self) -> None:
        """The first step of this session is done: the time budget's clock starts now, and the seconds from
        the job's start to here (importing TensorFlow, building the model, tracing its step: seconds on a quiet
        machine, a minute on a crowded one) are recorded as its start-up."""
        if self.session_start is not None:
            return
        self.session_start = time.monotonic()
        self.deadline = self.session_start + self.budget_s if self.budget_s is not None else None
        self.startup_s = round(self.session_start - self.job_started, 2)
        self.metrics.write({"step": self.step, "startup_s": self.startup_s, "time": round(time.time(), 3)})

    def trained_seconds(self) -> float:
        """Seconds this run has trained, over all its sessions (what a time budget counts; the
        wall-clock axis of its curves)."""
        return self.seconds_before + (time.monotonic() - self.session_start if self.session_start is not None else 0.0)

    def done(self) -> float:
        """The share of the run's budget spent: steps, or time when that runs out first."""
        share = self.step / max(self.total, 1)
        if self.config.max_seconds:
            share = max(share, self.trained_seconds() / self.config.max_seconds)
        return share

    def after_step(self, loss: float, seconds: float) -> bool:
        """Record one step; True when training should stop."""
        self.begin()
        self.step += 1
        row = {"step": self.step, "epoch": self.data_epoch, "loss": round(loss, 5),
               "tokens_per_s": round(self.config.batch * self.config.seq_len / max(seconds, 1e-9), 1),
               "seconds": round(self.trained_seconds(), 2), "time": round(time.time(), 3)}
        self.metrics.write(row)
        self.board.scalar("loss", loss, self.step)
        if self.on_step:
            self.on_step(row | {"total": self.total, "epoch_step": self.step % self.per_epoch,
                                "startup_s": self.startup_s})
        out_of_time = self.deadline is not None and time.monotonic() >= self.deadline
        if self.step >= self.total or out_of_time or self.should_stop():
            self.stopped = self.step < self.total and not out_of_time
            return True
        if time.monotonic() - self.saved_at >= self.checkpoint_every:
            self.save()
        return False

    def validated(self, val_loss: float) -> None:
        self.validated_step = self.step
        self.metrics.write({"step": self.step, "epoch": self.data_epoch, "val_loss": round(val_loss, 5),
                            "seconds": round(self.trained_seconds(), 2), "time": round(time.time(), 3)})
        self.board.scalar("val_loss", val_loss, self.step)
        self.last_val = val_loss
        if self.best is None or val_loss < self.best[1]:
            self.best = (self.step, val_loss, self.model_to_save.get_weights())

    def keep_best(self) -> dict | None:
        """At the end of a run, put back the weights of its best validation, if they beat the last
        ones: a long run on a small corpus overfits, and the model people generate from should be
        its best, not its last.  Returns what was kept, for the log."""
        if self.best is None or self.last_val is None or self.best[1] >= self.last_val:
            return None
        step, val_loss, weights = self.best
        self.model_to_save.set_weights(weights)
        row = {"step": self.step, "kept_step": step, "kept_val_loss": round(val_loss, 5),
               "time": round(time.time(), 3)}
        self.metrics.write(row)
        return row

    def save(self) -> None:
        with reporting_a_stall():
            save_checkpoint(self.model_to_save, self.run_dir, self.step, self.per_epoch,
                            seconds=self.trained_seconds())
        self.saved_at = time.monotonic()

    def close(self) -> None:
        self.metrics.close()
        self.board.close()


def load_split(run_dir: Path) -> tuple[charlm.TrainConfig, charlm.Split]:
    """The run's settings and its chunks, read from a token file the first call writes next to them."""
    run = runs.Run(run_dir)
    config = run.config()
    ids = charlm.encode_to_file(run.corpus(), run.vocab(), run.tokens_file)
    return config, charlm.Split.of(ids, config.seq_len, config.val_share, config.batch)


def evaluate(run_dir: Path) -> float:
    """Validation loss of the latest checkpoint on the trainer's validation sample, on demand;
    appended to the run's curves.  A NumPy forward pass (:func:`generate.mean_cross_entropy`) of the
    checkpoint's weights, so the page's button never brings TensorFlow into the server."""
    run_dir = Path(run_dir)
    config, split = load_split(run_dir)
    latest = runs.Run(run_dir).latest_checkpoint()
    if latest is None:
        raise runs.RunError("this run has no checkpoint yet")
    if not len(split.val):
        raise runs.RunError("this run holds out no validation data (validation share 0)")
    model = generate.CharLSTM(generate.read_weights(runs.Run(run_dir).checkpoint_file()))
    loss = generate.mean_cross_entropy(model, charlm.validation_sample(split.val))
    storage.append_jsonl(runs.Run(run_dir).metrics_file, {"step": latest["step"], "val_loss": round(loss, 5),
                                                    "on_demand": True, "time": round(time.time(), 3)})
    return loss


def validation_loss(model, sample, batch: int) -> float:
    """Mean cross-entropy per token over a validation sample, as ``fit`` reports ``val_loss``."""
    x, y = charlm.inputs_and_targets(sample)
    return float(model.evaluate(x, y, batch_size=batch, verbose=0))


def validation_interval(total: int) -> int:
    """Steps between validations: every ``VALIDATE_EVERY_STEPS``, and at least eight times in a short run."""
    return max(1, min(VALIDATE_EVERY_STEPS, math.ceil(total / 8)))


def train(run_dir: Path, *, should_stop: Callable[[], bool] = lambda: False,
          on_step: Callable[[dict], None] | None = None, logical_cpus: int = 0,
          started: float | None = None) -> dict:
    """Train (or resume) the run in ``run_dir`` until its budget is spent or ``should_stop()``.

    One ``fit`` call runs the whole session over an endless batch stream; a Keras "epoch" is only
    the validation interval.  ``started`` (a ``time.monotonic()`` reading, default now) is when
    the job began, so a time budget counts the job's start-up too."""
    started = time.monotonic() if started is None else started
    quiet_tensorflow()
    run_dir = Path(run_dir)
    config, split = load_split(run_dir)
    run = runs.Run(run_dir)
    vocab_size = run.vocab().size
    per_epoch = split.steps_per_epoch(config.batch)
    latest = run.latest_checkpoint()
    total = charlm.total_steps(config, per_epoch)
    sample = charlm.validation_sample(split.val)
    floor = run.quality_floor(lambda: charlm.trigram_floor(split.train, sample, vocab_size) if len(sample) else None)

    configure_devices(logical_cpus)
    fast_lstm.configure_threads(config, logical_cpus)
    import keras
    strategy = make_strategy(config.distribute, logical_cpus)  # before any op: collectives configure at startup
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    keras.utils.set_random_seed(config.seed)
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
    seconds_before = float(latest.get("seconds", 0.0)) if latest else 0.0
    budget_s = config.max_seconds - seconds_before if config.max_seconds else None
    run.truncate_metrics(after_step=step)
    device = describe_device(strategy) + (", fused LSTM pass" if trained is not model else "")
    progress = RunProgress(run_dir, model, config, step=step, total=total, per_epoch=per_epoch, budget_s=budget_s,
                         started=started, seconds_before=seconds_before, should_stop=should_stop, on_step=on_step)
    if on_step:
        on_step({"step": step, "total": total, "epoch": progress.data_epoch, "device": device,
                 "steps_per_epoch": per_epoch, "max_seconds": config.max_seconds, "seconds": seconds_before})
    interval = validation_interval(total)
    val_data = charlm.inputs_and_targets(sample) if len(sample) else None
    try:
        if step < total and (budget_s is None or budget_s > 0):
            trained.fit(charlm.training_data(split.train, config.batch, seed=config.seed, start_step=step),
                        epochs=math.ceil((total - step) / interval), steps_per_epoch=interval, verbose=0,
                        shuffle=False,
                        validation_data=val_data, validation_batch_size=config.batch,
                        callbacks=[progress.callback])
        if not progress.stopped and progress.step > step and val_data is not None \
                and progress.validated_step != progress.step:  # a budget ended between validations: how good is it?
            progress.validated(float(trained.evaluate(*val_data, batch_size=config.batch, verbose=0)))
        kept = progress.keep_best() if not progress.stopped and progress.step > step else None
        if progress.step > step or latest is None:
            progress.save()
    finally:
        progress.close()
    return {"step": progress.step, "total": total, "stopped": progress.stopped, "device": device,
            "seconds": round(progress.trained_seconds(), 3), "kept": kept, "startup_s": progress.startup_s,
            "floor": floor}


def summary(result: dict, run_dir: Path) -> str:
    """What a finished or stopped session says: where it ended, and which weights it kept."""
    of = f" of {result['total']}" if result["total"] < charlm.UNBOUNDED_STEPS else ""
    line = (f"{'stopped' if result['stopped'] else 'finished'} at step {result['step']}{of} "
            f"on {result['device']}; checkpoint in {runs.Run(run_dir).checkpoints_dir}")
    if result.get("startup_s") is not None:
        line += f"\n{result['startup_s']:.1f} s from the job's start to its first step (not counted in a time budget)"
    if kept := result.get("kept"):
        line += (f"\nthe checkpoint holds the weights of step {kept['kept_step']}, the best validation loss of this "
                 f"run ({kept['kept_val_loss']:.4f}): it overfitted after that")
    return line


def check_floor(result: dict, run_dir: Path) -> None:
    """A run that spent its time budget below its quality floor does not call itself finished: a
    :class:`jobs.JobIncomplete` says so plainly, with how to continue.  A time budget is what a busy machine
    breaks (the same seconds buy fewer steps); a step or epoch budget trains as asked on any machine, so such
    a run finishes, and the pages still mark it below its floor."""
    if result["stopped"] or result.get("floor") is None:
        return
    run = runs.Run(run_dir)
    if not run.config().max_seconds:
        return
    verdict = run.floor_verdict()
    if verdict is None or verdict.reached:
        return
    raise jobs.JobIncomplete(
        f"below its quality floor: after {result['step']:,} step{'s' if result['step'] != 1 else ''} the model scores {verdict.bits_text} on held-out "
        f"text, and a trigram count model of the same text scores {verdict.floor_bits_text} — this machine was too "
        f"busy, or the budget too short, to train it further ({result['seconds']:.0f} s of training). Its text would "
        f"read as noise. Continue training: the Train page's Continue button, or python -m namuweb train --run-dir {run_dir}")


class StepReporter:
    """Turns the trainer's step rows into the job's progress: the steps per second of this session,
    and a time budget's ETA."""

    def __init__(self, publish):
        self.publish = publish
        self.first: tuple[int, float] | None = None  # (step, seconds) of the first loss row
        self.facts: dict = {}  # what the session's first row says: device, steps per epoch, workers
        self.max_seconds: float | None = None

    def __call__(self, row: dict) -> None:
        if row.get("startup_s") is not None:
            self.facts["startup_s"] = row["startup_s"]
        if "loss" not in row:
            self.facts = {k: row[k] for k in ("device", "steps_per_epoch", "workers") if k in row}
            self.max_seconds = row.get("max_seconds")
            self.publish(runs.training_progress(row["step"], row["total"], seconds=row.get("seconds"),
                                                max_seconds=self.max_seconds,
                                                message=f"starting on {row.get('device', '?')}", **self.facts))
            return
        if self.first is None:
            self.first = (row["step"], row.get("seconds", 0.0))
        elapsed = row.get("seconds", 0.0) - self.first[1]
        rate = (row["step"] - self.first[0]) / elapsed if elapsed > 0 else None
        self.publish(runs.training_progress(
            row["step"], row["total"], seconds=row.get("seconds"), max_seconds=self.max_seconds,
            steps_per_s=rate, message=f"epoch {row['epoch']} · loss {row['loss']:.3f} · "
                                      f"{row['tokens_per_s'] / 1000:.1f}k tok/s",
            epoch=row["epoch"], loss=row["loss"], tokens_per_s=row["tokens_per_s"], **self.facts))


def recover_checkpoints(run_dir: Path) -> None:
    """Resume past a damaged checkpoint from the newest intact one, or say that none is left."""
    from namuweb.language_model import checkpoints
    try:
        inspection = checkpoints.repair(run_dir, runs.Run(run_dir).steps_per_epoch)
    except checkpoints.DamagedCheckpoint as error:
        raise jobs.JobError(str(error)) from None
    if message := checkpoints.resume_message(inspection):
        print(f"namuweb train: warning: {message}", file=sys.stderr, flush=True)


def run_job(run_dir: Path, job: jobs.JobContext) -> str:
    """Train (or resume) a run as a job: on this machine, or as the chief of a multi-worker cluster
    (``TF_CONFIG``), until its budget is spent or a stop is requested.

    Refused at its first start (busy, a demo's limits, a deleted corpus), the run folder goes.
    Failed, it removes the corpus encoded as token ids (as large as the corpus or larger, and made
    again by a Resume) and a checkpoint cut off in the middle of its save (Keras writes it under a
    temporary name first); its finished checkpoints stay: each was saved whole, and a Resume
    continues from the newest.  The config, vocabulary, metrics, samples, status and log stay as the record of why."""
    run = runs.Run(run_dir)
    try:
        run.corpus()  # a deleted corpus: one line, before any training
    except runs.RunError as error:
        raise jobs.JobError(str(error)) from None
    recover_checkpoints(run_dir)
    on_step = StepReporter(job.publish)
    if run.config().distribute == "multiworker":
        from namuweb.language_model import multiworker
        try:
            cluster = multiworker.cluster_of(os.environ.get("TF_CONFIG", ""))
            result = multiworker.train(run_dir, cluster, should_stop=lambda: job.stop_requested, on_step=on_step,
                                       started=job.started)
        except multiworker.ClusterError as error:
            raise jobs.JobError(str(error)) from None
    else:
        result = train(run_dir, should_stop=lambda: job.stop_requested, on_step=on_step,
                       logical_cpus=int(os.environ.get(LOGICAL_CPUS_ENV, "0") or 0), started=job.started)
    check_floor(result, run_dir)
    return summary(result, run_dir)


TRAINING = jobs.register(jobs.JobKind(
    "train", runs.FOLDERS, run_job, check=runs.check_startable, max_active=runs.max_training_jobs,
    partial=(runs.TOKENS_FILE, f"{runs.CHECKPOINTS}/.*.tmp*"), worker_without=("pandas",),
    corpus=jobs.CorpusUse(noun="training run", after_deletion="{n} training run(s) ({names}) will still generate "
                          "text but can no longer resume or be evaluated")))
