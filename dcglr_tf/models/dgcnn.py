"""DGCNN (Wang et al., 2019): dynamic-graph EdgeConv encoder.

Classification encoder of the paper: four EdgeConv layers (64, 64, 128, 256) on a kNN graph (k = 20)
rebuilt in each layer's input feature space, their outputs concatenated (512), a 1x1 conv to 1024, then
global max and mean pooling concatenated: points (B, N, 3) -> (B, 2048). About 0.6 M parameters, as the
published encoder (its classifier MLP is not part of the encoder).

EdgeConv computes h(x_i, x_j - x_i) = W_a (x_j - x_i) + W_b x_i for each neighbour j, then batch norm,
LeakyReLU(0.2) and a max over the k neighbours. Because the first map is linear we apply it to the points
once and gather the result, W_a x_j + (W_b - W_a) x_i, instead of multiplying every (i, j) edge: the same
function and parameter count with k times fewer multiply-adds in the convolutions.
"""

import keras
from keras import ops

from dcglr_tf.models.backbone import Backbone
from dcglr_tf.models.layers import SharedMLP, ensure_min_points
from dcglr_tf.models.registry import register_backbone
from dcglr_tf.ops.points import gather_points, knn


@keras.saving.register_keras_serializable(package="dcglr_tf")
class EdgeConv(keras.layers.Layer):
    """One EdgeConv layer: (B, N, C) -> (B, N, units), kNN graph of k neighbours in the input space."""

    def __init__(self, units, k, negative_slope=0.2, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.k = int(k)
        self.negative_slope = negative_slope
        self.neighbour = keras.layers.Dense(self.units, use_bias=False, name="neighbour")
        self.centre = keras.layers.Dense(self.units, use_bias=False, name="centre")
        self.norm = keras.layers.BatchNormalization(momentum=0.9, synchronized=True, name="bn")

    def build(self, input_shape):
        self.neighbour.build(input_shape)
        self.centre.build(input_shape)
        self.norm.build(tuple(input_shape[:-1]) + (self.k, self.units))

    def call(self, x, training=None):
        idx = knn(x, x, self.k)  # (B, N, k), the point itself first
        neighbour = gather_points(self.neighbour(x), idx)  # (B, N, k, units): W_a x_j
        centre = self.centre(x) - self.neighbour(x)  # (B, N, units): (W_b - W_a) x_i
        edges = neighbour + centre[:, :, None, :]
        edges = ops.leaky_relu(self.norm(edges, training=training), negative_slope=self.negative_slope)
        return ops.max(edges, axis=2)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, k=self.k, negative_slope=self.negative_slope)
        return config


@register_backbone("dgcnn")
class DGCNN(Backbone):
    """DGCNN encoder: (B, N, 3) -> (B, 2 * emb_dim); per-point features (B, N, sum(widths)).

    widths: EdgeConv output widths; k: neighbours per point (needs N >= k); emb_dim: width of the 1x1 conv
    before pooling. Paper preset: widths (64, 64, 128, 256), k 20, emb_dim 1024.
    """

    presets = {
        "paper": dict(widths=(64, 64, 128, 256), k=20, emb_dim=1024),
        "embedded": dict(widths=(32, 32, 64, 128), k=16, emb_dim=256),
    }

    def __init__(self, widths=(64, 64, 128, 256), k=20, emb_dim=1024, **kwargs):
        kwargs.setdefault("name", "dgcnn")
        super().__init__(**kwargs)
        self.widths = tuple(int(w) for w in widths)
        self.k = int(k)
        self.emb_dim = int(emb_dim)
        self.min_points = self.k
        self.output_dim = 2 * self.emb_dim
        self.point_feature_dim = sum(self.widths)
        self.edge_convs = [EdgeConv(w, self.k, name=f"edge_conv_{i}") for i, w in enumerate(self.widths)]
        self.embed = SharedMLP([self.emb_dim], name="embed")

    def build(self, input_shape):
        shape = tuple(input_shape)
        concat = 0
        for conv in self.edge_convs:
            conv.build(shape)
            shape = shape[:-1] + (conv.units,)
            concat += conv.units
        self.embed.build(shape[:-1] + (concat,))

    def point_features(self, points, training=None):
        """(B, N, 3) -> (B, N, sum(widths)): the concatenated EdgeConv outputs."""
        features, x = [], ensure_min_points(self, points)
        for conv in self.edge_convs:
            x = conv(x, training=training)
            features.append(x)
        return ops.concatenate(features, axis=-1)

    def call(self, points, training=None):
        points = self.limit_points(points)
        x = self.embed(self.point_features(points, training=training), training=training)
        return ops.concatenate([ops.max(x, axis=1), ops.mean(x, axis=1)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        return {**super().get_config(), "widths": list(self.widths), "k": self.k, "emb_dim": self.emb_dim}
