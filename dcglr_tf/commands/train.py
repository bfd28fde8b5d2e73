"""Pre-train a point-cloud encoder with DCGLR (`dcglr-train` once installed, `python train.py` in a checkout).

    python train.py --backbone=dgcnn                      # embedded data, CPU-sized preset (minutes)
    python train.py --backbone=dgcnn --preset=paper --dataset=shapenet --manual_dir=DIR   # the paper's setup
    python train.py --backbone=dgcnn --dataset=~/scans    # your own files: a folder of .ply/.obj/.off/.xyz/... files
    python train.py ... --strategy=mirrored --precision=mixed_bfloat16      # all GPUs of a machine, bfloat16
    TF_CONFIG='{...}' python train.py ... --strategy=multi_worker          # on every machine (see docs/distributed.md)

Writes OUTPUT_DIR/{config.json, metrics.csv, logs/, checkpoints/, encoder/, dcglr.keras}. Running the same
command again resumes from the last finished epoch; --epochs=0 exports the randomly initialised encoder.
"""

import argparse
import dataclasses
import json
import os

from dcglr_tf.commands.cli import BAD_INPUT, add_files_flags, check_directory_flags, error_line, fail, quiet_tensorflow

quiet_tensorflow()


def parse_args(argv=None):
    from dcglr_tf.data.sources import dataset_names
    from dcglr_tf.models import backbone_names
    from dcglr_tf.models.precision import PRECISIONS
    from dcglr_tf.presets import PRESETS, describe_presets
    from dcglr_tf.training.distribution import STRATEGIES

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backbone", help=f"encoder architecture, one of: {', '.join(backbone_names())} (default: the "
                                           f"--config file's backbone, else dgcnn)")
    parser.add_argument("--preset", default="embedded", choices=sorted(PRESETS),
                        help="defaults for every setting below (default: embedded). " + describe_presets())
    parser.add_argument("--config", help="JSON file of TrainConfig values (nested: crops, head, loss, optim) applied over the preset")
    parser.add_argument("--dataset", help=f"pre-training data (preset default): one of {', '.join(dataset_names())}; "
                                          f"or a folder of point-cloud and mesh files, searched recursively (its train "
                                          f"folders when it has train/test folders, else every file), or a .npz/.npy "
                                          f"of stacked clouds: prepared once into --data_dir at --num_points points "
                                          f"per cloud (see docs/datasets.md)")
    add_files_flags(parser, "--dataset", "; used by --knn_monitor")
    parser.add_argument("--data_dir", help="TFDS data directory for prepared datasets (default ~/tensorflow_datasets)")
    parser.add_argument("--manual_dir", help="directory with the user's dataset files for real datasets (see docs/datasets.md)")
    parser.add_argument("--output_dir", help="run directory (default runs/<backbone>-<dataset>, the folder's name for "
                                             "a folder); re-running resumes it")
    parser.add_argument("--overwrite", action="store_true", help="delete OUTPUT_DIR first instead of resuming it")
    parser.add_argument("--epochs", type=int, help="training epochs; 0 exports the random-init encoder (preset default)")
    parser.add_argument("--batch_size", type=int, help="global batch size, split over all replicas and workers (preset default)")
    parser.add_argument("--steps_per_epoch", type=int, help="steps per epoch (default: one pass over the training split)")
    parser.add_argument("--num_points", type=int, help="points per cloud before cropping (preset default)")
    parser.add_argument("--max_points", type=int,
                        help="density the exported encoder works at: denser clouds are embedded from their MAX_POINTS "
                             "farthest-point samples (default: the global view size; 0: every point)")
    parser.add_argument("--backbone_args", help="JSON dict of backbone constructor overrides, e.g. '{\"k\": 10}'")
    parser.add_argument("--learning_rate", type=float,
                        help="BASE learning rate: the peak after warm-up is base x global batch / 256, as in DINO "
                             "(preset default: embedded 0.048, i.e. 3e-3 at batch 16, vit3d 0.0048; paper 5e-4)")
    parser.add_argument("--strategy", default="default", choices=STRATEGIES,
                        help="'default': one device; 'mirrored': tf.distribute.MirroredStrategy over all GPUs of this machine "
                             "(or CPUs with --cpu_replicas); 'multi_worker': MultiWorkerMirroredStrategy over several "
                             "machines, configured by the TF_CONFIG environment variable, every worker running the same "
                             "command with the same --output_dir on a shared filesystem (see docs/distributed.md"
                             "machines). --batch_size is always the global batch")
    parser.add_argument("--cpu_replicas", type=int, default=0, help="split the CPU into N logical devices (to run --strategy=mirrored without GPUs)")
    parser.add_argument("--cluster_timeout", type=float, default=300,
                        help="multi_worker: seconds to wait for every worker of TF_CONFIG before failing (default 300)")
    parser.add_argument("--precision", choices=PRECISIONS,
                        help="compute precision through Keras dtype policies: float32 (default), mixed_bfloat16 (GPUs with "
                             "bf16, recent CPUs) or mixed_float16 (GPUs; dynamic loss scaling). Loss, centre, EMA and "
                             "optimizer state stay float32; the exported encoder takes and returns float32")
    parser.add_argument("--jit_compile", default="auto", choices=["auto", "true", "false"],
                        help="XLA-compile the train step under every strategy (with several replicas it is compiled per "
                             "replica, the cross-replica reductions between the compiled parts); auto: the backbone's "
                             "measured faster path, XLA for all but pct")
    parser.add_argument("--knn_monitor", type=int, default=0, metavar="N",
                        help="every N epochs, log the teacher's weighted-kNN accuracy (knn_accuracy) on the dataset's "
                             "labelled train/test splits (first 512/256 clouds); 0 = off. Needs a labelled dataset")
    parser.add_argument("--seed", type=int, help="seed of initialisation, shuffling and crops (preset default 0)")
    parser.add_argument("--verbose", type=int, choices=[0, 1, 2],
                        help="progress: 0 silent, 1 Keras's bar (on a terminal), 2 one line per epoch (loss, learning "
                             "rate, samples/s, ETA); default: the bar on a terminal, one line per epoch when redirected")
    return parser.parse_args(argv)


