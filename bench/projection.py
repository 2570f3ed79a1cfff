"""Maps of 2,000 words × 100 dimensions: seconds a visitor waits for each projection, end to end.

    python bench/projection.py [--words 2000] [--dims 100]

What the Embeddings page's Map tab calls (``Embeddings.projection``) on vectors shaped like a
real model's (clusters of words with a frequency order), timed from the call to the points: PCA in
the caller; t-SNE and UMAP in the maps' worker process, first on a cold worker (a server that has not
warmed up: the process starts, UMAP compiles its kernels) and then warm (after ``warm_up``, as a
server's warm-up leaves it).  Ratios are to PCA's time in the same run.  Goal (issue 18): <= 15 s
for 2,000 × 100-d on 2 cores, on a warm worker.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from namuweb.embeddings import projections  # noqa: E402
from namuweb.embeddings.vectors import Embeddings  # noqa: E402


def model_like(words: int, dims: int) -> Embeddings:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, dims))
    vectors = centres[rng.integers(0, 40, words)] + 0.7 * rng.normal(size=(words, dims))
    return Embeddings([f"단어{i}/Noun" for i in range(words)], list(range(words, 0, -1)), vectors.astype(np.float32))


def timed(vectors: Embeddings, n: int, method: str) -> float:
    started = time.perf_counter()
    vectors.projection(n=n, method=method)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=2000)
    parser.add_argument("--dims", type=int, default=100)
    args = parser.parse_args()
    vectors = model_like(args.words, args.dims)
    print(f"{args.words:,} words x {args.dims} dimensions, seconds from the call to the points")
    started = time.perf_counter()
    projections.warm_up()  # a fresh worker, as a server's warm-up starts it
    warm_up_s = time.perf_counter() - started
    base = timed(vectors, args.words, "pca")
    warm = {method: timed(vectors, args.words, method) for method in ("tsne", "umap")}
    cold = {}
    for method in ("tsne", "umap"):  # a server that has not warmed up: each on a fresh worker
        projections.stop_worker()
        cold[method] = timed(vectors, args.words, method)
    print(f"{'PCA':8s} {base:7.2f} s")
    for method in ("tsne", "umap"):
        ok = "met" if warm[method] <= 15 else "NOT met"
        print(f"{projections.METHODS[method]:8s} {warm[method]:7.2f} s warm ({warm[method] / base:,.0f}x PCA; goal <= 15 s: "
              f"{ok})   {cold[method]:6.2f} s on a cold worker")
    print(f"warm-up (a server does it at start, in the background): {warm_up_s:.2f} s")


if __name__ == "__main__":
    main()
