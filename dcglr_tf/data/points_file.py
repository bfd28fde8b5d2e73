"""Clouds from a user's NumPy file: `.npz` with an (M, N, 3) array under key `points` or `data` (STRL's ShapeNet
file uses `data`), or a `.npy` holding the array itself. Columns beyond the third (normals, colours) are dropped.
An `.npz` may also name each cloud's class: an (M,) array of strings under key `class_name` (the transfer task
scores each cloud against its own class then, and the kNN task's leave-one-out runs on the file), its split under
key `split` (`train`, `val` or `test`), and the object each cloud was sampled from under key `object` (clouds of one
object are never each other's neighbours there). Every problem (missing file, unreadable file, no such key, wrong
shape, NaN/Inf) is a ValueError naming the file.
"""

import os
import zipfile

import numpy as np

POINT_KEYS = ("points", "data")
CLASS_KEY = "class_name"
SPLIT_KEY = "split"
OBJECT_KEY = "object"
HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def _read_array(path):
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):  # a .npy file
            return loaded
        with loaded:
            key = next((k for k in POINT_KEYS if k in loaded.files), None)
            if key is None:
                raise KeyError(", ".join(loaded.files) or "none")
            return loaded[key]
    except KeyError as error:
        raise ValueError(f"points file {path}: no array under the key 'points' or 'data' (its keys: "
                         f"{error.args[0]})") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"points file {path} is not a readable NumPy .npz/.npy file: {error}") from None


def load_points_file(path, min_points=1):
    """float32 (M, N, 3) clouds of `path` (`.npz`: key `points` or `data`; `.npy`: the array); N >= `min_points`."""
    path = os.fspath(os.path.expanduser(path))
    if not os.path.isfile(path):
        raise ValueError(f"points file {path} does not exist")
    array = _read_array(path)
    if array.dtype.kind not in "fiu" or array.ndim != 3 or array.shape[-1] < 3:
        raise ValueError(f"points file {path}: expected an (M, N, 3) numeric array of M clouds of N points, got "
                         f"shape {list(array.shape)} of {array.dtype}")
    points = np.ascontiguousarray(array[..., :3], dtype=np.float32)
    if points.shape[0] < 1 or points.shape[1] < min_points:
        raise ValueError(f"points file {path}: {points.shape[0]} clouds of {points.shape[1]} points; at least one "
                         f"cloud of {min_points} points is needed")
    bad = ~np.isfinite(points).all(axis=(1, 2))
    if bad.any():
        raise ValueError(f"points file {path}: {int(bad.sum())} clouds contain NaN or Inf values (first: cloud "
                         f"{int(np.flatnonzero(bad)[0])})")
    return points


def load_file_classes(path, num_clouds):
    """The (num_clouds,) class names stored under `class_name` in the `.npz` file `path`, as a list of str, or None
    when the file holds none (a `.npy` never does); a ValueError naming the file when they do not fit its clouds."""
    return load_file_strings(path, CLASS_KEY, num_clouds)


def load_file_objects(path, num_clouds):
    """The (num_clouds,) object names stored under `object` (which object each cloud was sampled from), as
    `load_file_classes` reads class names; None when the file holds none."""
    return load_file_strings(path, OBJECT_KEY, num_clouds)


def array_shape(path):
    """The shape of the clouds array of `path` (`.npz`: key `points` or `data`; `.npy`: the array), read from its
    header without loading it; a ValueError naming the file when it has none."""
    path = os.fspath(path)
    try:
        if path.lower().endswith(".npy"):
            return tuple(np.load(path, mmap_mode="r", allow_pickle=False).shape)
        with zipfile.ZipFile(path) as archive:
            key = next((k for k in POINT_KEYS if f"{k}.npy" in archive.namelist()), None)
            if key is None:
                raise ValueError(f"points file {path}: no array under the key 'points' or 'data' (its keys: "
                                 f"{', '.join(n[:-4] for n in archive.namelist()) or 'none'})")
            with archive.open(f"{key}.npy") as handle:
                read_header = HEADER_READERS.get(np.lib.format.read_magic(handle))
                if read_header is None:
                    raise ValueError("unsupported .npy format version")
                return tuple(read_header(handle)[0])
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"points file {path} is not a readable NumPy .npz/.npy file: {error}") from None


def read_stacked(path):
    """float32 (M, N, 3) clouds of `path` (`.npz`: key `points` or `data`; `.npy`: the array), columns beyond the
    third dropped; NaN and Inf are kept (a cloud holding them is the caller's to reject)."""
    path = os.fspath(os.path.expanduser(path))
    if not os.path.isfile(path):
        raise ValueError(f"points file {path} does not exist")
    array = _read_array(path)
    if array.dtype.kind not in "fiu" or array.ndim != 3 or array.shape[-1] < 3 or 0 in array.shape:
        raise ValueError(f"points file {path}: expected an (M, N, 3) numeric array of M clouds of N points, got "
                         f"shape {list(array.shape)} of {array.dtype}")
    return np.ascontiguousarray(array[..., :3], dtype=np.float32)


def load_file_strings(path, key, num_clouds):
    """The (num_clouds,) strings stored under `key` (`class_name`, `split`, `object`) in the `.npz` file `path`, as a
    list of str, or None when the file holds none (a `.npy` never does); a ValueError naming the file when they do
    not fit its clouds."""
    path = os.fspath(os.path.expanduser(path))
    loaded = np.load(path, allow_pickle=False)
    if isinstance(loaded, np.ndarray):
        return None
    with loaded:
        if key not in loaded.files:
            return None
        try:
            names = loaded[key]
        except ValueError as error:  # an object array: pickles are not read
            raise ValueError(f"points file {path}: '{key}' must be an array of strings ({error})") from None
    if names.dtype.kind not in "US" or names.shape != (num_clouds,):
        raise ValueError(f"points file {path}: '{key}' must be ({num_clouds},) strings, one per cloud; got "
                         f"shape {list(names.shape)} of {names.dtype}")
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names.tolist()]
