"""The classification network of the finetune protocol: an encoder with an MLP head (DGCNN's recipe).

`PointClassifier(backbone, num_classes)`: points (B, N, 3) -> backbone (B, D) -> Dense-BN-LeakyReLU-Dropout blocks ->
(B, num_classes) logits.
"""

import keras


@keras.saving.register_keras_serializable(package="dcglr_tf")
class PointClassifier(keras.Model):
    """backbone (B, N, 3) -> (B, D) -> MLP head with dropout -> (B, num_classes) logits.

    Each hidden block of the head is Dense (no bias) - BatchNormalization - LeakyReLU(0.2) - Dropout.

    Args:
        backbone: a `Backbone`, the encoder.
        num_classes: int, the number of classes.
        hidden: sequence of int, widths of the head's hidden blocks.
        dropout: float, the dropout rate of every hidden block.
        **kwargs: passed to `keras.Model`.

    Call arguments:
        points: (B, N, 3) float clouds.
        training: bool.

    Returns:
        (B, num_classes) logits.
    """

    def __init__(self, backbone, num_classes, hidden=(512, 256), dropout=0.5, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.num_classes = int(num_classes)
        self.hidden = tuple(int(h) for h in hidden)
        self.dropout = float(dropout)
        self.head_layers = []
        for i, units in enumerate(self.hidden):
            self.head_layers += [
                keras.layers.Dense(units, use_bias=False, name=f"head_dense_{i}"),
                keras.layers.BatchNormalization(name=f"head_bn_{i}"),
                keras.layers.LeakyReLU(0.2, name=f"head_act_{i}"),
                keras.layers.Dropout(self.dropout, name=f"head_dropout_{i}"),
            ]
        self.classifier = keras.layers.Dense(self.num_classes, name="classifier")

    def call(self, points, training=False):
        x = self.backbone(points, training=training)
        for layer in self.head_layers:
            x = layer(x, training=training)
        return self.classifier(x)
