"""Point clouds from the files users have: meshes (OFF, OBJ, STL, PLY, glTF) and point files (PLY without faces,
text tables, NumPy, LAS/LAZ, PCD), each read by the field's maintained library.

- Meshes are read by trimesh (`trimesh.load_scene(..., process=False, skip_materials=True)`, so vertices keep the
  file's order and no texture is decoded; a scene is concatenated into one mesh with its transforms applied). A PLY
  (or OBJ) without faces is a point cloud.
- Text tables (`.xyz`, `.txt`, `.pts`, `.csv`) by `np.loadtxt`: values separated by commas (when the first row
  holds one) or by spaces/tabs; the first 3 columns are x, y, z, further ones (normals, colours) are ignored; a
  first line without any number (column names) or with fewer than 3 values (the point count of a Leica `.pts`)
  is skipped; `#` starts a comment.
- `.npy`: an (n, >=3) array; `.npz`: one (n, >=3) array under the key `points` or `data` (as
  `dcglr_tf.data.points_file` reads them); columns beyond the third are ignored.
- `.las` / `.laz` by laspy (scaled x, y, z; `.laz` needs `laspy[lazrs]`, a dependency of dcglr_tf).
- `.pcd` by pypcd4 (PCL's ascii, binary and binary_compressed encodings), an optional package.

Every problem is an `UnreadableFile` naming the file and the reason; `read_cloud` samples a fixed number of
points, the same ones on every run for the same (file, num_points, seed).
"""

import dataclasses
import os
import pathlib
import zlib
from typing import Optional

import numpy as np

from dcglr_tf.builders._builder_utils import sample_triangles
from dcglr_tf.data import points_file

MESH_SUFFIXES = (".off", ".obj", ".stl", ".ply", ".glb", ".gltf")  # read by trimesh; a PLY may hold points only
POINT_SUFFIXES = (".ply", ".xyz", ".txt", ".pts", ".csv", ".npy", ".npz", ".las", ".laz", ".pcd")
SUPPORTED_SUFFIXES = tuple(sorted(set(MESH_SUFFIXES + POINT_SUFFIXES)))


class UnreadableFile(ValueError):
    """A file that cannot give a point cloud.

    Attributes:
        path: str, the file.
        reason: str, why, e.g. "empty file", "truncated or corrupt: <detail>", "non-finite coordinates",
            "zero-area mesh", "has 12 points, fewer than num_points=2048", "unsupported format .abc".
    """

    def __init__(self, path, reason: str):
        super().__init__(os.fspath(path), reason)
        self.path = os.fspath(path)
        self.reason = reason

    def __str__(self):
        return f"{self.path}: {self.reason}"


@dataclasses.dataclass(frozen=True, eq=False)
class Shape:
    """The content of one file.

    Attributes:
        path: str, the file read.
        points: (n, 3) float64, the points of a point file or the vertices of a mesh, finite, n >= 1.
        faces: (F, 3) int64 vertex indices of the triangles of a mesh (F >= 1, total area > 0), or None for a
            point file.
    """

    path: str
    points: np.ndarray
    faces: Optional[np.ndarray] = None


def seed_of(key: str) -> int:
    """A stable seed from a string, e.g. a file's path relative to its dataset folder.

    Args:
        key: any string.

    Returns:
        int in [0, 2**32): the CRC-32 of `key` encoded as UTF-8, the same in every process and on every machine.
    """
    return zlib.crc32(key.encode())


def read_shape(path) -> Shape:
    """Reads a mesh or point file, choosing the reader by the file's suffix (see `SUPPORTED_SUFFIXES`).

    Args:
        path: str or path-like, the file.

    Returns:
        Shape: `points` (n, 3) float64 (a mesh's vertices in the file's order) and `faces` (F, 3) int64 for a mesh,
        None for points.

    Raises:
        UnreadableFile: for an unsupported suffix, a missing, empty, truncated or corrupt file, non-finite
            coordinates, no points, a mesh without faces or of zero total area, or a missing optional package.
    """
    path = pathlib.Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFile(path, f"unsupported format {suffix or '(no suffix)'}; supported: "
                             f"{' '.join(SUPPORTED_SUFFIXES)}")
    if not path.is_file():
        raise UnreadableFile(path, "no such file")
    if path.stat().st_size == 0:
        raise UnreadableFile(path, "empty file")
    reader = _read_trimesh if suffix in MESH_SUFFIXES else _POINT_READERS[suffix]
    try:
        points, faces = reader(path)
        return _checked_shape(path, points, faces)
    except (UnreadableFile, MemoryError):
        raise
    except Exception as error:  # pylint: disable=broad-except  # the libraries raise many types on bad bytes
        raise UnreadableFile(path, f"truncated or corrupt: {str(error) or type(error).__name__}") from error


