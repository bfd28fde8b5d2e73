"""Part segmentation protocol (`--task=partseg`, ShapeNetPart-style): DGCNN's part-segmentation network on the encoder.

Network (`PartSegmentationNet`): the encoder's per-point features (B, N, F) (`point_features`), concatenated at
every point with the global feature (as `SegmentationNet`: for DGCNN the encoder's 1x1 embedding, max and mean
pooled) and the shape's category (one-hot -> Dense(64)-BN-LeakyReLU, as DGCNN), then a per-point MLP (256, 256,
dropout 0.5, 128) and a linear layer to all `num_parts` parts. Trained end to end from the pre-trained encoder and
from scratch (same recipe and seed): cross-entropy over all parts (as DGCNN), AdamW with cosine decay
(`cosine_adamw`), random anisotropic scale and translation (`finetune.augment`), checkpoints and resume
(`fit_in_run_dir`). At test time the predictions are restricted to the parts of the shape's category.
Metrics (`metrics.part_segmentation_miou`): instance mIoU, class mIoU, per-category mIoU, point accuracy. Each run's
fitted network is exported to its run directory's segmenter/ (raw points and the category -> probabilities over the
category's parts).

Data: any dataset with part labels (`DatasetInfo.num_parts`; global part ids, consecutive per category, see
`sources.category_parts`). Trains on train (+ val where the dataset has one, DGCNN's protocol), tests on test; each
shape keeps a fixed random subset of `num_points` of its stored points (`--point_order=first`: its first points),
centred and scaled into the unit sphere.
"""

import keras
import numpy as np
import tensorflow as tf

from dcglr_tf.data import sources
from dcglr_tf.evaluation.metrics import overall_accuracy, part_segmentation_miou
from dcglr_tf.evaluation.tasks import common
from dcglr_tf.evaluation.tasks.finetune import augment, cosine_adamw, fit_in_run_dir
from dcglr_tf.export import export_segmenter
from dcglr_tf.models.segmenter import PartSegmentationNet, part_mask
from dcglr_tf.ops.points import normalize_unit_sphere


def predict_parts(model, points, categories, mask, batch_size):
    """Arg-max part of every point among its shape's category's parts (`mask` from `part_mask`), in inference
    mode: points (M, N, 3), categories (M,) -> (M, N)."""
    predictions = []
    for i in range(0, len(points), batch_size):
        logits = np.asarray(model((points[i:i + batch_size], categories[i:i + batch_size]), training=False))
        allowed = mask[categories[i:i + batch_size]][:, None, :]  # (b, 1, num_parts)
        predictions.append(np.argmax(np.where(allowed, logits, -np.inf), axis=-1))
    return np.concatenate(predictions)


def load_part_shapes(dataset, split, num_points, *, seed=0, data_dir=None, manual_dir=None, point_order="random"):
    """(points (M, num_points, 3) unit sphere, categories (M,), parts (M, num_points)) of a split of a dataset with
    part labels: a fixed random subset of `num_points` of each shape's stored points (seeded by `seed`), or with
    `point_order="first"` its first points as stored."""
    info = sources.dataset_info(dataset)
    if num_points > info.num_points:
        raise ValueError(f"--num_points={num_points} is more than the {info.num_points} points stored per shape of "
                         f"{dataset!r}")
    rng = np.random.default_rng(seed)
    points, categories, parts = [], [], []
    for example in sources.load_split(dataset, split, data_dir=data_dir, manual_dir=manual_dir).as_numpy_iterator():
        keep = np.arange(num_points) if point_order == "first" else rng.permutation(len(example["parts"]))[:num_points]
        points.append(example["points"][keep])
        categories.append(example["label"])
        parts.append(example["parts"][keep])
    if not points:
        raise ValueError(f"split {split!r} of {dataset!r} has no shapes")
    points = normalize_unit_sphere(np.stack(points).astype(np.float32)).numpy()
    return points, np.array(categories, np.int64), np.stack(parts).astype(np.int64)


