"""Frozen features of an encoder: of a dataset split, or of an array of clouds."""

import numpy as np
import tensorflow as tf

from dcglr_tf.data.pipeline import labelled_dataset
from dcglr_tf.export import encoder_from_backbone, load_encoder
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


def backbone_class_of(description):
    """The registered Backbone class named in an encoder description (`backbone_class`)."""
    import keras

    name = description.get("backbone_class")
    cls = keras.saving.get_registered_object(f"dcglr_tf>{name}")
    if cls is None:
        raise ValueError(f"the encoder's backbone class {name!r} is not a registered dcglr_tf backbone")
    return cls


def full_model_path(encoder_path):
    """OUTPUT_DIR/dcglr.keras of the run that exported `encoder_path` (OUTPUT_DIR/encoder)."""
    import os

    run_dir = os.path.dirname(os.path.abspath(encoder_path.rstrip("/")))
    return os.path.join(run_dir, "dcglr.keras")


def _copy_exported_variables(exported, model):
    """Copy the variables of an exported encoder's SavedModel (the teacher backbone, tracked in creation order)
    into `model` (same class and config, built). Returns False when names or shapes do not line up."""
    saved = list(getattr(exported._owner, "variables", []))
    if len(saved) != len(model.variables):
        return False
    for old, new in zip(saved, model.variables):
        suffix = new.path.split("/", 1)[-1]
        if old.shape != tuple(new.shape) or not old.name.split(":")[0].endswith("/" + suffix):
            return False
    for old, new in zip(saved, model.variables):
        new.assign(old.numpy())
    return True


def load_trainable_backbone(encoder, backbone=None, preset="embedded", seed=0, backbone_args=None, *,
                            pretrained=True):
    """A trainable Keras Backbone for the tasks that train or need more than the exported `serve` endpoint
    (finetune, segmentation, attention).

    encoder: "random" (build `backbone` from `preset` + `backbone_args`, seeded with `seed`) or the path of an
    exported encoder. For an exported encoder with `pretrained=True` the weights are the teacher backbone's: the
    SavedModel's variables copied into a Keras backbone built from the described class and config (checked by
    name and shape), else the run's full model OUTPUT_DIR/dcglr.keras; `pretrained=False`
    gives the same architecture freshly initialised (the from-scratch baseline). Returns (backbone, description).
    """
    import os

    import keras

    keras.utils.set_random_seed(seed)
    if encoder == "random":
        if not backbone:
            raise ValueError("--encoder=random needs --backbone=NAME to know which architecture to initialise")
        model = build_backbone(backbone, preset, **(backbone_args or {}))
        model.build((None, None, 3))
        return model, f"random-init {backbone} ({preset} preset, seed {seed})"
    exported = load_encoder(encoder)
    cls = backbone_class_of(exported.description)
    config = dict(exported.description["backbone_config"])
    if not pretrained:
        model = cls.from_config(config)
        model.build((None, None, 3))
        return model, f"from scratch: {cls.__name__} of {encoder} (seed {seed})"
    model = cls.from_config(config)
    model.build((None, None, 3))
    if _copy_exported_variables(exported, model):
        return model, f"pre-trained teacher backbone of {encoder}"
    path = full_model_path(encoder)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"this task trains or inspects the backbone, which needs its trainable weights: the variables of the "
            f"SavedModel at {encoder} do not match its described architecture, and the run's full model {path} "
            f"(written by train.py next to encoder/) is missing")
    import dcglr_tf.dcglr  # noqa: F401  (registers DCGLR for deserialisation)

    try:
        full = keras.saving.load_model(path, compile=False)
    except Exception as error:  # a broken archive must not end in a TF traceback
        raise ValueError(f"cannot load the teacher backbone weights from {path}: {str(error).splitlines()[0]}") from None
    model.set_weights(full.teacher_backbone.get_weights())
    model.trainable = True
    return model, f"pre-trained teacher backbone of {encoder}"


def embed_points(encoder, points, *, batch_size=32, jit_compile=False, on_batch=None):
    """float32 (M, n, 3) clouds -> (M, D) features of `encoder`, `batch_size` clouds per call (as extract_features)."""
    if len(points) == 0:
        raise ValueError("there are no clouds to embed")
    batches = tf.data.Dataset.from_tensor_slices((points, np.zeros(len(points), np.int64))).batch(batch_size)
    return encoder.embed_dataset(batches, jit_compile=jit_compile, on_batch=on_batch)[0]
