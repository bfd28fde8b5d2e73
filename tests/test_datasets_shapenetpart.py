"""shapenetpart builder: its constants are the release's; built from tiny format-exact files (the v0_normal layout,
the release's 16 synsets); fixed point count per shape; the category -> part-id convention; manual_dir as the
archive folder or its parent; shapes missing or listed twice skipped and reported; missing and corrupt inputs."""

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import dataset_files
import numpy as np
import pytest
import release_constants as release

from dcglr_tf.builders._builder_utils import SKIPPED_REPORT
from dcglr_tf.builders.shapenetpart import shapenetpart_dataset_builder as snp
from dcglr_tf.data import sources


def _assert_nothing_prepared(data_dir):
    import tensorflow_datasets as tfds
    assert not tfds.builder("shapenetpart", data_dir=str(data_dir)).is_prepared()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    manual = tmp_path_factory.mktemp("shapenetpart")
    return manual, dataset_files.write_shapenetpart(manual, train=3, val=1, test=2, points=(1900, 2200))


@pytest.mark.parametrize("archive_folder", [False, True])
def test_build_from_format_exact_files(written, tmp_path, archive_folder):
    manual, shapes = written
    manual_dir = manual / snp.ARCHIVE if archive_folder else manual
    builder = sources.prepare("shapenetpart", data_dir=tmp_path, manual_dir=manual_dir)
    for split, rows_of in shapes.items():
        got = {e["name"].decode(): e for e in builder.as_dataset(split=split).as_numpy_iterator()}
        assert set(got) == {name for name, _ in rows_of}
        for name, rows in rows_of:
            example = got[name]
            keep = snp.fixed_count_indices(len(rows), name)
            np.testing.assert_allclose(example["points"], rows[keep, :3], atol=1e-6)
            np.testing.assert_allclose(example["normals"], rows[keep, 3:6], atol=1e-6)
            np.testing.assert_array_equal(example["parts"], rows[keep, 6].astype(np.int64))
            assert example["points"].shape == (2048, 3) and example["num_points_original"] == len(rows)
            category = snp.CATEGORIES[example["label"]]
            assert snp.CATEGORY_TABLE[example["label"]][2] == name.split("/")[0]
            low, high = snp.part_ranges()[category]
            assert low <= example["parts"].min() and example["parts"].max() < high
    # sources: points, label and the per-point parts (the library's view)
    example = next(sources.load_split("shapenetpart", "test", data_dir=tmp_path).as_numpy_iterator())
    assert set(example) == {"points", "label", "parts"} and example["parts"].shape == (2048,)
    assert [sources.num_examples("shapenetpart", s, data_dir=tmp_path) for s in ("train", "val", "test")] == [3, 1, 2]


def test_fixed_count_subset_or_repeats():
    many, few = snp.fixed_count_indices(3000, "a/b"), snp.fixed_count_indices(1500, "a/b")
    assert len(set(many.tolist())) == 2048 and many.max() < 3000  # without replacement
    assert set(few.tolist()) == set(range(1500)) and len(few) == 2048  # every point, plus repeats
    np.testing.assert_array_equal(many, snp.fixed_count_indices(3000, "a/b"))  # deterministic per shape
    assert not np.array_equal(many, snp.fixed_count_indices(3000, "a/c"))


def test_category_part_convention():
    parts = sources.category_parts("shapenetpart")
    assert len(parts) == 16 and sum(len(p) for p in parts) == 50
    assert [p for c in parts for p in c] == list(range(50))  # consecutive, in category order
    table = dict((c, (synset, parts[i])) for i, (c, _, synset) in enumerate(snp.CATEGORY_TABLE))
    # The release's mapping (PointNet/DGCNN's seg_classes): spot checks.
    assert table["airplane"] == ("02691156", [0, 1, 2, 3]) and table["car"] == ("02958343", [8, 9, 10, 11])
    assert table["motorbike"] == ("03790512", [30, 31, 32, 33, 34, 35]) and table["table"] == ("04379243", [47, 48, 49])
    assert sources.class_names("shapenetpart") == snp.CATEGORIES
    with pytest.raises(ValueError, match="has no part labels; datasets with part labels: .*shapenetpart"):
        sources.category_parts("modelnet40_h5")


