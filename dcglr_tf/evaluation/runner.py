"""Runs one evaluation task from parsed `evaluate.py` arguments: encoder -> features -> protocol ->
printed table + JSON result."""

from dcglr_tf.config import PRESETS
from dcglr_tf.data import sources
from dcglr_tf.evaluation.features import extract_features, resolve_encoder
from dcglr_tf.evaluation.report import default_result_path, format_table, write_result
from dcglr_tf.evaluation.svm import linear_svm_accuracy


def _num_points(args, encoder):
    if args.num_points:
        return args.num_points
    return int(encoder.description.get("num_points") or PRESETS[args.preset]().num_points)


def _labelled_splits(dataset):
    info = sources.dataset_info(dataset)
    if info.kind != "classification" or not info.has_labels:
        labelled = [n for n in sources.dataset_names() if sources.dataset_info(n).kind == "classification"]
        raise ValueError(f"dataset {dataset!r} has no class labels for this task; use one of: {', '.join(labelled)}")
    return "train", "test"


def run_svm(args, log=print):
    train_split, test_split = _labelled_splits(args.dataset)
    encoder, name = resolve_encoder(args.encoder, args.backbone, args.preset, args.seed)
    num_points = _num_points(args, encoder)
    common = dict(num_points=num_points, batch_size=args.batch_size, data_dir=args.data_dir, manual_dir=args.manual_dir)
    log(f"extracting {args.dataset} features with {name} ({num_points} points per cloud)")
    train_x, train_y = extract_features(encoder, args.dataset, train_split, **common)
    test_x, test_y = extract_features(encoder, args.dataset, test_split, **common)
    scores = linear_svm_accuracy(train_x, train_y, test_x, test_y, seeds=tuple(args.seeds))
    result = {
        "task": "svm",
        "dataset": args.dataset,
        "encoder": name,
        "features": "teacher backbone global feature (max+mean pooled where the backbone pools), "
                    "standardised; LinearSVC, C by 5-fold CV on the train split only",
        "settings": {"num_points": num_points, "seeds": list(args.seeds), "train_examples": int(len(train_y)),
                     "test_examples": int(len(test_y)), "feature_dim": int(train_x.shape[1])},
        **scores,
    }
    rows = [[r["seed"], r["C"], r["cv_accuracy"], r["accuracy"]] for r in scores["per_seed"]]
    log(format_table(["seed", "C", "cv acc (train)", "test acc"], rows))
    log(f"linear SVM test accuracy: {scores['accuracy']:.4f} +- {scores['accuracy_std']:.4f} ({args.dataset}, {name})")
    return result


TASK_RUNNERS = {"svm": run_svm}


def run_task(args, log=print):
    """Run `args.task`, write its JSON result, return the result dict."""
    result = TASK_RUNNERS[args.task](args, log=log)
    path = args.output or default_result_path(args.encoder, args.task, args.dataset, args.backbone)
    write_result(result, path)
    log(f"result written to {path}")
    return result
