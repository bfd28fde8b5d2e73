"""Robustness to the point count (the paper's Table 4 grid).

For each encoder (pre-trained with 2048 or 1024 points - its `num_points` is reported) and each dataset,
features are extracted with each point count for the train and the test split, and a linear SVM (the svm
protocol: C by CV on train only, several seeds) is trained with one count and tested with each.
"""

from dcglr_tf.evaluation.svm import linear_svm_accuracy


def robustness_grid(features, labels, point_counts, seeds):
    """features[(split, n)] -> (M, D), labels[split] -> (M,). Returns a list of cells
    {train_points, test_points, accuracy, accuracy_std, per_seed}."""
    cells = []
    for train_n in point_counts:
        for test_n in point_counts:
            scores = linear_svm_accuracy(features[("train", train_n)], labels["train"], features[("test", test_n)],
                                         labels["test"], seeds=tuple(seeds))
            cells.append({"train_points": int(train_n), "test_points": int(test_n), **scores})
    return cells
