"""Maps of word vectors: PCA in the caller, t-SNE and UMAP in the long-lived worker process."""

import numpy as np
import pytest

from namuweb.embeddings import projections
from namuweb.embeddings.vectors import Embeddings


def planted_clusters(per_cluster: int = 40, clusters: int = 3, dims: int = 20) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = 6 * rng.normal(size=(clusters, dims))
    labels = np.repeat(np.arange(clusters), per_cluster)
    return (centres[labels] + rng.normal(size=(len(labels), dims))).astype(np.float32), labels


def separation(xy: np.ndarray, labels: np.ndarray) -> float:
    """Mean distance between cluster centres over the mean spread within a cluster."""
    centres = np.array([xy[labels == c].mean(axis=0) for c in np.unique(labels)])
    within = np.mean([np.linalg.norm(xy[labels == c] - centres[c], axis=1).mean() for c in np.unique(labels)])
    between = np.mean([np.linalg.norm(a - b) for i, a in enumerate(centres) for b in centres[i + 1:]])
    return between / within


@pytest.mark.parametrize("method", ["pca", "tsne", "umap"])
def test_every_projection_keeps_planted_clusters_apart(method):
    points, labels = planted_clusters()
    xy = projections.project(points, method)
    assert xy.shape == (len(points), 2) and np.isfinite(xy).all()
    assert separation(xy, labels) > 3
    assert np.array_equal(projections.project(points, method), xy)  # the same map at every visit


def test_a_map_past_its_time_limit_is_stopped_and_the_worker_replaced():
    points, _ = planted_clusters(per_cluster=300)
    with pytest.raises(projections.ProjectionError, match="took longer than 0.01 s"):
        projections.project(points, "tsne", timeout=0.01)
    small, labels = planted_clusters()
    assert separation(projections.project(small, "tsne"), labels) > 3  # a fresh worker answers


def test_unknown_projection_is_refused():
    with pytest.raises(ValueError, match="unknown projection"):
        projections.project(np.zeros((10, 3)), "mds")


def test_embeddings_projection_keeps_words_tags_and_counts_on_every_method():
    points, _ = planted_clusters()
    words = [f"w{i}/{'Noun' if i % 2 else 'Verb'}" for i in range(len(points))]
    vectors = Embeddings(words, list(range(len(points), 0, -1)), points)
    for method in projections.METHODS:
        frame = vectors.projection(n=50, method=method)
        assert frame["word"].tolist() == words[:50] and set(frame["tag"]) == {"Noun", "Verb"}
        assert list(frame.columns) == ["word", "tag", "count", "x", "y"]


def test_perplexity_and_umap_neighbours_reach_the_worker_and_change_the_map():
    points, labels = planted_clusters(per_cluster=60)
    for method, option, values in (("tsne", "perplexity", (5.0, 40.0)), ("umap", "n_neighbors", (4, 60))):
        first, second = (projections.project(points, method, **{option: value}) for value in values)
        assert not np.allclose(first, second), (method, option)
        assert separation(first, labels) > 3 and separation(second, labels) > 3
        assert np.array_equal(projections.project(points, method, **{option: values[0]}), first)


def test_projection_settings_are_bounded_by_the_number_of_points():
    assert projections.perplexity_for(10, 100.0) == 3.0  # a third of the other points
    assert projections.perplexity_for(5000, 1000.0) == projections.PERPLEXITY["max"]
    assert projections.neighbours_for(8, 100) == 7 and projections.neighbours_for(5000, 1) == 2
    tiny = np.random.default_rng(0).normal(size=(9, 4)).astype(np.float32)
    assert projections.project(tiny, "tsne", perplexity=50.0).shape == (9, 2)
