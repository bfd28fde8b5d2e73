"""Training progress: Keras's progress bar on a terminal, else one `EpochLine` per epoch (`training_progress`), so a
redirected log holds no carriage-return redraws and no terminal escape codes."""

import time

import keras

from dcglr_tf.utils.progress import emit, format_duration, interactive


class EpochLine(keras.callbacks.Callback):
    """One line per finished epoch, for logs:
    `epoch 2/3: loss 5.412, learning rate 0.00295, 52.1 samples/s, 6.1 s, ETA 6 s; loss_g 5.41, momentum 0.996`.

    The learning rate is the logged `learning_rate` (DCGLR logs it), else the optimizer's current one;
    samples/s needs `dcglr_tf.training.callbacks.ThroughputMonitor` before this callback. The ETA is the remaining epochs
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
        parts += [f"{self._seconds[-1]:.1f} s", f"ETA {format_duration(eta)}"]
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


