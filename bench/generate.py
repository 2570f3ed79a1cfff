"""Generation speed: namuweb's NumPy generator vs the tutorial's eager loop, same weights, same run.

    python bench/generate.py [--tokens 3000]

A tutorial-sized model (Embedding 128 → LSTM 128 → Dense) is trained for a few
steps on the built-in corpus in a temporary data directory, so both loops read
the same checkpoint.  The tutorial's loop calls the whole Keras model on one
token at a time with carried (stateful) LSTM state and samples with
``tf.random.categorical`` (timed over its first 300 tokens: it is slow).
namuweb is timed twice: the bare step (the LSTM step and the draw, nothing
else) and end to end as the Generate page runs it: ``Generator.stream`` from
the start text to one finished sample of ``--tokens`` jamo tokens, reading the
sample's composed text at every update the page draws.  Goals: end to end
>= 30,000 tokens/s and >= 100x the tutorial loop.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def tutorial_loop(checkpoint: Path, start_ids: list[int], tokens: int) -> float:
    import keras
    import tensorflow as tf
    trained = keras.models.load_model(checkpoint)
    vocab_size = trained.output_shape[-1]
    model = keras.Sequential([
        keras.Input(batch_shape=(1, None)),
        keras.layers.Embedding(vocab_size, 128),
        keras.layers.LSTM(128, return_sequences=True, stateful=True, recurrent_initializer="glorot_uniform"),
        keras.layers.Dense(vocab_size),
    ])
    model.set_weights(trained.get_weights())
    input_eval = tf.expand_dims(start_ids, 0)
    for layer in model.layers:  # Keras 3 keeps reset_states on the stateful layer
        if hasattr(layer, "reset_states"):
            layer.reset_states()
    started = time.perf_counter()
    for _ in range(tokens):
        predictions = tf.squeeze(model(input_eval), 0)
        predicted_id = tf.random.categorical(predictions, num_samples=1)[-1, 0].numpy()
        input_eval = tf.expand_dims([predicted_id], 0)
    return tokens / (time.perf_counter() - started)


def namuweb_end_to_end(run_dir: Path, tokens: int) -> float:
    """Tokens/s of the page's loop: stream, read each update's text, until one sample of ``tokens`` is done."""
    from namuweb.language_model import generate
    generator = generate.load_generator(run_dir)
    generator.generate("한국에서는", 20, 1.0, seed=0)  # warm the codec tables
    best = 0.0
    for seed in range(3):
        started = time.perf_counter()
        count, shown = 0, 0
        for samples in generator.stream("한국에서는", 100_000, [1.0], seed=seed):
            shown += len(samples[0].text)  # what the page draws at each update
            count = len(samples[0].tokens)
            if count >= tokens:
                break
        best = max(best, count / (time.perf_counter() - started))
    return best


def namuweb_through_a_sampler(run_dir: Path, tokens: int) -> float:
    """Tokens/s as the Generate page now gets them: asked of a sampler process (``sampling.Model``), the
    samples' tokens back over its pipe; the model is opened (loaded in the sampler) before the clock starts."""
    from namuweb.language_model import sampling
    model = sampling.Model(run_dir)
    model.stream("한국에서는", 20, [1.0], seed=0)  # the sampler's first question: imports and tables
    best = 0.0
    for seed in range(3):
        started = time.perf_counter()
        samples = model.stream("한국에서는", tokens // 3, [1.0], seed=seed)  # about 3 jamo tokens a character
        best = max(best, len(samples[0].tokens) / (time.perf_counter() - started))
    return best


def namuweb_bare_step(run_dir: Path, tokens: int) -> float:
    """Tokens/s of the step and the draw alone: what end to end can at most reach."""
    import numpy as np

    from namuweb.language_model import generate
    generator = generate.load_generator(run_dir)
    best = 0.0
    for seed in range(3):
        rng = np.random.default_rng(seed)
        state = generator.model.initial_state(1)
        token = np.zeros(1, dtype=np.int64)
        started = time.perf_counter()
        for _ in range(tokens):
            logits = generator.model.step(token, state)
            token[0] = generate.draw(logits[0], 1.0, rng)
        best = max(best, tokens / (time.perf_counter() - started))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["NAMUWEB_HOME"] = home
        from namuweb.language_model import runs, trainer
        from namuweb.language_model.settings import TrainConfig
        from namuweb.language_model.generate import prepare_start
        run_dir = runs.create_run(TrainConfig.from_preset("builtin", "tutorial", steps=3))
        trainer.train(run_dir)
        run = runs.Run(run_dir)
        checkpoint = run.checkpoint_file()
        start_ids = prepare_start("한국에서는", run.vocab()).ids
        bare = namuweb_bare_step(run_dir, args.tokens)
        ours = namuweb_end_to_end(run_dir, args.tokens)
        sampled = namuweb_through_a_sampler(run_dir, args.tokens)
        theirs = tutorial_loop(checkpoint, start_ids, min(args.tokens, 300))
    print(f"one sample of {args.tokens:,} jamo tokens, tutorial-sized model (E128, LSTM128), CPU")
    print(f"tutorial eager loop (model call + tf.random.categorical)  {theirs:>9,.0f} tokens/s")
    print(f"namuweb bare step (LSTM step + draw)                      {bare:>9,.0f} tokens/s")
    print(f"namuweb end to end (the page's stream, text each update)  {ours:>9,.0f} tokens/s")
    print(f"namuweb through a sampler process (as the page asks)      {sampled:>9,.0f} tokens/s")
    print(f"end to end: {ours / theirs:.0f}x the tutorial loop, {ours / bare:.0%} of the bare step   "
          f"(goals: >= 30,000 tokens/s: {'met' if ours >= 30_000 else 'NOT met'}; "
          f">= 100x: {'met' if ours / theirs >= 100 else 'NOT met'})")


if __name__ == "__main__":
    main()
