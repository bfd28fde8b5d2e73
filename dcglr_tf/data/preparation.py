"""Dataset preparation as one visible stage: a line when it starts and one when it ends (split sizes, seconds, and
whether it waited for another process); TFDS's own progress bars only on a terminal. A path dataset (a folder of the
user's files) shows its own progress instead: files read of the total and the time left, redrawn on a terminal,
every `PROGRESS_EVERY_S` seconds in a log; then how its splits were made and how many files were skipped."""

import contextlib
import dataclasses
import io
import os
import sys
import time

from dcglr_tf.data import sources
from dcglr_tf.utils.progress import Stage, emit, interactive

PROGRESS_EVERY_S = 30  # a folder's preparation in a log: a progress line this often


def tfds_bars_on_terminals_only(log=print):
    """Turn TFDS's progress bars off unless `log` is print to a terminal (a preparation then prints TFDS's own
    start and end lines only); returns whether they stay on."""
    import tensorflow_datasets as tfds

    on = interactive(log)
    if not on:
        tfds.display_progress_bar(False)
    return on


def prepare_with_progress(dataset, data_dir=None, manual_dir=None, log=print):
    """Prepare `dataset` (a name, or a `sources.DatasetInfo`) into `data_dir` unless it already is, as one stage: a
    line when it starts and one when it ends (with the split sizes and seconds, and whether it waited), and one if it
    waits for another process preparing it; TFDS's own progress bars only on a terminal. A preparation killed
    half-way leaves only TFDS's `incomplete.*` temporary folder, which the next call deletes before it prepares
    again. A path dataset prepared with `strict` raises `sources.SkippedFilesError` when files were skipped, now or
    when it was prepared."""
    info = sources.dataset_info(dataset)
    if sources.is_prepared(info, data_dir=data_dir):
        sources.prepare(info, data_dir=data_dir)  # nothing to prepare; a path dataset's strict check
        return
    if info.files is not None:
        _prepare_files(info, data_dir, log)
        return
    emit(log, f"preparing {info.name} into {data_dir or '~/tensorflow_datasets'} (once) ...")
    start = time.perf_counter()
    waited = []

    def on_wait(message):
        waited.append(message)
        emit(log, message)

    on_wait = _to_stdout(on_wait)
    with _tfds_quiet(log, bars=True):
        builder = sources.prepare(info, data_dir=data_dir, manual_dir=manual_dir, on_wait=on_wait)
    sizes = _sizes(builder)
    seconds = time.perf_counter() - start
    if waited:  # the other process prepared it, or this one did after the other stopped: the time includes the wait
        emit(log, f"preparing {info.name}: ready in {seconds:.1f} s, after waiting for the other process ({sizes})")
    else:
        emit(log, f"preparing {info.name}: done in {seconds:.1f} s ({sizes})")


def _prepare_files(info, data_dir, log):
    """Prepare a path dataset: its files read with a progress stage, then its splits, rule and skipped files."""
    files = info.files
    name = sources.short_name(info)
    count = f"{len(files.listing.files):,} {'clouds' if files.listing.stacked else 'files'}"
    target = os.path.join(data_dir or "~/tensorflow_datasets", info.builder, files.name)
    emit(log, f"preparing {files.listing.root} ({count}, {files.num_points} points per cloud) into {target} (once) ...")
    unit = count.split()[-1]
    with Stage(f"preparing {name}", len(files.listing.files), unit, log, log_every_s=PROGRESS_EVERY_S) as stage:
        on_wait, on_progress = _to_stdout(lambda message: emit(log, message)), _to_stdout(stage.update)
        with _tfds_quiet(log, bars=False):
            builder = sources.prepare(dataclasses.replace(info, strict=False), data_dir=data_dir, on_wait=on_wait,
                                      on_progress=on_progress)
    emit(log, f"{name}: {_sizes(builder, info.splits)} ({files.plan.rule})")
    skipped, report = sources.skipped_files(info, data_dir=data_dir)
    if skipped:
        emit(log, f"skipped {len(skipped):,} of {count}: see {report}")
    if info.strict:
        sources.prepare(info, data_dir=data_dir)  # raises SkippedFilesError naming the first ones


def _sizes(builder, splits=None):
    """`train 9,843, test 2,468`: the prepared size of each split (of `splits`, in that order, when given)."""
    splits = splits or list(builder.info.splits)
    return ", ".join(f"{split} {builder.info.splits[split].num_examples:,}" for split in splits)


def _to_stdout(function):
    """`function` made to write to this moment's stdout when it is called while `_tfds_quiet` hides TFDS's lines."""
    stdout = sys.stdout

    def call(value):
        with contextlib.redirect_stdout(stdout):
            function(value)
    return call


@contextlib.contextmanager
def _tfds_quiet(log, bars):
    """TFDS's own lines ("Downloading and preparing ...") hidden, and its progress bars too unless `bars` and `log`
    is print to a terminal."""
    import tensorflow_datasets as tfds

    shown = bars and interactive(log)
    tfds.display_progress_bar(shown)
    try:
        if shown:
            yield
        else:
            with contextlib.redirect_stdout(io.StringIO()):
                yield
    finally:
        tfds.display_progress_bar(interactive(log))
