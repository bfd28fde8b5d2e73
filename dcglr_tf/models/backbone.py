"""The encoder interface every backbone implements."""

import keras

from dcglr_tf.ops.points import farthest_point_downsample


class Backbone(keras.Model):
    """Point-cloud encoder: points (B, N, 3) -> global feature (B, output_dim).

    Subclasses set `output_dim` (D of the global feature) and `min_points` (the fewest points per cloud the
    architecture can take, e.g. its kNN k) and implement `call`, starting it with `limit_points`. Backbones with
    per-point features for segmentation also implement `point_features(points, training) -> (B, N,
    point_feature_dim)` and set `point_feature_dim`; `has_point_features` tells which do. `presets` maps a preset name
    ("paper", "embedded") to constructor arguments. `xla_default` says whether a DCGLR training step on one device is
    faster XLA-compiled (measured per backbone by benchmarks/benchmark_train_step.py): the default path.

    Args:
        max_points: int >= 1 or None, the density the encoder works at. The global feature of a cloud with more points
            is computed from its `max_points` farthest-point samples, so a cloud gives nearly the same embedding at any
            density above the one the encoder was trained at (kNN neighbourhoods and pooled statistics depend on the
            point count). None: every point is used. Per-point features always use every point.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Call arguments:
        points: (B, N, 3) float clouds.
        training: bool or None, training mode (batch norm, dropout).

    Returns:
        (B, output_dim) global features.

    Raises:
        ValueError: when `max_points` is below 1.
    """

    presets = {"paper": {}}
    xla_default = True
    teacher_overrides = {}  # constructor arguments a DCGLR teacher takes instead (e.g. no stochastic depth)
    output_dim = None
    min_points = 1
    point_feature_dim = None

    def __init__(self, max_points=None, **kwargs):
        super().__init__(**kwargs)
        self.max_points = None if max_points is None else int(max_points)
        if self.max_points is not None and self.max_points < 1:
            raise ValueError(f"max_points must be >= 1 or None, got {max_points}")

    @property
    def has_point_features(self):
        return self.point_feature_dim is not None

    def limit_points(self, points):
        """The points the global feature is computed from.

        A reduced cloud is centred and scaled into the unit sphere again, as every cloud the encoder gets is, so that a
        shape stored in farthest-point order gives the same embedding from any N >= max_points of its points.

        Args:
            points: (B, N, 3) float clouds.

        Returns:
            (B, min(N, max_points), 3) clouds; `points` unchanged when `max_points` is None.

        Raises:
            ValueError: when `max_points` is below `min_points`.
        """
        if self.max_points is None:
            return points
        if self.max_points < self.min_points:
            raise ValueError(f"backbone {self.name!r}: max_points={self.max_points} is below the {self.min_points} "
                             f"points per cloud it needs")
        return farthest_point_downsample(points, self.max_points, normalize=True)

    def check_num_points(self, num_points):
        """Checks a static point count against `min_points`.

        Args:
            num_points: int, or None (unknown: not checked).

        Raises:
            ValueError: naming the minimum, when `num_points` is below `min_points`.
        """
        if num_points is not None and num_points < self.min_points:
            raise ValueError(
                f"backbone {self.name!r} needs at least {self.min_points} points per cloud, got {num_points}"
            )

    def get_config(self):
        """The arguments every backbone shares; subclasses add their own."""
        return {"name": self.name, "max_points": self.max_points}
