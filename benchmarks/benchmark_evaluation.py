"""Speed of the frozen-feature evaluation: feature extraction (XLA or not, batch size) and the linear-SVM protocol
(our all-classes solver against scikit-learn's LinearSVC).

    python benchmarks/benchmark_evaluation.py extract --backbone dgcnn --preset paper --num_points 256
    python benchmarks/benchmark_evaluation.py svm                        # ModelNet40-sized procedural features
    python benchmarks/benchmark_evaluation.py svm --features feats.npz --sklearn   # + LinearSVC at the chosen C
    python benchmarks/benchmark_evaluation.py features --dataset modelnet40_h5 --manual_dir DIR --data_dir TFDS \
        --backbone dgcnn --preset paper --num_points 256 --output feats.npz

extract: clouds/s of the encoder's serve function on random clouds, with and without XLA, for each batch size,
repeats interleaved in one process; prints medians and the XLA speed-up.
features: the features of a dataset's train and test split as `evaluate.py` extracts them (random-init `--backbone`
or an exported `--encoder`), saved to an .npz for `svm --features`; prints each split's wall and CPU time.
svm: the svm protocol (C by 5-fold CV on train, seeds 0 1 2) on features `train_x, train_y, test_x, test_y` of an
.npz (e.g. saved from a run) or procedural ones (class means in a low-rank space, ReLU random features, noise:
`--noise` sets the difficulty); prints stage times, the protocol's wall and CPU time (CPU / cores estimates an
idle machine when the machine is shared) and accuracies; with --sklearn, LinearSVC(dual=False) fitted on the same
standardised train split at each chosen C (time, test accuracy, agreement of predictions).
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402


def procedural_features(train, test, dim, classes, noise, seed=0, rank=64):
    """(train_x, train_y, test_x, test_y): ReLU random features of class means in a rank-`rank` space plus noise."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(rank, dim)).astype(np.float32) / np.sqrt(rank)
    means = rng.normal(size=(classes, rank)).astype(np.float32)
    labels = rng.integers(0, classes, size=train + test)
    latent = means[labels] + rng.normal(size=(train + test, rank)).astype(np.float32)
    x = np.maximum(latent @ basis + noise * rng.normal(size=(train + test, dim)).astype(np.float32), 0.0)
    return x[:train], labels[:train], x[train:], labels[train:]


def bench_extract(args):
    import keras
    import tensorflow as tf

    from dcglr_tf.export import encoder_from_backbone
    from dcglr_tf.models import build_backbone

    keras.utils.set_random_seed(0)
    encoder = encoder_from_backbone(build_backbone(args.backbone, args.preset))
    rng = np.random.default_rng(0)
    rates = {}
    for batch in args.batch_sizes:
        clouds = rng.normal(size=(batch * args.batches, args.num_points, 3)).astype(np.float32)
        data = tf.data.Dataset.from_tensor_slices((clouds, np.zeros(len(clouds), np.int64))).batch(batch)
        for jit in (False, True):
            encoder.embed_dataset(data.take(1), jit_compile=jit)  # trace / compile outside the timing
        for _ in range(args.repeats):
            for jit in (False, True):
                start = time.perf_counter()
                encoder.embed_dataset(data, jit_compile=jit)
                rates.setdefault((batch, jit), []).append(len(clouds) / (time.perf_counter() - start))
    print(f"{args.backbone} ({args.preset}), {args.num_points} points, {args.batches} batches per timing, "
          f"{args.repeats} repeats (median clouds/s):")
    for batch in args.batch_sizes:
        plain, xla = np.median(rates[(batch, False)]), np.median(rates[(batch, True)])
        print(f"  batch {batch:4d}: no XLA {plain:7.1f}   XLA {xla:7.1f}   XLA speed-up {xla / plain:.2f}x")


def bench_features(args):
    from dcglr_tf.evaluation.tasks.features import extract_features, resolve_encoder

    encoder, name = resolve_encoder(args.encoder, args.backbone, args.preset)
    arrays = {}
    for split in ("train", "test"):
        start, cpu_start = time.perf_counter(), time.process_time()
        arrays[f"{split}_x"], arrays[f"{split}_y"] = extract_features(
            encoder, args.dataset, split, num_points=args.num_points, batch_size=args.batch_size,
            data_dir=args.data_dir, manual_dir=args.manual_dir)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        count = len(arrays[f"{split}_y"])
        print(f"{name}, {args.dataset} {split}: {count} clouds of {args.num_points} points in {seconds:.1f} s wall "
              f"({count / seconds:.1f} clouds/s), {cpu_seconds:.1f} s CPU (load average {os.getloadavg()[0]:.1f})")
    np.savez(args.output, **arrays)
    print(f"features {arrays['train_x'].shape} / {arrays['test_x'].shape} written to {args.output}")


