"""benchmarks/off_meshes_to_points.py: OFF meshes in class folders -> a points file naming each cloud's class; the
first sampling is the modelnet40_cad builder's own, the others differ; bad folders are named."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import dataset_files  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from benchmarks import off_meshes_to_points as tool  # noqa: E402
from dcglr_tf.builders.modelnet40_cad.modelnet40_cad_dataset_builder import sample_off_mesh  # noqa: E402


def _write(path, size, quads=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dataset_files.off_text(*dataset_files.box_mesh(size, quads=quads)))
    return path


def test_meshes_become_labelled_clouds(tmp_path):
    root = tmp_path / "meshes"
    sofa = _write(root / "ModelNet10" / "sofa" / "train" / "sofa_0001.off", (2.0, 1.0, 0.8))
    desk = _write(root / "ModelNet40" / "desk" / "test" / "desk_0002.off", (1.5, 0.7, 0.7), quads=True)
    chair = _write(root / "chair" / "chair_0003.off", (0.5, 0.5, 1.0))  # no split folder
    output = tmp_path / "out" / "meshes.npz"
    tool.main(["--meshes", str(root), "--output", str(output), "--num_points", "64", "--samplings", "2"])
    with np.load(output) as written:
        points, classes, objects, names = (written[k] for k in ("points", "class_name", "object", "name"))
    assert points.shape == (6, 64, 3) and points.dtype == np.float32
    assert classes.tolist() == ["sofa", "sofa", "desk", "desk", "chair", "chair"]  # sorted by path
    assert objects.tolist() == ["sofa_0001", "sofa_0001", "desk_0002", "desk_0002", "chair_0003", "chair_0003"]
    assert names.tolist() == ["sofa_0001#0", "sofa_0001#1", "desk_0002#0", "desk_0002#1", "chair_0003#0", "chair_0003#1"]
    np.testing.assert_array_equal(points[0], sample_off_mesh(sofa, "train/sofa_0001", 64)[0])  # the builder's sampling
    np.testing.assert_array_equal(points[2], sample_off_mesh(desk, "test/desk_0002", 64)[0])
    np.testing.assert_array_equal(points[5], sample_off_mesh(chair, "chair_0003/1", 64)[0])
    assert not np.allclose(points[0], points[1])  # another surface sample
    radius = np.linalg.norm(points, axis=-1).max(axis=1)
    np.testing.assert_allclose(radius, 1.0, atol=1e-5)  # each cloud in the unit sphere, touching it
    # z-up meshes come out y-up: the sofa box is 0.8 high along z, so y spans the smallest extent
    extent = points[0].max(axis=0) - points[0].min(axis=0)
    assert np.argmin(extent) == 1


def test_bad_folders_are_named(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SystemExit):
        tool.main(["--meshes", str(empty), "--output", str(tmp_path / "o.npz")])
    assert f"--meshes {empty}: no .off files found" in capsys.readouterr().err
    loose = _write(tmp_path / "loose" / "x.off", (1.0, 1.0, 1.0))
    with pytest.raises(SystemExit):
        tool.main(["--meshes", str(loose.parent), "--output", str(tmp_path / "o.npz")])
    assert "x.off: an OFF file must sit in its class folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.main(["--meshes", str(tmp_path / "nowhere"), "--output", str(tmp_path / "o.npz")])
    assert "nowhere: no such folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.main(["--meshes", str(empty), "--output", str(tmp_path / "o.txt")])
    assert "must end in .npz" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # more points than the 10,000 surface samples FPS picks from
        tool.main(["--meshes", str(empty), "--output", str(tmp_path / "o.npz"), "--num_points", "10001"])
    assert "--num_points must be in 1..10000" in capsys.readouterr().err
