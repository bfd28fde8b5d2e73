"""Semantic segmentation protocol (S3DIS-style, 13 classes): the DGCNN segmentation network.

Network: the encoder's per-point EdgeConv features (B, N, F) (`point_features`), concatenated with the global
feature repeated at every point - for DGCNN the encoder's own 1x1 embedding of the per-point features, max
and mean pooled (the encoder's global feature) - then a per-point MLP (256, 256, 128 with batch norm,
LeakyReLU, dropout 0.5 before the last layer) and a per-point linear layer to the classes. Input is xyz only
(block coordinates as stored: x, y relative to the block centre, z the height). The encoder part starts from
the pre-trained teacher backbone or from scratch (the baseline). `--train_area=K` trains on the blocks of
area K and tests on area 6. Metrics: overall point accuracy, mIoU, per-class IoU. Each run's fitted network is
exported to its run directory's segmenter/ (raw block coordinates -> per-point class probabilities).
"""

import keras
import numpy as np
import tensorflow as tf

from dcglr_tf.data import sources
from dcglr_tf.evaluation.metrics import mean_iou, overall_accuracy, per_class_iou
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.tasks.common import (
    backbone_args,
    base_result,
    inits_of,
    point_feature_backbones,
    point_order_of,
    point_settings,
    run_dir_of,
    split_of,
    task_dataset,
)
from dcglr_tf.evaluation.tasks.features import load_trainable_backbone, parse_encoder_spec
from dcglr_tf.evaluation.tasks.finetune import cosine_adamw, fit_in_run_dir, predict_classes
from dcglr_tf.export import export_segmenter
from dcglr_tf.models.segmenter import SegmentationNet


def load_blocks(dataset, split, num_points, *, seed=0, data_dir=None, manual_dir=None, point_order="random"):
    """(points (M, num_points, 3), labels (M, num_points)) of a segmentation split: xyz of each block, `num_points` of
    its points (all of them when num_points >= the stored count): a fixed random subset seeded by `seed`, or with
    `point_order="first"` the first ones as stored."""
    from dcglr_tf.data import sources

    rng = np.random.default_rng(seed)
    points, labels = [], []
    for example in sources.load_split(dataset, split, data_dir=data_dir, manual_dir=manual_dir).as_numpy_iterator():
        xyz, y = example["points"][:, :3], example["labels"]
        if num_points < len(y):
            keep = np.arange(num_points) if point_order == "first" else rng.permutation(len(y))[:num_points]
            xyz, y = xyz[keep], y[keep]
        points.append(xyz)
        labels.append(y)
    if not points:
        raise ValueError(f"split {split!r} of {dataset!r} has no blocks")
    return np.stack(points).astype(np.float32), np.stack(labels).astype(np.int64)


def train_segmentation(backbone, train, test, *, num_classes, run_dir, settings, epochs, batch_size, seed=0,
                       learning_rate=1e-3, verbose=2, log=print, class_names=None, export_metadata=None):
    """Train `SegmentationNet(backbone)` on `train` blocks with checkpoints in `run_dir`; metrics on `test`:
    overall_accuracy, mean_iou, per_class_iou (None for classes in neither labels nor predictions), and
    `fit_in_run_dir`'s history, epochs_run_now, train_seconds, run_dir, exported_model. With `class_names` the fitted
    network is exported to run_dir/segmenter (`dcglr_tf.export.export_segmenter`; it takes block coordinates as
    given, as it was trained), `export_metadata` and the settings in its description."""
    keras.utils.set_random_seed(seed)
    model = SegmentationNet(backbone, num_classes)
    model(np.zeros((1,) + train[0].shape[1:], np.float32))  # builds the head on the backbone
    optimizer = cosine_adamw(learning_rate, epochs=epochs, num_examples=len(train[1]), batch_size=batch_size)
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    data = (tf.data.Dataset.from_tensor_slices(train).shuffle(len(train[1]), seed=seed).batch(batch_size)
            .prefetch(tf.data.AUTOTUNE))
    export = None
    if class_names is not None:
        export = ("segmenter", lambda path: export_segmenter(model, path, class_names, normalize=False,
                                                             metadata={**(export_metadata or {}), **settings}))
    run = fit_in_run_dir(model, data, run_dir=run_dir, settings=settings, epochs=epochs, batch_size=batch_size,
                         verbose=verbose, log=log, export=export)
    predictions = predict_classes(model, test[0], batch_size)
    ious = per_class_iou(test[1], predictions, num_classes)
    return {
        "overall_accuracy": overall_accuracy(test[1], predictions),
        "mean_iou": mean_iou(test[1], predictions, num_classes),
        "per_class_iou": [None if np.isnan(v) else float(v) for v in ious],
        **run,
    }


