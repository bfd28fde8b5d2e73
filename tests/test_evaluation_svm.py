"""The linear-SVM protocol: the matrix solver against scikit-learn's LinearSVC (liblinear) on small data, warm
starts, the n < d reduction, and small training sets (fewer folds or a fixed C, with warnings, never a refusal)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from dcglr_tf.evaluation.linear_svm import LinearSVM, fit_ovr_squared_hinge  # noqa: E402
from dcglr_tf.evaluation.svm import FIXED_C, best_c, cv_plan, linear_svm_accuracy, past_the_peak, svm_protocol  # noqa: E402


def blobs(n, dim, classes, seed, spread=1.0, n_test=0):
    """Gaussian classes with unequal feature scales: (x (n, dim), labels (n,)) [+ a test set of n_test]."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n + n_test) % classes
    centres = rng.normal(size=(classes, dim))
    x = (centres[labels] + spread * rng.normal(size=(n + n_test, dim))) * rng.uniform(0.5, 3, dim)
    x = x.astype(np.float32)
    return (x, labels) if not n_test else (x[:n], labels[:n], x[n:], labels[n:])


def objective(design, labels, classes, weights, C):
    """The one-vs-rest squared-hinge objective summed over classes (NumPy, float64)."""
    targets = np.where(labels[:, None] == classes[None, :], 1.0, -1.0)
    margins = np.maximum(0.0, 1.0 - targets * (design.astype(np.float64) @ weights))
    return 0.5 * np.sum(weights.astype(np.float64) ** 2) + C * np.sum(margins ** 2)


@pytest.mark.parametrize("n, dim", [(240, 12), (30, 60)])  # n > d: Newton in feature space; n < d: the SVD path
@pytest.mark.parametrize("C", [0.01, 1.0])
def test_solver_matches_liblinear(n, dim, C):
    x, y, test_x, test_y = blobs(n, dim, 4, seed=1, spread=1.0, n_test=200)
    ours = LinearSVM(C, tol=1e-6).fit(x, y)
    scaler = StandardScaler().fit(x)
    reference = LinearSVC(C=C, dual=False, tol=1e-8, max_iter=100_000).fit(scaler.transform(x), y)
    reference_weights = np.concatenate([reference.coef_.T, reference.intercept_[None]], axis=0)
    design = ours.design(x)
    ours_objective = objective(design, y, ours.classes_, ours.weights_, C)
    assert ours_objective == pytest.approx(objective(design, y, ours.classes_, reference_weights, C), rel=1e-4)
    np.testing.assert_allclose(ours.weights_, reference_weights, atol=2e-3 * np.abs(reference_weights).max())
    assert np.mean(ours.predict(test_x) == reference.predict(scaler.transform(test_x))) >= 0.99
    assert np.mean(ours.predict(test_x) == test_y) > 0.4  # above the 0.25 chance level


def test_warm_started_path_equals_separate_fits():
    x, y = blobs(150, 10, 3, seed=4, spread=2.0)
    path = {c: model.weights_.copy() for c, model in LinearSVM(tol=1e-6).fit_path(x, y, [1.0, 1e-3, 0.1])}
    assert list(path) == [1e-3, 0.1, 1.0]  # ascending, each warm-started from the previous
    for c, weights in path.items():
        np.testing.assert_allclose(weights, LinearSVM(c, tol=1e-6).fit(x, y).weights_, atol=1e-3)


def test_batched_problems_equal_separate_fits():
    """Rows outside a problem (target 0) and one C per column: the same weights as fitting each problem alone."""
    x, y = blobs(90, 7, 3, seed=2, spread=1.5)
    x = np.concatenate([x, np.ones((len(x), 1), np.float32)], axis=1)
    one_hot = np.where(y[:, None] == np.arange(3)[None], 1.0, -1.0)
    parts = [np.arange(0, 60), np.arange(30, 90)]  # two overlapping "folds"
    inside = [np.isin(np.arange(90), rows)[:, None] for rows in parts]
    targets = np.concatenate([one_hot * inside[0], one_hot * inside[1], one_hot * inside[1]], axis=1)
    C = np.repeat([0.01, 0.01, 1.0], 3)
    batched, _ = fit_ovr_squared_hinge(x, targets, C, tol=1e-6)
    for block, (rows, c) in enumerate([(parts[0], 0.01), (parts[1], 0.01), (parts[1], 1.0)]):
        alone, _ = fit_ovr_squared_hinge(x[rows], one_hot[rows], c, tol=1e-6)
        np.testing.assert_allclose(batched[:, 3 * block:3 * block + 3], alone, atol=1e-3 * np.abs(alone).max())


