"""MetricsCSVLogger: exactly the logged columns, and aligned rows when a resumed run appends; ThroughputMonitor's
steps."""

import csv

from dcglr_tf.training.callbacks import MetricsCSVLogger


def _log_epochs(path, epochs, logs):
    logger = MetricsCSVLogger(str(path), append=True)
    logger.on_train_begin()
    for epoch in epochs:
        logger.on_epoch_end(epoch, dict(logs))
    logger.on_train_end()


def test_no_val_columns_without_validation(tmp_path):
    path = tmp_path / "metrics.csv"
    _log_epochs(path, [0, 1], {"loss": 2.0, "teacher_entropy": 3.0})
    rows = list(csv.DictReader(open(path)))
    assert list(rows[0]) == ["epoch", "loss", "teacher_entropy"]
    assert [r["epoch"] for r in rows] == ["0", "1"] and float(rows[1]["loss"]) == 2.0


def test_resumed_run_follows_the_existing_header(tmp_path):
    path = tmp_path / "metrics.csv"
    # A file written by Keras's own logger (phantom val_ column) before the run was interrupted.
    path.write_text("epoch,loss,teacher_entropy,val_loss\n0,2.5,3.5,NA\n")
    _log_epochs(path, [1], {"teacher_entropy": 3.0, "loss": 2.0})
    rows = list(csv.DictReader(open(path)))
    assert len(rows) == 2 and list(rows[1]) == ["epoch", "loss", "teacher_entropy", "val_loss"]
    assert rows[1] == {"epoch": "1", "loss": "2.0", "teacher_entropy": "3.0", "val_loss": "NA"}


def test_throughput_counts_every_step_with_steps_per_execution(monkeypatch):
    """With steps_per_execution = 4, Keras calls on_train_batch_end once per 4 steps; the rate counts all 8."""
    import keras
    import numpy as np

    from dcglr_tf.training import callbacks

    clock = iter(range(100))  # each perf_counter call is one second later: the epoch lasts one second
    monkeypatch.setattr(callbacks.time, "perf_counter", lambda: float(next(clock)))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=4)
    monitor = callbacks.ThroughputMonitor(batch_size=2)
    x, y = np.zeros((16, 3), "float32"), np.zeros((16, 1), "float32")
    history = model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[monitor])
    assert history.history["samples_per_second"] == [16.0]
