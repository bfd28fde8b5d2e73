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

Instead of a name, a dataset may be a path: a folder of the user's point-cloud and mesh files, a `.npz`/`.npy` of
stacked clouds, or a single file (`dcglr_tf.data.folders` lists them, the `user_files` builder prepares them). Its
`DatasetInfo` comes from `dataset_info(path, num_points=N, labels=CSV, strict=...)`: a folder is prepared at the
run's N points per cloud (a stacked file keeps its clouds whole), once per folder content; every function here takes
that `DatasetInfo` wherever it takes a name. A file that cannot be read is skipped and listed in the prepared
folder's report (`skipped_files`); with `strict=True` any skipped file is a `SkippedFilesError`.

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
from typing import Any, Dict, List, Optional, Tuple

import tensorflow as tf
import tensorflow_datasets as tfds

from dcglr_tf.builders import _builder_utils as _utils
from dcglr_tf.data import folders, readers
from dcglr_tf.utils.runlock import lock_holder

DatasetFileError = _utils.DatasetFileError
DatasetFilesMissingError = _utils.DatasetFilesMissingError
CorruptDatasetFileError = _utils.CorruptDatasetFileError
FILES_BUILDER = "user_files"  # the builder of path datasets
ALL = "all"  # every split of a dataset, as one
SHOWN_SKIPPED = 3  # skipped files a SkippedFilesError names


class SkippedFilesError(DatasetFileError):
    """Files of a path dataset could not be read and strict mode makes that an error."""

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
    name: str = ""  # what results and messages call it: the registered name, or a path dataset's folder or file
    files: Any = None  # path datasets: the user_files FilesConfig (the listing, its split plan, the points per cloud)
    pretrain_split: str = "train"  # what pre-training reads: train, or every split when no folder set them
    strict: bool = False  # path datasets: a file that cannot be read is an error, not a skipped file

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
    """Names accepted by `load_split` and the CLIs' `--dataset`.

    Returns:
        Sorted list of str.
    """
    return sorted(DATASETS)


def is_path(dataset) -> bool:
    """Whether `dataset` names a path rather than a registered dataset.

    Args:
        dataset: str, path-like or `DatasetInfo`.

    Returns:
        bool: True when `dataset` is not a registered name (nor a `DatasetInfo`) and exists, or holds a path separator
        or `~`, or ends in a supported file suffix.
    """
    if isinstance(dataset, DatasetInfo) or dataset in DATASETS:
        return False
    text = os.fspath(dataset)
    return (os.path.exists(os.path.expanduser(text)) or os.sep in text or "/" in text or text.startswith("~")
            or text.lower().endswith(readers.SUPPORTED_SUFFIXES))


def dataset_info(dataset, *, num_points: Optional[int] = None, labels=None, strict: bool = False) -> DatasetInfo:
    """The `DatasetInfo` of a registered name or of a path (a `DatasetInfo` is returned as it is).

    Args:
        dataset: a name of `dataset_names()`, a path (a folder of files, a `.npz`/`.npy` of stacked clouds, or a
            single file), or a DatasetInfo.
        num_points: int or None: the points per cloud a folder is prepared at; None describes the folder (classes,
            splits) without the preparation (`num_points` of the info is then None: any count can be asked).
        labels: a labels CSV for a folder (`dcglr_tf.data.folders`), or None.
        strict: bool, whether a file of a path dataset that cannot be read is an error.

    Returns:
        DatasetInfo.

    Raises:
        ValueError: an unknown name (listing the valid ones), or a path that cannot be a dataset (naming it).
    """
    if isinstance(dataset, DatasetInfo):
        return dataset
    try:
        return dataclasses.replace(DATASETS[dataset], name=dataset)
    except (KeyError, TypeError):
        if dataset is not None and is_path(dataset):
            return _files_info(dataset, num_points, labels, strict)
        raise ValueError(f"unknown dataset {dataset!r}; valid names are: {', '.join(dataset_names())}, or the path of "
                         f"a folder of point or mesh files, or of a .npz/.npy of stacked clouds") from None


