"""Weighted k-nearest-neighbour classification on features (DINO's `eval_knn`), and its leave-one-out form.

Features are L2-normalised; each query's k most cosine-similar reference features vote for their class with weight
exp(similarity / T). Plain NumPy: the `knn` task (`evaluation.tasks.knn`) and the training's online kNN monitor
(`training.callbacks.KNNMonitor`) both use it.
"""

import numpy as np

from dcglr_tf.evaluation.metrics import (
    knn_vote,
    mean_class_accuracy,
    most_confused_with,
    overall_accuracy,
    per_class_accuracy,
)

HARDEST_SHOWN = 5  # classes named in the task output, lowest accuracy first


def l2_normalise(x):
    """Rows scaled to unit L2 norm (rows of norm below 1e-12 are divided by 1e-12).

    Args:
        x: (M, D) array-like.

    Returns:
        (M, D) float32.
    """
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def knn_predict(train_x, train_y, test_x=None, *, k=20, temperature=0.07, num_classes=None, chunk=1024, groups=None):
    """Class predictions of `test_x` by the weighted vote of the k nearest rows of `train_x`.

    k is clamped to the number of reference rows.

    Args:
        train_x: (M, D) reference features.
        train_y: (M,) int reference labels.
        test_x: (T, D) query features, or None for leave-one-out: each row of `train_x` is classified by the other
            M - 1 rows.
        k: int, neighbours per query.
        temperature: float, T of the vote's weights exp(similarity / T).
        num_classes: int or None; default max(train_y) + 1.
        chunk: int, queries per similarity product.
        groups: (M,) group ids, leave-one-out only: no row of a query's own group is its neighbour (e.g. other
            samplings of the same object); a k beyond the rows a query may use adds no votes.

    Returns:
        (T,) int64 class predictions ((M,) for leave-one-out).

    Raises:
        ValueError: too few reference rows, `groups` without leave-one-out or not one per example, or `groups` of a
            single group.
    """
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
    """kNN accuracies at each k of `ks`.

    Args:
        train_x: (M, D) reference features.
        train_y: (M,) int reference labels.
        test_x: (T, D) query features, or None for leave-one-out on the train set (its labels are the truth).
        test_y: (T,) int query labels (unused for leave-one-out).
        ks: sequence of int, the k values; the first one gives the top-level scores.
        temperature: float, T of the vote's weights.
        num_classes: int or None; default the largest label + 1.
        groups: as in `knn_predict`.

    Returns:
        Dict `{"accuracy": OA at the first k, "mean_class_accuracy": ..., "per_k": [{k, k_used, accuracy,
        mean_class_accuracy, per_class_accuracy, confused_with}]}`: per class (by index), its accuracy (None: no test
        example) and the class its examples are most often wrongly given (None: never wrong).

    Raises:
        ValueError: as `knn_predict`.
    """
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
    """One line naming the HARDEST_SHOWN classes of lowest accuracy in one `per_k` entry.

    Each class is shown with the class it is most often taken for, e.g. "hardest classes at k=20: dresser 0.490 (most
    often taken for wardrobe), ...".

    Args:
        scores: one entry of `knn_accuracy(...)["per_k"]`.
        names: class names by index (a class beyond them is shown by its index).

    Returns:
        str.
    """
    name = lambda c: names[c] if c < len(names) else str(c)  # noqa: E731
    present = [(a, c) for c, a in enumerate(scores["per_class_accuracy"]) if a is not None]
    shown = []
    for accuracy, c in sorted(present)[:HARDEST_SHOWN]:
        wrong = scores["confused_with"][c]
        shown.append(f"{name(c)} {accuracy:.3f}" + ("" if wrong is None else f" (most often taken for {name(wrong)})"))
    return f"hardest classes at k={scores['k_used']}: " + ", ".join(shown)
