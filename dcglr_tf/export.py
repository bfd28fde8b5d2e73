"""Export and load models that take raw points: encoders, classifiers and segmenters as TF SavedModels.

Every export's endpoints take raw float32 points (B, n, 3) of any batch size and any n >= the backbone's minimum,
normalise them as the model was trained (into the unit sphere, except a semantic segmenter of scene blocks, which
takes block coordinates as they are), run the network in inference mode and return float32. NaN/Inf input and too
few points fail inside the graph with a message saying so. A JSON description in `assets.extra/` names the `kind`:

- `encoder` (`export_encoder`, written by train.py): `serve` (B, n, 3) -> (B, D) embeddings, and for backbones with
  per-point features `serve_points` (B, n, 3) -> (B, n, C).
- `classifier` (`export_classifier`, evaluate.py's finetune task): `serve` (B, n, 3) -> (B, classes) probabilities;
  the description holds `class_names`.
- `segmenter` (`export_segmenter`, the segmentation and partseg tasks): `serve` (B, n, 3) -> (B, n, classes)
  probabilities; a part segmenter's `serve` takes the shape's category too, `serve(points, category (B,) int32)`,
  and gives probability 0 to the parts of other categories; the description holds `class_names` (part names) and
  `categories` with `category_parts`.

`load_model` reloads any kind as an `Encoder`, `Classifier` or `Segmenter`, which check shapes in Python and run on
NumPy arrays; `load_encoder` loads an encoder only; `load_backbone` gives the trainable Keras backbone of an
exported encoder, with its weights, to fine-tune inside your own `keras.Model`.
"""

import json
import os

import keras
import numpy as np
import tensorflow as tf

from dcglr_tf.models.precision import float32_copy
from dcglr_tf.models.segmenter import PartSegmentationNet, part_mask, restricted_softmax
from dcglr_tf.ops.points import normalize_unit_sphere
from dcglr_tf.utils.atomic import replacing
from dcglr_tf.utils.faults import fault_point

METADATA_FILE = os.path.join("assets.extra", "encoder.json")  # an encoder's description
MODEL_FILE = os.path.join("assets.extra", "model.json")  # a classifier's or segmenter's description
POINTS_SIGNATURE = tf.TensorSpec([None, None, 3], tf.float32, name="points")
CATEGORY_SIGNATURE = tf.TensorSpec([None], tf.int32, name="category")
UNIT_SPHERE = "unit_sphere"  # the `input` of a description: points centred and scaled into the unit sphere inside
AS_GIVEN = "as_given"  # ... or taken as they are (a semantic segmenter's block coordinates)


def _model_input(points, backbone, kind, normalize=True):
    """Raw points (B, n, 3) -> the network's input: after graph assertions (finite values, n >= the backbone's
    `min_points`; the messages name the model's `kind`), centred and scaled into the unit sphere if `normalize`."""
    min_points = int(backbone.min_points)
    checks = [
        tf.debugging.assert_all_finite(points, f"{kind} input points contain NaN or Inf values"),
        tf.debugging.assert_greater_equal(
            tf.shape(points)[1],
            min_points,
            message=f"{kind} input has too few points per cloud: backbone {backbone.name} needs at least {min_points}",
        ),
    ]
    with tf.control_dependencies(checks):
        points = tf.identity(points)
    return normalize_unit_sphere(points) if normalize else points


def _serving_function(backbone):
    def serve(points):
        return backbone(_model_input(points, backbone, "encoder"), training=False)

    return serve


def _point_serving_function(backbone):
    def serve_points(points):
        return backbone.point_features(_model_input(points, backbone, "encoder"), training=False)

    return serve_points


def _write_export(model, endpoints, path, description, description_file):
    """Write `model` as a SavedModel at `path` with `endpoints` ({name: (function, input signature)}) and the JSON
    `description` at `description_file`, next to `path` first and renamed into place when complete."""
    archive = keras.export.ExportArchive()
    archive.track(model)
    for name, (function, signature) in endpoints.items():
        archive.add_endpoint(name, function, input_signature=signature)
    description = {**description, "endpoints": list(endpoints)}
    with replacing(path) as tmp:  # a kill while exporting leaves the previous export (or none), never half of one
        archive.write_out(tmp, verbose=False)
        os.makedirs(os.path.join(tmp, "assets.extra"), exist_ok=True)
        with open(os.path.join(tmp, description_file), "w") as f:
            json.dump(description, f, indent=2, default=str)
        fault_point("export")
    return path


