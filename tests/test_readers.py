"""dcglr_tf.data.readers: every mesh and point format gives the same clouds, seeded and area-uniform; bad files
raise UnreadableFile with the reason."""

import sys
import zlib

import numpy as np
import pytest
import trimesh

from dcglr_tf.data import readers

# A tetrahedron with unequal faces; its coordinates are float32 numbers, so that the formats storing float32 (STL,
# binary PLY, glTF) hold them exactly and every format gives the same mesh up to the text formats' rounding.
VERTICES = np.array([[0.1, -0.2, 0.3], [1.7, 0.05, -0.4], [-0.3, 1.1, 0.2], [0.4, 0.6, 1.9]]).astype(np.float32)
VERTICES = VERTICES.astype(np.float64)
FACES = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
MESH_FORMATS = ("off", "obj", "stl", "ply", "glb", "gltf")


def _write_mesh(mesh, folder, file_type):
    exported = mesh.export(file_type=file_type)
    if file_type == "gltf":  # a dict: the .gltf JSON and its .bin buffers
        for name, data in exported.items():
            (folder / name).write_bytes(data)
        return folder / "model.gltf"
    path = folder / f"mesh.{file_type}"
    path.write_bytes(exported if isinstance(exported, bytes) else exported.encode())
    return path


@pytest.mark.parametrize("file_type", MESH_FORMATS)
def test_every_mesh_format_gives_the_mesh_and_the_same_cloud(tmp_path, file_type):
    path = _write_mesh(trimesh.Trimesh(VERTICES, FACES, process=False), tmp_path, file_type)
    shape = readers.read_shape(path)
    assert shape.points.dtype == np.float64 and shape.faces.dtype == np.int64
    # STL stores each triangle's corners (12 vertices here): compare the triangles, not the vertex lists. OBJ text
    # keeps 8 decimals, OFF 10; the binary formats hold the float32 coordinates exactly.
    np.testing.assert_allclose(shape.points[shape.faces], VERTICES[FACES], rtol=0, atol=1e-8)
    reference = readers.sample_cloud(readers.Shape("memory", VERTICES, FACES), 500, seed=3)
    cloud = readers.read_cloud(path, 500, seed=3)
    assert cloud.shape == (500, 3) and cloud.dtype == np.float32
    np.testing.assert_allclose(cloud, reference, rtol=0, atol=1e-6)


def test_a_scene_is_one_mesh_with_its_transforms(tmp_path):
    scene = trimesh.Scene()
    scene.add_geometry(trimesh.Trimesh(VERTICES, FACES, process=False), node_name="a")
    scene.add_geometry(trimesh.Trimesh(VERTICES, FACES, process=False), node_name="b",
                       transform=trimesh.transformations.translation_matrix([10.0, 0.0, 0.0]))
    shape = readers.read_shape(_write_mesh(scene, tmp_path, "glb"))
    assert shape.faces.shape == (8, 3)
    np.testing.assert_allclose(np.sort(shape.points[:, 0]), np.sort(np.r_[VERTICES[:, 0], VERTICES[:, 0] + 10]),
                               atol=1e-6)


def _points(n=50, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 3)).astype(np.float32).astype(np.float64)


def _extra(xyz):  # normals and colours after x, y, z
    return np.concatenate([xyz, np.ones((len(xyz), 2)), np.arange(len(xyz))[:, None]], axis=1)


def _text(rows, separator):
    return "\n".join(separator.join(f"{v:.17g}" for v in row) for row in rows) + "\n"


POINT_WRITERS = {
    "spaces.xyz": lambda p, xyz: p.write_text(_text(_extra(xyz), " ")),
    "tabs.xyz": lambda p, xyz: p.write_text(_text(xyz, "\t")),
    "modelnet.txt": lambda p, xyz: p.write_text(_text(_extra(xyz), ",")),  # x,y,z,nx,ny,nz
    "header.csv": lambda p, xyz: p.write_text("x, y, z, intensity, label, id\n" + _text(_extra(xyz), ", ")),
    "leica.pts": lambda p, xyz: p.write_text(f"{len(xyz)}\n" + _text(_extra(xyz), " ")),  # a point count first
    "cloud.npy": lambda p, xyz: np.save(p, _extra(xyz)),
    "points.npz": lambda p, xyz: np.savez(p, points=xyz.astype(np.float32)),
    "data.npz": lambda p, xyz: np.savez(p, data=_extra(xyz), label=np.zeros(1)),
    "cloud.ply": lambda p, xyz: p.write_bytes(trimesh.PointCloud(xyz).export(file_type="ply")),
}


@pytest.mark.parametrize("name", sorted(POINT_WRITERS))
def test_point_formats_give_exactly_the_stored_xyz(tmp_path, name):
    xyz = _points()
    path = tmp_path / name
    POINT_WRITERS[name](path, xyz)
    shape = readers.read_shape(path)
    assert shape.faces is None
    np.testing.assert_array_equal(shape.points, xyz)  # extra columns dropped, header / count line skipped


def _write_las(path, xyz):
    import laspy

    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales, header.offsets = np.full(3, 0.001), np.zeros(3)
    las = laspy.LasData(header)
    las.x, las.y, las.z = xyz.T
    las.write(path)


@pytest.mark.parametrize("suffix", [".las", ".laz"])
def test_las_and_laz_give_the_scaled_coordinates(tmp_path, suffix):
    if suffix == ".laz":
        pytest.importorskip("lazrs")
    xyz = np.round(_points() * 100, 3)  # LAS stores integers times the scale (0.001)
    _write_las(tmp_path / f"a{suffix}", xyz)
    np.testing.assert_allclose(readers.read_shape(tmp_path / f"a{suffix}").points, xyz, rtol=0, atol=1e-9)


