"""Multi-worker training (MultiWorkerMirroredStrategy from TF_CONFIG): TF_CONFIG checks, the cluster timeout,
two worker processes on localhost equal to one process, and a two-worker train.py run that is killed, resumed
and exported by its chief."""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from dcglr_tf.training.distribution import read_tf_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import multi_worker_train  # noqa: E402

from tools.kill_loop import free_ports  # noqa: E402


def tf_config(ports, index):
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]}, "task": {"type": "worker", "index": index}})


def start(args, index, ports, **kwargs):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT, TF_CONFIG=tf_config(ports, index))
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)


def finish(processes, timeout=600):
    results = []
    for process in processes:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for p in processes:
                p.kill()
            raise
        results.append((process.returncode, out, err))
    return results


@pytest.mark.parametrize("value, message", [
    (None, "needs the environment variable TF_CONFIG"),
    ("{cluster: 1", "TF_CONFIG is not valid JSON"),
    ('{"cluster": {"worker": ["127.0.0.1:2222"]}}', 'TF_CONFIG has no "task"'),
    ('{"task": {"type": "worker", "index": 0}}', 'TF_CONFIG has no "cluster"'),
    ('{"cluster": {"worker": ["127.0.0.1:2222"]}, "task": {"type": "worker", "index": 1}}', "TF_CONFIG task index 1"),
    ('{"cluster": {"worker": ["no-port"]}, "task": {"type": "worker", "index": 0}}', "host:port"),
])
def test_bad_tf_config_is_a_one_line_error_naming_it(value, message):
    with pytest.raises(ValueError, match=message) as error:
        read_tf_config({} if value is None else {"TF_CONFIG": value})
    assert "\n" not in str(error.value)


def test_cli_reports_bad_tf_config_and_unreachable_workers(tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT, TF_CONFIG="not json")
    train = [sys.executable, os.path.join(ROOT, "train.py"), "--strategy=multi_worker", "--output_dir", str(tmp_path / "a")]
    bad = subprocess.run(train, env=env, capture_output=True, text=True, timeout=300)
    # (TensorFlow's own start-up lines may come first.)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1].startswith("error: TF_CONFIG is not valid JSON")
    assert "Traceback" not in bad.stderr

    # Worker 1 of 2, whose peer never starts: a clear error after --cluster_timeout, not an endless wait.
    start_time = time.time()
    alone = start([os.path.join(ROOT, "train.py"), "--strategy=multi_worker", "--cluster_timeout=5",
                   "--output_dir", str(tmp_path / "b")], 1, free_ports(2))
    (code, _, err), = finish([alone], timeout=300)
    assert code != 0 and "error: the multi-worker cluster did not form within 5 s" in err and "127.0.0.1:" in err, err
    assert time.time() - start_time < 120


def test_two_worker_processes_equal_one_process(tmp_path):
    """Two workers on localhost, 2 steps of a global batch of 4 = one process on the same batches."""
    ports = free_ports(2)
    out = str(tmp_path / "workers.npz")
    workers = [start([os.path.join(ROOT, "tests", "multi_worker_train.py"), out, "2"], i, ports) for i in range(2)]
    single = multi_worker_train.train(tf.distribute.OneDeviceStrategy("/cpu:0"), steps=2)
    for code, _, err in finish(workers):
        assert code == 0, err
    distributed = np.load(out)
    assert set(distributed.files) == set(single)
    assert len(single["losses"]) == 2
    for name, value in single.items():
        np.testing.assert_allclose(distributed[name], value, rtol=1e-5, atol=1e-5, err_msg=name)


@pytest.mark.slow
def test_two_worker_train_py_run_resumes_after_all_workers_are_killed_and_chief_exports(shapes_data_dir, tmp_path):
    from test_cli import TINY

    from dcglr_tf.export import load_encoder
    from dcglr_tf.training.checkpointing import saved_epoch

    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(TINY))
    out = tmp_path / "run"
    args = [os.path.join(ROOT, "train.py"), "--config", str(config), "--backbone", "pointnet", "--backbone_args",
            '{"widths": [8, 16]}', "--data_dir", shapes_data_dir, "--output_dir", str(out), "--epochs", "2",
            "--steps_per_epoch", "2", "--verbose", "2", "--strategy=multi_worker", "--jit_compile=false"]
    ports = free_ports(2)
    workers = [start(args, i, ports) for i in range(2)]
    checkpoints = str(out / "checkpoints")
    deadline = time.time() + 600
    while not saved_epoch(checkpoints) and all(w.poll() is None for w in workers) and time.time() < deadline:
        time.sleep(0.2)
    for worker in workers:  # kill every worker, as a cluster failure would
        worker.kill()
    outputs = finish(workers)
    done_epochs = saved_epoch(checkpoints)
    assert done_epochs, outputs

    ports = free_ports(2)
    (chief_code, chief_out, chief_err), (code, _, err) = finish([start(args, i, ports) for i in range(2)])
    assert chief_code == 0 and code == 0, chief_err + err
    assert f"resuming {out} at epoch {done_epochs} of 2" in chief_out
    assert sorted(os.listdir(out)) == ["checkpoints", "config.json", "dcglr.keras", "encoder", "logs", "metrics.csv",
                                       "run.lock", "summary.json"]  # run.lock: held by the chief alone
    rows = (out / "metrics.csv").read_text().strip().splitlines()
    assert [row.split(",")[0] for row in rows] == ["epoch", "0", "1"]
    embeddings = load_encoder(str(out / "encoder"))(np.random.default_rng(0).normal(size=(2, 64, 3)))
    assert embeddings.shape == (2, 16) and np.all(np.isfinite(embeddings))
