"""Transfer to other clouds: a kNN classifier on frozen features of a labelled dataset's train split, applied to
other clouds whose classes are known (`--points_file`: a NumPy file of stacked clouds, a folder of the user's files,
or a single file): all of one class of the dataset (`--file_class`), or each its own, named by the file
(`class_name`, see `dcglr_tf.data.points_file`) or by the folder's class folders. The check that features learnt on
one source of shapes (the embedded synthetic objects) still place shapes of another source (real CAD models, scans)
in the right category:

    python evaluate.py --task=transfer --encoder=ENC --points_file=airplanes.npz --file_class=airplane
    python tools/folder_to_points.py --input MESHES_DIR --output meshes.npz --up z --order fps
    python evaluate.py --task=transfer --encoder=ENC --points_file=meshes.npz     # classes from the file
    python evaluate.py --task=transfer --encoder=ENC --points_file=MESHES_DIR     # classes from its folders

Both sides use `--num_points` points of each cloud (default: the encoder's pre-training num_points; a folder is
prepared at that count), the first as stored or, with `--point_order=random` (alias `shuffled`), random ones seeded
by `--seed`, centred and scaled to the unit sphere by the encoder. The vote is the kNN task's (cosine similarity, sum
of exp(similarity / T) per class). Reported for each k of `--k` (default 20 and 1): the accuracy, the fraction of the
clouds predicted as their class (chance: 1 / number of classes), the same per class, and the classes predicted most
often.
"""

import collections

import numpy as np

from dcglr_tf.data import sources
from dcglr_tf.data.points_file import CLASS_KEY
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.tasks.common import (
    base_result,
    check_classification,
    dataset_of,
    num_points_of,
    open_encoder,
    point_settings,
    prepared_dataset,
    split_features,
    task_dataset,
)
from dcglr_tf.evaluation.transfer import DEFAULT_KS, transfer_scores

SHOWN_CLASSES = 5


def _check_file_classes(args, dataset, names):
    """A ValueError when the clouds to classify have no class (and no --file_class gives one) or a class the
    reference dataset does not have; returns a label of their classes."""
    if args.file_class:
        if args.file_class not in names:
            raise ValueError(f"--file_class {args.file_class!r} is not a class of {dataset!r}; its classes: "
                             f"{', '.join(names)}")
        return args.file_class
    problem = sources.dataset_problem(dataset_of(args, args.points_file), splits=(sources.ALL,))
    if problem:
        raise ValueError(f"--task=transfer needs --file_class (the class of every cloud) or clouds that name their "
                         f"class (a stacked file's '{CLASS_KEY}', a folder's class folders); {problem}")
    unknown = sorted(set(sources.class_names(dataset_of(args, args.points_file))) - set(names))
    if unknown:
        raise ValueError(f"{args.points_file}: its classes {', '.join(map(repr, unknown))} are not classes of "
                         f"{dataset!r}; its classes: {', '.join(names)}")
    return "the file's classes"


def _file_features(args, spec, ctx, encoder, num_points, log):
    """(features (F, D), class names of the F clouds) of every cloud of --points_file, prepared at `num_points`
    points per cloud when it is a folder, the points taken as --point_order says."""
    info = prepared_dataset(args, args.points_file, num_points, log)
    names = sources.class_names(info)
    features, labels = split_features(encoder, args, info, sources.ALL, num_points, log=log, ctx=ctx, spec=spec)
    return features, [names[y] if y >= 0 else None for y in labels]


def run_transfer(args, spec, ctx, log=print):
    if not args.points_file:
        raise ValueError("--task=transfer needs --points_file (the clouds to classify) and --file_class (their class) "
                         f"unless the file names each cloud's class under '{CLASS_KEY}'")
    dataset = task_dataset(args)
    check_classification(dataset_of(args, dataset), "transfer", splits=("train",))
    names = sources.class_names(dataset_of(args, dataset), data_dir=args.data_dir, manual_dir=args.manual_dir)
    classes_label = _check_file_classes(args, dataset, names)
    encoder, name, _, _ = open_encoder(spec, args)
    num_points = num_points_of(args, encoder.description)
    label = args.points_file
    log(f"transfer from {dataset} train to {label} ({classes_label}) with {name} ({num_points} points per cloud)")
    file_x, file_classes = _file_features(args, spec, ctx, encoder, num_points, log)
    train_x, train_y = split_features(encoder, args, dataset, "train", num_points, log=log, ctx=ctx, spec=spec)
    targets = np.array([names.index(args.file_class or c) for c in file_classes])
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
                "points_file": args.points_file, "file_clouds": int(len(file_x)), "file_class": args.file_class,
                "file_classes": dict(sorted(file_classes.items())),
                "num_points": num_points, **point_settings(args), "seed": args.seed, "k": list(ks),
                "temperature": args.temperature, "chance": 1.0 / len(names),
                "similarity": "cosine (L2-normalised features)", "vote": "sum of exp(similarity / T) per class"}
    metrics = {"accuracy": scores[0]["accuracy"], "per_k": scores}
    return base_result("transfer", label, name, settings, [], metrics,
                       summary={f"transfer acc k={s['k']}": s["accuracy"] for s in scores})
