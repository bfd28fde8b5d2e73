"""Throughput of the DCGLR train step (with and without XLA), of each backbone's forward pass, and of the
multi-crop input pipeline; peak memory of the step. Prints one table; `--json FILE` also writes the rows.

    python benchmarks/benchmark_train_step.py                        # embedded preset, dgcnn, XLA on/off
    python benchmarks/benchmark_train_step.py --backbones dgcnn pointnet pct vit3d
    python benchmarks/benchmark_train_step.py --preset paper --batch_size 8 --steps 3   # the paper's sizes
    python benchmarks/benchmark_train_step.py --strategy mirrored --cpu_replicas 2      # 2 replicas on a CPU
    python benchmarks/benchmark_train_step.py --precision mixed_bfloat16                # mixed precision

Numbers are samples (clouds) per second after a warm-up (compilation excluded). Peak memory is the
process's maximum resident set size after the timed steps (Linux ru_maxrss), a whole-process figure.

Against the machine's limit: the matrix FLOPs of one step, counted layer by layer (`flops.py`, DGCNN) and
read from XLA's optimised program of the step (every dot), the rate the XLA step reaches and its fraction
of this machine's fp32 matmul peak, measured in the same run. `--breakdown` adds the seconds of each part
of the step (kNN graph, edge gathers, convolutions, batch norm, head, loss, optimizer, EMA; `breakdown.py`).
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

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from breakdown import format_breakdown, step_breakdown  # noqa: E402
from flops import analytic_step_flops, matmul_peak_gflops, xla_step_flops  # noqa: E402

from dcglr_tf.data.pipeline import pretraining_dataset, view_shapes  # noqa: E402
from dcglr_tf.models import build_backbone  # noqa: E402
from dcglr_tf.models.precision import PRECISIONS, dtype_policy  # noqa: E402
from dcglr_tf.presets import PRESETS  # noqa: E402
from dcglr_tf.training.distribution import make_strategy, split_cpu, strategy_name  # noqa: E402
from dcglr_tf.training.pretrain import build_model  # noqa: E402


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


def compiled_model(config):
    """A built DCGLR model with its optimizer's slots, compiled with XLA (for its program and its parts)."""
    keras.utils.set_random_seed(0)
    model, optimizer = build_model(config, steps_per_epoch=100)
    model.build((None, config.num_points, 3))
    model.compile(optimizer=optimizer, clip_norm=config.optim.clip_norm, jit_compile=True)
    model.optimizer.build(model.trainable_variables)
    return model


def step_flops(config, model):
    """(analytic {part: FLOPs or None}, XLA {part: FLOPs}) of one training step of `model`."""
    analytic = analytic_step_flops(config, view_shapes(config), model.student_backbone.get_config())
    batch = {name: tf.constant(views) for name, views in random_views(config, np.random.default_rng(0)).items()}
    return analytic, xla_step_flops(model, batch)


