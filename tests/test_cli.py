"""End-to-end runs of train.py and evaluate.py (slow: they compile a real training step)."""

import csv
import json
import os
import subprocess
import sys
import time

import pytest

from dcglr_tf.training.checkpointing import saved_epoch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = {
    "dataset": "synthetic_shapes",
    "num_points": 64,
    "batch_size": 4,
    "crops": {"global_points": 32, "num_local": 2, "local_points": 16},
    "head": {"out_dim": 32, "hidden_dim": 16, "bottleneck_dim": 8},
    "backbone_args": {"widths": [8, 8], "k": 4, "emb_dim": 16},
}


def command(script, *args):
    return [sys.executable, os.path.join(ROOT, script), *args]


def run(script, *args, check=True):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
    result = subprocess.run(command(script, *args), capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"{script} {args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def tiny_config(tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "tiny.json"
    path.write_text(json.dumps(TINY))
    return str(path)


def train_args(config, data_dir, output_dir, epochs, *extra):
    return ["--config", config, "--data_dir", data_dir, "--output_dir", output_dir, "--epochs", str(epochs),
            "--steps_per_epoch", "2", "--verbose", "2", *extra]


@pytest.mark.slow
def test_train_resume_export_and_svm(tiny_config, shapes_data_dir, tmp_path):
    out = str(tmp_path / "run")
    args = train_args(tiny_config, shapes_data_dir, out, 3, "--jit_compile", "false")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
    # Interrupt the first run once its first epoch is checkpointed, as a crash or Ctrl-C would.
    process = subprocess.Popen(command("train.py", *args), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    checkpoints = os.path.join(out, "checkpoints")
    deadline = time.time() + 600
    while not saved_epoch(checkpoints) and process.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    process.kill()
    process.wait()
    done_epochs = saved_epoch(checkpoints)
    assert done_epochs, process.stdout.read().decode()

    resumed = run("train.py", *args)
    if done_epochs < 3:
        assert f"resuming {out} at epoch {done_epochs} of 3" in resumed.stdout
    for name in ("config.json", "metrics.csv", "logs", "dcglr.keras", "summary.json", "encoder/saved_model.pb"):
        assert os.path.exists(os.path.join(out, name)), name
    rows = list(csv.DictReader(open(os.path.join(out, "metrics.csv"))))
    assert rows[-1]["epoch"] == "2"
    assert not [key for key in rows[-1] if key.startswith("val_")]  # no NA columns for absent validation data
    for key in ("loss", "loss_g", "loss_l", "teacher_entropy", "learning_rate", "momentum", "samples_per_second"):
        assert float(rows[-1][key]) == float(rows[-1][key])  # present and a number (not NA)

    # The same command after the run finished only re-exports.
    again = run("train.py", *args)
    assert "resuming" in again.stdout and len(list(csv.DictReader(open(os.path.join(out, "metrics.csv"))))) == len(rows)

    result_path = str(tmp_path / "svm.json")
    evaluation = run("evaluate.py", "--task=svm", "--encoder", os.path.join(out, "encoder"), "--data_dir", shapes_data_dir,
                     "--dataset", "synthetic_shapes", "--seeds", "0", "--output", result_path)
    result = json.load(open(result_path))
    assert {"task", "dataset", "encoder", "accuracy"} <= set(result)
    assert result["task"] == "svm" and result["dataset"] == "synthetic_shapes"
    assert 0.0 <= result["accuracy"] <= 1.0 and result["settings"]["num_points"] == 64
    assert "linear SVM test accuracy" in evaluation.stdout


@pytest.mark.slow
def test_xla_run_and_random_encoder_export(tiny_config, shapes_data_dir, tmp_path):
    out = str(tmp_path / "xla")
    pointnet = ["--backbone", "pointnet", "--backbone_args", '{"widths": [8, 16]}', "--knn_monitor", "1"]
    trained = run("train.py", *train_args(tiny_config, shapes_data_dir, out, 1, "--jit_compile", "true", *pointnet))
    assert "XLA on" in trained.stdout
    rows = list(csv.DictReader(open(os.path.join(out, "metrics.csv"))))
    assert 0.0 <= float(rows[-1]["knn_accuracy"]) <= 1.0
    initial = str(tmp_path / "initial")
    run("train.py", *train_args(tiny_config, shapes_data_dir, initial, 0))
    assert os.path.exists(os.path.join(initial, "encoder", "saved_model.pb"))
    assert not os.path.exists(os.path.join(initial, "metrics.csv"))


def test_cli_errors_are_readable(tiny_config, tmp_path):
    unknown = run("train.py", "--backbone=nope", "--output_dir", str(tmp_path / "x"), check=False)
    assert unknown.returncode == 2 and "unknown backbone 'nope'; choose one of: " in unknown.stderr
    assert "dgcnn" in unknown.stderr and "Traceback" not in unknown.stderr

    out = str(tmp_path / "mismatch")
    os.makedirs(out)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump({"epochs": 999}, f)
    mismatch = run("train.py", "--config", tiny_config, "--output_dir", out, "--epochs", "1", check=False)
    assert mismatch.returncode == 2 and "holds a run with a different config" in mismatch.stderr

    indivisible = run("train.py", "--config", tiny_config, "--batch_size", "5", "--strategy", "mirrored",
                      "--cpu_replicas", "2", "--output_dir", str(tmp_path / "m"), check=False)
    assert indivisible.returncode == 2 and "not divisible by the 2 replicas" in indivisible.stderr

    missing = run("evaluate.py", "--task=svm", "--encoder", str(tmp_path / "none"), check=False)
    assert missing.returncode == 2 and "no exported encoder" in missing.stderr and "Traceback" not in missing.stderr
