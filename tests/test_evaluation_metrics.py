"""Evaluation metrics against hand-computed examples; the collapse checks (spectrum, SVM at chance);
the online kNN monitor."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dcglr_tf.evaluation import metrics  # noqa: E402
from dcglr_tf.evaluation.knn import hardest_classes, knn_accuracy, knn_predict  # noqa: E402
from dcglr_tf.evaluation.spectrum import feature_spectrum  # noqa: E402
from dcglr_tf.evaluation.svm import linear_svm_accuracy  # noqa: E402
from dcglr_tf.training.callbacks import KNNMonitor  # noqa: E402

LABELS = np.array([0, 0, 0, 1, 1, 2])
PREDICTIONS = np.array([0, 0, 1, 1, 2, 2])


def test_confusion_and_accuracies_by_hand():
    matrix = metrics.confusion_matrix(LABELS, PREDICTIONS, 3)
    np.testing.assert_array_equal(matrix, [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
    assert metrics.overall_accuracy(LABELS, PREDICTIONS) == pytest.approx(4 / 6)
    # per-class recall: 2/3, 1/2, 1/1
    np.testing.assert_allclose(metrics.per_class_accuracy(LABELS, PREDICTIONS, 3), [2 / 3, 1 / 2, 1.0])
    assert metrics.mean_class_accuracy(LABELS, PREDICTIONS, 3) == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)


def test_mean_class_accuracy_differs_from_oa_on_imbalance():
    labels = np.array([0] * 8 + [1] * 2)
    predictions = np.zeros(10, dtype=int)  # always the majority class
    assert metrics.overall_accuracy(labels, predictions) == pytest.approx(0.8)
    assert metrics.mean_class_accuracy(labels, predictions, 2) == pytest.approx(0.5)


def test_iou_by_hand():
    # class 0: TP 2, FP 0, FN 1 -> 2/3; class 1: TP 1, FP 1, FN 1 -> 1/3; class 2: TP 1, FP 1, FN 0 -> 1/2
    ious = metrics.per_class_iou(LABELS, PREDICTIONS, 4)
    np.testing.assert_allclose(ious[:3], [2 / 3, 1 / 3, 1 / 2])
    assert np.isnan(ious[3])  # class 3 in neither labels nor predictions: no IoU, skipped by the mean
    assert metrics.mean_iou(LABELS, PREDICTIONS, 4) == pytest.approx((2 / 3 + 1 / 3 + 1 / 2) / 3)
    # a class predicted but absent from the labels counts, with IoU 0
    assert metrics.mean_iou([0, 0], [0, 1], 2) == pytest.approx((1 / 2 + 0) / 2)
    # per-point labels of several blocks are flattened
    assert metrics.mean_iou(np.array([[0, 1], [1, 1]]), np.array([[0, 1], [1, 1]]), 2) == 1.0


def test_knn_vote_by_hand():
    # query 0: neighbours of classes 1, 0, 0 with similarities 0.9, 0.5, 0.5 at T = 0.1:
    # class 1 gets e^9 = 8103.1, class 0 gets 2 e^5 = 296.8 -> class 1 wins despite the 2:1 majority.
    scores = metrics.knn_vote([[0.9, 0.5, 0.5]], [[1, 0, 0]], num_classes=3, temperature=0.1)
    np.testing.assert_allclose(scores, [[2 * np.exp(5.0), np.exp(9.0), 0.0]])
    # at a high temperature the weights even out and the majority wins
    scores = metrics.knn_vote([[0.9, 0.5, 0.5]], [[1, 0, 0]], num_classes=3, temperature=100.0)
    assert np.argmax(scores[0]) == 0


def test_knn_predict_uses_cosine_similarity():
    train = np.array([[1.0, 0.0], [10.0, 0.5], [0.0, 1.0], [0.1, 5.0]])  # norms differ: cosine ignores them
    labels = np.array([0, 0, 1, 1])
    test = np.array([[3.0, 0.1], [0.2, 0.3]])
    np.testing.assert_array_equal(knn_predict(train, labels, test, k=2, temperature=0.07), [0, 1])
    result = knn_accuracy(train, labels, test, [0, 1], ks=(1, 4))
    assert result["accuracy"] == 1.0 and [r["k"] for r in result["per_k"]] == [1, 4]


def test_per_class_accuracy_confusions_and_hardest_classes_line():
    labels = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    predictions = [0, 2, 2, 1, 1, 0, 1, 2, 1]
    assert metrics.most_confused_with(labels, predictions, 4) == [2, None, 1, None]  # class 3 absent
    train = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    result = knn_accuracy(train, [0, 1, 2], np.array([[1.0, 0.1], [0.1, 1.0], [0.9, 0.2]]), [0, 1, 2], ks=(1,))
    scores = result["per_k"][0]
    assert scores["per_class_accuracy"] == [1.0, 1.0, 0.0] and scores["confused_with"] == [None, None, 0]
    line = hardest_classes(scores, ["chair", "lamp", "table"])
    assert line == "hardest classes at k=1: table 0.000 (most often taken for chair), chair 1.000, lamp 1.000"


def test_leave_one_out_knn_matches_numpy_brute_force():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, size=40)
    features = rng.normal(size=(40, 6)) + 1.5 * np.eye(4, 6)[labels]
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    expected_1nn, expected_3nn = [], []
    for i in range(40):  # brute force: every other cloud, by cosine similarity, the cloud itself excluded
        others = [j for j in range(40) if j != i]
        sims = np.array([unit[i] @ unit[j] for j in others])
        order = np.argsort(-sims)
        expected_1nn.append(labels[others[order[0]]])
        votes = np.zeros(4)
        for o in order[:3]:
            votes[labels[others[o]]] += np.exp(sims[o] / 0.07)
        expected_3nn.append(np.argmax(votes))
    np.testing.assert_array_equal(knn_predict(features, labels, k=1, chunk=7), expected_1nn)
    np.testing.assert_array_equal(knn_predict(features, labels, k=3, chunk=7), expected_3nn)
    result = knn_accuracy(features, labels, ks=(1, 3, 100))
    assert result["accuracy"] == pytest.approx(np.mean(np.array(expected_1nn) == labels))
    assert result["per_k"][1]["accuracy"] == pytest.approx(np.mean(np.array(expected_3nn) == labels))
    assert result["per_k"][2]["k_used"] == 39  # k above the 39 other clouds: clamped
    # a cloud never votes for itself: two far-apart pairs, each cloud's nearest other is its partner
    pairs = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    np.testing.assert_array_equal(knn_predict(pairs, [0, 1, 2, 3], k=1), [1, 0, 3, 2])


def test_collapsed_features_spectrum_and_chance_svm():
    rng = np.random.default_rng(0)
    num_classes, per_class = 4, 20
    labels = np.repeat(np.arange(num_classes), per_class)
    healthy = rng.normal(size=(len(labels), 16)) + 3.0 * np.eye(num_classes, 16)[labels]
    constant = np.ones_like(healthy)  # a collapsed encoder: the same output for every cloud
    one_direction = np.outer(rng.normal(size=len(labels)), rng.normal(size=16))

    spectrum = feature_spectrum(constant)
    assert spectrum["collapsed"] and spectrum["total_variance"] == 0.0 and spectrum["effective_rank"] == 0.0
    assert all(v == 0.0 for v in spectrum["normalised_eigenvalues"])
    spectrum = feature_spectrum(one_direction)
    assert spectrum["collapsed"] and spectrum["normalised_eigenvalues"][0] == 1.0
    assert max(spectrum["normalised_eigenvalues"][1:]) < 1e-10 and spectrum["effective_rank"] == pytest.approx(1.0)
    spectrum = feature_spectrum(healthy)
    assert not spectrum["collapsed"] and spectrum["effective_rank"] > 8 and spectrum["rank_1e-3"] == 16

    test_labels = np.repeat(np.arange(num_classes), 10)
    collapsed = linear_svm_accuracy(constant, labels, np.ones((len(test_labels), 16)), test_labels, seeds=(0,))
    assert collapsed["accuracy"] == pytest.approx(1 / num_classes)  # one class for everything: chance
    test_healthy = rng.normal(size=(len(test_labels), 16)) + 3.0 * np.eye(num_classes, 16)[test_labels]
    assert linear_svm_accuracy(healthy, labels, test_healthy, test_labels, seeds=(0,))["accuracy"] > 0.8


def test_knn_monitor_logs_accuracy():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(2), 8)
    points = rng.normal(size=(16, 8, 3)).astype(np.float32) * 0.1
    points[labels == 0] += np.array([0.0, 1.0, 0.0], np.float32)  # class 0 shifted along y,
    points[labels == 1] += np.array([1.0, 0.0, 0.0], np.float32)  # class 1 along x: cosine separates them
    model = keras.Sequential([keras.layers.GlobalAveragePooling1D()])  # mean point as the feature
    monitor = KNNMonitor(points[::2], labels[::2], points[1::2], labels[1::2], k=3, verbose=False)
    monitor.set_model(model)
    logs = {}
    monitor.on_epoch_end(0, logs)
    assert logs["knn_accuracy"] == 1.0 and monitor.history == [(1, 1.0)]
    # on a DCGLR model the monitor embeds with the teacher backbone, not the model's own call
    class WithTeacher(keras.Model):
        def __init__(self):
            super().__init__()
            self.teacher_backbone = keras.layers.GlobalAveragePooling1D()

        def call(self, x):
            raise AssertionError("the monitor must use teacher_backbone")

    monitor.set_model(WithTeacher())
    assert monitor.evaluate() == 1.0
    with pytest.raises(ValueError, match="labelled"):
        KNNMonitor(points, -np.ones(16), points, labels)
