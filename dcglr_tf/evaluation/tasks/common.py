"""What every evaluation task's glue shares: the dataset(s), splits and point counts the flags ask for, the
encoder to evaluate, frozen features of a split, and the result dict (task, dataset, encoder, settings, seeds,
metrics). Each task module (`svm`, `knn`, ...) has a `run_<task>(args, spec, ctx, log)` built on these;
`runner.TASK_RUNNERS` maps task names to them.

A dataset is a registered name or a path (a folder of files, a stacked `.npz`/`.npy`): `dataset_of` resolves either
with the run's --labels and --strict, a path at the points per cloud the task reads (it is prepared at that count).
"""

import math
import os
import re

import numpy as np

from dcglr_tf.data import sources
from dcglr_tf.data.preparation import prepare_with_progress
from dcglr_tf.evaluation.tasks.features import extract_features, parse_encoder_spec, resolve_encoder
from dcglr_tf.presets import PRESETS
from dcglr_tf.utils.progress import Stage

FEATURES_NOTE = ("teacher backbone global feature of the exported encoder (DGCNN/PointNet/PCT: max+mean pooled "
                 "per-point features; 3D-ViT: class token), clouds centred and scaled to the unit sphere, "
                 "num_points points of each cloud taken as settings.point_order says (first: as stored; random: a "
                 "seeded random subset)")
DEFAULT_DATASET = "synthetic_objects"  # the embedded corpus train.py pre-trains on
DEFAULT_DATASETS = {"segmentation": "synthetic_rooms"}  # tasks whose default differs


def task_datasets(args):
    value = args.dataset or [DEFAULT_DATASETS.get(args.task, DEFAULT_DATASET)]
    return [value] if isinstance(value, str) else list(value)


def task_dataset(args):
    return task_datasets(args)[0]


def data_label(args):
    """What the task ran on, for file names and tables: the --points_file's name, else the dataset name(s) (a path's
    folder name, or its file's stem)."""
    points_file = getattr(args, "points_file", None)
    return "-".join(sources.short_name(d) for d in ([points_file] if points_file else task_datasets(args)))


def dataset_of(args, dataset, num_points=None):
    """The `sources.DatasetInfo` of `dataset` (a name, a path or a DatasetInfo) with --labels and --strict; a path is
    prepared at `num_points` points per cloud (None: only described, not prepared)."""
    return sources.dataset_info(dataset, num_points=num_points, labels=getattr(args, "labels", None),
                                strict=bool(getattr(args, "strict", False)))


def split_of(args, split, dataset=None):
    """`split` of `dataset` (a name or a prepared `DatasetInfo`, default --dataset; `sources.ALL`: every split), or its
    first --limit examples (the whole split when it has no more than that)."""
    dataset = dataset or task_dataset(args)
    split = sources.split_of(dataset, split)
    limit = getattr(args, "limit", None)
    if not limit:
        return split
    parts, left = [], int(limit)
    for part in split.split("+"):
        size = sources.num_examples(dataset, part, data_dir=args.data_dir, manual_dir=args.manual_dir)
        parts.append(part if left >= size else f"{part}[:{left}]")
        left -= min(left, size)
        if not left:
            break
    return "+".join(parts)


def backbone_args(args):
    return getattr(args, "backbone_args_dict", None) or {}


def encoder_slug(spec, args):
    path, backbone = parse_encoder_spec(spec, args.backbone)
    if path == "random":
        return f"random-{backbone}-seed{args.seed}"
    parent = os.path.basename(os.path.dirname(os.path.abspath(path.rstrip("/"))))
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", parent or "encoder")


def open_encoder(spec, args):
    path, backbone = parse_encoder_spec(spec, args.backbone)
    encoder, name = resolve_encoder(path, backbone, args.preset, args.seed, backbone_args(args))
    return encoder, name, path, backbone


def point_order_of(args, default="first"):
    """How the task takes N points of a cloud (`POINT_ORDERS`): --point_order, else the task's `default`."""
    return getattr(args, "point_order", None) or default


def point_settings(args, point_order=None):
    """The result settings that say how the points were taken: {"point_order", "point_seed" (None for first)}."""
    order = point_order or point_order_of(args)
    return {"point_order": order, "point_seed": args.seed if order == "random" else None}


def num_points_of(args, encoder_description, default=None):
    if args.num_points:
        return int(args.num_points)
    if default:
        return int(default)
    return int(encoder_description.get("num_points") or PRESETS["embedded"]().num_points)


