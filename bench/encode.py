"""Encode an 11M-token jamo text with namuweb and with the tutorial's path.

    python bench/encode.py [--tokens 11000000] [--repeat 3]

Each path runs in its own child process so their peak memories do not mix:
the child resets the kernel's peak-RSS mark (/proc/self/clear_refs) after the
text is built and reports how far RSS rose above that while encoding.  Times
are the best of --repeat runs.  Goal (issue 2): namuweb >= 5x faster and
<= half the tutorial's peak memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
import numpy as np
from namuweb.text import hangul
from namuweb.corpora.corpus import ensure_builtin
from namuweb.text.vocab import Vocabulary, count_characters

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # MB

base = hangul.decompose(ensure_builtin().read_text())
data = base * (-(-{tokens} // len(base)))
data = data[:{tokens}]
vocab_obj = Vocabulary.from_counts(count_characters(data), tokenizer="char")  # as a run builds its own
vocab = vocab_obj.index()          # the tutorial's dict(zip(chars, range(vocab_size)))
chars = vocab_obj.chars

def tutorial():
    return np.array(list(map(vocab.get, data)))

def namuweb():
    return vocab_obj.encode(data)

encode = {{"tutorial": tutorial, "namuweb": namuweb}}[{mode!r}]
expected = None
open("/proc/self/clear_refs", "w").write("5")
before = status("VmRSS")
times = []
for _ in range({repeat}):
    t0 = time.perf_counter()
    ids = encode()
    times.append(time.perf_counter() - t0)
    del ids
peak = status("VmHWM") - before
ids = encode()
np.save({out!r}, ids)  # after the measurement: the parent compares the two paths' ids element by element
print(json.dumps({{"best_s": min(times), "peak_mb": peak, "tokens": len(data), "vocab": len(chars),
                  "dtype": str(ids.dtype)}}))
"""


def run(mode: str, tokens: int, repeat: int, out: Path) -> dict:
    code = CHILD.format(root=str(ROOT), mode=mode, tokens=tokens, repeat=repeat, out=str(out))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=11_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tutorial = run("tutorial", args.tokens, args.repeat, Path(tmp) / "tutorial.npy")
        ours = run("namuweb", args.tokens, args.repeat, Path(tmp) / "namuweb.npy")
        if not np.array_equal(np.load(Path(tmp) / "tutorial.npy"), np.load(Path(tmp) / "namuweb.npy")):
            sys.exit("the two paths disagree: namuweb's ids differ from the tutorial's")
    speed = tutorial["best_s"] / ours["best_s"]
    memory = ours["peak_mb"] / tutorial["peak_mb"]
    print(f"encode {ours['tokens']:,} jamo tokens, vocabulary {ours['vocab']} (ids identical)")
    print(f"{'path':<10} {'best time':>10} {'peak RSS rise':>14} {'dtype':>7}")
    for name, figures in (("tutorial", tutorial), ("namuweb", ours)):
        print(f"{name:<10} {figures['best_s']:>9.3f}s {figures['peak_mb']:>11.1f} MB {figures['dtype']:>7}")
    print(f"speed-up   {speed:.1f}x   (goal >= 5x: {'met' if speed >= 5 else 'NOT met'})")
    print(f"memory     {memory:.2f} of the tutorial's peak   (goal <= 0.5: {'met' if memory <= 0.5 else 'NOT met'})")
    print(f"bench took {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
