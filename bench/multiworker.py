"""One worker against two on this machine: the multi-worker trainer's tokens/s and its per-step
communication, each measured in the same run.

    python bench/multiworker.py [--steps 40]

Both sides run ``python -m namuweb train --distribute multiworker`` (one worker has a one-worker
TF_CONFIG, so both take the same code path) on the built-in corpus with the tutorial's model and
batch per worker; tokens/s counts the whole cluster's tokens from the first step's end to the last
(start-up left out: the same for both).  Then the per-step communication: a step's all-reduce
(every gradient, summed over the two workers, as the optimizer does it) timed alone.
On one 2-core machine two workers share the cores a single worker already uses, so no speed-up is
expected here; on two machines each worker has its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from namuweb.language_model import multiworker  # noqa: E402  (after the path is set)

ALL_REDUCE = r"""
import json, os, sys, time
os.environ["TF_CONFIG"] = sys.argv[1]
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
sys.path.insert(0, {root!r})
import tensorflow as tf
from namuweb.language_model.model import build_model
from namuweb.language_model.settings import TrainConfig
strategy = tf.distribute.MultiWorkerMirroredStrategy()
config = TrainConfig.from_preset("c", "tutorial")
with strategy.scope():
    model = build_model(int(sys.argv[2]), config)
variables = model.trainable_variables

@tf.function
def all_reduce():
    def replica():
        context = tf.distribute.get_replica_context()
        return context.all_reduce("SUM", [tf.ones_like(v) for v in variables])
    return strategy.run(replica)

for _ in range(3):
    all_reduce()
began = time.perf_counter()
for _ in range(int(sys.argv[3])):
    tf.nest.map_structure(lambda t: t.numpy(), all_reduce())
print(json.dumps({{"seconds": (time.perf_counter() - began) / int(sys.argv[3]),
                   "floats": int(sum(v.shape.num_elements() for v in variables))}}))
"""


tf_config = multiworker.tf_config


def cluster_run(workers: int, steps: int, corpus: Path, work: Path) -> dict:
    """Train ``steps`` steps on ``workers`` local workers; the chief's figures."""
    addresses = multiworker.local_workers(workers)
    run_dir = work / f"run-{workers}"
    procs = []
    for index in range(workers):
        home = work / f"home-{workers}-{index}"
        args = [sys.executable, "-m", "namuweb", "train", "--corpus", str(corpus), "--preset", "tutorial",
                "--steps", str(steps), "--val-share", "0", "--distribute", "multiworker",
                "--tf-config", tf_config(addresses, index)] + (["--run-dir", str(run_dir)] if index == 0 else [])
        procs.append(subprocess.Popen(args, cwd=ROOT, env=os.environ | {"NAMUWEB_HOME": str(home)},
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            sys.exit(f"{workers} workers failed:\n{err[-3000:]}")
    from namuweb import storage
    from namuweb.language_model.run_folder import Run
    steps_rows = [row for row in storage.read_jsonl(Run(run_dir).metrics_file) if "loss" in row]
    config = Run(run_dir).settings()
    seconds = steps_rows[-1]["seconds"] - steps_rows[0]["seconds"]
    tokens = (len(steps_rows) - 1) * config["batch"] * workers * config["seq_len"]
    from namuweb.text.vocab import load_vocab
    return {"tokens_per_s": tokens / seconds, "step_s": seconds / (len(steps_rows) - 1),
            "vocab_size": load_vocab(run_dir / "vocab.json").size}


def all_reduce_time(vocab_size: int, rounds: int = 30) -> dict:
    workers = multiworker.local_workers(2)
    code = ALL_REDUCE.format(root=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", code, tf_config(workers, i), str(vocab_size), str(rounds)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in (0, 1)]
    outs = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            sys.exit(f"all-reduce failed:\n{err[-3000:]}")
        outs.append(json.loads(out.strip().splitlines()[-1]))
    return outs[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    began = time.monotonic()
    from namuweb.corpora.corpus import ensure_builtin
    corpus = ensure_builtin()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        text = work / "builtin.txt"
        text.write_text(corpus.path.read_text(encoding="utf-8"), encoding="utf-8")
        print(f"built-in corpus, tutorial model and batch per worker (100 x 300 tokens), {args.steps} steps, "
              f"{os.cpu_count()} cores")
        one = cluster_run(1, args.steps, text, work)
        two = cluster_run(2, args.steps, text, work)
        print(f"1 worker               {one['tokens_per_s']:>9,.0f} tokens/s  ({one['step_s']:.2f} s per step)")
        print(f"2 workers, localhost   {two['tokens_per_s']:>9,.0f} tokens/s  ({two['step_s']:.2f} s per step)")
        print(f"2 workers / 1 worker   {two['tokens_per_s'] / one['tokens_per_s']:.2f}x")
        reduce = all_reduce_time(two["vocab_size"])
        print(f"all-reduce of the gradients ({reduce['floats']:,} floats) between 2 local workers: "
              f"{reduce['seconds'] * 1000:.1f} ms per step = {reduce['seconds'] / two['step_s']:.1%} of a step")
    print(f"bench took {time.monotonic() - began:.0f}s")


if __name__ == "__main__":
    main()
