"""One run trained on several machines with ``tf.distribute.MultiWorkerMirroredStrategy``.

Keras 3's ``fit`` fails under a multi-worker strategy (keras-team/keras#20585), so this is the
custom step TensorFlow documents instead: ``strategy.run`` of a gradient step on every worker,
the optimizer's own all-reduce of the gradients, and the loss summed over each worker's tokens
and divided by the *global* batch's, so that a step of W workers is the step one worker would
take on the W batches concatenated (``tests/test_multiworker.py``).

* Each global step takes ``batch × W`` chunks of the run's shuffled order; worker ``i`` trains
  the ``i``-th ``batch`` of them, so no two workers see the same chunk.
* Worker 0 is the chief: only it writes metrics, status, checkpoints, samples and TensorBoard events.
  Every other worker keeps its run in a temporary folder that is removed at the end.
* A stop (the chief's stop request or time budget) is agreed on by all workers after each
  step, so the whole cluster stops at the same step.  On resume the chief reads its checkpoint
  and broadcasts weights, optimizer state and step to the others, so workers need no shared disk.
* A worker that dies ends the run on the others with a message that names it; resuming
  continues from the chief's last checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from namuweb.language_model.data import inputs_and_targets, training_data, validation_sample
from namuweb.language_model.model import build_model, compile_model
from namuweb.language_model.run_folder import Run
from namuweb.language_model.session import (TrainingSession, describe_device, load_checkpoint, load_split,
                                            quiet_tensorflow, validation_interval)
from namuweb.language_model.settings import TrainConfig, scheduled_rate


class ClusterError(RuntimeError):
    """A cluster that cannot train (bad TF_CONFIG, a worker lost, workers that disagree); one line."""


@dataclass(frozen=True)
class Cluster:
    """The workers of a ``TF_CONFIG`` and this process's place among them."""

    workers: tuple[str, ...]
    index: int

    @property
    def chief(self) -> bool:
        return self.index == 0

    def name(self, index: int) -> str:
        return f"worker {index} ({self.workers[index]})" if 0 <= index < len(self.workers) else f"worker {index}"


def cluster_of(tf_config: str) -> Cluster:
    """The cluster a ``TF_CONFIG`` describes: workers only (worker 0 is the chief)."""
    try:
        config = json.loads(tf_config)
        spec, task = config["cluster"], config["task"]
        workers = tuple(spec["worker"])
        kind, index = task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError):
        raise ClusterError('TF_CONFIG must look like {"cluster": {"worker": ["host1:port", "host2:port"]}, '
                           '"task": {"type": "worker", "index": 0}}') from None
    if set(spec) - {"worker"}:
        raise ClusterError(f"TF_CONFIG's cluster may only list workers (worker 0 is the chief), not "
                           f"{', '.join(sorted(set(spec) - {'worker'}))}")
    if kind != "worker" or not 0 <= index < len(workers):
        raise ClusterError(f"TF_CONFIG's task must be a worker 0…{len(workers) - 1}, not {kind} {index}")
    if not all(isinstance(w, str) and re.fullmatch(r"[\w.\-\[\]:]+:\d+", w) for w in workers):
        raise ClusterError("every worker in TF_CONFIG must be host:port")
    return Cluster(workers, index)


def tf_config(workers: list[str], index: int) -> str:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of ``host:port`` workers."""
    return json.dumps({"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": index}})


def local_workers(count: int) -> list[str]:
    """``localhost:PORT`` for ``count`` workers on this machine, each on a port free right now
    (to try a cluster, or test one, on one machine)."""
    import socket
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("localhost", 0))
        return [f"localhost:{s.getsockname()[1]}" for s in sockets]
    finally:
        for s in sockets:
            s.close()


_TASK = re.compile(r"/job:worker/(?:replica:\d+/)?task:(\d+)")


def lost_worker(error: Exception, cluster: Cluster) -> str:
    """Which other worker a collective's error points at: the first task named in it that is not this one."""
    for found in _TASK.finditer(str(error)):
        if int(found.group(1)) != cluster.index:
            return cluster.name(int(found.group(1)))
    others = [cluster.name(i) for i in range(len(cluster.workers)) if i != cluster.index]
    return others[0] if len(others) == 1 else "another worker"


