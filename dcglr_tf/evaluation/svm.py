"""Linear-SVM protocol on frozen features: standardised features, a one-vs-rest linear SVM (squared hinge, L2: the
objective of scikit-learn's `LinearSVC(dual=False)`), `C` from stratified k-fold cross-validation on the train
split only, several seeds (a seed changes the CV folds, hence possibly C), mean and spread of test accuracy.

Features are standardised once with the train split's mean and std (the same transform for every CV fold, the
final fit and the test sets: label-free statistics of the train split only).

Speed: the solver (`linear_svm.py`) fits every class of every CV fold of every seed, and of the final fit on the
whole train split, as the columns of one batch, so each step is a few large matrix products on all cores,
computed once in the eigenbasis of the train split's Gram matrix; the batch walks the C grid upwards, every C
warm-started from the previous one's weights, and a seed leaves it once its CV accuracy is past the peak.

Small data: a class with fewer train examples than folds lowers the fold count to its size (at least 2); classes
with a single train example stay in every CV training part and are never validated; when no two classes have two
examples, C is fixed (`FIXED_C`) without CV. Each such case is a warning in the result and the printed output.
"""

import copy

import numpy as np
from sklearn.model_selection import StratifiedKFold

from dcglr_tf.evaluation.linear_svm import LinearSVM, fit_ovr_squared_hinge
from dcglr_tf.utils.progress import Stage

DEFAULT_C_GRID = (0.0001, 0.001, 0.01, 0.1, 1.0)
FIXED_C = 0.01  # used without CV when the train split is too small to cross-validate


def cv_plan(labels, folds, seed):
    """Stratified CV splits of `labels` for one seed.

    Classes with one example are in every training part; no splits (C fixed) when fewer than two classes have two
    examples; the fold count drops to the smallest class's size (of those with 2 or more examples) when that is below
    `folds`.

    Args:
        labels: (M,) train labels.
        folds: int, the CV folds wanted.
        seed: int, the folds' shuffling seed.

    Returns:
        Tuple `(splits, warnings)`: a list of `(train_index, val_index)` int arrays and a list of str.
    """
    labels = np.asarray(labels)
    classes, counts = np.unique(labels, return_counts=True)
    single = classes[counts < 2]
    warnings = []
    if np.sum(counts >= 2) < 2:
        return [], [f"fewer than 2 classes have 2 or more train examples: C fixed to {FIXED_C}, no cross-validation"]
    if len(single):
        warnings.append(f"{len(single)} classes have a single train example ({', '.join(map(str, single[:10]))}"
                        f"{', ...' if len(single) > 10 else ''}): in every CV training part, never validated")
    smallest = int(counts[counts >= 2].min())
    if smallest < folds:
        warnings.append(f"the smallest class has {smallest} train examples: {smallest}-fold instead of "
                        f"{folds}-fold cross-validation")
        folds = smallest
    kept = np.flatnonzero(~np.isin(labels, single))
    always = np.flatnonzero(np.isin(labels, single))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    plan = [(np.sort(np.concatenate([kept[train], always])), kept[val])
            for train, val in splitter.split(np.zeros(len(kept)), labels[kept])]
    return plan, warnings


def best_c(means):
    """The C of the highest CV accuracy; the smallest such C on ties (as GridSearchCV).

    Args:
        means: dict `{C: accuracy}`.

    Returns:
        float, the C.
    """
    return max(sorted(means), key=lambda c: (means[c], -c))


def past_the_peak(means):
    """Whether the last two C values of the ascending path both score below the best so far.

    Args:
        means: dict `{C: accuracy}` in ascending C order.

    Returns:
        bool; False with fewer than 3 C values.
    """
    best = means[best_c(means)]
    return len(means) >= 3 and all(means[c] < best for c in list(means)[-2:])


def fold_targets(one_hot, plans):
    """The targets of every fold of every seed and of the whole train split side by side.

    They are the columns of one batched fit (`fit_ovr_squared_hinge`). Column block f is fold f in plan order (seeds
    in `plans` order); the last block is the whole split.

    Args:
        one_hot: (n, K) +-1 one-vs-rest targets.
        plans: dict `{seed: [(train, val)]}` of CV plans.

    Returns:
        (n, (F + 1) K) targets, F the folds of all seeds, 0 on the rows outside a fold's training part.
    """
    blocks = []
    for plan in plans.values():
        for train, _ in plan:
            inside = np.zeros((len(one_hot), 1), np.float32)
            inside[train] = 1.0
            blocks.append(one_hot * inside)
    return np.concatenate(blocks + [one_hot], axis=1)


