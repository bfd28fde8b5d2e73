"""synthetic_shapes builder and the `sources` entry point on it."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from dcglr_tf.builders.synthetic_shapes import synthetic_shapes_dataset_builder as shapes
from dcglr_tf.data import sources


@pytest.fixture
def small_shapes(monkeypatch):
    """Shrink the splits so that a full TFDS preparation takes about a second."""
    monkeypatch.setattr(shapes, "TRAIN_PER_CLASS", 3)
    monkeypatch.setattr(shapes, "TEST_PER_CLASS", 2)


def test_generated_clouds_are_unit_sphere_float32_and_deterministic():
    for label in range(len(shapes.CLASS_NAMES)):
        a = shapes.generate_shape(label, np.random.default_rng([1, label, 0]))
        b = shapes.generate_shape(label, np.random.default_rng([1, label, 0]))
        assert a.shape == (2048, 3) and a.dtype == np.float32
        assert np.all(np.isfinite(a))
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a.mean(axis=0), 0.0, atol=1e-5)
        assert abs(np.linalg.norm(a, axis=1).max() - 1.0) < 1e-5


def test_splits_are_disjoint_and_varied():
    train = [p for _, p, _ in shapes.generate_split("train", per_class=2, num_points=256)]
    test = [p for _, p, _ in shapes.generate_split("test", per_class=2, num_points=256)]
    assert len(train) == len(test) == 2 * len(shapes.CLASS_NAMES)
    for a in train:
        for b in test:
            assert not np.allclose(a, b)
    # Two examples of one class differ (intra-class variation), not only by a rotation: radial profiles differ.
    radial = [np.sort(np.linalg.norm(p, axis=1)) for p in train[:2]]
    assert np.abs(radial[0] - radial[1]).mean() > 0.02


def test_default_split_sizes():
    assert shapes.TRAIN_PER_CLASS * len(shapes.CLASS_NAMES) == 1400
    assert shapes.TEST_PER_CLASS * len(shapes.CLASS_NAMES) == 560
    assert len(shapes.CLASS_NAMES) >= 10


def test_load_split_prepares_once_and_yields_points_and_labels(tmp_path, small_shapes):
    ds = sources.load_split("synthetic_shapes", "train", data_dir=tmp_path)
    assert ds.element_spec["points"].shape == (2048, 3)
    examples = list(ds.as_numpy_iterator())
    assert len(examples) == 3 * len(shapes.CLASS_NAMES)
    labels = sorted(int(e["label"]) for e in examples)
    assert labels == sorted(list(range(len(shapes.CLASS_NAMES))) * 3)
    for e in examples:
        assert e["points"].dtype == np.float32 and e["label"].dtype == np.int64
    assert sources.num_examples("synthetic_shapes", "test", data_dir=tmp_path) == 2 * len(shapes.CLASS_NAMES)
    assert sources.class_names("synthetic_shapes", data_dir=tmp_path) == shapes.CLASS_NAMES

    # Determinism: a second preparation in another directory gives the same clouds.
    again = {(int(e["label"]), e["points"].tobytes()) for e in
             sources.load_split("synthetic_shapes", "train", data_dir=tmp_path / "again").as_numpy_iterator()}
    assert again == {(int(e["label"]), e["points"].tobytes()) for e in examples}


def test_unknown_dataset_and_split_are_value_errors():
    with pytest.raises(ValueError, match="valid names are: .*synthetic_shapes"):
        sources.load_split("no_such_set", "train")
    with pytest.raises(ValueError, match="splits are: train, test"):
        sources.load_split("synthetic_shapes", "validation")
    assert "synthetic_shapes" in sources.dataset_names()
    assert sources.DATASETS["synthetic_shapes"].kind == "classification"
