"""Building blocks shared by the backbones."""

import keras
import tensorflow as tf


def ensure_min_points(backbone, points):
    """Checks that `points` has at least `backbone.min_points` points per cloud.

    A static N is checked at once (`backbone.check_num_points`). A dynamic N (e.g. a SavedModel signature with unknown
    N) gets a `tf.debugging` assertion with the same message that runs before anything downstream of the returned
    tensor.

    Args:
        backbone: a `Backbone`.
        points: (B, N, 3) clouds.

    Returns:
        `points` (B, N, 3), behind the assertion for a dynamic N.

    Raises:
        ValueError: naming the minimum, when a static N is too small (a dynamic one fails the assertion at run time
            with tf.errors.InvalidArgumentError).
    """
    num_points = points.shape[1]
    if num_points is not None:
        backbone.check_num_points(num_points)
        return points
    check = tf.debugging.assert_greater_equal(
        tf.shape(points)[1],
        backbone.min_points,
        message=f"backbone {backbone.name!r} needs at least {backbone.min_points} points per cloud",
    )
    with tf.control_dependencies([check]):
        return tf.identity(points)


@keras.saving.register_keras_serializable(package="dcglr_tf")
class SharedMLP(keras.layers.Layer):
    """Per-point (or per-edge) dense layers, each with batch norm and an activation: (..., C_in) -> (..., units[-1]).

    Batch norm is synchronised across replicas under tf.distribute, so every replica (and the EMA teacher built from
    them) sees the same statistics. The dense layers have no bias.

    Args:
        units: sequence of int, the layers' widths.
        activation: "leaky_relu" or any name `keras.activations.get` takes.
        negative_slope: float, LeakyReLU's slope.
        **kwargs: passed to `keras.layers.Layer`.

    Call arguments:
        x: (..., C_in) float features.
        training: bool or None.

    Returns:
        (..., units[-1]) features.
    """

    def __init__(self, units, activation="leaky_relu", negative_slope=0.2, **kwargs):
        super().__init__(**kwargs)
        self.units = [int(u) for u in units]
        self.activation = activation
        self.negative_slope = negative_slope
        self.denses = [keras.layers.Dense(u, use_bias=False, name=f"dense_{i}") for i, u in enumerate(self.units)]
        self.norms = [
            keras.layers.BatchNormalization(momentum=0.9, synchronized=True, name=f"bn_{i}")
            for i in range(len(self.units))
        ]

    def build(self, input_shape):
        shape = tuple(input_shape)
        for dense, norm in zip(self.denses, self.norms):
            dense.build(shape)
            shape = shape[:-1] + (dense.units,)
            norm.build(shape)

    def _activate(self, x):
        if self.activation == "leaky_relu":
            return keras.ops.leaky_relu(x, negative_slope=self.negative_slope)
        return keras.activations.get(self.activation)(x)

    def call(self, x, training=None):
        for dense, norm in zip(self.denses, self.norms):
            x = self._activate(norm(dense(x), training=training))
        return x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, activation=self.activation, negative_slope=self.negative_slope)
        return config
