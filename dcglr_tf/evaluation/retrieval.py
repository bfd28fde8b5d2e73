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
    """Top-k rates at which row i of `queries` retrieves row i of `gallery` among all M gallery rows.

    Features are L2-normalised and compared by cosine similarity; ties are broken at random in expectation (see the
    module docstring).

    Args:
        queries: (M, D) features.
        gallery: (M, D) features of the same M shapes, in the same order.
        ks: sequence of int, the k values.
        chunk: int, queries per similarity product.

    Returns:
        Dict `{k: top-k hit rate in [0, 1]}`.

    Raises:
        ValueError: when the two sets differ in shape or hold fewer than 2 shapes.
    """
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
    """Retrieval rates in both directions between features of the same shapes at two densities.

    Args:
        features_a: (M, D) features of M shapes at density a.
        features_b: (M, D) features of the same shapes at density b.
        ks: sequence of int, the k values.

    Returns:
        Dict with, for each k, "top{k}_a_to_b", "top{k}_b_to_a" and "top{k}" (their mean).

    Raises:
        ValueError: as `retrieval_rates`.
    """
    a_to_b = retrieval_rates(features_a, features_b, ks)
    b_to_a = retrieval_rates(features_b, features_a, ks)
    metrics = {}
    for k in a_to_b:
        metrics[f"top{k}"] = (a_to_b[k] + b_to_a[k]) / 2
        metrics[f"top{k}_a_to_b"] = a_to_b[k]
        metrics[f"top{k}_b_to_a"] = b_to_a[k]
    return metrics


def shuffle_points(points, seed):
    """Each cloud with its points in an independent random order (deterministic from `seed`).

    Args:
        points: (M, N, 3) clouds.
        seed: int, NumPy's `default_rng` seed.

    Returns:
        (M, N, 3) array.
    """
    rng = np.random.default_rng(seed)
    return np.stack([cloud[rng.permutation(len(cloud))] for cloud in points])
