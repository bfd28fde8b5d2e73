"""Exported classifiers and segmenters: the SavedModel's probabilities equal the Keras model's at several point
counts, the description carries the names, a part segmenter keeps to its category's parts, one loader for every
kind."""

import json

import numpy as np
import pytest
import tensorflow as tf

from dcglr_tf.export import Classifier, Segmenter, export_classifier, export_segmenter, load_encoder, load_model
from dcglr_tf.models import build_backbone
from dcglr_tf.models.classifier import PointClassifier
from dcglr_tf.models.segmenter import PartSegmentationNet, SegmentationNet
from dcglr_tf.ops.points import normalize_unit_sphere

TINY_DGCNN = {"widths": [8, 8], "k": 4, "emb_dim": 16}
CATEGORY_PARTS = [[0, 1], [2, 3, 4]]


def clouds(count, num_points, seed):
    return (np.random.default_rng(seed).normal(size=(count, num_points, 3)) * 3 + 1).astype(np.float32)


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    model = PointClassifier(build_backbone("dgcnn", **TINY_DGCNN), 3)
    model(np.zeros((1, 16, 3), np.float32))
    path = str(tmp_path_factory.mktemp("classifier") / "classifier")
    export_classifier(model, path, ["cup", "jar", "vase"], metadata={"num_points": 64, "dataset": "pots"})
    return model, path, load_model(path)


@pytest.fixture(scope="module")
def segmenters(tmp_path_factory):
    semantic = SegmentationNet(build_backbone("pointnet", widths=(8, 16)), num_classes=4)
    semantic(np.zeros((1, 16, 3), np.float32))
    parts = PartSegmentationNet(build_backbone("dgcnn", **TINY_DGCNN), num_parts=5, num_categories=2)
    parts((np.zeros((1, 16, 3), np.float32), np.zeros(1, np.int64)))
    root = tmp_path_factory.mktemp("segmenters")
    export_segmenter(semantic, str(root / "semantic"), ["floor", "wall", "chair", "table"], normalize=False,
                     metadata={"num_points": 128})
    export_segmenter(parts, str(root / "parts"), ["seat", "leg", "body", "handle", "lid"], categories=["stool", "pot"],
                     category_parts=CATEGORY_PARTS, metadata={"num_points": 64})
    return [(model, str(root / name), load_model(str(root / name))) for model, name in ((semantic, "semantic"),
                                                                                         (parts, "parts"))]


@pytest.mark.parametrize("num_points", [4, 23, 64])
def test_exported_classifier_equals_the_keras_model(classifier, num_points):
    model, path, loaded = classifier
    points = clouds(5, num_points, num_points)
    expected = tf.nn.softmax(model(normalize_unit_sphere(points), training=False)).numpy()
    assert isinstance(loaded, Classifier) and loaded.class_names == ["cup", "jar", "vase"]
    assert loaded.num_points == 64 and loaded.min_points == 4 and loaded.description["dataset"] == "pots"
    got = loaded(points)
    assert got.shape == (5, 3)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(loaded.predict(points, batch_size=2), expected, atol=1e-5)  # batched the same
    with open(f"{path}/assets.extra/model.json") as f:
        assert json.load(f)["kind"] == "classifier"  # what a user without this library reads


def test_classifier_bad_input_and_the_encoder_loader(classifier):
    loaded = classifier[2]
    with pytest.raises(ValueError, match="classifier input has 3 points per cloud; this classifier needs at least 4"):
        loaded(clouds(1, 3, 0))
    with pytest.raises(FileNotFoundError, match="holds an exported classifier, not an encoder"):
        load_encoder(classifier[1])
    raw = tf.saved_model.load(classifier[1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="classifier input points contain NaN"):
        raw.serve(tf.constant(np.full((1, 8, 3), np.nan, np.float32)))


@pytest.mark.parametrize("num_points", [4, 40])
def test_exported_semantic_segmenter_takes_block_coordinates_as_given(segmenters, num_points):
    model, _, loaded = segmenters[0]
    points = clouds(3, num_points, num_points)
    expected = tf.nn.softmax(model(points, training=False)).numpy()  # trained on block coordinates, not normalised
    assert isinstance(loaded, Segmenter) and loaded.categories is None
    assert loaded.description["input"] == "as_given" and loaded.class_names[1] == "wall"
    got = loaded(points)
    assert got.shape == (3, num_points, 4)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    with pytest.raises(ValueError, match="takes no category"):
        loaded(points, categories=["pot"] * 3)


@pytest.mark.parametrize("num_points", [4, 40])
def test_exported_part_segmenter_keeps_to_the_category_parts(segmenters, num_points):
    model, _, loaded = segmenters[1]
    points = clouds(4, num_points, num_points)
    categories = np.array([0, 1, 1, 0])
    logits = model((normalize_unit_sphere(points), categories), training=False).numpy()
    allowed = np.array([[True, True, False, False, False], [False, False, True, True, True]])[categories]
    expected = tf.nn.softmax(np.where(allowed[:, None, :], logits, -np.inf)).numpy()
    assert loaded.categories == ["stool", "pot"] and loaded.category_parts == CATEGORY_PARTS
    got = loaded(points, categories=["stool", "pot", "pot", "stool"])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert np.all(got[0, :, 2:] == 0) and np.all(got[1, :, :2] == 0)  # other categories' parts never
    np.testing.assert_allclose(got.sum(-1), 1, atol=1e-5)
    np.testing.assert_allclose(loaded(points, categories=categories), got, atol=1e-6)  # ids work as names do
    for categories, message in ((None, "needs each cloud's category, one of: stool, pot"),
                                (["stool", "pan", "pot", "pot"], "unknown category 'pan'"),
                                ([0, 1], "got 2 categories for 4 clouds")):
        with pytest.raises(ValueError, match=message):
            loaded(points, categories=categories)


def test_export_refuses_names_that_do_not_fit(classifier, tmp_path):
    with pytest.raises(ValueError, match="class_names must name the model's 3 classes, got 2"):
        export_classifier(classifier[0], str(tmp_path / "c"), ["a", "b"])
    assert not (tmp_path / "c").exists()
