"""Weighted k-nearest-neighbour classification on frozen features (DINO's `eval_knn`), and its leave-one-out form.

Features are L2-normalised; each query's k most cosine-similar reference features vote for their class with
weight exp(similarity / T) (T = 0.07, k = 20 by default). Two protocols:
- `standard`: test clouds query the train split;
- `loo` (leave-one-out, k = 1 by default): every cloud of one split is classified by the other clouds of the same
  split (with k = 1: the class of its nearest other cloud). With `--points_file` (a folder of the user's labelled
  files, or a stacked NumPy file naming each cloud's class under `class_name`), the split is every cloud of it: the
  held-out real-shape protocol on a user's own labelled shapes. Where a stacked file also names each cloud's object
  (`object`, e.g. several surface samplings of one mesh), a cloud's neighbours are clouds of other objects only.
No parameters are fitted, so there is no seed; the result is deterministic. A k larger than the reference set
is clamped to its size (with a warning in the task output).
"""

from dcglr_tf.data import sources
from dcglr_tf.evaluation.knn import hardest_classes, knn_accuracy
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.tasks.common import (
    FEATURES_NOTE,
    base_result,
    class_names_of,
    dataset_of,
    frozen_features,
    point_settings,
    split_of,
    task_dataset,
)

PROTOCOL_KS = {"standard": (20,), "loo": (1,)}


def _object_groups(args, dataset, split, num_points):
    """What each cloud of `split` was sampled from, when some clouds share an object (a stacked file's `object`), so
    that leave-one-out excludes a cloud's own object; None when every cloud is its own."""
    info = dataset_of(args, dataset, num_points)
    if info.files is None:
        return None
    objects = sources.objects(info, split_of(args, split, info), data_dir=args.data_dir)
    if len(set(objects)) == len(objects):
        return None
    if len(set(objects)) < 2:
        raise ValueError(f"{info.name}: every cloud is of one object ('object'); leave-one-out among other objects "
                         f"needs clouds of at least two")
    return objects


def run_knn(args, spec, ctx, log=print):
    protocol = getattr(args, "protocol", None) or "standard"
    ks = tuple(args.k or PROTOCOL_KS[protocol])
    if protocol == "loo":
        if args.points_file and args.split:
            raise ValueError("--points_file with --task=knn takes every cloud of it: no --split")
        split = sources.ALL if args.points_file else args.split or "test"
        dataset, name, num_points, [(x, y)] = frozen_features(args, spec, "knn", log, splits=(split,), ctx=ctx,
                                                              dataset=args.points_file or task_dataset(args))
        objects = _object_groups(args, dataset, split, num_points)
        scores = knn_accuracy(x, y, ks=ks, temperature=args.temperature,
                              num_classes=dataset_of(args, dataset).num_classes, groups=objects)
        sizes = {"split": split, "examples": int(len(y)),
                 "neighbours": "the clouds of other objects ('object')" if objects else
                 "the other clouds of the same split (leave-one-out)"}
    else:
        if args.split:
            raise ValueError("--split is for --protocol=loo (the standard kNN protocol queries test with train)")
        dataset, name, num_points, splits = frozen_features(args, spec, "knn", log, ctx=ctx)
        (train_x, train_y), (x, y) = splits
        scores = knn_accuracy(train_x, train_y, x, y, ks=ks, temperature=args.temperature,
                              num_classes=dataset_of(args, dataset).num_classes)
        sizes = {"train_examples": int(len(train_y)), "test_examples": int(len(y))}
    for r in scores["per_k"]:
        if r["k_used"] < r["k"]:
            log(f"warning: k={r['k']} exceeds the {r['k_used']} reference clouds; using k={r['k_used']}")
    settings = {"protocol": protocol, "num_points": num_points, "k": list(ks), "temperature": args.temperature,
                "similarity": "cosine (L2-normalised features)", "vote": "sum of exp(similarity / T) per class",
                **sizes, **point_settings(args), "feature_dim": int(x.shape[1]), "deterministic": True}
    log(format_table(["k", "T", "test acc" if protocol == "standard" else f"LOO acc ({sizes['split']})",
                      "mean class acc"],
                     [[r["k_used"], args.temperature, r["accuracy"], r["mean_class_accuracy"]] for r in scores["per_k"]]))
    log(hardest_classes(scores["per_k"][0], class_names_of(dataset, args)))
    prefix = "knn acc" if protocol == "standard" else "loo knn acc"
    summary = {f"{prefix} k={r['k']}": r["accuracy"] for r in scores["per_k"]}
    return base_result("knn", dataset, name, settings, [], scores, features=FEATURES_NOTE, summary=summary)
