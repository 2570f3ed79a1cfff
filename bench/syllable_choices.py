"""How long a click on the Generate page's next-syllable chart waits for the next choices, against the bare
next-token table (the jamo chart's question) in the same run, for the recommended preset's model.

    python bench/syllable_choices.py [--clicks 40] [--run RUN_DIR]

A model of the "better model" preset's shape (Embedding 64 → LSTM 256 → Dense over the built-in corpus's
156 tokens) is trained for a few steps in a temporary data directory (or ``--run`` times a run you have).
A visitor generates 200 characters, then clicks the likeliest syllable ``--clicks`` times: each click asks
the choices after the text so far.  Timed per question, end to end through a sampler process (as the page
asks: ``sampling.Model``) and in-process (``syllable_choices.choices``, ``Generator.next_token_table``);
then branch questions: the choices at a character in the middle of the sample, a context no question
had before.  In-process runs with one BLAS thread, as a sampler does (two threads on two busy cores only
wait for each other on matrices this small).  Goal: a click's choices within 100 ms (median and p95) on
2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # one BLAS thread, as in a sampler
    os.environ.setdefault(_threads, "1")
GOAL_MS = 100.0


def timed(ask, questions) -> list[float]:
    """Milliseconds of each question."""
    times = []
    for question in questions:
        started = time.perf_counter()
        ask(question)
        times.append(1000 * (time.perf_counter() - started))
    return times


def line(name: str, times: list[float]) -> tuple[str, list[float]]:
    return name, times


def print_row(name: str, times: list[float]) -> None:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    print(f"{name:<54} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms")


def measure(run_dir: Path, clicks: int) -> tuple[list[tuple[str, list[float]]], bool]:
    from namuweb.language_model import generate, sampling, syllable_choices
    from namuweb.text.hangul import decompose
    generator = generate.load_generator(run_dir)
    start = "한국에서는"
    sample = generator.generate(start, 200, 0.8, seed=1)[0]
    # the clicks' contexts: the sample's jamo, then the likeliest syllable after each click
    picked, contexts = list(sample.stream), []
    for _ in range(clicks):
        contexts.append(list(picked))
        picked += list(syllable_choices.choices(generator, start, picked, temperature=0.8)[0].tokens)
    # branch questions: every 10th character of the sample, each a context none asked before
    branches = [(start + sample.continuation[:i], decompose(sample.continuation[i]))
                for i in range(5, len(sample.continuation), 10)]
    model = sampling.Model(run_dir)
    model.next_token_table(start, 0.8, after=contexts[0][:5])  # both samplers' first questions: imports, tables
    model.syllable_choices(start, 0.8, after=contexts[0][:5])
    clicks = timed(lambda after: model.syllable_choices(start, 0.8, after=after), contexts)
    baseline = timed(lambda after: model.next_token_table(start, 0.8, after=after), contexts)
    syllable_choices._PRIMED.clear()  # in-process as a sampler meets the clicks: no context read before
    rows = [
        line("next-token table, through a sampler (baseline)", baseline),
        line("next syllables, through a sampler (a click)", clicks),
        line("next-token table, in-process (baseline)",
             timed(lambda after: generator.next_token_table(start, 0.8, after=after), contexts)),
        line("next syllables, in-process",
             timed(lambda after: syllable_choices.choices(generator, start, after, temperature=0.8), contexts)),
        line("branch: a character's alternatives, through a sampler",
             timed(lambda q: model.syllable_choices(q[0], 1.0, include=[q[1]]), branches)),
    ]
    slowest = max(statistics.median(clicks), statistics.quantiles(clicks, n=20)[-1])
    return rows, slowest <= GOAL_MS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=40)
    parser.add_argument("--run", type=Path, help="time this run instead of a freshly trained one")
    args = parser.parse_args()
    if args.run:
        (rows, met), shape = measure(args.run.resolve(), args.clicks), args.run.name
    else:
        with tempfile.TemporaryDirectory() as home:
            os.environ["NAMUWEB_HOME"] = home
            from namuweb.language_model import runs, trainer
            from namuweb.language_model.settings import TrainConfig
            config = TrainConfig.from_preset("builtin", "better", steps=30)
            run_dir = runs.create_run(config)
            trainer.train(run_dir)
            rows, met = measure(run_dir, args.clicks)
            shape = f"'better' preset (E{config.embedding}, LSTM {config.units}, 30 steps)"
    print(f"{args.clicks} clicks after a 200-character sample, {shape}, {os.cpu_count()} cores")
    for name, times in rows:
        print_row(name, times)
    print(f"goal: a click's choices within {GOAL_MS:.0f} ms (median and p95): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
