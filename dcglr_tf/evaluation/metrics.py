"""Metrics of the evaluation protocols, in NumPy, checked against hand-computed examples in the tests.

- classification: overall accuracy (OA) and mean class accuracy (the mean over classes of per-class recall);
- segmentation: per-class IoU = TP / (TP + FP + FN) from the confusion matrix, mIoU = mean over the classes
  that occur in the ground truth or the prediction (classes absent from both have no IoU and are skipped);
- part segmentation (ShapeNetPart): a shape's IoU is the mean over its category's parts of TP / (TP + FP + FN),
  a part absent from both labels and predictions counting 1 (PointNet/DGCNN's convention); instance mIoU = mean
  over shapes, class mIoU = mean over categories of their shapes' mean;
- kNN: DINO's weighted vote, each of the k neighbours adds exp(similarity / T) to its class.
"""

import numpy as np


def confusion_matrix(labels, predictions, num_classes):
    """Confusion matrix of class ids, rows = true class, columns = predicted class.

    Args:
        labels: int array-like of true classes, any shape (flattened).
        predictions: int array-like of predicted classes, as many as `labels`.
        num_classes: int.

    Returns:
        (num_classes, num_classes) int64 counts.

    Raises:
        ValueError: when labels and predictions differ in size.
    """
    labels = np.asarray(labels, dtype=np.int64).ravel()
    predictions = np.asarray(predictions, dtype=np.int64).ravel()
    if labels.shape != predictions.shape:
        raise ValueError(f"labels and predictions differ in size: {labels.shape} vs {predictions.shape}")
    index = labels * num_classes + predictions
    return np.bincount(index, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def overall_accuracy(labels, predictions):
    """Fraction of correct predictions (points or clouds).

    Args:
        labels: array-like of true classes, any shape (flattened).
        predictions: array-like of predicted classes, as many as `labels`.

    Returns:
        float.

    Raises:
        ValueError: for an empty set.
    """
    labels = np.asarray(labels).ravel()
    predictions = np.asarray(predictions).ravel()
    if labels.size == 0:
        raise ValueError("overall accuracy of an empty set")
    return float(np.mean(labels == predictions))


def per_class_accuracy(labels, predictions, num_classes):
    """Recall of each class.

    Args:
        labels, predictions, num_classes: as in `confusion_matrix`.

    Returns:
        (num_classes,) float64, NaN for a class absent from `labels`.
    """
    matrix = confusion_matrix(labels, predictions, num_classes)
    support = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, np.diag(matrix) / np.maximum(support, 1), np.nan)


def most_confused_with(labels, predictions, num_classes):
    """For each class, the class its examples are most often wrongly predicted as; ties go to the lower class index.

    Args:
        labels, predictions, num_classes: as in `confusion_matrix`.

    Returns:
        List of num_classes int or None (None: never wrong or absent).
    """
    matrix = confusion_matrix(labels, predictions, num_classes)
    np.fill_diagonal(matrix, 0)
    return [int(np.argmax(row)) if row.any() else None for row in matrix]


def mean_class_accuracy(labels, predictions, num_classes):
    """Mean of the per-class recalls over the classes present in `labels`.

    Args:
        labels, predictions, num_classes: as in `confusion_matrix`.

    Returns:
        float.
    """
    return float(np.nanmean(per_class_accuracy(labels, predictions, num_classes)))


def per_class_iou(labels, predictions, num_classes):
    """IoU of each class, TP / (TP + FP + FN).

    Args:
        labels, predictions, num_classes: as in `confusion_matrix`.

    Returns:
        (num_classes,) float64, NaN for a class in neither labels nor predictions.
    """
    matrix = confusion_matrix(labels, predictions, num_classes).astype(np.float64)
    tp = np.diag(matrix)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / np.maximum(union, 1), np.nan)


def mean_iou(labels, predictions, num_classes):
    """Mean IoU over the classes that occur in the labels or the predictions.

    Args:
        labels, predictions, num_classes: as in `confusion_matrix`.

    Returns:
        float.
    """
    return float(np.nanmean(per_class_iou(labels, predictions, num_classes)))


def shape_part_iou(labels, predictions, parts):
    """Mean IoU of one shape over its category's parts.

    A part in neither the labels nor the predictions counts as IoU 1.

    Args:
        labels: (N,) global part ids of the shape's points.
        predictions: (N,) predicted part ids.
        parts: the category's global part ids.

    Returns:
        float.
    """
    labels = np.asarray(labels).ravel()
    predictions = np.asarray(predictions).ravel()
    ious = []
    for part in parts:
        truth, predicted = labels == part, predictions == part
        union = np.sum(truth | predicted)
        ious.append(1.0 if union == 0 else np.sum(truth & predicted) / union)
    return float(np.mean(ious))


def part_segmentation_miou(labels, predictions, categories, category_parts):
    """Instance and class mIoU of part segmentation.

    Args:
        labels: (M, N) global part ids of M shapes.
        predictions: (M, N) predicted part ids.
        categories: (M,) category index of each shape.
        category_parts: per category, its global part ids (`sources.category_parts`).

    Returns:
        Dict `{"instance_miou": mean of the shape IoUs, "class_miou": mean over the categories present of their
        shapes' mean, "per_category_miou": (num_categories,) with NaN for categories without shapes,
        "shape_iou": (M,)}`.

    Raises:
        ValueError: for an empty set.
    """
    categories = np.asarray(categories, dtype=np.int64).ravel()
    if len(categories) == 0:
        raise ValueError("part segmentation mIoU of an empty set")
    shape_iou = np.array([shape_part_iou(y, p, category_parts[c]) for y, p, c in zip(labels, predictions, categories)])
    per_category = np.full(len(category_parts), np.nan)
    for c in np.unique(categories):
        per_category[c] = shape_iou[categories == c].mean()
    return {"instance_miou": float(shape_iou.mean()), "class_miou": float(np.nanmean(per_category)),
            "per_category_miou": per_category, "shape_iou": shape_iou}


def knn_vote(similarities, neighbour_labels, num_classes, temperature=0.07):
    """DINO's weighted kNN vote: each neighbour adds exp(similarity / temperature) to its class.

    Args:
        similarities: (Q, k) cosine similarities of each query to its k neighbours.
        neighbour_labels: (Q, k) int, their classes.
        num_classes: int.
        temperature: float.

    Returns:
        (Q, num_classes) float64 class scores; the prediction is their argmax.
    """
    similarities = np.asarray(similarities, dtype=np.float64)
    neighbour_labels = np.asarray(neighbour_labels, dtype=np.int64)
    weights = np.exp(similarities / temperature)
    scores = np.zeros((similarities.shape[0], num_classes), dtype=np.float64)
    np.add.at(scores, (np.arange(similarities.shape[0])[:, None], neighbour_labels), weights)
    return scores
