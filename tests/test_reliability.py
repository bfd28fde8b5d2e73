"""Reliability: clean logs when redirected, one run per directory, and kill -9 at any moment.

The end-to-end test kills train.py at each fault point of `dcglr_tf.utils.faults` (DCGLR_FAULT) and checks that the
same command resumes and finishes with one metrics.csv row per epoch; the others check the pieces in-process
(a full disk while checkpointing: the one-line `CheckpointWriteError` that train.py prints, exit code 2).
"""

import csv
import json
import os
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest

from dcglr_tf.training import checkpointing
from dcglr_tf.training.callbacks import MetricsCSVLogger
from dcglr_tf.training.progress import EpochLine, training_progress
from dcglr_tf.utils import faults
from dcglr_tf.utils.runlock import RunDirInUse, run_dir_lock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
ENV.pop("DCGLR_FAULT", None)
HOLD = """
import sys, time
from dcglr_tf.utils.runlock import run_dir_lock
with run_dir_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(600)
"""


def assert_clean_log(text):
    assert "\r" not in text and "\x1b" not in text, repr(text[-2000:])


def epochs_logged(run_dir):
    with open(os.path.join(run_dir, "metrics.csv"), newline="") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def tiny_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="mse")
    model.optimizer.build(model.trainable_variables)
    return model


# --- logs ---------------------------------------------------------------------------------------------------

def test_epoch_line_holds_epoch_loss_learning_rate_throughput_and_eta():
    lines = []
    line = EpochLine(log=lines.append)
    line.set_params({"epochs": 3, "steps": 2})
    line.on_train_begin()
    for epoch in range(2):
        line.on_epoch_begin(epoch)
        line.on_epoch_end(epoch, {"loss": 2.5, "learning_rate": 3e-3, "samples_per_second": 120.0, "momentum": 0.99})
    assert lines[0].startswith("epoch 1/3: loss 2.5, learning rate 0.003, 120.0 samples/s, ")
    assert lines[1].endswith("ETA 0 s; momentum 0.99") and "ETA" in lines[0]
    assert_clean_log("\n".join(lines))


