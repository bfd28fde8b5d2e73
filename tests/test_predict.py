"""predict.py: an exported encoder and classifier on a folder of mixed formats with a broken file and on a stacked file,
a (stand-in) part segmenter's categories; the skip report, --strict, and one-line errors for a bad --model / --input /
--output."""

import numpy as np
import pytest
import trimesh
from dataset_files import box_mesh, off_text

from dcglr_tf.commands import predict as command
from dcglr_tf.data import readers
from dcglr_tf.export import export_classifier, export_encoder, load_model
from dcglr_tf.models import build_backbone
from dcglr_tf.models.classifier import PointClassifier
from dcglr_tf.predict import predict_files

TINY_DGCNN = {"widths": [8, 8], "k": 4, "emb_dim": 16}
READABLE = ["ball/c.npy", "ball/d.ply", "box/a.off", "box/b.xyz"]  # sorted, as predicted


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """shapes/{ball,box}/: a mesh (.off), points as .xyz, .npy and .ply, and an empty .off that cannot be read."""
    root = tmp_path_factory.mktemp("predict") / "shapes"
    (root / "box").mkdir(parents=True)
    (root / "ball").mkdir()
    rng = np.random.default_rng(0)
    ball = rng.normal(size=(2, 60, 3))
    ball /= np.linalg.norm(ball, axis=-1, keepdims=True)
    (root / "box" / "a.off").write_text(off_text(*box_mesh()))
    np.savetxt(root / "box" / "b.xyz", rng.uniform(0, 1, size=(60, 3)))
    np.save(root / "ball" / "c.npy", ball[0])
    trimesh.PointCloud(ball[1]).export(str(root / "ball" / "d.ply"))
    (root / "ball" / "broken.off").write_text("")
    return root


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """An exported tiny DGCNN encoder and a classifier of the classes ball and box on it (trained at 32 points)."""
    root = tmp_path_factory.mktemp("models")
    backbone = build_backbone("dgcnn", **TINY_DGCNN)
    backbone.build((None, None, 3))
    export_encoder(backbone, str(root / "encoder"), metadata={"num_points": 32})
    classifier = PointClassifier(backbone, 2)
    classifier(np.zeros((1, 32, 3), np.float32))
    export_classifier(classifier, str(root / "classifier"), ["ball", "box"], metadata={"num_points": 32})
    return {kind: load_model(str(root / kind)) for kind in ("encoder", "classifier")}, root


def run_command(argv, capsys):
    command.main([str(a) for a in argv])
    return capsys.readouterr().out


