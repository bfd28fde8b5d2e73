"""Training callbacks: throughput monitor."""

import time

import keras


class ThroughputMonitor(keras.callbacks.Callback):
    """Adds `samples_per_second` (training samples per wall-clock second of the epoch) to the epoch logs.

    Place it before loggers (CSVLogger, TensorBoard) so they record the value.
    """

    def __init__(self, batch_size):
        super().__init__()
        self.batch_size = int(batch_size)
        self._start = None
        self._steps = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self._start is not None:
            elapsed = max(time.perf_counter() - self._start, 1e-9)
            logs["samples_per_second"] = self._steps * self.batch_size / elapsed
