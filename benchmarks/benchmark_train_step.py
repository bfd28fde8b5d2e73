"""Throughput of the DCGLR train step (with and without XLA), of each backbone's forward pass, and of the
multi-crop input pipeline; peak memory of the step. Prints one table; `--json FILE` also writes the rows.

    python benchmarks/benchmark_train_step.py                        # embedded preset, dgcnn, XLA on/off
    python benchmarks/benchmark_train_step.py --backbones dgcnn pointnet pct vit3d
    python benchmarks/benchmark_train_step.py --preset paper --batch_size 8 --steps 3   # the paper's sizes
    python benchmarks/benchmark_train_step.py --strategy mirrored --cpu_replicas 2      # 2 replicas on a CPU
    python benchmarks/benchmark_train_step.py --precision mixed_bfloat16                # mixed precision

Numbers are samples (clouds) per second after a warm-up (compilation excluded). Peak memory is the
process's maximum resident set size after the timed steps (Linux ru_maxrss), a whole-process figure.
"""

import argparse
import dataclasses
import json
import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras  # noqa: E402
from dcglr_tf.config import PRESETS  # noqa: E402
from dcglr_tf.data.pipeline import pretraining_dataset, view_shapes  # noqa: E402
from dcglr_tf.distribution import make_strategy, split_cpu, strategy_name  # noqa: E402
from dcglr_tf.models import build_backbone  # noqa: E402
from dcglr_tf.precision import PRECISIONS, dtype_policy  # noqa: E402
from dcglr_tf.pretrain import build_model  # noqa: E402


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def random_views(config, rng):
    return {
        name: rng.normal(size=(config.batch_size,) + shape).astype(np.float32) * 0.5
        for name, shape in view_shapes(config).items()
    }


def time_calls(fn, steps, warmup):
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - start) / steps


def bench_train_step(config, jit, steps, warmup, strategy):
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model, optimizer = build_model(config, steps_per_epoch=100)
        model.build((None, config.num_points, 3))
        model.compile(optimizer=optimizer, clip_norm=config.optim.clip_norm, jit_compile=jit)
    batch = random_views(config, np.random.default_rng(0))
    seconds = time_calls(lambda: model.train_on_batch(batch), steps, warmup)
    return config.batch_size / seconds, seconds


def bench_forward(config, jit, steps, warmup):
    keras.utils.set_random_seed(0)
    with dtype_policy(config.precision):
        backbone = build_backbone(config.backbone, config.backbone_preset, **config.backbone_args)
    points = tf.random.normal([config.batch_size, config.crops.global_points, 3])
    forward = tf.function(lambda p: backbone(p, training=False), jit_compile=jit)
    seconds = time_calls(lambda: forward(points).numpy(), steps, warmup)
    return config.batch_size / seconds, seconds


def bench_pipeline(config, batches):
    iterator = iter(pretraining_dataset(config))
    next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * config.batch_size / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="embedded", choices=sorted(PRESETS))
    parser.add_argument("--backbones", nargs="+", default=["dgcnn"])
    parser.add_argument("--batch_size", type=int)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per measurement")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps (compilation) per measurement")
    parser.add_argument("--pipeline_batches", type=int, default=50)
    parser.add_argument("--data_dir", help="TFDS data_dir for the pipeline benchmark (default: a temporary one)")
    parser.add_argument("--skip_pipeline", action="store_true")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--strategy", default="default", choices=["default", "mirrored"],
                        help="train step under one device or MirroredStrategy (all GPUs, else all logical CPUs)")
    parser.add_argument("--cpu_replicas", type=int, default=0, help="split the CPU into N logical devices (for --strategy mirrored)")
    parser.add_argument("--precision", default="float32", choices=PRECISIONS, help="Keras dtype policy of the networks")
    args = parser.parse_args()
    if args.cpu_replicas:
        split_cpu(args.cpu_replicas)
    strategy = make_strategy(args.strategy)

    base = PRESETS[args.preset]()
    if args.batch_size:
        base = dataclasses.replace(base, batch_size=args.batch_size)
    # The pipeline benchmark reads the embedded data; the step benchmarks use random views of the same shapes.
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="dcglr_bench_")
    base = dataclasses.replace(base, dataset="synthetic_shapes", data_dir=data_dir, precision=args.precision)
    crops = base.crops
    print(f"preset {args.preset}: batch {base.batch_size}, {base.num_points} points, views "
          f"{crops.num_global}x{crops.global_points} global + {crops.num_local}x{crops.local_points} local + "
          f"{crops.num_half_res}x{base.num_points // 2} half-res, head K={base.head.out_dim}")
    print(f"strategy {strategy_name(strategy)} ({strategy.num_replicas_in_sync} replica(s)), precision {args.precision}")

    rows = []
    for name in args.backbones:
        config = dataclasses.replace(base, backbone=name)
        params = build_backbone(name, config.backbone_preset)
        params(tf.zeros([1, config.crops.global_points, 3]))
        row = {"backbone": name, "parameters": int(params.count_params())}
        for jit in (True, False):
            tag = "xla" if jit else "no_xla"
            row[f"step_samples_per_s_{tag}"], row[f"step_seconds_{tag}"] = bench_train_step(config, jit, args.steps, args.warmup, strategy)
            row[f"forward_samples_per_s_{tag}"], _ = bench_forward(config, jit, args.steps, args.warmup)
        row["peak_rss_mib"] = peak_rss_mib()
        rows.append(row)
        print(f"{name:9s} params {row['parameters']:>10,d}  step {row['step_samples_per_s_xla']:8.1f} samples/s XLA "
              f"({row['step_seconds_xla']:.3f} s) vs {row['step_samples_per_s_no_xla']:8.1f} without "
              f"(x{row['step_samples_per_s_xla'] / row['step_samples_per_s_no_xla']:.2f}); forward "
              f"{row['forward_samples_per_s_xla']:9.1f} / {row['forward_samples_per_s_no_xla']:9.1f} samples/s; "
              f"peak RSS {row['peak_rss_mib']:.0f} MiB", flush=True)

    result = {"preset": args.preset, "batch_size": base.batch_size, "strategy": args.strategy,
              "replicas": strategy.num_replicas_in_sync, "precision": args.precision, "rows": rows}
    if not args.skip_pipeline:
        pipeline = bench_pipeline(base, args.pipeline_batches)
        result["pipeline_samples_per_s"] = pipeline
        slowest_step = min(r["step_samples_per_s_xla"] for r in rows)
        print(f"multi-crop pipeline: {pipeline:.1f} samples/s = x{pipeline / slowest_step:.1f} the slowest XLA step above")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
