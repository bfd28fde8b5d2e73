"""A folder of files (or a stacked NumPy file) as a dataset: prepared once per folder content (a fingerprint of
relative paths, sizes and modification times), every format read, bad files skipped and listed (or, strict, an
error), and the commands end to end."""

import dataclasses
import fcntl
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import trimesh

from dcglr_tf.data import sources
from dcglr_tf.data.preparation import prepare_with_progress

NUM_POINTS = 32


def _box(size=(1.0, 2.0, 3.0)):
    return trimesh.creation.box(extents=size)


def _write(root, relpath, writer):
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    writer(path)
    return path


def _points(seed, n=100):
    return np.random.default_rng(seed).normal(size=(n, 3))


GOOD = {  # one file of every reader: meshes and point files
    "chair/train/a.off": lambda p: _box().export(p),
    "chair/train/b.obj": lambda p: _box((2.0, 1.0, 1.0)).export(p),
    "chair/test/c.stl": lambda p: _box((1.0, 1.0, 2.0)).export(p),
    "lamp/train/d.ply": lambda p: trimesh.creation.icosphere(1).export(p),
    "lamp/train/e.xyz": lambda p: np.savetxt(p, _points(0)),
    "lamp/test/f.npy": lambda p: np.save(p, _points(1)),
    "lamp/test/g.csv": lambda p: p.write_text("x,y,z\n" + "\n".join(",".join(map(str, r)) for r in _points(2))),
}
BAD = {  # relative path -> (writer, the reason the report gives)
    "chair/train/empty.off": (lambda p: p.write_text(""), "empty file"),
    "chair/train/truncated.off": (lambda p: p.write_text("OFF\n8 12 0\n0 0 0\n1 1"), "truncated or corrupt"),
    "chair/test/garbage.stl": (lambda p: p.write_bytes(os.urandom(200)), "truncated or corrupt"),
    "lamp/train/nan.xyz": (lambda p: np.savetxt(p, np.where(np.arange(300).reshape(100, 3) == 7, np.nan, _points(3))),
                           "non-finite coordinates"),
    "lamp/train/flat.off": (lambda p: p.write_text("OFF\n3 1 0\n0 0 0\n1 0 0\n2 0 0\n3 0 1 2\n"), "zero-area mesh"),
    "lamp/test/few.xyz": (lambda p: np.savetxt(p, _points(4, n=5)), f"fewer than num_points={NUM_POINTS}"),
}


@pytest.fixture
def shapes(tmp_path):
    root = tmp_path / "shapes"
    for relpath, writer in GOOD.items():
        _write(root, relpath, writer)
    for relpath, (writer, _) in BAD.items():
        _write(root, relpath, writer)
    return root


def test_a_folder_is_prepared_once_and_again_when_a_file_changes(shapes, tmp_path, monkeypatch):
    data_dir = tmp_path / "tfds"
    info = sources.dataset_info(shapes, num_points=NUM_POINTS)
    assert (info.kind, info.num_classes, info.splits, info.pretrain_split) == ("classification", 2, ("train", "test"),
                                                                               "train")
    lines = []
    prepare_with_progress(info, data_dir, log=lines.append)
    text = "\n".join(lines)
    assert f"preparing {shapes} (13 files, {NUM_POINTS} points per cloud) into" in text
    assert "shapes: train 4, test 3 (split folders)" in text
    skipped, report = sources.skipped_files(info, data_dir=data_dir)
    assert f"skipped 6 of 13 files: see {report}" in text
    assert sorted(s["file"] for s in skipped) == sorted(BAD)
    assert all(BAD[s["file"]][1] in s["reason"] for s in skipped)
    assert json.loads(open(report).read())["files"] == 13
    train = list(sources.load_split(info, "train", data_dir=data_dir).as_numpy_iterator())
    assert sorted(int(e["label"]) for e in train) == [0, 0, 1, 1]  # chair 0, lamp 1
    assert all(e["points"].shape == (NUM_POINTS, 3) and np.isfinite(e["points"]).all() for e in train)
    by_name = dict(zip(sources.objects(info, "train", data_dir=data_dir), (e["points"] for e in train)))
    distances = np.linalg.norm(by_name["lamp/train/e.xyz"][:, None] - _points(0)[None], axis=-1)
    assert distances.min(axis=1).max() < 1e-5 and len(set(distances.argmin(axis=1))) == NUM_POINTS  # a subset

    # the same folder again: found by os.stat alone, nothing is read
    from dcglr_tf.builders.user_files import user_files_dataset_builder as builder

    monkeypatch.setattr(builder, "read_file", lambda *a: pytest.fail("a file was read again"))
    again = sources.dataset_info(shapes, num_points=NUM_POINTS)
    assert again.config == info.config and sources.is_prepared(again, data_dir=data_dir)
    lines.clear()
    prepare_with_progress(again, data_dir, log=lines.append)
    assert lines == []
    # another point count, or a changed file (its modification time), is another preparation
    assert sources.dataset_info(shapes, num_points=NUM_POINTS * 2).config != info.config
    os.utime(shapes / "chair/train/a.off", ns=(1, 1))
    changed = sources.dataset_info(shapes, num_points=NUM_POINTS)
    assert changed.config != info.config and not sources.is_prepared(changed, data_dir=data_dir)


