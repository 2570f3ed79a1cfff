"""Train the tutorial's char-LSTM at the tutorial's settings on the built-in corpus,
with namuweb's trainer and with a plain port of the tutorial's Keras code, in the
same run and for the same number of steps; print tokens/s of each and the ratio.

    python bench/train.py [--steps 30] [--warmup 3] [--rounds 3]

Each side runs in a fresh child process (TensorFlow state does not leak between
them), alternating for --rounds rounds so a noisy neighbour slows both alike.
Tokens/s of a run is the median over the steps after the warm-up ones (the
first steps include tracing); each side's figure is the median of its rounds.
Both sides time a step the same way, from one batch's end to the next (what
namuweb's ``metrics.jsonl`` records), so Keras' work between batches counts on both.
Goal (issue 3): namuweb >= 1.2x the plain port.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PLAIN_PORT = r"""
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, {root!r})
import numpy as np
import tensorflow as tf
from namuweb import hangul
from namuweb.corpus import ensure_builtin

data = hangul.decompose(ensure_builtin().read_text())
chars = sorted(set(data))
vocab = dict(zip(chars, range(len(chars))))
tensor = np.array(list(map(vocab.get, data)))
batch_size, seq_length = 100, 300
char_dataset = tf.data.Dataset.from_tensor_slices(tensor)
sequences = char_dataset.batch(seq_length + 1, drop_remainder=True)
def split_input_target(chunk):
    return chunk[:-1], chunk[1:]
dataset = sequences.map(split_input_target).shuffle(10000).batch(batch_size, drop_remainder=True).repeat()
model = tf.keras.Sequential([
    tf.keras.Input(batch_shape=(batch_size, None)),
    tf.keras.layers.Embedding(len(chars), 128),
    tf.keras.layers.LSTM(128, return_sequences=True, recurrent_initializer="glorot_uniform"),
    tf.keras.layers.Dense(len(chars)),
])
def loss(labels, logits):
    return tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
model.compile(optimizer="adam", loss=loss)
times = []
class Timer(tf.keras.callbacks.Callback):  # batch end to batch end, as namuweb's metrics.jsonl times a step
    def on_epoch_begin(self, epoch, logs=None):
        self.t = time.perf_counter()
    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        times.append(now - self.t)
        self.t = now
model.fit(dataset, epochs=1, steps_per_epoch={steps}, verbose=0, callbacks=[Timer()])
rates = [batch_size * seq_length / t for t in times[{warmup}:]]
print(json.dumps({{"tokens_per_s": float(np.median(rates)), "steps": len(times)}}))
"""

NAMUWEB = r"""
import json, os, sys
sys.path.insert(0, {root!r})
import numpy as np
from namuweb import runs, trainer
from namuweb.charlm import TrainConfig
config = TrainConfig.from_preset("builtin", "tutorial", steps={steps})
run_dir = runs.create_run(config)
result = trainer.train(run_dir)
metrics = runs.read_metrics(run_dir).dropna(subset=["loss"])
rates = metrics["tokens_per_s"].to_numpy()[{warmup}:]
print(json.dumps({{"tokens_per_s": float(np.median(rates)), "steps": int(result["step"]),
                  "device": result["device"]}}))
"""


def run(template: str, steps: int, warmup: int, home: str) -> dict:
    code = template.format(root=str(ROOT), steps=steps, warmup=warmup)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=os.environ | {"NAMUWEB_HOME": home, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if done.returncode != 0:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    plains, ourss = [], []
    with tempfile.TemporaryDirectory() as home:
        for round_ in range(args.rounds):
            order = [(PLAIN_PORT, plains), (NAMUWEB, ourss)]
            for template, results in (order if round_ % 2 == 0 else order[::-1]):
                results.append(run(template, args.steps, args.warmup, home))
    plain = {"tokens_per_s": statistics.median(r["tokens_per_s"] for r in plains)}
    ours = {"tokens_per_s": statistics.median(r["tokens_per_s"] for r in ourss), "device": ourss[0]["device"]}
    ratio = ours["tokens_per_s"] / plain["tokens_per_s"]
    print("rounds (tokens/s): plain " + ", ".join(f"{r['tokens_per_s']:,.0f}" for r in plains)
          + " | namuweb " + ", ".join(f"{r['tokens_per_s']:,.0f}" for r in ourss))
    print(f"tutorial char-LSTM (E128, LSTM128, batch 100 x 300), built-in corpus, {args.steps} steps "
          f"({args.warmup} warm-up), device: {ours['device']}")
    print(f"plain port (Sequential + fit on tf.data)  {plain['tokens_per_s']:>9,.0f} tokens/s")
    print(f"namuweb trainer                           {ours['tokens_per_s']:>9,.0f} tokens/s")
    print(f"ratio {ratio:.2f}x   (goal >= 1.2x: {'met' if ratio >= 1.2 else 'NOT met'})")
    print(f"bench took {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