def test_pcd_with_pypcd4(tmp_path):
    pypcd4 = pytest.importorskip("pypcd4")
    xyz = _points()
    pypcd4.PointCloud.from_xyzi_points(np.c_[xyz, np.ones(len(xyz))].astype(np.float32)).save(tmp_path / "a.pcd")
    np.testing.assert_array_equal(readers.read_shape(tmp_path / "a.pcd").points, xyz)


def test_pcd_without_pypcd4_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pypcd4", None)  # `import pypcd4` raises ImportError
    (tmp_path / "a.pcd").write_text("VERSION .7\n")
    with pytest.raises(readers.UnreadableFile, match="needs the optional package pypcd4: pip install pypcd4"):
        readers.read_shape(tmp_path / "a.pcd")


def test_points_are_a_seeded_subset(tmp_path):
    xyz = _points(200)
    np.save(tmp_path / "a.npy", xyz)
    cloud = readers.read_cloud(tmp_path / "a.npy", 64, seed=5)
    assert cloud.shape == (64, 3) and cloud.dtype == np.float32
    rows = {tuple(row) for row in xyz.astype(np.float32)}
    assert len({tuple(row) for row in cloud}) == 64 and all(tuple(row) in rows for row in cloud)  # no repeats
    assert not np.array_equal(cloud, xyz[:64].astype(np.float32))  # in random order, not the file's first rows
    np.testing.assert_array_equal(readers.read_cloud(tmp_path / "a.npy", 64, seed=5), cloud)
    assert not np.array_equal(readers.read_cloud(tmp_path / "a.npy", 64, seed=6), cloud)
    with pytest.raises(readers.UnreadableFile, match="has 200 points, fewer than num_points=201"):
        readers.read_cloud(tmp_path / "a.npy", 201, seed=5)


def test_mesh_samples_are_seeded_and_area_uniform(tmp_path):
    # Two triangles apart: areas 1 (at x in [0, 2]) and 3 (at x in [10, 16]).
    vertices = np.array([[0, 0, 0], [2, 0, 0], [0, 1, 0], [10, 0, 0], [16, 0, 0], [10, 1, 0]], dtype=np.float64)
    path = _write_mesh(trimesh.Trimesh(vertices, [[0, 1, 2], [3, 4, 5]], process=False), tmp_path, "obj")
    cloud = readers.read_cloud(path, 20000, seed=1)
    assert abs(np.mean(cloud[:, 0] >= 10) - 0.75) < 0.015  # binomial std 0.003
    np.testing.assert_array_equal(readers.read_cloud(path, 20000, seed=1), cloud)
    assert not np.array_equal(readers.read_cloud(path, 20000, seed=2), cloud)
    assert readers.seed_of("train/sofa_0001") == zlib.crc32(b"train/sofa_0001") == 2166939684


def _off(vertices, faces):
    return trimesh.Trimesh(vertices, faces, process=False).export(file_type="off")


def _truncated(file_type):
    return trimesh.Trimesh(VERTICES, FACES, process=False).export(file_type=file_type)[:-20]


BROKEN = {
    "empty.ply": (b"", "empty file"),
    "truncated.ply": (_truncated("ply"), "truncated or corrupt"),
    "truncated.stl": (_truncated("stl"), "truncated or corrupt"),
    "word.xyz": ("1 2 3\n4 x 6\n", "truncated or corrupt: could not convert string 'x'"),
    "short_row.csv": ("1,2,3\n4,5\n", "truncated or corrupt"),
    "nan.txt": ("1 2 3\nnan 5 6\n", "non-finite coordinates"),
    "inf.off": (_off(np.r_[VERTICES[:3], [[np.inf, 0, 0]]], FACES), "non-finite coordinates"),
    "negative_index.ply": (trimesh.Trimesh(VERTICES, FACES, process=False).export(file_type="ply", encoding="ascii")
                           .replace(b"3 1 2 3", b"3 1 2 -1"), "face index out of range for 4 vertices"),
    "flat.off": (_off([[0, 0, 0], [1, 1, 1], [2, 2, 2]], [[0, 1, 2], [2, 1, 0]]), "zero-area mesh"),
    "no_faces.off": ("OFF\n3 0 0\n0 0 0\n1 0 0\n0 1 0\n", "mesh has no faces"),
    "header_only.csv": ("x,y,z\n", "no points"),
    "flat.npy": (None, "expected (n, >=3) coordinates, got shape [4, 2]"),
    "other_key.npz": (None, "no array under the key 'points' or 'data'"),
    "binary.txt": (b"\xff\xfe\x00\x81", "truncated or corrupt"),
    "mesh.abc": ("1 2 3\n", "unsupported format .abc"),
    "missing.obj": (None, "no such file"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_raise_unreadable_file_with_the_reason(tmp_path, name):
    content, reason = BROKEN[name]
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif name == "flat.npy":
        np.save(path, np.zeros((4, 2)))
    elif name == "other_key.npz":
        np.savez(path, xyz=np.zeros((4, 3)))
    with pytest.raises(readers.UnreadableFile) as info:
        readers.read_cloud(path, 2, seed=0)
    assert reason in info.value.reason
    assert info.value.path == str(path) and str(info.value) == f"{path}: {info.value.reason}"


def test_suffix_lists():
    assert set(readers.SUPPORTED_SUFFIXES) == set(readers.MESH_SUFFIXES) | set(readers.POINT_SUFFIXES)
    assert all(s.startswith(".") and s == s.lower() for s in readers.SUPPORTED_SUFFIXES)
    assert {".off", ".glb", ".ply", ".las", ".laz", ".npz", ".pcd", ".csv"} <= set(readers.SUPPORTED_SUFFIXES)
