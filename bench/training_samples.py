"""Does watching it learn slow training?  The quick demo with and without the samples it writes while it trains.

    python bench/training_samples.py [--text ../shared/corpora/koconovel.txt] [--chars 300000] [--steps 600]
                                     [--rounds 4]

The text: the first ``--chars`` characters of ``--text`` (default: the built-in corpus).  Each round trains
the quick-demo preset (``settings.PRESETS["demo"]``) twice with a step budget of ``--steps`` instead of its
25 seconds, each run in a fresh process calling ``trainer.train`` as the training job does: once with the
samples as they come by default (``session.SampleWriter``: every ``SAMPLE_EVERY_S`` of training, at most
``SAMPLE_SHARE`` of it, and at the end) and once without (``NAMUWEB_SAMPLE_EVERY_S=off``), the order
alternating from round to round so neither side always runs first.

Two figures per run, both from its first step to its last (the start-up and the last sample, written after
the last step, are outside them):

* steps/s of wall-clock time, what a visitor waits for.  On a machine shared with other work it moves by
  more than the 2 % asked about from one run to the next, so
* steps per CPU-second of the whole training process (every thread: TensorFlow's, the sampler's, any thread
  a BLAS library spins), which other processes on the machine disturb far less.

Each round's ratios are with / without; the goal is a median ratio of at least 0.98.  Beside them, two
figures from the runs with samples alone, so free of the drift between runs: the seconds training waited for
samples (each moment's ``sample_s``) as a share of the training seconds, and the cost seen in the steps
themselves: the time of the ``AFTER`` steps after each sample (the first of them includes the wait) beyond
that many of the run's median step, as a share of the training seconds.
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
sys.path.insert(0, str(ROOT))

GOAL = 0.98
AFTER = 10  # steps after a sample whose time counts against it


def child(run_dir: Path) -> None:
    """Train one run here; print its steps, wall and CPU seconds from its first step to its last (JSON)."""
    from namuweb.language_model import trainer
    marks = []

    def on_step(row: dict) -> None:
        if "loss" in row:
            marks.append((row["step"], time.perf_counter(), time.process_time()))

    trainer.train(run_dir, on_step=on_step)
    (step0, wall0, cpu0), (step1, wall1, cpu1) = marks[0], marks[-1]
    print(json.dumps({"steps": step1 - step0, "wall_s": wall1 - wall0, "cpu_s": cpu1 - cpu0}))


def train(corpus_id: str, steps: int, samples: bool) -> dict:
    """One quick-demo run in a fresh process; its rates and what its samples cost."""
    from namuweb.language_model.run_folder import Run, create_run
    from namuweb.language_model.settings import TrainConfig
    run_dir = create_run(TrainConfig.from_preset(corpus_id, "demo", steps=steps))
    env = dict(os.environ)
    env.pop("NAMUWEB_SAMPLE_EVERY_S", None)
    if not samples:
        env["NAMUWEB_SAMPLE_EVERY_S"] = "off"
    done = subprocess.run([sys.executable, __file__, "--child", str(run_dir)], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"training failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    moments = {row["step"]: row for row in Run(run_dir).samples()}  # a row per temperature; one cost per moment
    rows = Run(run_dir).metrics().dropna(subset=["loss"]).set_index("step")
    config = Run(run_dir).config()
    step_s = rows["tokens_per_s"].rdiv(config.batch * config.seq_len)  # each step's seconds, as its row says
    typical = float(step_s.median())
    excess = sum(float(step_s.reindex(range(s + 1, s + 1 + AFTER)).dropna().sum()) - AFTER * typical
                 for s, row in moments.items() if not row["end"] and s + AFTER <= step_s.index.max())
    return {"steps_per_s": figures["steps"] / figures["wall_s"], "steps_per_cpu_s": figures["steps"] / figures["cpu_s"],
            "moments": len(moments), "share": sum(row["sample_s"] for row in moments.values() if not row["end"])
            / figures["wall_s"],
            "ms": 1000 * statistics.median([row["sample_s"] for row in moments.values()]) if moments else 0.0,
            "in_steps": excess / figures["wall_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", help="a UTF-8 text (default: the built-in corpus)")
    parser.add_argument("--chars", type=int, default=300_000, help="characters of --text to train on")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child))
        return
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["NAMUWEB_HOME"] = str(Path(scratch) / "home")
        from namuweb.corpora import corpus
        corpus_id, source = corpus.BUILTIN_ID, "the built-in corpus"
        if args.text:
            with open(args.text, encoding="utf-8") as f:
                (Path(scratch) / "text.txt").write_text(f.read(args.chars), encoding="utf-8")
            corpus_id = corpus.add_text_file(Path(scratch) / "text.txt", "text.txt").id
            source = f"the first {args.chars:,} characters of {args.text}"
        print(f"quick demo (settings.PRESETS['demo']), {args.steps} steps, on {source}; "
              f"{os.cpu_count()} CPUs, {args.rounds} rounds")
        print(f"{'round':>5}  {'order':<14} {'steps/s with':>12} {'without':>8} {'ratio':>6}  "
              f"{'per CPU-s with':>14} {'without':>8} {'ratio':>6}  {'samples':>7} {'ms each':>7} {'waited':>7} "
              f"{'in steps':>8}")
        wall, cpu, shares, in_steps = [], [], [], []
        for round_ in range(args.rounds):
            order = (True, False) if round_ % 2 == 0 else (False, True)
            result = {samples: train(corpus_id, args.steps, samples) for samples in order}
            on, off = result[True], result[False]
            wall.append(on["steps_per_s"] / off["steps_per_s"])
            cpu.append(on["steps_per_cpu_s"] / off["steps_per_cpu_s"])
            shares.append(on["share"])
            in_steps.append(on["in_steps"])
            print(f"{round_ + 1:>5}  {'with, without' if order[0] else 'without, with':<14} "
                  f"{on['steps_per_s']:>12.2f} {off['steps_per_s']:>8.2f} {wall[-1]:>6.3f}  "
                  f"{on['steps_per_cpu_s']:>14.2f} {off['steps_per_cpu_s']:>8.2f} {cpu[-1]:>6.3f}  "
                  f"{on['moments']:>7} {on['ms']:>7.1f} {on['share']:>7.2%} {on['in_steps']:>8.2%}")
    for what, ratios in (("steps/s", wall), ("steps per CPU-second", cpu)):
        ratio = statistics.median(ratios)
        print(f"median ratio of {what} with / without samples: {ratio:.3f} "
              f"(goal >= {GOAL}: {'met' if ratio >= GOAL else 'NOT met'})")
    print(f"training waited for the sampler {statistics.median(shares):.2%} of its time, and its steps after a "
          f"sample took {statistics.median(in_steps):.2%} of it beyond their usual time (medians)")
    print(f"bench took {time.monotonic() - began:.0f}s")


if __name__ == "__main__":
    main()
