"""Peak memory of ``python -m namuweb train --corpus FILE`` against the size of FILE.

    python bench/cli_memory.py [--megabytes 100] [--steps 5] [--small-megabytes 3] [--tokenization jamo]

Builds a text of the given size from the Korean corpora in ../shared/corpora (repeated; in a temporary
folder, removed at the end), and a small one from the same text, then runs the command on each in a
fresh data folder, as a user would: the file is added to the library, encoded and trained on for a few
steps, in one process. Prints each run's peak resident memory (the command's and its children's, from
``wait4``), the peak over the file's size, and how much the large file costs over the small one: what
grows with the corpus, apart from what TensorFlow costs on any corpus. The goal is a peak under 1 GB
for a 100 MB file.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPORA = ROOT.parent / "shared" / "corpora"
MB = 1024 * 1024
GOAL_MB = 1024


def build_text(path: Path, megabytes: float) -> int:
    """``megabytes`` of real Korean text: the shared corpora, one after another, repeated."""
    sources = sorted(SHARED_CORPORA.glob("*.txt"))
    if not sources:
        sys.exit(f"no corpora in {SHARED_CORPORA}: this bench reads real Korean text from there")
    text = b"\n".join(source.read_bytes() for source in sources)
    wanted = int(megabytes * MB)
    written = 0
    with path.open("wb") as out:
        while written < wanted:
            piece = text[:wanted - written]
            if len(piece) < len(text):
                piece = piece[:piece.rfind(b"\n") + 1] or text[:text.find(b"\n") + 1]  # whole lines: valid UTF-8
            out.write(piece)
            written += len(piece)
    return written


def peak_of_train(corpus: Path, home: Path, steps: int, tokenization: str) -> tuple[float, float, int]:
    """(peak RSS in MB, wall seconds, exit code) of one ``train --corpus`` in its own process."""
    command = [sys.executable, "-c", (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
        "sys.stderr.write(done.stderr[-2000:] if done.returncode else '')\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"),
        sys.executable, "-m", "namuweb", "train", "--corpus", str(corpus), "--steps", str(steps),
        "--tokenization", tokenization]
    # The measuring process is small: Linux carries a forking parent's peak into its child's ru_maxrss.
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=dict(os.environ, NAMUWEB_HOME=str(home)), capture_output=True,
                          text=True)
    seconds = time.monotonic() - started
    if done.returncode:
        sys.exit(done.stderr)
    code, peak_kb = map(int, done.stdout.split())
    if code:
        print(done.stderr, file=sys.stderr)
    return peak_kb / 1024, seconds, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=100)
    parser.add_argument("--small-megabytes", type=float, default=3)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--tokenization", choices=["jamo", "syllables"], default="jamo")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="namuweb-cli-memory-"))
    try:
        rows = []
        for name, megabytes in (("small", args.small_megabytes), ("large", args.megabytes)):
            corpus = scratch / f"{name}.txt"
            size = build_text(corpus, megabytes)
            peak, seconds, code = peak_of_train(corpus, scratch / f"home-{name}", args.steps, args.tokenization)
            rows.append((name, size, peak, seconds, code))
            corpus.unlink()
        print(f"train --corpus FILE --steps {args.steps} --tokenization {args.tokenization} "
              f"(peak RSS of the command, children included)")
        print(f"{'file':<6} {'size MB':>9} {'peak MB':>9} {'peak / size':>12} {'seconds':>8}  exit")
        for name, size, peak, seconds, code in rows:
            print(f"{name:<6} {size / MB:9.1f} {peak:9.0f} {peak / (size / MB):12.2f} {seconds:8.1f}  {code}")
        (_, small_size, small_peak, _, _), (_, large_size, large_peak, _, _) = rows
        grows = (large_peak - small_peak) / ((large_size - small_size) / MB)
        print(f"the large file costs {large_peak - small_peak:,.0f} MB over the small one "
              f"({grows:.2f} MB of memory per MB of text); goal: peak under {GOAL_MB} MB for the large file: "
              f"{'met' if large_peak < GOAL_MB else 'NOT met'}")
        return 0 if large_peak < GOAL_MB else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
