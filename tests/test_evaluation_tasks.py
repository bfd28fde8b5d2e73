"""Every evaluate.py task on tiny embedded data and tiny models: result keys, plausible values, pictures,
resume, and the clear messages for unsupported combinations."""

import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dcglr_tf.builders.synthetic_shapes import synthetic_shapes_dataset_builder as shapes  # noqa: E402
from dcglr_tf.data import sources  # noqa: E402
from dcglr_tf.export import load_model  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_DGCNN = '{"widths": [8, 8], "k": 4, "emb_dim": 16}'
TINY_VIT = '{"dim": 16, "depth": 1, "num_heads": 2, "mlp_ratio": 1.0, "patch_size": 8, "patch_mlp": [8], "pos_hidden": 8}'
COMMON_KEYS = {"task", "dataset", "encoder", "settings", "seeds", "metrics"}


@pytest.fixture(autouse=True)
def _small_default_dataset(monkeypatch):
    """Tasks run without --dataset read the (shrunk) synthetic_shapes here, not the larger default corpus."""
    from dcglr_tf.evaluation.tasks import common

    monkeypatch.setattr(common, "DEFAULT_DATASET", "synthetic_shapes")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """synthetic_shapes shrunk to 4 train / 2 test clouds per class (56 / 28) and synthetic_rooms."""
    path = str(tmp_path_factory.mktemp("tfds"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shapes, "TRAIN_PER_CLASS", 4)
        patch.setattr(shapes, "TEST_PER_CLASS", 2)
        sources.prepare("synthetic_shapes", data_dir=path)
    sources.prepare("synthetic_rooms", data_dir=path)
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Exported tiny encoders (DGCNN and 3D-ViT), as train.py writes them (run_dir/encoder)."""
    import keras

    from dcglr_tf.export import export_encoder
    from dcglr_tf.models import build_backbone

    paths = {}
    for name, args in (("dgcnn", TINY_DGCNN), ("vit3d", TINY_VIT)):
        keras.utils.set_random_seed(1)
        backbone = build_backbone(name, "embedded", **json.loads(args))
        backbone.build((None, None, 3))
        path = str(tmp_path_factory.mktemp(f"run_{name}") / "encoder")
        export_encoder(backbone, path, metadata={"num_points": 64, "dataset": "synthetic_shapes"})
        paths[name] = path
    return paths


def evaluate(argv, tmp_path):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    args = cli.parse_args(argv + ["--output", str(tmp_path / "result.json"), "--verbose", "0"])
    lines = []
    result = run_task(args, log=lines.append)
    with open(tmp_path / "result.json") as f:
        written = json.load(f)
    assert written == result
    return result, "\n".join(lines)


def random_dgcnn(data_dir):
    return ["--encoder=random", "--backbone=dgcnn", f"--backbone_args={TINY_DGCNN}", f"--data_dir={data_dir}",
            "--num_points=64"]


def test_svm_and_knn_compare(data_dir, exported, tmp_path):
    result, text = evaluate(["--task=svm", "--seeds", "0", "1", f"--data_dir={data_dir}", "--num_points=64",
                             "--backbone=dgcnn", f"--backbone_args={TINY_DGCNN}", "--compare", exported["dgcnn"],
                             "random"], tmp_path)
    assert COMMON_KEYS <= set(result) and {"results", "table", "compare"} <= set(result)
    assert len(result["results"]) == 2 and result["table"]["headers"][:2] == ["encoder", "svm acc"]
    for single in result["results"]:
        assert COMMON_KEYS | {"features"} <= set(single)
        assert single["seeds"] == [0, 1] and len(single["metrics"]["per_seed"]) == 2
        assert single["metrics"]["accuracy"] > 1 / 14  # tiny model, 56 train clouds: above chance
        assert single["settings"]["train_examples"] == 56 and single["settings"]["test_examples"] == 28
    assert "random-init dgcnn" in text

    result, text = evaluate(["--task=knn", "--k", "3", "5"] + random_dgcnn(data_dir), tmp_path)
    assert COMMON_KEYS <= set(result)
    assert [r["k"] for r in result["metrics"]["per_k"]] == [3, 5]
    assert result["settings"]["temperature"] == 0.07
    assert 0.1 < result["metrics"]["accuracy"] <= 1.0
    per_class = result["metrics"]["per_k"][0]["per_class_accuracy"]
    assert len(per_class) == 14 and "hardest classes at k=3: " in text
    worst = min(range(14), key=lambda c: (per_class[c], c))
    assert f" {per_class[worst]:.3f}" in text.split("hardest classes at k=3: ")[1].split(",")[0]


def test_knn_leave_one_out_and_retrieval_on_a_split(data_dir, tmp_path):
    result, text = evaluate(["--task=knn", "--protocol=loo", "--split=test"] + random_dgcnn(data_dir), tmp_path)
    settings, metrics = result["settings"], result["metrics"]
    assert settings["protocol"] == "loo" and settings["split"] == "test" and settings["examples"] == 28
    assert settings["k"] == [1] and metrics["per_k"][0]["k_used"] == 1 and "LOO acc (test)" in text
    from dcglr_tf.evaluation.tasks.features import extract_features, resolve_encoder

    encoder, _ = resolve_encoder("random", "dgcnn", seed=0, backbone_args=json.loads(TINY_DGCNN))
    features, labels = extract_features(encoder, "synthetic_shapes", "test", num_points=64, data_dir=data_dir)
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    similarity = unit @ unit.T - 3 * np.eye(len(unit))  # each cloud's nearest other cloud, in NumPy
    assert metrics["accuracy"] == pytest.approx(np.mean(labels[np.argmax(similarity, axis=1)] == labels))

    result, text = evaluate(["--task=knn", "--protocol=loo", "--split=train", "--k", "500"] + random_dgcnn(data_dir),
                            tmp_path)
    assert result["metrics"]["per_k"][0]["k_used"] == 55 and "warning: k=500 exceeds the 55 reference clouds" in text

    result, text = evaluate(["--task=retrieval", "--point_counts", "64", "32", "--limit=10"]
                            + random_dgcnn(data_dir)[:-1], tmp_path)
    assert result["settings"]["split"] == "test[:10]" and result["settings"]["shapes"] == 10
    assert result["settings"]["point_counts"] == [64, 32] and result["dataset"] == "synthetic_shapes"
    for key in ("top1", "top1_a_to_b", "top1_b_to_a"):
        assert result["metrics"][key] > 1 / 10  # chance: the same shape among 10
    assert 1.0 >= result["metrics"]["top5"] >= result["metrics"]["top1"] and result["metrics"]["top5"] > 5 / 10


def test_spectrum_tsne_robustness(data_dir, tmp_path):
    result, _ = evaluate(["--task=spectrum"] + random_dgcnn(data_dir), tmp_path)
    assert COMMON_KEYS | {"pictures"} <= set(result)
    metrics = result["metrics"]
    eigenvalues = np.array(metrics["eigenvalues"])
    assert len(eigenvalues) == 32 and metrics["samples"] == 56
    np.testing.assert_allclose(metrics["normalised_eigenvalues"], eigenvalues / eigenvalues[0], rtol=1e-6)
    shares = eigenvalues[eigenvalues > 0] / eigenvalues.sum()
    assert metrics["effective_rank"] == pytest.approx(np.exp(-np.sum(shares * np.log(shares))), rel=1e-6)
    assert metrics["top_eigenvalue_share"] == pytest.approx(shares[0], rel=1e-6)
    assert metrics["rank_1e-3"] == np.sum(eigenvalues > 1e-3 * eigenvalues[0])
    assert all(a >= b for a, b in zip(metrics["eigenvalues"], metrics["eigenvalues"][1:]))
    assert not metrics["collapsed"] and os.path.getsize(result["pictures"][0]) > 10_000

    result, _ = evaluate(["--task=tsne", f"--output_dir={tmp_path / 'pics'}"] + random_dgcnn(data_dir), tmp_path)
    assert result["pictures"][0].startswith(str(tmp_path / "pics")) and os.path.exists(result["pictures"][0])
    assert result["settings"]["clouds"] == 28

    result, text = evaluate(["--task=robustness", "--point_counts", "64", "32", "--seeds", "0",
                             "--encoder=random", "--backbone=dgcnn", f"--backbone_args={TINY_DGCNN}",
                             f"--data_dir={data_dir}"], tmp_path)
    cells = result["metrics"]["grid"]["synthetic_shapes"]  # both point orders, the first points' cells first
    counts = [(64, 64), (64, 32), (32, 64), (32, 32)]
    assert [(c["point_order"], c["train_points"], c["test_points"]) for c in cells] == (
        [("first", *n) for n in counts] + [("random", *n) for n in counts])
    assert result["settings"]["point_orders"] == ["first", "random"] and "SVM test pts" in text
    assert "synthetic_shapes 64->32" in result["summary"] and "synthetic_shapes 64->32 random" in result["summary"]
    assert [c["accuracy"] for c in cells[:4]] != [c["accuracy"] for c in cells[4:]]


def scored(monkeypatch, module, name):
    """[(labels, predictions)] that `module.name(labels, predictions, num_classes)` is called with, from now on."""
    calls, metric = [], getattr(module, name)
    monkeypatch.setattr(module, name, lambda labels, predictions, n: calls.append((labels, predictions)) or
                        metric(labels, predictions, n))
    return calls


def test_finetune_pretrained_and_scratch_with_resume(data_dir, exported, tmp_path, monkeypatch):
    from dcglr_tf.evaluation.tasks import finetune

    argv = ["--task=finetune", f"--encoder={exported['dgcnn']}", f"--data_dir={data_dir}", "--epochs=1",
            "--batch_size=16", "--limit=32", f"--output_dir={tmp_path / 'runs'}"]
    predicted = scored(monkeypatch, finetune, "per_class_accuracy")
    result, _ = evaluate(argv, tmp_path)
    assert COMMON_KEYS <= set(result) and set(result["metrics"]) == {"pretrained", "scratch"}
    for init, (labels, predictions) in zip(("pretrained", "scratch"), predicted):
        metrics = result["metrics"][init]  # the accuracies of the test predictions, against NumPy
        assert len(labels) == 28 and metrics["overall_accuracy"] == pytest.approx(np.mean(labels == predictions))
        recalls = [np.mean(predictions[labels == c] == c) for c in np.unique(labels)]
        assert metrics["mean_class_accuracy"] == pytest.approx(np.mean(recalls))
        assert len(metrics["history"]["loss"]) == 1 and metrics["epochs_run_now"] == 1
        assert os.path.isdir(os.path.join(metrics["run_dir"], "checkpoints"))
    assert result["settings"]["num_points"] == 64  # the encoder's pre-training num_points
    exported = result["exported_models"]
    assert exported["scratch"] == os.path.join(result["metrics"]["scratch"]["run_dir"], "classifier")
    classifier = load_model(exported["pretrained"])
    assert classifier.class_names == sources.class_names("synthetic_shapes", data_dir=data_dir)
    assert classifier.num_points == 64 and classifier.description["init"] == "pretrained"
    saved = os.path.join(exported["scratch"], "saved_model.pb")
    written = os.stat(saved).st_mtime_ns
    again, text = evaluate(argv, tmp_path)  # resumes: nothing left to train, same numbers, the export kept
    assert "resuming" in text and again["metrics"]["scratch"]["epochs_run_now"] == 0
    assert again["metrics"]["scratch"]["overall_accuracy"] == result["metrics"]["scratch"]["overall_accuracy"]
    assert again["exported_models"] == exported and os.stat(saved).st_mtime_ns == written


def test_pretrained_weights_are_the_exported_ones(exported):
    from dcglr_tf.evaluation.tasks.features import load_trainable_backbone
    from dcglr_tf.export import load_encoder
    from dcglr_tf.ops.points import normalize_unit_sphere

    points = np.random.default_rng(0).normal(size=(2, 64, 3)).astype(np.float32)
    for name, path in exported.items():
        backbone, _ = load_trainable_backbone(path)
        expected = load_encoder(path)(points)
        np.testing.assert_allclose(backbone(normalize_unit_sphere(points), training=False), expected, atol=1e-5)
        scratch, _ = load_trainable_backbone(path, pretrained=False, seed=5)
        assert not np.allclose(scratch(normalize_unit_sphere(points), training=False), expected, atol=1e-3)


def test_segmentation(data_dir, exported, tmp_path, monkeypatch):
    from dcglr_tf.evaluation.tasks import segmentation

    predicted = scored(monkeypatch, segmentation, "per_class_iou")
    result, text = evaluate(["--task=segmentation", f"--encoder={exported['dgcnn']}", f"--data_dir={data_dir}",
                             "--epochs=1", "--batch_size=4", "--limit=4", "--num_points=128", "--train_area=2",
                             f"--output_dir={tmp_path / 'runs'}"], tmp_path)
    assert result["dataset"] == "synthetic_rooms" and result["settings"]["train_split"] == "area2[:4]"
    assert result["settings"]["test_split"] == "area6[:4]"
    for init, (labels, predictions) in zip(("pretrained", "scratch"), predicted):
        metrics = result["metrics"][init]  # the scores of the test points' predictions, against NumPy
        labels, predictions = np.ravel(labels), np.ravel(predictions)
        assert metrics["overall_accuracy"] == pytest.approx(np.mean(labels == predictions))
        ious = {c: np.sum((labels == c) & (predictions == c)) / np.sum((labels == c) | (predictions == c))
                for c in np.union1d(labels, predictions)}
        assert len(metrics["per_class_iou"]) == 13
        assert [c for c, v in enumerate(metrics["per_class_iou"]) if v is not None] == sorted(ious)
        for c, iou in ious.items():
            assert metrics["per_class_iou"][c] == pytest.approx(iou)
        assert metrics["mean_iou"] == pytest.approx(np.mean(list(ious.values())))
        assert set(metrics["per_class_iou_named"]) >= {"ceiling", "floor", "wall", "clutter"}
    assert "mIoU" in text
    segmenter = load_model(result["exported_models"]["scratch"])
    assert segmenter.class_names == sources.S3DIS_CLASS_NAMES and segmenter.description["input"] == "as_given"
    assert segmenter(np.random.default_rng(0).normal(size=(1, 128, 3))).shape == (1, 128, 13)


def test_attention(data_dir, exported, tmp_path):
    result, _ = evaluate(["--task=attention", f"--encoder={exported['vit3d']}", f"--data_dir={data_dir}",
                          "--num_clouds=2"], tmp_path)
    assert result["settings"]["heads"] == 2 and len(result["settings"]["clouds"]) == 2
    entropy = np.array(result["metrics"]["attention_entropy"])
    assert entropy.shape == (2, 2) and np.all(entropy <= result["metrics"]["uniform_entropy"] + 1e-5)
    assert os.path.getsize(result["pictures"][0]) > 10_000


@pytest.mark.parametrize("argv, message", [
    (["--task=attention", "--encoder=random", "--backbone=dgcnn"], "vit3d backbone only"),
    (["--task=segmentation", "--encoder=random", "--backbone=vit3d"], "Supported backbones: dgcnn"),
    (["--task=svm", "--encoder=random", "--backbone=dgcnn", "--dataset=synthetic_rooms"], "needs a dataset with class labels"),
    (["--task=segmentation", "--encoder=random", "--backbone=dgcnn", "--train_area=6"], "one of 1-5"),
    (["--task=knn", "--encoder=random"], "needs --backbone"),
    (["--task=svm", "--encoder=random", "--backbone=dgcnn", "--dataset", "synthetic_shapes", "modelnet40_h5"],
     "robustness only"),
    (["--task=finetune", "--encoder=/nonexistent/encoder"], "no exported encoder"),
])
def test_wrong_combinations_have_clear_messages(argv, message, tmp_path):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    with pytest.raises((ValueError, FileNotFoundError), match=message):
        run_task(cli.parse_args(argv + ["--output", str(tmp_path / "r.json")]), log=lambda *_: None)


@pytest.mark.slow
def test_cli_prints_table_and_clear_error(data_dir, tmp_path):
    env = {**os.environ, "PYTHONPATH": REPO, "TF_CPP_MIN_LOG_LEVEL": "3"}
    output = tmp_path / "knn.json"
    run = subprocess.run([sys.executable, os.path.join(REPO, "evaluate.py"), "--task=knn", "--output", str(output),
                          "--dataset=synthetic_shapes"] + random_dgcnn(data_dir), capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert "mean class acc" in run.stdout and json.loads(output.read_text())["task"] == "knn"
    # stdout is a pipe: each long stage is a start line and an end line with counts and seconds, no bar redraws
    stages = [line for line in run.stdout.splitlines() if line.startswith("extracting synthetic_shapes")]
    assert stages[0] == "extracting synthetic_shapes train features (64 points per cloud): 56 clouds ..."
    assert stages[1].startswith("extracting synthetic_shapes train features (64 points per cloud): done, 56/56 clouds")
    assert len(stages) == 4 and "\r" not in run.stdout + run.stderr and "it/s" not in run.stderr
    run = subprocess.run([sys.executable, os.path.join(REPO, "evaluate.py"), "--task=attention", "--encoder=random",
                          "--backbone=pointnet", f"--data_dir={data_dir}"], capture_output=True, text=True, env=env,
                         cwd=str(tmp_path))
    assert run.returncode == 2 and "error: attention maps exist for the vit3d backbone only" in run.stderr
    assert "Traceback" not in run.stderr


def test_class_names_are_empty_when_unreadable_and_other_errors_raise(monkeypatch):
    from types import SimpleNamespace

    from dcglr_tf.evaluation.tasks import common

    args = SimpleNamespace(data_dir=None)
    assert common.class_names_of("no_such_dataset", args) == []  # ValueError: unknown dataset
    monkeypatch.setattr(common.sources, "class_names", lambda *_, **__: 1 / 0)
    with pytest.raises(ZeroDivisionError):  # a bug is not swallowed
        common.class_names_of("synthetic_shapes", args)
