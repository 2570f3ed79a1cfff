"""The char-LSTM training step on a CPU: the variants tried for bench/train.py, measured side by side.

    python bench/train_variants.py [--steps 8] [--rounds 3] [--only stock,manual]

Every variant trains the tutorial's model (Embedding(V,128) -> LSTM(128) -> Dense(V),
batch 100 x 300, Adam, sparse cross-entropy from logits) on the same random batch
with ``train_on_batch``, each in a fresh child process, alternating over rounds so
a noisy neighbour slows all alike.  Each prints tokens/s (median of its rounds)
and its ratio to ``stock``, the Keras LSTM that namuweb and the plain port share:

* ``stock``     keras.layers.LSTM (generic loop on CPU: cuDNN needs a GPU)
* ``xla``       the same, compiled with XLA (``jit_compile=True``)
* ``bf16``      the same under the ``mixed_bfloat16`` policy (this CPU has AVX512_BF16)
* ``fused``     embedding and input kernel fused into one (V, 4u) table looked up
                per token, so the loop does only ``h @ U``; Keras' own loop, time-major
* ``fused2``    ``fused`` with the batch split into two independent loops, one per core
* ``manual``    the same fused table with namuweb.fast_lstm's hand-written forward/backward
                loop (``tf.custom_gradient``): the table's gradient summed inside it, ``dU``
                as one GEMM after it
* ``manual2``   ``manual`` with the batch split into two independent loops, one per core
* ``namuweb``   what namuweb's trainer runs on a CPU (namuweb/fast_lstm.py): ``manual2``, and
                each half with its own lookup, output layer and loss; a written-out softmax gradient

A TensorFlow profile of ``stock`` shows where the time goes: the step is the
300-step chain of ``h @ U`` matmuls (100x128 @ 128x512) forward and ``dz @ U^T``
backward, each at about one core's peak, while the other per-step matmuls
(``x @ W`` and the weight gradients) already run on the second core beside the
chain.  So taking them out of the loop alone (``fused``, ``manual``) shortens
nothing; only with the second core freed of them does a second, independent
chain (``manual2``) use it; and then the work between the loops (output layer,
softmax, the lookup's gradient) is the next thing on one core (``namuweb``).
XLA's CPU loop and bfloat16 are slower.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VARIANTS = ("stock", "xla", "bf16", "fused", "fused2", "manual", "manual2", "namuweb")
VOCAB, UNITS, EMBEDDING, BATCH, SEQ = 160, 128, 128, 100, 300


def _fused_layer(loop: str, chains: int = 1):
    import keras
    import tensorflow as tf
    from keras import ops
    from keras.src import backend  # the generic RNN loop keras.layers.LSTM itself runs on a CPU

    from namuweb import fast_lstm

    class FusedEmbeddingLSTM(keras.layers.Layer):
        def build(self, shape):
            self.embeddings = self.add_weight((VOCAB, EMBEDDING), initializer="uniform")
            self.kernel = self.add_weight((EMBEDDING, 4 * UNITS), initializer="glorot_uniform")
            self.recurrent = self.add_weight((UNITS, 4 * UNITS), initializer="glorot_uniform")
            self.bias = self.add_weight((4 * UNITS,), initializer="zeros")

        def call(self, ids):
            table = ops.matmul(self.embeddings, self.kernel) + self.bias
            ids = ops.transpose(ids)  # time-major
            outputs = []
            for part in (tf.split(ids, chains, axis=1) if chains > 1 else [ids]):
                zeros = ops.zeros((ops.shape(part)[1], UNITS))
                if loop == "manual":
                    outputs.append(fast_lstm.lstm_recurrence(table, part, zeros, zeros, self.recurrent))
                    continue
                part = ops.take(table, part, axis=0)  # (T, B/chains, 4u)

                def step(x_t, states):
                    h, c = states
                    i, f, g, o = ops.split(x_t + ops.matmul(h, self.recurrent), 4, axis=1)
                    c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
                    h = ops.sigmoid(o) * ops.tanh(c)
                    return h, [h, c]

                outputs.append(backend.rnn(step, part, [zeros, zeros], time_major=True,
                                           input_length=part.shape[0], return_all_outputs=True)[1])
            return ops.transpose(ops.concatenate(outputs, axis=1) if chains > 1 else outputs[0], (1, 0, 2))

    return FusedEmbeddingLSTM()


def child(variant: str, steps: int) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    from keras import layers
    if variant == "bf16":
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    if variant == "namuweb":
        from namuweb import charlm, fast_lstm
        model = fast_lstm.training_model(charlm.build_model(VOCAB, charlm.TrainConfig.from_preset("bench", "tutorial")))
    else:
        tokens = keras.Input(shape=(None,), dtype="int32")
        if variant.startswith(("fused", "manual")):
            loop, chains = ("manual" if variant.startswith("manual") else "keras"), (2 if variant.endswith("2") else 1)
            x = _fused_layer(loop, chains)(tokens)
        else:
            x = layers.Embedding(VOCAB, EMBEDDING)(tokens)
            x = layers.LSTM(UNITS, return_sequences=True, recurrent_initializer="glorot_uniform")(x)
        model = keras.Model(tokens, layers.Dense(VOCAB, dtype="float32")(x))
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=variant == "xla")
    rng = np.random.default_rng(0)
    x_batch, y_batch = (rng.integers(0, VOCAB, (BATCH, SEQ)).astype("int32") for _ in range(2))
    for _ in range(2):  # tracing and compiling
        model.train_on_batch(x_batch, y_batch)
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        loss = model.train_on_batch(x_batch, y_batch)
        times.append(time.perf_counter() - started)
    print(json.dumps({"tokens_per_s": BATCH * SEQ / statistics.median(times), "loss": float(loss)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(VARIANTS), help="comma-separated variants (stock always runs)")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.steps)
    chosen = ["stock"] + [v for v in args.only.split(",") if v in VARIANTS and v != "stock"]
    rates: dict[str, list[float]] = {v: [] for v in chosen}
    started = time.perf_counter()
    for round_ in range(args.rounds):
        for variant in (chosen if round_ % 2 == 0 else chosen[::-1]):
            done = subprocess.run([sys.executable, __file__, "--child", variant, "--steps", str(args.steps)],
                                  capture_output=True, text=True, env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2"})
            if done.returncode != 0:
                sys.exit(f"{variant} failed:\n{done.stderr[-3000:]}")
            rates[variant].append(json.loads(done.stdout.strip().splitlines()[-1])["tokens_per_s"])
    stock = statistics.median(rates["stock"])
    print(f"tutorial char-LSTM training step (E{EMBEDDING}, LSTM{UNITS}, batch {BATCH} x {SEQ}), "
          f"{args.steps} steps x {args.rounds} rounds, median tokens/s")
    for variant in chosen:
        rate = statistics.median(rates[variant])
        print(f"{variant:8s} {rate:>9,.0f} tokens/s   {rate / stock:5.2f}x stock")
    print(f"bench took {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
