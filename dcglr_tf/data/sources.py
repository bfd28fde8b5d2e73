"""Dataset sources: the single entry the rest of dcglr_tf uses to read point-cloud datasets.

Every dataset is a TFDS builder of the sub-package `dcglr_tf.builders` (TFDS's own layout,
`dcglr_tf/builders/<builder>/<builder>_dataset_builder.py`). `load_split` imports the builder module (which registers
it with TFDS), prepares it once into `data_dir` (TFDS's default `~/tensorflow_datasets` when None), reading the
user's files from `manual_dir` for real datasets, and returns a `tf.data.Dataset` of plain dicts:

- classification / pretrain sets: `{"points": float32 (n, 3), "label": int64 scalar}` (label -1 where the
  dataset has none); sets with part labels (`DatasetInfo.num_parts`) add `"parts": int64 (n,)`, global part ids
  (ShapeNetPart convention: ids run over all categories' parts),
- segmentation sets: `{"points": float32 (4096, 3), "labels": int64 (4096,), "features": float32 (4096, 6),
  "room": string}`.

Missing or corrupt input files raise `DatasetFilesMissingError` / `CorruptDatasetFileError` (both
`ValueError`s) with a message naming the builder, the directory searched and the files expected; TFDS writes
into a temporary directory that is renamed only on success, so a failed preparation leaves nothing behind
that a later run would take for prepared data. One process prepares a dataset version at a time (`prepare`).
"""

import contextlib
import dataclasses
import fcntl
import glob
import importlib
import os
import shutil
from typing import Dict, List, Optional, Tuple

import tensorflow as tf
import tensorflow_datasets as tfds

from dcglr_tf.builders import _builder_utils as _utils
from dcglr_tf.utils.runlock import lock_holder

DatasetFileError = _utils.DatasetFileError
DatasetFilesMissingError = _utils.DatasetFilesMissingError
CorruptDatasetFileError = _utils.CorruptDatasetFileError

S3DIS_CLASS_NAMES = ["ceiling", "floor", "wall", "beam", "column", "window", "door", "table", "chair", "sofa",
                     "bookcase", "board", "clutter"]
AREA_SPLITS = tuple(f"area{k}" for k in range(1, 7))


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What the library needs to know about one dataset name."""

    builder: str  # TFDS builder name (= folder in dcglr_tf/builders/)
    config: Optional[str]  # TFDS BuilderConfig name, None for builders without configs
    splits: Tuple[str, ...]
    kind: str  # "classification" | "pretrain" | "segmentation"
    has_labels: bool  # per-cloud labels (classification) or per-point labels (segmentation)
    num_classes: Optional[int]
    num_points: int  # points per example as stored
    embedded: bool = False  # generated procedurally, no files needed
    description: str = ""
    num_parts: Optional[int] = None  # classification sets with a part label per point: global part ids 0..num_parts-1

    @property
    def tfds_name(self) -> str:
        return self.builder if self.config is None else f"{self.builder}/{self.config}"


DATASETS: Dict[str, DatasetInfo] = {
    "synthetic_shapes": DatasetInfo(
        "synthetic_shapes", None, ("train", "test"), "classification", True, 14, 2048, embedded=True,
        description="embedded default: 14 procedural shape classes, 1,400 train / 560 test clouds"),
    "synthetic_objects": DatasetInfo(
        "synthetic_objects", None, ("train", "test"), "classification", True, 40, 2048, embedded=True,
        description="embedded corpus: the 40 ModelNet40 categories as procedural man-made objects with part "
                    "labels, 12,000 train / 3,000 test clouds", num_parts=148),
    "synthetic_rooms": DatasetInfo(
        "synthetic_rooms", None, AREA_SPLITS, "segmentation", True, 13, 4096, embedded=True,
        description="embedded segmentation default: procedural rooms in S3DIS-style 1 m blocks, areas 1-6"),
    "shapenet": DatasetInfo(
        "shapenet", None, ("train",), "pretrain", False, None, 2048,
        description="ShapeNet (STRL processing, shapenet57448xyzonly.npz): 57,448 unlabelled clouds"),
    "modelnet40_h5": DatasetInfo(
        "modelnet40_h5", None, ("train", "test"), "classification", True, 40, 2048,
        description="ModelNet40 modelnet40_ply_hdf5_2048: 9,840 train / 2,468 test"),
    "modelnet40_cad": DatasetInfo(
        "modelnet40_cad", "resampled_first2048", ("train", "test"), "classification", True, 40, 2048,
        description="ModelNet40 modelnet40_normal_resampled, first 2048 of the 10,000 points (PointNet++)"),
    "modelnet40_cad_fps": DatasetInfo(
        "modelnet40_cad", "resampled_fps2048", ("train", "test"), "classification", True, 40, 2048,
        description="ModelNet40 modelnet40_normal_resampled, 2048 points by farthest point sampling"),
    "modelnet40_off": DatasetInfo(
        "modelnet40_cad", "off_fps2048", ("train", "test"), "classification", True, 40, 2048,
        description="raw ModelNet40 OFF meshes, area-weighted surface samples, 2048 points by FPS"),
    "s3dis": DatasetInfo(
        "s3dis", None, AREA_SPLITS, "segmentation", True, 13, 4096,
        description="S3DIS indoor3d_sem_seg_hdf5_data: 1 m blocks of 4096 points, one split per area"),
    "scanobjectnn": DatasetInfo(
        "scanobjectnn", "pb_t50_rs", ("train", "test"), "classification", True, 15, 2048,
        description="ScanObjectNN PB_T50_RS (h5_files/main_split/*_augmentedrot_scale75.h5): 11,416 / 2,882"),
    "scanobjectnn_obj_bg": DatasetInfo(
        "scanobjectnn", "obj_bg", ("train", "test"), "classification", True, 15, 2048,
        description="ScanObjectNN OBJ_BG (h5_files/main_split/*_objectdataset.h5): 2,309 / 581"),
    "scanobjectnn_obj_only": DatasetInfo(
        "scanobjectnn", "obj_only", ("train", "test"), "classification", True, 15, 2048,
        description="ScanObjectNN OBJ_ONLY (h5_files/main_split_nobg/*_objectdataset.h5): 2,309 / 581"),
    "shapenetpart": DatasetInfo(
        "shapenetpart", None, ("train", "val", "test"), "classification", True, 16, 2048, num_parts=50,
        description="ShapeNetPart (..._v0_normal): 16 categories, 50 parts, 12,137 / 1,870 / 2,874 shapes"),
}


def dataset_names() -> List[str]:
    """Names accepted by `load_split` and the CLIs' `--dataset`."""
    return sorted(DATASETS)


