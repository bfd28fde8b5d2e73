"""The encoder interface every backbone implements."""

import keras


class Backbone(keras.Model):
    """Point-cloud encoder: points (B, N, 3) -> global feature (B, output_dim).

    Subclasses set `output_dim` (D of the global feature) and `min_points` (the fewest points per cloud the
    architecture can take, e.g. its kNN k) and implement `call`. Backbones with per-point features for
    segmentation also implement `point_features(points, training) -> (B, N, point_feature_dim)` and set
    `point_feature_dim`; `has_point_features` tells which do. `presets` maps a preset name ("paper",
    "embedded") to constructor arguments. `xla_default` says whether a DCGLR training step on one device is
    faster XLA-compiled (measured per backbone by benchmarks/benchmark_train_step.py): the default path.
    """

    presets = {"paper": {}}
    xla_default = True
    output_dim = None
    min_points = 1
    point_feature_dim = None

    @property
    def has_point_features(self):
        return self.point_feature_dim is not None

    def check_num_points(self, num_points):
        """Raise a ValueError naming the minimum when a static point count is too small."""
        if num_points is not None and num_points < self.min_points:
            raise ValueError(
                f"backbone {self.name!r} needs at least {self.min_points} points per cloud, got {num_points}"
            )
