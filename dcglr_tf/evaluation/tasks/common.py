"""What every evaluation task's glue shares: the dataset(s), splits and point counts the flags ask for, the
encoder to evaluate, frozen features of a split, and the result dict (task, dataset, encoder, settings, seeds,
metrics). Each task module (`svm`, `knn`, ...) has a `run_<task>(args, spec, ctx, log)` built on these;
`runner.TASK_RUNNERS` maps task names to them.
"""

import math
import os
import re

import numpy as np

from dcglr_tf.data import sources
from dcglr_tf.data.points_file import load_points_file
from dcglr_tf.data.preparation import prepare_with_progress
from dcglr_tf.evaluation.retrieval import shuffle_points
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
    """What the task ran on, for file names and tables: the --points_file's stem, else the dataset name(s)."""
    points_file = getattr(args, "points_file", None)
    if points_file:
        return os.path.splitext(os.path.basename(points_file))[0]
    return "-".join(task_datasets(args))


def split_of(args, split, dataset=None):
    """`split`, or its first --limit examples (the whole split when it has no more than that)."""
    limit = getattr(args, "limit", None)
    if not limit:
        return split
    size = sources.num_examples(dataset or task_dataset(args), split, data_dir=args.data_dir, manual_dir=args.manual_dir)
    return split if limit >= size else f"{split}[:{int(limit)}]"


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


def check_classification(dataset, task):
    info = sources.dataset_info(dataset)
    if info.kind != "classification" or not info.has_labels:
        labelled = [n for n in sources.dataset_names() if sources.dataset_info(n).kind == "classification"]
        raise ValueError(f"task {task!r} needs a dataset with class labels; {dataset!r} is a {info.kind} dataset"
                         f"{'' if info.has_labels else ' without labels'}. Use one of: {', '.join(labelled)}")


def split_features(encoder, args, dataset, split, num_points, *, log=print, ctx=None, spec=None, point_order=None):
    """(features (M, D), labels (M,)) of `split` of `dataset` (--limit applied), `num_points` points of each cloud taken
    as `point_order` (default: --point_order, else first) says, extracted in batches of --batch_size with progress
    output. With a task context `ctx`, each (encoder `spec`, dataset, split, num_points, order) is extracted once per
    run and reused."""
    sources.check_num_points(dataset, num_points)  # before preparing: a wrong --num_points fails at once
    prepare_with_progress(dataset, args.data_dir, args.manual_dir, log)
    split = split_of(args, split, dataset)
    order = point_order or point_order_of(args)
    cache = None if ctx is None else ctx.setdefault("features", {})
    key = (spec, dataset, split, int(num_points), order)
    if cache is not None and key in cache:
        return cache[key]
    total = sources.num_examples(dataset, split, data_dir=args.data_dir, manual_dir=args.manual_dir)
    points = f"{num_points} points" if order == "first" else f"{num_points} random points"
    with Stage(f"extracting {dataset} {split} features ({points} per cloud)", total, "clouds", log) as stage:
        features = extract_features(encoder, dataset, split, num_points=num_points, batch_size=args.batch_size,
                                    data_dir=args.data_dir, manual_dir=args.manual_dir, point_order=order,
                                    seed=args.seed, on_batch=stage.update)
    if cache is not None:
        cache[key] = features
    return features


def points_file_clouds(args, ctx, num_points, flag):
    """float32 (M, N, 3) clouds of --points_file, read once per run (kept in the task context `ctx`); a ValueError
    naming the file and `flag` (the option that asked for them) when they hold fewer than `num_points` points."""
    if "points_file" not in ctx:
        ctx["points_file"] = load_points_file(args.points_file)
    points = ctx["points_file"]
    if points.shape[1] < num_points:
        raise ValueError(f"points file {args.points_file} holds {points.shape[1]} points per cloud; {flag} must not "
                         f"exceed that")
    return points


def points_file_subsets(args, ctx, num_points, flag):
    """The clouds of --points_file cut to `num_points` points each as --point_order says: (M, num_points, 3), the
    first points as stored, or (random) the first of each cloud's random order drawn with --seed, so a smaller
    count's points are part of a larger count's."""
    points = points_file_clouds(args, ctx, num_points, flag)
    if point_order_of(args) == "random":
        points = shuffle_points(points, args.seed)
    return np.ascontiguousarray(points[:, :num_points])


def class_names_of(dataset, args):
    try:
        return sources.class_names(dataset, data_dir=args.data_dir)
    except Exception:  # names are decoration; never fail a result over them
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


def frozen_features(args, spec, task, log, splits=("train", "test"), ctx=None):
    """Features of a classification dataset's `splits` for a frozen-feature task:
    (dataset, encoder name, num_points, [(features, labels) per split]); cached in `ctx` (see split_features)."""
    dataset = task_dataset(args)
    check_classification(dataset, task)
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
    return os.path.join(ctx["picture_dir"], f"{task}_{dataset}_{encoder_slug(spec, args)}_{init}")


def encoder_description(path):
    from dcglr_tf.export import load_encoder

    return load_encoder(path).description


def point_feature_backbones():
    from dcglr_tf.models import backbone_names, build_backbone

    return [n for n in backbone_names() if build_backbone(n, "embedded").has_point_features]
