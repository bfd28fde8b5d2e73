"""Dataset preparation as one visible stage: a line when it starts and one when it ends (split sizes, seconds, and
whether it waited for another process); TFDS's own progress bars only on a terminal."""

import contextlib
import io
import sys
import time

from dcglr_tf.data import sources
from dcglr_tf.utils.progress import emit, interactive


def tfds_bars_on_terminals_only(log=print):
    """Turn TFDS's progress bars off unless `log` is print to a terminal (a preparation then prints TFDS's own
    start and end lines only); returns whether they stay on."""
    import tensorflow_datasets as tfds

    on = interactive(log)
    if not on:
        tfds.display_progress_bar(False)
    return on


def prepare_with_progress(dataset, data_dir=None, manual_dir=None, log=print):
    """Prepare `dataset` into `data_dir` unless it already is, as one stage: a line when it starts and one when it
    ends (with the split sizes and seconds, and whether it waited), and one if it waits for another process
    preparing it; TFDS's own progress bars only on a terminal. A preparation killed half-way leaves only TFDS's
    `incomplete.*` temporary folder, which the next call deletes before it prepares again."""

    if sources.is_prepared(dataset, data_dir=data_dir):
        return
    emit(log, f"preparing {dataset} into {data_dir or '~/tensorflow_datasets'} (once) ...")
    start = time.perf_counter()
    stdout = sys.stdout
    waited = []

    def on_wait(message):  # to the real stdout, past the redirection below
        waited.append(message)
        with contextlib.redirect_stdout(stdout):
            emit(log, message)

    if tfds_bars_on_terminals_only(log):
        builder = sources.prepare(dataset, data_dir=data_dir, manual_dir=manual_dir, on_wait=on_wait)
    else:
        with contextlib.redirect_stdout(io.StringIO()):  # TFDS's "Downloading and preparing ..." lines
            builder = sources.prepare(dataset, data_dir=data_dir, manual_dir=manual_dir, on_wait=on_wait)
    sizes = ", ".join(f"{split} {info.num_examples:,}" for split, info in builder.info.splits.items())
    seconds = time.perf_counter() - start
    if waited:  # the other process prepared it, or this one did after the other stopped: the time includes the wait
        emit(log, f"preparing {dataset}: ready in {seconds:.1f} s, after waiting for the other process ({sizes})")
    else:
        emit(log, f"preparing {dataset}: done in {seconds:.1f} s ({sizes})")