def test_strict_makes_a_skipped_file_an_error_and_no_usable_file_is_one(shapes, tmp_path):
    data_dir = tmp_path / "tfds"
    strict = sources.dataset_info(shapes, num_points=NUM_POINTS, strict=True)
    lines = []
    with pytest.raises(sources.SkippedFilesError) as error:
        prepare_with_progress(strict, data_dir, log=lines.append)
    message = str(error.value)
    assert message.startswith(f"{shapes}: 6 of its 13 files cannot be read, an error in strict mode: ")
    assert "chair/test/garbage.stl: truncated or corrupt" in message and "skipped.json" in message
    assert any(line.startswith("skipped 6 of 13 files") for line in lines)
    with pytest.raises(sources.SkippedFilesError):  # prepared now, still an error
        sources.load_split(strict, "train", data_dir=data_dir)
    assert len(list(sources.load_split(dataclasses.replace(strict, strict=False), "test", data_dir=data_dir))) == 3
    broken = tmp_path / "broken"
    for relpath, (writer, _) in list(BAD.items())[:3]:
        _write(broken, relpath.split("/", 2)[-1], writer)
    with pytest.raises(sources.DatasetFileError, match=f"{broken}: none of its 3 files can be read .*empty.off: empty"):
        sources.prepare(sources.dataset_info(broken, num_points=NUM_POINTS), data_dir=data_dir)
    assert not sources.is_prepared(sources.dataset_info(broken, num_points=NUM_POINTS), data_dir=data_dir)


KILLED_HALF_WAY = """
import os, signal, sys
from dcglr_tf.data import sources

def die_at_the_fourth_file(count, read=[]):
    read.append(count)
    if len(read) == 4:  # the train split half read, its reader processes busy
        os.kill(os.getpid(), signal.SIGKILL)

sources.prepare(sources.dataset_info(sys.argv[1], num_points=32), data_dir=sys.argv[2], on_progress=die_at_the_fourth_file)
"""