def train_part_segmentation(backbone, train, test, *, category_parts, num_parts, run_dir, settings, epochs, batch_size,
                            seed=0, learning_rate=1e-3, verbose=2, log=print, names=None, export_metadata=None):
    """Train `PartSegmentationNet(backbone)` on `train` (points, categories, parts) with checkpoints in `run_dir`;
    metrics on `test`: instance_miou, class_miou, per_category_miou (None for categories without test shapes),
    point_accuracy, and `fit_in_run_dir`'s history, epochs_run_now, train_seconds, run_dir, exported_model.
    With `names` ((part names, category names)) the fitted network is exported to run_dir/segmenter
    (`dcglr_tf.export.export_segmenter`), `export_metadata` and the settings in its description."""
    keras.utils.set_random_seed(seed)
    model = PartSegmentationNet(backbone, num_parts, len(category_parts))
    model((train[0][:1], train[1][:1]))  # builds the head on the backbone
    model.compile(optimizer=cosine_adamw(learning_rate, epochs=epochs, num_examples=len(train[1]), batch_size=batch_size),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    data = (tf.data.Dataset.from_tensor_slices(((train[0], train[1]), train[2]))
            .shuffle(len(train[1]), seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size)
            .map(lambda x, y: ((augment(x[0]), x[1]), y), num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))
    export = None
    if names is not None:
        export = ("segmenter", lambda path: export_segmenter(
            model, path, names[0], categories=names[1], category_parts=category_parts,
            metadata={**(export_metadata or {}), **settings}))
    run = fit_in_run_dir(model, data, run_dir=run_dir, settings=settings, epochs=epochs, batch_size=batch_size,
                         verbose=verbose, log=log, export=export)
    predictions = predict_parts(model, test[0], test[1], part_mask(category_parts, num_parts), batch_size)
    scores = part_segmentation_miou(test[2], predictions, test[1], category_parts)
    return {
        "instance_miou": scores["instance_miou"],
        "class_miou": scores["class_miou"],
        "per_category_miou": [None if np.isnan(v) else float(v) for v in scores["per_category_miou"]],
        "point_accuracy": overall_accuracy(test[2], predictions),
        **run,
    }


def run_partseg(args, spec, ctx, log=print):
    """`evaluate.py --task=partseg`: pre-trained and/or from-scratch part segmentation of one encoder."""
    from dcglr_tf.evaluation.report import format_table
    from dcglr_tf.evaluation.tasks.features import load_trainable_backbone, parse_encoder_spec

    dataset = common.task_dataset(args)
    info = sources.dataset_info(dataset)
    category_parts = sources.category_parts(dataset)  # ValueError naming the datasets with parts when it has none
    category_names = sources.class_names(dataset, data_dir=args.data_dir)
    path, backbone_name = parse_encoder_spec(spec, args.backbone)
    inits = common.inits_of(args, path)
    train_split = common.split_of(args, "train", dataset) if args.limit or "val" not in info.splits else "train+val"
    test_split = common.split_of(args, "test", dataset)
    metrics, names, settings, train, test = {}, {}, {}, None, None
    for init in inits:
        backbone, name = load_trainable_backbone(path, backbone_name, args.preset, args.seed, common.backbone_args(args),
                                                 pretrained=init == "pretrained")
        if not backbone.has_point_features:
            raise ValueError(f"part segmentation needs a backbone with per-point features; {type(backbone).__name__} "
                             f"has none. Supported backbones: {', '.join(common.point_feature_backbones())}")
        names[init] = name
        if train is None:
            num_points = common.num_points_of(args, {} if path == "random" else common.encoder_description(path))
            log(f"loading {dataset} {train_split} and {test_split} ({num_points} points per shape)")
            order = common.point_order_of(args, default="random")
            train = load_part_shapes(dataset, train_split, num_points, seed=args.seed, data_dir=args.data_dir,
                                     manual_dir=args.manual_dir, point_order=order)
            test = load_part_shapes(dataset, test_split, num_points, seed=args.seed + 1, data_dir=args.data_dir,
                                    manual_dir=args.manual_dir, point_order=order)
            settings = {"num_points": num_points, **common.point_settings(args, order), "train_split": train_split,
                        "test_split": test_split,
                        "train_shapes": int(len(train[1])), "test_shapes": int(len(test[1])), "epochs": args.epochs,
                        "batch_size": args.batch_size, "learning_rate": args.learning_rate, "seed": args.seed,
                        "num_parts": info.num_parts, "categories": category_names,
                        "input": "xyz of each shape's points (point_order), unit sphere",
                        "network": "encoder per-point features + global feature + category one-hot -> Dense(64) "
                                   "-> per-point MLP (256, 256, dropout 0.5, 128) -> parts; predictions restricted "
                                   "to the category's parts",
                        "miou": "shape IoU = mean over its category's parts (a part absent from labels and "
                                "prediction counts 1); instance = mean over shapes, class = mean over categories"}
        run_dir = common.run_dir_of(ctx, "partseg", dataset, spec, args, init)
        log(f"part segmentation ({init}): {name}, {len(train[1])} train / {len(test[1])} test shapes, run directory "
            f"{run_dir}")
        metrics[init] = train_part_segmentation(
            backbone, train, test, category_parts=category_parts, num_parts=info.num_parts, run_dir=run_dir,
            settings={**settings, "init": init, "encoder": spec, "backbone_args": common.backbone_args(args)},
            epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, learning_rate=args.learning_rate,
            verbose=args.verbose, log=log, names=(sources.part_names(dataset), category_names),
            export_metadata={"task": "partseg", "dataset": dataset})
        log(f"exported the {init} part segmenter to {metrics[init]['exported_model']}")
        metrics[init]["per_category_miou_named"] = dict(zip(category_names, metrics[init]["per_category_miou"]))
    log(format_table(["init", "instance mIoU", "class mIoU", "point acc", "train s"],
                     [[i, metrics[i]["instance_miou"], metrics[i]["class_miou"], metrics[i]["point_accuracy"],
                       metrics[i]["train_seconds"]] for i in inits]))
    log(format_table(["category"] + [f"{i} mIoU" for i in inits],
                     [[c] + ["-" if metrics[i]["per_category_miou"][k] is None else metrics[i]["per_category_miou"][k]
                             for i in inits] for k, c in enumerate(category_names)]))
    summary = {}
    for init in inits:
        summary[f"{init} instance mIoU"] = metrics[init]["instance_miou"]
        summary[f"{init} class mIoU"] = metrics[init]["class_miou"]
    return common.base_result("partseg", dataset, spec if path != "random" else names["scratch"], settings, [args.seed],
                              metrics, initialisations=names, summary=summary,
                              exported_models={init: metrics[init]["exported_model"] for init in inits})