def test_constants_are_the_releases():
    assert snp.ARCHIVE == release.SHAPENETPART_ARCHIVE
    assert [(name, synset) for _, name, synset in snp.CATEGORY_TABLE] == [
        (name, synset) for name, synset, _ in release.SHAPENETPART_CATEGORIES]
    assert snp.CATEGORIES == [name.lower() for name, _, _ in release.SHAPENETPART_CATEGORIES]
    assert [len(snp.PART_NAMES[c]) for c in snp.CATEGORIES] == [n for _, _, n in release.SHAPENETPART_CATEGORIES]
    assert snp.NUM_PARTS == release.SHAPENETPART_NUM_PARTS and snp.COLUMNS == release.SHAPENETPART_COLUMNS
    assert {split: snp.list_name(split) for split in snp.SPLITS} == release.SHAPENETPART_LIST_FILES
    sizes = release.SHAPENETPART_SIZES
    assert f"{sizes['train']:,} / {sizes['val']:,} / {sizes['test']:,} shapes" in snp.__doc__


def test_written_layout_is_the_releases(written):
    manual, shapes = written
    base = manual / release.SHAPENETPART_ARCHIVE
    lines = (base / release.SHAPENETPART_CATEGORY_FILE).read_text().splitlines()
    assert lines == [f"{name}\t{synset}" for name, synset, _ in release.SHAPENETPART_CATEGORIES]
    for split, list_file in release.SHAPENETPART_LIST_FILES.items():
        entries = json.loads((base / release.SHAPENETPART_LIST_FOLDER / list_file).read_text())
        assert entries == [release.SHAPENETPART_LIST_ENTRY.format(synset=name.split("/")[0],
                                                                  shape_id=name.split("/")[1])
                           for name, _ in shapes[split]]
        assert all((base / f"{name}.txt").is_file() for name, _ in shapes[split])


def _prepared_names(builder):
    return {split: sorted(e["name"].decode() for e in builder.as_dataset(split=split).as_numpy_iterator())
            for split in snp.SPLITS}


def test_missing_shapes_are_skipped_and_reported(tmp_path, capsys):
    manual = tmp_path / "manual"
    shapes = dataset_files.write_shapenetpart(manual, train=4)
    base = manual / snp.ARCHIVE
    gone = [shapes["train"][0][0], shapes["train"][2][0]]
    for name in gone:
        (base / f"{name}.txt").unlink()
    builder = sources.prepare("shapenetpart", data_dir=tmp_path / "data", manual_dir=manual)
    assert _prepared_names(builder) == {split: sorted(n for n, _ in rows if n not in gone)
                                        for split, rows in shapes.items()}
    report = pathlib.Path(builder.data_dir) / SKIPPED_REPORT  # beside the prepared data
    assert report.read_text().splitlines() == ["reason\tlist\tshape"] + [
        f"missing\tshuffled_train_file_list.json\t{name}.txt" for name in gone]
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert f"skipped 2 shape(s) of the split lists (2 missing: {gone[0]}.txt (shuffled_train_file_list.json)" in line
    assert line.endswith(f"every one in {report}")
    # Every shape of a split missing: nothing to prepare, an error naming the list.
    for name, _ in shapes["val"]:
        (base / f"{name}.txt").unlink()
    with pytest.raises(sources.DatasetFilesMissingError,
                       match="none of the 1 shape files listed in shuffled_val_file_list.json found"):
        sources.prepare("shapenetpart", data_dir=tmp_path / "data2", manual_dir=manual)
    _assert_nothing_prepared(tmp_path / "data2")


