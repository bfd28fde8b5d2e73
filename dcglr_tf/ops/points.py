"""Batched point ops: normalisation, farthest point sampling and downsampling, kNN and gathering.

These are the only copies of these ops in the repository. All of them are plain TensorFlow, work with a
dynamic number of points, and compile under XLA (`tf.function(jit_compile=True)`) on CPU and GPU.
"""

import tensorflow as tf

_EPS = 1e-9


def normalize_unit_sphere(points):
    """Centres a cloud on its centroid and scales it into the unit sphere.

    A degenerate cloud (all points equal) is centred and left at scale 0 instead of dividing by zero.

    Args:
        points: (..., N, 3) float point clouds.

    Returns:
        (..., N, 3) clouds of mean 0 and largest point norm 1 each.
    """
    points = tf.convert_to_tensor(points)
    centred = points - tf.reduce_mean(points, axis=-2, keepdims=True)
    radius = tf.reduce_max(tf.norm(centred, axis=-1), axis=-1)[..., None, None]
    return centred / tf.maximum(radius, _EPS)


def pairwise_sq_distances(queries, points):
    """Squared Euclidean distances between every query and every point.

    Args:
        queries: (B, M, C) float.
        points: (B, N, C) float.

    Returns:
        (B, M, N) squared distances, clipped at 0 against rounding.
    """
    q_sq = tf.reduce_sum(tf.square(queries), axis=-1, keepdims=True)  # (B, M, 1)
    p_sq = tf.reduce_sum(tf.square(points), axis=-1)[:, None, :]  # (B, 1, N)
    cross = tf.matmul(queries, points, transpose_b=True)  # (B, M, N)
    return tf.maximum(q_sq - 2.0 * cross + p_sq, 0.0)


def knn(queries, points, k):
    """Indices of the k nearest points to each query (nearest first; a query that is a point finds itself).

    Args:
        queries: (B, M, C) float.
        points: (B, N, C) float, N >= k.
        k: int, the number of neighbours.

    Returns:
        (B, M, k) int32 indices into N.

    Raises:
        ValueError: when the static N is below k.
    """
    _check_static_min_points(points, k, "knn")
    with tf.name_scope("knn"):  # benchmarks/flops.py tells the kNN products from the layers' by this scope
        dist = pairwise_sq_distances(queries, points)
        _, idx = tf.math.top_k(-dist, k=k, sorted=True)
    return idx


def gather_points(points, idx):
    """Gathers per-cloud rows by index.

    Args:
        points: (B, N, C) tensor.
        idx: (B, ...) int indices into N.

    Returns:
        (B, ..., C) tensor, `points[b, idx[b, ...]]`.
    """
    return tf.gather(points, idx, batch_dims=1)


def neighbour_max_and_sum(features, idx):
    """Max and sum over each query's neighbours of their features, keeping nothing per edge for the gradient.

    Values equal reducing `gather_points(features, idx)` over axis 2, and so do gradients, except that a max tied
    between neighbours hands its gradient to the first of them in `idx` order (as `tf.argmax` picks) where
    `tf.reduce_max`'s gradient would split it. The backward pass needs no (B, M, k, C) tensor: each max's gradient
    goes to its recorded neighbour slot, and the sum's to every neighbour, with one scatter of (B, M, C) rows per
    neighbour slot j.

    Args:
        features: (B, N, C) float.
        idx: (B, M, k) int indices into N, k static.

    Returns:
        Tuple of two (B, M, C) tensors: the max and the sum over j of `features[b, idx[b, m, j]]`.
    """

    @tf.custom_gradient
    def reduce(features):
        gathered = gather_points(features, idx)  # (B, M, k, C), freed after the reductions
        highest = tf.reduce_max(gathered, axis=2)
        argmax = tf.argmax(gathered, axis=2, output_type=tf.int32)  # (B, M, C): the slot j that holds the max

        def grad(d_high, d_sum):
            zeros = tf.zeros_like(highest)
            d_high, d_sum = (zeros if d is None else d for d in (d_high, d_sum))
            shape = tf.shape(features)
            # Offsetting the indices before slicing one slot off them keeps XLA's top-k of `idx` a top-k:
            # slices taken straight off it merge into a slice of a full sort of the distances.
            targets = _batch_rows(idx, shape[1])
            rows = tf.zeros([shape[0] * shape[1], shape[2]], features.dtype)
            for j in range(idx.shape[-1]):
                per_query = tf.reshape(d_sum + tf.where(tf.equal(argmax, j), d_high, zeros), [-1, shape[2]])
                rows = tf.tensor_scatter_nd_add(rows, tf.reshape(targets[:, :, j], [-1, 1]), per_query)
            return tf.reshape(rows, shape)

        return (highest, tf.reduce_sum(gathered, axis=2)), grad

    return reduce(features)


