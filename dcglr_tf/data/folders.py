"""A user's folder of point-cloud and mesh files (or one NumPy file of stacked clouds) as a list of clouds, each with
its class and split.

    listing = scan("~/shapes")                    # every file of readers.SUPPORTED_SUFFIXES below it, sorted
    plan = plan_splits(listing)                   # train / test (/ val) for every file

Rules:
- A folder is searched recursively; files and folders whose names start with a dot, and `__MACOSX` folders, are
  ignored. Files are sorted by their path relative to the folder (POSIX separators), so a listing is the same on
  every run and every machine.
- The class of a file is the name of its folder; `train`, `test` and `val` folders set the split, above or below the
  class folder: ModelNet's `<class>/train/x.off` and Keras' `image_dataset_from_directory` layout
  `train/<class>/x.ply` both give class `<class>` and split `train`. A file directly in the folder has no class.
- A labels CSV (`labels.csv` at the folder's root, or the file given as `labels`) names the classes instead, for
  layouts where the folder is not the class (ShapeNetCore's `<synset>/<model>/models/model_normalized.obj`): rows
  `relative path,label`, where the path is a file or a folder (then every file below it; the longest match wins).
  An optional first row `path,label` is a header; `#` starts a comment. With a CSV, files it does not name have no
  class. The labels CSV is never a cloud itself.
- Without split folders, `plan_splits` makes a seeded stratified split: 20 % of each class's files (at least one)
  go to `test`, the same files on every run; a class needs 2 files for it. Unlabelled files join `train`.
- A `.npz` / `.npy` of stacked clouds (an (M, N, >= 3) array: `dcglr_tf.data.points_file`) is a listing of its M
  clouds; the file may name each cloud's class (`class_name`), split (`split`) and object (`object`).

Only file names and `os.stat` are read (no file contents, except a labels CSV and a stacked file's small arrays).
"""

import csv
import dataclasses
import os
from typing import Dict, Optional, Tuple

import numpy as np

from dcglr_tf.data import points_file, readers

SPLIT_FOLDERS = ("train", "val", "test")
LABELS_FILE = "labels.csv"
TEST_FRACTION = 0.2  # of each class's files, without split folders
HEADER_PATHS = ("path", "relpath", "relative_path", "file", "filename")


@dataclasses.dataclass(frozen=True)
class FileEntry:
    """One cloud of a listing: a file, or one cloud of a stacked file.

    Attributes:
        path: str, the file (absolute).
        relpath: str, its path relative to the listing's root, with `/` separators; for the clouds of a stacked file
            `<file name>#<index>`.
        class_name: str or None (no class).
        split: "train", "val", "test", or None when no folder (or stacked file) sets it.
        size: int, the file's size in bytes.
        mtime_ns: int, the file's modification time in nanoseconds.
        index: int or None, the cloud's index in a stacked file; None for a file of one cloud.
        object: str or None, the object a stacked file's cloud was sampled from (its `object`); None: its own.
    """

    path: str
    relpath: str
    class_name: Optional[str]
    split: Optional[str]
    size: int
    mtime_ns: int
    index: Optional[int] = None
    object: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class Listing:
    """The clouds of a folder (or of a stacked file), sorted by relative path (by index for a stacked file).

    Attributes:
        root: str, the folder (absolute), or the file (a stacked file, or a single file of one cloud).
        files: tuple of FileEntry, at least one.
        labels: str or None, the labels CSV that named the classes; None when folders did.
        stacked: bool, whether `root` is one NumPy file of stacked clouds.
    """

    root: str
    files: Tuple[FileEntry, ...]
    labels: Optional[str] = None
    stacked: bool = False

    @property
    def class_names(self) -> Tuple[str, ...]:
        """The classes of the files, sorted; () when no file has one."""
        return tuple(sorted({f.class_name for f in self.files if f.class_name is not None}))

    @property
    def unlabelled(self) -> Tuple[FileEntry, ...]:
        """The files without a class."""
        return tuple(f for f in self.files if f.class_name is None)


@dataclasses.dataclass(frozen=True)
class SplitPlan:
    """The split of every file of a listing.

    Attributes:
        splits: tuple of str, the split of each file of `listing.files`, in that order.
        rule: str, how the splits were made, for printing (e.g. "split folders", "a seeded stratified split ...").
        problem: str, why the listing gives no train/test split (classification tasks cannot run), or "".
    """

    splits: Tuple[str, ...]
    rule: str
    problem: str = ""

    @property
    def names(self) -> Tuple[str, ...]:
        """The splits that hold files, in the order train, val, test."""
        return tuple(s for s in SPLIT_FOLDERS if s in self.splits)

    def counts(self) -> Dict[str, int]:
        """{split: number of files}, in the order of `names`."""
        return {s: self.splits.count(s) for s in self.names}


