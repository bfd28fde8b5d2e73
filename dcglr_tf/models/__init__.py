"""Backbones, heads and the backbone registry. Importing this package registers every backbone."""

from dcglr_tf.models import dgcnn  # noqa: F401  (registers "dgcnn")
from dcglr_tf.models.backbone import Backbone
from dcglr_tf.models.registry import backbone_names, build_backbone, register_backbone

__all__ = ["Backbone", "backbone_names", "build_backbone", "register_backbone"]
