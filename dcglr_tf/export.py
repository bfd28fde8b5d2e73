"""Export and load encoders: raw points (B, n, 3) -> embeddings (B, D).

`export_encoder` writes a TF SavedModel whose `serve` endpoint takes raw float32 points of any batch size
and any n >= the backbone's minimum, normalises them into the unit sphere, runs the backbone in inference
mode and returns float32 (B, D). NaN/Inf input and too few points fail inside the graph with a message
saying so. `load_encoder` reloads it (or wraps an in-memory backbone) as an `Encoder` that also checks
shapes in Python and embeds NumPy arrays in batches.
"""

import json
import os

import keras
import numpy as np
import tensorflow as tf

from dcglr_tf.models.precision import float32_copy
from dcglr_tf.ops.points import normalize_unit_sphere
from dcglr_tf.utils.atomic import replacing
from dcglr_tf.utils.faults import fault_point

METADATA_FILE = os.path.join("assets.extra", "encoder.json")


def _serving_function(backbone):
    min_points = int(backbone.min_points)

    def serve(points):
        checks = [
            tf.debugging.assert_all_finite(points, "encoder input points contain NaN or Inf values"),
            tf.debugging.assert_greater_equal(
                tf.shape(points)[1],
                min_points,
                message=f"encoder input has too few points per cloud: backbone {backbone.name} needs at least {min_points}",
            ),
        ]
        with tf.control_dependencies(checks):
            return backbone(normalize_unit_sphere(points), training=False)

    return serve


def export_encoder(backbone, path, metadata=None):
    """Write `backbone` (a built Backbone) as a SavedModel at `path` with endpoint
    `serve(points: float32 [batch, n_points, 3]) -> float32 [batch, D]` and a JSON description of the
    encoder (backbone name, config, output_dim, min_points, plus `metadata`) in `assets.extra/`. A backbone
    trained in mixed precision is exported as its float32 twin: the encoder computes in float32. The export is
    written next to `path` and renamed into place when complete."""
    if backbone.compute_dtype != "float32":
        backbone = float32_copy(backbone)
    archive = keras.export.ExportArchive()
    archive.track(backbone)
    archive.add_endpoint(
        "serve",
        _serving_function(backbone),
        input_signature=[tf.TensorSpec([None, None, 3], tf.float32, name="points")],
    )
    description = {
        "backbone_class": type(backbone).__name__,
        "backbone_config": backbone.get_config(),
        "output_dim": int(backbone.output_dim),
        "min_points": int(backbone.min_points),
        **(metadata or {}),
    }
    with replacing(path) as tmp:  # a kill while exporting leaves the previous export (or none), never half of one
        archive.write_out(tmp, verbose=False)
        os.makedirs(os.path.join(tmp, "assets.extra"), exist_ok=True)
        with open(os.path.join(tmp, METADATA_FILE), "w") as f:
            json.dump(description, f, indent=2, default=str)
        fault_point("export")
    return path


class Encoder:
    """A callable encoder: points (B, n, 3) -> embeddings (B, D), from an export or an in-memory backbone.

    Input is checked before it reaches TensorFlow: rank 3, last dimension 3, at least `min_points`
    points, finite values; each failure is a ValueError naming the problem.
    """

    def __init__(self, serve, output_dim, min_points, description, owner=None):
        self._serve = serve
        self._owner = owner  # keeps the loaded SavedModel (and its variables) alive
        self._compiled = None  # the XLA-compiled serve function, made on first use by embed_dataset
        self.output_dim = int(output_dim)
        self.min_points = int(min_points)
        self.description = description

    def check_points(self, points):
        points = np.asarray(points, dtype=np.float32)
        if points.ndim != 3 or points.shape[-1] != 3:
            raise ValueError(f"encoder input must have shape [batch, n_points, 3], got {list(points.shape)}")
        if points.shape[1] < self.min_points:
            raise ValueError(
                f"encoder input has {points.shape[1]} points per cloud; this encoder needs at least {self.min_points}"
            )
        if not np.all(np.isfinite(points)):
            raise ValueError("encoder input points contain NaN or Inf values")
        return points

    def __call__(self, points):
        """float32 (B, n, 3) -> float32 NumPy (B, D)."""
        return np.asarray(self._serve(tf.constant(self.check_points(points))))

    def embed_dataset(self, dataset, *, jit_compile=False, on_batch=None):
        """Embeddings and labels of a tf.data of (points, label) batches -> (features (M, D), labels (M,)).

        jit_compile: run the encoder XLA-compiled (each batch is still checked here; XLA drops the graph's
        assertions), a smaller last batch padded to the first batch's size so that one compilation serves all.
        on_batch(n): called after each batch with its number of clouds (progress output)."""
        serve = self._serve
        if jit_compile:
            self._compiled = self._compiled or tf.function(self._serve, jit_compile=True)
            serve = self._compiled
        features, labels, full = [], [], None
        for points, label in dataset:
            points = self.check_points(points.numpy())
            count = len(points)
            full = count if full is None else full
            if jit_compile and count < full:
                points = np.concatenate([points, np.repeat(points[-1:], full - count, axis=0)])
            features.append(np.asarray(serve(tf.constant(points)))[:count])
            labels.append(label.numpy())
            if on_batch is not None:
                on_batch(count)
        if not features:
            raise ValueError("the dataset to embed is empty")
        return np.concatenate(features), np.concatenate(labels)


def load_encoder(path):
    """Load an encoder exported by `export_encoder` (a SavedModel directory) as an `Encoder`."""
    metadata_path = os.path.join(path, METADATA_FILE)
    if not os.path.isdir(path) or not os.path.exists(os.path.join(path, "saved_model.pb")):
        raise FileNotFoundError(
            f"no exported encoder at {path!r}: expected a SavedModel directory written by train.py "
            f"(OUTPUT_DIR/encoder, containing saved_model.pb)"
        )
    if not os.path.exists(metadata_path):
        raise FileNotFoundError(f"{path!r} is a SavedModel but not a dcglr_tf encoder: {METADATA_FILE} is missing")
    with open(metadata_path) as f:
        description = json.load(f)
    loaded = tf.saved_model.load(path)
    return Encoder(loaded.serve, description["output_dim"], description["min_points"], description, owner=loaded)


def encoder_from_backbone(backbone):
    """Wrap an in-memory Backbone (built here if it is not yet) as an `Encoder` with the same checks and
    normalisation as the export."""
    if not backbone.built:
        backbone.build((None, None, 3))
    serve = tf.function(_serving_function(backbone), reduce_retracing=True)
    description = {"backbone_class": type(backbone).__name__, "backbone_config": backbone.get_config()}
    return Encoder(serve, backbone.output_dim, backbone.min_points, description, owner=backbone)
