"""tools/folder_to_points.py: a folder of files in class folders -> one stacked NumPy file naming each cloud's class,
split and object; sampling 0 is the folder dataset's cloud, the others differ; bad files are skipped and named."""

import numpy as np
import pytest
import trimesh

from dcglr_tf.builders._builder_utils import normalize_unit_sphere
from dcglr_tf.data import readers
from tools import folder_to_points as tool


def _folder(root):
    for relpath, size in (("sofa/train/s1.off", (2.0, 1.0, 0.8)), ("sofa/test/s2.obj", (2.2, 1.0, 0.7)),
                          ("desk/train/d1.stl", (1.5, 0.7, 0.7)), ("desk/test/d2.ply", (1.4, 0.8, 0.7))):
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        trimesh.creation.box(extents=size).export(path)
    np.savetxt(root / "desk/test/scan.xyz", np.random.default_rng(0).normal(size=(500, 3)))
    (root / "sofa/train/broken.off").write_text("OFF\n3 1 0\n0 0")
    return root


def test_files_become_labelled_clouds(tmp_path, capsys):
    root = _folder(tmp_path / "meshes")
    output = tmp_path / "out" / "meshes.npz"
    tool.main(["--input", str(root), "--output", str(output), "--num_points", "64", "--samplings", "2"])
    out = capsys.readouterr().out
    assert "skipped sofa/train/broken.off: truncated or corrupt" in out
    assert "wrote" in out and "10 clouds of 64 points (desk 6, sofa 4); skipped 1 of 6 files" in out
    with np.load(output) as written:
        arrays = {key: written[key] for key in written.files}
    assert arrays["points"].shape == (10, 64, 3) and arrays["points"].dtype == np.float32
    assert arrays["class_name"].tolist() == ["desk"] * 6 + ["sofa"] * 4  # sorted by path
    assert arrays["split"].tolist() == ["test"] * 4 + ["train"] * 2 + ["test"] * 2 + ["train"] * 2
    assert arrays["object"].tolist()[:2] == ["desk/test/d2.ply"] * 2
    assert arrays["name"].tolist()[:2] == ["desk/test/d2.ply#0", "desk/test/d2.ply#1"]
    # sampling 0: the folder dataset's points (seeded by the relative path), centred and scaled; sampling 1 differs
    expected = readers.read_cloud(root / "desk/test/d2.ply", 64, readers.seed_of("desk/test/d2.ply"))
    np.testing.assert_allclose(arrays["points"][0], normalize_unit_sphere(expected), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(arrays["points"][0], axis=1).max(), 1.0, atol=1e-5)
    assert not np.allclose(arrays["points"][0], arrays["points"][1])


def test_fps_order_and_z_up(tmp_path):
    root = tmp_path / "flat"
    (root / "plate").mkdir(parents=True)
    trimesh.creation.box(extents=(2.0, 1.5, 0.1)).export(root / "plate" / "p.off")  # flat along z
    output = tmp_path / "p.npz"
    tool.main(["--input", str(root), "--output", str(output), "--num_points", "32", "--samplings", "1",
               "--order", "fps", "--up", "z"])
    with np.load(output) as written:
        cloud = written["points"][0]
    extent = cloud.max(axis=0) - cloud.min(axis=0)
    assert np.argmin(extent) == 1  # z-up turned y-up: the thin side along y
    # farthest-point order: point k is, of all the points after the first k, the farthest from those k
    for k in range(1, 8):
        distances = np.linalg.norm(cloud[k:, None] - cloud[None, :k], axis=-1).min(axis=1)
        assert distances[0] >= distances.max() - 1e-5


def test_bad_arguments_are_named(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    for argv, message in ((["--input", str(empty), "--output", "o.npz"], "no files of the supported formats"),
                          (["--input", str(tmp_path / "nowhere"), "--output", "o.npz"], "nowhere: no such folder"),
                          (["--input", str(empty), "--output", "o.txt"], "must end in .npz"),
                          (["--input", str(empty), "--output", "o.npz", "--order", "fps", "--num_points", "10001"],
                           "at most 10000 with --order fps")):
        with pytest.raises(SystemExit):
            tool.main(argv)
        assert message in capsys.readouterr().err
    partly = tmp_path / "partly"
    (partly / "cup").mkdir(parents=True)
    trimesh.creation.box().export(partly / "cup" / "a.off")
    trimesh.creation.box().export(partly / "loose.off")
    with pytest.raises(SystemExit):
        tool.main(["--input", str(partly), "--output", str(tmp_path / "o.npz")])
    assert "1 of the 2 files of" in capsys.readouterr().err
