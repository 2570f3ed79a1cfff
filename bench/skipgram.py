"""Words/s training skip-gram on the built-in corpus tagged with Okt: namuweb vs gensim.

    python bench/skipgram.py [--epochs 5] [--rounds 3]

NAMUWEB_HOME is set to a fresh temporary directory, the built-in corpus is
tagged there with Okt (the tutorial's rule: split at '.', keep sentences of
more than one token), and both trainers see the same sentences with the same
settings: skip-gram, 5 negatives, window 5, 100 dimensions, min_count 2,
subsampling 1e-3, 2 workers for gensim (this machine's cores).  Words/s is
corpus tokens in the vocabulary × epochs / training wall time.

namuweb trains as its job worker does: in a fresh process, set up by
``skipgram.configure_process``, timing its whole ``train`` call (reading the
corpus, TensorFlow starting and tracing, saving) after TensorFlow is imported.
It trains twice, with its default — K negatives per step shared by the step's
pairs — and with k negatives per pair as word2vec draws them.  gensim's time is
its whole ``Word2Vec(...)`` call.  Rounds alternate; each figure is the median.
Goal (issue 6): namuweb >= 0.5x gensim.
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
os.environ["NAMUWEB_HOME"] = tempfile.mkdtemp(prefix="namuweb-bench-")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(ROOT))

from namuweb.corpora import corpus  # noqa: E402

from namuweb.morphemes import morph

from namuweb.embeddings import skipgram

PROBES = ("국민/Noun", "대통령/Noun", "법률/Noun")

CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from namuweb.embeddings import skipgram
skipgram.configure_process()
import tensorflow  # noqa: F401  (not part of the timing, as in the bench's gensim side)
config = skipgram.SkipGramConfig(corpus={corpus!r}, epochs={epochs}, shared_negatives={shared})
started = time.perf_counter()
trained = skipgram.train(config, Path({out!r}))
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "words": int(sum(trained.counts)) * {epochs},
                  "vocabulary": len(trained.words),
                  "neighbours": {{p: trained.neighbors(p, 5) for p in {probes!r}}}}}, ensure_ascii=False))
"""


def tagged_builtin() -> corpus.Corpus:
    source = corpus.ensure_builtin()
    path = Path(os.environ["NAMUWEB_HOME"]) / "tagged.txt"
    with path.open("w", encoding="utf-8") as out:
        for line in source.read_text().splitlines():
            for sentence in morph.tag_line(line, "okt"):
                out.write(sentence + "\n")
    return corpus.add_file(path, "builtin (Okt)", source="tagged", parent=source.id)


def train_namuweb(corpus_id: str, epochs: int, shared: int, out: Path) -> dict:
    code = CHILD.format(root=str(ROOT), corpus=corpus_id, epochs=epochs, shared=shared, out=str(out), probes=PROBES)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def show(name: str, neighbours: dict) -> None:
    print(f"\ntop 5 neighbours, {name}")
    for probe, found in neighbours.items():
        print(f"  {probe:12s} " + ", ".join(f"{w} {s:.2f}" for w, s in found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    tagged = tagged_builtin()
    sentences = [line.split() for line in tagged.read_text().splitlines() if line.strip()]
    print(f"tagged the built-in corpus with Okt in {time.perf_counter() - started:.1f} s: "
          f"{len(sentences):,} sentences, {sum(map(len, sentences)):,} tokens")
    from gensim.models import Word2Vec

    shared = skipgram.SkipGramConfig(corpus=tagged.id).shared_negatives
    sides = {"shared": shared, "per pair": 0}
    seconds: dict[str, list[float]] = {"shared": [], "per pair": [], "gensim": []}
    found: dict[str, dict] = {}
    for round_ in range(args.rounds):  # alternating, so a noisy neighbour slows all alike
        for name, negatives in (sides.items() if round_ % 2 == 0 else reversed(sides.items())):
            out = Path(os.environ["NAMUWEB_HOME"]) / f"skipgram-{round_}-{negatives}"
            found[name] = train_namuweb(tagged.id, args.epochs, negatives, out)
            seconds[name].append(found[name]["seconds"])
        clock = time.perf_counter()
        theirs = Word2Vec(sentences, sg=1, negative=5, window=5, vector_size=100, min_count=2, epochs=args.epochs,
                          workers=2, seed=0, sample=1e-3)
        seconds["gensim"].append(time.perf_counter() - clock)
        assert len(theirs.wv) == found["shared"]["vocabulary"]
    median = {name: statistics.median(times) for name, times in seconds.items()}
    words = found["shared"]["words"]

    print(f"vocabulary {found['shared']['vocabulary']:,} words, {words:,} words trained ({args.epochs} epochs), "
          f"median of {args.rounds} rounds")
    for name, label in (("shared", f"namuweb ({shared} negatives shared per step)"),
                        ("per pair", "namuweb (5 negatives per pair)"), ("gensim", "gensim")):
        print(f"{label:40s} {words / median[name]:10,.0f} words/s  ({median[name]:.3f} s; "
              + ", ".join(f"{s:.3f}" for s in seconds[name]) + ")")
    ratio = median["gensim"] / median["shared"]
    print(f"ratio    {ratio:.2f}x gensim (goal >= 0.5x: {'met' if ratio >= 0.5 else 'NOT met'}); "
          f"with negatives per pair {median['gensim'] / median['per pair']:.2f}x")
    show("namuweb, shared negatives", found["shared"]["neighbours"])
    show("namuweb, negatives per pair", found["per pair"]["neighbours"])
    show("gensim", {p: theirs.wv.most_similar(p, topn=5) for p in PROBES})


if __name__ == "__main__":
    main()
