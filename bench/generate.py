"""Generation: speed against the tutorial's eager loop and the bare step, and what the decoding options do on real text.

    python bench/generate.py [--tokens 3000] [--text ../shared/corpora/koconovel.txt] [--train-seconds 25]
                             [--run RUN_DIR]

Speed.  A tutorial-sized model (Embedding 128 → LSTM 128 → Dense) is trained for a few
steps on the built-in corpus in a temporary data directory, so both loops read
the same checkpoint.  The tutorial's loop calls the whole Keras model on one
token at a time with carried (stateful) LSTM state and samples with
``tf.random.categorical`` (timed over its first 300 tokens: it is slow).
namuweb is timed twice: the bare step (the model's step and the draw, nothing
else: :func:`step_and_draw`) and end to end as the Generate page runs it: ``Generator.stream`` from
the start text to one finished sample of ``--tokens`` jamo tokens, reading the
sample's composed text at every update the page draws.  Goals: end to end
>= 30,000 tokens/s and >= 100x the tutorial loop.

Then, for every preset's model shape, trained briefly on the built-in corpus until it writes syllables
as a trained model does (speed depends on that: the mask costs a second argmax only when the model's
own draw is a token the grammar forbids), end to end with the default decoding (the well-formed mask
on) against the bare step: the model's step (``CharLSTM.advance`` and the output
layer) and a Gumbel-max draw of the next token (noise 128 steps at a time, one addition and one
argmax a token), with no mask, no bookkeeping and no text.  ``CharLSTM.step`` alone, fed a fixed
sequence with no draw at all, is shown beside it: the draw itself costs that difference.  The three
are timed alternately, fifteen times each, and the best of each is kept.  Goal (issue 33): end to end
within 10 % of the bare step (ratio >= 0.90) for every preset.

Then a click's next syllables for the recommended ('better') preset's model, through a sampler, as
``bench/syllable_choices.py`` measures them (goal: within 100 ms on 2 cores).

Real text.  A quick-demo model trains on the first 90 % of the lines of ``--text`` for
``--train-seconds`` of training (``python -m namuweb train --preset demo --max-seconds``), or
``--run`` reuses a trained run; the next 60,000 characters are held out.

* Loose jamo per 1,000 generated characters: compatibility jamo (U+3131–U+318E) left in the
  composed text, over 8 samples of 1,000 characters from ``한국에서는`` at temperatures 0.5, 1.0
  and 1.5, the well-formed mask off and on (goal: on, 0).
* Held-out bits per character, unmasked and masked.  The model reads the held-out jamo stream
  (tokens not in its vocabulary dropped) in chunks of 300 tokens, each from a zero state; every
  next token is scored by its log-probability.  Unmasked: the softmax over the whole vocabulary.
  Masked: the softmax renormalised over the tokens the syllable grammar allows in the state the
  true text has reached (what the sampler draws from at temperature 1).  Bits per character = the
  bits of all scored tokens / the characters they spell (scored tokens / the tokens per character
  of the held-out text).  Renormalising over a set that holds the true token can only raise its
  probability, so masked <= unmasked whenever the text is itself well formed; a token the grammar
  forbids (a loose jamo in the text, ``ㅋㅋ``) would cost the masked model infinitely many bits: such
  tokens are counted, named, and left out of both figures.  Goal: masked <= unmasked.
* The repeated-4-gram share (the share of syllable 4-grams that occur more than once in a sample),
  mean over the same samples at temperature 0.5 plain, with a repetition penalty of 1.3, and with no
  repeated 4-gram, to show what the options do.
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
    """Tokens/s of the step and the draw alone (:func:`step_and_draw`): what end to end can at most reach."""
    from namuweb.language_model import generate
    generator = generate.load_generator(run_dir)
    return max(step_and_draw(generator, tokens, seed) for seed in range(3))


PRESET_ORDER = ("demo", "better", "tutorial")
ROUNDS = 15
HELD_OUT_CHARS = 60_000
SPAN = 300


WRITES_STEPS = 150


def preset_generator(preset: str):
    """A model of ``preset``'s shape that writes syllables as a trained one does: trained ``WRITES_STEPS``
    steps on the built-in corpus at batch 32 x 64 tokens and rate 0.01 (the tutorial's own rate and batch
    would need thousands of steps), with its loose jamo per 1,000 characters when the mask is off."""
    from namuweb.language_model import decoding, generate, runs, trainer
    from namuweb.language_model.settings import TrainConfig
    run_dir = runs.create_run(TrainConfig.from_preset("builtin", preset, steps=WRITES_STEPS, batch=32, seq_len=64,
                                                      learning_rate=0.01))
    trainer.train(run_dir)
    generator = generate.load_generator(run_dir)
    unmasked = generator.generate("한국에서는", 1000, 1.0, seed=0, decoding=decoding.Decoding(well_formed=False))[0]
    return generator, decoding.loose_jamo(unmasked.continuation)


def bare_step_only(generator, tokens: int) -> float:
    """Tokens/s of ``CharLSTM.step`` alone, fed a fixed random sequence (no draw), one timing."""
    import numpy as np
    ids = np.random.default_rng(0).integers(0, generator.vocab.size, size=(tokens, 1))
    state = generator.model.initial_state(1)
    started = time.perf_counter()
    for t in range(tokens):
        generator.model.step(ids[t], state)
    return tokens / (time.perf_counter() - started)


def step_and_draw(generator, tokens: int, seed: int) -> float:
    """Tokens/s of the model's step and a Gumbel-max draw, nothing else (no mask, no samples), one timing."""
    import numpy as np
    rng = np.random.default_rng(seed)
    kernel, bias = generator.model.weights.dense
    state = generator.model.initial_state(1)
    token = np.zeros(1, dtype=np.int64)
    started = time.perf_counter()
    done = 0
    while done < tokens:
        block = min(128, tokens - done)
        noise = rng.random((block, kernel.shape[1]), dtype=np.float32)
        with np.errstate(divide="ignore"):
            np.log(noise, out=noise)
            np.negative(noise, out=noise)
            np.log(noise, out=noise)
        np.subtract(bias, noise, out=noise)   # -log(-log U) is a Gumbel draw; the output layer's bias comes with it
        for t in range(block):
            token[0] = int((generator.model.advance(token, state) @ kernel)[0].__add__(noise[t]).argmax())
        done += block
    return tokens / (time.perf_counter() - started)


