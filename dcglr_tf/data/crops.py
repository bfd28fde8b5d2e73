"""Crop, resample and augmentation transforms for the multi-crop views (the paper's section 3.2, eqs. 4-5).

All randomness is stateless: every function takes a `seed` of shape (2,) int, so a view is a pure function
of the cloud and its seed and a pipeline is deterministic under its seed whatever the parallelism.
"""

import math

import tensorflow as tf

from dcglr_tf.ops.points import farthest_point_sample, gather_points, normalize_unit_sphere


def split_seed(seed, num):
    """Splits a stateless seed into independent seeds.

    Args:
        seed: (2,) int seed.
        num: int, how many seeds to make.

    Returns:
        (num, 2) int64 seeds.
    """
    return tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num)


def select_points(points, num_points, seed=None):
    """Takes `num_points` of a cloud: the first ones or a random subset without replacement.

    Args:
        points: (n, 3) cloud.
        num_points: int, the number of points to keep.
        seed: (2,) int seed of the random subset; None takes the first `num_points` (the usual protocol for the
            ModelNet files).

    Returns:
        (num_points, 3) cloud.

    Raises:
        tf.errors.InvalidArgumentError: (at run time) when n < num_points.
    """
    n = tf.shape(points)[0]
    check = tf.debugging.assert_greater_equal(
        n, num_points, message=f"a cloud has fewer points than the requested num_points={num_points}"
    )
    with tf.control_dependencies([check]):
        if seed is None:
            return points[:num_points]
        order = tf.argsort(tf.random.stateless_uniform([n], seed))
        return tf.gather(points, order[:num_points])


def crop_size(ratio, num_points):
    """Points kept by `crop(P, ratio)`: ceil(ratio * N), at least 1 and at most N.

    Args:
        ratio: scalar float tensor.
        num_points: scalar int, the cloud's N.

    Returns:
        Scalar int32.
    """
    size = tf.cast(tf.math.ceil(ratio * tf.cast(num_points, tf.float32)), tf.int32)
    return tf.clip_by_value(size, 1, num_points)


def crop_indices(points, ratio, num_out, seed, keep=None):
    """Indices of `crop(P, ratio)` resampled to exactly `num_out` points, in random order.

    The crop is the `size = ceil(ratio * N)` points nearest a random seed point. A crop with more (used) points than
    `num_out` gives a random subset without replacement; a crop with no more than `num_out` gives every used point at
    least once, the remaining slots repeating randomly chosen ones (so shapes stay static and no used point is lost).

    Args:
        points: (N, 3) cloud.
        ratio: scalar float.
        num_out: Python int, the number of indices.
        seed: (2,) int seed.
        keep: optional scalar int tensor, how many of the crop's points to use (a random `min(keep, size)` of them;
            default all).

    Returns:
        (num_out,) int32 indices into N.
    """
    seeds = split_seed(seed, 3)
    n = tf.shape(points)[0]
    centre = tf.random.stateless_uniform([], seeds[0], maxval=n, dtype=tf.int32)
    dist = tf.reduce_sum(tf.square(points - points[centre]), axis=-1)
    _, by_distance = tf.math.top_k(-dist, k=n)  # nearest first
    size = crop_size(ratio, n)
    used = size if keep is None else tf.clip_by_value(tf.cast(keep, tf.int32), 1, size)

    # A random order of the crop's positions [0, size): smallest random keys first, positions >= size last.
    keys = tf.where(tf.range(n) < size, tf.random.stateless_uniform([n], seeds[1]), 2.0)
    order = tf.argsort(keys)
    # Slot p takes order[p mod used]: the first `used` slots hold that many crop points once each, later slots
    # repeat the first few of the random order; a final shuffle spreads the repeats over the view.
    positions = tf.gather(order, tf.range(num_out) % used)
    shuffle = tf.argsort(tf.random.stateless_uniform([num_out], seeds[2]))
    return tf.gather(by_distance, tf.gather(positions, shuffle))


def crop_and_resample(points, ratio, num_out, seed, keep=None):
    """The points of `crop_indices`: (N, 3) -> (num_out, 3).

    Args:
        points: (N, 3) cloud.
        ratio, num_out, seed, keep: as in `crop_indices`.

    Returns:
        (num_out, 3) cloud.
    """
    return tf.gather(points, crop_indices(points, ratio, num_out, seed, keep))


def sampled_density(ratio, num_points, low, seed):
    """How many of a crop's points a "mixed" global view samples from.

    Log-uniform between `low` (the view's size: a random subset) and the crop's size (every point: an even
    farthest-point sample), so the views of one cloud come from clumped to even samplings of it.

    Args:
        ratio: scalar float, the crop's ratio.
        num_points: scalar int, the cloud's N.
        low: int, the lower end (capped at the crop's size).
        seed: (2,) int seed.

    Returns:
        Scalar int32.
    """
    size = tf.cast(crop_size(ratio, num_points), tf.float32)
    log_low = tf.math.log(tf.minimum(float(low), size))
    log_density = tf.random.stateless_uniform([], seed, minval=log_low, maxval=tf.math.log(size))
    return tf.cast(tf.round(tf.exp(log_density)), tf.int32)


