"""Helpers shared by the dataset builders: errors, manual-file lookup, validation, point sampling.

Kept free of TFDS imports so that tests and `dcglr_tf.data.sources` can use the error classes cheaply. Point
ops (normalisation, FPS) are the library's (`dcglr_tf.ops.points`), applied here to one cloud at a time.
"""

import importlib.resources
import importlib.resources.abc  # noqa: F401  (read as `importlib_resources.abc` by TFDS, below)
import importlib.util
import os
import pathlib
import sys
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from dcglr_tf.ops import points as point_ops

# TFDS 4.9.x resolves `importlib_resources.abc.Traversable` (the PyPI backport) when it looks for the code
# path of any builder outside its own package, but only declares that dependency for Python < 3.9. On newer
# Pythons the standard library module has the same API: alias it when the backport is not installed.
if "importlib_resources" not in sys.modules and importlib.util.find_spec("importlib_resources") is None:
    sys.modules["importlib_resources"] = importlib.resources


class DatasetFileError(ValueError):
    """Base class of the errors a builder raises about the user's input files."""


class DatasetFilesMissingError(DatasetFileError):
    """The manual directory does not hold the files a builder expects."""

    def __init__(self, builder: str, directory, expected: Sequence[str], instructions: str = "",
                 detail: str = ""):
        self.builder = builder
        self.directory = str(directory) if directory is not None else None
        self.expected = list(expected)
        self.instructions = instructions
        self.detail = detail or "expected input files are missing"
        lines = [
            f"dataset '{builder}': {self.detail}.",
            f"Directory searched (TFDS manual_dir): {self.directory}",
            "Files expected there (found by file name, also inside sub-folders):",
        ]
        lines += [f"  - {name}" for name in self.expected]
        if instructions:
            lines += ["", instructions.strip()]
        super().__init__("\n".join(lines))


class CorruptDatasetFileError(DatasetFileError):
    """An input file exists but its content is not what the format promises."""

    def __init__(self, builder: str, path, problem: str):
        self.builder = builder
        self.path = str(path)
        self.problem = problem
        super().__init__(f"dataset '{builder}': corrupt input file {self.path}: {problem}")


def manual_dir_of(dl_manager, builder: str, expected: Sequence[str], instructions: str) -> pathlib.Path:
    """The manual directory of `dl_manager`, or DatasetFilesMissingError when it is unset, absent or empty."""
    directory = getattr(dl_manager, "_manual_dir", None)
    try:
        path = dl_manager.manual_dir
    except (AssertionError, ValueError) as error:
        raise DatasetFilesMissingError(
            builder, directory, expected, instructions,
            detail="the manual directory does not exist or is empty") from error
    return pathlib.Path(os.fspath(path))


def find_file(root: pathlib.Path, name: str, *, builder: str, expected: Sequence[str],
              instructions: str = "", required: bool = True) -> Optional[pathlib.Path]:
    """Resolve `name` by file name under `root`: `root/name` first, then anywhere below `root`.

    List files of the public archives carry the archive's folder as prefix
    (`data/modelnet40_ply_hdf5_2048/ply_data_train0.h5`), so only the final component of `name` counts.
    """
    base = pathlib.PurePosixPath(name.strip().replace("\\", "/")).name
    direct = root / base
    if direct.is_file():
        return direct
    matches = sorted(p for p in root.rglob(base) if p.is_file())
    if matches:
        # The shallowest match wins: `root/<archive folder>/name` before deeper copies.
        return min(matches, key=lambda p: (len(p.parts), str(p)))
    if required:
        raise DatasetFilesMissingError(builder, root, expected, instructions,
                                       detail=f"file '{base}' not found")
    return None