def test_shapes_listed_twice_are_kept_once(tmp_path, capsys):
    manual = tmp_path / "manual"
    shapes = dataset_files.write_shapenetpart(manual)
    lists = manual / snp.ARCHIVE / "train_test_split"
    train = json.loads((lists / "shuffled_train_file_list.json").read_text())
    test = json.loads((lists / "shuffled_test_file_list.json").read_text())
    # train's 2nd shape twice in its list; train's 1st also in the test list (kept in test, as published).
    (lists / "shuffled_train_file_list.json").write_text(json.dumps(train + [train[1]]))
    (lists / "shuffled_test_file_list.json").write_text(json.dumps(test + [train[0]]))
    builder = sources.prepare("shapenetpart", data_dir=tmp_path / "data", manual_dir=manual)
    leaked, twice = shapes["train"][0][0], shapes["train"][1][0]
    names = _prepared_names(builder)
    assert names["train"] == sorted(n for n, _ in shapes["train"][1:])
    assert names["test"] == sorted([n for n, _ in shapes["test"]] + [leaked])
    assert (pathlib.Path(builder.data_dir) / SKIPPED_REPORT).read_text().splitlines()[1:] == [
        f"listed twice\tshuffled_train_file_list.json\t{name}.txt" for name in (leaked, twice)]
    assert "skipped 2 shape(s) of the split lists (2 listed twice: " in capsys.readouterr().err


def test_missing_list_file(tmp_path):
    manual = tmp_path / "manual"
    dataset_files.write_shapenetpart(manual)
    base = manual / snp.ARCHIVE
    (base / "train_test_split" / "shuffled_test_file_list.json").unlink()
    with pytest.raises(sources.DatasetFilesMissingError, match="file 'shuffled_test_file_list.json' not found") as info:
        sources.load_split("shapenetpart", "train", data_dir=tmp_path / "data", manual_dir=manual)
    assert "synsetoffset2category.txt" in str(info.value) and str(manual) in str(info.value)
    _assert_nothing_prepared(tmp_path / "data")


@pytest.mark.parametrize("problem", ["columns", "foreign_part", "fractional_part", "nan", "json", "entry", "synsets"])
def test_corrupt_inputs_name_file_and_problem(tmp_path, problem):
    manual = tmp_path / "manual"
    shapes = dataset_files.write_shapenetpart(manual)
    base = manual / snp.ARCHIVE
    name, rows = shapes["train"][1]  # a bag (category 1: parts 4-5)
    bad = base / f"{name}.txt"
    lines = bad.read_text().splitlines()
    if problem == "columns":
        lines[9] += " 0.5"
        match = r"line 10 has 8 values, expected 7 \(x y z nx ny nz part\)"
    elif problem == "foreign_part":
        lines[4] = lines[4].rsplit(" ", 1)[0] + " 0.000000"
        match = r"part id 0 is not a bag part \(bag: ids 4-5\)"
    elif problem == "fractional_part":
        lines[4] = lines[4].rsplit(" ", 1)[0] + " 4.500000"
        match = "non-integer"
    elif problem == "nan":
        lines[2] = "nan " + lines[2].split(" ", 1)[1]
        match = "NaN"
    elif problem == "json":
        bad = base / "train_test_split" / "shuffled_val_file_list.json"
        bad.write_text(bad.read_text()[:-5])
        match = "not valid JSON"
    elif problem == "entry":
        bad = base / "train_test_split" / "shuffled_test_file_list.json"
        bad.write_text(json.dumps(["shape_data/99999999/abc"]))
        match = "entry 0 is 'shape_data/99999999/abc'"
    else:
        bad = base / "synsetoffset2category.txt"
        bad.write_text(bad.read_text().replace("02691156", "02691157"))
        match = "Airplane 02691156, Airplane 02691157"
    if bad.suffix == ".txt" and bad.parent.name != snp.ARCHIVE:
        bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(sources.CorruptDatasetFileError, match=match) as info:
        sources.load_split("shapenetpart", "train", data_dir=tmp_path / "data", manual_dir=manual)
    assert str(bad) in str(info.value) and "shapenetpart" in str(info.value)
    _assert_nothing_prepared(tmp_path / "data")


def test_frozen_feature_protocols_use_the_category(written, tmp_path):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    manual, shapes = written
    args = cli.parse_args(["--task=knn", "--k", "1", "--encoder=random", "--backbone=pointnet", "--backbone_args",
                           '{"widths": [8, 16]}', "--dataset=shapenetpart", f"--manual_dir={manual}",
                           f"--data_dir={tmp_path}", "--num_points=64", "--output", str(tmp_path / "knn.json")])
    result = run_task(args, log=lambda *_: None)
    assert result["settings"]["train_examples"] == len(shapes["train"]) == 3
    assert result["settings"]["test_examples"] == len(shapes["test"]) == 2