def _backbone_description(backbone):
    return {"backbone_class": type(backbone).__name__, "backbone_config": backbone.get_config(),
            "min_points": int(backbone.min_points)}


def export_encoder(backbone, path, metadata=None):
    """Writes a built Backbone as an encoder SavedModel.

    Endpoints: `serve(points: float32 (B, n, 3)) -> float32 (B, D)`, and for a backbone with per-point features
    (`has_point_features`) `serve_points(points) -> float32 (B, n, point_feature_dim)`. The JSON description in
    `assets.extra/encoder.json` holds kind "encoder", the backbone's class and config, output_dim, min_points,
    point_feature_dim (or null), input "unit_sphere" and the endpoints, plus `metadata` (whose keys give way to these).
    A backbone trained in mixed precision is exported as its float32 twin.

    Args:
        backbone: a built `dcglr_tf.models.Backbone`.
        path: str, the SavedModel directory (written next to it, then renamed into place).
        metadata: optional dict added to the description (train.py adds num_points, dataset, ...).

    Returns:
        path.
    """
    if backbone.compute_dtype != "float32":
        backbone = float32_copy(backbone)
    endpoints = {"serve": (_serving_function(backbone), [POINTS_SIGNATURE])}
    if backbone.has_point_features:
        endpoints["serve_points"] = (_point_serving_function(backbone), [POINTS_SIGNATURE])
    description = {**(metadata or {}), "kind": "encoder", **_backbone_description(backbone),
                   "output_dim": int(backbone.output_dim), "point_feature_dim": backbone.point_feature_dim,
                   "input": UNIT_SPHERE}
    return _write_export(backbone, endpoints, path, description, METADATA_FILE)


def export_classifier(model, path, class_names, metadata=None):
    """Writes a fitted `PointClassifier` as a classifier SavedModel.

    Endpoint: `serve(points: float32 (B, n, 3)) -> float32 (B, num_classes)` class probabilities, points normalised
    into the unit sphere inside.

    Args:
        model: a built `dcglr_tf.models.classifier.PointClassifier`.
        path: str, the SavedModel directory.
        class_names: list of num_classes str, the classes in output order.
        metadata: optional dict added to the description (e.g. num_points, dataset, init; the export's own keys,
            kind, class_names, input, ..., win).

    Returns:
        path.

    Raises:
        ValueError: when `class_names` does not name the model's `num_classes` classes.
    """
    _check_names(class_names, model.num_classes, "class_names", "classes")

    def serve(points):
        return keras.ops.softmax(model(_model_input(points, model.backbone, "classifier"), training=False), axis=-1)

    description = {**(metadata or {}), "kind": "classifier", **_backbone_description(model.backbone),
                   "class_names": list(class_names), "input": UNIT_SPHERE}
    return _write_export(model, {"serve": (serve, [POINTS_SIGNATURE])}, path, description, MODEL_FILE)


