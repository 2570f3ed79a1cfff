"""Maps of 2,000 and 10,000 words: seconds a visitor waits for each projection, against scikit-learn's t-SNE.

    python bench/projection.py [--corpus PATH] [--lines 150000] [--sizes 2000 10000] [--dims 100]

The vectors come from real text: the most frequent whitespace tokens of the shared movie reviews
(``/work/shared/corpora/nsmc_reviews_40plus.txt``), each a row of a positive PMI matrix of its
neighbours within two tokens, reduced to ``--dims`` by a truncated SVD (Levy and Goldberg's
count-based counterpart of skip-gram: real text's neighbourhoods and frequencies, without a
TensorFlow training run in the bench).  Each map is timed as the Map tab asks for it, from the call
to the points: PCA in the caller; openTSNE's t-SNE and UMAP in the maps' worker process, warmed up
as a server's start leaves it (niced, one thread).  Beside each time, how many of each word's ten
nearest words (cosine) are among its ten nearest on the map, so speed is not bought with a worse
map.  The baseline is the map's t-SNE before issue 34, scikit-learn's Barnes-Hut t-SNE with the
same perplexity, run in this process (not niced) in the same run.  Goals (issue 34): a 10,000-word
map within 60 s and 2,000 words within 10 s, on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from namuweb.embeddings import projections, word_map  # noqa: E402

REVIEWS = Path("/work/shared/corpora/nsmc_reviews_40plus.txt")
GOAL_S = {2000: 10.0, 10000: 60.0}


def count_vectors(path: Path, lines: int, words: int, dims: int) -> np.ndarray:
    """PPMI + SVD vectors of the ``words`` most frequent tokens of the first ``lines`` lines, most frequent first."""
    from scipy import sparse
    from sklearn.utils.extmath import randomized_svd
    with path.open(encoding="utf-8") as text:
        tokenised = [line.split() for _, line in zip(range(lines), text)]
    counts = Counter(token for line in tokenised for token in line)
    vocabulary = {word: i for i, (word, _) in enumerate(counts.most_common(words))}
    ids = np.fromiter((vocabulary.get(token, -1) for line in tokenised for token in [*line, None]), dtype=np.int64)
    rows, cols = [], []
    for offset in (1, 2):
        left, right = ids[:-offset], ids[offset:]
        keep = (left >= 0) & (right >= 0)
        rows += [left[keep], right[keep]]
        cols += [right[keep], left[keep]]
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    size = len(vocabulary)
    pairs = sparse.coo_matrix((np.ones(len(rows), np.float64), (rows, cols)), shape=(size, size)).tocsr()
    total = pairs.sum()
    word_p = np.asarray(pairs.sum(axis=1)).ravel() / total
    context = np.asarray(pairs.sum(axis=0)).ravel() ** 0.75
    context_p = context / context.sum()
    pairs = pairs.tocoo()
    pmi = np.log(pairs.data / total / (word_p[pairs.row] * context_p[pairs.col]))
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (pairs.row[keep], pairs.col[keep])), shape=(size, size))
    u, s, _ = randomized_svd(ppmi, n_components=dims, random_state=0)
    return (u * np.sqrt(s)).astype(np.float32)


def timed(work) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    xy = work()
    return time.perf_counter() - started, xy


def neighbours_kept(points: np.ndarray, xy: np.ndarray, k: int = 10) -> float:
    """The mean share of each word's ``k`` nearest words (cosine, in the vectors) that are also among its
    ``k`` nearest on the map: how faithful a map is, so a faster one is not a worse one unseen."""
    from sklearn.neighbors import NearestNeighbors
    unit = points / np.maximum(np.linalg.norm(points, axis=1, keepdims=True), 1e-12)
    near = word_map.nearest_on_map(unit, k=k)
    on_map = NearestNeighbors(n_neighbors=k + 1).fit(xy).kneighbors(xy, return_distance=False)
    kept = [len(set(a) & (set(b) - {i})) for i, (a, b) in enumerate(zip(near.tolist(), on_map.tolist()))]
    return float(np.mean(kept)) / k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REVIEWS)
    parser.add_argument("--lines", type=int, default=150_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--dims", type=int, default=100)
    args = parser.parse_args()
    started = time.perf_counter()
    vectors = count_vectors(args.corpus, args.lines, max(args.sizes), args.dims)
    vectors_s = time.perf_counter() - started
    print(f"vectors: PPMI + SVD of the {len(vectors):,} most frequent tokens of the first {args.lines:,} lines of "
          f"{args.corpus.name}, {vectors.shape[1]} dimensions ({vectors_s:.1f} s); {os.cpu_count()} CPU cores, "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    started = time.perf_counter()
    projections.warm_up()  # the worker started and UMAP compiled, as a server's warm-up leaves it
    print(f"worker warm-up (a server does it at start, in the background): {time.perf_counter() - started:.1f} s")
    perplexity = projections.PERPLEXITY["default"]
    for n in args.sizes:
        points = vectors[:n]
        baseline, baseline_xy = timed(lambda: projections.sklearn_tsne(points, perplexity))
        maps = {method: timed(lambda: projections.project(points, method, timeout=600))
                for method in ("pca", "tsne", "umap")}
        goal = GOAL_S.get(n)
        print(f"{n:,} words, perplexity {perplexity:g}: scikit-learn t-SNE (baseline) {baseline:6.1f} s, "
              f"10 nearest words kept on the map {neighbours_kept(points, baseline_xy):.2f}")
        for method, (spent, xy) in maps.items():
            verdict = "" if goal is None else f"; goal <= {goal:g} s: {'met' if spent <= goal else 'NOT met'}"
            print(f"  {projections.METHODS[method]:6s} {spent:6.1f} s  ({baseline / max(spent, 1e-9):5.1f}x faster "
                  f"than the baseline{verdict}), 10 nearest words kept {neighbours_kept(points, xy):.2f}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (the machine's 2 cores are shared)")


if __name__ == "__main__":
    main()
