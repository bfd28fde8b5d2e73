"""Before/after of a change: the XLA-compiled DCGLR training step of several commits, one process each.

    python benchmarks/benchmark_commits.py 632b34e HEAD                      # paper preset, batch 8, DGCNN
    python benchmarks/benchmark_commits.py 632b34e HEAD --rounds 2 --preset embedded --batch_size 16

Each commit is exported with `git archive` into a temporary folder and its own code runs the step (its
`build_model` on random views of the preset's shapes, as benchmark_train_step.py does) in a fresh Python
process: one compiling step, then `--steps` timed ones. Rounds interleave the commits, so a machine that gets
busier or quieter affects them alike. Prints per run the median step in wall time and in the process's CPU time
(all its threads; on a machine shared with other jobs the CPU time moves less with their load than the wall time
does), the process's peak RSS (compilation included) and the last step's loss: commits that compute the same
function give the same loss.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

STEP = """
import dataclasses, json, os, resource, statistics, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras, numpy as np
from dcglr_tf.presets import PRESETS
from dcglr_tf.data.pipeline import view_shapes
from dcglr_tf.training.pretrain import build_model
preset, backbone, batch_size, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
config = dataclasses.replace(PRESETS[preset](), backbone=backbone, batch_size=batch_size)
keras.utils.set_random_seed(0)
model, optimizer = build_model(config, steps_per_epoch=100)
model.build((None, config.num_points, 3))
model.compile(optimizer=optimizer, clip_norm=config.optim.clip_norm, jit_compile=True)
rng = np.random.default_rng(0)
batch = {k: rng.normal(size=(batch_size,) + s).astype("float32") * 0.5 for k, s in view_shapes(config).items()}
model.train_on_batch(batch)
times, cpu_times = [], []
for _ in range(steps):
    start, cpu_start = time.perf_counter(), time.process_time()
    logs = model.train_on_batch(batch, return_dict=True)
    times.append(time.perf_counter() - start)
    cpu_times.append(time.process_time() - cpu_start)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": statistics.median(times), "cpu_seconds": statistics.median(cpu_times),
                  "peak_rss_mib": peak, "loss": float(logs["loss"])}))
"""


def export(revision, folder):
    """The tree of `revision` in folder/<revision>; a clear error for an unknown revision."""
    target = os.path.join(folder, revision.replace("/", "_"))
    os.makedirs(target)
    archive = subprocess.run(["git", "-C", REPO, "archive", revision], capture_output=True)
    if archive.returncode:
        sys.exit(f"benchmark_commits: git cannot export {revision!r}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", target], input=archive.stdout, check=True)
    return target


def run_step(tree, args):
    """One fresh process on `tree`'s code -> {"seconds", "cpu_seconds", "peak_rss_mib", "loss"}."""
    env = dict(os.environ, PYTHONPATH=tree)
    command = [sys.executable, "-c", STEP, args.preset, args.backbone, str(args.batch_size), str(args.steps)]
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"benchmark_commits: the step failed in {tree}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("revisions", nargs="+", help="git revisions to compare, e.g. a commit before a change and HEAD")
    parser.add_argument("--preset", default="paper", choices=["paper", "embedded"])
    parser.add_argument("--backbone", default="dgcnn")
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per process, after one compiling step")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dcglr_commits_") as folder:
        trees = {revision: export(revision, folder) for revision in args.revisions}
        results = {revision: [] for revision in args.revisions}
        for round_index in range(args.rounds):
            for revision, tree in trees.items():
                load = os.getloadavg()[0]
                result = run_step(tree, args)
                results[revision].append(result)
                print(f"round {round_index + 1} {revision:>10s}: step {result['seconds']:.3f} s "
                      f"({result['cpu_seconds']:.3f} s CPU), peak RSS {result['peak_rss_mib']:.0f} MiB, loss "
                      f"{result['loss']:.4f} (load {load:.1f})", flush=True)
    for revision, runs in results.items():
        print(f"{revision:>10s}: median step {statistics.median(r['seconds'] for r in runs):.3f} s, "
              f"{statistics.median(r['cpu_seconds'] for r in runs):.3f} s CPU, over {len(runs)} round(s)")


if __name__ == "__main__":
    main()