def export_segmenter(model, path, class_names, *, normalize=True, categories=None, category_parts=None,
                     metadata=None):
    """Writes a fitted `SegmentationNet` or `PartSegmentationNet` as a segmenter SavedModel.

    Endpoint: `serve(points: float32 (B, n, 3)) -> float32 (B, n, num_classes)` per-point probabilities; a part
    segmenter's is `serve(points, category: int32 (B,)) -> (B, n, num_parts)`, the probabilities restricted to the
    category's parts (0 elsewhere); a category outside [0, num_categories) fails inside the graph.

    Args:
        model: a built `SegmentationNet` (semantic) or `PartSegmentationNet` (parts).
        path: str, the SavedModel directory.
        class_names: list of str, the per-point classes (parts) in output order.
        normalize: True to centre and scale each cloud into the unit sphere inside (as the model was trained);
            False to take the points as given (a semantic segmenter trained on block coordinates).
        categories: a part segmenter's category names, in its category-id order.
        category_parts: a part segmenter's part ids of each category (list of lists of int).
        metadata: optional dict added to the description.

    Returns:
        path.

    Raises:
        ValueError: when `class_names` does not name the model's classes, or for a part segmenter `categories` or
            `category_parts` does not cover its `num_categories` categories.
    """
    _check_names(class_names, model.num_classes, "class_names", "per-point classes")
    description = {**(metadata or {}), "kind": "segmenter", **_backbone_description(model.backbone),
                   "class_names": list(class_names), "input": UNIT_SPHERE if normalize else AS_GIVEN}
    if not isinstance(model, PartSegmentationNet):
        def serve(points):
            logits = model(_model_input(points, model.backbone, "segmenter", normalize), training=False)
            return keras.ops.softmax(logits, axis=-1)

        return _write_export(model, {"serve": (serve, [POINTS_SIGNATURE])}, path, description, MODEL_FILE)
    _check_names(categories, model.num_categories, "categories", "categories")
    if category_parts is None or len(category_parts) != model.num_categories:
        raise ValueError(f"category_parts must list the parts of each of the {model.num_categories} categories")
    allowed_parts = tf.constant(part_mask(category_parts, model.num_classes))

    def serve_parts(points, category):
        message = f"segmenter input category must be in [0, {model.num_categories})"
        checks = [tf.debugging.assert_non_negative(category, message),
                  tf.debugging.assert_less(category, model.num_categories, message)]
        with tf.control_dependencies(checks):
            category = tf.identity(category)
        logits = model((_model_input(points, model.backbone, "segmenter", normalize), category), training=False)
        return restricted_softmax(logits, tf.gather(allowed_parts, category))

    description.update(categories=list(categories),
                       category_parts=[[int(part) for part in parts] for parts in category_parts])
    return _write_export(model, {"serve": (serve_parts, [POINTS_SIGNATURE, CATEGORY_SIGNATURE])}, path, description, MODEL_FILE)


def _check_names(names, count, argument, what):
    if names is None or len(names) != count:
        got = None if names is None else len(names)
        raise ValueError(f"{argument} must name the model's {count} {what}, got {got}")


class ExportedModel:
    """What every loaded model shares: its description, its point minimum and the input checks.

    Args:
        description: dict, the export's JSON description.
        min_points: int, the fewest points per cloud the model takes.
        owner: optional object kept alive with the model (the loaded SavedModel and its variables).

    Attributes:
        kind: str, "encoder", "classifier" or "segmenter".
        description: dict, the export's JSON description.
        min_points: int, the fewest points per cloud the model takes.
        num_points: int or None, the points per cloud it was trained with (the description's `num_points`).
    """

    kind = None

    def __init__(self, description, min_points, owner=None):
        self.description = description
        self.min_points = int(min_points)
        self.num_points = description.get("num_points")
        self._owner = owner  # keeps the loaded SavedModel (and its variables) alive

    def check_points(self, points):
        """Checks a batch of clouds before it reaches TensorFlow.

        Args:
            points: array-like (B, n, 3).

        Returns:
            float32 NumPy (B, n, 3).

        Raises:
            ValueError: naming what is wrong: not rank 3, last dimension not 3, fewer than `min_points` points, or
                non-finite values.
        """
        points = np.asarray(points, dtype=np.float32)
        if points.ndim != 3 or points.shape[-1] != 3:
            raise ValueError(f"{self.kind} input must have shape [batch, n_points, 3], got {list(points.shape)}")
        if points.shape[1] < self.min_points:
            raise ValueError(f"{self.kind} input has {points.shape[1]} points per cloud; this {self.kind} needs at "
                             f"least {self.min_points}")
        if not np.all(np.isfinite(points)):
            raise ValueError(f"{self.kind} input points contain NaN or Inf values")
        return points

    def predict(self, points, *, batch_size=32, on_batch=None, **inputs):
        """The model's output for many clouds: `self(points[i:j], **inputs[i:j])` per `batch_size` clouds, concatenated.

        Args:
            points: (M, n, 3) clouds.
            batch_size: int, clouds per call.
            on_batch: optional callable, `on_batch(count)` after each batch (progress).
            **inputs: further per-cloud arrays of length M (a part segmenter's `categories`).

        Returns:
            NumPy array, the outputs of all M clouds concatenated along the first axis.

        Raises:
            ValueError: when there are no clouds, or as `__call__`.
        """
        if len(points) == 0:
            raise ValueError(f"there are no clouds to give the {self.kind}")
        outputs = []
        for start in range(0, len(points), batch_size):
            stop = start + batch_size
            outputs.append(self(points[start:stop], **{key: value[start:stop] for key, value in inputs.items()}))
            if on_batch is not None:
                on_batch(len(outputs[-1]))
        return np.concatenate(outputs)


