"""Transfer to other clouds: a kNN classifier on frozen features of a labelled dataset's train split, applied to
the clouds of a NumPy file whose classes are known: all of one class of the dataset (`--file_class`), or each its
own, named in the file (`class_name`, see `dcglr_tf.data.points_file`). The check that features learnt on one
source of shapes (the embedded synthetic objects) still place shapes of another source (real CAD models, scans)
in the right category:

    python evaluate.py --task=transfer --encoder=ENC --points_file=../shared/data/modelnet40_airplanes_2048.npz \\
        --file_class=airplane
    python benchmarks/off_meshes_to_points.py --meshes ../shared/data/modelnet_off_mini --output meshes.npz
    python evaluate.py --task=transfer --encoder=ENC --points_file=meshes.npz     # classes from the file

Both sides use `--num_points` points of each cloud (default: the encoder's pre-training num_points), the first
as stored or, with `--point_order=random` (alias `shuffled`), random ones seeded by `--seed`, centred and scaled to
the unit sphere by the encoder. The vote is the kNN task's (cosine similarity, sum of exp(similarity / T) per class).
Reported for each k of `--k` (default 20 and 1): the accuracy, the fraction of the file's clouds predicted as
their class (chance: 1 / number of classes), the same per class, and the classes predicted most often.
"""

import collections
import os

import numpy as np

from dcglr_tf.data import sources
from dcglr_tf.data.points_file import CLASS_KEY, load_file_classes
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.tasks.common import (
    base_result,
    check_classification,
    num_points_of,
    open_encoder,
    point_settings,
    points_file_clouds,
    points_file_subsets,
    split_features,
    task_dataset,
)
from dcglr_tf.evaluation.tasks.features import embed_points
from dcglr_tf.evaluation.transfer import DEFAULT_KS, transfer_scores
from dcglr_tf.utils.progress import Stage

SHOWN_CLASSES = 5


def _file_targets(args, dataset, num_clouds):
    """(class index per file cloud (F,), the dataset's class names, a label of the file's classes): from
    --file_class, else from the file's `class_name`; a ValueError names a class the dataset does not have."""
    names = sources.class_names(dataset, data_dir=args.data_dir, manual_dir=args.manual_dir)
    if args.file_class:
        if args.file_class not in names:
            raise ValueError(f"--file_class {args.file_class!r} is not a class of {dataset!r}; its classes: "
                             f"{', '.join(names)}")
        return np.full(num_clouds, names.index(args.file_class)), names, args.file_class
    file_classes = load_file_classes(args.points_file, num_clouds)
    if file_classes is None:
        raise ValueError(f"--task=transfer needs --file_class (the class of every cloud) or a points file naming each "
                         f"cloud's class under '{CLASS_KEY}'; {args.points_file} has none")
    unknown = sorted(set(file_classes) - set(names))
    if unknown:
        raise ValueError(f"points file {args.points_file}: its classes {', '.join(map(repr, unknown))} are not classes "
                         f"of {dataset!r}; its classes: {', '.join(names)}")
    return np.array([names.index(c) for c in file_classes]), names, "the file's classes"


def run_transfer(args, spec, ctx, log=print):
    if not args.points_file:
        raise ValueError("--task=transfer needs --points_file (the clouds to classify) and --file_class (their class) "
                         f"unless the file names each cloud's class under '{CLASS_KEY}'")
    dataset = task_dataset(args)
    check_classification(dataset, "transfer")
    num_clouds = len(points_file_clouds(args, ctx, 1, "--points_file"))
    targets, names, classes_label = _file_targets(args, dataset, num_clouds)
    encoder, name, _, _ = open_encoder(spec, args)
    num_points = num_points_of(args, encoder.description)
    clouds = points_file_subsets(args, ctx, num_points, f"--num_points {num_points}")
    label = os.path.basename(args.points_file)
    log(f"transfer from {dataset} train to {label} ({classes_label}) with {name} ({num_points} points per cloud)")
    train_x, train_y = split_features(encoder, args, dataset, "train", num_points, log=log, ctx=ctx, spec=spec)
    with Stage(f"embedding {label} ({num_points} points per cloud)", len(clouds), "clouds", log) as stage:
        file_x = embed_points(encoder, clouds, batch_size=args.batch_size, on_batch=stage.update)
    ks = tuple(args.k or DEFAULT_KS)
    scores = transfer_scores(train_x, train_y, file_x, targets, ks=ks, temperature=args.temperature,
                             num_classes=len(names))
    for s in scores:
        s["per_class"] = {names[c]: a for c, a in s["per_class"].items()}
        s["predicted"] = {names[c]: n for c, n in s["predicted"].items()}
    shown = lambda s: ", ".join(f"{c} {n}" for c, n in list(s["predicted"].items())[:SHOWN_CLASSES])
    columns = ["k", f"accuracy ({classes_label})", "predicted most often"]
    rows = [[s["k_used"], s["accuracy"], shown(s)] for s in scores]
    if not args.file_class:
        columns.insert(2, "per class")
        for row, s in zip(rows, scores):
            row.insert(2, ", ".join(f"{c} {a:.3f}" for c, a in s["per_class"].items()))
    log(format_table(columns, rows))
    file_classes = collections.Counter(names[c] for c in targets)
    settings = {"dataset": dataset, "reference_split": "train", "reference_examples": int(len(train_y)),
                "points_file": args.points_file, "file_clouds": int(len(clouds)), "file_class": args.file_class,
                "file_classes": dict(sorted(file_classes.items())),
                "num_points": num_points, **point_settings(args), "seed": args.seed, "k": list(ks),
                "temperature": args.temperature, "chance": 1.0 / len(names),
                "similarity": "cosine (L2-normalised features)", "vote": "sum of exp(similarity / T) per class"}
    metrics = {"accuracy": scores[0]["accuracy"], "per_k": scores}
    return base_result("transfer", label, name, settings, [], metrics,
                       summary={f"transfer acc k={s['k']}": s["accuracy"] for s in scores})
