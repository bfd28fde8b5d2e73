"""kNN leave-one-out on a points file naming each cloud's class (and object): the held-out real-shape protocol on a
user's own clouds. Group exclusion against brute force, the task end to end with a toy encoder whose answer is
known, and its errors."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_evaluation_retrieval import OffsetMeanEncoder  # noqa: E402
from test_evaluation_transfer import _directions_clouds  # noqa: E402

from dcglr_tf.evaluation.knn import knn_predict  # noqa: E402
from dcglr_tf.evaluation.tasks import common  # noqa: E402


def test_groups_exclude_a_querys_own_group_as_brute_force_does():
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(10), 3)  # 10 objects, 3 samplings each
    labels = np.repeat(rng.integers(0, 3, size=10), 3)
    features = 0.05 * rng.normal(size=(30, 4)) + np.repeat(rng.normal(size=(10, 4)), 3, axis=0)
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    expected = []
    for i in range(30):
        others = np.flatnonzero(groups != groups[i])
        expected.append(labels[others[np.argmax(unit[others] @ unit[i])]])
    np.testing.assert_array_equal(knn_predict(features, labels, k=1, chunk=7, groups=groups), expected)
    assert np.mean(np.array(expected) == labels) < 0.8  # the exclusion matters here
    # without groups each cloud finds a sampling of its own object: the labels come back exactly
    np.testing.assert_array_equal(knn_predict(features, labels, k=1), labels)
    # k beyond what a query may use adds no vote from its own group: k = 29 equals the vote over the 27 others
    scores = knn_predict(features, labels, k=29, groups=groups)
    np.testing.assert_array_equal(scores, knn_predict(features, labels, k=27, groups=groups))
    with pytest.raises(ValueError, match="at least two groups"):
        knn_predict(features, labels, k=1, groups=np.zeros(30))
    with pytest.raises(ValueError, match="groups are for leave-one-out"):
        knn_predict(features, labels, features, k=1, groups=groups)


def _file(tmp_path, with_objects=True):
    """Eight clouds, two samplings of four objects whose toy features (mean points) are: A e0, B e0 + 0.3 e1 (both
    chairs), C e1 + 0.5 e0, D e2 + 0.5 e1 (both lamps). Nearest other object: A -> B, B -> A, C -> B (wrong),
    D -> C. Nearest other cloud: the object's other sampling."""
    eye = np.eye(3)
    looks = {"A": eye[0], "B": eye[0] + 0.3 * eye[1], "C": eye[1] + 0.5 * eye[0], "D": eye[2] + 0.5 * eye[1]}
    objects = np.repeat(list(looks), 2)
    classes = np.array(["chair" if o in "AB" else "lamp" for o in objects])
    path = tmp_path / "shapes.npz"
    extra = {"object": objects} if with_objects else {}
    np.savez(path, points=_directions_clouds([looks[o] for o in objects]), class_name=classes, **extra)
    return path


def _run(tmp_path, monkeypatch, path, *extra):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    monkeypatch.setattr(common, "open_encoder", lambda spec, args: (OffsetMeanEncoder(), "toy", spec, None))
    lines = []
    args = cli.parse_args(["--task=knn", "--protocol=loo", "--encoder=random", "--backbone=dgcnn",
                           f"--points_file={path}", "--num_points=16", "--output", str(tmp_path / "k.json"),
                           f"--data_dir={tmp_path / 'tfds'}", *extra])
    return run_task(args, log=lines.append), "\n".join(lines)


def test_task_on_a_file_with_classes_and_objects(tmp_path, monkeypatch):
    result, text = _run(tmp_path, monkeypatch, _file(tmp_path))
    (k1,) = result["metrics"]["per_k"]
    assert k1["accuracy"] == pytest.approx(6 / 8) and k1["per_class_accuracy"] == [1.0, 0.5]
    assert k1["confused_with"] == [None, 0]  # lamps (class 1, sorted names) taken for chairs
    settings = result["settings"]
    assert settings["examples"] == 8 and settings["split"] == "all"
    assert "other objects" in settings["neighbours"] and result["dataset"] == str(tmp_path / "shapes.npz")
    assert "LOO acc (all)" in text and "hardest classes at k=1: lamp 0.500 (most often taken for chair)" in text
    # without 'object' every cloud's nearest is its own object's other sampling
    result, _ = _run(tmp_path, monkeypatch, _file(tmp_path, with_objects=False))
    assert result["metrics"]["accuracy"] == 1.0 and "other clouds" in result["settings"]["neighbours"]


def test_random_points_are_what_the_task_embeds(tmp_path, monkeypatch):
    """Four objects, two samplings each, of 64 points: 16 around a front direction (chairs e0, lamps e1), then 48
    around a back direction (+-e2, the opposite for the two objects of a class). The first 16 points (the mean point
    is the toy feature) group each class; 16 random points mostly lie at the back, whose sign the other class shares,
    so the classes no longer group (at or below chance, 1/2)."""
    eye = np.eye(3)
    fronts, backs = {"A": eye[0], "B": eye[0], "C": eye[1], "D": eye[1]}, {"A": eye[2], "B": -eye[2], "C": eye[2],
                                                                           "D": -eye[2]}
    objects = np.repeat(list(fronts), 2)
    clouds = np.concatenate([_directions_clouds([fronts[o] for o in objects], 16),
                             _directions_clouds([backs[o] for o in objects], 48)], axis=1)
    path = tmp_path / "front_back.npz"
    np.savez(path, points=clouds, object=objects, class_name=np.where(np.isin(objects, ["A", "B"]), "chair", "lamp"))
    first, _ = _run(tmp_path, monkeypatch, path)
    assert first["metrics"]["accuracy"] == 1.0 and first["settings"]["point_order"] == "first"
    random, _ = _run(tmp_path, monkeypatch, path, "--point_order=random", "--seed=3")
    assert random["metrics"]["accuracy"] <= 0.5
    assert random["settings"]["point_order"] == "random" and random["settings"]["point_seed"] == 3
    alias, _ = _run(tmp_path, monkeypatch, path, "--point_order=shuffled", "--seed=3")  # the old name
    assert alias["settings"]["point_order"] == "random" and alias["metrics"] == random["metrics"]


def test_task_errors(tmp_path, monkeypatch):
    from dcglr_tf.commands import evaluate as cli

    unlabelled = tmp_path / "clouds.npz"
    np.savez(unlabelled, points=np.zeros((4, 32, 3), np.float32))
    with pytest.raises(ValueError, match="needs a dataset with class labels.*clouds.npz has no classes .*'class_name'"):
        _run(tmp_path, monkeypatch, unlabelled)
    one_object = tmp_path / "one.npz"
    np.savez(one_object, points=np.zeros((4, 32, 3), np.float32), class_name=np.array(["a", "a", "b", "b"]),
             object=np.array(["x"] * 4))
    with pytest.raises(ValueError, match="one.npz: every cloud is of one object"):
        _run(tmp_path, monkeypatch, one_object)
    with pytest.raises(ValueError, match="takes every cloud of it: no --split"):
        _run(tmp_path, monkeypatch, _file(tmp_path), "--split=test")
    with pytest.raises(SystemExit):  # the standard protocol has no file form
        cli.parse_args(["--task=knn", f"--points_file={unlabelled}", "--encoder=random", "--backbone=dgcnn"])
    with pytest.raises(SystemExit):
        cli.parse_args(["--task=knn", "--point_order=fps", "--encoder=random", "--backbone=dgcnn"])