class Encoder(ExportedModel):
    """A callable encoder: points (B, n, 3) -> embeddings (B, D), from an export or an in-memory backbone.

    `point_features` (B, n, 3) -> (B, n, C) for backbones with per-point features. Input is checked before it reaches
    TensorFlow (`check_points`): each failure is a ValueError naming the problem. Usually made by `load_model`,
    `load_encoder` or `encoder_from_backbone`.

    Args:
        serve: callable, float32 (B, n, 3) tensor -> (B, D) embeddings.
        output_dim: int, D.
        min_points: int, the fewest points per cloud.
        description: dict, the export's description.
        owner: optional object kept alive with the encoder.
        serve_points: optional callable, float32 (B, n, 3) tensor -> (B, n, C) per-point features.
    """

    kind = "encoder"

    def __init__(self, serve, output_dim, min_points, description, owner=None, serve_points=None):
        super().__init__(description, min_points, owner)
        self._serve = serve
        self._serve_points = serve_points
        self._compiled = None  # the XLA-compiled serve function, made on first use by embed_dataset
        self.output_dim = int(output_dim)

    def __call__(self, points):
        """Embeds a batch of clouds.

        Args:
            points: float32 (B, n, 3).

        Returns:
            float32 NumPy (B, D).

        Raises:
            ValueError: as `check_points`.
        """
        return np.asarray(self._serve(tf.constant(self.check_points(points))))

    @property
    def has_point_features(self):
        return self._serve_points is not None

    def point_features(self, points):
        """The backbone's per-point features of the normalised clouds.

        Args:
            points: float32 (B, n, 3).

        Returns:
            float32 NumPy (B, n, C), C the description's `point_feature_dim`.

        Raises:
            ValueError: for a backbone without per-point features, or as `check_points`.
        """
        if self._serve_points is None:
            raise ValueError(f"this encoder's backbone ({self.description.get('backbone_class')}) has no per-point "
                             f"features")
        return np.asarray(self._serve_points(tf.constant(self.check_points(points))))

    def embed_dataset(self, dataset, *, jit_compile=False, on_batch=None):
        """Embeddings and labels of a dataset of (points, label) batches.

        Args:
            dataset: `tf.data.Dataset` of `(points (B, n, 3), label (B,))` batches.
            jit_compile: bool, run the encoder XLA-compiled (each batch is still checked here; XLA drops the graph's
                assertions), a smaller last batch padded to the first batch's size so that one compilation serves all.
            on_batch: optional callable, `on_batch(n)` after each batch with its number of clouds (progress output).

        Returns:
            Tuple `(features, labels)`: float32 NumPy (M, D) and the (M,) labels as the dataset holds them.

        Raises:
            ValueError: an empty dataset, or a batch failing `check_points`.
        """
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


class Classifier(ExportedModel):
    """A loaded classifier: points (B, n, 3) -> class probabilities (B, C); `class_names` in output order.

    Args:
        serve: callable, the export's `serve` endpoint.
        description: dict, the export's description (with `min_points` and `class_names`).
        owner: optional object kept alive with the classifier.
    """

    kind = "classifier"

    def __init__(self, serve, description, owner=None):
        super().__init__(description, description["min_points"], owner)
        self._serve = serve
        self.class_names = list(description["class_names"])

    def __call__(self, points):
        """Class probabilities of a batch of clouds.

        Args:
            points: float32 (B, n, 3).

        Returns:
            float32 NumPy (B, C), rows summing to 1.

        Raises:
            ValueError: as `check_points`.
        """
        return np.asarray(self._serve(tf.constant(self.check_points(points))))


