"""Top-k of a kNN graph on this CPU: the alternatives inside and outside XLA.

    python benchmarks/benchmark_topk.py                       # DGCNN's largest graph: (16, 1024, 1024), k = 20
    python benchmarks/benchmark_topk.py --clouds 64 --points 512
    python benchmarks/benchmark_topk.py --clouds 32 --points 128 --k 16   # the embedded preset's global views

Times `tf.math.top_k` of the negated squared distances, as `dcglr_tf.ops.points.knn` takes it, sorted and
unsorted, over the whole batch and in four batch chunks, and as k rounds of arg-min and masking, each with and
without XLA (median of --repeats calls, compilation excluded), and checks that every variant finds the same
neighbour sets.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402


def median_seconds(fn, distances, repeats):
    fn(distances).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(distances).numpy()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def variants(k):
    """name -> (B, M, N) distances -> (B, M, k) indices of the k smallest."""

    def whole(sorted_):
        return lambda d: tf.math.top_k(-d, k, sorted=sorted_)[1]

    def chunked(d):
        return tf.concat([tf.math.top_k(-part, k)[1] for part in tf.split(d, 4, axis=0)], axis=0)

    def argmin_rounds(d):  # k rounds of arg-min, each masking the point it found: top_k's neighbours and order
        columns = tf.range(tf.shape(d)[-1])
        picks = []
        for _ in range(k):
            nearest = tf.argmin(d, axis=-1, output_type=tf.int32)
            picks.append(nearest)
            d = tf.where(tf.equal(columns, nearest[..., None]), tf.constant(float("inf"), d.dtype), d)
        return tf.stack(picks, axis=-1)

    return {"top_k sorted": whole(True), "top_k unsorted": whole(False), "top_k in 4 batch chunks": chunked,
            f"{k} rounds of arg-min": argmin_rounds}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clouds", type=int, default=16)
    parser.add_argument("--points", type=int, default=1024)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.clouds % 4:
        parser.error(f"--clouds must be a multiple of 4 (the chunked variant), got {args.clouds}")

    distances = tf.random.uniform([args.clouds, args.points, args.points])
    reference = tf.sort(tf.math.top_k(-distances, args.k)[1], axis=-1)
    print(f"top-k of ({args.clouds}, {args.points}, {args.points}) distances, k = {args.k}; median of {args.repeats}")
    for name, fn in variants(args.k).items():
        row = f"  {name:24s}"
        for jit in (False, True):
            compiled = tf.function(fn, jit_compile=jit, autograph=False)
            same = bool(tf.reduce_all(tf.sort(compiled(distances), axis=-1) == reference))
            seconds = median_seconds(compiled, distances, args.repeats)
            row += f"  {'XLA' if jit else 'no XLA'} {seconds * 1e3:.1f} ms{'' if same else ' (DIFFERENT NEIGHBOURS)'}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
