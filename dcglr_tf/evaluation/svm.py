"""Linear-SVM protocol on frozen features: standardised features, a one-vs-rest linear SVM (squared hinge, L2: the
objective of scikit-learn's `LinearSVC(dual=False)`), `C` from stratified k-fold cross-validation on the train
split only, several seeds (a seed changes the CV folds, hence possibly C), mean and spread of test accuracy.

Speed: the solver (`linear_svm.py`) fits all classes at once with matrix products on all cores; each fold walks
the C grid upwards, every C warm-started from the previous one's weights; the Hessian preconditioner's eigenbasis
is computed once per train set; seeds that choose the same C share one final fit.

Small data: a class with fewer train examples than folds lowers the fold count to its size (at least 2); classes
with a single train example stay in every CV training part and are never validated; when no two classes have two
examples, C is fixed (`FIXED_C`) without CV. Each such case is a warning in the result and the printed output.
"""

import copy

import numpy as np
from sklearn.model_selection import StratifiedKFold

from dcglr_tf.evaluation.common import FEATURES_NOTE, base_result, frozen_features
from dcglr_tf.evaluation.linear_svm import LinearSVM, gram_eigenbasis
from dcglr_tf.progress import Stage
from dcglr_tf.evaluation.report import format_table

DEFAULT_C_GRID = (0.0001, 0.001, 0.01, 0.1, 1.0)
FIXED_C = 0.01  # used without CV when the train split is too small to cross-validate


def cv_plan(labels, folds, seed):
    """Stratified CV splits of `labels` for one seed: ([(train_index, val_index)], warnings). Classes with one
    example are in every training part; no splits (C fixed) when fewer than two classes have two examples."""
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


def choose_c(train_x, train_y, plan, c_grid, basis, stage=None, early_stop=True):
    """Mean validation accuracy of each C over the CV `plan`, C ascending, every fold warm-starting each C from its
    previous one -> (best C (the smallest of the best), its accuracy, {C: accuracy}).

    early_stop: stop the ascending C path once two successive C values score below the best so far (the CV
    accuracy of a linear SVM rises, then falls with C; the larger C, the slower the fit)."""
    paths = [LinearSVM(basis=basis).fit_path(train_x[train], train_y[train], c_grid) for train, _ in plan]
    means = {}
    for _ in sorted(c_grid):
        scores = []
        for path, (_, val) in zip(paths, plan):
            c, model = next(path)
            scores.append(float(np.mean(model.predict(train_x[val]) == train_y[val])))
            if stage is not None:
                stage.update()
        means[c] = float(np.mean(scores))
        if early_stop and past_the_peak(means):
            break
    best = best_c(means)
    return best, means[best], means


def best_c(means):
    """The C of the highest CV accuracy in {C: accuracy}; the smallest such C on ties (as GridSearchCV)."""
    return max(sorted(means), key=lambda c: (means[c], -c))


def past_the_peak(means):
    """True when the last two C values of the ascending path {C: accuracy} both score below the best so far."""
    best = means[best_c(means)]
    return len(means) >= 3 and all(means[c] < best for c in list(means)[-2:])


