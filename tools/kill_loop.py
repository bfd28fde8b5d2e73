"""Kill a short training run with SIGKILL at random moments, start it again each time, and compare where it ends
with the same run never interrupted: the check that a resumed run is the run it replaces, bit for bit.

    python tools/kill_loop.py --kills 20 -- --backbone=dgcnn --epochs=4 --steps_per_epoch=15 --batch_size=16
    python tools/kill_loop.py --kills 5 -- --epochs=3 --steps_per_epoch=8 --strategy=mirrored --cpu_replicas=2
    python tools/kill_loop.py --kills 5 --workers 2 -- --epochs=3 --steps_per_epoch=8 --strategy=multi_worker

Everything after `--` goes to train.py as it is (the tool adds --output_dir and --verbose=2). The uninterrupted run
goes first; then the killed run, one moment per start, drawn with --seed:

- mid-epoch: `DCGLR_FAULT=batch:n`, killed after the n-th batch of that start;
- checkpoint: `DCGLR_FAULT=checkpoint_write:k`, killed with the k-th checkpoint of that start written but not yet
  in place;
- timed: SIGKILL after a delay drawn uniformly up to the uninterrupted run's duration (start-up, compilation, a
  batch, a save: wherever it falls);
- export: `DCGLR_FAULT=export:1`, killed with the encoder written but not yet in place.

The training kills (85 %: half mid-epoch, 30 % checkpoint, 20 % timed) fall at sorted places drawn uniformly over
the schedule, so that they spread over its epochs; the export kills come last (as do the kills planned for training
once every epoch is trained). A moment counts when the process died of SIGKILL. With --workers N, every start
launches N local workers (TF_CONFIG on free ports) and a kill ends them all. The killed run then finishes; the
output is one line: the kills by moment, the largest absolute difference of the exported encoder's variables, of
the last checkpoint (model, optimizer and random generator state) and of `dcglr.keras`, and whether metrics.csv
holds the same rows (samples_per_second, a wall-clock rate, aside). Exit code 1 when a difference exceeds
--tolerance or rows differ.
"""

import argparse
import csv
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile

import h5py
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
TRAINING_MOMENTS = ("mid-epoch", "checkpoint", "timed")
TRAINING_ODDS = (0.5, 0.3, 0.2)
EXPORT_SHARE = 0.15  # of the kills, after training
TIMING_COLUMNS = ("samples_per_second",)


def free_ports(count):
    """`count` TCP ports of 127.0.0.1 free now (for the workers' TF_CONFIG)."""
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start_run(train_args, output_dir, workers, fault, log_path):
    """Start train.py (`workers` local processes of one multi-worker cluster when > 1); -> the processes, chief
    first. The chief's output goes to `log_path`."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=REPO)
    env.pop("DCGLR_FAULT", None)
    if fault:
        env["DCGLR_FAULT"] = fault
    command = [sys.executable, os.path.join(REPO, "train.py"), *train_args, f"--output_dir={output_dir}", "--verbose=2"]
    ports = free_ports(workers) if workers > 1 else []
    processes = []
    for index in range(workers):
        if ports:
            env["TF_CONFIG"] = json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                                           "task": {"type": "worker", "index": index}})
        with open(log_path if index == 0 else os.devnull, "a") as out:
            processes.append(subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT))
    return processes


def wait_run(processes, timeout, kill_after=None):
    """Wait for the processes of one start; SIGKILL them all after `kill_after` seconds (a timed kill), or as soon as
    one of them dies of SIGKILL (a fault point). -> the chief's return code. SystemExit after `timeout` seconds."""
    started = time.monotonic()
    while any(p.poll() is None for p in processes):
        elapsed = time.monotonic() - started
        died = any(p.returncode == -signal.SIGKILL for p in processes)
        if died or (kill_after is not None and elapsed >= kill_after) or elapsed > timeout:
            for p in processes:
                if p.poll() is None:
                    p.kill()
            if elapsed > timeout and not died:
                raise SystemExit(f"error: a start of train.py ran past --timeout={timeout:g} s")
        time.sleep(0.05)
    codes = [p.returncode for p in processes]
    return -signal.SIGKILL if -signal.SIGKILL in codes else codes[0]


