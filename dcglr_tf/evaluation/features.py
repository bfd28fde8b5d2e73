"""Frozen features of an encoder on a labelled dataset split."""

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


def extract_features(encoder, dataset, split, *, num_points, batch_size=32, data_dir=None, manual_dir=None):
    """(features (M, D) float32, labels (M,) int64) of `split` of `dataset`, clouds of `num_points` points."""
    data = labelled_dataset(
        dataset, split, num_points=num_points, batch_size=batch_size, data_dir=data_dir, manual_dir=manual_dir
    )
    return encoder.embed_dataset(data)