def train(run_dir: Path, cluster: Cluster, *, should_stop: Callable[[], bool] = lambda: False,
          on_step: Callable[[dict], None] | None = None, started: float | None = None) -> dict:
    """Train (or, on the chief, resume) the run in ``run_dir`` as one worker of ``cluster``.

    Every worker calls this with the same corpus and settings; the chief's ``run_dir`` is the
    real run, the others' a temporary copy.  Returns what :func:`namuweb.language_model.trainer.train` returns."""
    import tensorflow as tf
    started = time.monotonic() if started is None else started
    quiet_tensorflow()
    run = Run(run_dir)
    config, split = load_split(run.path)
    vocab_size = run.vocab().size
    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(timeout_seconds=None))
    workers = strategy.num_replicas_in_sync
    if workers != len(cluster.workers):
        raise ClusterError(f"TF_CONFIG names {len(cluster.workers)} workers but TensorFlow found {workers} replicas "
                           "(one device per worker is supported)")
    global_batch = config.batch * workers
    if len(split.train) < global_batch:
        raise ClusterError(f"the corpus has {len(split.train)} training chunks, fewer than one global batch of "
                           f"{global_batch} ({workers} workers × batch {config.batch})")
    plan = run.plan(tokens=split.tokens, workers=workers)

    import keras
    keras.utils.set_random_seed(config.seed)
    with strategy.scope():  # the same variables, created in the same order, on every worker
        model = build_model(vocab_size, config)
        compile_model(model, config)
        model.optimizer.build(model.trainable_variables)
    variables = model.weights + model.optimizer.variables
    latest = run.latest_checkpoint() if cluster.chief else None
    state = [0.0, 0.0]  # step, seconds trained before this session (the chief's, after the broadcast)
    if latest:
        saved = load_checkpoint(run.path)
        for variable, value in zip(variables, saved.weights + saved.optimizer.variables, strict=True):
            variable.assign(value)
        state = [float(latest["step"]), float(latest.get("seconds", 0.0))]
    digest = _digest(run, config, vocab_size)
    step, seconds_before, agreed = _from_the_chief(strategy, variables, cluster.chief, state, digest)
    if agreed != digest * workers:
        raise ClusterError("the workers' corpora or settings differ from the chief's: give every worker the same "
                           "--corpus file and the same training options")
    step = int(step)

    train_step = step_function(strategy, model, tokens=global_batch * config.seq_len)

    chief_only = 1.0 if cluster.chief else 0.0

    @tf.function
    def agree(wants_stop, done):
        """(how many workers want to stop, the chief's share of the budget spent), on every worker."""
        return strategy.reduce("SUM", strategy.run(lambda: tf.stack([wants_stop, done * chief_only])), axis=None)

    # the chief's clock decides a time budget (and a schedule over it) for everyone
    budget_s = config.max_seconds - seconds_before if config.max_seconds and cluster.chief else None
    if cluster.chief:
        run.truncate_metrics(after_step=step)
    device = f"{workers} workers (MultiWorkerMirroredStrategy), {describe_device(None)}"
    # the cluster's batch in the metrics (tokens/s of the whole cluster); the model was built above.  Another
    # worker's run is a scratch copy: the chief keeps the checkpoints.
    session = TrainingSession(run, model, dataclasses.replace(config, batch=global_batch), plan, step=step,
                              budget_s=budget_s, started=started, seconds_before=seconds_before,
                              should_stop=should_stop if cluster.chief else (lambda: False), on_step=on_step,
                              checkpoint_every_s=None if cluster.chief else float("inf"), write_samples=cluster.chief)
    if on_step:
        on_step({"step": step, "total": plan.total, "epoch": session.data_epoch, "device": device, "workers": workers,
                 "steps_per_epoch": plan.per_epoch, "max_seconds": config.max_seconds, "seconds": seconds_before})
    mine = slice(cluster.index * config.batch, (cluster.index + 1) * config.batch)
    batches = training_data(split.train, global_batch, seed=config.seed, start_step=step).map(
        lambda x, y: (x[mine], y[mine]))
    interval = validation_interval(plan.total)
    sample = validation_sample(split.val) if cluster.chief else []
    try:
        if step < plan.total and (budget_s is None or budget_s > 0):
            tick = time.perf_counter()
            done = session.done()
            for x, y in batches:
                if config.schedule != "constant":
                    model.optimizer.learning_rate.assign(scheduled_rate(config, done))
                loss = float(train_step(x, y))
                wants_stop = session.after_step(loss, time.perf_counter() - tick)
                if cluster.chief and len(sample) and session.step % interval == 0 and not wants_stop:
                    session.validated(validation_loss(model, sample, config.batch))
                stopping, done = agree(tf.constant(float(wants_stop)), tf.constant(session.done())).numpy()
                tick = time.perf_counter()
                if stopping > 0:
                    out_of_time = session.step >= plan.total or done >= 1.0
                    session.stopped = not out_of_time
                    break
        kept = session.keep_best() if cluster.chief and not session.stopped and session.step > step else None
        if cluster.chief and (session.step > step or latest is None):
            session.save()
    except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError, tf.errors.CancelledError,
            tf.errors.AbortedError, tf.errors.InternalError) as error:
        raise ClusterError(f"{lost_worker(error, cluster)} stopped answering at step {session.step + 1}; "
                           f"resume to continue from the last checkpoint "
                           f"({type(error).__name__}: {_detail(error)})") from None
    finally:
        session.close()
    return {"step": session.step, "total": plan.total, "stopped": session.stopped, "device": device,
            "seconds": round(session.trained_seconds(), 3), "kept": kept, "workers": workers}