def schedule(log_path):
    """(epochs, steps per epoch) from train.py's 'pre-training ...: E epochs x S steps' line."""
    with open(log_path) as f:
        found = re.search(r": (\d+) epochs x (\d+) steps", f.read())
    if not found:
        raise SystemExit(f"error: the uninterrupted run did not train (see {log_path})")
    return int(found.group(1)), int(found.group(2))


def saved_epoch(run_dir):
    from dcglr_tf.training.checkpointing import saved_epoch as newest

    return newest(os.path.join(run_dir, "checkpoints"))


def plan_moments(rng, kills):
    """The moments of `kills` kills: [(moment, place)], `place` where in training a training kill falls (a share of
    the schedule in [0, 1), drawn uniformly, sorted); the last EXPORT_SHARE of the kills (at least one) are export
    kills, with place None."""
    exports = max(1, round(kills * EXPORT_SHARE))
    moments = rng.choice(TRAINING_MOMENTS, size=kills - exports, p=TRAINING_ODDS)
    places = np.sort(rng.uniform(0.0, 1.0, kills - exports))
    return [(str(m), float(p)) for m, p in zip(moments, places)] + [("export", None)] * exports


def fault_of(moment, place, saved, epochs, steps):
    """(moment, DCGLR_FAULT value or None) of a start that resumes after `saved` finished epochs of `steps` steps; a
    training moment once every epoch is trained becomes an export kill."""
    if moment == "export" or saved == epochs:
        return "export", "export:1"
    if moment == "mid-epoch":  # after the batch at that place (at least the first batch of this start)
        return moment, f"batch:{max(1, int(place * epochs * steps) + 1 - saved * steps)}"
    if moment == "checkpoint":  # while writing the checkpoint of the epoch at that place
        return moment, f"checkpoint_write:{max(1, math.ceil(place * epochs) - saved)}"
    return moment, None


def h5_arrays(source):
    """{dataset path: array} of a Keras weights file (path or open file)."""
    arrays = {}
    with h5py.File(source, "r") as f:
        f.visititems(lambda name, item: arrays.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None)
    return arrays


def keras_file_arrays(path):
    with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as f:
        return h5_arrays(f)


def encoder_arrays(path):
    import tensorflow as tf

    return {v.name: v.numpy() for v in tf.saved_model.load(path).variables}


def max_difference(a, b, what):
    """Largest absolute difference between two {name: array} of the same names and shapes; SystemExit otherwise."""
    if sorted(a) != sorted(b):
        raise SystemExit(f"error: the two runs' {what} differ in their variables: {sorted(set(a) ^ set(b))[:5]}")
    worst = 0.0
    for name in a:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        if x.shape != y.shape:
            raise SystemExit(f"error: {what} variable {name} has shape {x.shape} in one run and {y.shape} in the other")
        if x.size:
            worst = max(worst, float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)))))
    return worst


def metrics_rows(run_dir):
    with open(os.path.join(run_dir, "metrics.csv"), newline="") as f:
        return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in csv.DictReader(f)]


def compare(reference, killed, epochs):
    """{what: max abs difference} of the two finished runs, and whether their metrics.csv rows are equal."""
    checkpoint = os.path.join("checkpoints", f"epoch-{epochs:06d}", "state.weights.h5")
    readers = {"encoder": (encoder_arrays, "encoder"), "checkpoint": (h5_arrays, checkpoint),
               "dcglr.keras": (keras_file_arrays, "dcglr.keras")}
    differences = {what: max_difference(*(read(os.path.join(d, path)) for d in (reference, killed)), what)
                   for what, (read, path) in readers.items()}
    return differences, metrics_rows(reference) == metrics_rows(killed)


