"""--task=partseg: instance / class mIoU against a hand-computed example, predictions restricted to the category's
parts, the network's shapes, clear errors, and an end-to-end run on a tiny ShapeNetPart set laid out and named as
the real release documents it (its 16 synsets), one listed shape missing."""

import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import dataset_files  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import release_constants as release  # noqa: E402

from dcglr_tf.evaluation import metrics  # noqa: E402
from dcglr_tf.export import load_model  # noqa: E402
from dcglr_tf.evaluation.tasks.partseg import part_mask, predict_parts  # noqa: E402
from dcglr_tf.models.segmenter import PartSegmentationNet  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_DGCNN = '{"widths": [8, 8], "k": 4, "emb_dim": 16}'
CATEGORY_PARTS = [[0, 1, 2], [3, 4], [5, 6]]  # category 2 has no shape below


def test_part_miou_by_hand():
    labels = np.array([[0, 0, 1, 1, 1, 0], [2, 2, 2, 2, 0, 0], [3, 3, 3, 4, 4, 4]])
    predictions = np.array([[0, 1, 1, 1, 0, 0], [2, 2, 2, 2, 2, 0], [3, 3, 3, 3, 3, 3]])
    categories = np.array([0, 0, 1])
    # shape 0 (parts 0-2): part 0 I 2 / U 4, part 1 I 2 / U 4, part 2 absent from both -> 1
    # shape 1: part 0 I 1 / U 2, part 1 absent -> 1, part 2 I 4 / U 5
    # shape 2 (parts 3-4): part 3 I 3 / U 6, part 4 I 0 / U 3
    shapes = [(0.5 + 0.5 + 1) / 3, (0.5 + 1 + 0.8) / 3, (0.5 + 0) / 2]
    result = metrics.part_segmentation_miou(labels, predictions, categories, CATEGORY_PARTS)
    np.testing.assert_allclose(result["shape_iou"], shapes)
    assert result["instance_miou"] == pytest.approx(np.mean(shapes))
    assert result["class_miou"] == pytest.approx(((shapes[0] + shapes[1]) / 2 + shapes[2]) / 2)
    np.testing.assert_allclose(result["per_category_miou"][:2], [(shapes[0] + shapes[1]) / 2, shapes[2]])
    assert np.isnan(result["per_category_miou"][2])
    # A predicted part of another category is simply wrong: it lowers the IoU of the true part.
    assert metrics.shape_part_iou([3, 3], [3, 0], [3, 4]) == pytest.approx((0.5 + 1) / 2)


def test_predictions_restricted_to_the_category_parts():
    mask = part_mask(CATEGORY_PARTS, 7)
    assert mask.sum() == 7 and mask[1].tolist() == [False, False, False, True, True, False, False]
    logits = np.zeros((2, 4, 7), np.float32)
    logits[..., 6] = 10.0  # a foreign part scores highest everywhere
    logits[0, :, 1] = 5.0
    logits[1, :2, 4] = 5.0
    model = lambda inputs, training: logits[: len(inputs[1])]  # noqa: E731 (a stand-in for the network)
    predictions = predict_parts(model, np.zeros((2, 4, 3), np.float32), np.array([0, 1]), mask, batch_size=2)
    np.testing.assert_array_equal(predictions, [[1, 1, 1, 1], [4, 4, 3, 3]])


@pytest.mark.parametrize("name, args", [("pointnet", {"widths": [8, 16]}), ("dgcnn", json.loads(TINY_DGCNN))])
def test_network_shapes_and_category_input(name, args):
    from dcglr_tf.models import build_backbone

    net = PartSegmentationNet(build_backbone(name, "embedded", **args), num_parts=7, num_categories=3)
    points = np.random.default_rng(0).normal(size=(2, 32, 3)).astype(np.float32)
    logits = np.asarray(net((points, np.array([0, 2])), training=False))
    assert logits.shape == (2, 32, 7) and np.all(np.isfinite(logits))
    other = np.asarray(net((points, np.array([1, 1])), training=False))
    assert not np.allclose(logits, other)  # the category changes the per-point logits


