"""How hard is a labelled point-cloud corpus? Hand-crafted shape statistics vs a random-init encoder.

Each cloud is cut to its first `--num_points` points and centred / scaled into the unit sphere (the evaluation
protocol), then described by global statistics that need no learning:

- bbox: the axis-aligned extents (3,);
- stats: extents, sorted covariance eigenvalues (3,), histograms of the distance to the centroid (10,), of the
  height y (10,) and of distances between random point pairs (D2, 16,): 42 numbers.

Both are scored by a linear SVM (StandardScaler + LinearSVC) and a random forest (300 trees) trained on the train
split, tested on the test split. With `--backbone` the cosine kNN (k=20, T=0.07: `evaluate.py --task=knn`) of a
random-init encoder of that architecture is added. A corpus on which these reach the accuracy of learned
features cannot show what pre-training gains.

    python tools/corpus_difficulty.py --dataset synthetic_objects --data_dir /tmp/me_tfds   # prepared data
    python tools/corpus_difficulty.py --generate 80 20 --backbone pointnet     # synthetic_objects, in memory
"""

import argparse
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", help="a prepared labelled dataset of dcglr_tf.data.sources")
    source.add_argument("--generate", type=int, nargs=2, metavar=("TRAIN", "TEST"),
                        help="generate synthetic_objects in memory: TRAIN / TEST objects per category")
    parser.add_argument("--data_dir", help="TFDS data directory of --dataset")
    parser.add_argument("--num_points", type=int, default=256, help="points per cloud (the first n)")
    parser.add_argument("--backbone", nargs="*", default=[], help="also score random-init encoders (kNN k=20)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random-init encoders and the forest")
    parser.add_argument("--per_class", action="store_true",
                        help="print the per-class accuracy of the forest on all statistics and of each encoder")
    parser.add_argument("--output", help="write the results as JSON here")
    return parser.parse_args(argv)


def load_prepared(dataset, split, num_points, data_dir):
    """(clouds (M, num_points, 3) float32, labels (M,)) of a prepared split, as evaluate.py feeds them."""
    import numpy as np  # pylint: disable=import-outside-toplevel

    from dcglr_tf.data.pipeline import labelled_dataset  # pylint: disable=import-outside-toplevel

    try:
        batches = list(labelled_dataset(dataset, split, num_points=num_points, batch_size=256,
                                        data_dir=data_dir).as_numpy_iterator())
    except Exception as error:  # a missing or unprepared dataset: say which, no traceback
        raise SystemExit(f"error: cannot load {dataset} {split} from --data_dir {data_dir}: {error}") from None
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def generate(split, per_category, num_points):
    """synthetic_objects clouds generated in memory, as `load_prepared` returns them."""
    import numpy as np  # pylint: disable=import-outside-toplevel

    from dcglr_tf.builders import _builder_utils as utils  # pylint: disable=import-outside-toplevel
    from dcglr_tf.builders.synthetic_objects import synthetic_objects_dataset_builder as objects  # pylint: disable=C0415

    examples = list(objects.generate_split(split, per_category=per_category, num_points=num_points))
    clouds = utils.normalize_unit_sphere(np.stack([e[1] for e in examples]))
    return clouds, np.array([e[4] for e in examples])


def statistics(clouds, rng):
    """Clouds (M, N, 3) in the unit sphere -> (bbox extents (M, 3), all statistics (M, 42))."""
    import numpy as np  # pylint: disable=import-outside-toplevel

    extents = clouds.max(axis=1) - clouds.min(axis=1)
    centred = clouds - clouds.mean(axis=1, keepdims=True)
    eigen = np.sort(np.linalg.eigvalsh(np.einsum("mni,mnj->mij", centred, centred) / clouds.shape[1]), axis=1)

    def histogram(values, low, high, bins):
        edges = np.linspace(low, high, bins + 1)
        return np.stack([np.histogram(v, edges)[0] for v in values]) / values.shape[1]

    radial = histogram(np.linalg.norm(centred, axis=2), 0.0, 1.0, 10)
    height = histogram(clouds[:, :, 1], -1.0, 1.0, 10)
    i, j = rng.integers(0, clouds.shape[1], (2, 1024))
    d2 = histogram(np.linalg.norm(clouds[:, i] - clouds[:, j], axis=2), 0.0, 2.0, 16)
    return extents, np.concatenate([extents, eigen, radial, height, d2], axis=1)