def test_embeddings_of_a_folder_of_mixed_formats(shapes, models, tmp_path, capsys):
    output = tmp_path / "embeddings.npz"
    out = run_command(["--model", models[1] / "encoder", "--input", shapes, "--output", output], capsys)
    with np.load(output) as saved:
        assert saved["embeddings"].shape == (4, 32) and saved["paths"].tolist() == READABLE
        assert saved["class_name"].tolist() == ["ball", "ball", "box", "box"]
        cloud = readers.read_cloud(shapes / "box" / "a.off", 32, readers.seed_of("box/a.off"))
        np.testing.assert_allclose(saved["embeddings"][2], models[0]["encoder"](cloud[None])[0], atol=1e-5)
    report = (tmp_path / "embeddings.skipped.txt").read_text().splitlines()
    assert report[1:] == ["ball/broken.off\tempty file"]
    assert "skipped 1 of 5 files that could not be read; the list: " in out and "32 points each" in out
    with pytest.raises(SystemExit) as stop:  # --strict: the broken file is an error naming it
        command.main(["--model", str(models[1] / "encoder"), "--input", str(shapes), "--output", str(output),
                      "--strict"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip().endswith("broken.off: empty file (--strict: every file must be readable)")


def test_classifier_table_accuracy_and_probabilities(shapes, models, tmp_path, capsys):
    output = tmp_path / "classes.npz"
    out = run_command(["--model", models[1] / "classifier", "--input", shapes, "--output", output, "--show", 3],
                      capsys)
    with np.load(output) as saved:
        predicted, probability = saved["predicted"].tolist(), saved["probability"]
        assert saved["probabilities"].shape == (4, 2) and saved["class_names"].tolist() == ["ball", "box"]
    cloud = readers.read_cloud(shapes / "ball" / "d.ply", 32, readers.seed_of("ball/d.ply"))
    expected = models[0]["classifier"](cloud[None])[0]
    assert predicted[1] == ["ball", "box"][int(np.argmax(expected))] and probability[1] == pytest.approx(expected.max())
    lines = out.splitlines()
    header = lines.index(next(line for line in lines if line.startswith("file ")))
    assert lines[header].split() == ["file", "class", "probability", "folder"]
    assert lines[header + 2].split() == ["ball/c.npy", predicted[0], f"{probability[0]:.3f}", "ball"]
    assert lines[header + 5] == f"... 1 more in {output}"
    accuracy = np.mean([p == t for p, t in zip(predicted, ["ball", "ball", "box", "box"])])
    assert f"accuracy: {accuracy:.4f} over the 4 files whose folder names a class of the classifier" in out


def test_a_stacked_file_with_a_nan_cloud(models, tmp_path):
    clouds = np.random.default_rng(1).normal(size=(3, 40, 3)).astype(np.float32)
    clouds[1, 5] = np.nan
    np.savez(tmp_path / "clouds.npz", points=clouds, class_name=np.array(["box", "ball", "ball"]))
    prediction = predict_files(models[0]["encoder"], str(tmp_path / "clouds.npz"), batch_size=1)
    assert prediction.paths == ["clouds.npz#0", "clouds.npz#2"] and prediction.true_classes == ["box", "ball"]
    assert prediction.skipped == [("clouds.npz#1", "non-finite coordinates")]
    sample = readers.sample_cloud(readers.Shape("clouds.npz#2", clouds[2]), 32, readers.seed_of("clouds.npz#2"))
    np.testing.assert_allclose(prediction.outputs["embeddings"][1], models[0]["encoder"](sample[None])[0], atol=1e-5)


class PartSegmenterStandIn:
    """What predict_files uses of a loaded part segmenter; gives each cloud's category id as every point's label."""

    kind, num_points, min_points, class_names = "segmenter", 8, 1, ["seat", "leg", "lid"]
    categories = ["chair", "pot"]

    def __call__(self, points, categories):
        ids = np.array([self.categories.index(c) for c in categories])
        return np.eye(3)[np.repeat(ids[:, None], points.shape[1], axis=1)]


def test_a_part_segmenter_gets_each_cloud_category(tmp_path):
    for folder in ("chair", "pot"):
        (tmp_path / "in" / folder).mkdir(parents=True)
        np.save(tmp_path / "in" / folder / "x.npy", np.ones((10, 3)) * np.arange(10)[:, None])
    model = PartSegmenterStandIn()
    prediction = predict_files(model, str(tmp_path / "in"))
    arrays = prediction.arrays()
    assert arrays["category"].tolist() == ["chair", "pot"] and arrays["labels"].tolist() == [[0] * 8, [1] * 8]
    np.testing.assert_array_equal(arrays["points"][1], readers.read_cloud(tmp_path / "in" / "pot" / "x.npy", 8,
                                                                          readers.seed_of("pot/x.npy")))
    assert arrays["class_names"].tolist() == ["seat", "leg", "lid"] and arrays["paths"].tolist() == ["chair/x.npy",
                                                                                                     "pot/x.npy"]
    assert predict_files(model, str(tmp_path / "in"), category="pot").outputs["labels"][:, 0].tolist() == [1, 1]
    with pytest.raises(ValueError, match="x.npy has none\\): give --category=NAME or put the files in a folder"):
        predict_files(model, str(tmp_path / "in" / "pot" / "x.npy"))
    with pytest.raises(ValueError, match="unknown categories 'stool'"):
        predict_files(model, str(tmp_path / "in"), category="stool")


def test_bad_model_input_and_output_are_one_line_errors(shapes, models, tmp_path, capsys):
    encoder = str(models[1] / "encoder")
    cases = [
        (["--model", tmp_path / "nothing", "--input", shapes], ["no exported model at", "nothing"]),
        (["--model", shapes, "--input", shapes], ["no exported model at", "saved_model.pb"]),
        (["--model", encoder, "--input", tmp_path / "absent"], ["absent: no such folder or file"]),
        (["--model", encoder, "--input", shapes / "ball" / "broken.off"], ["none of its 1 files could be read",
                                                                           "empty file"]),
        (["--model", encoder, "--input", shapes, "--num_points", 2], ["--num_points=2 is below the 4 points"]),
        (["--model", encoder, "--input", shapes, "--category", "box"], ["--category is for a part segmenter"]),
    ]
    for argv, words in cases:
        with pytest.raises(SystemExit) as stop:
            command.main([str(a) for a in argv] + ["--output", str(tmp_path / "out.npz")])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
        assert all(word in err for word in words), (argv, err)
        assert not (tmp_path / "out.npz").exists()
    with pytest.raises(SystemExit):
        command.main(["--model", encoder, "--input", str(shapes), "--output", str(tmp_path / "out.txt")])
    assert "--output " in capsys.readouterr().err.splitlines()[-1]