def find_folder(root: pathlib.Path, name: str, *, builder: str, expected: Sequence[str],
                instructions: str = "") -> pathlib.Path:
    """The folder called `name`: `root` itself, `root/name`, or the shallowest such folder below `root`.

    For archives whose sub-folders hold files of the same name (ScanObjectNN's `main_split/` and
    `main_split_nobg/` both hold `training_objectdataset.h5`), so that a file must be looked up in its folder.
    """
    if root.name == name:
        return root
    if (root / name).is_dir():
        return root / name
    matches = sorted(p for p in root.rglob(name) if p.is_dir())
    if matches:
        return min(matches, key=lambda p: (len(p.parts), str(p)))
    raise DatasetFilesMissingError(builder, root, expected, instructions, detail=f"folder '{name}/' not found")


def read_list_file(path: pathlib.Path) -> List[str]:
    """Non-empty, stripped lines of a list file."""
    with open(path, "r", encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip()]


SKIPPED_REPORT = "skipped_shapes.txt"  # beside the prepared data: one line per listed shape a builder skipped


def drop_missing_and_repeated(listed: Dict[str, list], path_of: Callable[[object], pathlib.Path]):
    """The entries of a release's split lists whose files exist, each once: a bad listing never stops a preparation.

    Args:
        listed: {split: [entry]}, in the order the lists are read (builders read their test list first, so that the
            test split stays as published and a shape listed in two splits is never in both).
        path_of: entry -> its file; entries with the same file are the same shape.
    Returns:
        kept: {split: [entry]}, only entries whose file exists, each shape once;
        skipped: [(reason, split, entry)] in list order, reason "missing" (no file) or "listed twice" (a later
            listing of a shape already listed, in the same list or another one).
    """
    kept, skipped, seen = {}, [], set()
    for split, entries in listed.items():
        kept[split] = []
        for entry in entries:
            path = path_of(entry)
            if path in seen:
                skipped.append(("listed twice", split, entry))
            elif not path.is_file():
                skipped.append(("missing", split, entry))
            else:
                kept[split].append(entry)
            seen.add(path)
    return kept, skipped


