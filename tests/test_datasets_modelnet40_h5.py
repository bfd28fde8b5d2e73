"""modelnet40_h5 builder: its constants are the release's; built from tiny format-exact files; missing and corrupt
inputs."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import dataset_files
import numpy as np
import pytest
import release_constants as release

from dcglr_tf.builders.modelnet40_h5 import modelnet40_h5_dataset_builder as h5
from dcglr_tf.data import sources


def _assert_nothing_prepared(data_dir, name="modelnet40_h5"):
    import tensorflow_datasets as tfds
    builder = tfds.builder(name, data_dir=str(data_dir))
    assert not builder.is_prepared()
    leftovers = [p for p in (data_dir / name).rglob("*")] if (data_dir / name).exists() else []
    assert not [p for p in leftovers if p.name in ("dataset_info.json", "features.json")]
    assert not [p for p in leftovers if "incomplete" in p.name]


def test_constants_are_the_releases():
    assert h5.CLASS_NAMES == release.MODELNET40_NAMES and h5.NUM_POINTS == 2048
    assert h5.LIST_FILES == release.MODELNET40_H5_LIST_FILES
    assert h5.EXPECTED_FILES[:3] == [release.MODELNET40_H5_NAMES_FILE, *release.MODELNET40_H5_LIST_FILES.values()]
    sizes = release.MODELNET40_H5_SIZES
    counts = f"{sizes['train']:,} train / {sizes['test']:,} test"
    assert counts in h5.__doc__ and counts in sources.dataset_info("modelnet40_h5").description


def test_build_from_format_exact_files(tmp_path):
    manual = tmp_path / "manual"
    written = dataset_files.write_modelnet40_h5(manual, train=(3, 2), test=(2,))
    folder = manual / release.MODELNET40_H5_ARCHIVE
    h5_files = {split: [release.MODELNET40_H5_FILE.format(split=split, index=i) for i in range(n)]
                for split, n in (("train", 2), ("test", 1))}
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [release.MODELNET40_H5_NAMES_FILE, *release.MODELNET40_H5_LIST_FILES.values(), *sum(h5_files.values(), [])])
    for split, list_file in release.MODELNET40_H5_LIST_FILES.items():
        assert (folder / list_file).read_text().split() == [f"data/{folder.name}/{name}" for name in h5_files[split]]
    for split, (data, labels) in written.items():
        ds = sources.load_split("modelnet40_h5", split, data_dir=tmp_path / "data", manual_dir=manual)
        got = list(ds.as_numpy_iterator())
        assert len(got) == len(data)
        # Split membership: every written cloud of the split comes back exactly once with its label.
        want = {d.tobytes(): int(l) for d, l in zip(data, labels)}
        assert {e["points"].tobytes(): int(e["label"]) for e in got} == want
        for e in got:
            assert e["points"].shape == (2048, 3) and e["points"].dtype == np.float32
            assert e["label"].dtype == np.int64 and 0 <= e["label"] < 40
    assert sources.num_examples("modelnet40_h5", "train", data_dir=tmp_path / "data") == 5
    assert sources.class_names("modelnet40_h5")[:3] == ["airplane", "bathtub", "bed"]


def test_missing_manual_dir_names_builder_dir_and_files(tmp_path):
    with pytest.raises(sources.DatasetFilesMissingError) as info:
        sources.load_split("modelnet40_h5", "train", data_dir=tmp_path / "data", manual_dir=tmp_path / "nothing")
    message = str(info.value)
    assert "modelnet40_h5" in message and str(tmp_path / "nothing") in message
    assert "train_files.txt" in message and "ply_data_train0.h5" in message and "shape_names.txt" in message
    _assert_nothing_prepared(tmp_path / "data")


def test_misnamed_h5_file(tmp_path):
    manual = tmp_path / "manual"
    dataset_files.write_modelnet40_h5(manual)
    folder = manual / "modelnet40_ply_hdf5_2048"
    (folder / "ply_data_test0.h5").rename(folder / "ply_data_test_0.h5")
    with pytest.raises(sources.DatasetFilesMissingError, match="ply_data_test0.h5"):
        sources.load_split("modelnet40_h5", "train", data_dir=tmp_path / "data", manual_dir=manual)
    _assert_nothing_prepared(tmp_path / "data")


@pytest.mark.parametrize("problem", ["truncated", "shape", "label_range", "nan", "names"])
def test_corrupt_inputs_name_file_and_problem(tmp_path, problem):
    manual = tmp_path / "manual"
    dataset_files.write_modelnet40_h5(manual, train=(3, 2), test=(2,))
    folder = manual / "modelnet40_ply_hdf5_2048"
    bad = folder / "ply_data_train1.h5"
    if problem == "truncated":
        dataset_files.truncate(bad)
        match = "cannot be read as HDF5"
    elif problem == "shape":
        dataset_files.rewrite_h5(bad, data=np.zeros((2, 1024, 3), np.float32))
        match = r"shape \(2, 1024, 3\)"
    elif problem == "label_range":
        dataset_files.rewrite_h5(bad, label=np.array([[3], [40]], np.uint8))
        match = r"value 40 out of range \[0, 40\)"
    elif problem == "nan":
        data = np.zeros((2, 2048, 3), np.float32)
        data[1, 7, 2] = np.nan
        dataset_files.rewrite_h5(bad, data=data)
        match = "NaN"
    else:
        bad = folder / "shape_names.txt"
        bad.write_text("\n".join(dataset_files.MODELNET40_NAMES[:39]) + "\n")
        match = "39 names instead of 40"
    with pytest.raises(sources.CorruptDatasetFileError, match=match) as info:
        sources.load_split("modelnet40_h5", "train", data_dir=tmp_path / "data", manual_dir=manual)
    assert str(bad) in str(info.value) and "modelnet40_h5" in str(info.value)
    _assert_nothing_prepared(tmp_path / "data")