def flops_line(name, analytic, xla, step_seconds, peak_gflops):
    total = sum(xla.values())
    counted = None if None in analytic.values() else sum(analytic.values())
    check = "no analytic count for this backbone" if counted is None else (
        f"analytic {counted / 1e9:.1f} G ({', '.join(f'{k} {v / 1e9:.1f}' for k, v in analytic.items())}): "
        f"{'equal' if counted == total else f'differs by {100 * (counted - total) / total:+.2f} %'}")
    rate = total / step_seconds / 1e9
    return (f"{name:9s} FLOPs/step {total / 1e9:.1f} G in XLA's program ({check}); XLA step {rate:.1f} GFLOP/s = "
            f"{100 * rate / peak_gflops:.0f} % of this machine's fp32 matmul peak {peak_gflops:.1f} GFLOP/s")


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
    parser.add_argument("--skip_flops", action="store_true", help="no FLOP count (it compiles the step once more)")
    parser.add_argument("--breakdown", action="store_true", help="also time each part of the step (minutes)")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--strategy", default="default", choices=["default", "mirrored"],
                        help="train step under one device or MirroredStrategy (all GPUs, else all logical CPUs)")
    parser.add_argument("--cpu_replicas", type=int, default=0, help="split the CPU into N logical devices (for --strategy mirrored)")
    parser.add_argument("--precision", default="float32", choices=PRECISIONS, help="Keras dtype policy of the networks")
    parser.add_argument("--koleo_weight", type=float,
                        help="weight of the KoLeo term (loss.koleo_weight; default: each backbone's preset value)")
    args = parser.parse_args()
    if args.cpu_replicas:
        split_cpu(args.cpu_replicas)
    strategy = make_strategy(args.strategy)

    # The pipeline benchmark reads the embedded data; the step benchmarks use random views of the same shapes.
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="dcglr_bench_")

    def preset_config(backbone):
        """The preset as `train.py --backbone=backbone` builds it (views, KoLeo term), with this run's flags."""
        config = PRESETS[args.preset](backbone=backbone)
        if args.batch_size:
            config = dataclasses.replace(config, batch_size=args.batch_size)
        if args.koleo_weight is not None:
            config.loss.koleo_weight = args.koleo_weight
        return dataclasses.replace(config, dataset="synthetic_shapes", data_dir=data_dir, precision=args.precision)

    configs = [(name, preset_config(name)) for name in args.backbones]
    base = configs[0][1]
    for name, config in configs:
        crops = config.crops
        print(f"preset {args.preset}, {name}: batch {config.batch_size}, {config.num_points} points, views "
              f"{crops.num_global}x{crops.global_points} global + {crops.num_local}x{crops.local_points} local + "
              f"{crops.num_half_res}x{config.num_points // 2} half-res, head K={config.head.out_dim}, KoLeo weight "
              f"{config.loss.koleo_weight:g}")
    print(f"strategy {strategy_name(strategy)} ({strategy.num_replicas_in_sync} replica(s)), precision {args.precision}")

    rates = matmul_peak_gflops()
    peak = max(rates.values())
    print(f"fp32 matmul peak of this machine now: {peak:.1f} GFLOP/s (best 2048^3 product: XLA {rates['xla']:.1f}, "
          f"TensorFlow/oneDNN {rates['tensorflow']:.1f})", flush=True)
    rows = []
    for name, config in configs:
        params = build_backbone(name, config.backbone_preset)
        params(tf.zeros([1, config.crops.global_points, 3]))
        row = {"backbone": name, "parameters": int(params.count_params()), "xla_default": params.xla_default}
        for jit in (True, False):
            tag = "xla" if jit else "no_xla"
            row[f"step_samples_per_s_{tag}"], row[f"step_seconds_{tag}"] = bench_train_step(config, jit, args.steps, args.warmup, strategy)
            if jit:  # the process's peak so far: the XLA step (the default path), compilation included
                row["peak_rss_mib_after_xla_step"] = peak_rss_mib()
            row[f"forward_samples_per_s_{tag}"], _ = bench_forward(config, jit, args.steps, args.warmup)
        row["peak_rss_mib"] = peak_rss_mib()
        rows.append(row)
        print(f"{name:9s} params {row['parameters']:>10,d}  step {row['step_samples_per_s_xla']:8.1f} samples/s XLA "
              f"({row['step_seconds_xla']:.3f} s) vs {row['step_samples_per_s_no_xla']:8.1f} without "
              f"(x{row['step_samples_per_s_xla'] / row['step_samples_per_s_no_xla']:.2f}, default "
              f"{'XLA' if row['xla_default'] else 'no XLA'}); forward "
              f"{row['forward_samples_per_s_xla']:9.1f} / {row['forward_samples_per_s_no_xla']:9.1f} samples/s; "
              f"peak RSS {row['peak_rss_mib']:.0f} MiB ({row['peak_rss_mib_after_xla_step']:.0f} after the XLA step)", flush=True)
        if not args.skip_flops or args.breakdown:
            model = compiled_model(config)
        if not args.skip_flops:
            analytic, xla = step_flops(config, model)
            row.update(flops_analytic=analytic, flops_xla=xla, matmul_peak_gflops=peak)
            print(flops_line(name, analytic, xla, row["step_seconds_xla"], peak), flush=True)
        if args.breakdown:
            row["breakdown_seconds"] = step_breakdown(model, config, view_shapes(config), args.steps, args.warmup)
            print(f"{name} step breakdown (each part XLA-compiled alone, real shapes):", flush=True)
            print("\n".join(format_breakdown(row["breakdown_seconds"], row["step_seconds_xla"])), flush=True)

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
