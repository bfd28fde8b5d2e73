"""Backbones, heads and the backbone registry. Importing this package registers every backbone."""

from dcglr_tf.models import (
    dgcnn,  # noqa: F401  (registers "dgcnn")
    pct,  # noqa: F401  (registers "pct")
    pointnet,  # noqa: F401  (registers "pointnet")
    vit3d,  # noqa: F401  (registers "vit3d")
)
from dcglr_tf.models.backbone import Backbone
from dcglr_tf.models.registry import backbone_names, build_backbone, register_backbone

__all__ = ["Backbone", "backbone_names", "build_backbone", "register_backbone"]