def report_skipped(builder, rows: Sequence[Tuple[str, str, str]], first: int = 3) -> None:
    """Report the listed shapes a TFDS builder skips: all of them in SKIPPED_REPORT, written into the folder TFDS is
    preparing (renamed to the dataset's version folder when the preparation ends), and one warning line on stderr
    with the count by reason, the first `first` of each and the report's path.

    Args:
        builder: the TFDS builder, while it prepares (its `data_dir` is TFDS's temporary folder then).
        rows: [(reason, list file, shape file relative to the archive)].
    """
    lines = ["reason\tlist\tshape"] + ["\t".join(row) for row in rows]
    with tf.io.gfile.GFile(os.path.join(builder.data_dir, SKIPPED_REPORT), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    parts = []
    for reason in dict.fromkeys(reason for reason, _, _ in rows):
        shapes = [f"{shape} ({list_file})" for why, list_file, shape in rows if why == reason]
        more = f" and {len(shapes) - first} more" if len(shapes) > first else ""
        parts.append(f"{len(shapes)} {reason}: {', '.join(shapes[:first])}{more}")
    final = os.path.join(os.path.dirname(os.fspath(builder.data_dir).rstrip("/")), str(builder.version))
    print(f"warning: dataset '{builder.name}': skipped {len(rows)} shape(s) of the split lists ({'; '.join(parts)}); "
          f"every one in {os.path.join(final, SKIPPED_REPORT)}", file=sys.stderr, flush=True)


def read_text_table(path: pathlib.Path, columns: Sequence[str], *, builder: str, delimiter: Optional[str] = None,
                    ) -> np.ndarray:
    """A text file of numbers, one row per non-empty line, as (lines, len(columns)) float32.

    delimiter: "," for comma-separated values, None for any whitespace. CorruptDatasetFileError naming the file
    (and the line) for unreadable text, an empty file, a line with the wrong number of values, a non-numeric
    value or a NaN/inf.
    """
    try:
        text = path.read_text(encoding="ascii")
    except (UnicodeDecodeError, OSError) as error:
        raise CorruptDatasetFileError(builder, path, f"cannot be read as text: {error}") from error
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise CorruptDatasetFileError(builder, path, "file is empty")
    if delimiter is None:
        counts = np.fromiter((len(line.split()) for line in lines), dtype=np.int64, count=len(lines))
    else:
        counts = np.fromiter((line.count(delimiter) + 1 for line in lines), dtype=np.int64, count=len(lines))
    if np.any(counts != len(columns)):
        bad = int(np.argmax(counts != len(columns)))
        kind = "values" if delimiter is None else ("comma-separated values" if delimiter == "," else
                                                   f"{delimiter!r}-separated values")
        names = (" " if delimiter is None else delimiter).join(columns)
        raise CorruptDatasetFileError(builder, path, f"line {bad + 1} has {counts[bad]} {kind}, expected "
                                      f"{len(columns)} ({names}): {lines[bad][:80]!r}")
    tokens = " ".join(lines).split() if delimiter is None else delimiter.join(lines).split(delimiter)
    try:
        values = np.array(tokens, dtype=np.float32).reshape(len(lines), len(columns))
    except ValueError as error:
        raise CorruptDatasetFileError(builder, path, f"non-numeric value: {error}") from error
    check_points(values, builder=builder, path=path, what="values (line, column)")
    return values


def check_points(points: np.ndarray, *, builder: str, path, what: str = "points") -> None:
    """Raise CorruptDatasetFileError on NaN/inf coordinates."""
    if not np.all(np.isfinite(points)):
        bad = np.argwhere(~np.isfinite(points))[0]
        raise CorruptDatasetFileError(builder, path, f"non-finite (NaN or inf) value in {what} at index "
                                      f"{tuple(int(i) for i in bad)}")


def check_labels(labels: np.ndarray, num_classes: int, *, builder: str, path, what: str = "label") -> None:
    """Raise CorruptDatasetFileError when a label lies outside [0, num_classes)."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise CorruptDatasetFileError(builder, path, f"{what} value {bad} out of range [0, {num_classes})")


def normalize_unit_sphere(points: np.ndarray) -> np.ndarray:
    """Clouds (..., N, 3) -> (..., N, 3) float32, each centred and scaled into the unit sphere, computed in
    float64 by `dcglr_tf.ops.points.normalize_unit_sphere` (the repository's only copy)."""
    return point_ops.normalize_unit_sphere(np.asarray(points, dtype=np.float64)).numpy().astype(np.float32)


def farthest_point_indices(points: np.ndarray, num: int) -> np.ndarray:
    """One cloud (N, 3) -> (min(num, N),) int indices in farthest-point-sampling order from point 0, by
    `dcglr_tf.ops.points.farthest_point_sample` (XLA-compiled); the first k are the FPS selection of k."""
    points = np.asarray(points, dtype=np.float32)
    if num >= len(points):
        return np.arange(len(points))
    return _farthest_point_sample_one(tf.constant(points), int(num)).numpy().astype(np.int64)


@tf.function(jit_compile=True, reduce_retracing=True)
def _farthest_point_sample_one(points, num):  # (N, 3) -> (num,)
    return point_ops.farthest_point_sample(points[None], num)[0]


def farthest_point_order(points: np.ndarray, num_ordered: Optional[int] = None) -> np.ndarray:
    """Clouds (B, N, 3) -> (B, N) int permutations whose first `num_ordered` (default N) entries are in
    farthest-point-sampling order from point 0, the rest in their original order: the order of the
    modelnet40_normal_resampled files, whose first k points are the FPS selection of k, so the usual "first k
    points" protocol reads a uniform cover of the shape at every k <= num_ordered. Exact duplicates (FPS cannot
    order them) go to the end."""
    points = np.asarray(points, dtype=np.float32)
    count = points.shape[1]
    num_ordered = count if num_ordered is None else min(int(num_ordered), count)
    picks = _farthest_point_sample_batch(tf.constant(points), num_ordered).numpy()
    orders = []
    for row in picks:
        unique = row[np.sort(np.unique(row, return_index=True)[1])]
        rest = np.ones(count, bool)
        rest[unique] = False
        orders.append(np.concatenate([unique, np.flatnonzero(rest)]))
    return np.stack(orders)


@tf.function(jit_compile=True, reduce_retracing=True)
def _farthest_point_sample_batch(points, num):  # (B, N, 3) -> (B, num)
    return point_ops.farthest_point_sample(points, num)


def sample_triangles(vertices: np.ndarray, faces: np.ndarray, num: int, rng: np.random.Generator,
                     return_faces: bool = False):
    """Area-weighted uniform samples on a triangle mesh: (points (num,3), normals (num,3)), plus the sampled
    face of each point (num,) when `return_faces`. Normals are unit, by the right-hand rule of each face."""
    tri = vertices[faces]  # (F, 3, 3)
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    double_area = np.sqrt((cross ** 2).sum(axis=1))
    total = double_area.sum()
    if not np.isfinite(total) or total <= 0:
        raise ValueError("mesh has zero surface area")
    cdf = np.cumsum(double_area)
    face = np.minimum(np.searchsorted(cdf, rng.random(num) * cdf[-1], side="right"), len(faces) - 1)
    uv = rng.random((num, 2))
    flip = uv.sum(axis=1) > 1
    uv[flip] = 1 - uv[flip]
    t = tri[face]
    points = t[:, 0] + uv[:, :1] * (t[:, 1] - t[:, 0]) + uv[:, 1:] * (t[:, 2] - t[:, 0])
    normals = cross[face] / np.maximum(double_area[face], 1e-12)[:, None]
    return (points, normals, face) if return_faces else (points, normals)


MODELNET40_CLASS_NAMES = [
    "airplane", "bathtub", "bed", "bench", "bookshelf", "bottle", "bowl", "car", "chair", "cone", "cup",
    "curtain", "desk", "door", "dresser", "flower_pot", "glass_box", "guitar", "keyboard", "lamp", "laptop",
    "mantel", "monitor", "night_stand", "person", "piano", "plant", "radio", "range_hood", "sink", "sofa",
    "stairs", "stool", "table", "tent", "toilet", "tv_stand", "vase", "wardrobe", "xbox",
]

S3DIS_CLASS_NAMES = [
    "ceiling", "floor", "wall", "beam", "column", "window", "door", "table", "chair", "sofa", "bookcase",
    "board", "clutter",
]


def check_class_names(path: pathlib.Path, expected: Sequence[str], *, builder: str) -> None:
    """The class-name list file must hold exactly `expected`, one per line, in order."""
    names = read_list_file(path)
    if names != list(expected):
        detail = (f"{len(names)} names instead of {len(expected)}" if len(names) != len(expected) else
                  "line {} is {!r}, expected {!r}".format(
                      *next((i + 1, a, b) for i, (a, b) in enumerate(zip(names, expected)) if a != b)))
        raise CorruptDatasetFileError(builder, path, f"class names differ from the standard list: {detail}")


def open_h5(path: pathlib.Path, *, builder: str):
    """Open an HDF5 file read-only; CorruptDatasetFileError when it is truncated or not HDF5."""
    import h5py  # pylint: disable=import-outside-toplevel
    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise CorruptDatasetFileError(builder, path, f"cannot be read as HDF5 (truncated or not an HDF5 "
                                      f"file?): {error}") from error


def h5_array(handle, key: str, *, builder: str, path, ndim: int):
    """The dataset `key` of an open HDF5 file, checked for presence and rank."""
    if key not in handle:
        raise CorruptDatasetFileError(builder, path, f"no dataset {key!r} (found: {sorted(handle.keys())})")
    array = handle[key]
    if len(array.shape) != ndim:
        raise CorruptDatasetFileError(builder, path, f"dataset {key!r} has shape {array.shape}, expected "
                                      f"{ndim} dimensions")
    return array


def read_h5_rows(array, start: int, stop: int, *, builder: str, path, key: str) -> np.ndarray:
    """Rows [start, stop) of an HDF5 dataset; CorruptDatasetFileError when the bytes cannot be read."""
    try:
        return np.asarray(array[start:stop])
    except (OSError, RuntimeError, ValueError) as error:
        raise CorruptDatasetFileError(builder, path, f"cannot read rows {start}:{stop} of {key!r} (truncated "
                                      f"file?): {error}") from error


def h5_labelled_clouds(path: pathlib.Path, *, builder: str, num_points: int, num_classes: int, chunk: int = 256):
    """(row, points (num_points, 3) float32, label int) of every cloud of a classification HDF5 file with `data`
    [n, num_points, 3] and `label` [n] or [n, 1] (integers, or floats holding integers), read `chunk` clouds at a
    time. CorruptDatasetFileError naming the file for a missing key, wrong shapes, non-integer or out-of-range
    labels and NaN/inf coordinates."""
    with open_h5(path, builder=builder) as handle:
        data = h5_array(handle, "data", builder=builder, path=path, ndim=3)
        label = handle.get("label")
        if label is None:
            raise CorruptDatasetFileError(builder, path, f"no dataset 'label' (found: {sorted(handle.keys())})")
        n = data.shape[0]
        if data.shape[1:] != (num_points, 3):
            raise CorruptDatasetFileError(builder, path, f"'data' has shape {data.shape}, expected "
                                          f"(n, {num_points}, 3)")
        if label.shape not in ((n, 1), (n,)):
            raise CorruptDatasetFileError(builder, path, f"'label' has shape {label.shape}, expected ({n},) or "
                                          f"({n}, 1) to match 'data'")
        labels = read_h5_rows(label, 0, n, builder=builder, path=path, key="label").reshape(n)
        if not np.issubdtype(labels.dtype, np.integer):
            if not np.all(np.equal(np.mod(labels, 1), 0)):
                raise CorruptDatasetFileError(builder, path, "'label' holds non-integer values")
        labels = labels.astype(np.int64)
        check_labels(labels, num_classes, builder=builder, path=path, what="'label'")
        for start in range(0, n, chunk):
            clouds = read_h5_rows(data, start, min(n, start + chunk), builder=builder, path=path,
                                  key="data").astype(np.float32)
            check_points(clouds, builder=builder, path=path, what=f"'data' (rows from {start})")
            for i, points in enumerate(clouds):
                yield start + i, points, int(labels[start + i])


def xyz_feature(num_points: int, doc=None):
    """TFDS feature of one cloud: float32 (num_points, 3), stored as raw bytes."""
    import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel
    return tfds.features.Tensor(shape=(num_points, 3), dtype=np.float32, encoding=tfds.features.Encoding.BYTES, doc=doc)


def classification_info(builder, *, num_points: int, class_names: Sequence[str], homepage: str, description: str):
    """DatasetInfo of the classification sets (modelnet40_h5, scanobjectnn, synthetic_shapes): `points` float32
    (num_points, 3) and `label`, supervised as (points, label)."""
    import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel
    return builder.dataset_info_from_configs(
        description=description,
        features=tfds.features.FeaturesDict({
            "points": xyz_feature(num_points),
            "label": tfds.features.ClassLabel(names=class_names),
        }),
        supervised_keys=("points", "label"),
        homepage=homepage,
    )


def segmentation_features(num_points: int = 4096):
    """TFDS features of the segmentation sets (s3dis, synthetic_rooms): one block of `num_points` points."""
    import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel
    return tfds.features.FeaturesDict({
        "points": xyz_feature(num_points, doc="x, y relative to the block centre, z (metres)"),
        "features": tfds.features.Tensor(shape=(num_points, 6), dtype=np.float32,
                                        encoding=tfds.features.Encoding.BYTES,
                                        doc="r, g, b in [0, 1]; x, y, z normalised by the room's extent"),
        # A Tensor, not Sequence(ClassLabel): the per-element encoding of a Sequence costs 9 ms per block.
        "labels": tfds.features.Tensor(shape=(num_points,), dtype=np.int64,
                                      encoding=tfds.features.Encoding.BYTES,
                                      doc="per-point class in [0, 13): " + ", ".join(S3DIS_CLASS_NAMES)),
        "room": tfds.features.Text(doc="Area_<k>_<room>"),
    })