def neighbour_counts(idx, num_points):
    """How many queries have each point among their neighbours (its in-degree in the kNN graph).

    Args:
        idx: (B, M, k) int indices into `num_points` points.
        num_points: int (or scalar int tensor), the number of points per cloud.

    Returns:
        (B, num_points) float32 counts.
    """
    batch = tf.shape(idx)[0]
    rows = tf.reshape(_batch_rows(idx, num_points), [-1])
    counts = tf.math.unsorted_segment_sum(tf.ones_like(rows, tf.float32), rows, batch * num_points)
    return tf.reshape(counts, [batch, num_points])


def _batch_rows(idx, num_points):
    """(B, M, k) indices into each cloud's num_points points -> indices into the B * num_points rows of the batch."""
    return idx + tf.range(tf.shape(idx)[0], dtype=idx.dtype)[:, None, None] * tf.cast(num_points, idx.dtype)


def farthest_point_sample(points, num_samples, start_index=None):
    """Farthest point sampling.

    Each pick is the point with the largest distance to the already picked set (first index on ties).

    Args:
        points: (B, N, 3) float.
        num_samples: S <= N, a Python int or a scalar int tensor. A tensor whose value is only known at run time
            (e.g. S computed from a dynamic N in an exported model) gives (B, None) and is not checked against N
            here.
        start_index: optional (B,) int32 first pick (0 when omitted; pass random indices for a random start).

    Returns:
        (B, S) int32 indices into N.

    Raises:
        ValueError: when a static S exceeds the static N.
    """
    static_samples = tf.get_static_value(num_samples) if tf.is_tensor(num_samples) else num_samples
    if static_samples is not None:
        num_samples = int(static_samples)
        _check_static_min_points(points, num_samples, "farthest_point_sample")
    else:
        num_samples = tf.cast(num_samples, tf.int32)
    points = tf.convert_to_tensor(points)
    batch = tf.shape(points)[0]
    if start_index is None:
        start_index = tf.zeros([batch], tf.int32)
    start_index = tf.cast(start_index, tf.int32)
    # Coordinates first, (B, 3, N): each step's distances run along N in memory (3x faster outside XLA than
    # along the 3 coordinates of every point, as fast inside; the same picks).
    by_coordinate = tf.transpose(points, [0, 2, 1])

    def sq_distances(index):  # (B,) picked points -> (B, N) squared distances to them
        picked = tf.gather(by_coordinate, index[:, None], axis=2, batch_dims=1)  # (B, 3, 1)
        return tf.reduce_sum(tf.square(by_coordinate - picked), axis=1)

    min_dist = sq_distances(start_index)
    picks = tf.TensorArray(tf.int32, size=num_samples, element_shape=tf.TensorShape([None]))
    picks = picks.write(0, start_index)

    def body(i, min_dist, picks):
        farthest = tf.argmax(min_dist, axis=-1, output_type=tf.int32)
        return i + 1, tf.minimum(min_dist, sq_distances(farthest)), picks.write(i, farthest)

    _, _, picks = tf.while_loop(
        lambda i, *_: i < num_samples,
        body,
        (tf.constant(1), min_dist, picks),
        maximum_iterations=num_samples,
    )
    return tf.transpose(picks.stack(), [1, 0])


def farthest_point_downsample(points, max_points, normalize=False, start_index=None):
    """Reduces clouds with more than `max_points` points to their `max_points` farthest-point samples.

    Deterministic: the first pick is point 0, or `start_index` as in `farthest_point_sample`. Smaller clouds pass
    unchanged. A static N decides in Python; a dynamic N (an exported model's signature) decides at run time and
    gives (B, None, 3).

    Args:
        points: (B, N, 3) float.
        max_points: int, the most points to keep.
        normalize: bool, re-centre and re-scale the sampled clouds into the unit sphere.
        start_index: optional (B,) int32 first pick.

    Returns:
        (B, min(N, max_points), 3) clouds.
    """
    points = tf.convert_to_tensor(points)

    def downsample():
        sampled = gather_points(points, farthest_point_sample(points, max_points, start_index))
        return normalize_unit_sphere(sampled) if normalize else sampled

    if points.shape[1] is not None:
        return downsample() if points.shape[1] > max_points else points
    return tf.cond(tf.shape(points)[1] > max_points, downsample, lambda: points)


def _check_static_min_points(points, needed, op_name):
    """Raise a clear ValueError when the static point count is below what an op needs."""
    n = points.shape[-2] if hasattr(points, "shape") and len(points.shape) >= 2 else None
    if n is not None and n < needed:
        raise ValueError(f"{op_name} needs at least {needed} points per cloud, got clouds of {n} points")