class Segmenter(ExportedModel):
    """A loaded segmenter: points (B, n, 3) -> per-point class probabilities (B, n, C).

    A part segmenter (`categories` not None) also takes each cloud's category, by name or id, and gives its parts only.

    Args:
        serve: callable, the export's `serve` endpoint.
        description: dict, the export's description (with `min_points`, `class_names` and, for a part segmenter,
            `categories` and `category_parts`).
        owner: optional object kept alive with the segmenter.
    """

    kind = "segmenter"

    def __init__(self, serve, description, owner=None):
        super().__init__(description, description["min_points"], owner)
        self._serve = serve
        self.class_names = list(description["class_names"])
        self.categories = description.get("categories")
        self.category_parts = description.get("category_parts")

    def category_ids(self, categories, count):
        """Category ids of one category per cloud.

        Args:
            categories: names or ids, one per cloud (a single one is a list of one); None for a semantic segmenter.
            count: int, the number of clouds.

        Returns:
            int32 NumPy (count,), or None for a semantic segmenter.

        Raises:
            ValueError: naming an unknown category or id, a count that differs from `count`, categories given to a
                semantic segmenter, or none given to a part segmenter.
        """
        if self.categories is None:
            if categories is not None:
                raise ValueError("this segmenter takes no category: it is not a part segmenter")
            return None
        if categories is None:
            raise ValueError(f"this part segmenter needs each cloud's category, one of: {', '.join(self.categories)}")
        categories = np.atleast_1d(categories).tolist()
        if len(categories) != count:
            raise ValueError(f"got {len(categories)} categories for {count} clouds")
        ids = []
        for category in categories:
            if isinstance(category, str):
                if category not in self.categories:
                    raise ValueError(f"unknown category {category!r}; this part segmenter knows: "
                                     f"{', '.join(self.categories)}")
                category = self.categories.index(category)
            if not 0 <= int(category) < len(self.categories):
                raise ValueError(f"category id {category} is not in [0, {len(self.categories)})")
            ids.append(int(category))
        return np.array(ids, np.int32)

    def __call__(self, points, categories=None):
        """Per-point class probabilities of a batch of clouds.

        Args:
            points: float32 (B, n, 3).
            categories: a part segmenter's B categories (names or ids); None for a semantic segmenter.

        Returns:
            float32 NumPy (B, n, C).

        Raises:
            ValueError: as `check_points` and `category_ids`.
        """
        points = self.check_points(points)
        ids = self.category_ids(categories, len(points))
        inputs = [tf.constant(points)] + ([] if ids is None else [tf.constant(ids)])
        return np.asarray(self._serve(*inputs))


def _read_description(path, what):
    """The JSON description of the export at `path` (a dict), or a FileNotFoundError saying what is missing."""
    if not os.path.isdir(path) or not os.path.exists(os.path.join(path, "saved_model.pb")):
        raise FileNotFoundError(
            f"no exported {what} at {path!r}: expected a SavedModel directory written by train.py "
            f"(OUTPUT_DIR/encoder, containing saved_model.pb)"
            + ("" if what == "encoder" else " or by evaluate.py's finetune, segmentation or partseg task"))
    for name in (MODEL_FILE, METADATA_FILE):
        if os.path.exists(os.path.join(path, name)):
            with open(os.path.join(path, name)) as f:
                return json.load(f)
    raise FileNotFoundError(f"{path!r} is a SavedModel but not a dcglr_tf {what}: {METADATA_FILE} is missing")


def load_model(path):
    """Load any exported model by the `kind` its description names (an export without one is an encoder).

    Args:
        path: str, a SavedModel directory written by `export_encoder`, `export_classifier` or `export_segmenter`.

    Returns:
        an `Encoder`, `Classifier` or `Segmenter`.

    Raises:
        FileNotFoundError: no export at `path`, or a SavedModel without a dcglr_tf description.
        ValueError: a description of an unknown kind.
    """
    description = _read_description(path, "model")
    kind = description.get("kind", "encoder")
    if kind not in ("encoder", "classifier", "segmenter"):
        raise ValueError(f"{path!r}: unknown model kind {kind!r} in its description")
    loaded = tf.saved_model.load(path)
    if kind == "classifier":
        return Classifier(loaded.serve, description, owner=loaded)
    if kind == "segmenter":
        return Segmenter(loaded.serve, description, owner=loaded)
    return Encoder(loaded.serve, description["output_dim"], description["min_points"], description, owner=loaded,
                   serve_points=getattr(loaded, "serve_points", None))


def load_encoder(path):
    """Loads an encoder exported by `export_encoder` (a SavedModel directory).

    Args:
        path: str, the SavedModel directory.

    Returns:
        `Encoder`.

    Raises:
        FileNotFoundError: a directory that holds no encoder (a classifier or segmenter included: use `load_model` for
            those).
    """
    kind = _read_description(path, "encoder").get("kind", "encoder")
    if kind != "encoder":
        raise FileNotFoundError(f"{path!r} holds an exported {kind}, not an encoder (load_model loads every kind)")
    return load_model(path)