def bench_svm(args):
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    from dcglr_tf.evaluation.svm import linear_svm_accuracy

    if args.features:
        data = np.load(args.features)
        train_x, train_y, test_x, test_y = (data[k] for k in ("train_x", "train_y", "test_x", "test_y"))
    else:
        train_x, train_y, test_x, test_y = procedural_features(args.train, args.test, args.dim, args.classes,
                                                               args.noise)
    print(f"features: train {train_x.shape}, test {test_x.shape}, {len(np.unique(train_y))} classes")
    start, cpu_start = time.perf_counter(), time.process_time()
    result = linear_svm_accuracy(train_x, train_y, test_x, test_y, seeds=tuple(args.seeds), log=print,
                                 early_stop=not args.full_grid)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    for entry in result["per_seed"]:
        print(f"  seed {entry['seed']}: C {entry['C']:g}, cv {entry['cv_accuracy']:.4f}, test {entry['accuracy']:.4f},"
              f" cv per C {', '.join(f'{c:g}: {a:.4f}' for c, a in entry['cv_accuracy_per_C'].items())}")
    print(f"ours: test accuracy {result['accuracy']:.4f} +- {result['accuracy_std']:.4f}, whole protocol "
          f"{seconds:.1f} s wall, {cpu_seconds:.1f} s CPU (all threads; load average {os.getloadavg()[0]:.1f})")
    if args.sklearn:
        scaler = StandardScaler().fit(train_x)
        from dcglr_tf.evaluation.linear_svm import LinearSVM

        for c in sorted({entry["C"] for entry in result["per_seed"]}):
            start = time.perf_counter()
            reference = LinearSVC(C=c, dual=False).fit(scaler.transform(train_x), train_y)
            sk_seconds = time.perf_counter() - start
            start = time.perf_counter()
            ours = LinearSVM(c).fit(train_x, train_y)
            our_seconds = time.perf_counter() - start
            sk_pred, our_pred = reference.predict(scaler.transform(test_x)), ours.predict(test_x)
            print(f"C {c:g}, one fit on the whole train split: LinearSVC {sk_seconds:.1f} s, test "
                  f"{np.mean(sk_pred == test_y):.4f} | ours {our_seconds:.1f} s, test {np.mean(our_pred == test_y):.4f}"
                  f" | predictions agree {np.mean(sk_pred == our_pred):.4f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parts = parser.add_subparsers(dest="part", required=True)
    extract = parts.add_parser("extract", help="feature extraction throughput")
    extract.add_argument("--backbone", default="dgcnn")
    extract.add_argument("--preset", default="paper")
    extract.add_argument("--num_points", type=int, default=256)
    extract.add_argument("--batch_sizes", type=int, nargs="+", default=[16, 32, 64])
    extract.add_argument("--batches", type=int, default=8, help="batches per timing")
    extract.add_argument("--repeats", type=int, default=3)
    features = parts.add_parser("features", help="extract and save a dataset's features (svm --features)")
    features.add_argument("--dataset", default="modelnet40_h5")
    features.add_argument("--manual_dir")
    features.add_argument("--data_dir")
    features.add_argument("--encoder", default="random", help="an exported encoder, or random (--backbone)")
    features.add_argument("--backbone", default="dgcnn")
    features.add_argument("--preset", default="paper")
    features.add_argument("--num_points", type=int, default=256)
    features.add_argument("--batch_size", type=int, default=32)
    features.add_argument("--output", required=True, help=".npz to write")
    svm = parts.add_parser("svm", help="the svm protocol's fit")
    svm.add_argument("--features", help=".npz with train_x, train_y, test_x, test_y (default: procedural)")
    svm.add_argument("--train", type=int, default=9840, help="procedural train examples (default: the ModelNet40 "
                     "HDF5 release's 9,840)")
    svm.add_argument("--test", type=int, default=2468)
    svm.add_argument("--dim", type=int, default=2048)
    svm.add_argument("--classes", type=int, default=40)
    svm.add_argument("--noise", type=float, default=1.0, help="procedural features: noise (higher = harder)")
    svm.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    svm.add_argument("--full_grid", action="store_true", help="evaluate every C (no early stop of the C path)")
    svm.add_argument("--sklearn", action="store_true", help="also fit LinearSVC at each chosen C")
    args = parser.parse_args(argv)
    {"extract": bench_extract, "features": bench_features, "svm": bench_svm}[args.part](args)


if __name__ == "__main__":
    main()
