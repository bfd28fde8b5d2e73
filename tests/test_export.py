"""SavedModel export of an encoder: round trip, any number of points, per-point features, the trainable backbone,
clear errors on bad input."""

import numpy as np
import pytest
import tensorflow as tf

from dcglr_tf.export import encoder_from_backbone, export_encoder, load_backbone, load_encoder, load_model
from dcglr_tf.models import build_backbone
from dcglr_tf.ops.points import normalize_unit_sphere


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    backbone = build_backbone("dgcnn", widths=(8, 8), k=4, emb_dim=16)
    backbone(np.zeros((1, 16, 3), np.float32))
    path = str(tmp_path_factory.mktemp("export") / "encoder")
    export_encoder(backbone, path, metadata={"num_points": 16})
    return backbone, path


@pytest.mark.parametrize("num_points", [4, 37, 128])
def test_reloaded_export_equals_in_memory_encoder(exported, num_points):
    backbone, path = exported
    points = np.random.default_rng(num_points).normal(size=(3, num_points, 3)).astype(np.float32) * 4 + 1
    encoder = load_encoder(path)
    got = encoder(points)
    expected = backbone(normalize_unit_sphere(points), training=False).numpy()
    assert got.shape == (3, 32) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(encoder_from_backbone(backbone)(points), expected, rtol=1e-4, atol=1e-5)
    assert encoder.description["num_points"] == 16 and encoder.description["min_points"] == 4
    assert encoder.description["kind"] == "encoder" and encoder.description["endpoints"] == ["serve", "serve_points"]


@pytest.mark.parametrize("num_points", [4, 50])
def test_serve_points_equals_the_backbone_per_point_features(exported, num_points):
    backbone, path = exported
    points = np.random.default_rng(num_points).normal(size=(2, num_points, 3)).astype(np.float32) * 3 - 2
    expected = backbone.point_features(normalize_unit_sphere(points), training=False).numpy()
    encoder = load_model(path)
    assert encoder.has_point_features and encoder.description["point_feature_dim"] == 16
    np.testing.assert_allclose(encoder.point_features(points), expected, rtol=1e-4, atol=1e-5)
    loaded = tf.saved_model.load(path)  # kept in a name: its variables live as long as it does
    raw = loaded.serve_points(tf.constant(points)).numpy()
    assert raw.shape == (2, num_points, 16)
    np.testing.assert_allclose(raw, expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="needs at least 4"):
        encoder.point_features(points[:, :3])


def test_an_encoder_without_per_point_features_says_so():
    vit = build_backbone("vit3d", dim=8, depth=1, num_heads=2, mlp_ratio=1.0, patch_size=8, patch_mlp=[8], pos_hidden=8)
    encoder = encoder_from_backbone(vit)
    assert not encoder.has_point_features and encoder(np.ones((1, 32, 3)) * np.arange(32)[:, None]).shape == (1, 8)
    with pytest.raises(ValueError, match=r"\(ViT3D\) has no per-point features"):
        encoder.point_features(np.zeros((1, 32, 3)))


def test_load_backbone_fine_tunes_inside_a_keras_model(exported):
    import keras

    trained, path = exported
    clouds = normalize_unit_sphere(np.random.default_rng(0).normal(size=(8, 32, 3)).astype(np.float32)).numpy()
    labels = np.arange(8) % 5
    # The example of docs/using_models.md: the exported encoder as a trainable layer of your own model.
    backbone = load_backbone(path)  # a keras.Model with the exported weights
    points = keras.Input((None, 3))  # clouds centred and scaled into the unit sphere
    outputs = keras.layers.Dense(5)(keras.layers.Dropout(0.5)(backbone(points)))
    model = keras.Model(points, outputs)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=False)
    before = trained(clouds, training=False).numpy()
    np.testing.assert_allclose(backbone(clouds, training=False), before, rtol=1e-4, atol=1e-5)
    model.fit(clouds, labels, epochs=1, batch_size=8, verbose=0)
    assert backbone.trainable and not np.allclose(backbone(clouds, training=False), before, atol=1e-4)


@pytest.mark.parametrize(
    "points,message",
    [
        (np.zeros((20, 3)), r"shape \[batch, n_points, 3\], got \[20, 3\]"),
        (np.zeros((1, 20, 4)), r"got \[1, 20, 4\]"),
        (np.zeros((1, 3, 3)), "needs at least 4"),
        (np.full((1, 20, 3), np.inf), "NaN or Inf"),
    ],
)
def test_bad_input_is_a_clear_error(exported, points, message):
    encoder = load_encoder(exported[1])
    with pytest.raises(ValueError, match=message):
        encoder(points)


def test_loading_a_missing_or_foreign_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="no exported encoder"):
        load_encoder(str(tmp_path / "nothing"))
    tf.saved_model.save(tf.Module(), str(tmp_path / "plain"))
    with pytest.raises(FileNotFoundError, match="not a dcglr_tf encoder"):
        load_encoder(str(tmp_path / "plain"))
    with pytest.raises(FileNotFoundError, match="no exported model at .*or by evaluate.py's finetune"):
        load_model(str(tmp_path / "nothing"))
