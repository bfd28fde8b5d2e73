"""The pre-training study: each training choice's effect on the gain of pre-trained over random-init features.

For every variant and seed it runs the public commands a user runs:

    python train.py --backbone=B --seed=S --output_dir=ROOT/<variant>-s<S> <variant's flags>
    python train.py --backbone=B --seed=S --output_dir=ROOT/<variant>-s<S>-random <variant's flags> --epochs=0
                    (when the variant does not change the encoder's architecture: the default's random twin,
                    ROOT/default-s<S>-random, built by the default's command, without the variant's flags)
    python evaluate.py --task=svm|knn --encoder=<each>/encoder ...            (the default data)
    python evaluate.py --task=knn --protocol=loo --k 1 --num_points=256|1024 (leave-one-out 1-NN, test split)
    python evaluate.py --task=retrieval --points_file=F ...                  (with --points_file: real shapes)
    python evaluate.py --task=transfer --points_file=F --file_class=C --k 20 (kNN from the default data's train
                                                                              split to F's shapes, all of class C)
    python evaluate.py --task=knn --protocol=loo --points_file=M ...         (with --meshes_file: real shapes of
                                                                              several classes, leave-one-out 1-NN)
    ... --point_order=random                                                 (the metrics named *_random or
                                                                              *_shuffled: N random points per cloud)

and prints one table of pre-trained accuracy, random-init accuracy and gain per metric (mean +- std over
seeds), also written as JSON. Runs that finished are reused (train.py resumes them, or exports a finished one
again; results are read back), so an interrupted study continues where it stopped. train.py runs for every run
directory, so one made with another config or architecture (a study root from an earlier version, where a
variant's name meant other flags or a preset other values) is refused with the difference named, never
reported as the variant's result.

    python tools/pretraining_study.py --variants default no_head_bn --seeds 0 1 2 --root /tmp/study
    python tools/pretraining_study.py --list                      # the variants and their flags

`--jobs N` runs N variant/seed pairs at once (for a machine with many cores or a GPU); on a 2-core CPU keep 1.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from dcglr_tf.presets import embedded_config  # noqa: E402  (dataclasses only, no TensorFlow)


def learning_rate_times(factor):
    """The flag of `factor` x the backbone's embedded base learning rate (a variant's flag, made per backbone)."""
    return lambda backbone: f"--learning_rate={embedded_config(backbone=backbone).optim.learning_rate * factor:g}"

# name -> (train.py flags, TrainConfig values for --config, what it changes). Each is the default run with one change.
VARIANTS = {
    "default": ([], None, "the embedded preset as shipped"),
    "no_max_points": (["--max_points=0"], None, "the encoder uses every point (no FPS down-sampling of denser clouds)"),
    "max_points_256": (["--max_points=256"], None, "the encoder works at 256 points instead of the global view size"),
    "head_bn": ([], {"head": {"use_bn": True}}, "batch norm in the projector MLP"),
    "no_head_bn": ([], {"head": {"use_bn": False}}, "no batch norm in the projector MLP (DINO's default)"),
    "rotate": ([], {"crops": {"rotate": True}}, "random rotation about the up axis for every view"),
    "lr_x0.1": ([learning_rate_times(0.1)], None, "a tenth of the backbone's base learning rate"),
    "lr_x0.5": ([learning_rate_times(0.5)], None, "half the backbone's base learning rate"),
    "lr_x2": ([learning_rate_times(2)], None, "twice the backbone's base learning rate"),
    "epochs_12": (["--epochs=12"], None, "12 epochs (1,200 steps; PointNet's default, PCT's and 3D-ViT's before epochs_24)"),
    "epochs_16": (["--epochs=16"], None, "16 epochs (1,600 steps)"),
    "epochs_26": (["--epochs=26"], None, "26 epochs (2,600 steps)"),
    "epochs_24": (["--epochs=24"], None, "24 epochs (2,400 steps)"),
    "epochs_48": (["--epochs=48"], None, "48 epochs (4,800 steps)"),
    "epochs_96": (["--epochs=96"], None, "96 epochs (9,600 steps)"),
    "half_res_16": (["--epochs=16"], {"crops": {"num_half_res": 2}},
                    "an earlier DGCNN default: 16 epochs with the two half-resolution views"),
    "warmup_2": ([], {"optim": {"warmup_epochs": 2}}, "2 warm-up epochs instead of 1"),
    "local_8": ([], {"crops": {"num_local": 8}}, "8 local crops instead of 4"),
    "no_half_res_22": (["--epochs=22"], {"crops": {"num_half_res": 0}},
                       "no half-resolution views, 22 epochs (DGCNN's default before epochs_26)"),
    "global_fps": ([], {"crops": {"global_sampling": "fps"}},
                   "global crops reduced to their farthest-point samples (as the encoder reduces clouds), not a random subset"),
    "mixed": ([], {"crops": {"global_sampling": "mixed"}},
              "global views sampled from clumped to even: the farthest-point sample of a random share of the crop, "
              "log-uniform from the view's 128 points (a random subset) to the whole crop"),
    "mixed_512": (["--num_points=512"], {"crops": {"global_sampling": "mixed"}},
                  "mixed global views of 512-point training clouds (crops of 358-512 points), denser samplings too"),
    "mixed_1024": (["--num_points=1024"], {"crops": {"global_sampling": "mixed"}},
                   "mixed global views of 1,024-point training clouds (crops of 717-1,024 points)"),
    "momentum_0.98": ([], {"optim": {"momentum_start": 0.98}}, "teacher momentum from 0.98 instead of 0.99 (cosine to 1)"),
    "momentum_0.995": ([], {"optim": {"momentum_start": 0.995}},
                       "teacher momentum from 0.995 instead of 0.99 (cosine to 1)"),
    "weight_decay_const": ([], {"optim": {"weight_decay_end": 0.04}},
                           "weight decay held at 0.04 instead of rising to 0.4 (cosine)"),
    "global_ratio_0.4": ([], {"crops": {"global_ratio": [0.4, 1.0]}},
                         "global crops of ratio U(0.4, 1.0) (DINO's default scale) instead of U(0.7, 1.0)"),
    "scale_0.67": ([], {"crops": {"scale_range": [0.67, 1.5]}},
                   "random anisotropic scale per axis of U(0.67, 1.5) instead of U(0.8, 1.25) for every view"),
    "scale_1.0": ([], {"crops": {"scale_range": [1.0, 1.0]}},
                  "no random anisotropic scale (it blurs the proportions that tell box-like categories apart)"),
    "no_local_46": (["--epochs=46"], {"crops": {"num_local": 0}},
                    "no local crops (global-to-global only), 46 epochs: the default's time (the step 1.27x faster)"),
    "local_ratio_0.1": ([], {"crops": {"local_ratio": [0.1, 0.4]}},
                        "smaller local crops: ratio U(0.1, 0.4) of the cloud instead of U(0.2, 0.5)"),
    "out_dim_128": ([], {"head": {"out_dim": 128}}, "K = 128 prototypes instead of 512"),
    "out_dim_2048": ([], {"head": {"out_dim": 2048}}, "K = 2048 prototypes instead of 512"),
    "head_512": ([], {"head": {"hidden_dim": 512, "bottleneck_dim": 128}},
                 "a wider projector: hidden 512, bottleneck 128 instead of 256 / 64"),
    "freeze_0": ([], {"optim": {"freeze_last_layer_epochs": 0}},
                 "the projector's last layer trained from the first step (not frozen for the first epoch)"),
    "batch_8": (["--batch_size=8", "--epochs=44"], None,
                "batch 8 for 44 x 100 steps: the default's samples and time in twice the steps (peak rate base x 8 / 256)"),
    "batch_8_lr_x2": (["--batch_size=8", "--epochs=44", learning_rate_times(2)], None,
                      "batch 8 for 44 x 100 steps at the default's peak rate (twice the base rate)"),
    "batch_4": (["--batch_size=4", "--epochs=88"], None,
                "batch 4 for 88 x 100 steps: the default's samples in four times the steps (peak rate base x 4 / 256)"),
    "pair_weights": ([], {"loss": {"global_weight": 0.4, "local_weight": 1.6}},
                     "every (teacher view, student view) pair weighted alike, DINO's mean over pairs: with 2 global "
                     "and 4 local crops, 2 global and 8 local pairs -> w_g 0.4, w_l 1.6 (the default's sum, 2)"),
    "koleo_0.1": ([], {"loss": {"koleo_weight": 0.1}},
                  "a KoLeo term of weight 0.1 (on the mean over the global crops; DINOv2 weighs their sum by 0.1) "
                  "spreading the student's global-crop features: the DGCNN and 3D-ViT default since, so the same run"),
    "no_koleo": ([], {"loss": {"koleo_weight": 0.0}},
                 "without the KoLeo term (the DGCNN and 3D-ViT defaults before it)"),
    "koleo_0.03": ([], {"loss": {"koleo_weight": 0.03}}, "a KoLeo term of weight 0.03"),
    "koleo_0.2": ([], {"loss": {"koleo_weight": 0.2}},
                  "a KoLeo term of weight 0.2 on the mean over the global crops: DINOv2's 0.1 on their sum"),
    "teacher_temp_0.07": ([], {"loss": {"teacher_temp": 0.07}}, "teacher temperature 0.07"),
    "synthetic_shapes": (["--dataset=synthetic_shapes"], None, "pre-train on the old primitive shapes"),
    "cpu_long": (["--preset=cpu_long"], None,
                 "the cpu_long preset: the default recipe trained longer (DGCNN's and 3D-ViT's with their KoLeo term)"),
    "cpu_long_koleo": (["--preset=cpu_long"], {"loss": {"koleo_weight": 0.1}},
                       "the cpu_long preset with a KoLeo term of weight 0.1: DGCNN's and 3D-ViT's cpu_long since, so "
                       "the same run (the name their seeds were trained under)"),
    "cpu_long_no_koleo": (["--preset=cpu_long"], {"loss": {"koleo_weight": 0.0}},
                          "the cpu_long preset without the KoLeo term (DGCNN's and 3D-ViT's cpu_long before it)"),
    "cpu_long_80": (["--preset=cpu_long", "--epochs=80"], {"loss": {"koleo_weight": 0.0}},
                    "the previous cpu_long: 80 epochs (8,000 steps), without the KoLeo term"),
    "k_16_epochs_26": (["--backbone_args={\"k\": 16}", "--epochs=26"], None,
                       "DGCNN's previous default: 16 neighbours for 26 epochs (the step 1.5x slower than with 8)"),
    "k_10_epochs_32": (["--backbone_args={\"k\": 10}", "--epochs=32"], None,
                       "DGCNN: 10 neighbours for 32 epochs (the step 1.25x faster than with 16)"),
    "k_8_epochs_38": (["--backbone_args={\"k\": 8}", "--epochs=38"], None,
                      "DGCNN: 8 neighbours (the default's) for 38 epochs"),
    "drop_path_0": (["--backbone_args={\"drop_path\": 0.0}"], None, "3D-ViT: no stochastic depth"),
    "drop_path_0.1": (["--backbone_args={\"drop_path\": 0.1}"], None, "3D-ViT: stochastic depth 0.1 (DINO's ViT)"),
}
# Flags that change the exported random-init encoder; variants without them share the default's random twin
# (same seed, same architecture: the same network).
ENCODER_FLAGS = ("--max_points", "--backbone_args", "--num_points")  # (the CPU presets share the encoder)
RUN_LOCKS = {}
METRICS = ("svm", "knn", "loo_256", "loo_1024", "loo_256_random", "loo_1024_random", "retrieval", "retrieval_shuffled",
           "transfer", "meshes_loo_256", "meshes_loo_256_random", "meshes_loo_1024_random", "meshes_retrieval_shuffled")


def run(command, log_path):
    """Run a command (list) from the repository root, output to `log_path`; raise with the log's tail on failure."""
    with open(log_path, "a") as log:
        log.write("$ " + " ".join(command) + "\n")
        log.flush()
        code = subprocess.call(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    if code:
        with open(log_path) as log:
            tail = "".join(log.readlines()[-15:])
        raise RuntimeError(f"{' '.join(command)} failed (exit {code}); end of {log_path}:\n{tail}")


def metric_flags(metric, args):
    """evaluate.py's flags (less --encoder and --output) for `metric`: a name of METRICS. `_random` / `_shuffled`:
    N random points of each cloud (--point_order=random) instead of the first N as stored."""
    base, _, order = metric.rpartition("_") if metric.endswith(("_random", "_shuffled")) else (metric, "", "")
    flags = ["--point_order=random"] if order else []
    if base in ("svm", "knn"):
        flags += [f"--task={base}", f"--dataset={args.dataset}", f"--num_points={args.num_points}"]
        return flags + (["--seeds", *map(str, args.svm_seeds)] if base == "svm" else [])
    if base.startswith("loo_"):
        return flags + ["--task=knn", "--protocol=loo", "--k", "1", f"--dataset={args.dataset}",
                        f"--num_points={base.split('_')[1]}"]
    if base.startswith("meshes_loo_"):
        return flags + ["--task=knn", "--protocol=loo", "--k", "1", f"--points_file={args.meshes_file}",
                        f"--num_points={base.split('_')[2]}"]
    if base == "transfer":
        return flags + ["--task=transfer", f"--dataset={args.dataset}", f"--points_file={args.points_file}",
                        f"--file_class={args.file_class}", "--k", "20", f"--num_points={args.num_points}"]
    points_file = args.meshes_file if base.startswith("meshes_") else args.points_file
    return flags + ["--task=retrieval", f"--points_file={points_file}", "--point_counts", "1024", "256"]


def evaluate(encoder, metric, args, log_path):
    """One metric of one encoder (a fraction in [0, 1]), read from evaluate.py's JSON result."""
    output = f"{os.path.dirname(encoder)}/eval-{metric}.json"
    if not os.path.exists(output):
        command = [sys.executable, "evaluate.py", f"--encoder={encoder}", f"--output={output}", "--verbose=0",
                   *metric_flags(metric, args)]
        if args.data_dir:
            command.append(f"--data_dir={args.data_dir}")
        run(command, log_path)
    with open(output) as f:
        metrics = json.load(f)["metrics"]
    return metrics["top1"] if "retrieval" in metric else metrics["accuracy"]


def metric_available(metric, args):
    """Whether `metric`'s data was given: the real shapes of --points_file or --meshes_file where it needs them."""
    if metric.startswith("meshes_"):
        return bool(args.meshes_file)
    return bool(args.points_file) or not metric.startswith(("retrieval", "transfer"))


def variant_settings(variant, backbone):
    """(train.py flags, config values, description) of `variant` for `backbone`."""
    flags, config, what = VARIANTS[variant]
    return [flag(backbone) if callable(flag) else flag for flag in flags], config, what


def study_one(variant, seed, args):
    """Train the variant's pre-trained and random-init encoders for `seed` and evaluate both."""
    flags, config, _ = variant_settings(variant, args.backbone)
    result = {"variant": variant, "seed": seed}
    run_dir = os.path.join(args.root, f"{variant}-s{seed}")
    if config:
        config_path = os.path.join(args.root, f"{variant}.json")
        with open(config_path, "w") as f:
            json.dump(config, f)
        flags = flags + [f"--config={config_path}"]
    metrics = [m for m in args.metrics if metric_available(m, args)]
    twin = variant if any(f.startswith(ENCODER_FLAGS) for f in flags) else "default"
    # A shared twin is the default's random run, so it is built (and a finished one checked) by the default's
    # command, whichever variant comes first: with a variant's flags train.py would refuse the finished one.
    twin_flags = flags if twin == variant else []
    for kind, out, kind_flags in (("pretrained", run_dir, flags),
                                  ("random", os.path.join(args.root, f"{twin}-s{seed}-random"), twin_flags)):
        untrained = ["--epochs=0"] if kind == "random" else []  # last: --train_args may hold an --epochs too
        command = [sys.executable, "train.py", f"--backbone={args.backbone}", f"--seed={seed}", "--verbose=2",
                   *kind_flags, *args.train_args, *untrained, f"--output_dir={out}"]
        if args.data_dir:
            command.append(f"--data_dir={args.data_dir}")
        os.makedirs(out, exist_ok=True)
        log_path = os.path.join(out, "study.log")
        with RUN_LOCKS.setdefault(out, threading.Lock()):  # a shared random twin is built and scored once
            finished = os.path.exists(os.path.join(out, "encoder", "saved_model.pb"))
            start = time.time()
            run(command, log_path)  # also checks a finished run's config
            if not finished:
                result[f"{kind}_train_seconds"] = round(time.time() - start, 1)
            for metric in metrics:
                result[f"{kind}_{metric}"] = evaluate(os.path.join(out, "encoder"), metric, args, log_path)
    for metric in metrics:
        result[f"gain_{metric}"] = result[f"pretrained_{metric}"] - result[f"random_{metric}"]
    return result


def summarise(results):
    """Mean and std over seeds of every numeric field, per variant."""
    import numpy as np

    table = {}
    for variant in dict.fromkeys(r["variant"] for r in results):
        rows = [r for r in results if r["variant"] == variant]
        keys = [k for k in rows[0] if k not in ("variant", "seed") and all(k in r for r in rows)]
        table[variant] = {k: (float(np.mean([r[k] for r in rows])), float(np.std([r[k] for r in rows]))) for k in keys}
        table[variant]["seeds"] = [r["seed"] for r in rows]
    return table


def print_table(table):
    metrics = [m for m in METRICS if any(f"gain_{m}" in row for row in table.values())]
    header = ["variant", "seeds"] + [f"{m} pre / rand / gain" for m in metrics]
    print(" | ".join(header))
    for variant, row in table.items():
        cells = [variant, ",".join(map(str, row["seeds"]))]
        for m in metrics:
            pre, rand, gain = row[f"pretrained_{m}"], row[f"random_{m}"], row[f"gain_{m}"]
            cells.append(f"{100 * pre[0]:.1f} / {100 * rand[0]:.1f} / {100 * gain[0]:+.1f} +- {100 * gain[1]:.1f}")
        print(" | ".join(cells))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=["default"], help="variant names (see --list)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="pre-training seeds")
    parser.add_argument("--backbone", default="dgcnn")
    parser.add_argument("--root", default="runs/study", help="folder of the runs and the results")
    parser.add_argument("--dataset", default="synthetic_objects", help="labelled evaluation data (svm, knn, loo)")
    parser.add_argument("--data_dir", help="TFDS data directory passed to every command")
    parser.add_argument("--points_file", help="real shapes for the cross-density retrieval and the transfer, e.g. the "
                                              "airplanes npz")
    parser.add_argument("--file_class", default="airplane", help="transfer: the class of --points_file's shapes")
    parser.add_argument("--meshes_file", help="real shapes of several classes (a points file naming each cloud's "
                                              "class and object, e.g. several samplings of a few meshes) for the "
                                              "meshes_* metrics")
    parser.add_argument("--num_points", type=int, default=256,
                        help="points per cloud of svm, knn and transfer (default 256, whatever a variant trains on)")
    parser.add_argument("--metrics", nargs="+", default=list(METRICS), choices=METRICS,
                        help="what to measure (default all that the given files allow): svm, knn (standard kNN); "
                             "loo_N (leave-one-out 1-NN in the test split, N points), retrieval (--points_file, 1,024 "
                             "vs 256 points), transfer (--points_file's shapes classified), meshes_loo_N and "
                             "meshes_retrieval (--meshes_file); _random / _shuffled: N random points of each cloud "
                             "instead of the first N (loo_1024 and the first-points retrieval repeat loo_256 and "
                             "100 %% for encoders that down-sample by FPS on data stored in FPS order)")
    parser.add_argument("--svm_seeds", type=int, nargs="+", default=[0, 1, 2], help="CV seeds of the svm protocol")
    parser.add_argument("--jobs", type=int, default=1, help="variant/seed pairs run at once")
    parser.add_argument("--train_args", nargs=argparse.REMAINDER, default=[],
                        help="further train.py flags for every run (last on the line)")
    parser.add_argument("--list", action="store_true", help="print the variants and exit")
    args = parser.parse_args()
    if args.list:
        for name in VARIANTS:
            flags, config, what = variant_settings(name, args.backbone)
            print(f"{name:18s} {what}: {' '.join(flags)}{' --config ' + json.dumps(config) if config else ''}")
        return
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; --list shows them")
    for flag, path in (("--points_file", args.points_file), ("--meshes_file", args.meshes_file)):
        if path and not os.path.exists(path):
            parser.error(f"{flag} {path} does not exist")
    os.makedirs(args.root, exist_ok=True)
    results_path = os.path.join(args.root, "study.jsonl")
    pairs = [(v, s) for v in args.variants for s in args.seeds]
    results, failed = [], []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        futures = {pool.submit(study_one, v, s, args): (v, s) for v, s in pairs}
        for future in concurrent.futures.as_completed(futures):
            variant, seed = futures[future]
            try:
                result = future.result()
            except RuntimeError as error:
                print(f"{variant} seed {seed}: {error}", flush=True)
                failed.append(f"{variant} seed {seed}")
                continue
            results.append(result)
            with open(results_path, "a") as f:
                f.write(json.dumps(result) + "\n")
            print(f"{variant} seed {seed}: " + ", ".join(f"{k} {v:+.3f}" for k, v in result.items()
                                                         if k.startswith("gain_")), flush=True)
    results.sort(key=lambda r: (args.variants.index(r["variant"]), r["seed"]))
    table = summarise(results)
    with open(os.path.join(args.root, "study.json"), "w") as f:
        json.dump({"backbone": args.backbone, "dataset": args.dataset, "results": results, "table": table}, f, indent=2)
    print_table(table)
    if failed:
        sys.exit(f"{len(failed)} of {len(pairs)} runs failed ({', '.join(failed)}): see their errors above")


if __name__ == "__main__":
    main()
