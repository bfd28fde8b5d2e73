"""Crash-safe training state: weights, optimizer state and epoch after every epoch, the last two kept.

Layout: BACKUP_DIR/epoch-000003/{state.weights.h5, manifest.json} is the state after 3 finished epochs. A
checkpoint is written into `epoch-000003.partial/`, its manifest (epoch, size and SHA-256 of the weights file)
last, and renamed into place, so a run killed while saving leaves the checkpoints before it whole. On resume,
a checkpoint whose manifest is missing or does not match its weights file (a damaged disk, a copy cut short)
is skipped with a warning and the one before it is used. A run directory written by an earlier version (Keras
BackupAndRestore's `latest.weights.h5` + `training_metadata.json`) still resumes.
"""

import hashlib
import json
import os
import re
from dataclasses import dataclass

import keras

from dcglr_tf.utils.atomic import remove, replacing
from dcglr_tf.utils.faults import fault_point

KEEP = 2
WEIGHTS = "state.weights.h5"
MANIFEST = "manifest.json"
_NAME = re.compile(r"epoch-(\d+)$")


class CheckpointWriteError(ValueError):
    """A checkpoint could not be written (e.g. a full disk); the checkpoints before it are intact."""


@dataclass(frozen=True)
class Checkpoint:
    epoch: int  # epochs finished
    weights: str  # path of the weights file (model + optimizer variables)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _problem(folder, epoch):
    """Why the checkpoint in `folder` cannot be trusted, or None when it is whole."""
    try:
        with open(os.path.join(folder, MANIFEST)) as f:
            manifest = json.load(f)
    except FileNotFoundError:
        return f"no {MANIFEST}"
    except (OSError, ValueError) as error:
        return f"unreadable {MANIFEST}: {error}"
    weights = os.path.join(folder, WEIGHTS)
    if not isinstance(manifest, dict) or manifest.get("epoch") != epoch:
        return f"{MANIFEST} does not describe epoch {epoch}"
    if not os.path.isfile(weights):
        return f"no {WEIGHTS}"
    if os.path.getsize(weights) != manifest.get("bytes"):
        return f"{WEIGHTS} has {os.path.getsize(weights)} bytes, its manifest says {manifest.get('bytes')}"
    if _sha256(weights) != manifest.get("sha256"):
        return f"{WEIGHTS} does not match its SHA-256 checksum"
    return None


def _folders(backup_dir):
    """[(epoch, folder)] of the checkpoint folders in `backup_dir`, newest first (whole or not)."""
    if not os.path.isdir(backup_dir):
        return []
    found = [(int(m.group(1)), os.path.join(backup_dir, name)) for name in os.listdir(backup_dir)
             if (m := _NAME.match(name)) and os.path.isdir(os.path.join(backup_dir, name))]
    return sorted(found, reverse=True)


def _legacy_checkpoint(backup_dir):
    weights = os.path.join(backup_dir, "latest.weights.h5")
    try:
        with open(os.path.join(backup_dir, "training_metadata.json")) as f:
            epoch = int(json.load(f)["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Checkpoint(epoch, weights) if os.path.isfile(weights) else None


def latest_checkpoint(backup_dir, log=None):
    """The newest whole `Checkpoint` in `backup_dir`, or None. Damaged ones are skipped, each with a warning
    through `log` (when given)."""
    for epoch, folder in _folders(backup_dir):
        problem = _problem(folder, epoch)
        if problem is None:
            return Checkpoint(epoch, os.path.join(folder, WEIGHTS))
        if log is not None:
            log(f"warning: checkpoint {folder} is damaged ({problem}); using the one before it")
    return _legacy_checkpoint(backup_dir)


def saved_epoch(backup_dir, log=None):
    """Epochs finished by the newest whole checkpoint in `backup_dir` (0 when there is none)."""
    checkpoint = latest_checkpoint(backup_dir, log)
    return checkpoint.epoch if checkpoint else 0


def load(model, checkpoint):
    """Load `checkpoint` (a `Checkpoint`) into `model` (built; compiled to restore the optimizer too); returns
    its epoch."""
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    model.load_weights(checkpoint.weights)
    return checkpoint.epoch


def restore(model, backup_dir):
    """Load the newest whole checkpoint of `backup_dir` into `model` (see `load`); returns its epoch, 0 when
    there is none (the model is left as it is)."""
    checkpoint = latest_checkpoint(backup_dir)
    return 0 if checkpoint is None else load(model, checkpoint)


class EpochCheckpoints(keras.callbacks.Callback):
    """Loads the checkpoint a run resumes from when training begins and saves one after every epoch (see the
    module docstring); the last `KEEP` are kept. Look the checkpoint up once, `latest_checkpoint(backup_dir,
    log)` (which also reports damaged ones), and pass `fit` its epoch as `initial_epoch`. Place it after the
    loggers, so that an epoch's metrics are logged before its checkpoint exists (a resumed run then drops the
    rows of the epochs it repeats: `MetricsCSVLogger(resume_epoch=...)`).

    A checkpoint that cannot be written (full disk) raises `CheckpointWriteError`, a one-line message.
    """

    def __init__(self, write_dir, resume_from=None):
        """Save to `write_dir`; load `resume_from` (a `Checkpoint`, or None to start afresh) when training
        begins. A multi-worker run's other workers resume from the chief's checkpoint and save to a scratch
        directory."""
        super().__init__()
        self.write_dir = write_dir
        self.resume_from = resume_from

    def on_train_begin(self, logs=None):
        if self.resume_from is not None:
            load(self.model, self.resume_from)

    def on_train_batch_end(self, batch, logs=None):
        fault_point("batch")

    def on_epoch_end(self, epoch, logs=None):
        self.save(epoch + 1)

    def save(self, epoch):
        """Write the model's state as the checkpoint after `epoch` finished epochs, then drop old ones."""
        folder = os.path.join(self.write_dir, f"epoch-{epoch:06d}")
        try:
            os.makedirs(self.write_dir, exist_ok=True)
            with replacing(folder) as tmp:
                os.makedirs(tmp)
                weights = os.path.join(tmp, WEIGHTS)
                self.model.save_weights(weights)
                fault_point("checkpoint_write")
                manifest = {"epoch": epoch, "bytes": os.path.getsize(weights), "sha256": _sha256(weights)}
                with open(os.path.join(tmp, MANIFEST), "w") as f:
                    json.dump(manifest, f)
        except OSError as error:
            raise CheckpointWriteError(
                f"cannot write the checkpoint of epoch {epoch} to {folder}: {error.strerror or error}; the "
                f"checkpoints before it are intact: free space, then run the same command again to resume"
            ) from error
        for _, old in _folders(self.write_dir)[KEEP:]:
            remove(old)