def dataset_info(name: str) -> DatasetInfo:
    """The `DatasetInfo` of `name`; ValueError listing the valid names when unknown."""
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown dataset {name!r}; valid names are: {', '.join(dataset_names())}") from None


def check_num_points(name: str, num_points: int) -> None:
    """ValueError when the clouds of `name` store fewer than `num_points` points (or `name` is unknown)."""
    stored = dataset_info(name).num_points
    if num_points > stored:
        raise ValueError(f"num_points={num_points}: dataset {name!r} stores {stored} points per cloud, fewer than "
                         f"asked (--num_points must be at most {stored})")


def _import_builder_module(builder: str):
    return importlib.import_module(f"dcglr_tf.builders.{builder}.{builder}_dataset_builder")


def _builder(name: str, data_dir: Optional[str]) -> tfds.core.DatasetBuilder:
    info = dataset_info(name)
    _import_builder_module(info.builder)
    data_dir = os.fspath(data_dir) if data_dir is not None else None
    return tfds.builder(info.tfds_name, data_dir=data_dir)


def is_prepared(name: str, *, data_dir=None) -> bool:
    """Whether `name` is already prepared in `data_dir` (then `prepare` and `load_split` only read it)."""
    return _builder(name, data_dir).is_prepared()


def prepare(name: str, *, data_dir=None, manual_dir=None, on_wait=None) -> tfds.core.DatasetBuilder:
    """Prepare `name` once into `data_dir` (no-op when already prepared) and return its TFDS builder.

    One process prepares a dataset version at a time: a second one waits for the first (`on_wait(message)` is
    called once when it starts waiting) and then finds the data prepared. TFDS writes into an `incomplete.*`
    folder that is renamed when whole; a preparation killed with SIGKILL leaves that folder behind, and the next
    preparation deletes it (holding the lock, no other process can be writing it).
    """
    builder = _builder(name, data_dir)
    if builder.is_prepared():
        return builder
    with _preparation_lock(builder, name, on_wait):
        builder = _builder(name, data_dir)  # another process may have prepared it while this one waited
        if not builder.is_prepared():
            for stale in _incomplete_folders(builder):
                shutil.rmtree(stale, ignore_errors=True)
            config = tfds.download.DownloadConfig(
                manual_dir=os.fspath(manual_dir) if manual_dir is not None else None)
            builder.download_and_prepare(download_config=config)
    return builder


def _incomplete_folders(builder) -> List[str]:
    """TFDS's temporary folders of `builder`'s version:
    `<dataset folder>/incomplete.<6 random characters>_<version>`."""
    folder, version = os.path.split(os.fspath(builder.data_dir).rstrip("/"))
    return glob.glob(os.path.join(glob.escape(folder), f"incomplete.*_{version}"))


