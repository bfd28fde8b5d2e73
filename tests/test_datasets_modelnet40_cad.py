"""modelnet40_cad builder: its constants are the releases'; normal_resampled txt (first-N and FPS) and OFF meshes;
bad inputs."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import dataset_files
import numpy as np
import pytest
import release_constants as release
from test_points import numpy_fps

from dcglr_tf.builders._builder_utils import SKIPPED_REPORT
from dcglr_tf.builders.modelnet40_cad import modelnet40_cad_dataset_builder as cad
from dcglr_tf.data import readers, sources

NAMES = dataset_files.MODELNET40_NAMES


def _load(name, split, tmp_path, manual):
    ds = sources.load_split(name, split, data_dir=tmp_path / "data", manual_dir=manual)
    return list(ds.as_numpy_iterator())


def test_constants_are_the_releases():
    assert cad.CLASS_NAMES == release.MODELNET40_NAMES
    assert cad.RESAMPLED_LISTS == release.MODELNET40_RESAMPLED_LIST_FILES
    assert cad.EXPECTED_RESAMPLED[:3] == [release.MODELNET40_RESAMPLED_NAMES_FILE,
                                          *release.MODELNET40_RESAMPLED_LIST_FILES.values()]
    assert cad.EXPECTED_OFF[0].startswith(f"{release.MODELNET40_OFF_ARCHIVE}/<class>/train/")
    sizes = release.MODELNET40_RESAMPLED_SIZES
    assert f"{sizes['train']:,} / {sizes['test']:,}" in cad.__doc__


def test_resampled_first_n_keeps_the_first_2048_points(tmp_path):
    written = dataset_files.write_modelnet40_resampled(tmp_path / "manual")
    for split, ids in (("train", ["airplane_0001", "night_stand_0001", "airplane_0002"]),
                       ("test", ["xbox_0001", "flower_pot_0003"])):
        got = _load("modelnet40_cad", split, tmp_path, tmp_path / "manual")
        assert len(got) == len(ids)
        want = {written[i][:2048, :3].tobytes(): NAMES.index(i.rsplit("_", 1)[0]) for i in ids}
        assert {e["points"].tobytes(): int(e["label"]) for e in got} == want
        for e in got:
            assert e["points"].shape == (2048, 3) and e["points"].dtype == np.float32
    assert sources.num_examples("modelnet40_cad", "test", data_dir=tmp_path / "data") == 2


def test_resampled_fps_config_and_raw_builder_features(tmp_path):
    import tensorflow_datasets as tfds
    written = dataset_files.write_modelnet40_resampled(tmp_path / "manual", train=("cup_0001",), test=("cup_0002",))
    builder = tfds.builder("modelnet40_cad/resampled_fps2048", data_dir=str(tmp_path / "data"))
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(tmp_path / "manual")))
    (example,) = list(builder.as_dataset(split="train").as_numpy_iterator())
    assert example["name"] == b"cup_0001" and example["label"] == NAMES.index("cup")
    full = written["cup_0001"]
    index = numpy_fps(full[:, :3], 2048, start=0)
    np.testing.assert_array_equal(example["points"], full[index, :3])
    np.testing.assert_array_equal(example["normals"], full[index, 3:])
    assert len(set(index.tolist())) == 2048 and index[0] == 0


def test_off_meshes_are_sampled_on_the_surface(tmp_path, monkeypatch):
    monkeypatch.setattr(cad, "OFF_SURFACE_SAMPLES", 3000)
    written = dataset_files.write_modelnet40_off(tmp_path / "manual", classes=("airplane", "desk", "xbox"))
    first = None
    for split in ("train", "test"):
        got = _load("modelnet40_off", split, tmp_path, tmp_path / "manual")
        assert sorted(int(e["label"]) for e in got) == sorted(NAMES.index(c) for c, _ in written[split])
        for e in got:
            p = e["points"]
            assert p.shape == (2048, 3) and np.all(np.isfinite(p))
            assert abs(np.linalg.norm(p, axis=1).max() - 1) < 1e-5  # unit sphere
            # On the surface of a box: every point lies on one of the six faces (some coordinate at its bound).
            lo, hi = p.min(0), p.max(0)
            on_face = np.isclose(p, lo, atol=1e-4) | np.isclose(p, hi, atol=1e-4)
            assert on_face.any(axis=1).all()
        if split == "train":
            first = {int(e["label"]): e["points"] for e in got}
    # Determinism: sampling is seeded by the file id.
    again = _load("modelnet40_off", "train", tmp_path / "again", tmp_path / "manual")
    assert all(np.array_equal(first[int(e["label"])], e["points"]) for e in again)


def test_off_header_variants_quads_and_comments_are_read(tmp_path):
    v, f = dataset_files.box_mesh(quads=True)
    path = tmp_path / "a.off"
    path.write_text("# comment\n" + dataset_files.off_text(v, f, counts_on_header_line=True))
    mesh = readers.read_shape(path)  # the reader sample_off_mesh uses
    np.testing.assert_allclose(mesh.points, v, atol=1e-6)
    assert mesh.faces.shape == (12, 3)
    t = v[mesh.faces]
    area = np.linalg.norm(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]), axis=1).sum() / 2
    assert np.isclose(area, 2 * (1 * 2 + 1 * 3 + 2 * 3))  # the quads' triangles tile the 1x2x3 box's surface


@pytest.mark.parametrize("problem", ["columns", "nan", "too_few_points", "names", "bad_id"])
def test_corrupt_resampled_inputs(tmp_path, problem):
    manual = tmp_path / "manual"
    dataset_files.write_modelnet40_resampled(manual)
    folder = manual / "modelnet40_normal_resampled"
    bad = folder / "night_stand" / "night_stand_0001.txt"
    lines = bad.read_text().splitlines()
    if problem == "columns":
        lines[41] = lines[41] + ",0.5"
        match = "line 42 has 7 comma-separated values"
    elif problem == "nan":
        lines[3] = "nan," + lines[3].split(",", 1)[1]
        match = "NaN"
    elif problem == "too_few_points":
        lines = lines[:100]
        match = "has 100 points, fewer than the 2048"
    elif problem == "names":
        bad = folder / "modelnet40_shape_names.txt"
        names = list(NAMES)
        names[5] = "bottles"
        bad.write_text("\n".join(names) + "\n")
        match = "line 6 is 'bottles'"
    else:
        bad = folder / "modelnet40_train.txt"
        bad.write_text("airplane_0001\nplane_0001\n")
        match = "line 2: id 'plane_0001'"
    if bad.suffix == ".txt" and "night_stand" in bad.name:
        bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(sources.CorruptDatasetFileError, match=match) as info:
        _load("modelnet40_cad", "train", tmp_path, manual)
    assert str(bad) in str(info.value)


def test_missing_or_repeated_listed_shapes_are_skipped_and_reported(tmp_path, capsys):
    import tensorflow_datasets as tfds
    manual = tmp_path / "manual"
    dataset_files.write_modelnet40_resampled(manual)
    folder = manual / release.MODELNET40_RESAMPLED_ARCHIVE
    (folder / "night_stand" / "night_stand_0001.txt").unlink()
    train_list = folder / release.MODELNET40_RESAMPLED_LIST_FILES["train"]  # airplane_0001 twice, a test shape
    train_list.write_text("airplane_0001\nnight_stand_0001\nairplane_0002\nairplane_0001\nxbox_0001\n")
    builder = sources.prepare("modelnet40_cad", data_dir=tmp_path / "data", manual_dir=manual)
    names = {split: sorted(e["name"].decode() for e in builder.as_dataset(split=split).as_numpy_iterator())
             for split in ("train", "test")}
    assert names == {"train": ["airplane_0001", "airplane_0002"], "test": ["flower_pot_0003", "xbox_0001"]}
    report = tmp_path / "data" / "modelnet40_cad" / "resampled_first2048" / "1.0.0" / SKIPPED_REPORT
    assert report.read_text().splitlines()[1:] == [
        "missing\tmodelnet40_train.txt\tnight_stand/night_stand_0001.txt",
        "listed twice\tmodelnet40_train.txt\tairplane/airplane_0001.txt",
        "listed twice\tmodelnet40_train.txt\txbox/xbox_0001.txt"]
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert "'modelnet40_cad': skipped 3 shape(s) of the split lists (1 missing: night_stand/night_stand_0001.txt" \
        in line and "; 2 listed twice: airplane/airplane_0001.txt (modelnet40_train.txt)" in line
    assert line.endswith(f"every one in {report}")
    # Every shape of a list missing: nothing to prepare, an error naming the list.
    (folder / "xbox" / "xbox_0001.txt").unlink()
    (folder / "flower_pot" / "flower_pot_0003.txt").unlink()
    with pytest.raises(sources.DatasetFilesMissingError, match="none of the 2 shape files listed in "
                       "modelnet40_test.txt found"):
        sources.prepare("modelnet40_cad", data_dir=tmp_path / "data2", manual_dir=manual)
    assert not tfds.builder("modelnet40_cad/resampled_first2048", data_dir=str(tmp_path / "data2")).is_prepared()


@pytest.mark.parametrize("problem", ["missing_class", "bad_index", "truncated"])
def test_bad_off_inputs(tmp_path, problem):
    manual = tmp_path / "manual"
    dataset_files.write_modelnet40_off(manual, classes=("desk",))
    base = manual / "ModelNet40"
    if problem == "missing_class":
        (base / "xbox" / "train").rmdir()
        (base / "xbox" / "test").rmdir()
        (base / "xbox").rename(base / "x-box")
        error, match = sources.DatasetFilesMissingError, "class folders missing .*: xbox"
    else:
        bad = base / "desk" / "train" / "desk_0001.off"
        lines = bad.read_text().splitlines()
        if problem == "bad_index":
            lines[-1] = "3 0 1 99"
            match = "truncated or corrupt: .*index"  # trimesh words it by version
        else:
            lines = lines[:6]
            match = "truncated or corrupt: cannot reshape"
        bad.write_text("\n".join(lines) + "\n")
        error = sources.CorruptDatasetFileError
    with pytest.raises(error, match=match) as info:
        _load("modelnet40_off", "train", tmp_path, manual)
    if problem != "missing_class":
        assert str(bad) in str(info.value)
