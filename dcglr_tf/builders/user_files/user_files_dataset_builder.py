"""user_files: a user's folder of point-cloud and mesh files (or one NumPy file of stacked clouds) as a TFDS dataset.

The files, their classes and splits are a `dcglr_tf.data.folders` listing and split plan. One BuilderConfig per
folder content (`files_config`): its name holds the folder's name, the points per cloud and a fingerprint of every
file's relative path, size, modification time, class and split and of the sampler (`SAMPLER`). An unchanged folder
thus finds its prepared data by `os.stat` alone, and any change (a file added, touched or relabelled, another
`num_points`) prepares it again, into another config folder.

Each cloud is read by `dcglr_tf.data.readers`: a mesh gives `num_points` area-uniform surface samples seeded by its
relative path (`readers.read_cloud(path, num_points, readers.seed_of(relpath))`: the same points on every run), a
point file a seeded random subset of its points; a stacked file's clouds are kept as stored, every point. Files are
read by a pool of processes, one per core, and written in file order. A file that cannot give a cloud (unreadable,
empty, truncated, non-finite, a zero-area mesh, fewer points than `num_points`) is skipped and listed with the reason
in `skipped.json` in the prepared folder (`REPORT_FILE`); a split none of whose files can be read is an error.

Features: `points` float32 (num_points, 3); `label` int64, the index of the file's class in the config's sorted
class names, -1 without one; `name` its relative path (`<file>#<index>` in a stacked file); `object` what it was
sampled from (its own name, or a stacked file's `object`).
"""

import concurrent.futures
import ctypes
import dataclasses
import hashlib
import itertools
import json
import multiprocessing
import os
import re
import signal
import sys
from typing import Optional, Tuple

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from dcglr_tf.builders import _builder_utils as utils
from dcglr_tf.data import folders, points_file, readers

NAME = "user_files"
VERSION_NAME = "1.0.0"
# How a cloud is made from a file; part of the fingerprint: change it whenever the points it gives change.
SAMPLER = "readers.read_cloud: meshes area-uniform, point files a random subset, seed readers.seed_of(relpath); v1"
REPORT_FILE = "skipped.json"
SHOWN_REASONS = 3  # skipped files an error names
PR_SET_PDEATHSIG = 1  # Linux prctl: the signal a process gets when its parent ends


@dataclasses.dataclass(eq=False)
class FilesConfig(tfds.core.BuilderConfig):
    """The BuilderConfig of one folder content.

    Attributes:
        listing: folders.Listing, the clouds.
        plan: folders.SplitPlan, the split of each cloud of `listing.files`.
        num_points: int or None, points per cloud stored (a stacked file: its clouds' own count); None: not chosen
            yet, the config describes the folder but cannot prepare it.
    """

    listing: Optional[folders.Listing] = dataclasses.field(default=None, repr=False)  # TFDS logs the repr
    plan: Optional[folders.SplitPlan] = dataclasses.field(default=None, repr=False)
    num_points: Optional[int] = None

    @property
    def class_names(self) -> Tuple[str, ...]:
        return self.listing.class_names


def files_config(listing: folders.Listing, plan: folders.SplitPlan, num_points: Optional[int]) -> FilesConfig:
    """The config of `listing` split by `plan`, stored at `num_points` points per cloud.

    Args:
        listing: folders.Listing.
        plan: folders.SplitPlan of the listing.
        num_points: int or None: points per cloud (ignored for a stacked file, whose clouds are kept whole).

    Returns:
        FilesConfig named `<folder name>_<num_points>_<16 hex digits of the fingerprint>`.
    """
    if listing.stacked:
        num_points = points_file.array_shape(listing.root)[1]
    digest = hashlib.sha256(f"{SAMPLER}\n{num_points}\n".encode())
    for entry, split in zip(listing.files, plan.splits):
        digest.update(f"{entry.relpath}\t{entry.size}\t{entry.mtime_ns}\t{entry.class_name}\t{split}\t"
                      f"{entry.object}\n".encode())
    stem = os.path.splitext(os.path.basename(listing.root))[0] if os.path.isfile(listing.root) else \
        os.path.basename(listing.root)
    slug = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")[:40] or "files"
    points = "any" if num_points is None else str(num_points)
    return FilesConfig(name=f"{slug}_{points}_{digest.hexdigest()[:16]}", version=VERSION_NAME,
                       description=f"{listing.root}: {len(listing.files):,} clouds of {points} points",
                       listing=listing, plan=plan, num_points=num_points)


def read_file(path: str, relpath: str, num_points: int):
    """The cloud of one file, or why there is none: ((num_points, 3) float32 or None, reason or None). Never raises,
    so that one bad file never stops a preparation."""
    try:
        return readers.read_cloud(path, num_points, readers.seed_of(relpath)), None
    except readers.UnreadableFile as error:
        return None, error.reason
    except Exception as error:  # pylint: disable=broad-except  # e.g. MemoryError on a huge file: skip it, say so
        return None, f"{type(error).__name__}: {error}"