def svm_protocol(train_x, train_y, tests, *, seeds=(0, 1, 2), c_grid=DEFAULT_C_GRID, folds=5, early_stop=True,
                 log=None, description="linear SVM"):
    """C by CV on the train split for each seed (see `choose_c`), one final fit per chosen C (on the whole train
    split, along the C path up to it), scored on every test set.

    train_x: (M, D), train_y: (M,); tests: {name: (test_x (T, D), test_y (T,))}, used only for scoring.
    Returns {"per_seed": [{seed, C, cv_accuracy, cv_accuracy_per_C, accuracy: {name: acc}}], "warnings": [...],
    "cv_folds": folds used}."""
    train_x = np.asarray(train_x, np.float32)
    train_y = np.asarray(train_y)
    if len(np.unique(train_y)) < 2:
        raise ValueError("the SVM protocol needs at least 2 classes in the train split")
    seeds = tuple(seeds)
    plans = {seed: cv_plan(train_y, folds, seed) for seed in seeds}
    warnings = list(dict.fromkeys(w for _, ws in plans.values() for w in ws))
    fits = sum(len(plan) for plan, _ in plans.values()) * len(c_grid)
    basis = None
    if train_x.shape[0] >= train_x.shape[1] and fits:  # the preconditioner basis, shared by every fold and seed
        basis = gram_eigenbasis(LinearSVM().design(train_x, fit_scaler=True))
    log = log or (lambda *_: None)
    chosen = {seed: (FIXED_C, None, {}) for seed, (plan, _) in plans.items() if not plan}
    if fits:
        with Stage(f"{description}: C search by {len(plans[seeds[0]][0])}-fold CV x {len(c_grid)} C x "
                   f"{len(seeds)} seeds{' (C path stops past the peak)' if early_stop else ''}", fits, "fits",
                   log) as stage:
            for seed, (plan, _) in plans.items():
                chosen[seed] = choose_c(train_x, train_y, plan, c_grid, basis, stage, early_stop)
    wanted = {c for c, _, _ in chosen.values()}
    path = sorted({float(c) for c in c_grid if c <= max(wanted)} | wanted)
    finals = {}
    with Stage(f"{description}: final fit on the train split (C path {path[0]:g} .. {path[-1]:g})", len(path),
               "fits", log) as stage:
        for c, model in LinearSVM(basis=basis).fit_path(train_x, train_y, path):
            if c in wanted:
                finals[c] = copy.copy(model)  # each step has its own weight array
            stage.update()
    per_seed = []
    for seed in seeds:
        c, cv_accuracy, means = chosen[seed]
        accuracy = {name: float(np.mean(finals[c].predict(x) == np.asarray(y))) for name, (x, y) in tests.items()}
        per_seed.append({"seed": int(seed), "C": c, "cv_accuracy": cv_accuracy, "cv_accuracy_per_C": means,
                         "accuracy": accuracy})
    return {"per_seed": per_seed, "warnings": warnings, "cv_folds": len(plans[seeds[0]][0])}


def linear_svm_accuracy(train_x, train_y, test_x, test_y, *, seeds=(0, 1, 2), c_grid=DEFAULT_C_GRID, folds=5,
                        early_stop=True, log=None):
    """The svm protocol with one test set. train_x: (M, D), train_y: (M,), test_x: (T, D), test_y: (T,).

    Returns {"accuracy": mean over seeds, "accuracy_std", "per_seed": [{seed, C, cv_accuracy, cv_accuracy_per_C,
    accuracy}], "warnings", "cv_folds"} (accuracies are fractions in [0, 1])."""
    result = svm_protocol(train_x, train_y, {"test": (test_x, test_y)}, seeds=seeds, c_grid=c_grid, folds=folds,
                          early_stop=early_stop, log=log)
    for entry in result["per_seed"]:
        entry["accuracy"] = entry["accuracy"]["test"]
    accuracies = np.array([r["accuracy"] for r in result["per_seed"]])
    return {"accuracy": float(accuracies.mean()), "accuracy_std": float(accuracies.std()), **result}


CLASSIFIER = ("standardised features, one-vs-rest linear SVM (squared hinge, L2, intercept: the objective of "
              "LinearSVC(dual=False)), C in {1e-4, 1e-3, 1e-2, 0.1, 1} by stratified k-fold CV on the train split only")


def run_svm(args, spec, ctx, log=print):
    dataset, name, num_points, splits = frozen_features(args, spec, "svm", log, ctx=ctx)
    (train_x, train_y), (test_x, test_y) = splits
    scores = linear_svm_accuracy(train_x, train_y, test_x, test_y, seeds=tuple(args.seeds), log=log)
    for warning in scores["warnings"]:
        log(f"warning: {warning}")
    settings = {"num_points": num_points, "seeds": list(args.seeds), "train_examples": int(len(train_y)),
                "test_examples": int(len(test_y)), "feature_dim": int(train_x.shape[1]),
                "cv_folds": scores["cv_folds"], "classifier": CLASSIFIER}
    rows = [[r["seed"], r["C"], "-" if r["cv_accuracy"] is None else r["cv_accuracy"], r["accuracy"]]
            for r in scores["per_seed"]]
    log(format_table(["seed", "C", "cv acc (train)", "test acc"], rows))
    log(f"linear SVM test accuracy: {scores['accuracy']:.4f} +- {scores['accuracy_std']:.4f} ({dataset}, {name})")
    log(f"features: {FEATURES_NOTE}")
    return base_result("svm", dataset, name, settings, args.seeds, scores, features=FEATURES_NOTE, **scores,
                       summary={"svm acc": scores["accuracy"], "+-": scores["accuracy_std"]})
