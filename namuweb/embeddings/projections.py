"""2-D maps of word vectors, as the TensorFlow Embedding Projector offers them: PCA, t-SNE, UMAP.

PCA is a matrix product and runs where it is asked for.  t-SNE (openTSNE's FFT-accelerated
interpolation: scikit-learn's Barnes-Hut is too slow for 10,000 words) and UMAP (umap-learn) take
seconds, and UMAP compiles its numba kernels in every new process before it starts (most of its
time in a fresh one): both run in one worker process that the server keeps
for its whole life and warms up at start, so a page's thread only waits on it and no other
visitor does.  A worker that crashes or passes the time limit is replaced.  It is its own
program (``python -m namuweb.embeddings.projection_worker``), not a multiprocessing child, which
would re-run the main script (a Streamlit page) to start.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading

import numpy as np

from namuweb import helper_processes

METHODS = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
TIME_LIMIT_S = 120.0
# What a visitor may choose before a map is computed, as the Embedding Projector offers it: t-SNE's
# perplexity (about how many neighbours each word's neighbourhood holds) and UMAP's n_neighbors.
PERPLEXITY = {"default": 30.0, "min": 2.0, "max": 100.0}
N_NEIGHBORS = {"default": 15, "min": 2, "max": 200}
# openTSNE's FFT-accelerated t-SNE, tuned for a map a visitor waits for: interpolation boxes two units
# wide (fewer grid points) and shorter optimisation than openTSNE's defaults.  On the movie reviews'
# vectors this keeps as many of each word's nearest neighbours as scikit-learn's t-SNE, far sooner
# (bench/projection.py prints the time and the neighbours kept of both).
TSNE_OPTIONS = {"negative_gradient_method": "fft", "ints_in_interval": 2, "early_exaggeration_iter": 125,
                "n_iter": 375}

_lock = threading.Lock()  # one map at a time in the one worker
_worker: _Worker | None = None


class ProjectionError(RuntimeError):
    """A map could not be made; one line for the user."""


def pca(points: np.ndarray) -> np.ndarray:
    """The two principal axes of the centred points (the picture of the largest variance)."""
    points = points.astype(np.float64)
    points = points - points.mean(axis=0) if len(points) else points
    xy = np.zeros((len(points), 2))
    if len(points) > 1:
        _, _, axes = np.linalg.svd(points, full_matrices=False)
        xy[:, :min(2, len(axes))] = points @ axes[:2].T
    return xy


def perplexity_for(n: int, perplexity: float | None) -> float:
    """The perplexity asked for, within its bounds and below a third of the points (t-SNE's neighbour
    lists hold three times the perplexity)."""
    wanted = PERPLEXITY["default"] if perplexity is None else float(perplexity)
    return max(1.0, min(max(PERPLEXITY["min"], min(PERPLEXITY["max"], wanted)), (n - 1) / 3))


def neighbours_for(n: int, n_neighbors: int | None) -> int:
    wanted = N_NEIGHBORS["default"] if n_neighbors is None else int(n_neighbors)
    return max(2, min(max(N_NEIGHBORS["min"], min(N_NEIGHBORS["max"], wanted)), n - 1))


def layout(points: np.ndarray, method: str, perplexity: float | None = None,
           n_neighbors: int | None = None) -> np.ndarray:
    """``points`` in 2-D by ``method``; in the worker process for t-SNE and UMAP.  Cosine distances,
    as word vectors are compared, and a fixed seed, so a map looks the same at every visit."""
    n = len(points)
    if method == "pca" or n < 5:
        return pca(points)
    if method == "tsne":
        from openTSNE import TSNE
        # One thread: the worker is niced and shares two cores with the pages and taggers.
        return np.asarray(TSNE(n_components=2, metric="cosine", initialization="pca",
                               perplexity=perplexity_for(n, perplexity), random_state=0, n_jobs=1, **TSNE_OPTIONS)
                          .fit(points.astype(np.float32)), dtype=np.float64)
    if method == "umap":
        import umap
        return umap.UMAP(n_components=2, metric="cosine", n_neighbors=neighbours_for(n, n_neighbors),
                         random_state=0, n_jobs=1).fit_transform(points.astype(np.float32)).astype(np.float64)
    raise ValueError(f"unknown projection {method!r}; choose one of {', '.join(METHODS)}")


def sklearn_tsne(points: np.ndarray, perplexity: float | None = None) -> np.ndarray:
    """scikit-learn's Barnes-Hut t-SNE, the map's t-SNE before openTSNE: the baseline ``bench/projection.py``
    times openTSNE against (same metric, initialisation and perplexity)."""
    from sklearn.manifold import TSNE
    n = len(points)
    return TSNE(n_components=2, metric="cosine", init="pca", perplexity=perplexity_for(n, perplexity),
                random_state=0).fit_transform(points.astype(np.float32)).astype(np.float64)


class _Worker:
    """The worker process: a JSON header line and raw float32 rows in, a header and float64 x, y out."""

    def __init__(self):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "namuweb.embeddings.projection_worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)

    def ask(self, points: np.ndarray, method: str, timeout: float, options: dict) -> np.ndarray:
        answers: queue.Queue = queue.Queue()

        def read() -> None:
            try:
                header = json.loads(self.proc.stdout.readline() or b"null")
                if header is None or "error" in header:
                    answers.put(header)
                    return
                data = self.proc.stdout.read(16 * header["rows"])
                answers.put(np.frombuffer(data, dtype=np.float64).reshape(-1, 2).copy())
            except (OSError, ValueError):
                answers.put(None)

        points = np.ascontiguousarray(points, dtype=np.float32)
        try:
            self.proc.stdin.write(json.dumps({"method": method, "rows": len(points), "cols": points.shape[1]} | options)
                                  .encode() + b"\n" + points.tobytes())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise ProjectionError(f"the {METHODS[method]} map's worker stopped; try again") from None
        threading.Thread(target=read, name="namuweb-map-answer", daemon=True).start()
        try:
            answer = answers.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None
        if answer is None:
            raise ProjectionError(f"the {METHODS[method]} map's worker stopped; try again")
        if isinstance(answer, dict):
            raise ProjectionError(f"the {METHODS[method]} map failed: {answer['error']}")
        return answer

    def stop(self) -> None:
        helper_processes.stop(self.proc, self.log)


def stop_worker() -> None:
    """End the worker process; the next t-SNE or UMAP map starts a fresh one (cold: slower)."""
    global _worker
    with _lock:
        if _worker is not None:
            _worker.stop()
            _worker = None


def project(points: np.ndarray, method: str, timeout: float = TIME_LIMIT_S, perplexity: float | None = None,
            n_neighbors: int | None = None) -> np.ndarray:
    """``points`` in 2-D: PCA here, t-SNE and UMAP in the worker process (started on first use);
    ``perplexity`` is t-SNE's, ``n_neighbors`` UMAP's (each bounded, and below the number of points)."""
    global _worker
    if method not in METHODS:
        raise ValueError(f"unknown projection {method!r}; choose one of {', '.join(METHODS)}")
    if method == "pca" or len(points) < 5:
        return pca(points)
    with _lock:
        if _worker is None or _worker.proc.poll() is not None:
            if _worker is not None:
                _worker.stop()
            _worker = _Worker()
        try:
            return _worker.ask(points, method, timeout, {"perplexity": perplexity, "n_neighbors": n_neighbors})
        except TimeoutError:
            _worker.stop()  # a t-SNE cannot be interrupted otherwise
            _worker = None
            raise ProjectionError(f"the {METHODS[method]} map took longer than {timeout:g} s and was stopped; "
                                  "try fewer words") from None
        except ProjectionError:
            _worker.stop()
            _worker = None
            raise


def warm_up() -> None:
    """Start the worker and compile UMAP's kernels on a small map, so the first visitor's map is quick."""
    rng = np.random.default_rng(0)
    project(rng.normal(size=(60, 16)), "umap")
    project(rng.normal(size=(60, 16)), "tsne")