def read_report(data_dir) -> dict:
    """The skip report of a prepared config folder: {"source", "num_points", "files", "skipped": [{"file",
    "reason"}]}; {"skipped": []} when there is none."""
    path = os.path.join(os.fspath(data_dir), REPORT_FILE)
    if not tf.io.gfile.exists(path):
        return {"skipped": []}
    with tf.io.gfile.GFile(path) as handle:
        return json.load(handle)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _pool_context():
    """fork: the workers inherit the imported readers (a spawned one imports TensorFlow again, seconds each); macOS's
    system libraries are not fork-safe, and Windows cannot fork."""
    fork = "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"
    return multiprocessing.get_context("fork" if fork else "spawn")


def _start_reader(preparing_pid):
    """Set up a reader process: Ctrl-C stops the preparing process, which ends the pool; and, on Linux, the reader
    dies with the preparing process, however that ends (kill -9 included): a forked reader holds a copy of the
    preparation lock's file (and of the pool's pipes), so an orphaned one would keep the lock and block the next
    preparation."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != preparing_pid:  # it ended before the line above
            os._exit(1)


def _read_files(entries, num_points):
    """(cloud, reason) of each entry, in order, read by a pool of one process per core (in this process when there is
    one core or one file)."""
    workers = min(_cores(), len(entries))
    arguments = ([e.path for e in entries], [e.relpath for e in entries], itertools.repeat(num_points))
    if workers < 2:
        yield from map(read_file, *arguments)
        return
    pool = concurrent.futures.ProcessPoolExecutor(workers, mp_context=_pool_context(), initializer=_start_reader,
                                                  initargs=(os.getpid(),))
    try:
        yield from pool.map(read_file, *arguments, chunksize=max(1, min(64, len(entries) // (16 * workers))))
    finally:  # also when the consumer stops early: drop the files not read yet
        pool.shutdown(wait=True, cancel_futures=True)


def _stacked_clouds(entries, path):
    """(cloud, reason) of each entry of a stacked file: its clouds as stored, every point."""
    clouds = points_file.read_stacked(path)
    for entry in entries:
        cloud = clouds[entry.index]
        yield (cloud, None) if np.isfinite(cloud).all() else (None, "non-finite coordinates")


class Builder(tfds.core.GeneratorBasedBuilder):
    """A user's files, one config per folder content (made by `files_config`, never listed in BUILDER_CONFIGS)."""

    VERSION = tfds.core.Version(VERSION_NAME)
    RELEASE_NOTES = {VERSION_NAME: "Initial release: a folder of point and mesh files, or a stacked NumPy file."}
    on_progress = None  # called with 1 after each cloud read (progress), when set

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description=__doc__,
            features=tfds.features.FeaturesDict({
                "points": utils.xyz_feature(self.builder_config.num_points),
                "label": tfds.features.Scalar(dtype=np.int64, doc="index of the class in the sorted class names, -1 "
                                                                  "without one"),
                "name": tfds.features.Text(doc="path relative to the folder (<file>#<index> in a stacked file)"),
                "object": tfds.features.Text(doc="what the cloud was sampled from"),
            }),
        )

    def _split_generators(self, dl_manager):
        del dl_manager
        config = self.builder_config
        if config.num_points is None:
            raise ValueError(f"{config.listing.root}: a folder is prepared at a number of points per cloud; none was "
                             f"given (dcglr_tf.data.sources.dataset_info(path, num_points=N))")
        self._skipped = []
        by_split = {}
        for entry, split in zip(config.listing.files, config.plan.splits):
            by_split.setdefault(split, []).append(entry)
        return {split: self._generate_examples(split, entries) for split, entries in by_split.items()}

    def _generate_examples(self, split, entries):
        config = self.builder_config
        listing = config.listing
        clouds = (_stacked_clouds(entries, listing.root) if listing.stacked else
                  _read_files(entries, config.num_points))
        skipped = len(self._skipped)
        for entry, (cloud, reason) in zip(entries, clouds):
            if self.on_progress is not None:
                self.on_progress(1)
            if reason is not None:
                self._skipped.append({"file": entry.relpath, "reason": reason})
                continue
            label = -1 if entry.class_name is None else config.class_names.index(entry.class_name)
            yield entry.relpath, {"points": cloud, "label": label, "name": entry.relpath,
                                  "object": entry.object or entry.relpath}
        self._write_report()
        if len(self._skipped) - skipped == len(entries):
            reasons = "; ".join(f"{s['file']}: {s['reason']}" for s in self._skipped[skipped:][:SHOWN_REASONS])
            unit = "clouds" if listing.stacked else "files"
            what = f"its {len(entries):,} {unit}" if len(entries) == len(listing.files) else \
                f"the {len(entries):,} {unit} of its {split} split"
            raise utils.DatasetFileError(f"{listing.root}: none of {what} can be read ({reasons})")

    def _write_report(self):
        config = self.builder_config
        report = {"source": config.listing.root, "num_points": config.num_points, "files": len(config.listing.files),
                  "skipped": sorted(self._skipped, key=lambda skipped: skipped["file"])}
        with tf.io.gfile.GFile(os.path.join(os.fspath(self.data_dir), REPORT_FILE), "w") as handle:
            json.dump(report, handle, indent=1)
