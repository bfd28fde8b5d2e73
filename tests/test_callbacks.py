"""MetricsCSVLogger: exactly the logged columns, and aligned rows when a resumed run appends."""

import csv

from dcglr_tf.callbacks import MetricsCSVLogger


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
