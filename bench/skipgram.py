"""Words/s training skip-gram on the built-in corpus tagged with Okt: namuweb vs gensim.

    python bench/skipgram.py [--epochs 5]

NAMUWEB_HOME is set to a fresh temporary directory, the built-in corpus is
tagged there with Okt (the tutorial's rule: split at '.', keep sentences of
more than one token), and both trainers see the same sentences with the same
settings: skip-gram, 5 negatives, window 5, 100 dimensions, min_count 2,
subsampling 1e-3, 2 workers for gensim (this machine's cores).  Words/s is
corpus tokens in the vocabulary × epochs / training wall time; namuweb's
time is its whole ``train`` call (reading the corpus, TensorFlow tracing,
saving) after TensorFlow is imported, and gensim's its whole ``Word2Vec(...)``
call.  Goal: namuweb >= 0.5x gensim.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["NAMUWEB_HOME"] = tempfile.mkdtemp(prefix="namuweb-bench-")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from namuweb import corpus, morph, skipgram  # noqa: E402

PROBES = ("국민/Noun", "대통령/Noun", "법률/Noun")


def tagged_builtin() -> corpus.Corpus:
    source = corpus.ensure_builtin()
    path = Path(os.environ["NAMUWEB_HOME"]) / "tagged.txt"
    with path.open("w", encoding="utf-8") as out:
        for line in source.read_text().splitlines():
            for sentence in morph.tag_line(line, "okt"):
                out.write(sentence + "\n")
    return corpus.add_file(path, "builtin (Okt)", source="tagged", parent=source.id)


def show(name: str, neighbours: dict) -> None:
    print(f"\n{name}")
    for probe, found in neighbours.items():
        print(f"  {probe:12s} " + ", ".join(f"{w} {s:.2f}" for w, s in found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    tagged = tagged_builtin()
    sentences = [line.split() for line in tagged.read_text().splitlines() if line.strip()]
    print(f"tagged the built-in corpus with Okt in {time.perf_counter() - started:.1f} s: "
          f"{len(sentences):,} sentences, {sum(map(len, sentences)):,} tokens")

    import tensorflow  # noqa: F401  (not part of the timing)
    from gensim.models import Word2Vec

    config = skipgram.SkipGramConfig(corpus=tagged.id, epochs=args.epochs)
    out = Path(os.environ["NAMUWEB_HOME"]) / "skipgram"
    started = time.perf_counter()
    ours = skipgram.train(config, out)
    ours_s = time.perf_counter() - started
    words = sum(ours.counts) * args.epochs
    log = (out / skipgram.LOSS_FILE).read_text().splitlines()

    started = time.perf_counter()
    theirs = Word2Vec(sentences, sg=1, negative=5, window=5, vector_size=100, min_count=2, epochs=args.epochs,
                      workers=2, seed=0, sample=1e-3)
    gensim_s = time.perf_counter() - started
    assert len(theirs.wv) == len(ours.words)

    print(f"vocabulary {len(ours.words):,} words, {words:,} words trained ({args.epochs} epochs)")
    print(f"namuweb  {words / ours_s:10,.0f} words/s  ({ours_s:.2f} s; last log line {log[-1]})")
    print(f"gensim   {words / gensim_s:10,.0f} words/s  ({gensim_s:.2f} s)")
    print(f"ratio    {gensim_s / ours_s:.2f}x gensim (goal >= 0.5x)")
    show("namuweb top 5", {p: ours.neighbors(p, 5) for p in PROBES})
    show("gensim top 5", {p: theirs.wv.most_similar(p, topn=5) for p in PROBES})


if __name__ == "__main__":
    main()