def _files_info(path, num_points, labels, strict) -> DatasetInfo:
    listing = folders.scan(path, labels=labels)
    plan = folders.plan_splits(listing)
    config = _import_builder_module(FILES_BUILDER).files_config(listing, plan, num_points)
    classes = listing.class_names
    from_folders = any(entry.split for entry in listing.files) and "train" in plan.names
    return DatasetInfo(
        FILES_BUILDER, config.name, plan.names, "classification" if classes else "pretrain",
        bool(classes) and not listing.unlabelled, len(classes) or None, config.num_points,
        description=f"{listing.root}: {len(listing.files):,} clouds, {len(classes)} classes ({plan.rule})",
        name=listing.root, files=config, pretrain_split="train" if from_folders else "+".join(plan.names),
        strict=strict)


def short_name(dataset) -> str:
    """A dataset's name for run directories and file names.

    Args:
        dataset: a registered name, a path or a `DatasetInfo`.

    Returns:
        str: the registered name, or the name of a path's folder (the stem of a file).
    """
    if isinstance(dataset, DatasetInfo):
        dataset = dataset.name
    if not is_path(dataset):
        return dataset
    path = os.path.abspath(os.path.expanduser(os.fspath(dataset)))
    return os.path.basename(path) if os.path.isdir(path) else os.path.splitext(os.path.basename(path))[0]


def dataset_problem(dataset, splits=("train", "test"), labelled: bool = True) -> str:
    """Why a task cannot run on `dataset`.

    Args:
        dataset: a registered name, a path or a `DatasetInfo`.
        splits: the splits the task reads (`ALL` is always there).
        labelled: bool, whether the task needs every cloud to have a class.

    Returns:
        str: a split of `splits` the dataset lacks, or (with `labelled`) clouds without a class or a dataset that is
        not labelled classification; "" when the task can run.

    Raises:
        ValueError: an unknown dataset name.
    """
    info = dataset_info(dataset)
    if labelled and info.files is not None and folders.label_problem(info.files.listing):
        return folders.label_problem(info.files.listing)
    if labelled and (info.kind != "classification" or not info.has_labels):
        named = [n for n in dataset_names() if DATASETS[n].kind == "classification"]
        return (f"{info.name!r} is a {info.kind} dataset{'' if info.has_labels else ' without labels'}; use one "
                f"of: {', '.join(named)}, or a folder of files in class folders")
    missing = next((s for s in splits if s != ALL and s not in info.splits), None)
    if missing is None:
        return ""
    if info.files is not None and info.files.plan.problem:
        return info.files.plan.problem
    return f"{info.name!r} has no {missing} split; its splits: {', '.join(info.splits)}"


def check_num_points(name, num_points: int) -> None:
    """Checks that the clouds of `name` store at least `num_points` points.

    Args:
        name: a registered name, a path or a `DatasetInfo`.
        num_points: int, the points per cloud asked for.

    Raises:
        ValueError: when the dataset stores fewer than `num_points` points per cloud, or `name` is unknown.
    """
    info = dataset_info(name)
    stored = info.num_points
    if stored is not None and num_points > stored:
        raise ValueError(f"num_points={num_points}: dataset {info.name!r} stores {stored} points per cloud, fewer "
                         f"than asked (--num_points must be at most {stored})")


def _import_builder_module(builder: str):
    return importlib.import_module(f"dcglr_tf.builders.{builder}.{builder}_dataset_builder")


def _builder(name, data_dir: Optional[str]) -> tfds.core.DatasetBuilder:
    info = dataset_info(name)
    module = _import_builder_module(info.builder)
    data_dir = os.fspath(data_dir) if data_dir is not None else None
    if info.files is not None:
        return module.Builder(config=info.files, data_dir=data_dir)
    return tfds.builder(info.tfds_name, data_dir=data_dir)


def is_prepared(name, *, data_dir=None) -> bool:
    """Whether `name` is already prepared in `data_dir` (then `prepare` and `load_split` only read it).

    Args:
        name: a registered name, a path or a `DatasetInfo`.
        data_dir: TFDS data directory, or None for TFDS's default.

    Returns:
        bool.
    """
    return _builder(name, data_dir).is_prepared()


