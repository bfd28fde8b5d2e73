"""Crash-safe training state for resumable runs."""

import json
import os

import keras


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras's BackupAndRestore (weights + optimizer state + epoch after every epoch, restored when `fit`
    starts again), with each file written under a temporary name and renamed into place, so that a run
    killed while saving leaves the previous complete state rather than a truncated file."""

    def __init__(self, backup_dir, write_dir=None):
        """Restore from `backup_dir`, save to `write_dir` (default: the same; a multi-worker run's other
        workers restore the chief's state and save to a scratch directory)."""
        super().__init__(backup_dir, save_freq="epoch", delete_checkpoint=False)
        self.write_dir = write_dir or backup_dir

    def _save_model(self):
        os.makedirs(self.write_dir, exist_ok=True)
        partial_weights = os.path.join(self.write_dir, "partial.weights.h5")
        self.model.save_weights(partial_weights, overwrite=True)
        os.replace(partial_weights, os.path.join(self.write_dir, os.path.basename(self._weights_path)))
        metadata = os.path.join(self.write_dir, os.path.basename(self._training_metadata_path))
        with open(metadata + ".partial", "w") as f:
            json.dump({"epoch": self._current_epoch, "batch": self._last_batch_seen}, f)
        os.replace(metadata + ".partial", metadata)


def saved_epoch(backup_dir):
    """Epochs completed by the state saved in `backup_dir` (0 when there is none)."""
    path = os.path.join(backup_dir, "training_metadata.json")
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return int(json.load(f)["epoch"])