FLAG_KEYS = {"backbone", "dataset", "data_dir", "manual_dir", "epochs", "batch_size", "steps_per_epoch", "num_points",
             "max_points", "seed", "precision", "backbone_args"}


def config_from_args(args):
    """The TrainConfig of the flags: the preset, then --config, then the other flags, checked by
    `validate_config`. Exits with a one-line error naming the flag (or the --config file and key) for a value that
    cannot work."""
    from dcglr_tf.config import TrainConfig
    from dcglr_tf.data import sources
    from dcglr_tf.presets import PRESETS
    from dcglr_tf.training.validation import ConfigError, validate_config

    values = {}
    if args.config:
        try:
            with open(args.config) as f:
                values = json.load(f)
        except json.JSONDecodeError as error:
            fail(f"--config {args.config}: not valid JSON: {error}")
        except OSError as error:
            fail(f"--config {args.config}: {error.strerror}")
        if not isinstance(values, dict):
            fail(f"--config {args.config}: expected a JSON object of TrainConfig values, got {type(values).__name__}")
    # The flag, else the --config file's backbone, else dgcnn; a preset may tune itself to the backbone.
    backbone = args.backbone or (values.get("backbone") if isinstance(values.get("backbone"), str) else "dgcnn")
    config = PRESETS[args.preset](backbone=backbone)
    if values:
        merged = config.to_dict()
        for key, value in values.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "backbone_args":
                merged[key].update(value)
            else:
                merged[key] = value
        try:
            config = TrainConfig.from_dict(merged)
        except ValueError as error:
            fail(f"--config {args.config}: {error}")
    overrides = {name: getattr(args, name) for name in FLAG_KEYS - {"backbone_args"} if getattr(args, name) is not None}
    if args.backbone_args:
        try:
            overrides["backbone_args"] = json.loads(args.backbone_args)
        except json.JSONDecodeError as error:
            fail(f"--backbone_args is not valid JSON: {error}")
        if not isinstance(overrides["backbone_args"], dict):
            fail(f"--backbone_args must be a JSON object, got {args.backbone_args}")
    config = dataclasses.replace(config, **overrides)
    if sources.is_path(config.dataset):  # config.json names a folder by its absolute path
        config = dataclasses.replace(config, dataset=os.path.abspath(os.path.expanduser(config.dataset)))
    if args.learning_rate is not None:
        config.optim.learning_rate = args.learning_rate
    try:
        validate_config(config)
    except ConfigError as error:
        fail(config_error_line(error, args))
    return config