def prepare(name, *, data_dir=None, manual_dir=None, on_wait=None, on_progress=None) -> tfds.core.DatasetBuilder:
    """Prepares `name` once into `data_dir` (no-op when already prepared) and returns its TFDS builder.

    One process prepares a dataset version at a time: a second one waits for the first and then finds the data
    prepared. TFDS writes into an `incomplete.*` folder that is renamed when whole; a preparation killed with SIGKILL
    leaves that folder behind, and the next preparation deletes it (holding the lock, no other process can be writing
    it).

    Args:
        name: a registered name, a path or a `DatasetInfo`.
        data_dir: TFDS data directory, or None for TFDS's default.
        manual_dir: folder of a real dataset's files, or None for TFDS's default (`<data_dir>/downloads/manual`).
        on_wait: optional callable, `on_wait(message)` is called once when this process starts waiting for another.
        on_progress: optional callable; a path dataset calls `on_progress(1)` after each file read.

    Returns:
        `tfds.core.DatasetBuilder`.

    Raises:
        ValueError: an unknown dataset name.
        DatasetFilesMissingError, CorruptDatasetFileError: missing or corrupt input files.
        SkippedFilesError: a strict path dataset with skipped files (also when it was prepared before).
    """
    info = dataset_info(name)
    builder = _builder(info, data_dir)
    if not builder.is_prepared():
        with _preparation_lock(builder, info.name, on_wait):
            builder = _builder(info, data_dir)  # another process may have prepared it while this one waited
            if not builder.is_prepared():
                for stale in _incomplete_folders(builder):
                    shutil.rmtree(stale, ignore_errors=True)
                config = tfds.download.DownloadConfig(
                    manual_dir=os.fspath(manual_dir) if manual_dir is not None else None)
                builder.on_progress = on_progress
                builder.download_and_prepare(download_config=config)
    if info.strict:
        _check_nothing_skipped(info, builder)
    return builder


def skipped_files(dataset, *, data_dir=None) -> Tuple[List[Dict[str, str]], Optional[str]]:
    """The files of a prepared path dataset that could not be read.

    Args:
        dataset: a registered name, a path or a `DatasetInfo`.
        data_dir: TFDS data directory, or None for TFDS's default.

    Returns:
        Tuple `([{"file": relative path, "reason": ...}], path of the report listing them)`; `([], None)` for a
        registered dataset.
    """
    info = dataset_info(dataset)
    return _skipped(info, _builder(info, data_dir))


def _skipped(info, builder):
    if info.files is None:
        return [], None
    module = _import_builder_module(FILES_BUILDER)
    report = os.path.join(os.fspath(builder.data_dir), module.REPORT_FILE)
    return module.read_report(builder.data_dir)["skipped"], report


def _check_nothing_skipped(info, builder):
    skipped, report = _skipped(info, builder)
    if skipped:
        first = "; ".join(f"{s['file']}: {s['reason']}" for s in skipped[:SHOWN_SKIPPED])
        more = "; ..." if len(skipped) > SHOWN_SKIPPED else ""
        raise SkippedFilesError(f"{info.name}: {len(skipped):,} of its {len(info.files.listing.files):,} files cannot "
                                f"be read, an error in strict mode: {first}{more} (all of them: {report})")


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


def split_of(name, split: str) -> str:
    """`split` checked against the dataset's splits, `ALL` written out as every split joined by `+`.

    Args:
        name: a registered name, a path or a `DatasetInfo`.
        split: str, a split name, `ALL`, or TFDS slicing such as `"train[:10%]"` or `"train+test"`.

    Returns:
        str, the TFDS split.

    Raises:
        ValueError: a split the dataset does not have, or an unknown dataset name.
    """
    info = dataset_info(name)
    if split == ALL:
        return "+".join(info.splits)
    for part in split.split("+"):
        if part.split("[", 1)[0] not in info.splits:
            raise ValueError(f"dataset {info.name!r} has no split {split!r}; its splits are: {', '.join(info.splits)}")
    return split


