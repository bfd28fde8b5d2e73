"""Bad input to the commands, one case per class of input: exit code 2, one `error: ...` line on stderr that names the
flag or the file and what was expected, no traceback, and nothing left behind (no run directory, no prepared data,
no result file). The commands run in this process (`main(argv)`), as `python train.py` / `evaluate.py` would.

The builders' own checks of each file format (every kind of corrupt file, with the exact message) are tested in
tests/test_datasets_<name>.py; here each class of bad input goes through a command once.
"""

import json
import re

import dataset_files
import numpy as np
import pytest

from dcglr_tf.commands import evaluate as evaluate_command
from dcglr_tf.commands import train as train_command
from dcglr_tf.data import sources

TINY = {
    "dataset": "synthetic_shapes", "num_points": 64, "batch_size": 4,
    "crops": {"global_points": 32, "num_local": 2, "local_points": 16},
    "head": {"out_dim": 32, "hidden_dim": 16, "bottleneck_dim": 8},
    "backbone": "pointnet", "backbone_args": {"widths": [8, 8]},
}


def _h5(manual, change):
    """ModelNet40 h5 files with one changed: `change(path of ply_data_train1.h5)`."""
    dataset_files.write_modelnet40_h5(manual, train=(3, 2), test=(2,))
    bad = manual / "modelnet40_ply_hdf5_2048" / "ply_data_train1.h5"
    change(bad)
    return bad


def _with_value(value):
    def change(path):
        data = np.zeros((2, 2048, 3), np.float32)
        data[1, 7, 2] = value
        dataset_files.rewrite_h5(path, data=data)
    return change


def _resampled(manual, lines):
    """ModelNet40 resampled txt files with night_stand_0001.txt replaced by `lines(its lines)`."""
    dataset_files.write_modelnet40_resampled(manual)
    bad = manual / "modelnet40_normal_resampled" / "night_stand" / "night_stand_0001.txt"
    bad.write_text("\n".join(lines(bad.read_text().splitlines())) + "\n")
    return bad


def _off(manual):
    dataset_files.write_modelnet40_off(manual, classes=("desk",))
    bad = manual / "ModelNet40" / "desk" / "train" / "desk_0001.off"
    dataset_files.truncate(bad, 0.3)
    return bad


# name -> (dataset, writer of the manual directory returning the bad file or None, words the error must hold)
DATA_CASES = {
    "manual_dir_missing": ("modelnet40_h5", None, ["--manual_dir", "does not exist", "ply_data_train0.h5"]),
    "manual_dir_wrong_files": ("modelnet40_h5", lambda m: (m / "shapenet57448xyzonly.npz").write_bytes(b"x"),
                               ["--manual_dir", "not found", "shape_names.txt"]),
    "truncated_h5": ("modelnet40_h5", lambda m: _h5(m, dataset_files.truncate), ["cannot be read as HDF5"]),
    "truncated_off": ("modelnet40_off", _off, ["truncated or corrupt"]),
    "truncated_txt": ("modelnet40_cad", lambda m: _resampled(m, lambda lines: lines[:50] + [lines[50][:7]]),
                      ["line 51 has 1 comma-separated values, expected 6"]),
    "nan_coordinates": ("modelnet40_h5", lambda m: _h5(m, _with_value(np.nan)), ["NaN"]),
    "infinite_coordinates": ("modelnet40_cad", lambda m: _resampled(m, lambda lines: ["inf,0,0,0,0,1"] + lines[1:]),
                             ["non-finite"]),
    "fewer_points_in_file": ("modelnet40_cad", lambda m: _resampled(m, lambda lines: lines[:100]),
                             ["has 100 points, fewer than the 2048"]),
}