@pytest.fixture(scope="module")
def shapenetpart_dir(tmp_path_factory):
    """A tiny ShapeNetPart manual dir in the release's layout, every one of its 16 categories in train and test
    (procedural shapes: parts are height bands), the file of one listed train shape missing; and a TFDS dir."""
    root = tmp_path_factory.mktemp("partseg")
    shapes = dataset_files.write_shapenetpart(root / "manual", train=20, val=4, test=16, points=(1900, 2200))
    base = root / "manual" / release.SHAPENETPART_ARCHIVE
    assert {p.name for p in base.iterdir() if p.is_dir()} == {release.SHAPENETPART_LIST_FOLDER} | {
        synset for _, synset, _ in release.SHAPENETPART_CATEGORIES}
    (base / f"{shapes['train'][5][0]}.txt").unlink()
    return root


def _run(argv, tmp_path):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    return run_task(cli.parse_args(argv + ["--output", str(tmp_path / "r.json"), "--verbose", "0"]),
                    log=lambda *_: None)


@pytest.mark.parametrize("argv, message", [
    (["--encoder=random", "--backbone=pointnet", "--dataset=synthetic_shapes"],
     "dataset 'synthetic_shapes' has no part labels; datasets with part labels: .*shapenetpart"),
    (["--encoder=random", "--backbone=vit3d", "--dataset=shapenetpart"],
     "needs a backbone with per-point features; ViT3D has none. Supported backbones: dgcnn"),
])
def test_clear_errors(argv, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        _run(["--task=partseg"] + argv + [f"--data_dir={tmp_path}"], tmp_path)


@pytest.mark.slow
def test_partseg_end_to_end_pretrained_and_scratch(shapenetpart_dir, tmp_path):
    import keras

    from dcglr_tf.export import export_encoder
    from dcglr_tf.models import build_backbone

    keras.utils.set_random_seed(1)
    backbone = build_backbone("dgcnn", "embedded", **json.loads(TINY_DGCNN))
    backbone.build((None, None, 3))
    encoder = str(tmp_path / "run" / "encoder")
    export_encoder(backbone, encoder, metadata={"num_points": 64, "dataset": "synthetic_shapes"})
    output = tmp_path / "partseg.json"
    command = [sys.executable, os.path.join(REPO, "evaluate.py"), "--task=partseg", f"--encoder={encoder}",
               "--dataset=shapenetpart", f"--manual_dir={shapenetpart_dir / 'manual'}",
               f"--data_dir={shapenetpart_dir / 'tfds'}", "--epochs=1", "--batch_size=8", "--output", str(output)]
    env = {**os.environ, "PYTHONPATH": REPO, "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "instance mIoU" in run.stdout and "class mIoU" in run.stdout and "Traceback" not in run.stderr
    assert "warning: dataset 'shapenetpart': skipped 1 shape(s) of the split lists (1 missing: " in run.stderr
    result = json.loads(output.read_text())
    assert result["task"] == "partseg" and result["dataset"] == "shapenetpart"
    assert result["settings"]["train_split"] == "train+val" and result["settings"]["train_shapes"] == 23
    assert result["settings"]["test_shapes"] == 16 and result["settings"]["num_points"] == 64
    for init in ("pretrained", "scratch"):
        scores = result["metrics"][init]
        present = [v for v in scores["per_category_miou"] if v is not None]
        assert len(scores["per_category_miou"]) == 16 and len(present) == 16  # every category in test
        assert scores["class_miou"] == pytest.approx(np.mean(present))
        # One shape per category: the mean over shapes is the mean over categories.
        assert scores["instance_miou"] == pytest.approx(scores["class_miou"])
        assert len(scores["history"]["loss"]) == 1 and os.path.isdir(os.path.join(scores["run_dir"], "checkpoints"))
    segmenter = load_model(result["exported_models"]["pretrained"])
    assert segmenter.categories[0] == "airplane" and segmenter.class_names[:4] == ["body", "wing", "tail", "engine"]
    probabilities = segmenter(np.random.default_rng(0).normal(size=(1, 64, 3)), categories=["airplane"])
    assert probabilities.shape == (1, 64, 50) and np.all(probabilities[..., 4:] == 0)  # airplane's parts only
    again = subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=600)
    assert again.returncode == 0 and "resuming" in again.stdout  # finished runs resume: nothing left to train
    repeated = json.loads(output.read_text())["metrics"]["scratch"]
    assert repeated["epochs_run_now"] == 0 and repeated["instance_miou"] == result["metrics"]["scratch"]["instance_miou"]