def load_split(name, split: str, *, data_dir=None, manual_dir=None,
               shuffle_files: bool = False) -> tf.data.Dataset:
    """A `tf.data.Dataset` of one split of `name` as plain dicts (see the module docstring).

    Prepares the dataset first if needed, reading real datasets' files from `manual_dir`.

    Args:
        name: a registered name, a path or a `DatasetInfo`.
        split: str, a split name of the dataset, or `ALL` (TFDS slicing like `"train[:10%]"` and `"train+test"` are
            accepted too).
        data_dir: TFDS data directory, or None for TFDS's default.
        manual_dir: folder of a real dataset's files, or None for TFDS's default (`<data_dir>/downloads/manual`).
        shuffle_files: bool, passed to TFDS's `as_dataset`.

    Returns:
        `tf.data.Dataset` of dicts: `{"points": float32 (n, 3), "label": int64 ()}` (plus `"parts": int64 (n,)` with
        part labels), or for segmentation `{"points", "labels", "features", "room"}`.

    Raises:
        ValueError, DatasetFileError: as `split_of` and `prepare`.
    """
    info = dataset_info(name)
    split = split_of(info, split)
    builder = prepare(info, data_dir=data_dir, manual_dir=manual_dir)
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


def num_examples(name, split: str, *, data_dir=None, manual_dir=None) -> int:
    """Number of examples of `split` (prepares the dataset if needed).

    Args:
        name: a registered name, a path or a `DatasetInfo`.
        split: str, as in `split_of`.
        data_dir: TFDS data directory, or None for TFDS's default.
        manual_dir: folder of a real dataset's files, or None for TFDS's default.

    Returns:
        int.
    """
    split = split_of(name, split)
    builder = prepare(name, data_dir=data_dir, manual_dir=manual_dir)
    return int(builder.info.splits[split].num_examples)


def objects(name, split: str, *, data_dir=None) -> List[str]:
    """What each cloud of `split` of a path dataset was sampled from, in the order of `load_split`.

    Args:
        name: a path or its `DatasetInfo`.
        split: str, as in `split_of`.
        data_dir: TFDS data directory, or None for TFDS's default.

    Returns:
        List of str: each cloud's own name, or a stacked file's `object`.
    """
    info = dataset_info(name)
    builder = prepare(info, data_dir=data_dir)
    examples = builder.as_dataset(split=split_of(info, split), decoders={"points": tfds.decode.SkipDecoding()})
    return [value.decode() for value in examples.map(lambda example: example["object"]).as_numpy_iterator()]


def class_names(name, *, data_dir=None, manual_dir=None) -> List[str]:
    """Class names of `name` (cloud classes, or per-point classes for segmentation).

    Names are fixed by the builders (a path dataset: its listing), so this does not need the data prepared.

    Args:
        name: a registered name, a path or a `DatasetInfo`.
        data_dir: TFDS data directory, or None for TFDS's default.
        manual_dir: unused, accepted for a uniform signature.

    Returns:
        List of str; [] when unlabelled.
    """
    del manual_dir
    info = dataset_info(name)
    if info.files is not None:
        return list(info.files.class_names)
    features = _builder(name, data_dir).info.features
    key = "labels" if info.kind == "segmentation" else "label"
    feature = features[key] if key in features else None
    if isinstance(feature, tfds.features.ClassLabel):
        return list(feature.names)
    # Per-point labels are stored as int64 tensors; their names live in the builder module.
    return list(getattr(_import_builder_module(info.builder), "CLASS_NAMES", []))


def category_parts(name) -> List[List[int]]:
    """Global part ids of each category of a dataset with part labels, in category (class-label) order.

    Built from the builder module's `CATEGORIES` (class-label order) and `PART_NAMES` (category -> part names): global
    ids are consecutive per category in `CATEGORIES` order, e.g. shapenetpart -> [[0, 1, 2, 3], [4, 5], ...].

    Args:
        name: a registered name or a `DatasetInfo`.

    Returns:
        List of lists of int.

    Raises:
        ValueError: a dataset without part labels, or one whose `PART_NAMES` disagree with its `num_parts`.
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
    """Part names of a dataset with part labels, in global part-id order.

    Category by category, as `category_parts` numbers them; a name may recur in several categories, e.g.
    shapenetpart's "wheel".

    Args:
        name: a registered name or a `DatasetInfo`.

    Returns:
        List of str.

    Raises:
        ValueError: as `category_parts`.
    """
    category_parts(name)  # checks that the dataset has part labels and that the builder's tables agree
    module = _import_builder_module(dataset_info(name).builder)
    return [part for category in module.CATEGORIES for part in module.PART_NAMES[category]]
