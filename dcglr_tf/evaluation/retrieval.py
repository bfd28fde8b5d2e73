"""Cross-density retrieval rates: does a shape embedded from few points find itself among all shapes embedded from
many points (and the other way round)? Plain NumPy on two feature sets of the same shapes; the `retrieval` task
(`evaluation.tasks.retrieval`) embeds them.

Ties: with g shapes strictly more similar than its own and t others exactly as similar, a query's top-k hit counts
min(1, max(0, (k - g) / (t + 1))), so a constant encoder scores the chance rate k / M, never 100 %.
"""

import numpy as np

from dcglr_tf.evaluation.knn import l2_normalise

TOP_K = (1, 5)


def retrieval_rates(queries, gallery, ks=TOP_K, chunk=512):
    """Row i of `queries` (M, D) should retrieve row i of `gallery` (M, D) among all M gallery rows.

    Returns {k: top-k hit rate in [0, 1]} (ties broken at random in expectation, see the module docstring)."""
    queries, gallery = l2_normalise(queries), l2_normalise(gallery)
    if queries.shape != gallery.shape or len(queries) < 2:
        raise ValueError(f"retrieval needs two (M, D) feature sets of the same M >= 2 shapes, got {queries.shape} "
                         f"and {gallery.shape}")
    hits = {int(k): 0.0 for k in ks}
    for start in range(0, len(queries), chunk):
        sims = queries[start:start + chunk] @ gallery.T  # (c, M)
        own = sims[np.arange(len(sims)), start + np.arange(len(sims))][:, None]
        greater = np.sum(sims > own, axis=1)
        ties = np.sum(sims == own, axis=1) - 1
        for k in hits:
            hits[k] += float(np.clip((k - greater) / (ties + 1.0), 0.0, 1.0).sum())
    return {k: v / len(queries) for k, v in hits.items()}


def cross_density_retrieval(features_a, features_b, ks=TOP_K):
    """Features (M, D) of the same M shapes at densities a and b -> {"top{k}_a_to_b", "top{k}_b_to_a", "top{k}"
    (their mean)} for each k."""
    a_to_b = retrieval_rates(features_a, features_b, ks)
    b_to_a = retrieval_rates(features_b, features_a, ks)
    metrics = {}
    for k in a_to_b:
        metrics[f"top{k}"] = (a_to_b[k] + b_to_a[k]) / 2
        metrics[f"top{k}_a_to_b"] = a_to_b[k]
        metrics[f"top{k}_b_to_a"] = b_to_a[k]
    return metrics


def shuffle_points(points, seed):
    """Each cloud of (M, N, 3) with its points in an independent random order (deterministic from `seed`)."""
    rng = np.random.default_rng(seed)
    return np.stack([cloud[rng.permutation(len(cloud))] for cloud in points])
