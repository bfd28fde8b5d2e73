"""DGCNN (Wang et al., 2019): dynamic-graph EdgeConv encoder.

Classification encoder of the paper: four EdgeConv layers (64, 64, 128, 256) on a kNN graph (k = 20)
rebuilt in each layer's input feature space, their outputs concatenated (512), a 1x1 conv to 1024, then
global max and mean pooling concatenated: points (B, N, 3) -> (B, 2048). About 0.6 M parameters, as the
published encoder (its classifier MLP is not part of the encoder).

EdgeConv computes h(x_i, x_j - x_i) = W_a (x_j - x_i) + W_b x_i for each neighbour j, then batch norm,
LeakyReLU(0.2) and a max over the k neighbours. Because the first map is linear we apply it to the points
once and gather the result, W_a x_j + (W_b - W_a) x_i, instead of multiplying every (i, j) edge: the same
function and parameter count with k times fewer multiply-adds in the convolutions.

Nor is the (B, N, k, C) edge tensor normalised: batch norm is a per-channel affine map and LeakyReLU is
increasing, so the max over k of LeakyReLU(BN(e_ij)) is LeakyReLU(BN(.)) of the max over k of e_ij where the
channel's BN scale gamma is >= 0 and of the min where it is negative. With s = sign(gamma), a = W_a x and
c = (W_b - W_a) x, the layer gathers s * a over each point's neighbours once, reducing it to its max and its sum
S_i, and takes the batch statistics of the edges (the exact training-mode mean and variance over B, N and k,
summed across replicas as Keras's synchronised BatchNormalization does) from per-point sums:
sum_ij e_ij = sum_i S_i + k sum_i c_i and sum_ij e_ij^2 = sum_m deg_m a_m^2 + 2 sum_i c_i S_i + k sum_i c_i^2,
deg_m being the number of points that have m as a neighbour. Values and gradients equal the edge-tensor
formulation (a max tied between two neighbours passes its gradient to one of them, not half to each); the
per-edge work left is one gather forward and one scatter backward, and nothing of size (B, N, k, C) is kept
from the forward pass to the backward pass.
"""

import keras
import tensorflow as tf
from keras import ops

from dcglr_tf.models.backbone import Backbone
from dcglr_tf.models.layers import SharedMLP, ensure_min_points
from dcglr_tf.models.registry import register_backbone
from dcglr_tf.ops.points import knn, neighbour_counts, neighbour_max_and_sum


