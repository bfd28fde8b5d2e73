"""Frozen features of an encoder: of a dataset split, or of an array of clouds."""

import numpy as np
import tensorflow as tf

from dcglr_tf.data.pipeline import labelled_dataset
from dcglr_tf.export import encoder_from_backbone, load_backbone, load_encoder
from dcglr_tf.models import build_backbone


def resolve_encoder(encoder, backbone=None, preset="embedded", seed=0, backbone_args=None):
    """An `Encoder` from a path to an exported encoder, or `"random"`: a freshly initialised `backbone`
    (registry name, `preset`, `backbone_args`) seeded with `seed` - the random-init baseline.
    Returns (Encoder, description string)."""
    if encoder == "random":
        if not backbone:
            raise ValueError("--encoder=random needs --backbone=NAME to know which architecture to initialise")
        import keras

        keras.utils.set_random_seed(seed)
        model = build_backbone(backbone, preset, **(backbone_args or {}))
        return encoder_from_backbone(model), f"random-init {backbone} ({preset} preset, seed {seed})"
    return load_encoder(encoder), encoder


def extract_features(encoder, dataset, split, *, num_points, batch_size=32, data_dir=None, manual_dir=None,
                     point_order="first", seed=0, jit_compile=False, on_batch=None):
    """(features (M, D) float32, labels (M,) int64) of `split` of `dataset`, clouds of `num_points` points taken as
    `point_order` says (`labelled_dataset`: "first" as stored, or "random" seeded by `seed`); `on_batch(n)` after each
    batch (progress). `jit_compile=True` XLA-compiles the exported encoder: not the default, since an encoder with
    `max_points` (a run-time branch on the point count around farthest point sampling) ran 20x slower that way on
    CPU (320 clouds of 256 points: 29 s vs 1.3 s)."""
    data = labelled_dataset(dataset, split, num_points=num_points, batch_size=batch_size, data_dir=data_dir,
                            manual_dir=manual_dir, point_order=point_order, seed=seed)
    return encoder.embed_dataset(data, jit_compile=jit_compile, on_batch=on_batch)


def parse_encoder_spec(spec, backbone=None):
    """`spec` is an exported encoder path, `random` (architecture from `backbone`) or `random:NAME`.
    Returns (path or "random", backbone name or None)."""
    if spec.startswith("random:"):
        return "random", spec.split(":", 1)[1]
    return spec, backbone


def load_trainable_backbone(encoder, backbone=None, preset="embedded", seed=0, backbone_args=None, *,
                            pretrained=True):
    """A trainable Keras Backbone for the tasks that train or need more than the exported `serve` endpoint
    (finetune, segmentation, attention).

    encoder: "random" (build `backbone` from `preset` + `backbone_args`, seeded with `seed`) or the path of an
    exported encoder: `dcglr_tf.export.load_backbone` with `pretrained` (the teacher backbone's weights, or the same
    architecture freshly initialised with `seed`: the from-scratch baseline). Returns (backbone, description).
    """
    import keras

    keras.utils.set_random_seed(seed)
    if encoder == "random":
        if not backbone:
            raise ValueError("--encoder=random needs --backbone=NAME to know which architecture to initialise")
        model = build_backbone(backbone, preset, **(backbone_args or {}))
        model.build((None, None, 3))
        return model, f"random-init {backbone} ({preset} preset, seed {seed})"
    model = load_backbone(encoder, pretrained=pretrained)
    if pretrained:
        return model, f"pre-trained teacher backbone of {encoder}"
    return model, f"from scratch: {type(model).__name__} of {encoder} (seed {seed})"


def embed_points(encoder, points, *, batch_size=32, jit_compile=False, on_batch=None):
    """float32 (M, n, 3) clouds -> (M, D) features of `encoder`, `batch_size` clouds per call (as extract_features)."""
    if len(points) == 0:
        raise ValueError("there are no clouds to embed")
    batches = tf.data.Dataset.from_tensor_slices((points, np.zeros(len(points), np.int64))).batch(batch_size)
    return encoder.embed_dataset(batches, jit_compile=jit_compile, on_batch=on_batch)[0]