def uninterrupted_run(train_args, work, args):
    """The uninterrupted run in `work`: (its directory, its duration in seconds, (epochs, steps per epoch)). A
    finished one from an earlier call with the same work folder is used again."""
    run_dir, log = os.path.join(work, "uninterrupted"), os.path.join(work, "uninterrupted.log")
    seconds = os.path.join(work, "uninterrupted.seconds")
    if not os.path.exists(seconds):
        began = time.monotonic()
        if wait_run(start_run(train_args, run_dir, args.workers, None, log), args.timeout) != 0:
            raise SystemExit(f"error: the uninterrupted run failed (see {log})")
        with open(seconds, "w") as f:
            f.write(f"{time.monotonic() - began:.1f}\n")
    with open(seconds) as f:
        return run_dir, float(f.read()), schedule(log)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs to deliver (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the moments (default 0)")
    parser.add_argument("--workers", type=int, default=1, help="local workers per start (2: a multi-worker run)")
    parser.add_argument("--work_dir", help="where the two runs and their logs go (default: a new temporary folder)")
    parser.add_argument("--tolerance", type=float, default=0.0, help="largest difference accepted (default 0)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds one start may take (default 3600)")
    parser.add_argument("train_args", nargs=argparse.REMAINDER, help="-- then train.py's flags")
    args = parser.parse_args(argv)
    train_args = args.train_args[1:] if args.train_args[:1] == ["--"] else args.train_args
    if any(a.startswith("--output_dir") for a in train_args):
        parser.error("the tool chooses the run directories: leave --output_dir out")
    work = args.work_dir or tempfile.mkdtemp(prefix="kill_loop_")
    os.makedirs(work, exist_ok=True)
    began = time.monotonic()
    reference, duration, (epochs, steps) = uninterrupted_run(train_args, work, args)
    killed = os.path.join(work, "killed")

    plan = plan_moments(np.random.default_rng(args.seed), args.kills)
    delays = np.random.default_rng([args.seed, 1]).uniform(0.0, duration, args.kills)  # of the timed kills
    hits = {moment: 0 for moment in (*TRAINING_MOMENTS, "export")}
    starts = 0
    while sum(hits.values()) < args.kills:  # a timed kill after its start finished leaves an export kill to do
        if starts == 2 * args.kills:
            raise SystemExit(f"error: {starts} starts delivered {sum(hits.values())} kills (logs in {work})")
        planned, place = plan[starts] if starts < len(plan) else ("export", None)
        moment, fault = fault_of(planned, place, saved_epoch(killed), epochs, steps)
        delay = delays[starts % args.kills] if moment == "timed" else None
        starts += 1
        log = os.path.join(work, f"start-{starts:03d}.log")
        code = wait_run(start_run(train_args, killed, args.workers, fault, log), args.timeout, kill_after=delay)
        if code == -signal.SIGKILL:
            hits[moment] += 1
        elif code != 0:
            raise SystemExit(f"error: start {starts} ({moment}, {fault or delay}) failed with exit code {code} "
                             f"(see {log})")
    log = os.path.join(work, "last.log")
    if wait_run(start_run(train_args, killed, args.workers, None, log), args.timeout) != 0:
        raise SystemExit(f"error: the last start of the killed run failed (see {log})")

    differences, rows_equal = compare(reference, killed, epochs)
    moments = ", ".join(f"{moment} {count}" for moment, count in hits.items())
    print(f"{sum(hits.values())} kills ({moments}) in {starts + 1} starts; max abs difference to the uninterrupted "
          f"run: " + ", ".join(f"{what} {value:.3g}" for what, value in differences.items()) +
          f"; metrics.csv rows {'equal' if rows_equal else 'DIFFERENT'} (samples_per_second aside); "
          f"{epochs} epochs x {steps} steps, {(time.monotonic() - began) / 60:.1f} min", flush=True)
    return 0 if rows_equal and max(differences.values()) <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
