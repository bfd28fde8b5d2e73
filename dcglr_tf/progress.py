"""Progress output that reads well anywhere: redrawn in place on a terminal, whole lines in a log.

Stages (dataset preparation, feature extraction, SVM fits): on a terminal a stage is one line redrawn in place
(`extracting ...: 3,200/9,843 clouds, 41 s`); when output goes to a file or a pipe (or to a log function other
than `print`) it is exactly two lines, one when the stage starts and one when it ends, with the count and the
seconds. Training (`training_progress`): Keras's progress bar on a terminal, else one `EpochLine` per epoch. A
redirected log thus holds no carriage-return redraws and no terminal escape codes.
"""

import contextlib
import io
import sys
import time

import keras


def emit(log, message):
    """`log(message)`; a printed line is flushed at once, so that a redirected log (which Python buffers) shows
    it when it happens."""
    log(message)
    if log is print:
        sys.stdout.flush()


def interactive(log):
    """True when `log` is `print` to a terminal: the only case where lines are redrawn in place."""
    return log is print and sys.stdout.isatty()


class Stage:
    """`with Stage("extracting train features", total=9843, unit="clouds", log=log) as stage: stage.update(32)`.

    total may be None (unknown). The end line reports the count, the seconds and the rate."""

    def __init__(self, description, total=None, unit="", log=print, min_redraw_s=0.25):
        self.description = description
        self.total = total
        self.unit = unit
        self.log = log
        self.count = 0
        self.min_redraw_s = min_redraw_s
        self._interactive = interactive(log)
        self._start = self._drawn = None

    def _amount(self):
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.count:,}{'' if self.total is None else f'/{self.total:,}'}{unit}"

    def __enter__(self):
        self._start = self._drawn = time.perf_counter()
        if self._interactive:
            self._draw()
        else:
            total = "" if self.total is None else f": {self.total:,}{' ' + self.unit if self.unit else ''}"
            emit(self.log, f"{self.description}{total} ...")
        return self

    def _draw(self):
        sys.stdout.write(f"\r{self.description}: {self._amount()}, {time.perf_counter() - self._start:.0f} s\033[K")
        sys.stdout.flush()

    def update(self, amount=1):
        self.count += amount
        now = time.perf_counter()
        if self._interactive and now - self._drawn >= self.min_redraw_s:
            self._drawn = now
            self._draw()

    @property
    def seconds(self):
        return time.perf_counter() - self._start

    def __exit__(self, kind, error, trace):
        seconds = self.seconds
        if self._interactive:
            sys.stdout.write("\r\033[K")
            sys.stdout.flush()
        if kind is not None:
            emit(self.log, f"{self.description}: stopped after {self._amount()}, {seconds:.1f} s")
            return False
        rate = f", {self.count / seconds:,.1f} {self.unit}/s" if self.unit and self.count and seconds > 0 else ""
        emit(self.log, f"{self.description}: done, {self._amount()} in {seconds:.1f} s{rate}")
        return False


def _duration(seconds):
    seconds = int(round(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class EpochLine(keras.callbacks.Callback):
    """One line per finished epoch, for logs:
    `epoch 2/3: loss 5.412, learning rate 0.00295, 52.1 samples/s, 6.1 s, ETA 6 s; loss_g 5.41, momentum 0.996`.

    The learning rate is the logged `learning_rate` (DCGLR logs it), else the optimizer's current one;
    samples/s needs `dcglr_tf.callbacks.ThroughputMonitor` before this callback. The ETA is the remaining epochs
    times the mean epoch time of this session (but its first epoch, which also compiles, once there are others).
    Other logged metrics follow the semicolon.
    """

    SHOWN = ("loss", "learning_rate", "samples_per_second")

    def __init__(self, log=print):
        super().__init__()
        self.log = log
        self._seconds = []
        self._start = None

    def on_train_begin(self, logs=None):
        self._seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def _learning_rate(self, logs):
        if "learning_rate" in logs:
            return float(logs["learning_rate"])
        optimizer = getattr(self.model, "optimizer", None)
        return None if optimizer is None else float(keras.ops.convert_to_numpy(optimizer.learning_rate))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self._seconds.append(time.perf_counter() - self._start)
        epochs = self.params.get("epochs") or epoch + 1
        parts = []
        if "loss" in logs:
            parts.append(f"loss {float(logs['loss']):.4g}")
        learning_rate = self._learning_rate(logs)
        if learning_rate is not None:
            parts.append(f"learning rate {learning_rate:.3g}")
        if "samples_per_second" in logs:
            parts.append(f"{float(logs['samples_per_second']):,.1f} samples/s")
        typical = self._seconds[1:] or self._seconds  # the first epoch also compiles
        eta = (epochs - epoch - 1) * sum(typical) / len(typical)
        parts += [f"{self._seconds[-1]:.1f} s", f"ETA {_duration(eta)}"]
        others = ", ".join(f"{name} {float(value):.4g}" for name, value in sorted(logs.items())
                           if name not in self.SHOWN and not isinstance(value, str))
        emit(self.log, f"epoch {epoch + 1}/{epochs}: {', '.join(parts)}" + (f"; {others}" if others else ""))


def training_progress(verbose, log=print):
    """(Keras `verbose`, extra callbacks) for training progress. verbose 0: none; 1, "auto" or None: Keras's bar
    when `log` is `print` to a terminal; otherwise (verbose 2, a file, a pipe) one `EpochLine` per epoch, placed
    after the callbacks that add to the epoch logs."""
    if verbose == 0:
        return 0, []
    if verbose != 2 and interactive(log):
        return 1, []
    return 0, [EpochLine(log)]


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
    from dcglr_tf.data import sources

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
