"""Runs one evaluation task from parsed `evaluate.py` arguments: encoder(s) -> protocol -> printed table +
JSON result (+ pictures).

Every result holds task, dataset, encoder, settings, seeds and metrics (plus features: what was embedded, and
pictures: the PNG files written). With several encoders (`--compare`), the result holds one such entry per
encoder under "results" and a side-by-side table under "table".
"""

import math
import os
import re

import numpy as np

from dcglr_tf.config import PRESETS
from dcglr_tf.data import sources
from dcglr_tf.evaluation.features import (extract_features, load_trainable_backbone, parse_encoder_spec,
                                          resolve_encoder)
from dcglr_tf.evaluation.partseg import run_partseg
from dcglr_tf.evaluation.report import default_result_path, format_table, write_result

FEATURES_NOTE = ("teacher backbone global feature of the exported encoder (DGCNN/PointNet/PCT: max+mean pooled "
                 "per-point features; 3D-ViT: class token), clouds centred and scaled to the unit sphere, "
                 "first num_points points of each cloud")
CLASSIFICATION_TASKS = ("svm", "knn", "finetune", "robustness", "tsne", "spectrum", "attention")
DEFAULT_DATASETS = {"segmentation": "synthetic_rooms", "partseg": "synthetic_objects"}


# ----------------------------------------------------------------------------------------------- helpers
def _datasets(args):
    value = args.dataset or [DEFAULT_DATASETS.get(args.task, "synthetic_shapes")]
    return [value] if isinstance(value, str) else list(value)


def _dataset(args):
    return _datasets(args)[0]


def _split(args, split, dataset=None):
    """`split`, or its first --limit examples (the whole split when it has no more than that)."""
    limit = getattr(args, "limit", None)
    if not limit:
        return split
    size = sources.num_examples(dataset or _dataset(args), split, data_dir=args.data_dir, manual_dir=args.manual_dir)
    return split if limit >= size else f"{split}[:{int(limit)}]"


def _backbone_args(args):
    return getattr(args, "backbone_args_dict", None) or {}


def _slug(spec, args):
    path, backbone = parse_encoder_spec(spec, args.backbone)
    if path == "random":
        return f"random-{backbone}-seed{args.seed}"
    parent = os.path.basename(os.path.dirname(os.path.abspath(path.rstrip("/"))))
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", parent or "encoder")


def _open_encoder(spec, args):
    path, backbone = parse_encoder_spec(spec, args.backbone)
    encoder, name = resolve_encoder(path, backbone, args.preset, args.seed, _backbone_args(args))
    return encoder, name, path, backbone


def _num_points(args, encoder_description, default=None):
    if args.num_points:
        return int(args.num_points)
    if default:
        return int(default)
    return int(encoder_description.get("num_points") or PRESETS["embedded"]().num_points)


def _check_classification(dataset, task):
    info = sources.dataset_info(dataset)
    if info.kind != "classification" or not info.has_labels:
        labelled = [n for n in sources.dataset_names() if sources.dataset_info(n).kind == "classification"]
        raise ValueError(f"task {task!r} needs a dataset with class labels; {dataset!r} is a {info.kind} dataset"
                         f"{'' if info.has_labels else ' without labels'}. Use one of: {', '.join(labelled)}")


def _features(encoder, args, dataset, split, num_points):
    return extract_features(encoder, dataset, _split(args, split, dataset), num_points=num_points, batch_size=args.batch_size,
                            data_dir=args.data_dir, manual_dir=args.manual_dir)


def _class_names(dataset, args):
    try:
        return sources.class_names(dataset, data_dir=args.data_dir)
    except Exception:  # names are decoration; never fail a result over them
        return []


