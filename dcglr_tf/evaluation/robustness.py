"""Robustness to the point count (the paper's Table 4 grid): a linear SVM per (seed, training point count) scoring
the test split at every point count. The `robustness` task (`evaluation.tasks.robustness`) extracts the features.
"""

import numpy as np

from dcglr_tf.evaluation.svm import svm_protocol


def robustness_grid(features, labels, point_counts, seeds, log=None):
    """features[(split, n)] -> (M, D), labels[split] -> (M,). Returns a list of cells
    {train_points, test_points, accuracy, accuracy_std, per_seed: [{seed, C, cv_accuracy, accuracy}]}."""
    cells = []
    for train_n in point_counts:
        tests = {test_n: (features[("test", test_n)], labels["test"]) for test_n in point_counts}
        result = svm_protocol(features[("train", train_n)], labels["train"], tests, seeds=tuple(seeds), log=log,
                              description=f"SVM trained on {train_n} points")
        for warning in result["warnings"]:
            (log or print)(f"warning: {warning}")
        for test_n in point_counts:
            per_seed = [{"seed": r["seed"], "C": r["C"], "cv_accuracy": r["cv_accuracy"],
                         "accuracy": r["accuracy"][test_n]} for r in result["per_seed"]]
            accuracies = np.array([r["accuracy"] for r in per_seed])
            cells.append({"train_points": int(train_n), "test_points": int(test_n),
                          "accuracy": float(accuracies.mean()), "accuracy_std": float(accuracies.std()),
                          "per_seed": per_seed})
    return cells