def step_function(strategy, model, tokens: int):
    """One training step of the whole cluster, as a ``tf.function`` of this worker's batch: each
    worker's summed cross-entropy divided by the global batch's ``tokens``, so the gradients the
    optimizer sums over the workers are those of the global mean.  Returns the global mean loss."""
    import keras
    import tensorflow as tf
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")

    @tf.function
    def train_step(x, y):
        def replica_step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True)) / float(tokens)
            gradients = tape.gradient(loss, model.trainable_variables)
            model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))  # all-reduced (summed)
            return loss
        return strategy.reduce("SUM", strategy.run(replica_step, args=(x, y)), axis=None)

    return train_step


def _detail(error: Exception) -> str:
    """The transport's own words for a failed collective (gRPC's message), else the error's first line."""
    found = re.search(r'grpc_message:"([^"]+)"', str(error))
    return found.group(1) if found else str(error).splitlines()[0][:200]


def _digest(run: Run, config: TrainConfig, vocab_size: int) -> float:
    """A small number that equal runs share: vocabulary, training chunks and the settings that shape a step."""
    import zlib
    text = json.dumps([run.vocab_file.read_text(encoding="utf-8"), config.batch, config.seq_len,
                       config.embedding, config.units, config.layers, vocab_size])
    return float(zlib.crc32(text.encode()) % 1_000_003)


def _from_the_chief(strategy, variables, chief: bool, state: list, digest: float) -> tuple[float, float, float]:
    """Every variable, the step and the seconds set to the chief's on every worker (an all-reduce
    sum where only the chief contributes); also the sum of the workers' digests, to compare."""
    import tensorflow as tf
    weight = 1.0 if chief else 0.0

    @tf.function
    def broadcast():
        def replica():
            context = tf.distribute.get_replica_context()
            values = [context.all_reduce("SUM", tf.cast(v.value, tf.float64) * weight) for v in variables]
            figures = context.all_reduce("SUM", tf.constant([*(weight * s for s in state), digest], tf.float64))
            return values, figures
        return strategy.run(replica)

    values, figures = broadcast()
    for variable, value in zip(variables, values):  # outside the replicas: every local copy at once
        variable.assign(tf.cast(strategy.experimental_local_results(value)[0], variable.dtype))
    step, seconds, digests = strategy.experimental_local_results(figures)[0].numpy().tolist()
    return step, seconds, digests


def validation_loss(model, sample, batch: int) -> float:
    """Mean cross-entropy per token over the chief's validation sample, computed on the chief alone
    (Keras' ``evaluate`` would run under the strategy and wait for the other workers)."""
    import numpy as np
    import tensorflow as tf
    x, y = inputs_and_targets(sample)
    total = 0.0
    for start in range(0, len(x), batch):
        logits = model(x[start:start + batch], training=False)
        total += float(tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(
            y[start:start + batch].astype(np.int32), tf.cast(logits, tf.float32))))
    return total / y.size
