"""Linear-SVM protocol on frozen features: `C` from cross-validation on the train split only, several
seeds, mean and spread of test accuracy."""

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from dcglr_tf.evaluation.common import FEATURES_NOTE, base_result, frozen_features
from dcglr_tf.evaluation.report import format_table

DEFAULT_C_GRID = (0.0001, 0.001, 0.01, 0.1, 1.0)


def linear_svm_accuracy(train_x, train_y, test_x, test_y, *, seeds=(0, 1, 2), c_grid=DEFAULT_C_GRID, folds=5, n_jobs=2):
    """Fit standardise + LinearSVC per seed, choosing C by stratified `folds`-fold CV on the train split.

    The primal liblinear solver is deterministic, so a seed changes the CV folds (and with them the chosen
    C): the spread over seeds is the protocol's sensitivity to model selection.

    train_x: (M, D), train_y: (M,), test_x: (T, D), test_y: (T,). The test split is used only to score
    the final classifier. Returns {"accuracy": mean, "accuracy_std": std, "per_seed": [...]} where each
    per-seed entry holds seed, C, cv_accuracy and accuracy (fractions in [0, 1]).
    """
    train_y = np.asarray(train_y)
    if len(np.unique(train_y)) < 2:
        raise ValueError("the SVM protocol needs at least 2 classes in the train split")
    smallest_class = int(np.unique(train_y, return_counts=True)[1].min())
    if smallest_class < 2:
        raise ValueError("the SVM protocol needs at least 2 train examples per class for cross-validation")
    folds = min(folds, smallest_class)
    per_seed = []
    for seed in seeds:
        search = GridSearchCV(
            make_pipeline(StandardScaler(), LinearSVC(dual=False, max_iter=2000)),
            {"linearsvc__C": list(c_grid)},
            cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
            n_jobs=n_jobs,
        )
        search.fit(train_x, train_y)
        accuracy = float(np.mean(search.predict(test_x) == np.asarray(test_y)))
        per_seed.append(
            {
                "seed": int(seed),
                "C": float(search.best_params_["linearsvc__C"]),
                "cv_accuracy": float(search.best_score_),
                "accuracy": accuracy,
            }
        )
    accuracies = np.array([r["accuracy"] for r in per_seed])
    return {"accuracy": float(accuracies.mean()), "accuracy_std": float(accuracies.std()), "per_seed": per_seed}


def run_svm(args, spec, ctx, log=print):
    dataset, name, num_points, ((train_x, train_y), (test_x, test_y)) = frozen_features(args, spec, "svm", log)
    scores = linear_svm_accuracy(train_x, train_y, test_x, test_y, seeds=tuple(args.seeds))
    settings = {"num_points": num_points, "seeds": list(args.seeds), "train_examples": int(len(train_y)),
                "test_examples": int(len(test_y)), "feature_dim": int(train_x.shape[1]),
                "classifier": "StandardScaler + LinearSVC (primal), C in {1e-4..1}, 5-fold stratified CV on train only"}
    rows = [[r["seed"], r["C"], r["cv_accuracy"], r["accuracy"]] for r in scores["per_seed"]]
    log(format_table(["seed", "C", "cv acc (train)", "test acc"], rows))
    log(f"linear SVM test accuracy: {scores['accuracy']:.4f} +- {scores['accuracy_std']:.4f} ({dataset}, {name})")
    log(f"features: {FEATURES_NOTE}")
    return base_result("svm", dataset, name, settings, args.seeds, scores, features=FEATURES_NOTE, **scores,
                       summary={"svm acc": scores["accuracy"], "+-": scores["accuracy_std"]})
