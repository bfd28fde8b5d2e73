"""shapenet: ShapeNet as processed by STRL (`shapenet57448xyzonly.npz`), the DCGLR pre-training set.

One `.npz` whose array `data` holds 57,448 clouds x 2048 points (xyz; only the first 3 columns are used when
there are more). The file has no labels: `label` is -1, unless the archive also holds an integer array `label`
(or `labels`) with one entry per cloud, which is then kept. Points are stored as published.

The archive is streamed: the `data` member is read in chunks straight from the zip (stored or deflated), so
preparation needs memory for one chunk, not for the 1.4 GB array, and reads the file once.
"""

import pathlib
import zipfile
import zlib

import numpy as np
import tensorflow_datasets as tfds

from dcglr_tf.builders import _builder_utils as utils

NAME = "shapenet"
FILE_NAME = "shapenet57448xyzonly.npz"
NUM_POINTS = 2048
EXPECTED_FILES = [FILE_NAME + " (numpy .npz, array 'data' of shape (57448, 2048, 3))"]
LABEL_KEYS = ("label", "labels")
CHUNK = 512  # clouds per read (512 x 2048 x 3 float32 = 12 MB)


def _read_npy_header(handle, path):
    try:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(handle)
        if version == (2, 0):
            return np.lib.format.read_array_header_2_0(handle)
        raise ValueError(f"unsupported .npy format version {version}")
    except ValueError as error:
        raise utils.CorruptDatasetFileError(NAME, path, f"array 'data' has no valid .npy header: {error}") from error


def stream_npz_array(path: pathlib.Path, key: str = "data", chunk: int = CHUNK):
    """Yield (start, rows) chunks of array `key` of an .npz without loading the whole array."""
    member = key + ".npy"
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise utils.CorruptDatasetFileError(NAME, path, f"not a readable .npz (zip) archive (truncated?): "
                                            f"{error}") from error
    with archive:
        names = archive.namelist()
        if member not in names:
            raise utils.CorruptDatasetFileError(
                NAME, path, f"no array {key!r} in the archive (arrays: {[n[:-4] for n in names]})")
        try:
            with archive.open(member) as handle:
                shape, fortran_order, dtype = _read_npy_header(handle, path)
                if len(shape) != 3 or shape[1] != NUM_POINTS or shape[2] < 3:
                    raise utils.CorruptDatasetFileError(
                        NAME, path, f"array {key!r} has shape {shape}, expected (n, {NUM_POINTS}, 3) (xyz first)")
                if fortran_order:
                    raise utils.CorruptDatasetFileError(NAME, path, f"array {key!r} is Fortran-ordered; save it "
                                                        "C-ordered (np.ascontiguousarray) to stream it")
                if dtype.kind != "f":
                    raise utils.CorruptDatasetFileError(NAME, path, f"array {key!r} has dtype {dtype}, expected "
                                                        "floating point")
                yield shape  # first item: the shape
                row_bytes = int(np.prod(shape[1:])) * dtype.itemsize
                for start in range(0, shape[0], chunk):
                    rows = min(chunk, shape[0] - start)
                    raw = handle.read(rows * row_bytes)
                    if len(raw) != rows * row_bytes:
                        raise utils.CorruptDatasetFileError(
                            NAME, path, f"array {key!r} ends after {start + len(raw) // row_bytes} of {shape[0]} "
                            "clouds (truncated file)")
                    yield start, np.frombuffer(raw, dtype=dtype).reshape((rows,) + tuple(shape[1:]))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise utils.CorruptDatasetFileError(NAME, path, f"archive member {member!r} cannot be read "
                                                f"(truncated or damaged file): {error}") from error


def _read_labels(path: pathlib.Path, count: int):
    """The optional per-cloud label array, or None."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            key = next((k for k in LABEL_KEYS if k in npz.files), None)
            if key is None:
                return None
            labels = np.asarray(npz[key])
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise utils.CorruptDatasetFileError(NAME, path, f"cannot read the label array: {error}") from error
    labels = labels.reshape(-1) if labels.ndim == 2 and labels.shape[1] == 1 else labels
    if labels.shape != (count,) or labels.dtype.kind not in "iu":
        raise utils.CorruptDatasetFileError(NAME, path, f"array {key!r} has shape {labels.shape} and dtype "
                                            f"{labels.dtype}, expected ({count},) integers")
    if labels.size and labels.min() < -1:
        raise utils.CorruptDatasetFileError(NAME, path, f"array {key!r} holds label {labels.min()} < -1")
    return labels.astype(np.int64)


class Builder(tfds.core.GeneratorBasedBuilder):
    """ShapeNet (STRL processing, 57,448 x 2048 xyz), from the user's file; pre-training set."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: `train` split of the STRL ShapeNet npz, streamed."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
Put `{FILE_NAME}` (the ShapeNet pre-training set as processed by STRL, Huang et al. 2021, array `data` of
57,448 clouds x 2048 xyz points) into the manual directory (`--manual_dir`, TFDS default
`<data_dir>/downloads/manual`). Users usually get it from the download link in the STRL repository's README
(github.com/yichen928/STRL) or from the self-supervised point-cloud repositories that reuse it.
"""

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description=__doc__,
            features=tfds.features.FeaturesDict({
                "points": utils.xyz_feature(NUM_POINTS),
                "label": tfds.features.Scalar(dtype=np.int64, doc="category index, -1 when the file has none"),
            }),
            homepage="https://shapenet.org/",
        )

    def _split_generators(self, dl_manager):
        root = utils.manual_dir_of(dl_manager, NAME, EXPECTED_FILES, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        path = utils.find_file(root, FILE_NAME, builder=NAME, expected=EXPECTED_FILES,
                               instructions=self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        return {"train": self._generate_examples(path)}

    def _generate_examples(self, path):
        stream = stream_npz_array(path)
        shape = next(stream)
        labels = _read_labels(path, shape[0])
        for start, chunk in stream:
            xyz = np.ascontiguousarray(chunk[:, :, :3], dtype=np.float32)
            utils.check_points(xyz, builder=NAME, path=path, what=f"'data' (clouds from {start})")
            for i, points in enumerate(xyz):
                index = start + i
                yield index, {"points": points, "label": -1 if labels is None else int(labels[index])}
