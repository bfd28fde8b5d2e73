"""scanobjectnn builder (three variants): its constants are the release's; built from tiny format-exact h5_files;
manual_dir as h5_files or its parent; missing and corrupt inputs."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import dataset_files
import numpy as np
import pytest
import release_constants as release

from dcglr_tf.builders.scanobjectnn import scanobjectnn_dataset_builder as sonn
from dcglr_tf.data import sources

VARIANT_OF = {"scanobjectnn": "pb_t50_rs", "scanobjectnn_obj_bg": "obj_bg", "scanobjectnn_obj_only": "obj_only"}


def _assert_nothing_prepared(data_dir, name):
    import tensorflow_datasets as tfds
    assert not tfds.builder(sources.dataset_info(name).tfds_name, data_dir=str(data_dir)).is_prepared()


def test_constants_are_the_releases():
    assert sonn.CLASS_NAMES == release.SCANOBJECTNN_NAMES and sonn.NUM_POINTS == release.SCANOBJECTNN_NUM_POINTS
    assert {variant: {split: f"{config.folder}/{name}" for split, name in config.file_names().items()}
            for variant, config in sonn.VARIANTS.items()} == release.SCANOBJECTNN_FILES
    for variant, sizes in release.SCANOBJECTNN_SIZES.items():
        assert f"{sizes['train']:,} / {sizes['test']:,}" in sources.dataset_info(
            next(name for name, v in VARIANT_OF.items() if v == variant)).description


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """All three variants, written once (different content per variant)."""
    manual = tmp_path_factory.mktemp("scanobjectnn")
    return manual, dataset_files.write_scanobjectnn(manual, train=3, test=2)


@pytest.mark.parametrize("name, parent", [("scanobjectnn", True), ("scanobjectnn_obj_bg", False),
                                          ("scanobjectnn_obj_only", True)])
def test_each_variant_reads_its_own_files(written, tmp_path, name, parent):
    manual, arrays = written
    manual_dir = manual if parent else manual / "h5_files"  # the folder that holds h5_files, or h5_files itself
    for split in ("train", "test"):
        data, labels = arrays[VARIANT_OF[name]][split]
        got = list(sources.load_split(name, split, data_dir=tmp_path, manual_dir=manual_dir).as_numpy_iterator())
        assert {e["points"].tobytes(): int(e["label"]) for e in got} == {d.tobytes(): int(y) for d, y in zip(data, labels)}
        assert all(e["points"].shape == (2048, 3) and e["points"].dtype == np.float32 for e in got)
    assert sources.num_examples(name, "train", data_dir=tmp_path) == 3
    names = sources.class_names(name)
    assert len(names) == 15 and names[:3] == ["bag", "bin", "box"] and names[-1] == "toilet"


def test_missing_variant_file_names_folder_and_file(tmp_path):
    manual = tmp_path / "manual"
    dataset_files.write_scanobjectnn(manual, variants=("obj_bg",))
    # main_split/ holds only OBJ_BG files: PB_T50_RS's file of the same folder is missing, OBJ_ONLY's folder too.
    with pytest.raises(sources.DatasetFilesMissingError) as info:
        sources.load_split("scanobjectnn", "train", data_dir=tmp_path / "data", manual_dir=manual)
    message = str(info.value)
    assert "main_split/training_objectdataset_augmentedrot_scale75.h5" in message and str(manual) in message
    with pytest.raises(sources.DatasetFilesMissingError, match="folder 'main_split_nobg/' not found"):
        sources.load_split("scanobjectnn_obj_only", "test", data_dir=tmp_path / "data", manual_dir=manual)
    _assert_nothing_prepared(tmp_path / "data", "scanobjectnn")
    _assert_nothing_prepared(tmp_path / "data", "scanobjectnn_obj_only")


@pytest.mark.parametrize("problem", ["truncated", "shape", "label_range", "no_label"])
def test_corrupt_file_named(tmp_path, problem):
    manual = tmp_path / "manual"
    dataset_files.write_scanobjectnn(manual, variants=("obj_only",))
    bad = manual / "h5_files" / "main_split_nobg" / "test_objectdataset.h5"
    if problem == "truncated":
        dataset_files.truncate(bad)
        match = "cannot be read as HDF5"
    elif problem == "shape":
        dataset_files.rewrite_h5(bad, data=np.zeros((2, 1024, 3), np.float32))
        match = r"'data' has shape \(2, 1024, 3\)"
    elif problem == "label_range":
        dataset_files.rewrite_h5(bad, label=np.array([3, 15]))
        match = r"value 15 out of range \[0, 15\)"
    else:
        import h5py
        with h5py.File(bad, "r+") as f:
            del f["label"]
        match = "no dataset 'label'"
    with pytest.raises(sources.CorruptDatasetFileError, match=match) as info:
        sources.load_split("scanobjectnn_obj_only", "train", data_dir=tmp_path / "data", manual_dir=manual)
    assert str(bad) in str(info.value)
    _assert_nothing_prepared(tmp_path / "data", "scanobjectnn_obj_only")


def test_frozen_feature_protocols_read_it(written, tmp_path):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    manual, arrays = written
    args = cli.parse_args(["--task=knn", "--k", "1", "--encoder=random", "--backbone=pointnet", "--backbone_args",
                           '{"widths": [8, 16]}', "--dataset=scanobjectnn_obj_only", f"--manual_dir={manual}",
                           f"--data_dir={tmp_path}", "--num_points=64", "--output", str(tmp_path / "knn.json")])
    result = run_task(args, log=lambda *_: None)
    assert result["dataset"] == "scanobjectnn_obj_only" and result["settings"]["train_examples"] == 3
    assert result["settings"]["test_examples"] == 2
    from dcglr_tf.evaluation.tasks.features import extract_features, resolve_encoder

    encoder, _ = resolve_encoder("random", "pointnet", seed=args.seed, backbone_args={"widths": [8, 16]})
    (x, y), (test_x, test_y) = (extract_features(encoder, "scanobjectnn_obj_only", split, num_points=64,
                                                 manual_dir=manual, data_dir=tmp_path) for split in ("train", "test"))
    unit = lambda f: f / np.linalg.norm(f, axis=1, keepdims=True)  # noqa: E731
    nearest = np.argmax(unit(test_x) @ unit(x).T, axis=1)  # 1-NN by cosine similarity, in NumPy
    assert result["metrics"]["accuracy"] == pytest.approx(np.mean(y[nearest] == test_y))