def test_the_progress_bar_is_for_terminals_and_lines_for_logs(monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert training_progress("auto") == (1, []) and training_progress(1) == (1, [])
    verbose, callbacks = training_progress(2)
    assert verbose == 0 and [type(c) for c in callbacks] == [EpochLine]
    assert training_progress(0) == (0, [])
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    for requested in ("auto", 1, None):
        verbose, callbacks = training_progress(requested)
        assert verbose == 0 and [type(c) for c in callbacks] == [EpochLine]


# --- one run per directory ----------------------------------------------------------------------------------

def hold(run_dir):
    """A process that holds `run_dir` until it is killed."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(run_dir)], env=ENV, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_process_is_refused_and_kill_9_frees_the_directory(tmp_path):
    from dcglr_tf.evaluation.tasks.finetune import fit_in_run_dir

    run_dir = tmp_path / "run"
    holder = hold(run_dir)
    try:
        with pytest.raises(RunDirInUse) as refused:
            with run_dir_lock(str(run_dir)):
                pass
        assert f"{run_dir} is in use: process {holder.pid} is training in it" in str(refused.value)
        assert "\n" not in str(refused.value)
        with pytest.raises(RunDirInUse):  # an evaluate.py training task too, before it writes anything
            fit_in_run_dir(tiny_model(), None, run_dir=str(run_dir), settings={}, epochs=1, batch_size=1, verbose=0)
        assert os.listdir(run_dir) == ["run.lock"]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with run_dir_lock(str(run_dir)):  # no stale lock
        with run_dir_lock(str(run_dir)):  # re-entrant in one process
            pass
    with open(run_dir / "run.lock") as f:
        assert f.read().strip() == str(os.getpid())


# --- crash-safe state ---------------------------------------------------------------------------------------

def test_a_damaged_checkpoint_is_skipped_for_the_one_before_it_and_two_are_kept(tmp_path):
    backup = str(tmp_path / "checkpoints")
    model = tiny_model()
    saver = checkpointing.EpochCheckpoints(backup)
    saver.set_model(model)
    weights = {}
    for epoch in (1, 2, 3):
        model.layers[0].kernel.assign(np.full((3, 2), float(epoch), np.float32))
        saver.save(epoch)
        weights[epoch] = model.get_weights()
    assert sorted(os.listdir(backup)) == ["epoch-000002", "epoch-000003"]
    os.makedirs(os.path.join(backup, "epoch-000004.partial"))  # a write that was killed
    with open(os.path.join(backup, "epoch-000003", checkpointing.WEIGHTS), "r+b") as f:
        f.truncate(100)  # a damaged disk, a copy cut short

    warnings = []
    assert checkpointing.saved_epoch(backup, warnings.append) == 2
    assert len(warnings) == 1 and "epoch-000003 is damaged" in warnings[0] and "using the one before it" in warnings[0]
    fresh = tiny_model()
    assert checkpointing.restore(fresh, backup) == 2
    for restored, saved in zip(fresh.get_weights(), weights[2]):
        np.testing.assert_array_equal(restored, saved)


def test_a_full_disk_while_checkpointing_is_one_line_and_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    backup = str(tmp_path / "checkpoints")
    saver = checkpointing.EpochCheckpoints(backup)
    saver.set_model(tiny_model())
    saver.save(1)
    monkeypatch.setenv("DCGLR_FAULT", "checkpoint_write:1:enospc")
    monkeypatch.setattr(faults, "_arrivals", {})
    with pytest.raises(checkpointing.CheckpointWriteError) as error:
        saver.save(2)
    message = str(error.value)
    assert isinstance(error.value, ValueError) and "\n" not in message  # train.py: "error: ..." and exit code 2
    assert "epoch-000002" in message and "No space left on device" in message
    assert os.listdir(backup) == ["epoch-000001"] and checkpointing.saved_epoch(backup) == 1


def test_metrics_csv_drops_the_rows_of_epochs_a_resumed_run_repeats(tmp_path):
    path = tmp_path / "metrics.csv"
    # Epoch 2 was logged, then the run was killed before its checkpoint; the last line was cut short.
    path.write_text("epoch,loss\r\n0,3.0\r\n1,2.0\r\n2,1.5\r\n3,1.")
    logger = MetricsCSVLogger(str(path), append=True, resume_epoch=2)
    logger.on_train_begin()
    logger.on_epoch_end(2, {"loss": 1.0})
    logger.on_train_end()
    assert epochs_logged(tmp_path) == [0, 1, 2]
    assert list(csv.reader(open(path)))[-1] == ["2", "1.0"]


def test_an_evaluation_training_run_resumes_with_one_row_per_epoch(tmp_path):
    import tensorflow as tf

    from dcglr_tf.evaluation.tasks.finetune import fit_in_run_dir

    data = tf.data.Dataset.from_tensor_slices((np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32))).batch(2)
    run_dir = str(tmp_path / "finetune")
    lines = []
    first = fit_in_run_dir(tiny_model(), data, run_dir=run_dir, settings={"a": 1}, epochs=2, batch_size=2, verbose=2,
                           log=lines.append)
    second = fit_in_run_dir(tiny_model(), data, run_dir=run_dir, settings={"a": 1}, epochs=3, batch_size=2, verbose=2,
                            log=lines.append)
    assert first["epochs_run_now"] == 2 and second["epochs_run_now"] == 1
    assert epochs_logged(run_dir) == [0, 1, 2] and f"resuming {run_dir}" in lines
    epoch_lines = [line for line in lines if line.startswith("epoch")]
    assert [line.split(":")[0] for line in epoch_lines] == ["epoch 1/2", "epoch 2/2", "epoch 3/3"]
    assert all("learning rate 0.1, " in line and " samples/s, " in line for line in epoch_lines)
    assert sorted(os.listdir(os.path.join(run_dir, "checkpoints"))) == ["epoch-000002", "epoch-000003"]


PREPARE_KILLED = """
import os, signal, sys
from tensorflow_datasets.core import example_serializer
from dcglr_tf.builders.synthetic_shapes import synthetic_shapes_dataset_builder as shapes
from dcglr_tf.data.preparation import prepare_with_progress

shapes.TRAIN_PER_CLASS, shapes.TEST_PER_CLASS = 3, 2
serialize, written = example_serializer.ExampleSerializer.serialize_example, []

def serialize_then_die(self, example):
    written.append(1)
    if len(written) == 5:  # half-way through the train split
        os.kill(os.getpid(), signal.SIGKILL)
    return serialize(self, example)

example_serializer.ExampleSerializer.serialize_example = serialize_then_die
prepare_with_progress("synthetic_shapes", sys.argv[1])
"""


def test_a_dataset_preparation_killed_half_way_is_prepared_whole_next_time(tmp_path, monkeypatch):
    from dcglr_tf.builders.synthetic_shapes import synthetic_shapes_dataset_builder as shapes
    from dcglr_tf.data import sources
    from dcglr_tf.data.preparation import prepare_with_progress

    data_dir = str(tmp_path / "tfds")
    killed = subprocess.run([sys.executable, "-c", PREPARE_KILLED, data_dir], env=ENV, cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert killed.stdout == f"preparing synthetic_shapes into {data_dir} (once) ...\n"
    assert_clean_log(killed.stdout + killed.stderr)
    assert not sources.is_prepared("synthetic_shapes", data_dir=data_dir)
    folder = tmp_path / "tfds" / "synthetic_shapes"
    assert len(list(folder.glob("incomplete.*"))) == 1  # TFDS's temporary folder, left by the kill

    monkeypatch.setattr(shapes, "TRAIN_PER_CLASS", 3)
    monkeypatch.setattr(shapes, "TEST_PER_CLASS", 2)
    lines = []
    prepare_with_progress("synthetic_shapes", data_dir, log=lines.append)
    classes = len(shapes.CLASS_NAMES)
    assert lines[-1].startswith("preparing synthetic_shapes: done in ")
    assert lines[-1].endswith(f"(train {3 * classes}, test {2 * classes})")
    assert len(list(sources.load_split("synthetic_shapes", "train", data_dir=data_dir))) == 3 * classes
    assert not list(folder.glob("incomplete.*"))  # the killed preparation's folder is gone too


def test_a_second_process_preparing_the_same_dataset_waits_for_the_first(tmp_path, monkeypatch):
    import fcntl
    import threading

    from dcglr_tf.builders.synthetic_shapes import synthetic_shapes_dataset_builder as shapes
    from dcglr_tf.data import sources
    from dcglr_tf.data.preparation import prepare_with_progress

    monkeypatch.setattr(shapes, "TRAIN_PER_CLASS", 2)
    monkeypatch.setattr(shapes, "TEST_PER_CLASS", 1)
    data_dir = str(tmp_path / "tfds")
    folder = tmp_path / "tfds" / "synthetic_shapes"
    folder.mkdir(parents=True)
    with open(folder / ".prepare-1.0.0.lock", "a+") as held:  # another preparer (its own open file: flock conflicts)
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242\n")
        held.flush()
        lines, waiting = [], threading.Event()
        log = lambda line: (lines.append(line), "waiting" in line and waiting.set())
        second = threading.Thread(target=prepare_with_progress, args=("synthetic_shapes", data_dir), kwargs={"log": log})
        second.start()
        assert waiting.wait(timeout=60), lines
        assert lines[-1] == f"waiting for process 4242, which is preparing synthetic_shapes in {folder} ..."
        second.join(timeout=1)
        assert second.is_alive() and not sources.is_prepared("synthetic_shapes", data_dir=data_dir)
    second.join(timeout=120)
    assert not second.is_alive() and sources.is_prepared("synthetic_shapes", data_dir=data_dir)
    assert lines[-1].startswith("preparing synthetic_shapes: ready in ")  # not "done": the time includes the wait
    classes = len(shapes.CLASS_NAMES)
    assert lines[-1].endswith(f", after waiting for the other process (train {2 * classes}, test {classes})")


# --- kill -9 at any moment, end to end ----------------------------------------------------------------------

def test_the_kill_loop_spreads_its_training_kills_and_ends_with_export_kills():
    from tools import kill_loop

    plan = kill_loop.plan_moments(np.random.default_rng(0), 20)
    places = [place for _, place in plan[:17]]
    assert [moment for moment, _ in plan[17:]] == ["export"] * 3 and places == sorted(places)
    assert {moment for moment, _ in plan[:17]} == {"mid-epoch", "checkpoint", "timed"}
    assert 0 <= places[0] < places[-1] < 1
    # 4 epochs of 15 steps, 1 saved: the place 0.5 is step 31, the 16th batch of the start; 0.6 is in epoch 3.
    assert kill_loop.fault_of("mid-epoch", 0.5, 1, 4, 15) == ("mid-epoch", "batch:16")
    assert kill_loop.fault_of("checkpoint", 0.6, 1, 4, 15) == ("checkpoint", "checkpoint_write:2")
    assert kill_loop.fault_of("mid-epoch", 0.1, 2, 4, 15) == ("mid-epoch", "batch:1")  # a place already trained
    assert kill_loop.fault_of("timed", 0.9, 4, 4, 15) == ("export", "export:1")  # nothing left to train
    assert kill_loop.max_difference({"a": np.ones(3)}, {"a": np.array([1.0, 1.5, 1.0])}, "encoder") == 0.5
    with pytest.raises(SystemExit, match="the two runs' encoder differ in their variables"):
        kill_loop.max_difference({"a": np.ones(3)}, {"b": np.ones(3)}, "encoder")


@pytest.mark.slow
def test_train_py_killed_at_any_point_resumes_with_each_epoch_logged_once(shapes_data_dir, tmp_path):
    """Killed while checkpointing, mid-epoch and while exporting, the run resumes each time, logs each epoch once and
    ends where the same run never interrupted ends, bit for bit."""
    from test_cli import TINY, command

    from dcglr_tf.export import load_encoder
    from tools.kill_loop import compare

    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(TINY))
    out = tmp_path / "run"
    checkpoints = out / "checkpoints"
    args = command("train.py", "--config", str(config), "--data_dir", shapes_data_dir, "--epochs", "3",
                   "--steps_per_epoch", "2", "--jit_compile", "false")

    def attempt(fault=None, run_dir=out):
        env = dict(ENV, DCGLR_FAULT=fault) if fault else ENV
        result = subprocess.run(args + ["--output_dir", str(run_dir)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=600)
        assert_clean_log(result.stdout)  # stdout and stderr, redirected
        return result

    killed = attempt("checkpoint_write:2")  # killed while saving the second epoch
    assert killed.returncode == -signal.SIGKILL, killed.stdout
    assert "epoch 2/3: loss " in killed.stdout and "samples/s" in killed.stdout and "ETA" in killed.stdout
    assert epochs_logged(out) == [0, 1]  # epoch 1 was logged, not saved: it is trained and logged again
    assert sorted(os.listdir(checkpoints)) == ["epoch-000001", "epoch-000002.partial"]

    killed = attempt("batch:3")  # in the middle of the third epoch
    assert killed.returncode == -signal.SIGKILL and f"resuming {out} at epoch 1 of 3" in killed.stdout
    assert epochs_logged(out) == [0, 1] and sorted(os.listdir(checkpoints)) == ["epoch-000001", "epoch-000002"]

    killed = attempt("export:1")  # killed while exporting the encoder
    assert killed.returncode == -signal.SIGKILL and f"resuming {out} at epoch 2 of 3" in killed.stdout
    assert sorted(os.listdir(checkpoints)) == ["epoch-000002", "epoch-000003"]  # the last two
    assert (out / "encoder.partial").exists() and not (out / "encoder").exists()

    done = attempt()
    assert done.returncode == 0, done.stdout
    assert f"resuming {out} at epoch 3 of 3" in done.stdout
    assert epochs_logged(out) == [0, 1, 2]
    assert sorted(os.listdir(out)) == ["checkpoints", "config.json", "dcglr.keras", "encoder", "logs", "metrics.csv",
                                       "run.lock", "summary.json"]
    embeddings = load_encoder(str(out / "encoder"))(np.random.default_rng(0).normal(size=(2, 64, 3)))
    assert len(embeddings) == 2 and np.all(np.isfinite(embeddings))

    assert attempt(run_dir=tmp_path / "uninterrupted").returncode == 0
    differences, rows_equal = compare(str(tmp_path / "uninterrupted"), str(out), 3)
    assert differences == {"encoder": 0.0, "checkpoint": 0.0, "dcglr.keras": 0.0} and rows_equal