def test_protocol_matches_sklearn_cross_validation():
    """CV accuracy of every C, chosen C and test accuracy against LinearSVC on the same folds and scaling."""
    x, y, test_x, test_y = blobs(150, 12, 3, seed=3, spread=2.5, n_test=150)
    grid = (0.001, 0.01, 0.1, 1.0)
    result = svm_protocol(x, y, {"test": (test_x, test_y)}, seeds=(0, 1), c_grid=grid, folds=3, early_stop=False)
    scaler = StandardScaler().fit(x)  # the protocol standardises with the whole train split's statistics
    z, test_z = scaler.transform(x), scaler.transform(test_x)

    def reference(c, rows):
        return LinearSVC(C=c, dual=False, tol=1e-8, max_iter=100_000).fit(z[rows], y[rows])

    for entry in result["per_seed"]:
        plan, _ = cv_plan(y, 3, entry["seed"])
        for c in grid:
            expected = np.mean([np.mean(reference(c, train).predict(z[val]) == y[val]) for train, val in plan])
            assert entry["cv_accuracy_per_C"][c] == pytest.approx(expected, abs=1.5 / len(y))  # <= 1 example
        assert entry["C"] == best_c(entry["cv_accuracy_per_C"])
        sk_test = np.mean(reference(entry["C"], np.arange(len(y))).predict(test_z) == test_y)
        assert entry["accuracy"]["test"] == pytest.approx(sk_test, abs=1.5 / len(test_y))


def test_cv_plan_small_classes():
    labels = np.array([0] * 6 + [1] * 3 + [2])  # class 2: one example; class 1: three (< 5 folds)
    plan, warnings = cv_plan(labels, 5, seed=0)
    assert len(plan) == 3 and len(warnings) == 2
    assert "1 classes have a single train example" in warnings[0] and "3-fold instead of 5-fold" in warnings[1]
    validated = np.concatenate([val for _, val in plan])
    assert sorted(validated) == list(range(9))  # every other example validated exactly once
    for train, val in plan:
        assert 9 in train and not set(train) & set(val)  # the single example trains in every fold
        assert set(labels[val]) == {0, 1}  # stratified: both classes in each validation part
    plan, warnings = cv_plan(np.array([0, 0, 1, 2]), 5, seed=0)  # one class with two examples: nothing to compare
    assert plan == [] and "C fixed" in warnings[0]


def test_small_data_gives_results_and_warnings():
    x, _, test_x, test_y = blobs(13, 8, 4, seed=5, n_test=8)
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3])  # class 3 has a single train example
    result = linear_svm_accuracy(x, y, test_x, test_y, seeds=(0, 1))
    assert result["cv_folds"] == 4 and len(result["per_seed"]) == 2
    scaler = StandardScaler().fit(x)
    for entry in result["per_seed"]:  # the test accuracy of LinearSVC at the C each seed chose
        reference = LinearSVC(C=entry["C"], dual=False, tol=1e-8, max_iter=100_000).fit(scaler.transform(x), y)
        expected = np.mean(reference.predict(scaler.transform(test_x)) == test_y)
        assert entry["accuracy"] == pytest.approx(expected, abs=1.5 / len(test_y))  # <= 1 example
    assert result["accuracy"] == pytest.approx(np.mean([entry["accuracy"] for entry in result["per_seed"]]))
    assert any("single train example" in w for w in result["warnings"])
    # no class with two examples except one: C fixed, no CV, still a result
    result = linear_svm_accuracy(x[:4], np.array([0, 0, 1, 2]), test_x, test_y, seeds=(0,))
    assert result["per_seed"][0]["C"] == FIXED_C and result["per_seed"][0]["cv_accuracy"] is None
    assert result["cv_folds"] == 0 and "C fixed" in result["warnings"][0]
    with pytest.raises(ValueError, match="at least 2 classes"):
        linear_svm_accuracy(x, np.zeros(13), test_x, test_y)


