"""Metrics of the evaluation protocols, in NumPy, checked against hand-computed examples in the tests.

- classification: overall accuracy (OA) and mean class accuracy (the mean over classes of per-class recall);
- segmentation: per-class IoU = TP / (TP + FP + FN) from the confusion matrix, mIoU = mean over the classes
  that occur in the ground truth or the prediction (classes absent from both have no IoU and are skipped);
- kNN: DINO's weighted vote, each of the k neighbours adds exp(similarity / T) to its class.
"""

import numpy as np


def confusion_matrix(labels, predictions, num_classes):
    """(num_classes, num_classes) int64 counts, rows = true class, columns = predicted class."""
    labels = np.asarray(labels, dtype=np.int64).ravel()
    predictions = np.asarray(predictions, dtype=np.int64).ravel()
    if labels.shape != predictions.shape:
        raise ValueError(f"labels and predictions differ in size: {labels.shape} vs {predictions.shape}")
    index = labels * num_classes + predictions
    return np.bincount(index, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def overall_accuracy(labels, predictions):
    """Fraction of correct predictions (points or clouds)."""
    labels = np.asarray(labels).ravel()
    predictions = np.asarray(predictions).ravel()
    if labels.size == 0:
        raise ValueError("overall accuracy of an empty set")
    return float(np.mean(labels == predictions))


def per_class_accuracy(labels, predictions, num_classes):
    """Recall of each class (NaN for a class absent from `labels`)."""
    matrix = confusion_matrix(labels, predictions, num_classes)
    support = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, np.diag(matrix) / np.maximum(support, 1), np.nan)


def mean_class_accuracy(labels, predictions, num_classes):
    """Mean of the per-class recalls over the classes present in `labels`."""
    return float(np.nanmean(per_class_accuracy(labels, predictions, num_classes)))


def per_class_iou(labels, predictions, num_classes):
    """IoU of each class, TP / (TP + FP + FN); NaN for a class in neither labels nor predictions."""
    matrix = confusion_matrix(labels, predictions, num_classes).astype(np.float64)
    tp = np.diag(matrix)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / np.maximum(union, 1), np.nan)


def mean_iou(labels, predictions, num_classes):
    """Mean IoU over the classes that occur in the labels or the predictions."""
    return float(np.nanmean(per_class_iou(labels, predictions, num_classes)))


def knn_vote(similarities, neighbour_labels, num_classes, temperature=0.07):
    """DINO's weighted kNN vote.

    similarities: (Q, k) cosine similarities of each query to its k neighbours; neighbour_labels: (Q, k)
    their classes. Each neighbour adds exp(similarity / temperature) to its class. Returns (Q, num_classes)
    class scores; the prediction is their argmax.
    """
    similarities = np.asarray(similarities, dtype=np.float64)
    neighbour_labels = np.asarray(neighbour_labels, dtype=np.int64)
    weights = np.exp(similarities / temperature)
    scores = np.zeros((similarities.shape[0], num_classes), dtype=np.float64)
    np.add.at(scores, (np.arange(similarities.shape[0])[:, None], neighbour_labels), weights)
    return scores
