"""Transfer scores: a kNN classifier on a labelled dataset's features applied to other clouds whose classes are
known (the `transfer` task, `evaluation.tasks.transfer`, embeds both)."""

import collections

import numpy as np

from dcglr_tf.evaluation.knn import knn_predict

DEFAULT_KS = (20, 1)


def transfer_scores(train_x, train_y, file_x, targets, *, ks=DEFAULT_KS, temperature=0.07, num_classes=None):
    """kNN of `file_x` (F, D) against `train_x` (M, D) / `train_y` (M,); the file clouds' classes `targets`: one
    class index for all, or (F,) indices.

    Returns [{k, k_used, accuracy, per_class: {class index: accuracy of its clouds}, predicted: {class index:
    count}, most common first}] per k."""
    targets = np.broadcast_to(np.asarray(targets), (len(file_x),))
    scores = []
    for k in ks:
        predictions = knn_predict(train_x, train_y, file_x, k=k, temperature=temperature, num_classes=num_classes)
        correct = predictions == targets
        counts = collections.Counter(int(p) for p in predictions)
        scores.append({"k": int(k), "k_used": int(min(k, len(train_y))), "accuracy": float(np.mean(correct)),
                       "per_class": {int(c): float(np.mean(correct[targets == c])) for c in np.unique(targets)},
                       "predicted": dict(counts.most_common())})
    return scores