def check_classification(dataset, task, splits=("train", "test"), labelled=True):
    """ValueError naming the problem when `dataset` (a name or a DatasetInfo) lacks a split of `splits` or, when
    `labelled`, class labels (`sources.dataset_problem`)."""
    problem = sources.dataset_problem(dataset, splits, labelled)
    if problem:
        needs = f"{'class labels and ' if labelled else ''}the split{'s' if len(splits) > 1 else ''} {'/'.join(splits)}"
        raise ValueError(f"task {task!r} needs a dataset with {needs}; {problem}")


def prepared_dataset(args, dataset, num_points, log=print):
    """`dataset_of(args, dataset, num_points)`, checked to store `num_points` points per cloud (before preparing: a
    wrong --num_points fails at once), then prepared with progress output."""
    info = dataset_of(args, dataset, num_points)
    sources.check_num_points(info, num_points)
    prepare_with_progress(info, args.data_dir, args.manual_dir, log)
    return info


def split_features(encoder, args, dataset, split, num_points, *, log=print, ctx=None, spec=None, point_order=None):
    """(features (M, D), labels (M,)) of `split` of `dataset` (--limit applied), `num_points` points of each cloud
    taken as `point_order` (default: --point_order, else first) says, extracted in batches of --batch_size with
    progress output. `dataset`: a name, a path (prepared at `num_points` points per cloud) or a DatasetInfo (a path
    prepared at more). With a task context `ctx`, each (encoder `spec`, dataset, split, num_points, order) is
    extracted once per run and reused."""
    info = prepared_dataset(args, dataset, num_points, log)
    split = split_of(args, split, info)
    order = point_order or point_order_of(args)
    cache = None if ctx is None else ctx.setdefault("features", {})
    key = (spec, info.tfds_name, split, int(num_points), order)
    if cache is not None and key in cache:
        return cache[key]
    total = sources.num_examples(info, split, data_dir=args.data_dir, manual_dir=args.manual_dir)
    points = f"{num_points} points" if order == "first" else f"{num_points} random points"
    with Stage(f"extracting {info.name} {split} features ({points} per cloud)", total, "clouds", log) as stage:
        features = extract_features(encoder, info, split, num_points=num_points, batch_size=args.batch_size,
                                    data_dir=args.data_dir, manual_dir=args.manual_dir, point_order=order,
                                    seed=args.seed, on_batch=stage.update)
    if cache is not None:
        cache[key] = features
    return features


def class_names_of(dataset, args):
    """The class names of `dataset`, or [] when they cannot be read: an unknown dataset or one TFDS does not find
    (ValueError) or an unreadable data directory (OSError). Names only decorate a result; any other error is a bug
    and raised."""
    try:
        return sources.class_names(dataset_of(args, dataset), data_dir=args.data_dir)
    except (ValueError, OSError):
        return []


def json_safe(value):
    """JSON-safe copy: NaN/Inf -> None, NumPy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def base_result(task, dataset, name, settings, seeds, metrics, **extra):
    return {"task": task, "dataset": dataset, "encoder": name, "settings": settings, "seeds": list(seeds),
            "metrics": metrics, **extra}


def frozen_features(args, spec, task, log, splits=("train", "test"), ctx=None, dataset=None, labelled=True):
    """Features of a classification dataset's `splits` for a frozen-feature task:
    (dataset, encoder name, num_points, [(features, labels) per split]); cached in `ctx` (see split_features).
    `dataset`: default --dataset; `labelled=False` for a task that needs no classes (labels are -1 without)."""
    dataset = dataset or task_dataset(args)
    check_classification(dataset_of(args, dataset), task, splits, labelled)
    encoder, name, _, _ = open_encoder(spec, args)
    num_points = num_points_of(args, encoder.description)
    log(f"features of {dataset} {'/'.join(splits)} with {name} ({num_points} points per cloud)")
    return dataset, name, num_points, [split_features(encoder, args, dataset, split, num_points, log=log, ctx=ctx,
                                                      spec=spec) for split in splits]


def inits_of(args, path):
    if path == "random":
        if args.init == "pretrained":
            raise ValueError("--init=pretrained needs an exported encoder; --encoder=random is the from-scratch baseline")
        return ["scratch"]
    return ["pretrained", "scratch"] if args.init == "both" else [args.init]


def run_dir_of(ctx, task, dataset, spec, args, init):
    return os.path.join(ctx["picture_dir"], f"{task}_{sources.short_name(dataset)}_{encoder_slug(spec, args)}_{init}")


def encoder_description(path):
    from dcglr_tf.export import load_encoder

    return load_encoder(path).description


def point_feature_backbones():
    from dcglr_tf.models import backbone_names, build_backbone

    return [n for n in backbone_names() if build_backbone(n, "embedded").has_point_features]
