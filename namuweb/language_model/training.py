"""The training job: what the pages and the CLI start, on this machine or as the chief of a multi-worker
cluster, and what it says when it ends; also a run's validation loss on demand.

Sits above both loops (:mod:`trainer`, :mod:`multiworker`) and picks one by the run's settings.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from namuweb import jobs
from namuweb.language_model import generate, multiworker, runs, trainer
from namuweb.language_model.data import validation_sample
from namuweb.language_model.run_folder import FOLDERS, PARTIAL_FILES, DamagedCheckpoint, Run, RunError, check_startable
from namuweb.language_model.session import load_split
from namuweb.language_model.settings import UNBOUNDED_STEPS

LOGICAL_CPUS_ENV = "NAMUWEB_LOGICAL_CPUS"  # split the CPU to exercise tf.distribute without GPUs


def max_training_jobs() -> int:
    """Training jobs at once (``NAMUWEB_MAX_TRAINING_JOBS``, default 1: two would share the cores)."""
    return int(os.environ.get("NAMUWEB_MAX_TRAINING_JOBS", "1"))


class JobProgressPublisher:
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
            self.publish(runs.progress_record(row["step"], row["total"], seconds=row.get("seconds"),
                                              max_seconds=self.max_seconds,
                                              message=f"starting on {row.get('device', '?')}", **self.facts))
            return
        if self.first is None:
            self.first = (row["step"], row.get("seconds", 0.0))
        elapsed = row.get("seconds", 0.0) - self.first[1]
        rate = (row["step"] - self.first[0]) / elapsed if elapsed > 0 else None
        self.publish(runs.progress_record(
            row["step"], row["total"], seconds=row.get("seconds"), max_seconds=self.max_seconds,
            steps_per_s=rate, message=f"epoch {row['epoch']} · loss {row['loss']:.3f} · "
                                      f"{row['tokens_per_s'] / 1000:.1f}k tok/s",
            epoch=row["epoch"], loss=row["loss"], tokens_per_s=row["tokens_per_s"], **self.facts))


def recover_checkpoints(run: Run) -> None:
    """Resume past a damaged checkpoint from the newest intact one, or say that none is left."""
    try:
        inspection = run.repair_checkpoints()
    except DamagedCheckpoint as error:
        raise jobs.JobError(str(error)) from None
    if message := inspection.resume_message():
        print(f"namuweb train: warning: {message}", file=sys.stderr, flush=True)


def run_job(run_dir: Path, job: jobs.JobContext) -> str:
    """Train (or resume) a run as a job: on this machine, or as the chief of a multi-worker cluster
    (``TF_CONFIG``), until its budget is spent or a stop is requested.

    Refused at its first start (busy, a demo's limits, a deleted corpus), the run folder goes.
    Failed, it removes the corpus encoded as token ids (as large as the corpus or larger, and made
    again by a Resume) and a checkpoint cut off in the middle of its save (Keras writes it under a
    temporary name first); its finished checkpoints stay: each was saved whole, and a Resume
    continues from the newest.  The config, vocabulary, metrics, samples, status and log stay as the record of why."""
    run = Run(run_dir)
    try:
        run.corpus()  # a deleted corpus: one line, before any training
    except RunError as error:
        raise jobs.JobError(str(error)) from None
    recover_checkpoints(run)
    on_step = JobProgressPublisher(job.publish)
    if run.config().distribute == "multiworker":
        try:
            cluster = multiworker.cluster_of(os.environ.get("TF_CONFIG", ""))
            result = multiworker.train(run_dir, cluster, should_stop=lambda: job.stop_requested, on_step=on_step,
                                       started=job.started)
        except multiworker.ClusterError as error:
            raise jobs.JobError(str(error)) from None
    else:
        result = trainer.train(run_dir, should_stop=lambda: job.stop_requested, on_step=on_step,
                       logical_cpus=int(os.environ.get(LOGICAL_CPUS_ENV, "0") or 0), started=job.started)
    check_floor(result, run_dir)
    return summary(result, run_dir)


def summary(result: dict, run_dir: Path) -> str:
    """What a finished or stopped session says: where it ended, and which weights it kept."""
    of = f" of {result['total']}" if result["total"] < UNBOUNDED_STEPS else ""
    line = (f"{'stopped' if result['stopped'] else 'finished'} at step {result['step']}{of} "
            f"on {result['device']}; checkpoint in {Run(run_dir).checkpoints_dir}")
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
    run = Run(run_dir)
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


def evaluate(run_dir: Path) -> float:
    """Validation loss of the latest checkpoint on the trainer's validation sample, on demand;
    appended to the run's curves.  A NumPy forward pass (:func:`generate.mean_cross_entropy`) of the
    checkpoint's weights, so the page's button never brings TensorFlow into the server."""
    run = Run(run_dir)
    config, split = load_split(run.path)
    latest = run.latest_checkpoint()
    if latest is None:
        raise RunError("this run has no checkpoint yet")
    if not len(split.val):
        raise RunError("this run holds out no validation data (validation share 0)")
    model = generate.CharLSTM(generate.read_weights(run.checkpoint_file()))
    loss = generate.mean_cross_entropy(model, validation_sample(split.val))
    run.append_metrics({"step": latest["step"], "val_loss": round(loss, 5), "on_demand": True,
                        "time": round(time.time(), 3)})
    return loss


TRAINING = jobs.register(jobs.JobKind(
    "train", FOLDERS, run_job, check=check_startable, max_active=max_training_jobs, partial=PARTIAL_FILES,
    worker_without=("pandas",),
    corpus=jobs.CorpusUse(noun="training run", after_deletion="{n} training run(s) ({names}) will still generate "
                          "text but can no longer resume or be evaluated")))
