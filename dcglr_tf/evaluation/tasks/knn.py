"""Weighted k-nearest-neighbour classification on frozen features (DINO's `eval_knn`), and its leave-one-out form.

Features are L2-normalised; each query's k most cosine-similar reference features vote for their class with
weight exp(similarity / T) (T = 0.07, k = 20 by default). Two protocols:
- `standard`: test clouds query the train split;
- `loo` (leave-one-out, k = 1 by default): every cloud of one split is classified by the other clouds of the same
  split (with k = 1: the class of its nearest other cloud). With `--points_file`, the split is the clouds of a
  NumPy file naming each cloud's class (`class_name`): the held-out real-shape protocol on a user's own labelled
  shapes. Where the file also names each cloud's object (`object`, e.g. several surface samplings of one mesh),
  a cloud's neighbours are clouds of other objects only.
No parameters are fitted, so there is no seed; the result is deterministic. A k larger than the reference set
is clamped to its size (with a warning in the task output).
"""

import collections
import os

import numpy as np

from dcglr_tf.data import sources
from dcglr_tf.data.points_file import CLASS_KEY, load_file_classes, load_file_objects
from dcglr_tf.evaluation.knn import hardest_classes, knn_accuracy
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.tasks.common import (
    FEATURES_NOTE,
    base_result,
    class_names_of,
    frozen_features,
    num_points_of,
    open_encoder,
    point_settings,
    points_file_clouds,
    points_file_subsets,
)
from dcglr_tf.evaluation.tasks.features import embed_points
from dcglr_tf.utils.progress import Stage

PROTOCOL_KS = {"standard": (20,), "loo": (1,)}


def _file_leave_one_out(args, spec, ctx, ks, log):
    """Leave-one-out among the clouds of --points_file: (file label, encoder name, num_points, features, scores,
    settings, class names); classes from the file's `class_name`, clouds of one `object` never neighbours."""
    num_clouds = len(points_file_clouds(args, ctx, 1, "--points_file"))
    classes = load_file_classes(args.points_file, num_clouds)
    if classes is None:
        raise ValueError(f"--task=knn --points_file needs a file naming each cloud's class under '{CLASS_KEY}'; "
                         f"{args.points_file} has none")
    objects = load_file_objects(args.points_file, num_clouds)
    if objects is not None and len(set(objects)) < 2:
        raise ValueError(f"points file {args.points_file}: every cloud is of one object ('object'); leave-one-out "
                         f"among other objects needs clouds of at least two")
    names = sorted(set(classes))
    labels = np.array([names.index(c) for c in classes])
    encoder, name, _, _ = open_encoder(spec, args)
    num_points = num_points_of(args, encoder.description)
    clouds = points_file_subsets(args, ctx, num_points, f"--num_points {num_points}")
    label = os.path.basename(args.points_file)
    with Stage(f"embedding {label} ({num_points} points per cloud) with {name}", num_clouds, "clouds", log) as stage:
        x = embed_points(encoder, clouds, batch_size=args.batch_size, on_batch=stage.update)
    scores = knn_accuracy(x, labels, ks=ks, temperature=args.temperature, num_classes=len(names), groups=objects)
    settings = {"points_file": args.points_file, "examples": num_clouds,
                "file_classes": dict(sorted(collections.Counter(classes).items())),
                "neighbours": "the file's clouds of other objects ('object')" if objects
                else "the file's other clouds (leave-one-out)"}
    return label, name, num_points, x, scores, settings, names


def run_knn(args, spec, ctx, log=print):
    protocol = getattr(args, "protocol", None) or "standard"
    ks = tuple(args.k or PROTOCOL_KS[protocol])
    names = None
    if args.points_file:
        if protocol != "loo" or args.split:
            raise ValueError("--points_file with --task=knn needs --protocol=loo (leave-one-out among the file's "
                             "clouds) and no --split")
        dataset, name, num_points, x, scores, sizes, names = _file_leave_one_out(args, spec, ctx, ks, log)
    elif protocol == "loo":
        split = args.split or "test"
        dataset, name, num_points, [(x, y)] = frozen_features(args, spec, "knn", log, splits=(split,), ctx=ctx)
        scores = knn_accuracy(x, y, ks=ks, temperature=args.temperature,
                              num_classes=sources.dataset_info(dataset).num_classes)
        sizes = {"split": split, "examples": int(len(y)),
                 "neighbours": "the other clouds of the same split (leave-one-out)"}
    else:
        if args.split:
            raise ValueError("--split is for --protocol=loo (the standard kNN protocol queries test with train)")
        dataset, name, num_points, splits = frozen_features(args, spec, "knn", log, ctx=ctx)
        (train_x, train_y), (x, y) = splits
        scores = knn_accuracy(train_x, train_y, x, y, ks=ks, temperature=args.temperature,
                              num_classes=sources.dataset_info(dataset).num_classes)
        sizes = {"train_examples": int(len(train_y)), "test_examples": int(len(y))}
    for r in scores["per_k"]:
        if r["k_used"] < r["k"]:
            log(f"warning: k={r['k']} exceeds the {r['k_used']} reference clouds; using k={r['k_used']}")
    settings = {"protocol": protocol, "num_points": num_points, "k": list(ks), "temperature": args.temperature,
                "similarity": "cosine (L2-normalised features)", "vote": "sum of exp(similarity / T) per class",
                **sizes, **point_settings(args), "feature_dim": int(x.shape[1]), "deterministic": True}
    log(format_table(["k", "T", "test acc" if protocol == "standard" else f"LOO acc ({sizes.get('split', dataset)})",
                      "mean class acc"],
                     [[r["k_used"], args.temperature, r["accuracy"], r["mean_class_accuracy"]] for r in scores["per_k"]]))
    log(hardest_classes(scores["per_k"][0], names if names is not None else class_names_of(dataset, args)))
    prefix = "knn acc" if protocol == "standard" else "loo knn acc"
    summary = {f"{prefix} k={r['k']}": r["accuracy"] for r in scores["per_k"]}
    return base_result("knn", dataset, name, settings, [], scores, features=FEATURES_NOTE, summary=summary)