def _clean(value):
    """JSON-safe copy: NaN/Inf -> None, NumPy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _base(task, dataset, name, settings, seeds, metrics, **extra):
    return {"task": task, "dataset": dataset, "encoder": name, "settings": settings, "seeds": list(seeds),
            "metrics": metrics, **extra}


def _frozen_features(args, spec, task, log, splits=("train", "test")):
    """Features of a classification dataset's `splits` for a frozen-feature task:
    (dataset, encoder name, num_points, [(features, labels) per split])."""
    dataset = _dataset(args)
    _check_classification(dataset, task)
    encoder, name, _, _ = _open_encoder(spec, args)
    num_points = _num_points(args, encoder.description)
    log(f"extracting {dataset} {'/'.join(splits)} features with {name} ({num_points} points per cloud)")
    return dataset, name, num_points, [_features(encoder, args, dataset, split, num_points) for split in splits]


# ----------------------------------------------------------------------------------------------- tasks
def run_svm(args, spec, ctx, log=print):
    from dcglr_tf.evaluation.svm import linear_svm_accuracy

    dataset, name, num_points, ((train_x, train_y), (test_x, test_y)) = _frozen_features(args, spec, "svm", log)
    scores = linear_svm_accuracy(train_x, train_y, test_x, test_y, seeds=tuple(args.seeds))
    settings = {"num_points": num_points, "seeds": list(args.seeds), "train_examples": int(len(train_y)),
                "test_examples": int(len(test_y)), "feature_dim": int(train_x.shape[1]),
                "classifier": "StandardScaler + LinearSVC (primal), C in {1e-4..1}, 5-fold stratified CV on train only"}
    rows = [[r["seed"], r["C"], r["cv_accuracy"], r["accuracy"]] for r in scores["per_seed"]]
    log(format_table(["seed", "C", "cv acc (train)", "test acc"], rows))
    log(f"linear SVM test accuracy: {scores['accuracy']:.4f} +- {scores['accuracy_std']:.4f} ({dataset}, {name})")
    log(f"features: {FEATURES_NOTE}")
    return _base("svm", dataset, name, settings, args.seeds, scores, features=FEATURES_NOTE, **scores,
                 summary={"svm acc": scores["accuracy"], "+-": scores["accuracy_std"]})


def run_knn(args, spec, ctx, log=print):
    from dcglr_tf.evaluation.knn import knn_accuracy

    dataset, name, num_points, ((train_x, train_y), (test_x, test_y)) = _frozen_features(args, spec, "knn", log)
    scores = knn_accuracy(train_x, train_y, test_x, test_y, ks=tuple(args.k), temperature=args.temperature,
                          num_classes=sources.dataset_info(dataset).num_classes)
    settings = {"num_points": num_points, "k": list(args.k), "temperature": args.temperature,
                "similarity": "cosine (L2-normalised features)", "vote": "sum of exp(similarity / T) per class",
                "train_examples": int(len(train_y)), "test_examples": int(len(test_y)),
                "feature_dim": int(train_x.shape[1]), "deterministic": True}
    log(format_table(["k", "T", "test acc", "mean class acc"],
                     [[r["k"], args.temperature, r["accuracy"], r["mean_class_accuracy"]] for r in scores["per_k"]]))
    summary = {f"knn acc k={r['k']}": r["accuracy"] for r in scores["per_k"]}
    return _base("knn", dataset, name, settings, [], scores, features=FEATURES_NOTE, summary=summary)


def _inits(args, path):
    if path == "random":
        if args.init == "pretrained":
            raise ValueError("--init=pretrained needs an exported encoder; --encoder=random is the from-scratch baseline")
        return ["scratch"]
    return ["pretrained", "scratch"] if args.init == "both" else [args.init]


def _run_dir(ctx, task, dataset, spec, args, init):
    return os.path.join(ctx["picture_dir"], f"{task}_{dataset}_{_slug(spec, args)}_{init}")


def run_finetune(args, spec, ctx, log=print):
    from dcglr_tf.evaluation.finetune import load_arrays, train_classifier

    dataset = _dataset(args)
    _check_classification(dataset, "finetune")
    path, backbone_name = parse_encoder_spec(spec, args.backbone)
    inits = _inits(args, path)
    metrics, names = {}, {}
    settings = None
    for init in inits:
        backbone, name = load_trainable_backbone(path, backbone_name, args.preset, args.seed, _backbone_args(args),
                                                 pretrained=init == "pretrained")
        names[init] = name
        description = {} if path == "random" else _description(path)
        num_points = _num_points(args, description)
        if settings is None:
            train = load_arrays(dataset, _split(args, "train"), num_points, args.data_dir, args.manual_dir)
            test = load_arrays(dataset, _split(args, "test"), num_points, args.data_dir, args.manual_dir)
            settings = {"num_points": num_points, "epochs": args.epochs, "batch_size": args.batch_size,
                        "learning_rate": args.learning_rate, "seed": args.seed, "train_examples": int(len(train[1])),
                        "test_examples": int(len(test[1])),
                        "recipe": "encoder + MLP head (512, 256, dropout 0.5), AdamW wd 1e-4, cosine lr, label "
                                  "smoothing 0.1, random scale/translate; identical for pretrained and scratch"}
        run_dir = _run_dir(ctx, "finetune", dataset, spec, args, init)
        log(f"fine-tuning ({init}): {name}, {args.epochs} epochs, run directory {run_dir}")
        metrics[init] = train_classifier(
            backbone, train, test, num_classes=sources.dataset_info(dataset).num_classes, run_dir=run_dir,
            settings={**settings, "init": init, "encoder": spec, "backbone_args": _backbone_args(args)},
            epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, learning_rate=args.learning_rate,
            verbose=args.verbose, log=log)
    rows = [[init, metrics[init]["overall_accuracy"], metrics[init]["mean_class_accuracy"],
             metrics[init]["train_seconds"]] for init in inits]
    log(format_table(["init", "OA", "mean class acc", "train s"], rows))
    summary = {}
    for init in inits:
        summary[f"{init} OA"] = metrics[init]["overall_accuracy"]
        summary[f"{init} mAcc"] = metrics[init]["mean_class_accuracy"]
    return _base("finetune", dataset, spec if path != "random" else names["scratch"], settings, [args.seed], metrics,
                 initialisations=names, summary=summary)


def _description(path):
    from dcglr_tf.export import load_encoder

    return load_encoder(path).description


def _point_feature_backbones():
    from dcglr_tf.models import backbone_names, build_backbone

    return [n for n in backbone_names() if build_backbone(n, "embedded").has_point_features]


def run_segmentation(args, spec, ctx, log=print):
    from dcglr_tf.evaluation.segmentation import load_blocks, train_segmentation

    dataset = _dataset(args)
    info = sources.dataset_info(dataset)
    if info.kind != "segmentation":
        segs = [n for n in sources.dataset_names() if sources.dataset_info(n).kind == "segmentation"]
        raise ValueError(f"task 'segmentation' needs a segmentation dataset (per-point labels); {dataset!r} is a "
                         f"{info.kind} dataset. Use one of: {', '.join(segs)}")
    if not 1 <= args.train_area <= 5:
        raise ValueError(f"--train_area must be one of 1-5 (area 6 is the test area), got {args.train_area}")
    path, backbone_name = parse_encoder_spec(spec, args.backbone)
    inits = _inits(args, path)
    metrics, names = {}, {}
    num_points = int(args.num_points or 1024)
    train_split, test_split = _split(args, f"area{args.train_area}"), _split(args, "area6")
    train = test = None
    class_names = sources.S3DIS_CLASS_NAMES
    settings = {}
    for init in inits:
        backbone, name = load_trainable_backbone(path, backbone_name, args.preset, args.seed, _backbone_args(args),
                                                 pretrained=init == "pretrained")
        if not backbone.has_point_features:
            raise ValueError(f"segmentation needs a backbone with per-point features; {type(backbone).__name__} has "
                             f"none. Supported backbones: {', '.join(_point_feature_backbones())}")
        names[init] = name
        if train is None:
            train = load_blocks(dataset, train_split, num_points, seed=args.seed, data_dir=args.data_dir,
                                manual_dir=args.manual_dir)
            test = load_blocks(dataset, test_split, num_points, seed=args.seed + 1, data_dir=args.data_dir,
                               manual_dir=args.manual_dir)
            settings = {"num_points": num_points, "train_area": args.train_area, "train_split": train_split,
                        "test_split": test_split, "train_blocks": int(len(train[1])), "test_blocks": int(len(test[1])),
                        "epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
                        "seed": args.seed, "input": "xyz only (block coordinates as stored)",
                        "network": "encoder per-point features + repeated global feature -> per-point MLP "
                                   "(256, 256, dropout 0.5, 128) -> 13 classes",
                        "class_names": class_names}
        run_dir = _run_dir(ctx, "segmentation", dataset, spec, args, init)
        log(f"segmentation ({init}): {name}, train area {args.train_area} ({len(train[1])} blocks), test area 6 "
            f"({len(test[1])} blocks), {num_points} points per block, run directory {run_dir}")
        metrics[init] = train_segmentation(
            backbone, train, test, num_classes=info.num_classes, run_dir=run_dir,
            settings={**settings, "init": init, "encoder": spec, "backbone_args": _backbone_args(args)},
            epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, learning_rate=args.learning_rate,
            verbose=args.verbose, log=log)
        metrics[init]["per_class_iou_named"] = dict(zip(class_names, metrics[init]["per_class_iou"]))
    headers = ["init", "OA", "mIoU"] + class_names
    rows = [[init, metrics[i]["overall_accuracy"], metrics[i]["mean_iou"]]
            + ["-" if v is None else f"{v:.3f}" for v in metrics[i]["per_class_iou"]] for i, init in
            ((i, i) for i in inits)]
    log(format_table(headers, rows))
    summary = {}
    for init in inits:
        summary[f"{init} OA"] = metrics[init]["overall_accuracy"]
        summary[f"{init} mIoU"] = metrics[init]["mean_iou"]
    return _base("segmentation", dataset, spec if path != "random" else names["scratch"], settings, [args.seed],
                 metrics, initialisations=names, summary=summary)


def run_robustness(args, spec, ctx, log=print):
    from dcglr_tf.evaluation.robustness import robustness_grid

    datasets = _datasets(args)
    for dataset in datasets:
        _check_classification(dataset, "robustness")
        stored = sources.dataset_info(dataset).num_points
        if max(args.point_counts) > stored:
            raise ValueError(f"{dataset!r} stores {stored} points per cloud; --point_counts must not exceed that")
    encoder, name, _, _ = _open_encoder(spec, args)
    pretrained_points = encoder.description.get("num_points")
    grid, rows, summary = {}, [], {}
    for dataset in datasets:
        features, labels = {}, {}
        for split in ("train", "test"):
            for n in args.point_counts:
                log(f"extracting {dataset} {split} features with {n} points ({name})")
                features[(split, n)], labels[split] = _features(encoder, args, dataset, split, n)
        grid[dataset] = robustness_grid(features, labels, args.point_counts, args.seeds)
        for cell in grid[dataset]:
            rows.append([dataset, pretrained_points or "-", cell["train_points"], cell["test_points"],
                         cell["accuracy"], cell["accuracy_std"]])
            summary[f"{dataset} {cell['train_points']}->{cell['test_points']}"] = cell["accuracy"]
    log(format_table(["dataset", "pre-trained pts", "SVM train pts", "SVM test pts", "test acc", "+-"], rows))
    settings = {"point_counts": list(args.point_counts), "datasets": datasets, "seeds": list(args.seeds),
                "pretrained_num_points": pretrained_points,
                "classifier": "the svm protocol: LinearSVC, C by 5-fold CV on the train split only"}
    return _base("robustness", ",".join(datasets), name, settings, args.seeds, {"grid": grid},
                 features=FEATURES_NOTE, summary=summary)


def run_tsne(args, spec, ctx, log=print):
    from dcglr_tf.evaluation.tsne import plot_tsne, tsne_embedding

    dataset, name, num_points, [(features, labels)] = _frozen_features(args, spec, "tsne", log, splits=("test",))
    log(f"t-SNE of {len(labels)} {dataset} test clouds ({name})")
    coords = tsne_embedding(features, seed=args.seed)
    picture = os.path.join(ctx["picture_dir"], f"tsne_{dataset}_{_slug(spec, args)}.png")
    plot_tsne(coords, labels, _class_names(dataset, args), picture,
              f"t-SNE of frozen features: {dataset} test split, {len(labels)} clouds\nencoder: {name}")
    log(format_table(["encoder", "clouds", "picture"], [[name, len(labels), picture]]))
    settings = {"num_points": num_points, "split": _split(args, "test"), "clouds": int(len(labels)),
                "perplexity": float(min(30.0, max((len(labels) - 1) / 3.0, 1.0))), "tsne_seed": args.seed}
    return _base("tsne", dataset, name, settings, [args.seed], {"coordinates_saved": False},
                 features=FEATURES_NOTE, pictures=[picture], summary={"clouds": len(labels)})


def run_spectrum(args, spec, ctx, log=print):
    from dcglr_tf.evaluation.spectrum import feature_spectrum, plot_spectra

    dataset, name, num_points, [(features, _)] = _frozen_features(args, spec, "spectrum", log, splits=("train",))
    spectrum = feature_spectrum(features)
    picture = os.path.join(ctx["picture_dir"], f"spectrum_{dataset}_{_slug(spec, args)}.png")
    plot_spectra([(name, spectrum)], picture,
                 f"Feature covariance spectrum: {dataset} train split, {len(features)} clouds")
    ctx.setdefault("spectra", []).append((name, spectrum))
    log(format_table(["encoder", "dim", "eff. rank", "rank@1e-3", "top share", "collapsed"],
                     [[name, spectrum["feature_dim"], spectrum["effective_rank"], spectrum["rank_1e-3"],
                       spectrum["top_eigenvalue_share"], spectrum["collapsed"]]]))
    settings = {"num_points": num_points, "split": _split(args, "train"), "clouds": int(len(features)),
                "covariance": "of centred (not standardised) features", "normalisation": "divided by the largest"}
    summary = {"eff. rank": spectrum["effective_rank"], "rank@1e-3": spectrum["rank_1e-3"],
               "collapsed": spectrum["collapsed"]}
    return _base("spectrum", dataset, name, settings, [], spectrum, features=FEATURES_NOTE, pictures=[picture],
                 summary=summary)


def run_attention(args, spec, ctx, log=print):
    from dcglr_tf.evaluation.attention import plot_attention, point_attention
    from dcglr_tf.evaluation.finetune import load_arrays

    dataset = _dataset(args)
    _check_classification(dataset, "attention")
    path, backbone_name = parse_encoder_spec(spec, args.backbone)
    if path == "random":
        if backbone_name != "vit3d":
            raise ValueError(f"attention maps exist for the vit3d backbone only, not {backbone_name!r}")
        description = {}
    else:
        description = _description(path)
        if description.get("backbone_class") != "ViT3D":
            raise ValueError(f"attention maps exist for the vit3d backbone only; {path} is a "
                             f"{description.get('backbone_class')} encoder")
    backbone, name = load_trainable_backbone(path, backbone_name, args.preset, args.seed, _backbone_args(args))
    num_points = _num_points(args, description)
    points, labels = load_arrays(dataset, _split(args, "test"), num_points, args.data_dir, args.manual_dir)
    firsts = [int(np.flatnonzero(labels == c)[0]) for c in np.unique(labels)][: args.num_clouds]
    points, labels = points[firsts], labels[firsts]
    per_point, patch_attention, _ = point_attention(backbone, points)
    names = _class_names(dataset, args)
    titles = [names[y] if y < len(names) else f"class {y}" for y in labels]
    picture = os.path.join(ctx["picture_dir"], f"attention_{dataset}_{_slug(spec, args)}.png")
    entropy = -np.sum(patch_attention * np.log(np.maximum(patch_attention, 1e-12)), axis=-1)  # (B, heads)
    plot_attention(points, per_point, titles, picture,
                   f"3D-ViT class-token attention, last block ({name})\nrows: {dataset} test clouds, columns: heads; "
                   f"H: entropy in nats (uniform over {patch_attention.shape[-1]} patches = "
                   f"{np.log(patch_attention.shape[-1]):.2f})", num_patches=patch_attention.shape[-1], entropy=entropy)
    rows = [[titles[b]] + [f"{entropy[b, h]:.2f}" for h in range(entropy.shape[1])] for b in range(len(titles))]
    log("attention entropy per head (nats; uniform = log(patches) = "
        f"{np.log(patch_attention.shape[-1]):.2f})")
    log(format_table(["cloud"] + [f"head {h + 1}" for h in range(entropy.shape[1])], rows))
    settings = {"num_points": num_points, "clouds": titles, "heads": int(per_point.shape[1]),
                "patches": int(patch_attention.shape[-1]), "block": "last"}
    metrics = {"attention_entropy": entropy.tolist(), "uniform_entropy": float(np.log(patch_attention.shape[-1]))}
    return _base("attention", dataset, name, settings, [], metrics, pictures=[picture],
                 summary={"mean entropy": float(entropy.mean())})


TASK_RUNNERS = {"svm": run_svm, "knn": run_knn, "finetune": run_finetune, "segmentation": run_segmentation,
                "robustness": run_robustness, "tsne": run_tsne, "spectrum": run_spectrum, "attention": run_attention,
                "partseg": run_partseg}


def _check_args(args):
    if args.task not in TASK_RUNNERS:
        raise ValueError(f"unknown task {args.task!r}; choose one of: {', '.join(TASK_RUNNERS)}")
    datasets = _datasets(args)
    for dataset in datasets:
        sources.dataset_info(dataset)  # unknown names -> ValueError listing the valid ones
    if len(datasets) > 1 and args.task != "robustness":
        raise ValueError(f"several --dataset values are supported by --task=robustness only, not {args.task!r}")
    specs = list(getattr(args, "compare", None) or [args.encoder])
    if not specs or specs == [None]:
        raise ValueError("give --encoder=PATH|random or --compare ENC1 ENC2 ...")
    for spec in specs:
        path, backbone = parse_encoder_spec(spec, args.backbone)
        if path == "random" and not backbone:
            raise ValueError("--encoder=random needs --backbone=NAME (or write random:NAME in --compare)")
    return specs


def run_task(args, log=print):
    """Run `args.task` for each encoder, write its JSON result (and pictures), return the result dict."""
    specs = _check_args(args)
    dataset_label = "-".join(_datasets(args))
    first_path, first_backbone = parse_encoder_spec(specs[0], args.backbone)
    task_label = args.task if len(specs) == 1 else f"{args.task}_compare"
    path = args.output or default_result_path(first_path, task_label, dataset_label, first_backbone)
    ctx = {"picture_dir": getattr(args, "output_dir", None) or os.path.dirname(os.path.abspath(path))}
    results = []
    for spec in specs:
        if len(specs) > 1:
            log(f"=== {args.task}: {spec}")
        results.append(TASK_RUNNERS[args.task](args, spec, ctx, log=log))
    if len(results) == 1:
        result = results[0]
    else:
        keys = list(dict.fromkeys(k for r in results for k in r["summary"]))
        rows = [[r["encoder"]] + [r["summary"].get(k, "-") for k in keys] for r in results]
        table = {"headers": ["encoder"] + keys, "rows": rows}
        result = {"task": args.task, "dataset": dataset_label, "encoder": [r["encoder"] for r in results],
                  "compare": specs, "settings": results[0]["settings"], "seeds": results[0]["seeds"],
                  "metrics": {r["encoder"]: r["metrics"] for r in results}, "results": results, "table": table}
        if args.task == "spectrum":
            from dcglr_tf.evaluation.spectrum import plot_spectra

            picture = os.path.join(ctx["picture_dir"], f"spectrum_{dataset_label}_compare.png")
            clouds = results[0]["settings"]["clouds"]
            plot_spectra(ctx["spectra"], picture, f"Feature covariance spectra: {dataset_label} train split, {clouds} clouds")
            result["pictures"] = [picture]
        log("\n" + format_table(table["headers"], rows))
    write_result(_clean(result), path)
    log(f"result written to {path}")
    for picture in result.get("pictures", []) if isinstance(result.get("pictures"), list) else []:
        log(f"picture written to {picture}")
    return _clean(result)
