"""Transfer task: kNN fitted on a dataset's train features, applied to a points file of one known class or of the
classes it names per cloud; the scores against a hand-worked example, the task end to end with a toy encoder whose
answer is known, and its errors."""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_evaluation_retrieval import OffsetMeanEncoder, _around  # noqa: E402

from dcglr_tf.evaluation.tasks import transfer  # noqa: E402
from dcglr_tf.evaluation.transfer import transfer_scores  # noqa: E402


def test_scores_by_hand():
    train_x = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [-1.0, 0.0]])
    train_y = np.array([0, 0, 1, 1, 2])
    file_x = np.array([[2.0, 0.1], [0.2, 3.0], [0.1, 1.0]])  # nearest: class 0, class 1, class 1 (cosine)
    (k1,) = transfer_scores(train_x, train_y, file_x, 1, ks=(1,), num_classes=3)
    assert k1 == {"k": 1, "k_used": 1, "accuracy": pytest.approx(2 / 3), "per_class": {1: pytest.approx(2 / 3)},
                  "predicted": {1: 2, 0: 1}}
    assert list(k1["predicted"]) == [1, 0]  # most common first
    # k = 9 is clamped to the 5 references; the weighted vote still follows the nearest class here
    (k9,) = transfer_scores(train_x, train_y, file_x, 0, ks=(9,), num_classes=3)
    assert k9["k_used"] == 5 and k9["accuracy"] == pytest.approx(1 / 3)
    # one class per cloud: cloud 0 (class 0) right, cloud 1 (class 2) wrong, cloud 2 (class 1) right
    (mixed,) = transfer_scores(train_x, train_y, file_x, np.array([0, 2, 1]), ks=(1,), num_classes=3)
    assert mixed["accuracy"] == pytest.approx(2 / 3) and mixed["per_class"] == {0: 1.0, 1: 1.0, 2: 0.0}


def _directions_clouds(directions, points=16):
    """One cloud per direction: the origin, then `points` - 1 points around that direction (the toy encoder's feature
    is along it)."""
    rng = np.random.default_rng(0)
    return np.stack([np.concatenate([np.zeros((1, 3)), _around(d, points - 1, rng)]) for d in directions]
                    ).astype(np.float32)


def _reference_features(monkeypatch, features):
    """The reference dataset's train features replaced by `features`; the file's clouds embedded for real."""
    real = transfer.split_features
    monkeypatch.setattr(transfer, "split_features", lambda encoder, args, dataset, *a, **k: (
        features if dataset == "synthetic_shapes" else real(encoder, args, dataset, *a, **k)))
    monkeypatch.setattr(transfer, "open_encoder", lambda spec, args: (OffsetMeanEncoder(), "toy", spec, None))


def test_task_with_a_toy_encoder(shapes_data_dir, tmp_path, monkeypatch):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.data import sources
    from dcglr_tf.evaluation.tasks.runner import run_task

    names = sources.class_names("synthetic_shapes")
    # Train features: classes 0, 1, 2 of synthetic_shapes along e0, e1, e2 (four clouds each).
    eye = np.eye(3, dtype=np.float32)
    _reference_features(monkeypatch, (np.repeat(eye, 4, axis=0) + 0.01, np.repeat(np.arange(3), 4)))
    path = tmp_path / "clouds.npz"
    np.savez(path, points=_directions_clouds([eye[1]] * 4 + [eye[2]] * 2))  # 4 look like class 1, 2 like class 2
    output = tmp_path / "transfer.json"
    lines = []
    args = cli.parse_args(["--task=transfer", "--encoder=random", "--backbone=dgcnn", f"--data_dir={shapes_data_dir}",
                           "--dataset=synthetic_shapes", f"--points_file={path}", f"--file_class={names[1]}",
                           "--num_points=16", "--k", "1", "4", "--output", str(output)])
    result = run_task(args, log=lines.append)
    assert json.loads(output.read_text()) == result
    assert [s["k"] for s in result["metrics"]["per_k"]] == [1, 4]
    for s in result["metrics"]["per_k"]:
        assert s["accuracy"] == pytest.approx(4 / 6) and s["predicted"] == {names[1]: 4, names[2]: 2}
    assert result["metrics"]["accuracy"] == pytest.approx(4 / 6) and result["dataset"] == str(path)
    settings = result["settings"]
    assert settings["file_clouds"] == 6 and settings["reference_examples"] == 12 and settings["file_class"] == names[1]
    assert settings["chance"] == pytest.approx(1 / len(names))
    assert f"accuracy ({names[1]})" in "\n".join(lines)


