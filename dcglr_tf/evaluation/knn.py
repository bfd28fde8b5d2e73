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
from dcglr_tf.evaluation.common import (FEATURES_NOTE, base_result, class_names_of, frozen_features, num_points_of,
                                        open_encoder, points_file_clouds)
from dcglr_tf.evaluation.features import embed_points
from dcglr_tf.evaluation.metrics import (knn_vote, mean_class_accuracy, most_confused_with, overall_accuracy,
                                         per_class_accuracy)
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.progress import Stage

PROTOCOL_KS = {"standard": (20,), "loo": (1,)}
HARDEST_SHOWN = 5  # classes named in the task output, lowest accuracy first


def l2_normalise(x):
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def knn_predict(train_x, train_y, test_x=None, *, k=20, temperature=0.07, num_classes=None, chunk=1024, groups=None):
    """Class predictions (T,) of `test_x` (T, D) by the weighted vote of the k nearest of `train_x` (M, D).

    `test_x=None` is leave-one-out: each row of `train_x` is classified by the other M - 1 rows (predictions (M,)).
    `groups` (M,), leave-one-out only: no row of a query's own group is its neighbour (e.g. other samplings of the
    same object); a k beyond the rows a query may use adds no votes. k is clamped to the number of reference rows."""
    train_y = np.asarray(train_y, dtype=np.int64)
    num_classes = int(num_classes or train_y.max() + 1)
    leave_one_out = test_x is None
    k = min(int(k), len(train_y) - int(leave_one_out))
    if k < 1:
        raise ValueError(f"kNN needs at least {1 + int(leave_one_out)} reference examples, got {len(train_y)}")
    if groups is not None:
        groups = np.asarray(groups)
        if not leave_one_out or groups.shape != train_y.shape:
            raise ValueError(f"groups are for leave-one-out, one per example: got {groups.shape} for {len(train_y)}")
        if len(np.unique(groups)) < 2:
            raise ValueError("leave-one-out over groups needs examples of at least two groups")
    train_n = l2_normalise(train_x)
    test_n = train_n if leave_one_out else l2_normalise(test_x)
    predictions = []
    for start in range(0, len(test_n), chunk):
        sims = test_n[start:start + chunk] @ train_n.T  # (q, M)
        if leave_one_out:
            sims[np.arange(len(sims)), start + np.arange(len(sims))] = -np.inf
        if groups is not None:
            sims[groups[start:start + chunk, None] == groups[None, :]] = -np.inf  # exp(-inf / T): no vote
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(sims, top, axis=1)
        scores = knn_vote(top_sims, train_y[top], num_classes, temperature)
        predictions.append(np.argmax(scores, axis=1))
    return np.concatenate(predictions) if predictions else np.zeros((0,), np.int64)


def knn_accuracy(train_x, train_y, test_x=None, test_y=None, *, ks=(20,), temperature=0.07, num_classes=None,
                 groups=None):
    """{"accuracy": OA at the first k, "mean_class_accuracy": ..., "per_k": [{k, k_used, accuracy,
    mean_class_accuracy, per_class_accuracy, confused_with}]}: per class (by index), its accuracy (None: no test
    example) and the class its examples are most often wrongly given (None: never wrong).
    `test_x=None`: leave-one-out on the train set (its labels are the truth), `groups` as in `knn_predict`."""
    leave_one_out = test_x is None
    test_y = np.asarray(train_y if leave_one_out else test_y)
    num_classes = int(num_classes or max(np.max(train_y), np.max(test_y)) + 1)
    references = len(train_y) - int(leave_one_out)
    per_k = []
    for k in ks:
        predictions = knn_predict(train_x, train_y, test_x, k=k, temperature=temperature, num_classes=num_classes,
                                  groups=groups)
        per_k.append({
            "k": int(k),
            "k_used": int(min(k, references)),
            "accuracy": overall_accuracy(test_y, predictions),
            "mean_class_accuracy": mean_class_accuracy(test_y, predictions, num_classes),
            "per_class_accuracy": [None if np.isnan(a) else float(a)
                                   for a in per_class_accuracy(test_y, predictions, num_classes)],
            "confused_with": most_confused_with(test_y, predictions, num_classes),
        })
    return {"accuracy": per_k[0]["accuracy"], "mean_class_accuracy": per_k[0]["mean_class_accuracy"], "per_k": per_k}


def hardest_classes(scores, names=()):
    """One line naming the HARDEST_SHOWN classes of lowest accuracy in one `per_k` entry, each with the class it
    is most often taken for, e.g. "hardest classes at k=20: dresser 0.490 (most often taken for wardrobe), ..."."""
    name = lambda c: names[c] if c < len(names) else str(c)  # noqa: E731
    present = [(a, c) for c, a in enumerate(scores["per_class_accuracy"]) if a is not None]
    shown = []
    for accuracy, c in sorted(present)[:HARDEST_SHOWN]:
        wrong = scores["confused_with"][c]
        shown.append(f"{name(c)} {accuracy:.3f}" + ("" if wrong is None else f" (most often taken for {name(wrong)})"))
    return f"hardest classes at k={scores['k_used']}: " + ", ".join(shown)


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
    clouds = np.ascontiguousarray(points_file_clouds(args, ctx, num_points, f"--num_points {num_points}")[:, :num_points])
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
                **sizes, "feature_dim": int(x.shape[1]), "deterministic": True}
    log(format_table(["k", "T", "test acc" if protocol == "standard" else f"LOO acc ({sizes.get('split', dataset)})",
                      "mean class acc"],
                     [[r["k_used"], args.temperature, r["accuracy"], r["mean_class_accuracy"]] for r in scores["per_k"]]))
    log(hardest_classes(scores["per_k"][0], names if names is not None else class_names_of(dataset, args)))
    prefix = "knn acc" if protocol == "standard" else "loo knn acc"
    summary = {f"{prefix} k={r['k']}": r["accuracy"] for r in scores["per_k"]}
    return base_result("knn", dataset, name, settings, [], scores, features=FEATURES_NOTE, summary=summary)