def end_to_end(generator, tokens: int, seed: int) -> float:
    """Tokens/s of ``Generator.stream`` as the page runs it (default decoding), text read at each update, one timing."""
    started = time.perf_counter()
    count = 0
    for samples in generator.stream("한국에서는", 100_000, [1.0], seed=seed):
        len(samples[0].text)
        count = len(samples[0].tokens)
        if count >= tokens:
            break
    return count / (time.perf_counter() - started)


def presets_speed(tokens: int) -> None:
    print(f"every preset's model shape (trained {WRITES_STEPS} steps on the built-in corpus), one sample of {tokens:,} "
          "tokens, default decoding (mask on) vs the bare step (model step + draw), tokens/s:")
    for preset in PRESET_ORDER:
        generator, loose = preset_generator(preset)
        alone, bare, ours = 0.0, 0.0, 0.0
        for round_ in range(ROUNDS):  # alternated, the best of each: a busy moment slows one timing, not one side
            alone = max(alone, bare_step_only(generator, tokens))
            bare = max(bare, step_and_draw(generator, tokens, round_))
            ours = max(ours, end_to_end(generator, tokens, round_))
        units = generator.model.weights.units
        print(f"  {preset:<9} (LSTM {'x'.join(map(str, units))}, mask off: {loose} loose jamo per 1,000 characters)  "
              f"step alone {alone:>7,.0f}   bare step {bare:>7,.0f}   end to end {ours:>7,.0f}   ratio {ours / bare:.2f}  "
              f"(goal >= 0.90: {'met' if ours / bare >= 0.9 else 'NOT met'}; {ours / alone:.2f} of the step alone)")