def test_task_errors(shapes_data_dir, tmp_path):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    path = tmp_path / "clouds.npz"
    np.savez(path, points=np.zeros((4, 32, 3), np.float32))
    base = ["--task=transfer", "--encoder=random", "--backbone=pointnet", f"--data_dir={shapes_data_dir}",
            "--dataset=synthetic_shapes", "--output", str(tmp_path / "t.json")]
    for extra, message in (([f"--points_file={path}", "--file_class=teapot"], "'teapot' is not a class of"),
                           ([f"--points_file={path}"], "needs --file_class .*'class_name'.*clouds.npz has no classes"),
                           (["--file_class=box"], "needs --points_file .* and --file_class"),
                           ([f"--points_file={path}", "--file_class=box", "--num_points=64"],
                            "num_points=64: dataset .*clouds.npz' stores 32 points per cloud")):
        with pytest.raises(ValueError, match=message):
            run_task(cli.parse_args(base + extra), log=lambda *_: None)
    with pytest.raises(ValueError, match="needs a dataset with class labels"):
        run_task(cli.parse_args(base[:4] + ["--dataset=synthetic_rooms", f"--points_file={path}",
                                            "--file_class=box"]), log=lambda *_: None)
    with pytest.raises(SystemExit):  # argparse: --file_class belongs to transfer only
        cli.parse_args(["--task=svm", "--encoder=random", "--file_class=box"])


def test_task_with_the_classes_the_file_names(shapes_data_dir, tmp_path, monkeypatch):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.data import sources
    from dcglr_tf.evaluation.tasks.runner import run_task

    names = sources.class_names("synthetic_shapes")
    eye = np.eye(3, dtype=np.float32)
    _reference_features(monkeypatch, (np.repeat(eye, 4, axis=0) + 0.01, np.repeat(np.arange(3), 4)))
    path = tmp_path / "clouds.npz"
    # the clouds look like classes 0, 0, 1, 2, 2; the file names them 0, 1, 1, 2, 0
    classes = np.array([names[0], names[1], names[1], names[2], names[0]])
    np.savez(path, points=_directions_clouds([eye[0], eye[0], eye[1], eye[2], eye[2]]), class_name=classes)
    lines = []
    args = cli.parse_args(["--task=transfer", "--encoder=random", "--backbone=dgcnn", f"--data_dir={shapes_data_dir}",
                           "--dataset=synthetic_shapes", f"--points_file={path}", "--num_points=16", "--k", "1",
                           "--output", str(tmp_path / "t.json")])
    result = run_task(args, log=lines.append)
    (k1,) = result["metrics"]["per_k"]
    # right: cloud 0 (class 0), cloud 2 (class 1), cloud 3 (class 2); wrong: cloud 1 (a class-0 look named class
    # 1) and cloud 4 (a class-2 look named class 0)
    assert k1["accuracy"] == pytest.approx(3 / 5)
    assert k1["per_class"] == {names[0]: 0.5, names[1]: 0.5, names[2]: 1.0}
    assert result["settings"]["file_classes"] == {names[0]: 2, names[1]: 2, names[2]: 1}
    assert result["settings"]["file_class"] is None
    assert "per class" in "\n".join(lines)
    # --file_class overrides the file's names: every cloud scored against class 2
    args.file_class = names[2]
    (k1,) = run_task(args, log=lambda *_: None)["metrics"]["per_k"]
    assert k1["accuracy"] == pytest.approx(2 / 5) and k1["per_class"] == {names[2]: pytest.approx(2 / 5)}


@pytest.mark.parametrize("class_name, message", [
    (np.array(["teapot", "box", "box", "box"]), "its classes 'teapot' are not classes of 'synthetic_shapes'"),
    (np.array(["box", "box"]), r"'class_name' must be \(4,\) strings, one per cloud; got shape \[2\]"),
    (np.array([1, 2, 3, 4]), r"'class_name' must be \(4,\) strings, one per cloud; got shape \[4\] of int64"),
    (np.array(["box"] * 4, dtype=object), r"'class_name' must be an array of strings \(Object arrays cannot be loaded"),
])
def test_bad_class_names_in_the_file(shapes_data_dir, tmp_path, class_name, message):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    path = tmp_path / "clouds.npz"
    np.savez(path, points=np.zeros((4, 32, 3), np.float32), class_name=class_name)
    args = cli.parse_args(["--task=transfer", "--encoder=random", "--backbone=pointnet", f"--data_dir={shapes_data_dir}",
                           "--dataset=synthetic_shapes", f"--points_file={path}", "--output", str(tmp_path / "t.json")])
    with pytest.raises(ValueError, match=f".*clouds.npz: {message}"):
        run_task(args, log=lambda *_: None)
