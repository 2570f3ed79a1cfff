"""A 100 MB corpus: the training process's peak memory and its time to the first step.

    python bench/large_corpus.py [--megabytes 100] [--steps 5]

Builds a corpus of the given size from the built-in text (its lines reshuffled, pass after
pass), adds it to a fresh library as an upload would, then runs what a user runs,
``python -m namuweb train --corpus ID --preset tutorial --steps N``, and prints:

* the peak resident memory of that training process (``ru_maxrss`` of the child; goal <= 1 GB);
* seconds from the process's start to its first training step, and the same less the
  TensorFlow import, which a child process measures in the same run (goal <= 10 s).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MB = 1024 * 1024


def build_text(path: Path, megabytes: float) -> int:
    from namuweb.corpora.corpus import ensure_builtin
    lines = ensure_builtin().path.read_text(encoding="utf-8").splitlines(keepends=True)
    rng = random.Random(0)
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < megabytes * MB:
            rng.shuffle(lines)
            block = "".join(lines)
            out.write(block)
            written += len(block.encode("utf-8"))
    return written


def tensorflow_import_seconds() -> float:
    code = "import time; t = time.monotonic(); import tensorflow; print(time.monotonic() - t)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=100)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        os.environ["NAMUWEB_HOME"] = str(home)
        text_file = Path(tmp) / "large.txt"
        size = build_text(text_file, args.megabytes)
        from namuweb.corpora import corpus
        added = corpus.add_text_file(text_file, "large.txt", max_bytes=size + 1)
        text_file.unlink()
        import_s = tensorflow_import_seconds()
        run_dir = Path(tmp) / "run"
        began = time.time()
        done = subprocess.run([sys.executable, "-m", "namuweb", "train", "--corpus", added.id, "--preset", "tutorial",
                               "--steps", str(args.steps), "--run-dir", str(run_dir)],
                              capture_output=True, text=True, env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})
        wall = time.time() - began
        if done.returncode != 0:
            sys.exit(done.stderr[-3000:])
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
        from namuweb import storage
        from namuweb.language_model.run_folder import Run
        rows = storage.read_jsonl(Run(run_dir).metrics_file)
        first = min(r["time"] for r in rows if "loss" in r) - began
        tokens = Run(run_dir).tokens_file.stat().st_size // Run(run_dir).vocab().dtype.itemsize
    print(f"corpus {size / MB:.0f} MB ({tokens:,} jamo tokens), tutorial preset, {args.steps} steps, whole CLI run "
          f"{wall:.1f} s")
    print(f"peak RSS of the training process   {peak_mb:8,.0f} MB   (goal <= 1,024 MB: "
          f"{'met' if peak_mb <= 1024 else 'NOT met'})")
    print(f"start to first step                {first:8.1f} s")
    print(f"  less the TensorFlow import       {first - import_s:8.1f} s    (import alone {import_s:.1f} s; "
          f"goal <= 10 s: {'met' if first - import_s <= 10 else 'NOT met'})")


if __name__ == "__main__":
    main()
