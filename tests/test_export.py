"""SavedModel export of an encoder: round trip, any number of points, clear errors on bad input."""

import numpy as np
import pytest
import tensorflow as tf

from dcglr_tf.export import encoder_from_backbone, export_encoder, load_encoder
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


def test_raw_savedmodel_serve_signature(exported):
    _, path = exported
    loaded = tf.saved_model.load(path)
    out = loaded.serve(tf.random.normal([2, 20, 3]))
    assert out.shape == (2, 32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN or Inf"):
        loaded.serve(tf.constant(np.full((1, 20, 3), np.nan, np.float32)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least 4"):
        loaded.serve(tf.random.normal([1, 3, 3]))


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