def run_segmentation(args, spec, ctx, log=print):
    dataset = task_dataset(args)
    info = sources.dataset_info(dataset)
    if info.kind != "segmentation":
        segs = [n for n in sources.dataset_names() if sources.dataset_info(n).kind == "segmentation"]
        raise ValueError(f"task 'segmentation' needs a segmentation dataset (per-point labels); {dataset!r} is a "
                         f"{info.kind} dataset. Use one of: {', '.join(segs)}")
    if not 1 <= args.train_area <= 5:
        raise ValueError(f"--train_area must be one of 1-5 (area 6 is the test area), got {args.train_area}")
    path, backbone_name = parse_encoder_spec(spec, args.backbone)
    inits = inits_of(args, path)
    metrics, names = {}, {}
    num_points = int(args.num_points or 1024)
    train_split, test_split = split_of(args, f"area{args.train_area}"), split_of(args, "area6")
    train = test = None
    class_names = sources.S3DIS_CLASS_NAMES
    settings = {}
    for init in inits:
        backbone, name = load_trainable_backbone(path, backbone_name, args.preset, args.seed, backbone_args(args),
                                                 pretrained=init == "pretrained")
        if not backbone.has_point_features:
            raise ValueError(f"segmentation needs a backbone with per-point features; {type(backbone).__name__} has "
                             f"none. Supported backbones: {', '.join(point_feature_backbones())}")
        names[init] = name
        if train is None:
            order = point_order_of(args, default="random")
            train = load_blocks(dataset, train_split, num_points, seed=args.seed, data_dir=args.data_dir,
                                manual_dir=args.manual_dir, point_order=order)
            test = load_blocks(dataset, test_split, num_points, seed=args.seed + 1, data_dir=args.data_dir,
                               manual_dir=args.manual_dir, point_order=order)
            settings = {"num_points": num_points, **point_settings(args, order), "train_area": args.train_area,
                        "train_split": train_split,
                        "test_split": test_split, "train_blocks": int(len(train[1])), "test_blocks": int(len(test[1])),
                        "epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
                        "seed": args.seed, "input": "xyz only (block coordinates as stored)",
                        "network": "encoder per-point features + repeated global feature -> per-point MLP "
                                   "(256, 256, dropout 0.5, 128) -> 13 classes",
                        "class_names": class_names}
        run_dir = run_dir_of(ctx, "segmentation", dataset, spec, args, init)
        log(f"segmentation ({init}): {name}, train area {args.train_area} ({len(train[1])} blocks), test area 6 "
            f"({len(test[1])} blocks), {num_points} points per block, run directory {run_dir}")
        metrics[init] = train_segmentation(
            backbone, train, test, num_classes=info.num_classes, run_dir=run_dir,
            settings={**settings, "init": init, "encoder": spec, "backbone_args": backbone_args(args)},
            epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, learning_rate=args.learning_rate,
            verbose=args.verbose, log=log, class_names=class_names,
            export_metadata={"task": "segmentation", "dataset": dataset})
        log(f"exported the {init} segmenter to {metrics[init]['exported_model']}")
        metrics[init]["per_class_iou_named"] = dict(zip(class_names, metrics[init]["per_class_iou"]))
    headers = ["init", "OA", "mIoU"] + class_names
    rows = [[init, metrics[init]["overall_accuracy"], metrics[init]["mean_iou"]]
            + ["-" if v is None else f"{v:.3f}" for v in metrics[init]["per_class_iou"]] for init in inits]
    log(format_table(headers, rows))
    summary = {}
    for init in inits:
        summary[f"{init} OA"] = metrics[init]["overall_accuracy"]
        summary[f"{init} mIoU"] = metrics[init]["mean_iou"]
    return base_result("segmentation", dataset, spec if path != "random" else names["scratch"], settings, [args.seed],
                       metrics, initialisations=names, summary=summary,
                       exported_models={init: metrics[init]["exported_model"] for init in inits})