def config_error_line(error, args):
    """A ConfigError as one line that starts with the flag that set the value (`--epochs: ...`), else the --config
    file that did."""
    flag = "learning_rate" if error.key == "optim.learning_rate" else error.key
    if flag in FLAG_KEYS | {"learning_rate"} and getattr(args, flag, None) is not None:
        return f"--{flag}: {error}"
    if args.config:
        return f"--config {args.config}: {error}"
    return str(error)


def main(argv=None):
    args = parse_args(argv)
    if args.cpu_replicas:
        from dcglr_tf.training.distribution import split_cpu

        split_cpu(args.cpu_replicas)
    from dcglr_tf.data import sources
    from dcglr_tf.training.distribution import make_strategy
    from dcglr_tf.training.pretrain import run_pretraining
    from dcglr_tf.training.validation import ConfigError

    try:
        config = config_from_args(args)
        output_dir = args.output_dir or os.path.join("runs", f"{config.backbone}-{sources.short_name(config.dataset)}")
        check_directory_flags({"--output_dir": output_dir, "--data_dir": config.data_dir,
                               "--manual_dir": config.manual_dir})
        if (args.labels or args.strict) and not sources.is_path(config.dataset):
            fail(f"--labels and --strict are for a --dataset folder or file; {config.dataset!r} is a dataset name")
        dataset = sources.dataset_info(config.dataset, num_points=config.num_points, labels=args.labels,
                                       strict=args.strict)
        jit = {"auto": None, "true": True, "false": False}[args.jit_compile]
        strategy = make_strategy(args.strategy, cluster_timeout=args.cluster_timeout)  # before TensorFlow runs anything
        monitors = []
        if args.knn_monitor:
            from dcglr_tf.data.preparation import prepare_with_progress
            from dcglr_tf.training.callbacks import KNNMonitor

            problem = sources.dataset_problem(dataset)
            if problem:
                fail(f"--knn_monitor: {problem}")
            prepare_with_progress(dataset, config.data_dir, config.manual_dir)
            sizes = [sources.num_examples(dataset, split, data_dir=config.data_dir, manual_dir=config.manual_dir)
                     for split in ("train", "test")]  # a folder of your files may hold fewer than 512 / 256
            monitors.append(KNNMonitor.from_dataset(
                dataset, num_points=config.num_points, data_dir=config.data_dir, manual_dir=config.manual_dir,
                max_train=min(512, sizes[0]), max_test=min(256, sizes[1]), every=args.knn_monitor,
            ))
        summary = run_pretraining(
            config, output_dir, strategy=strategy, jit_compile=jit, overwrite=args.overwrite,
            verbose="auto" if args.verbose is None else args.verbose, extra_callbacks=monitors, dataset=dataset,
        )
    except ConfigError as error:
        fail(config_error_line(error, args))
    except BAD_INPUT as error:
        fail(error_line(error))
    except KeyboardInterrupt:
        fail("interrupted; run the same command again to resume from the last finished epoch", code=130)
    metrics = ", ".join(f"{k} {v:.4g}" for k, v in sorted(summary["final_metrics"].items()))
    print(f"done: {summary['output_dir']} (encoder: {summary['encoder']})" + (f"; last epoch: {metrics}" if metrics else ""))


if __name__ == "__main__":
    main()
