"""Weighted k-nearest-neighbour classification on frozen features (DINO's `eval_knn`).

Features are L2-normalised; each test feature's k most cosine-similar train features vote for their class
with weight exp(similarity / T) (T = 0.07, k = 20 by default). No parameters are fitted, so there is no
seed; the result is deterministic.
"""

import numpy as np

from dcglr_tf.data import sources
from dcglr_tf.evaluation.common import FEATURES_NOTE, base_result, frozen_features
from dcglr_tf.evaluation.metrics import knn_vote, mean_class_accuracy, overall_accuracy
from dcglr_tf.evaluation.report import format_table


def l2_normalise(x):
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def knn_predict(train_x, train_y, test_x, *, k=20, temperature=0.07, num_classes=None, chunk=1024):
    """Class predictions (T,) of `test_x` (T, D) by the weighted vote of the k nearest of `train_x` (M, D)."""
    train_y = np.asarray(train_y, dtype=np.int64)
    num_classes = int(num_classes or train_y.max() + 1)
    k = min(int(k), len(train_y))
    if k < 1:
        raise ValueError("kNN needs at least one train example")
    train_n = l2_normalise(train_x)
    test_n = l2_normalise(test_x)
    predictions = []
    for start in range(0, len(test_n), chunk):
        sims = test_n[start:start + chunk] @ train_n.T  # (q, M)
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(sims, top, axis=1)
        scores = knn_vote(top_sims, train_y[top], num_classes, temperature)
        predictions.append(np.argmax(scores, axis=1))
    return np.concatenate(predictions) if predictions else np.zeros((0,), np.int64)


def knn_accuracy(train_x, train_y, test_x, test_y, *, ks=(20,), temperature=0.07, num_classes=None):
    """{"accuracy": OA at the first k, "mean_class_accuracy": ..., "per_k": [{k, accuracy, mean_class_accuracy}]}."""
    test_y = np.asarray(test_y)
    num_classes = int(num_classes or max(np.max(train_y), np.max(test_y)) + 1)
    per_k = []
    for k in ks:
        predictions = knn_predict(train_x, train_y, test_x, k=k, temperature=temperature, num_classes=num_classes)
        per_k.append({
            "k": int(k),
            "accuracy": overall_accuracy(test_y, predictions),
            "mean_class_accuracy": mean_class_accuracy(test_y, predictions, num_classes),
        })
    return {"accuracy": per_k[0]["accuracy"], "mean_class_accuracy": per_k[0]["mean_class_accuracy"], "per_k": per_k}


def run_knn(args, spec, ctx, log=print):
    dataset, name, num_points, ((train_x, train_y), (test_x, test_y)) = frozen_features(args, spec, "knn", log)
    scores = knn_accuracy(train_x, train_y, test_x, test_y, ks=tuple(args.k), temperature=args.temperature,
                          num_classes=sources.dataset_info(dataset).num_classes)
    settings = {"num_points": num_points, "k": list(args.k), "temperature": args.temperature,
                "similarity": "cosine (L2-normalised features)", "vote": "sum of exp(similarity / T) per class",
                "train_examples": int(len(train_y)), "test_examples": int(len(test_y)),
                "feature_dim": int(train_x.shape[1]), "deterministic": True}
    log(format_table(["k", "T", "test acc", "mean class acc"],
                     [[r["k"], args.temperature, r["accuracy"], r["mean_class_accuracy"]] for r in scores["per_k"]]))
    summary = {f"knn acc k={r['k']}": r["accuracy"] for r in scores["per_k"]}
    return base_result("knn", dataset, name, settings, [], scores, features=FEATURES_NOTE, summary=summary)