def augment(points, seed, scale_range=(0.8, 1.25), jitter_sigma=0.01, jitter_clip=0.05, rotate=False):
    """Light augmentation of one or many clouds: optional rotation about y, anisotropic scale, jitter.

    Each cloud (leading index) gets its own rotation and scale.

    Args:
        points: (..., n, 3) float clouds.
        seed: (2,) int seed.
        scale_range: (low, high), the range of the uniform scale drawn per axis.
        jitter_sigma: float, the standard deviation of the per-point Gaussian noise.
        jitter_clip: float, the noise is clipped to [-jitter_clip, jitter_clip].
        rotate: bool, rotate by a uniform random angle about the y axis.

    Returns:
        (..., n, 3) augmented clouds.
    """
    seeds = split_seed(seed, 3)
    lead = tf.shape(points)[:-2]
    ones = tf.ones_like(lead[:1])
    cloud_shape = tf.concat([lead, ones, [3]], axis=0)  # (..., 1, 3)
    if rotate:
        angle = tf.random.stateless_uniform(tf.concat([lead, ones], 0), seeds[0], maxval=2.0 * math.pi)
        cos, sin = tf.cos(angle), tf.sin(angle)
        x, y, z = tf.unstack(points, axis=-1)
        points = tf.stack([cos * x + sin * z, y, -sin * x + cos * z], axis=-1)
    low, high = scale_range
    scale = tf.random.stateless_uniform(cloud_shape, seeds[1], minval=low, maxval=high)
    noise = tf.random.stateless_normal(tf.shape(points), seeds[2], stddev=jitter_sigma)
    return points * scale + tf.clip_by_value(noise, -jitter_clip, jitter_clip)


def _augment_with(config, points, seed):
    return augment(
        points,
        seed,
        scale_range=config.scale_range,
        jitter_sigma=config.jitter_sigma,
        jitter_clip=config.jitter_clip,
        rotate=config.rotate,
    )


def _crop_group(cloud, count, ratio_range, num_out, seed, config, finish=True, density_low=None):
    """`count` crops of ratio ~ U(ratio_range), each resampled to `num_out` points, re-normalised and augmented
    (`finish=False`: as cut, neither). With `density_low`, each crop keeps a `sampled_density` of its points (the
    rest of the `num_out` slots repeat them): (count, num_out, 3)."""
    seeds = split_seed(seed, 2 * count + 1)
    low, high = ratio_range
    views = []
    for i in range(count):
        ratio = tf.random.stateless_uniform([], seeds[2 * i], minval=low, maxval=high)
        keep = None if density_low is None else sampled_density(ratio, tf.shape(cloud)[0], density_low,
                                                                   split_seed(seeds[2 * i], 1)[0])
        view = crop_and_resample(cloud, ratio, num_out, seeds[2 * i + 1], keep)
        views.append(normalize_unit_sphere(view) if finish else view)
    return _augment_with(config, tf.stack(views), seeds[-1]) if finish else tf.stack(views)


def multi_crop(cloud, seed, config):
    """Global and local crops of one normalised cloud.

    With `global_sampling="fps"` the global crops come whole, (num_global, N, 3) (every crop point, repeats padding
    to N), for `farthest_point_views` to sample per batch; with "mixed" they come whole too, each holding only a
    `sampled_density` of its crop's points (repeats padding to N), so their farthest-point samples range from a
    random subset to an even sample of the crop. Whole crops are neither re-normalised nor augmented here; the
    others are. The half-resolution FPS copies are made per batch by `half_resolution_views`.

    Args:
        cloud: (N, 3) normalised cloud, N static.
        seed: (2,) int seed.
        config: a `CropConfig`.

    Returns:
        Dict `{"global": (num_global, global_points, 3), "local": (num_local, local_points, 3)}`; "local" only when
        `num_local` > 0.
    """
    seeds = split_seed(seed, 2)
    whole = config.global_sampling in ("fps", "mixed")
    density_low = config.global_points if config.global_sampling == "mixed" else None
    views = {"global": _crop_group(cloud, config.num_global, config.global_ratio,
                                   cloud.shape[0] if whole else config.global_points, seeds[0], config,
                                   finish=not whole, density_low=density_low)}
    if config.num_local:
        views["local"] = _crop_group(cloud, config.num_local, config.local_ratio, config.local_points, seeds[1], config)
    return views


def farthest_point_views(crops, seed, config):
    """Whole crops -> their `global_points` farthest-point samples from a random start, re-normalised and augmented.

    This is the sampling the encoder applies to clouds denser than its `max_points`. Repeated points (the padding of
    small crops) are picked at most once while unpicked points remain.

    Args:
        crops: (B, V, M, 3) whole crops, V and M static.
        seed: (2,) int seed.
        config: a `CropConfig`.

    Returns:
        (B, V, global_points, 3) views.
    """
    batch, count, size = tf.shape(crops)[0], crops.shape[1], crops.shape[2]
    seeds = split_seed(seed, 2)
    sampled = _farthest_point_copies(tf.reshape(crops, [-1, size, 3]), config.global_points, seeds[0])
    return _augment_with(config, tf.reshape(sampled, [batch, count, config.global_points, 3]), seeds[1])


def _farthest_point_copies(clouds, num_samples, seed):
    """Each cloud's `num_samples` farthest-point samples from a random start, re-normalised:
    (B, N, 3) -> (B, num_samples, 3)."""
    start = tf.random.stateless_uniform([tf.shape(clouds)[0]], seed, maxval=clouds.shape[1], dtype=tf.int32)
    return normalize_unit_sphere(gather_points(clouds, farthest_point_sample(clouds, num_samples, start_index=start)))


def half_resolution_views(clouds, seed, config):
    """`num_half_res` FPS copies of N/2 points per cloud, each from its own random start.

    Batched so one FPS loop serves the whole batch.

    Args:
        clouds: (B, N, 3) clouds, N static.
        seed: (2,) int seed.
        config: a `CropConfig`.

    Returns:
        (B, num_half_res, N // 2, 3) views, re-normalised and augmented.
    """
    seeds = split_seed(seed, config.num_half_res + 1)
    copies = [_farthest_point_copies(clouds, clouds.shape[1] // 2, seeds[i]) for i in range(config.num_half_res)]
    return _augment_with(config, tf.stack(copies, axis=1), seeds[-1])
