"""Robustness to the point count (the paper's Table 4 grid), with the points taken both ways users have them.

For each encoder (pre-trained with 2048 or 1024 points - its `num_points` is reported), each dataset and each point
order (`first`: the first N points as stored, the benchmarks' protocol; `random`: N random points of each cloud,
seeded by --seed; both unless --point_order names one), features are extracted once with each point count for the
train and the test split, and a linear SVM (the svm protocol: C by CV on train only, several seeds) is fitted once
per (seed, training count) and scores the test split at every count. Each cell of the grid names its order.
"""

from dcglr_tf.data.pipeline import POINT_ORDERS
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.robustness import robustness_grid
from dcglr_tf.evaluation.svm import CLASSIFIER
from dcglr_tf.evaluation.tasks.common import (
    FEATURES_NOTE,
    base_result,
    check_classification,
    dataset_of,
    open_encoder,
    point_order_of,
    split_features,
    task_datasets,
)

DEFAULT_POINT_COUNTS = (2048, 1024)


def run_robustness(args, spec, ctx, log=print):
    point_counts = list(args.point_counts or DEFAULT_POINT_COUNTS)
    datasets = task_datasets(args)
    infos = {}  # a folder is prepared at the largest count, whose first points are the smaller counts'
    for dataset in datasets:
        check_classification(dataset_of(args, dataset), "robustness")
        infos[dataset] = dataset_of(args, dataset, max(point_counts))
        stored = infos[dataset].num_points
        if stored is not None and max(point_counts) > stored:
            raise ValueError(f"{dataset!r} stores {stored} points per cloud; --point_counts must not exceed that")
    encoder, name, _, _ = open_encoder(spec, args)
    pretrained_points = encoder.description.get("num_points")
    orders = [point_order_of(args)] if getattr(args, "point_order", None) else list(POINT_ORDERS)
    grid, rows, summary = {}, [], {}
    for dataset in datasets:
        grid[dataset] = []
        for order in orders:
            features, labels = {}, {}
            for split in ("train", "test"):
                for n in point_counts:
                    features[(split, n)], labels[split] = split_features(encoder, args, infos[dataset], split, n,
                                                                         log=log, ctx=ctx, spec=spec, point_order=order)
            cells = robustness_grid(features, labels, point_counts, args.seeds, log=log)
            for cell in cells:
                cell["point_order"] = order
                rows.append([dataset, pretrained_points or "-", order, cell["train_points"], cell["test_points"],
                             cell["accuracy"], cell["accuracy_std"]])
                suffix = "" if order == "first" else f" {order}"
                summary[f"{dataset} {cell['train_points']}->{cell['test_points']}{suffix}"] = cell["accuracy"]
            grid[dataset] += cells
    log(format_table(["dataset", "pre-trained pts", "points", "SVM train pts", "SVM test pts", "test acc", "+-"], rows))
    settings = {"point_counts": list(point_counts), "datasets": datasets, "seeds": list(args.seeds),
                "pretrained_num_points": pretrained_points, "point_orders": orders,
                "point_seed": args.seed if "random" in orders else None,
                "classifier": f"the svm protocol ({CLASSIFIER}), one fit per (seed, training point count)"}
    return base_result("robustness", ",".join(datasets), name, settings, args.seeds, {"grid": grid},
                       features=FEATURES_NOTE, summary=summary)