def click_speed(clicks: int = 40) -> None:
    """A click's next syllables for the recommended preset's model, through a sampler: ``bench/syllable_choices.py``'s
    measurement (its full table: run that script), on a 'better' run trained 30 steps in this data directory."""
    import statistics

    from namuweb.language_model import runs, trainer
    from namuweb.language_model.settings import TrainConfig
    import syllable_choices as clicks_bench   # bench/syllable_choices.py, beside this script
    run_dir = runs.create_run(TrainConfig.from_preset("builtin", "better", steps=30))
    trainer.train(run_dir)
    rows, met = clicks_bench.measure(run_dir, clicks)
    times = dict(rows)["next syllables, through a sampler (a click)"]
    print(f"a click's next syllables, 'better' preset, through a sampler ({clicks} clicks): median "
          f"{statistics.median(times):.1f} ms, p95 {statistics.quantiles(times, n=20)[-1]:.1f} ms   "
          f"(goal: within {clicks_bench.GOAL_MS:.0f} ms: {'met' if met else 'NOT met'})", flush=True)


def train_quick_demo(text_file: Path, seconds: float, work: Path) -> tuple[Path, str]:
    """A quick-demo run on the first 90 % of the lines of ``text_file``; the next 60,000 characters held out."""
    import subprocess
    lines = text_file.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = int(len(lines) * 0.9)
    train_file = work / "train.txt"
    train_file.write_text("".join(lines[:cut]), encoding="utf-8")
    held = "".join(lines[cut:])[:HELD_OUT_CHARS]
    run_dir = work / "run"
    done = subprocess.run([sys.executable, "-m", "namuweb", "train", "--corpus", str(train_file), "--preset", "demo",
                           "--max-seconds", f"{seconds:g}", "--run-dir", str(run_dir)], capture_output=True, text=True,
                          env=os.environ | {"NAMUWEB_HOME": str(work / "home")}, cwd=Path(__file__).resolve().parent.parent)
    if done.returncode not in (0, 3):  # 3: below its quality floor, still a checkpoint
        sys.exit(f"namuweb train failed:\n{done.stderr[-3000:]}")
    return run_dir, held


def held_out_bits(generator, held: str) -> dict:
    """Bits per character of ``held`` unmasked and masked (see the docstring)."""
    import math

    import numpy as np

    from namuweb.text import hangul
    from namuweb.text.syllable_grammar import BETWEEN, Grammar
    vocab = generator.vocab
    index = vocab.index()
    stream = [t for t in hangul.decompose(held, marker="replace") if t in index and t != vocab.unk]
    characters = len(hangul.compose("".join(stream)))
    ids = np.array([index[t] for t in stream], dtype=np.int64)
    grammar = Grammar.of(generator.symbols, never=[] if vocab.unk_id is None else [vocab.unk_id])
    states = np.empty(len(ids), dtype=np.int8)  # the state before each token
    state = BETWEEN
    for i, token in enumerate(ids):
        states[i] = state
        after = grammar.moves[state, token]
        state = after if after >= 0 else BETWEEN
    allowed = grammar.allowed
    starts = [s for s in range(0, len(ids) - 1, SPAN) if s + SPAN + 1 <= len(ids)]
    nats = {"unmasked": 0.0, "masked": 0.0}
    scored, forbidden = 0, []
    for first in range(0, len(starts), 128):
        block = np.stack([ids[s:s + SPAN + 1] for s in starts[first:first + 128]])
        block_states = np.stack([states[s + 1:s + SPAN + 1] for s in starts[first:first + 128]])
        model_state = generator.model.initial_state(len(block))
        rows = np.arange(len(block))
        for t in range(SPAN):
            logits = generator.model.step(block[:, t], model_state).astype(np.float64)
            target, row_states = block[:, t + 1], block_states[:, t]
            ok = allowed[row_states, target]
            forbidden += [generator.symbols[i] for i in target[~ok]]
            top = logits.max(axis=1)
            plain = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
            masked_logits = np.where(allowed[row_states], logits, -np.inf)
            masked_top = masked_logits.max(axis=1)
            masked = masked_top + np.log(np.exp(masked_logits - masked_top[:, None]).sum(axis=1))
            picked = logits[rows, target]
            nats["unmasked"] += float((plain - picked)[ok].sum())
            nats["masked"] += float((masked - picked)[ok].sum())
            scored += int(ok.sum())
    per_char = len(ids) / characters  # tokens per character of the held-out text
    return {name: value / scored / math.log(2) * per_char for name, value in nats.items()} | {
        "scored": scored, "forbidden": forbidden, "characters": characters}


