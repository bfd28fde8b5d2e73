"""Point-cloud ops in plain TensorFlow (XLA-compilable, CPU and GPU)."""

from dcglr_tf.ops.points import (
    farthest_point_downsample,
    farthest_point_sample,
    gather_points,
    knn,
    normalize_unit_sphere,
    pairwise_sq_distances,
)

__all__ = [
    "farthest_point_downsample",
    "farthest_point_sample",
    "gather_points",
    "knn",
    "normalize_unit_sphere",
    "pairwise_sq_distances",
]