def is_stacked_file(path) -> bool:
    """Whether `path` is a `.npz` or `.npy` file of stacked clouds: an (M, N, >= 3) array.

    Args:
        path: str or path-like.

    Returns:
        bool; False for a (n, >= 3) array (one cloud), another suffix, a missing or an unreadable file.
    """
    path = os.fspath(path)
    if not (os.path.isfile(path) and path.lower().endswith((".npz", ".npy"))):
        return False
    try:
        return len(points_file.array_shape(path)) == 3
    except ValueError:  # unreadable: read as a file of one cloud, which reports why
        return False


def scan(path, labels=None) -> Listing:
    """The listing of a folder, a stacked NumPy file or a single file of one cloud.

    Args:
        path: str or path-like: a folder (searched recursively), a `.npz`/`.npy` of stacked clouds, or one file of
            `readers.SUPPORTED_SUFFIXES`.
        labels: str or None, a labels CSV (default: `labels.csv` at the folder's root, when there is one).

    Returns:
        Listing.

    Raises:
        ValueError: naming the path, for a path that does not exist, a folder without supported files, labels for a
            file, a labels CSV that cannot be read, has bad rows or names paths that are not there, or a stacked
            file whose `split` array holds a value other than train, val or test.
    """
    root = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if os.path.isdir(root):
        return _scan_folder(root, labels)
    if not os.path.isfile(root):
        raise ValueError(f"{root}: no such folder or file")
    if labels is not None:
        raise ValueError(f"--labels {labels}: a labels CSV names the files of a folder; {root} is a file")
    if is_stacked_file(root):
        return _scan_stacked(root)
    stat = os.stat(root)
    return Listing(root, (FileEntry(root, os.path.basename(root), None, None, stat.st_size, stat.st_mtime_ns),))


def plan_splits(listing: Listing, test_fraction: float = TEST_FRACTION) -> SplitPlan:
    """Train / test (/ val) for every file of `listing`.

    Args:
        listing: Listing.
        test_fraction: float, the share of each class's files that goes to `test` without split folders.

    Returns:
        SplitPlan: the split folders' splits when any file lies in one (files outside them join `train`); else a
        stratified split seeded by each class's name (`readers.seed_of`: the same files on every run) when every
        class has 2 files or more; else every file in `train`, with the reason in `problem`.
    """
    files = listing.files
    if any(f.split is not None for f in files):
        splits = tuple(f.split or "train" for f in files)
        outside = sum(f.split is None for f in files)
        rule = "split folders" + (f" ({outside:,} files outside them joined train)" if outside else "")
        problem = "" if "test" in splits else \
            f"{listing.root} has no test folder (its split folders: {', '.join(sorted(set(splits)))})"
        return SplitPlan(splits, rule, problem)
    by_class = {}
    for number, entry in enumerate(files):
        if entry.class_name is not None:
            by_class.setdefault(entry.class_name, []).append(number)
    too_few = sorted((len(numbers), name) for name, numbers in by_class.items() if len(numbers) < 2)
    if not by_class or too_few:
        problem = f"{listing.root} has no train/test split folders and no classes to split it by"
        if too_few:
            count, name = too_few[0]
            problem = (f"{listing.root} has no train/test split folders, and its class {name!r} has {count} file: a "
                       f"stratified split needs at least 2 files of each class")
        return SplitPlan(("train",) * len(files), "no split", problem)
    splits = ["train"] * len(files)
    for name, numbers in by_class.items():
        order = np.random.default_rng(readers.seed_of(name)).permutation(len(numbers))
        for position in order[:max(1, round(test_fraction * len(numbers)))]:
            splits[numbers[position]] = "test"
    rule = (f"no split folders: a seeded stratified split, {100 * (1 - test_fraction):.0f} % train / "
            f"{100 * test_fraction:.0f} % test of each class")
    return SplitPlan(tuple(splits), rule)


def label_problem(listing: Listing) -> str:
    """Why some files of `listing` have no class (classification tasks cannot run).

    Args:
        listing: Listing.

    Returns:
        str, the reason naming the files' root (and the first unlabelled file when only some lack a class), or "" when
        every file has a class.
    """
    unlabelled = listing.unlabelled
    if not unlabelled:
        return ""
    source = f"the labels CSV {listing.labels}" if listing.labels else "a class folder"
    if listing.stacked:
        source = f"the file's '{points_file.CLASS_KEY}' array"
    if len(unlabelled) == len(listing.files):
        return f"{listing.root} has no classes (each file needs {source})"
    return (f"{len(unlabelled):,} of the {len(listing.files):,} files of {listing.root} have no class (first: "
            f"{unlabelled[0].relpath}); each file needs {source}")