def real_text(run_dir: Path, held: str) -> None:
    import numpy as np

    from namuweb.language_model import generate
    from namuweb.language_model.decoding import Decoding, loose_jamo
    generator = generate.load_generator(run_dir)
    print("loose jamo per 1,000 generated characters (8 samples x 1,000 characters from 한국에서는):")
    print(f"  {'temperature':<12}{'mask off':>10}{'mask on':>10}")
    verdict = True
    for temperature in (0.5, 1.0, 1.5):
        figures = []
        for well_formed in (False, True):
            samples = generator.generate("한국에서는", 1000, temperature, samples=8, seed=1,
                                         decoding=Decoding(well_formed=well_formed))
            written = sum(len(s.continuation) for s in samples)
            figures.append(1000 * sum(loose_jamo(s.continuation) for s in samples) / written)
        verdict = verdict and figures[1] == 0
        print(f"  {temperature:<12g}{figures[0]:>10.2f}{figures[1]:>10.2f}")
    print(f"  (goal: mask on 0 at every temperature: {'met' if verdict else 'NOT met'})")
    bits = held_out_bits(generator, held)
    better = bits["masked"] <= bits["unmasked"]
    forbidden = bits["forbidden"]
    print(f"held-out bits per character ({bits['characters']:,} characters, {bits['scored']:,} tokens scored; "
          f"{len(forbidden)} the grammar forbids left out"
          + (f": {' '.join(sorted(set(forbidden)))[:60]}" if forbidden else "") + ")")
    print(f"  unmasked {bits['unmasked']:.4f}   masked {bits['masked']:.4f}   "
          f"({bits['masked'] - bits['unmasked']:+.4f}; goal masked <= unmasked: {'met' if better else 'NOT met'})")
    shares = {}
    for name, options in [("plain", Decoding()), ("repetition penalty 1.3", Decoding(repetition_penalty=1.3)),
                          ("no repeated 4-gram", Decoding(no_repeat_ngram=4))]:
        samples = generator.generate("한국에서는", 1000, 0.5, samples=8, seed=1, decoding=options)
        shares[name] = float(np.mean([s.repeated_4gram_share for s in samples]))
    print("repeated-4-gram share at temperature 0.5 (mean of 8 samples x 1,000 characters): "
          + ", ".join(f"{name} {share:.1%}" for name, share in shares.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=3000)
    parser.add_argument("--text", type=Path, default=Path(__file__).resolve().parent.parent.parent
                        / "shared" / "corpora" / "koconovel.txt", help="real text to train on and hold out")
    parser.add_argument("--train-seconds", type=float, default=25, help="the quick demo's training budget")
    parser.add_argument("--run", type=Path, help="a trained run on --text to reuse instead of training one")
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
        print(f"namuweb bare step (model step + Gumbel-max draw)          {bare:>9,.0f} tokens/s")
        print(f"namuweb end to end (the page's stream, text each update)  {ours:>9,.0f} tokens/s")
        print(f"namuweb through a sampler process (as the page asks)      {sampled:>9,.0f} tokens/s")
        print(f"end to end: {ours / theirs:.0f}x the tutorial loop, {ours / bare:.0%} of the bare step   "
              f"(goals: >= 30,000 tokens/s: {'met' if ours >= 30_000 else 'NOT met'}; "
              f">= 100x: {'met' if ours / theirs >= 100 else 'NOT met'})", flush=True)
        presets_speed(args.tokens)
        click_speed()
        if args.run:
            lines = args.text.read_text(encoding="utf-8").splitlines(keepends=True)
            run_dir, held = args.run, "".join(lines[int(len(lines) * 0.9):])[:HELD_OUT_CHARS]
        else:
            run_dir, held = train_quick_demo(args.text, args.train_seconds, Path(home))
        source = f"run {args.run.name}" if args.run else f"a quick demo trained {args.train_seconds:g} s"
        print(f"real text: {args.text.name}, {source}")
        real_text(run_dir, held)


if __name__ == "__main__":
    main()
