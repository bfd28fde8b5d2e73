"""Projection heads."""

import keras
from keras import ops


def _l2_normalize(x, axis=-1, eps=1e-6):
    return x / ops.maximum(ops.norm(x, axis=axis, keepdims=True), eps)


@keras.saving.register_keras_serializable(package="dcglr_tf")
class DINOHead(keras.layers.Layer):
    """DINO projector: (B, D) -> (B, out_dim) logits.

    `num_layers - 1` Dense layers of `hidden_dim` with GELU (with `use_bn`, batch norm before each GELU as in DINO's
    `use_bn_in_head` option), a Dense to `bottleneck_dim`, L2 normalisation, then a weight-normalised linear layer
    without bias whose columns have unit norm (DINO's `norm_last_layer`): logits are cosine similarities to `out_dim`
    learned prototypes. The last layer's kernel is `last_layer_kernel` so training can freeze it for the first epoch.

    Args:
        out_dim: int, K, the number of prototypes.
        hidden_dim: int, width of the hidden Dense layers.
        bottleneck_dim: int, width of the L2-normalised bottleneck.
        num_layers: int, Dense layers before the last layer (`num_layers - 1` hidden ones and the bottleneck).
        use_bn: bool, batch norm (synchronised across replicas) before each GELU.
        **kwargs: passed to `keras.layers.Layer`.

    Call arguments:
        x: (B, D) float features.
        training: bool or None.

    Returns:
        (B, out_dim) logits in [-1, 1].
    """

    def __init__(self, out_dim=512, hidden_dim=2048, bottleneck_dim=256, num_layers=3, use_bn=True, **kwargs):
        super().__init__(**kwargs)
        self.use_bn = bool(use_bn)
        self.out_dim = int(out_dim)
        self.hidden_dim = int(hidden_dim)
        self.bottleneck_dim = int(bottleneck_dim)
        self.num_layers = int(num_layers)
        init = keras.initializers.TruncatedNormal(stddev=0.02)
        widths = [self.hidden_dim] * (self.num_layers - 1) + [self.bottleneck_dim]
        self.mlp = [keras.layers.Dense(w, kernel_initializer=init, name=f"mlp_{i}") for i, w in enumerate(widths)]
        self.norms = [
            keras.layers.BatchNormalization(momentum=0.9, synchronized=True, name=f"bn_{i}")
            for i in range(len(widths) - 1 if self.use_bn else 0)
        ]

    def build(self, input_shape):
        shape = tuple(input_shape)
        for i, dense in enumerate(self.mlp):
            dense.build(shape)
            shape = shape[:-1] + (dense.units,)
            if i < len(self.norms):
                self.norms[i].build(shape)
        self.last_layer_kernel = self.add_weight(
            name="last_layer_kernel",
            shape=(self.bottleneck_dim, self.out_dim),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
        )

    def call(self, x, training=None):
        for i, dense in enumerate(self.mlp):
            x = dense(x)
            if i < len(self.mlp) - 1:
                if self.use_bn:
                    x = self.norms[i](x, training=training)
                x = keras.activations.gelu(x)
        x = _l2_normalize(x)
        return ops.matmul(x, _l2_normalize(self.last_layer_kernel, axis=0))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.out_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            out_dim=self.out_dim,
            hidden_dim=self.hidden_dim,
            bottleneck_dim=self.bottleneck_dim,
            num_layers=self.num_layers,
            use_bn=self.use_bn,
        )
        return config