def score_statistics(train, test, seed):
    """{feature set: {"linear_svm": acc, "random_forest": acc}} and the test predictions of the forest on all
    statistics."""
    import numpy as np  # pylint: disable=import-outside-toplevel
    from sklearn.ensemble import RandomForestClassifier  # pylint: disable=import-outside-toplevel
    from sklearn.pipeline import make_pipeline  # pylint: disable=import-outside-toplevel
    from sklearn.preprocessing import StandardScaler  # pylint: disable=import-outside-toplevel
    from sklearn.svm import LinearSVC  # pylint: disable=import-outside-toplevel

    rng = np.random.default_rng(seed)
    (train_x, train_y), (test_x, test_y) = train, test
    train_sets, test_sets = statistics(train_x, rng), statistics(test_x, rng)
    results, predictions = {}, None
    for name, a, b in zip(("bbox", "stats"), train_sets, test_sets):
        svm = make_pipeline(StandardScaler(), LinearSVC(C=1.0, max_iter=20_000)).fit(a, train_y)
        forest = RandomForestClassifier(300, random_state=seed, n_jobs=2).fit(a, train_y)
        predictions = forest.predict(b)
        results[name] = {"linear_svm": float((svm.predict(b) == test_y).mean()),
                         "random_forest": float((predictions == test_y).mean())}
    return results, predictions


def score_random_encoder(backbone, train, test, seed):
    """kNN accuracy (k=20, T=0.07) of a random-init `backbone` and its test predictions."""
    from dcglr_tf.evaluation.knn import knn_accuracy, knn_predict  # pylint: disable=import-outside-toplevel
    from dcglr_tf.evaluation.tasks.features import resolve_encoder  # pylint: disable=import-outside-toplevel

    encoder, _ = resolve_encoder("random", backbone, "embedded", seed)
    train_f, test_f = (_embed(encoder, clouds) for clouds, _ in (train, test))
    num_classes = int(max(train[1].max(), test[1].max())) + 1
    scores = knn_accuracy(train_f, train[1], test_f, test[1], ks=(20,), num_classes=num_classes)
    return scores["per_k"][0]["accuracy"], knn_predict(train_f, train[1], test_f, k=20, num_classes=num_classes)


def _embed(encoder, clouds, batch=64):
    import numpy as np  # pylint: disable=import-outside-toplevel

    return np.concatenate([np.asarray(encoder(clouds[i:i + batch])) for i in range(0, len(clouds), batch)])


def class_names(args):
    if args.generate:
        from dcglr_tf.builders.synthetic_objects import synthetic_objects_dataset_builder as objects  # pylint: disable=C0415
        return objects.CATEGORIES
    from dcglr_tf.data import sources  # pylint: disable=import-outside-toplevel
    return sources.class_names(args.dataset, data_dir=args.data_dir)


def print_per_class(names, labels, predictions):
    """Per-class accuracy of each scorer {name: test predictions} and the class each one confuses most, worst
    first by the last scorer."""
    import numpy as np  # pylint: disable=import-outside-toplevel

    def accuracy(predicted, c):
        return (predicted[labels == c] == c).mean()

    def confusion(predicted, c):
        counts = np.bincount(predicted[labels == c], minlength=len(names))
        counts[c] = 0
        return f"{names[int(counts.argmax())]} ({counts.max()})"

    last = list(predictions.values())[-1]
    print(f"{'class':>12} " + " ".join(f"{name:>24}" for name in predictions))
    for c in np.argsort([accuracy(last, c) for c in range(len(names))]):
        cells = [f"{accuracy(p, c):5.2f} {confusion(p, c):>18}" for p in predictions.values()]
        print(f"{names[c]:>12} " + " ".join(cells))


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    if args.generate:
        train, test = (generate(split, count, args.num_points)
                       for split, count in zip(("train", "test"), args.generate))
        source = f"synthetic_objects generated in memory ({args.generate[0]} / {args.generate[1]} per category)"
    else:
        train, test = (load_prepared(args.dataset, split, args.num_points, args.data_dir)
                       for split in ("train", "test"))
        source = f"{args.dataset} from {args.data_dir or '~/tensorflow_datasets'}"
    print(f"{source}: {len(train[1])} train / {len(test[1])} test clouds of {args.num_points} points "
          f"({time.perf_counter() - start:.0f} s)")
    results, forest = score_statistics(train, test, args.seed)
    predictions = {"forest": forest}
    for name, scores in results.items():
        print(f"{name:>6}: linear SVM {scores['linear_svm']:.3f}   random forest {scores['random_forest']:.3f}")
    for backbone in args.backbone:
        results[f"random_{backbone}_knn"], predictions[backbone] = score_random_encoder(backbone, train, test,
                                                                                         args.seed)
        print(f"random-init {backbone} kNN (k=20): {results[f'random_{backbone}_knn']:.3f}")
    if args.per_class:
        print_per_class(class_names(args), test[1], predictions)
    if args.output:
        pathlib.Path(args.output).write_text(json.dumps({"source": source, "num_points": args.num_points,
                                                         **results}, indent=2))


if __name__ == "__main__":
    main()