def test_protocol_scores_several_test_sets_with_one_fit_and_logs_stages():
    x, y = blobs(60, 6, 3, seed=7, spread=0.5)
    tests = {"same": (x, y), "shifted": (x + 100.0, y)}  # far outside the training data: another score
    lines = []
    result = svm_protocol(x, y, tests, seeds=(0, 1), c_grid=(0.01, 1.0), folds=3, log=lines.append)
    for entry in result["per_seed"]:
        assert set(entry["accuracy"]) == {"same", "shifted"} and set(entry["cv_accuracy_per_C"]) == {0.01, 1.0}
        assert entry["cv_accuracy"] == max(entry["cv_accuracy_per_C"].values())
        assert entry["accuracy"]["same"] > 0.8
    stage = "linear SVM: C search by 3-fold CV x 2 C x 2 seeds + final fits, in one batch (C path stops past the peak)"
    assert lines[0] == f"{stage}: 14 fits ..."  # 2 seeds x 3 folds x 2 C + the whole split at 2 C
    assert lines[1].startswith(f"{stage}: done, 14/14 fits in") and len(lines) == 2
    # one start and one end line per stage: no progress-bar spam when the output is not a terminal


def test_c_path_stops_after_two_lower_values():
    assert not past_the_peak({1e-4: 0.5, 1e-3: 0.7, 1e-2: 0.6})
    assert past_the_peak({1e-4: 0.5, 1e-3: 0.7, 1e-2: 0.6, 0.1: 0.65})
    assert not past_the_peak({1e-4: 0.7, 1e-3: 0.6, 1e-2: 0.7})  # a tie with the best is not below it
    assert best_c({1e-4: 0.7, 1e-3: 0.6, 1e-2: 0.7}) == 1e-4  # ties: the smallest C, as GridSearchCV
    x, y = blobs(40, 30, 2, seed=8, spread=2.0)
    full = svm_protocol(x, y, {"t": (x, y)}, seeds=(0,), folds=2, early_stop=False)["per_seed"][0]
    assert len(full["cv_accuracy_per_C"]) == 5
    stopped = svm_protocol(x, y, {"t": (x, y)}, seeds=(0,), folds=2)["per_seed"][0]
    expected = dict(list(full["cv_accuracy_per_C"].items())[:len(stopped["cv_accuracy_per_C"])])
    assert stopped["cv_accuracy_per_C"] == pytest.approx(expected)  # the same path, cut where the rule says
    assert len(stopped["cv_accuracy_per_C"]) == 4 and stopped["C"] == full["C"]  # this data peaks at the 1st C


def test_svm_task_on_modelnet40_h5_with_a_single_shape_class(tmp_path):
    """The issue's case: a small real-format ModelNet40 set where one class has a single training shape."""
    import dataset_files

    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    manual = tmp_path / "manual"
    dataset_files.write_modelnet40_h5(manual, train=(9,), test=(4,))
    folder = manual / "modelnet40_ply_hdf5_2048"
    dataset_files.rewrite_h5(folder / "ply_data_train0.h5", label=np.array([[0]] * 4 + [[1]] * 4 + [[2]], np.uint8))
    dataset_files.rewrite_h5(folder / "ply_data_test0.h5", label=np.array([[0], [1], [2], [1]], np.uint8))
    lines = []
    args = cli.parse_args(["--task=svm", "--encoder=random", "--backbone=pointnet", "--dataset=modelnet40_h5",
                           f"--manual_dir={manual}", f"--data_dir={tmp_path / 'tfds'}", "--num_points=32",
                           "--seeds", "0", "--output", str(tmp_path / "svm.json")])
    result = run_task(args, log=lines.append)
    assert result["settings"]["cv_folds"] == 4
    from dcglr_tf.evaluation.tasks.features import extract_features, resolve_encoder

    encoder, _ = resolve_encoder("random", "pointnet", seed=args.seed)  # the task's encoder, its features
    (x, y), (test_x, test_y) = (extract_features(encoder, "modelnet40_h5", split, num_points=32, manual_dir=manual,
                                                 data_dir=tmp_path / "tfds") for split in ("train", "test"))
    scaler = StandardScaler().fit(x)  # the test accuracy of LinearSVC at the C the task chose
    reference = LinearSVC(C=result["metrics"]["per_seed"][0]["C"], dual=False, tol=1e-8, max_iter=100_000)
    expected = np.mean(reference.fit(scaler.transform(x), y).predict(scaler.transform(test_x)) == test_y)
    assert len(test_y) == 4 and result["accuracy"] == pytest.approx(expected, abs=1e-9)
    text = "\n".join(lines)
    assert "warning: 1 classes have a single train example (2)" in text
    assert "preparing modelnet40_h5" in text and "extracting modelnet40_h5 train features" in text