def encoder_from_backbone(backbone):
    """Wraps an in-memory Backbone as an `Encoder` with the same checks and normalisation as the export.

    Args:
        backbone: a `dcglr_tf.models.Backbone`, built here if it is not yet.

    Returns:
        `Encoder`: float32 (B, n, 3) -> (B, output_dim).
    """
    if not backbone.built:
        backbone.build((None, None, 3))
    serve = tf.function(_serving_function(backbone), reduce_retracing=True)
    serve_points = None
    if backbone.has_point_features:
        serve_points = tf.function(_point_serving_function(backbone), reduce_retracing=True)
    description = {"kind": "encoder", **_backbone_description(backbone)}
    return Encoder(serve, backbone.output_dim, backbone.min_points, description, owner=backbone,
                   serve_points=serve_points)


def backbone_class_of(description):
    """The registered Backbone class named in an export's description (`backbone_class`).

    Args:
        description: dict, an export's description.

    Returns:
        The Backbone subclass.

    Raises:
        ValueError: when the class is not a registered dcglr_tf backbone.
    """
    name = description.get("backbone_class")
    cls = keras.saving.get_registered_object(f"dcglr_tf>{name}")
    if cls is None:
        raise ValueError(f"the encoder's backbone class {name!r} is not a registered dcglr_tf backbone")
    return cls


def full_model_path(encoder_path):
    """OUTPUT_DIR/dcglr.keras of the run that exported `encoder_path` (OUTPUT_DIR/encoder).

    Args:
        encoder_path: str, the exported encoder's directory.

    Returns:
        str, the path (it may not exist).
    """
    run_dir = os.path.dirname(os.path.abspath(encoder_path.rstrip("/")))
    return os.path.join(run_dir, "dcglr.keras")


def _copy_exported_variables(exported, model):
    """Copy the variables of an exported encoder's SavedModel (the teacher backbone, tracked in creation order)
    into `model` (same class and config, built). Returns False when names or shapes do not line up."""
    saved = list(getattr(exported._owner, "variables", []))  # pylint: disable=protected-access
    if len(saved) != len(model.variables):
        return False
    for old, new in zip(saved, model.variables):
        suffix = new.path.split("/", 1)[-1]
        if old.shape != tuple(new.shape) or not old.name.split(":")[0].endswith("/" + suffix):
            return False
    for old, new in zip(saved, model.variables):
        new.assign(old.numpy())
    return True


def load_backbone(path, *, pretrained=True):
    """The trainable Keras backbone of an exported encoder, to train or inspect inside your own `keras.Model`.

    The backbone is rebuilt from the class and config the description names. With `pretrained=True` its weights
    are the export's (the teacher backbone's): the SavedModel's variables, checked by name and shape, else those of
    the run's full model OUTPUT_DIR/dcglr.keras beside the export. `pretrained=False` gives the same architecture
    freshly initialised (seed it with `keras.utils.set_random_seed`). It takes points as the export's `input`
    says: centred and scaled into the unit sphere (`dcglr_tf.ops.points.normalize_unit_sphere`).

    Args:
        path: str, an exported encoder (OUTPUT_DIR/encoder of train.py).
        pretrained: bool, the export's weights (True) or a fresh initialisation.

    Returns:
        a built, trainable `dcglr_tf.models.Backbone`: (B, N, 3) -> (B, output_dim).

    Raises:
        FileNotFoundError: no encoder at `path`, or weights that match neither the SavedModel nor a dcglr.keras.
        ValueError: a dcglr.keras that cannot be read.
    """
    exported = load_encoder(path)
    model = backbone_class_of(exported.description).from_config(dict(exported.description["backbone_config"]))
    model.build((None, None, 3))
    if not pretrained or _copy_exported_variables(exported, model):
        return model
    full_path = full_model_path(path)
    if not os.path.exists(full_path):
        raise FileNotFoundError(
            f"the trainable backbone needs its weights: the variables of the SavedModel at {path} do not match its "
            f"described architecture, and the run's full model {full_path} (written by train.py next to encoder/) "
            f"is missing")
    import dcglr_tf.dcglr  # noqa: F401  pylint: disable=import-outside-toplevel  (registers DCGLR for loading)

    try:
        full = keras.saving.load_model(full_path, compile=False)
    except Exception as error:  # pylint: disable=broad-except  # a broken archive must not end in a TF traceback
        raise ValueError(f"cannot load the teacher backbone weights from {full_path}: "
                         f"{str(error).splitlines()[0]}") from None
    model.set_weights(full.teacher_backbone.get_weights())
    model.trainable = True
    return model