def svm_protocol(train_x, train_y, tests, *, seeds=(0, 1, 2), c_grid=DEFAULT_C_GRID, folds=5, early_stop=True,
                 log=None, description="linear SVM"):
    """C by stratified CV on the train split for each seed, and the final fits on the whole train split, scored on every
    test set.

    All folds of all seeds and the whole train split are fitted together, as the columns of one batched solve
    (`fold_targets`) on the train split's standardised features (scaler fitted once on the train split) in their solver
    coordinates, walking the C grid upwards, each C warm-started from the previous one. A seed's CV accuracy of a C is
    the mean over its folds of the validation accuracy; its best C is the smallest of the best. The whole-split fit runs
    until every seed has left the path, so its weights at each seed's best C are that seed's final model.

    Args:
        train_x: (M, D) train features.
        train_y: (M,) train labels.
        tests: dict `{name: (test_x (T, D), test_y (T,))}`, used only for scoring.
        seeds: sequence of int, the CV seeds.
        c_grid: sequence of float, the C values searched (`FIXED_C` alone without CV).
        folds: int, the CV folds wanted (fewer for small classes, see `cv_plan`).
        early_stop: bool, a seed leaves the path once two successive C values score below its best so far (the CV
            accuracy of a linear SVM rises, then falls with C; the larger C, the slower the fit).
        log: optional callable for progress messages.
        description: str, the name of the protocol in progress messages.

    Returns:
        Dict `{"per_seed": [{seed, C, cv_accuracy, cv_accuracy_per_C, accuracy: {name: acc}}], "warnings": [...],
        "cv_folds": folds used}`.

    Raises:
        ValueError: when the train split has fewer than 2 classes.
    """
    train_x = np.asarray(train_x, np.float32)
    train_y = np.asarray(train_y)
    if len(np.unique(train_y)) < 2:
        raise ValueError("the SVM protocol needs at least 2 classes in the train split")
    seeds = tuple(seeds)
    plans = {seed: cv_plan(train_y, folds, seed) for seed in seeds}
    warnings = list(dict.fromkeys(w for _, ws in plans.values() for w in ws))
    plans = {seed: plan for seed, (plan, _) in plans.items()}
    cv_folds = len(plans[seeds[0]])
    grid = sorted(float(c) for c in c_grid) if cv_folds else [FIXED_C]
    model = LinearSVM()
    coordinates, rotation = model.fit_coordinates(train_x)
    one_hot = model.one_vs_rest(train_y)
    classes = one_hot.shape[1]
    targets = fold_targets(one_hot, plans)
    weights = np.zeros((coordinates.shape[1], targets.shape[1]), np.float32)
    blocks = {seed: range(i * cv_folds, (i + 1) * cv_folds) for i, seed in enumerate(seeds)}  # fold blocks
    whole = len(seeds) * cv_folds  # the block of the whole train split
    running = [seed for seed in seeds if cv_folds]
    means = {seed: {} for seed in seeds}
    finals = {}
    log = log or (lambda *_: None)
    search = f"C search by {cv_folds}-fold CV x {len(grid)} C x {len(seeds)} seeds + " if cv_folds else ""
    with Stage(f"{description}: {search}final fits, in one batch"
               f"{' (C path stops past the peak)' if early_stop and cv_folds else ''}",
               (whole + 1) * len(grid), "fits", log) as stage:
        for c in grid:
            fitted = [b for seed in running for b in blocks[seed]] + [whole]
            cols = np.concatenate([np.arange(b * classes, (b + 1) * classes) for b in fitted])
            weights[:, cols], _ = fit_ovr_squared_hinge(coordinates, targets[:, cols], c, warm_start=weights[:, cols],
                                                        tol=model.tol)
            finals[c] = weights[:, whole * classes:].copy()
            for seed in running:
                scores = []
                for (_, val), b in zip(plans[seed], blocks[seed]):
                    predicted = np.argmax(coordinates[val] @ weights[:, b * classes:(b + 1) * classes], axis=1)
                    scores.append(float(np.mean(model.classes_[predicted] == train_y[val])))
                means[seed][c] = float(np.mean(scores))
            stage.update(len(fitted))
            running = [seed for seed in running if not (early_stop and past_the_peak(means[seed]))]
            if not running:
                break
    per_seed = []
    for seed in seeds:
        c = best_c(means[seed]) if cv_folds else FIXED_C
        final = copy.copy(model).set_weights(rotation, finals[c], c)
        accuracy = {name: float(np.mean(final.predict(x) == np.asarray(y))) for name, (x, y) in tests.items()}
        per_seed.append({"seed": int(seed), "C": c, "cv_accuracy": means[seed].get(c), "cv_accuracy_per_C": means[seed],
                         "accuracy": accuracy})
    return {"per_seed": per_seed, "warnings": warnings, "cv_folds": cv_folds}


def linear_svm_accuracy(train_x, train_y, test_x, test_y, *, seeds=(0, 1, 2), c_grid=DEFAULT_C_GRID, folds=5,
                        early_stop=True, log=None):
    """The svm protocol with one test set.

    Args:
        train_x: (M, D) train features.
        train_y: (M,) train labels.
        test_x: (T, D) test features.
        test_y: (T,) test labels.
        seeds, c_grid, folds, early_stop, log: as in `svm_protocol`.

    Returns:
        Dict `{"accuracy": mean over seeds, "accuracy_std" (over seeds, population std), "per_seed": [{seed, C,
        cv_accuracy, cv_accuracy_per_C, accuracy}], "warnings", "cv_folds"}`; accuracies are fractions in [0, 1].

    Raises:
        ValueError: as `svm_protocol`.
    """
    result = svm_protocol(train_x, train_y, {"test": (test_x, test_y)}, seeds=seeds, c_grid=c_grid, folds=folds,
                          early_stop=early_stop, log=log)
    for entry in result["per_seed"]:
        entry["accuracy"] = entry["accuracy"]["test"]
    accuracies = np.array([r["accuracy"] for r in result["per_seed"]])
    return {"accuracy": float(accuracies.mean()), "accuracy_std": float(accuracies.std()), **result}


CLASSIFIER = ("standardised features, one-vs-rest linear SVM (squared hinge, L2, intercept: the objective of "
              "LinearSVC(dual=False)), C in {1e-4, 1e-3, 1e-2, 0.1, 1} by stratified k-fold CV on the train split only")

