"""Training callbacks: throughput monitor, online kNN monitor and a CSV logger without phantom columns or
repeated epochs."""

import csv
import os
import time

import keras
import numpy as np

from dcglr_tf.utils.atomic import replacing


class ThroughputMonitor(keras.callbacks.Callback):
    """Adds `samples_per_second` (training samples per wall-clock second of the epoch) to the epoch logs.

    Steps are counted from the batch index Keras passes to `on_train_batch_end` (the last step the call ran), so
    the rate stays right when `steps_per_execution` runs several steps per call. Place it before loggers
    (CSVLogger, TensorBoard) so they record the value.
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
        self._steps = batch + 1

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self._start is not None:
            elapsed = max(time.perf_counter() - self._start, 1e-9)
            logs["samples_per_second"] = self._steps * self.batch_size / elapsed


class MetricsCSVLogger(keras.callbacks.CSVLogger):
    """`keras.callbacks.CSVLogger` that writes exactly the logged metrics, one row per epoch across resumes.

    Keras's logger adds a `val_<name>` column for every metric when the first epoch has no validation
    metrics, and fills them with `NA`; runs without validation data get only their own columns here. When
    appending to an existing file (a resumed run), rows follow that file's header, so columns stay aligned; with
    `resume_epoch`, rows of epochs >= it (logged by a run killed before it checkpointed them; the resumed run
    trains them again) are dropped first, so each epoch has one row.
    """

    def __init__(self, filename, separator=",", append=False, resume_epoch=None):
        super().__init__(filename, separator=separator, append=append)
        self.resume_epoch = resume_epoch

    def on_train_begin(self, logs=None):
        self._existing_columns = None
        if self.append and os.path.isfile(self.filename):
            with open(self.filename, newline="") as f:
                rows = list(csv.reader(f, delimiter=self.sep))
            header = rows[0] if rows else None
            if header and header[0] == "epoch":
                self._existing_columns = header[1:]
                self._drop_rows_from(header, rows[1:])
        super().on_train_begin(logs)

    def _drop_rows_from(self, header, rows):
        """Rewrite the file (atomically) without the rows of epochs >= resume_epoch and any row cut short."""
        if self.resume_epoch is None:
            return
        kept = [row for row in rows if len(row) == len(header) and row[0].isdigit() and int(row[0]) < self.resume_epoch]
        if len(kept) < len(rows):
            with replacing(self.filename) as tmp, open(tmp, "w", newline="") as f:
                csv.writer(f, delimiter=self.sep).writerows([header, *kept])

    def on_epoch_end(self, epoch, logs=None):
        if self.keys is None and logs:
            self.keys = self._existing_columns or sorted(logs)
        super().on_epoch_end(epoch, logs)


class KNNMonitor(keras.callbacks.Callback):
    """Online kNN accuracy of the encoder during pre-training (adds `knn_accuracy` to the epoch logs).

    Every `every` epochs, embeds fixed labelled train and test clouds with the model's frozen teacher backbone
    (`model.teacher_backbone`, else the model itself) and scores the test clouds by DINO's weighted kNN vote
    (cosine similarity, k neighbours, temperature T). Place it before loggers (CSVLogger, TensorBoard) so they
    record the value. Clouds are expected centred and scaled to the unit sphere (as `labelled_dataset` gives).

    train_points (M, n, 3), train_labels (M,), test_points (T, n, 3), test_labels (T,).
    """

    def __init__(self, train_points, train_labels, test_points, test_labels, *, k=20, temperature=0.07,
                 every=1, batch_size=64, log_name="knn_accuracy", verbose=True):
        super().__init__()
        self.train_points = np.asarray(train_points, np.float32)
        self.train_labels = np.asarray(train_labels, np.int64)
        self.test_points = np.asarray(test_points, np.float32)
        self.test_labels = np.asarray(test_labels, np.int64)
        if (self.train_labels < 0).any() or (self.test_labels < 0).any():
            raise ValueError("the kNN monitor needs labelled clouds (labels >= 0)")
        self.k = int(k)
        self.temperature = float(temperature)
        self.every = max(int(every), 1)
        self.batch_size = int(batch_size)
        self.log_name = log_name
        self.verbose = verbose
        self.history = []

    @classmethod
    def from_dataset(cls, dataset, *, num_points, train_split="train", test_split="test", data_dir=None,
                     manual_dir=None, max_train=None, max_test=None, **kwargs):
        """A monitor on a labelled dataset of `dcglr_tf.data.sources` (e.g. the pre-training data when it has
        labels); `max_train` / `max_test` keep the first clouds of each split. ValueError for unlabelled data."""
        from dcglr_tf.data import sources
        from dcglr_tf.data.pipeline import labelled_dataset
        from dcglr_tf.data.preparation import prepare_with_progress

        info = sources.dataset_info(dataset)
        if info.kind != "classification" or not info.has_labels:
            raise ValueError(f"the kNN monitor needs a dataset with class labels; {dataset!r} has none")
        prepare_with_progress(dataset, data_dir, manual_dir)
        arrays = []
        for split, limit in ((train_split, max_train), (test_split, max_test)):
            if limit:
                split = f"{split}[:{int(limit)}]"
            points, labels = [], []
            for p, y in labelled_dataset(dataset, split, num_points=num_points, batch_size=256,
                                         data_dir=data_dir, manual_dir=manual_dir):
                points.append(p.numpy())
                labels.append(y.numpy())
            arrays += [np.concatenate(points), np.concatenate(labels)]
        return cls(*arrays, **kwargs)

    def _embed(self, points):
        backbone = getattr(self.model, "teacher_backbone", self.model)
        out = [np.asarray(backbone(points[i:i + self.batch_size], training=False), np.float32)  # float32 if mixed
               for i in range(0, len(points), self.batch_size)]
        return np.concatenate(out)

    def evaluate(self):
        """kNN accuracy of the current model on the monitor's clouds."""
        from dcglr_tf.evaluation.knn import knn_predict

        num_classes = int(max(self.train_labels.max(), self.test_labels.max()) + 1)
        predictions = knn_predict(self._embed(self.train_points), self.train_labels, self._embed(self.test_points),
                                  k=self.k, temperature=self.temperature, num_classes=num_classes)
        return float(np.mean(predictions == self.test_labels))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        accuracy = self.evaluate()
        self.history.append((epoch + 1, accuracy))
        if logs is not None:
            logs[self.log_name] = accuracy
        if self.verbose:
            print(f"epoch {epoch + 1}: online kNN accuracy (k={self.k}, T={self.temperature}) {accuracy:.4f}")