@contextlib.contextmanager
def _preparation_lock(builder, name, on_wait):
    """Hold `<dataset folder>/.prepare-<version>.lock` (an `fcntl.flock`, dropped when its process ends, however it
    ends) for the block, waiting for the process that holds it. A data_dir on a remote file system TFDS reads
    through its own file layer (`gs://...`) has no such lock: the block runs as TFDS alone would run it."""
    folder, version = os.path.split(os.fspath(builder.data_dir).rstrip("/"))
    if "://" in folder:
        yield
        return
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f".prepare-{version}.lock"), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(f"waiting for {lock_holder(handle)}, which is preparing {name} in {folder} ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


def _check_split(name: str, split: str) -> None:
    info = dataset_info(name)
    base = split.split("[", 1)[0].split("+", 1)[0]
    if base not in info.splits:
        raise ValueError(f"dataset {name!r} has no split {split!r}; its splits are: {', '.join(info.splits)}")


def load_split(name: str, split: str, *, data_dir=None, manual_dir=None,
               shuffle_files: bool = False) -> tf.data.Dataset:
    """A `tf.data.Dataset` of one split of `name` as plain dicts (see the module docstring).

    `split` is a split name of the dataset (TFDS slicing like `"train[:10%]"` is accepted too). Prepares the
    dataset first if needed, reading real datasets' files from `manual_dir` (TFDS's default
    `<data_dir>/downloads/manual` when None).
    """
    info = dataset_info(name)
    _check_split(name, split)
    builder = prepare(name, data_dir=data_dir, manual_dir=manual_dir)
    ds = builder.as_dataset(split=split, shuffle_files=shuffle_files)
    if info.kind == "segmentation":
        def convert(example):
            return {
                "points": tf.cast(example["points"], tf.float32),
                "labels": tf.cast(example["labels"], tf.int64),
                "features": tf.cast(example["features"], tf.float32),
                "room": example["room"],
            }
    else:
        def convert(example):
            label = example["label"] if "label" in example else tf.constant(-1, tf.int64)
            converted = {"points": tf.cast(example["points"], tf.float32), "label": tf.cast(label, tf.int64)}
            if info.num_parts:
                converted["parts"] = tf.cast(example["parts"], tf.int64)
            return converted
    return ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def num_examples(name: str, split: str, *, data_dir=None, manual_dir=None) -> int:
    """Number of examples of `split` (prepares the dataset if needed)."""
    _check_split(name, split)
    builder = prepare(name, data_dir=data_dir, manual_dir=manual_dir)
    return int(builder.info.splits[split].num_examples)


def class_names(name: str, *, data_dir=None, manual_dir=None) -> List[str]:
    """Class names of `name` (cloud classes, or per-point classes for segmentation); [] when unlabelled.

    Names are fixed by the builders, so this does not need the data prepared; `manual_dir` is accepted for a
    uniform signature.
    """
    del manual_dir
    info = dataset_info(name)
    features = _builder(name, data_dir).info.features
    key = "labels" if info.kind == "segmentation" else "label"
    feature = features[key] if key in features else None
    if isinstance(feature, tfds.features.ClassLabel):
        return list(feature.names)
    # Per-point labels are stored as int64 tensors; their names live in the builder module.
    return list(getattr(_import_builder_module(info.builder), "CLASS_NAMES", []))


def category_parts(name: str) -> List[List[int]]:
    """Global part ids of each category of a dataset with part labels, in category (class-label) order.

    Built from the builder module's `CATEGORIES` (class-label order) and `PART_NAMES` (category -> part names):
    global ids are consecutive per category in `CATEGORIES` order, e.g. shapenetpart -> [[0, 1, 2, 3], [4, 5], ...].
    ValueError for a dataset without part labels.
    """
    info = dataset_info(name)
    if not info.num_parts:
        with_parts = [n for n in dataset_names() if DATASETS[n].num_parts]
        raise ValueError(f"dataset {name!r} has no part labels; datasets with part labels: {', '.join(with_parts)}")
    module = _import_builder_module(info.builder)
    ids, start = [], 0
    for category in module.CATEGORIES:
        count = len(module.PART_NAMES[category])
        ids.append(list(range(start, start + count)))
        start += count
    if start != info.num_parts:
        raise ValueError(f"dataset {name!r}: PART_NAMES of {module.__name__} name {start} parts, its DatasetInfo "
                         f"says num_parts={info.num_parts}")
    return ids


def part_names(name: str) -> List[str]:
    """Part names of a dataset with part labels, in global part-id order (category by category, as `category_parts`
    numbers them; a name may recur in several categories, e.g. shapenetpart's "wheel"). ValueError for a dataset
    without part labels."""
    category_parts(name)  # checks that the dataset has part labels and that the builder's tables agree
    module = _import_builder_module(dataset_info(name).builder)
    return [part for category in module.CATEGORIES for part in module.PART_NAMES[category]]
