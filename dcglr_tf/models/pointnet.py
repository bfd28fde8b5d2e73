"""PointNet (Qi et al., 2017) without T-Nets: the cheap backbone for quick CPU runs and tests.

A shared MLP applied to every point (dense + batch norm + ReLU per layer), then a global max pool:
points (B, N, 3) -> (B, widths[-1]). Per-point features are the concatenated outputs of all shared-MLP
layers, (B, N, sum(widths)).

Paper preset: widths (64, 64, 64, 128, 1024), the vanilla PointNet classification encoder (its mlp(64, 64)
and mlp(64, 128, 1024) without the input and feature T-Nets). Parameters: ours 150,336 trainable (convs
without bias since batch norm follows, plus batch-norm scale and offset); the same encoder in the
published code has 151,680 (it keeps the redundant conv biases). The published 3.5 M of PointNet counts
both T-Nets and the classifier, which are not part of this encoder.
"""

import keras
from keras import ops

from dcglr_tf.models.backbone import Backbone
from dcglr_tf.models.layers import SharedMLP, ensure_min_points
from dcglr_tf.models.registry import register_backbone


@register_backbone("pointnet")
class PointNet(Backbone):
    """PointNet encoder: (B, N, 3) -> (B, widths[-1]); per-point features (B, N, sum(widths)).

    Works for any N >= 1. Paper preset: (64, 64, 64, 128, 1024); embedded preset: (32, 64, 128).

    Args:
        widths: non-empty sequence of int, output widths of the shared MLP layers (the last one is the global feature
            size).
        **kwargs: passed to `Backbone` (`max_points`, `name`, default "pointnet").

    Call arguments:
        points: (B, N, 3) float clouds.
        training: bool or None.

    Returns:
        (B, widths[-1]) global features: the last layer's outputs max-pooled over the points.

    Raises:
        ValueError: when `widths` is empty.
    """

    presets = {
        "paper": dict(widths=(64, 64, 64, 128, 1024)),
        "embedded": dict(widths=(32, 64, 128)),
    }

    def __init__(self, widths=(64, 64, 64, 128, 1024), **kwargs):
        kwargs.setdefault("name", "pointnet")
        super().__init__(**kwargs)
        self.widths = tuple(int(w) for w in widths)
        if not self.widths:
            raise ValueError("pointnet needs at least one layer width")
        self.min_points = 1
        self.output_dim = self.widths[-1]
        self.point_feature_dim = sum(self.widths)
        # One SharedMLP per layer so that every intermediate output is available for point_features.
        self.mlps = [SharedMLP([w], activation="relu", name=f"mlp_{i}") for i, w in enumerate(self.widths)]

    def build(self, input_shape):
        shape = tuple(input_shape)
        for mlp in self.mlps:
            mlp.build(shape)
            shape = shape[:-1] + (mlp.units[-1],)

    def _layer_outputs(self, points, training):
        x = ensure_min_points(self, points)
        outputs = []
        for mlp in self.mlps:
            x = mlp(x, training=training)
            outputs.append(x)
        return outputs

    def point_features(self, points, training=None):
        """Every shared-MLP layer's output, concatenated (all points, whatever `max_points`).

        Args:
            points: (B, N, 3) float clouds.
            training: bool or None.

        Returns:
            (B, N, sum(widths)) features.
        """
        return ops.concatenate(self._layer_outputs(points, training), axis=-1)

    def call(self, points, training=None):
        return ops.max(self._layer_outputs(self.limit_points(points), training)[-1], axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        return {**super().get_config(), "widths": list(self.widths)}
