"""shapenet builder (STRL npz): its constants are the release's; streaming, optional labels, missing and corrupt
inputs."""

import inspect
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import dataset_files
import numpy as np
import pytest
import release_constants as release

from dcglr_tf.builders.shapenet import shapenet_dataset_builder as shapenet
from dcglr_tf.data import sources


def _load(tmp_path, manual):
    ds = sources.load_split("shapenet", "train", data_dir=tmp_path / "data", manual_dir=manual)
    return sorted(ds.as_numpy_iterator(), key=lambda e: e["points"].tobytes())


def test_constants_are_the_releases():
    assert (shapenet.FILE_NAME, shapenet.NUM_POINTS) == (release.SHAPENET_FILE, release.SHAPENET_NUM_POINTS)
    assert f"{release.SHAPENET_SIZE:,} clouds x {release.SHAPENET_NUM_POINTS} points" in shapenet.__doc__
    assert f"({release.SHAPENET_SIZE}, {release.SHAPENET_NUM_POINTS}, 3)" in shapenet.EXPECTED_FILES[0]
    assert inspect.signature(shapenet.stream_npz_array).parameters["key"].default == release.SHAPENET_KEY


@pytest.mark.parametrize("compressed", [False, True])
def test_build_unlabelled_stream(tmp_path, monkeypatch, compressed):
    monkeypatch.setattr(shapenet, "CHUNK", 2)  # several chunks, the last one partial
    data = dataset_files.write_shapenet_npz(tmp_path / "manual", n=5, compressed=compressed)
    got = _load(tmp_path, tmp_path / "manual")
    assert len(got) == 5
    assert sorted(e["points"].tobytes() for e in got) == sorted(d.tobytes() for d in data)
    for e in got:
        assert e["points"].shape == (2048, 3) and e["points"].dtype == np.float32
        assert e["label"] == -1 and e["label"].dtype == np.int64
    assert sources.num_examples("shapenet", "train", data_dir=tmp_path / "data") == 5
    assert sources.class_names("shapenet") == []
    assert sources.DATASETS["shapenet"].splits == ("train",)


def test_labels_kept_and_extra_columns_dropped(tmp_path):
    data = dataset_files.write_shapenet_npz(tmp_path / "manual", n=4, columns=6, labels=[3, 0, 54, 7])
    got = {e["points"].tobytes(): int(e["label"]) for e in _load(tmp_path, tmp_path / "manual")}
    assert got == {np.ascontiguousarray(d[:, :3]).tobytes(): l for d, l in zip(data, [3, 0, 54, 7])}


def test_missing_file(tmp_path):
    dataset_files.write_shapenet_npz(tmp_path / "manual", name="shapenet.npz")  # misnamed
    with pytest.raises(sources.DatasetFilesMissingError) as info:
        _load(tmp_path, tmp_path / "manual")
    assert "shapenet57448xyzonly.npz" in str(info.value) and str(tmp_path / "manual") in str(info.value)
    assert "'shapenet'" in str(info.value)


@pytest.mark.parametrize("problem", ["truncated", "shape", "nan", "no_data_key", "labels"])
def test_corrupt_inputs(tmp_path, problem):
    manual = tmp_path / "manual"
    path = manual / "shapenet57448xyzonly.npz"
    if problem == "truncated":
        dataset_files.write_shapenet_npz(manual, n=6)
        dataset_files.truncate(path, 0.6)
        match = "truncated"
    elif problem == "shape":
        dataset_files.write_shapenet_npz(manual, n=2, num_points=1024)
        match = r"shape \(2, 1024, 3\)"
    elif problem == "nan":
        manual.mkdir()
        data = np.zeros((3, 2048, 3), np.float32)
        data[2, 5, 0] = np.nan
        np.savez(path, data=data)
        match = "NaN"
    elif problem == "no_data_key":
        manual.mkdir()
        np.savez(path, points=np.zeros((2, 2048, 3), np.float32))
        match = "no array 'data'"
    else:
        dataset_files.write_shapenet_npz(manual, n=3, labels=[1, 2])
        match = r"expected \(3,\) integers"
    with pytest.raises(sources.CorruptDatasetFileError, match=match) as info:
        _load(tmp_path, manual)
    assert str(path) in str(info.value)
    import tensorflow_datasets as tfds
    assert not tfds.builder("shapenet", data_dir=str(tmp_path / "data")).is_prepared()