@keras.saving.register_keras_serializable(package="dcglr_tf")
class EdgeConv(keras.layers.Layer):
    """One EdgeConv layer on a kNN graph of k neighbours in the input space: (B, N, C) -> (B, N, units).

    Computes LeakyReLU(BN(W_a (x_j - x_i) + W_b x_i)) maxed over the k neighbours j of each point i, from per-point
    terms (see the module docstring). Batch norm is synchronised across replicas.

    Args:
        units: int, output width.
        k: int, neighbours per point (the point itself included); needs N >= k.
        negative_slope: float, LeakyReLU's slope.
        **kwargs: passed to `keras.layers.Layer`.

    Call arguments:
        x: (B, N, C) float features, N >= k.
        training: bool or None; in training mode batch norm uses the edges' batch statistics and updates its moving
            statistics.

    Returns:
        (B, N, units) features.
    """

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
        neighbour = self.neighbour(x)  # (B, N, units): W_a x_j before gathering
        centre = self.centre(x) - neighbour  # (B, N, units): (W_b - W_a) x_i
        dtype = keras.backend.result_type(neighbour.dtype, "float32")  # statistics in float32, as Keras's BN
        neighbour, centre = ops.cast(neighbour, dtype), ops.cast(centre, dtype)
        sign = ops.stop_gradient(ops.where(ops.cast(self.norm.gamma, dtype) >= 0, 1.0, -1.0))  # sign of BN's scale
        signed_max, signed_sum = neighbour_max_and_sum(neighbour * sign, idx)
        squares = None  # only the batch statistics need them
        if training and self.norm.trainable:
            squares = neighbour_counts(idx, ops.shape(x)[1])[:, :, None] * ops.square(neighbour)
        return self.normalised_max(centre, sign * signed_max, sign * signed_sum, squares, self.k, training=training)

    def normalised_max(self, centre, extreme, neighbour_sum, neighbour_squares, k, training=None):
        """max_j LeakyReLU(BN(e_ij)) for the edges e_ij = a_{idx_ij} + centre_i of k neighbours, from per-point terms.

        With training, BN normalises with the edges' batch statistics and updates its moving statistics; otherwise it
        uses them.

        Args:
            centre: (B, N, units) float32, the centre terms (W_b - W_a) x_i.
            extreme: (B, N, units), the max over j of a_{idx_ij} where BN's gamma >= 0, the min elsewhere.
            neighbour_sum: (B, N, units), the sum over j of a_{idx_ij}.
            neighbour_squares: (B, N, units) whose sum over B and N is that of a_{idx_ij}^2 over all edges
                (deg_m a_m^2); unused without training.
            k: int, neighbours per point.
            training: bool or None.

        Returns:
            (B, N, units) in the layer's compute dtype.
        """
        norm, dtype = self.norm, centre.dtype
        if training and norm.trainable:
            mean, variance = self.edge_moments(centre, neighbour_sum, neighbour_squares, k)
            norm.moving_mean.assign(norm.moving_mean * norm.momentum + mean * (1.0 - norm.momentum))
            norm.moving_variance.assign(norm.moving_variance * norm.momentum + variance * (1.0 - norm.momentum))
        else:
            mean, variance = ops.cast(norm.moving_mean, dtype), ops.cast(norm.moving_variance, dtype)
        scale = ops.cast(norm.gamma, dtype) * ops.rsqrt(variance + norm.epsilon)
        normalised = (centre + extreme) * scale + (ops.cast(norm.beta, dtype) - mean * scale)
        return ops.leaky_relu(ops.cast(normalised, self.compute_dtype), negative_slope=self.negative_slope)

    def edge_moments(self, centre, neighbour_sum, neighbour_squares, k):
        """Batch mean and variance of the edges e_ij = a_{idx_ij} + centre_i over B, N and k neighbours.

        Summed across replicas when the BN is synchronised; variance E[e^2] - E[e]^2 (clipped at 0), as Keras's
        synchronised BatchNormalization computes it.

        Args:
            centre, neighbour_sum, neighbour_squares: the (B, N, units) per-point terms of `normalised_max`.
            k: int, neighbours per point.

        Returns:
            Tuple `(mean, variance)`, each (units,).
        """
        axes = (0, 1)
        edge_sum = ops.sum(neighbour_sum, axis=axes) + k * ops.sum(centre, axis=axes)
        edge_square_sum = (
            ops.sum(neighbour_squares, axis=axes)
            + 2.0 * ops.sum(centre * neighbour_sum, axis=axes)
            + k * ops.sum(ops.square(centre), axis=axes)
        )
        shape = ops.shape(centre)
        count = ops.cast(shape[0] * shape[1] * k, centre.dtype)
        context = tf.distribute.get_replica_context()
        if self.norm.synchronized and context is not None:
            edge_sum, edge_square_sum, count = context.all_reduce(
                tf.distribute.ReduceOp.SUM, [edge_sum, edge_square_sum, count]
            )
        mean = tf.math.divide_no_nan(edge_sum, count)
        return mean, ops.maximum(tf.math.divide_no_nan(edge_square_sum, count) - ops.square(mean), 0.0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, k=self.k, negative_slope=self.negative_slope)
        return config


@register_backbone("dgcnn")
class DGCNN(Backbone):
    """DGCNN encoder: (B, N, 3) -> (B, 2 * emb_dim); per-point features (B, N, sum(widths)).

    Paper preset: widths (64, 64, 128, 256), k 20, emb_dim 1024.

    Args:
        widths: sequence of int, EdgeConv output widths.
        k: int, neighbours per point (needs N >= k; `min_points` is k).
        emb_dim: int, width of the 1x1 conv before pooling.
        **kwargs: passed to `Backbone` (`max_points`, `name`, default "dgcnn").

    Call arguments:
        points: (B, N, 3) float clouds, N >= k.
        training: bool or None.

    Returns:
        (B, 2 * emb_dim) global features: max and mean pooling concatenated.

    Raises:
        ValueError: (when called) a static N or `max_points` below k.
    """

    presets = {
        "paper": dict(widths=(64, 64, 128, 256), k=20, emb_dim=1024),
        # k = 8 over the 128 points the embedded encoder works at: a 1.5x faster training step than k = 16, spent on
        # more steps, and better features (docs/results.md).
        "embedded": dict(widths=(32, 32, 64, 128), k=8, emb_dim=256),
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
        """The concatenated EdgeConv outputs of every point (all points, whatever `max_points`).

        Args:
            points: (B, N, 3) float clouds, N >= k.
            training: bool or None.

        Returns:
            (B, N, sum(widths)) features.
        """
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
