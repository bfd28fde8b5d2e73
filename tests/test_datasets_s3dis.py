"""s3dis builder: its constants are the release's; area splits from format-exact HDF5 blocks; missing and corrupt
inputs."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import dataset_files
import numpy as np
import pytest
import release_constants as release

from dcglr_tf.builders.s3dis import s3dis_dataset_builder as s3dis
from dcglr_tf.data import sources


def _load(split, tmp_path, manual):
    ds = sources.load_split("s3dis", split, data_dir=tmp_path / "data", manual_dir=manual)
    return list(ds.as_numpy_iterator())


def test_constants_are_the_releases():
    assert s3dis.CLASS_NAMES == release.S3DIS_NAMES
    assert (s3dis.NUM_POINTS, s3dis.NUM_COLUMNS) == (release.S3DIS_NUM_POINTS, release.S3DIS_NUM_COLUMNS)
    assert s3dis.EXPECTED_FILES == [release.S3DIS_LIST_FILE, release.S3DIS_ROOM_FILE,
                                    f"{release.S3DIS_FILE.format(index=0)} ... "
                                    f"{release.S3DIS_FILE.format(index=release.S3DIS_NUM_FILES - 1)} "
                                    f"(as listed in {release.S3DIS_LIST_FILE})"]


def test_area_splits_hold_their_blocks(tmp_path):
    data, labels, rooms = dataset_files.write_s3dis(tmp_path / "manual")
    for area in range(1, 7):
        got = _load(f"area{area}", tmp_path, tmp_path / "manual")
        index = [i for i, r in enumerate(rooms) if r.startswith(f"Area_{area}_")]
        assert len(got) == len(index)
        want = {data[i, :, :3].tobytes(): (data[i, :, 3:].tobytes(), labels[i].tobytes(), rooms[i]) for i in index}
        assert {e["points"].tobytes(): (e["features"].tobytes(), e["labels"].tobytes(), e["room"].decode())
                for e in got} == want
        for e in got:
            assert e["points"].shape == (4096, 3) and e["points"].dtype == np.float32
            assert e["features"].shape == (4096, 6)
            assert e["labels"].shape == (4096,) and e["labels"].dtype == np.int64
            assert 0 <= e["labels"].min() and e["labels"].max() < 13
    assert sources.num_examples("s3dis", "area1", data_dir=tmp_path / "data") == 5
    assert sources.class_names("s3dis")[:3] == ["ceiling", "floor", "wall"]
    assert len(sources.class_names("s3dis")) == 13


def test_missing_h5_file(tmp_path):
    dataset_files.write_s3dis(tmp_path / "manual")
    (tmp_path / "manual" / "indoor3d_sem_seg_hdf5_data" / "ply_data_all_1.h5").unlink()
    with pytest.raises(sources.DatasetFilesMissingError) as info:
        _load("area1", tmp_path, tmp_path / "manual")
    assert "ply_data_all_1.h5" in str(info.value) and "'s3dis'" in str(info.value)
    assert "room_filelist.txt" in str(info.value)


@pytest.mark.parametrize("problem", ["truncated", "shape", "label_range", "nan", "room_count", "room_name"])
def test_corrupt_inputs(tmp_path, problem):
    import tensorflow_datasets as tfds
    manual = tmp_path / "manual"
    dataset_files.write_s3dis(manual)
    folder = manual / "indoor3d_sem_seg_hdf5_data"
    bad = folder / "ply_data_all_1.h5"
    if problem == "truncated":
        dataset_files.truncate(bad)
        match = "cannot be read as HDF5"
    elif problem == "shape":
        dataset_files.rewrite_h5(bad, data=np.zeros((4, 4096, 6), np.float32))
        match = r"shape \(4, 4096, 6\)"
    elif problem == "label_range":
        label = np.zeros((4, 4096), np.uint8)
        label[2, 100] = 13
        dataset_files.rewrite_h5(bad, label=label)
        match = r"value 13 out of range \[0, 13\)"
    elif problem == "nan":
        data = np.zeros((4, 4096, 9), np.float32)
        data[3, 9, 1] = np.nan
        dataset_files.rewrite_h5(bad, data=data)
        match = "NaN"
    elif problem == "room_count":
        bad = folder / "room_filelist.txt"
        bad.write_text("\n".join(bad.read_text().split()[:-1]) + "\n")
        match = "has 13 block lines but the .h5 files .* hold 14 blocks"
    else:
        bad = folder / "room_filelist.txt"
        bad.write_text(bad.read_text().replace("Area_2_office_1", "Area2_office_1"))
        match = "line 6 is 'Area2_office_1'"
    # Preparation builds all six areas, so a corrupt block anywhere fails whichever split is asked for.
    with pytest.raises(sources.CorruptDatasetFileError, match=match) as info:
        _load("area6", tmp_path, manual)
    assert str(bad) in str(info.value)
    assert not tfds.builder("s3dis", data_dir=str(tmp_path / "data")).is_prepared()