@pytest.mark.slow
def test_a_preparation_killed_half_way_leaves_no_reader_and_is_prepared_whole_next_time(shapes, tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=root)
    data_dir = tmp_path / "tfds"
    killed = subprocess.run([sys.executable, "-c", KILLED_HALF_WAY, str(shapes), str(data_dir)], env=env, cwd=root,
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    info = sources.dataset_info(shapes, num_points=NUM_POINTS)
    assert not sources.is_prepared(info, data_dir=data_dir)
    folder = data_dir / "user_files" / info.config
    assert len(list(folder.glob("incomplete.*"))) == 1
    with open(folder / ".prepare-1.0.0.lock") as lock:  # no reader process outlives the preparation with its lock
        deadline = time.monotonic() + 10
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                assert time.monotonic() < deadline, "a reader of the killed preparation still holds its lock"
                time.sleep(0.1)
        fcntl.flock(lock, fcntl.LOCK_UN)
    sources.prepare(info, data_dir=data_dir)
    assert sources.num_examples(info, sources.ALL, data_dir=data_dir) == 7
    assert not list(folder.glob("incomplete.*"))


def test_a_stacked_file_is_a_dataset_with_its_clouds_as_stored(tmp_path):
    clouds = np.random.default_rng(0).normal(size=(6, 20, 3)).astype(np.float32)
    clouds[4, 3, 0] = np.inf
    path = tmp_path / "meshes8.npz"
    np.savez(path, points=clouds, class_name=np.array(["sofa", "desk"] * 3), object=np.array(list("aabbcc")))
    info = sources.dataset_info(path)
    assert (info.num_points, info.splits, info.pretrain_split) == (20, ("train", "test"), "train+test")
    lines = []
    prepare_with_progress(info, tmp_path / "tfds", log=lines.append)
    assert any(line.startswith("skipped 1 of 6 clouds") for line in lines)
    assert sources.skipped_files(info, data_dir=tmp_path / "tfds")[0] == [
        {"file": "meshes8.npz#4", "reason": "non-finite coordinates"}]
    examples = list(sources.load_split(info, sources.ALL, data_dir=tmp_path / "tfds").as_numpy_iterator())
    objects = sources.objects(info, sources.ALL, data_dir=tmp_path / "tfds")
    assert sorted(objects) == ["a", "a", "b", "b", "c"]
    for example in examples:  # every point, in the file's order
        assert any(np.array_equal(example["points"], cloud) for cloud in clouds)
    assert sources.class_names(info) == ["desk", "sofa"]
    with pytest.raises(ValueError, match="stores 20 points per cloud"):
        sources.check_num_points(info, 32)


def test_progress_line_with_the_time_left_in_a_log():
    from dcglr_tf.utils.progress import Stage

    lines = []
    with Stage("preparing shapes", 4, "files", log=lines.append, log_every_s=0) as stage:
        stage.update(1)
    assert lines[0] == "preparing shapes: 4 files ..." and lines[-1].startswith("preparing shapes: done, 1/4 files")
    assert lines[1].startswith("preparing shapes: 1/4 files, 0 s, about ") and lines[1].endswith(" left")


@pytest.mark.slow
def test_train_and_evaluate_on_a_folder(shapes, tmp_path, monkeypatch, capsys):
    from dcglr_tf.commands import evaluate as evaluate_command
    from dcglr_tf.commands import train as train_command

    monkeypatch.chdir(tmp_path)
    data_dir = str(tmp_path / "tfds")
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps({"crops": {"global_points": 16, "num_local": 2, "local_points": 8},
                                  "head": {"out_dim": 16, "hidden_dim": 16, "bottleneck_dim": 8},
                                  "backbone": "pointnet", "backbone_args": {"widths": [8, 8]}}))
    train_command.main([f"--dataset={shapes}", f"--config={config}", "--epochs=1", "--steps_per_epoch=2",
                        "--batch_size=2", f"--num_points={NUM_POINTS}", f"--data_dir={data_dir}", "--verbose=2",
                        "--jit_compile=false", "--knn_monitor=1"])
    out = capsys.readouterr().out
    assert "skipped 6 of 13 files" in out and "done: runs/pointnet-shapes" in out and "knn_accuracy" in out
    assert json.loads((tmp_path / "runs/pointnet-shapes/config.json").read_text())["dataset"] == str(shapes)
    output = tmp_path / "knn.json"
    evaluate_command.main(["--task=knn", f"--dataset={shapes}", "--encoder=runs/pointnet-shapes/encoder",
                           f"--data_dir={data_dir}", "--output", str(output)])
    out = capsys.readouterr().out
    assert "preparing" not in out  # the training run's preparation, at the encoder's num_points
    result = json.loads(output.read_text())
    assert result["dataset"] == str(shapes) and result["settings"]["train_examples"] == 4
    assert result["settings"]["test_examples"] == 3 and result["settings"]["num_points"] == NUM_POINTS
    with pytest.raises(SystemExit):  # the same data, strict: its 6 skipped files are an error
        evaluate_command.main(["--task=knn", f"--dataset={shapes}", "--encoder=runs/pointnet-shapes/encoder",
                               f"--data_dir={data_dir}", "--output", str(output), "--strict"])
    assert "6 of its 13 files cannot be read, an error in strict mode" in capsys.readouterr().err