def _walk(root):
    """(relative path, absolute path) of every supported file below `root`, hidden names and `__MACOSX` left out."""
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [s for s in subfolders if not s.startswith(".") and s != "__MACOSX"]
        for name in names:
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in readers.SUPPORTED_SUFFIXES:
                path = os.path.join(folder, name)
                yield os.path.relpath(path, root).replace(os.sep, "/"), path


def _scan_folder(root, labels):
    labels_path = os.path.abspath(os.path.expanduser(labels)) if labels else os.path.join(root, LABELS_FILE)
    if labels and not os.path.isfile(labels_path):
        raise ValueError(f"--labels {labels}: no such file")
    by_path = _read_labels(labels_path, root) if os.path.isfile(labels_path) else None
    files = []
    for relpath, path in sorted(_walk(root)):
        if relpath == LABELS_FILE or os.path.abspath(path) == labels_path:
            continue
        stat = os.stat(path)
        class_name, split = _class_and_split(relpath.split("/")[:-1])
        if by_path is not None:
            class_name = _labelled(relpath, by_path)
        files.append(FileEntry(path, relpath, class_name, split, stat.st_size, stat.st_mtime_ns))
    if not files:
        raise ValueError(f"{root}: no files of the supported formats ({' '.join(readers.SUPPORTED_SUFFIXES)}) in it "
                         f"or its sub-folders")
    if by_path is not None:
        _check_labelled_paths(by_path, files, labels_path)
    return Listing(root, tuple(files), labels_path if by_path is not None else None)


def _class_and_split(folders):
    """(class, split) of a file in `folders` (its folder names below the root, outermost first)."""
    if folders and folders[-1] in SPLIT_FOLDERS:  # <class>/train/x
        return (folders[-2] if len(folders) > 1 else None), folders[-1]
    if len(folders) > 1 and folders[-2] in SPLIT_FOLDERS:  # train/<class>/x
        return folders[-1], folders[-2]
    return (folders[-1] if folders else None), None


def _read_labels(path, root):
    """{normalised relative path: label} of a labels CSV; ValueError naming the file and line for a bad row."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"labels file {path}: cannot be read: {error}") from None
    labels = {}
    for line, row in enumerate(rows, start=1):
        fields = [field.strip() for field in row]
        if not any(fields) or fields[0].startswith("#"):
            continue
        if line == 1 and fields[0].lower() in HEADER_PATHS:
            continue
        if len(fields) != 2 or not all(fields):
            raise ValueError(f"labels file {path}, line {line}: expected 'relative path,label', got {','.join(row)!r}")
        relpath = fields[0].replace("\\", "/").strip("/").removeprefix("./")
        if relpath in labels and labels[relpath] != fields[1]:
            raise ValueError(f"labels file {path}, line {line}: {relpath} is labelled both {labels[relpath]!r} and "
                             f"{fields[1]!r}")
        labels[relpath] = fields[1]
    if not labels:
        raise ValueError(f"labels file {path}: no rows 'relative path,label' (relative to {root})")
    return labels


def _labelled(relpath, by_path):
    """The label of the longest path of `by_path` that is `relpath` or one of its folders; None when none is."""
    parts = relpath.split("/")
    for end in range(len(parts), 0, -1):
        label = by_path.get("/".join(parts[:end]))
        if label is not None:
            return label
    return None


def _check_labelled_paths(by_path, files, labels_path):
    named = {"/".join(f.relpath.split("/")[:end]) for f in files for end in range(1, f.relpath.count("/") + 2)}
    missing = sorted(set(by_path) - named)
    if missing:
        raise ValueError(f"labels file {labels_path}: {len(missing):,} of its paths name no file or folder of the "
                         f"folder (first: {', '.join(missing[:3])})")


def _scan_stacked(path):
    count = points_file.array_shape(path)[0]
    stat = os.stat(path)
    name = os.path.basename(path)
    classes, splits, objects = (points_file.load_file_strings(path, key, count)
                                for key in (points_file.CLASS_KEY, points_file.SPLIT_KEY, points_file.OBJECT_KEY))
    if splits is not None:
        unknown = sorted(set(splits) - set(SPLIT_FOLDERS))
        if unknown:
            raise ValueError(f"points file {path}: '{points_file.SPLIT_KEY}' holds {', '.join(map(repr, unknown))}; "
                             f"each cloud's split must be one of {', '.join(SPLIT_FOLDERS)}")
    files = tuple(FileEntry(path, f"{name}#{i}", None if classes is None else classes[i],
                            None if splits is None else splits[i], stat.st_size, stat.st_mtime_ns, index=i,
                            object=None if objects is None else objects[i])
                  for i in range(count))
    return Listing(path, files, stacked=True)
