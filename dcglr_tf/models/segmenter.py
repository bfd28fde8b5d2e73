"""Per-point networks on an encoder's point features: semantic segmentation (S3DIS-style) and part segmentation
(ShapeNetPart-style), DGCNN's segmentation heads.

`SegmentationNet(backbone, num_classes)`: points (B, N, 3) -> (B, N, num_classes) logits. The encoder's per-point
features (B, N, F) (`point_features`) are concatenated with the global feature repeated at every point (for DGCNN
the encoder's own 1x1 embedding of the per-point features, max and mean pooled), then a per-point MLP (256, 256,
128 with batch norm, LeakyReLU, dropout 0.5 before the last layer) and a per-point linear layer to the classes.

`PartSegmentationNet(backbone, num_parts, num_categories)`: (points (B, N, 3), category (B,)) -> (B, N, num_parts)
logits; the shape's category (one-hot -> Dense(64)-BN-LeakyReLU, as DGCNN) joins the per-point context.
`restricted_softmax` turns its logits into probabilities over the category's parts only (`part_mask`), as the exported
part segmenter does.
"""

import keras
import numpy as np
from keras import ops

from dcglr_tf.models.dgcnn import DGCNN
from dcglr_tf.models.layers import SharedMLP


@keras.saving.register_keras_serializable(package="dcglr_tf")
class SegmentationNet(keras.Model):
    """(B, N, 3) points -> (B, N, num_classes) per-point logits.

    Args:
        backbone: a `Backbone` with per-point features (`has_point_features`); built here when it is not yet.
        num_classes: int, the number of per-point classes.
        hidden: sequence of int, widths of the per-point MLP (batch norm, LeakyReLU; dropout before the last layer).
        dropout: float, the dropout rate before the MLP's last layer.
        **kwargs: passed to `keras.Model`.

    Call arguments:
        points: (B, N, 3) float clouds.
        training: bool.

    Returns:
        (B, N, num_classes) per-point logits.

    Raises:
        ValueError: when `backbone` has no per-point features.
    """

    def __init__(self, backbone, num_classes=13, hidden=(256, 256, 128), dropout=0.5, **kwargs):
        super().__init__(**kwargs)
        if not getattr(backbone, "has_point_features", False):
            raise ValueError(f"backbone {backbone.name!r} has no per-point features")
        if not backbone.built:  # point_features bypasses Keras' build-on-call
            backbone.build((None, None, 3))
        self.backbone = backbone
        self.num_classes = int(num_classes)
        self.mlp = SharedMLP(list(hidden[:-1]), name="seg_mlp")
        self.drop = keras.layers.Dropout(dropout, name="seg_dropout")
        self.last = SharedMLP([hidden[-1]], name="seg_mlp_last")
        self.classifier = keras.layers.Dense(self.num_classes, name="seg_classifier")

    def global_feature(self, points, features, training=False):
        """The global feature of the clouds, from their per-point features where the backbone allows.

        For DGCNN it is the encoder's 1x1 embedding of `features`, max and mean pooled, so the EdgeConvs run once;
        otherwise the backbone is called on `points`.

        Args:
            points: (B, N, 3) float clouds.
            features: (B, N, F) their per-point features.
            training: bool.

        Returns:
            (B, D) global features.
        """
        if isinstance(self.backbone, DGCNN):
            embedded = self.backbone.embed(features, training=training)
            return ops.concatenate([ops.max(embedded, axis=1), ops.mean(embedded, axis=1)], axis=-1)
        return self.backbone(points, training=training)

    def per_point_logits(self, features, context, training=False):
        """The per-point MLP on the per-point features with a per-cloud context repeated at every point.

        Args:
            features: (B, N, F) per-point features.
            context: (B, C) per-cloud context.
            training: bool.

        Returns:
            (B, N, num_classes) logits.
        """
        repeated = ops.repeat(context[:, None, :], ops.shape(features)[1], axis=1)
        x = self.mlp(ops.concatenate([features, repeated], axis=-1), training=training)
        x = self.last(self.drop(x, training=training), training=training)
        return self.classifier(x)

    def call(self, points, training=False):
        features = self.backbone.point_features(points, training=training)  # (B, N, F)
        return self.per_point_logits(features, self.global_feature(points, features, training), training)


@keras.saving.register_keras_serializable(package="dcglr_tf")
class PartSegmentationNet(SegmentationNet):
    """(points (B, N, 3), category (B,) int) -> (B, N, num_parts) per-point part logits.

    The shape's category (one-hot -> Dense(category_dim)-BN-LeakyReLU) joins the global feature as the per-point
    context.

    Args:
        backbone: a `Backbone` with per-point features.
        num_parts: int, the number of parts of all categories.
        num_categories: int, the number of shape categories.
        category_dim: int, width of the category embedding.
        **kwargs: passed to `SegmentationNet` (`hidden`, `dropout`, `name`, ...).

    Call arguments:
        inputs: tuple `(points, category)`: (B, N, 3) float clouds and (B,) int category ids.
        training: bool.

    Returns:
        (B, N, num_parts) per-point logits.

    Raises:
        ValueError: when `backbone` has no per-point features.
    """

    def __init__(self, backbone, num_parts, num_categories, category_dim=64, **kwargs):
        super().__init__(backbone, num_classes=num_parts, **kwargs)
        self.num_categories = int(num_categories)
        self.category_mlp = SharedMLP([int(category_dim)], name="category_mlp")

    def call(self, inputs, training=False):
        points, category = inputs
        features = self.backbone.point_features(points, training=training)  # (B, N, F)
        category = self.category_mlp(ops.one_hot(ops.cast(category, "int32"), self.num_categories), training=training)
        context = ops.concatenate([self.global_feature(points, features, training), category], axis=-1)
        return self.per_point_logits(features, context, training)


def part_mask(category_parts, num_parts):
    """Which parts each category has.

    Args:
        category_parts: list of lists of int, the part ids of each category.
        num_parts: int, the number of parts of all categories.

    Returns:
        (num_categories, num_parts) bool NumPy array, True where the part belongs to the category.
    """
    mask = np.zeros((len(category_parts), num_parts), bool)
    for category, parts in enumerate(category_parts):
        mask[category, parts] = True
    return mask


def restricted_softmax(logits, allowed):
    """Per-point probabilities over the allowed classes only: a part segmenter's output for a shape's category.

    Args:
        logits: (B, N, C) float per-point logits.
        allowed: (B, C) bool, True for the classes (parts) each cloud may take.

    Returns:
        (B, N, C) float, each point's softmax over its cloud's allowed classes, 0 for the others.
    """
    masked = ops.where(allowed[:, None, :], logits, ops.full_like(logits, float("-inf")))
    return ops.softmax(masked, axis=-1)
