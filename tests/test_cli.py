"""End-to-end runs of train.py and evaluate.py (slow: they compile a real training step)."""

import csv
import json
import math
import os
import signal
import subprocess
import sys

import numpy as np
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


def scheduled(config, step, total_steps):
    """The learning rate, teacher momentum and weight decay of `step` (DINO's schedules, from a run's config.json):
    linear warm-up then cosine for the first, cosines for the others."""
    optim = config["optim"]
    peak = optim["learning_rate"] * config["batch_size"] / 256
    warmup = min(optim["warmup_epochs"] * config["steps_per_epoch"], total_steps // 2)

    def cosine(start, end, t, length):
        return end + 0.5 * (start - end) * (1 + math.cos(math.pi * min(t / length, 1.0)))

    rate = peak * step / warmup if step < warmup else cosine(peak, optim["min_learning_rate"], step - warmup,
                                                             total_steps - warmup)
    return {"learning_rate": rate,
            "momentum": cosine(optim["momentum_start"], optim["momentum_end"], step, total_steps),
            "weight_decay": cosine(optim["weight_decay"], optim["weight_decay_end"], step, total_steps)}


@pytest.mark.slow
def test_train_resume_export_and_svm(tiny_config, shapes_data_dir, tmp_path):
    out = str(tmp_path / "run")
    args = train_args(tiny_config, shapes_data_dir, out, 3, "--jit_compile", "false")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT, DCGLR_FAULT="batch:3")
    # Killed in its second epoch, after the first was checkpointed, as a crash or kill -9 would.
    killed = subprocess.run(command("train.py", *args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert killed.returncode == -signal.SIGKILL and saved_epoch(os.path.join(out, "checkpoints")) == 1, killed.stderr

    resumed = run("train.py", *args)
    assert f"resuming {out} at epoch 1 of 3" in resumed.stdout
    for name in ("config.json", "metrics.csv", "logs", "dcglr.keras", "summary.json", "encoder/saved_model.pb"):
        assert os.path.exists(os.path.join(out, name)), name
    rows = list(csv.DictReader(open(os.path.join(out, "metrics.csv"))))
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    assert not [key for key in rows[-1] if key.startswith("val_")]  # no NA columns for absent validation data
    config = json.load(open(os.path.join(out, "config.json")))
    for epoch, row in enumerate(rows):  # each logged schedule is the mean of its epoch's two steps
        for key in ("learning_rate", "momentum", "weight_decay"):
            expected = np.mean([scheduled(config, 2 * epoch + step, 6)[key] for step in (0, 1)])
            assert float(row[key]) == pytest.approx(expected, rel=1e-5), (epoch, key)
        parts = float(row["loss_g"]) + float(row["loss_l"]) + config["loss"]["koleo_weight"] * float(row["koleo"])
        assert float(row["loss"]) == pytest.approx(parts, rel=1e-5)
        assert 0 < float(row["teacher_entropy"]) <= math.log(TINY["head"]["out_dim"]) + 1e-4
        assert float(row["samples_per_second"]) > 0

    # The same command after the run finished only re-exports.
    again = run("train.py", *args)
    assert "resuming" in again.stdout and len(list(csv.DictReader(open(os.path.join(out, "metrics.csv"))))) == len(rows)

    result_path = str(tmp_path / "svm.json")
    evaluation = run("evaluate.py", "--task=svm", "--encoder", os.path.join(out, "encoder"), "--data_dir", shapes_data_dir,
                     "--dataset", "synthetic_shapes", "--seeds", "0", "--output", result_path)
    result = json.load(open(result_path))
    assert {"task", "dataset", "encoder", "accuracy"} <= set(result)
    assert result["task"] == "svm" and result["dataset"] == "synthetic_shapes"
    assert result["accuracy"] > 1 / 14 and result["settings"]["num_points"] == 64  # above chance: 14 classes
    assert "linear SVM test accuracy" in evaluation.stdout


@pytest.mark.slow
def test_xla_run_and_random_encoder_export(tiny_config, shapes_data_dir, tmp_path):
    out = str(tmp_path / "xla")
    pointnet = ["--backbone", "pointnet", "--backbone_args", '{"widths": [8, 16]}', "--knn_monitor", "1"]
    trained = run("train.py", *train_args(tiny_config, shapes_data_dir, out, 1, "--jit_compile", "true", *pointnet))
    assert "XLA on" in trained.stdout
    rows = list(csv.DictReader(open(os.path.join(out, "metrics.csv"))))
    assert float(rows[-1]["knn_accuracy"]) > 1 / 14  # above chance: 14 classes
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