def _run(main, argv, capsys):
    """The error line of a command that must exit with code 2: one line, the last one on stderr (before it only
    argparse's usage or progress output, which may redraw with carriage returns)."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert "Traceback" not in err, err
    lines = [line.strip() for line in re.split(r"[\r\n]", err) if line.strip()]
    errors = [line for line in lines if "error: " in line]
    assert len(errors) == 1 and errors[0] == lines[-1], err
    if lines[0].startswith("usage:"):  # argparse: `prog: error: ...`
        return lines[-1]
    assert lines[-1].startswith("error: "), err
    return lines[-1]


@pytest.fixture
def config_file(tmp_path):
    def write(values, name="config.json"):
        path = tmp_path / name
        path.write_text(values if isinstance(values, str) else json.dumps(values))
        return path
    return write


@pytest.mark.parametrize("case", sorted(DATA_CASES))
def test_bad_dataset_files(case, tmp_path, capsys, config_file):
    dataset, write, words = DATA_CASES[case]
    manual = tmp_path / "manual"
    bad = None
    if write is not None:
        manual.mkdir()
        bad = write(manual)
    run_dir = tmp_path / "run"
    config = config_file({**TINY, "dataset": dataset})
    line = _run(train_command.main, ["--config", config, "--data_dir", tmp_path / "data", "--manual_dir", manual,
                                     "--output_dir", run_dir, "--steps_per_epoch", 1], capsys)
    for word in words + ([str(bad)] if bad else [str(manual)]):
        assert word in line, line
    assert not run_dir.exists()
    assert not sources.is_prepared(dataset, data_dir=tmp_path / "data")


TRAIN_CASES = {
    "unknown_dataset": (["--dataset", "nope"], ["--dataset", "'nope'", "synthetic_shapes"]),
    "unknown_backbone": (["--backbone", "nope"], ["--backbone", "'nope'", "dgcnn"]),
    "fewer_points_than_asked": (["--num_points", 4096], ["--num_points", "4096", "2048", "synthetic_shapes"]),
    "batch_size_not_divisible": (["--batch_size", 5, "--strategy", "mirrored"],
                                 ["--batch_size", "5", "not divisible by the 2 replicas"]),
    "koleo_batch_of_one": ({"batch_size": 1, "loss": {"koleo_weight": 0.1}},
                           ["batch_size=1", "1 cloud per replica", "koleo_weight=0.1", "at least 2"]),
    "config_unknown_key": ({"epochs": 1, "crops": {"nope": 1}}, ["--config", "crops.nope", "unknown"]),
    "config_wrong_type": ({"batch_size": "16"}, ["--config", "batch_size", "an integer", "'16'"]),
    "config_wrong_nested_type": ({"crops": {"global_ratio": 0.5}}, ["--config", "crops.global_ratio", "2 numbers"]),
    "config_not_json": ("{epochs: 1", ["--config", "JSON"]),
    "config_missing": (None, ["--config", "No such file"]),
    "backbone_args_unknown_key": (["--backbone_args", '{"nope": 1}'], ["--backbone_args", "nope", "widths"]),
    "backbone_args_wrong_type": (["--backbone_args", '{"widths": ["eight", 8]}'],
                                 ["--backbone_args", "'pointnet'", "eight"]),
    "negative_epochs": (["--epochs", -1], ["--epochs", ">= 0"]),
    "output_dir_is_a_file": ("output_file", ["--output_dir", "expected a directory"]),
}


@pytest.mark.parametrize("case", sorted(TRAIN_CASES))
def test_train_bad_input(case, tmp_path, capsys, config_file, shapes_data_dir):
    change, words = TRAIN_CASES[case]
    run_dir = tmp_path / "run"
    config = config_file(TINY)
    flags = []
    if isinstance(change, list):
        flags = change
    elif change == "output_file":
        run_dir.write_text("not a run")
    elif isinstance(change, (dict, str)):
        config = config_file({**TINY, **change} if isinstance(change, dict) else change, "changed.json")
    else:
        config = tmp_path / "absent.json"
    line = _run(train_command.main, ["--config", config, "--data_dir", shapes_data_dir, "--output_dir", run_dir,
                                     "--steps_per_epoch", 1, *flags], capsys)
    for word in words:
        assert word in line, line
    assert run_dir.is_file() if change == "output_file" else not run_dir.exists()


def test_evaluate_bad_input(tmp_path, capsys, shapes_data_dir):
    not_export = tmp_path / "not_an_export"
    not_export.mkdir()
    (not_export / "weights.h5").write_bytes(b"x")
    broken = tmp_path / "broken_export"
    broken.mkdir()
    (broken / "saved_model.pb").write_bytes(b"not a protobuf")
    (broken / "assets.extra").mkdir()
    (broken / "assets.extra" / "encoder.json").write_text("{}")
    points = tmp_path / "clouds.npy"
    np.save(points, np.zeros((3, 8, 3), np.float32))
    dataset_files.truncate(points)
    output = tmp_path / "result.json"
    cases = [
        (["--task=svm", "--encoder", not_export], [str(not_export), "no exported encoder", "saved_model.pb"]),
        (["--task=svm", "--encoder", broken], [str(broken / "saved_model.pb"), "Cannot parse"]),
        (["--task=svm", "--encoder=random", "--backbone=pointnet", "--dataset", "nope"], ["--dataset", "'nope'"]),
        (["--task=svm", "--encoder=random", "--backbone=pointnet", "--num_points", 4096],
         ["--num_points", "4096", "2048"]),
        (["--task=svm", "--encoder=random", "--backbone=nope"], ["--backbone", "'nope'", "dgcnn"]),
        (["--task=svm", "--encoder=random", "--backbone=pointnet", "--backbone_args", '{"k": 4}'],
         ["--backbone_args", "no argument k", "widths"]),
        (["--task=svm", "--encoder=random", "--backbone=pointnet", "--manual_dir", points],
         ["--manual_dir", str(points), "expected a directory"]),
        (["--task=retrieval", "--encoder=random", "--backbone=pointnet", "--points_file", points], [str(points)]),
    ]
    for argv, words in cases:
        line = _run(evaluate_command.main, [*argv, "--data_dir", shapes_data_dir, "--output", output], capsys)
        for word in words:
            assert word in line, (argv, line)
        assert not output.exists()