def sample_cloud(shape: Shape, num_points: int, seed: int) -> np.ndarray:
    """A seeded sample of `num_points` points of a shape, in random order.

    A mesh gives area-uniform samples on its surface (`dcglr_tf.builders._builder_utils.sample_triangles`, the
    sampling of the dataset builders, with `np.random.default_rng(seed)`); a point file a random subset of its
    points without replacement.

    Args:
        shape: Shape, from `read_shape`.
        num_points: int, points to return.
        seed: int, the sampling seed (e.g. `seed_of(relative_path)`); the same seed gives the same points.

    Returns:
        (num_points, 3) float32.

    Raises:
        UnreadableFile: when a point file has fewer than `num_points` points.
    """
    rng = np.random.default_rng(seed)
    if shape.faces is not None:
        points, _ = sample_triangles(shape.points, shape.faces, num_points, rng)
    elif len(shape.points) < num_points:
        raise UnreadableFile(shape.path, f"has {len(shape.points)} points, fewer than num_points={num_points}")
    else:
        points = shape.points[rng.choice(len(shape.points), num_points, replace=False)]
    return points.astype(np.float32)


def read_cloud(path, num_points: int, seed: int) -> np.ndarray:
    """`sample_cloud(read_shape(path), num_points, seed)`.

    Args:
        path: str or path-like, a file with one of the `SUPPORTED_SUFFIXES`.
        num_points: int, points to return.
        seed: int, the sampling seed.

    Returns:
        (num_points, 3) float32, bit-identical on every run for the same file, `num_points` and `seed`.

    Raises:
        UnreadableFile: see `read_shape` and `sample_cloud`.
    """
    return sample_cloud(read_shape(path), num_points, seed)


def _checked_shape(path, points, faces) -> Shape:
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] < 3:
        raise UnreadableFile(path, f"expected (n, >=3) coordinates, got shape {list(points.shape)}")
    points = np.ascontiguousarray(points[:, :3])
    if len(points) == 0:
        raise UnreadableFile(path, "no points")
    if not np.isfinite(points).all():
        raise UnreadableFile(path, "non-finite coordinates")
    if faces is not None:
        faces = np.asarray(faces, dtype=np.int64)
        _check_faces(path, points, faces)
    return Shape(os.fspath(path), points, faces)


def _check_faces(path, vertices, faces):
    import trimesh  # pylint: disable=import-outside-toplevel  # imported by _read_trimesh already

    if len(faces) == 0:
        raise UnreadableFile(path, "mesh has no faces")
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise UnreadableFile(path, f"truncated or corrupt: face index out of range for {len(vertices)} vertices")
    if not trimesh.triangles.area(vertices[faces]).sum() > 0:
        raise UnreadableFile(path, "zero-area mesh")


def _read_trimesh(path):
    import trimesh  # pylint: disable=import-outside-toplevel  # about 1 s: only when a mesh is read

    scene = trimesh.load_scene(path, process=False, skip_materials=True)  # no textures: only geometry is kept
    nodes = scene.graph.nodes_geometry
    if len(nodes) == 1 and np.array_equal(scene.graph[nodes[0]][0], np.eye(4)):
        geometry = scene.geometry[scene.graph[nodes[0]][1]]  # the file's one geometry, untransformed: no copy
    else:
        geometry = scene.to_geometry()  # every geometry with its transform, concatenated (a copy)
    if isinstance(geometry, trimesh.PointCloud):
        return geometry.vertices, None
    if not isinstance(geometry, trimesh.Trimesh):
        raise UnreadableFile(path, f"holds a {type(geometry).__name__}, neither a mesh nor points")
    if len(geometry.vertices) == 0:
        raise UnreadableFile(path, "truncated or corrupt: no vertices read")
    return geometry.vertices, geometry.faces


def _read_text(path):
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if rows and _is_header(rows[0]):
        rows = rows[1:]
    if not rows:
        return np.zeros((0, 3)), None
    return np.loadtxt(rows, delimiter=_delimiter(rows[0]), usecols=(0, 1, 2), ndmin=2, comments="#"), None


def _delimiter(row: str) -> Optional[str]:
    return "," if "," in row else None  # None: any whitespace


def _is_header(line: str) -> bool:
    """True for a line of column names (no number at all) or a point count (fewer than 3 values)."""
    fields = line.split(_delimiter(line))
    return len(fields) < 3 or not any(_is_number(field) for field in fields)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_numpy(path):
    return points_file._read_array(path), None  # pylint: disable=protected-access


def _read_las(path):
    import laspy  # pylint: disable=import-outside-toplevel

    return laspy.read(path).xyz, None


def _read_pcd(path):
    try:
        from pypcd4 import PointCloud  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise UnreadableFile(path, "needs the optional package pypcd4: pip install pypcd4") from None
    return PointCloud.from_path(path).numpy(("x", "y", "z")), None


_POINT_READERS = {
    ".xyz": _read_text, ".txt": _read_text, ".pts": _read_text, ".csv": _read_text,
    ".npy": _read_numpy, ".npz": _read_numpy, ".las": _read_las, ".laz": _read_las, ".pcd": _read_pcd,
}
