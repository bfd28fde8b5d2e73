"""Test-time averaging over several farthest-point samples: does it make an encoder's features hold across
densities, and what does it do to the class-level score? A measured experiment behind a row of docs/results.md;
the exported encoder does not do this.

    python tools/fps_sample_averaging.py --encoders runs/study/default-s0/encoder \
        runs/study/default-s0-random/encoder --points_file airplanes.npz --samples 1 4 8

An exported encoder reduces a cloud denser than its `max_points` to the farthest-point sample that starts at the
cloud's point 0. Here each cloud is reduced K times instead, the i-th sample starting at its point i (i < K), and
the K embeddings, L2-normalised, are averaged; K = 1 is the encoder as exported. Printed for each encoder and K:
- retrieval: the protocol of `evaluate.py --task=retrieval --point_order=random --point_counts 1024 256` on
  --points_file (each shape from a random 1,024- and 256-point subset, the smaller inside the larger; top-1, both
  directions), with its own random subsets: each cloud's points in the order `shuffle_points` draws with seed 0
  (the task draws them in its input pipeline, so its figures differ by the draw);
- LOO 1-NN: `evaluate.py --task=knn --protocol=loo --k 1 --split=test --num_points=N` on --dataset.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dcglr_tf.evaluation.knn import knn_predict, l2_normalise  # noqa: E402
from dcglr_tf.evaluation.retrieval import cross_density_retrieval, shuffle_points  # noqa: E402
from dcglr_tf.evaluation.tasks.finetune import load_arrays  # noqa: E402
from dcglr_tf.export import load_encoder  # noqa: E402
from dcglr_tf.ops.points import farthest_point_downsample, normalize_unit_sphere  # noqa: E402


def averaged_embedding(encoder, clouds, num_samples, batch_size=128):
    """(M, N, 3) clouds -> (M, D): the mean of the L2-normalised embeddings of `num_samples` farthest-point samples
    of each cloud (the i-th starting at point i), each of the encoder's `max_points` points. A cloud no denser than
    that is embedded whole (its samples would all be the cloud)."""
    max_points = encoder.description["backbone_config"].get("max_points")
    if not max_points or clouds.shape[1] <= max_points:
        num_samples = 1
    total = 0.0
    for start in range(num_samples):
        features = []
        for first in range(0, len(clouds), batch_size):
            batch = clouds[first:first + batch_size]
            if num_samples > 1:
                starts = tf.fill([len(batch)], start)
                batch = farthest_point_downsample(normalize_unit_sphere(tf.constant(batch)), max_points,
                                                  normalize=True, start_index=starts).numpy()
            features.append(encoder(batch))
        total = total + l2_normalise(np.concatenate(features))
    return total / num_samples


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoders", nargs="+", required=True, help="exported encoder directories")
    parser.add_argument("--points_file", required=True, help="NPZ with `points` (M, N, 3), N >= 1024")
    parser.add_argument("--samples", type=int, nargs="+", default=[1, 4, 8], help="values of K")
    parser.add_argument("--dataset", default="synthetic_objects", help="labelled dataset for the LOO 1-NN")
    parser.add_argument("--num_points", type=int, default=256, help="points per cloud for the LOO 1-NN")
    parser.add_argument("--data_dir", help="TFDS data_dir of --dataset")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    if min(args.samples) < 1:
        parser.error(f"--samples must be >= 1, got {args.samples}")
    if not os.path.isfile(args.points_file):
        parser.error(f"--points_file {args.points_file}: no such file")
    try:
        encoders = {path: load_encoder(path) for path in args.encoders}
    except FileNotFoundError as error:
        parser.error(str(error))

    with np.load(args.points_file) as data:
        if "points" not in data:
            parser.error(f"{args.points_file} has no `points` array (it has {sorted(data.files)})")
        clouds = shuffle_points(data["points"].astype(np.float32), 0)
    if clouds.shape[1] < 1024:
        parser.error(f"{args.points_file} holds {clouds.shape[1]} points per cloud; the retrieval needs 1,024")
    test_points, test_labels = load_arrays(args.dataset, "test", args.num_points, args.data_dir)
    rows = []
    for path, encoder in encoders.items():
        for k in args.samples:
            retrieval = cross_density_retrieval(averaged_embedding(encoder, clouds[:, :1024], k),
                                                averaged_embedding(encoder, clouds[:, :256], k))["top1"]
            features = averaged_embedding(encoder, test_points, k)
            loo = float(np.mean(knn_predict(features, test_labels, k=1) == test_labels))
            rows.append({"encoder": path, "samples": k, "retrieval_top1": retrieval, "loo_1nn": loo})
            print(f"{path}  K={k}: shuffled retrieval 1024 vs 256 {100 * retrieval:.1f} %, "
                  f"LOO 1-NN ({args.dataset} test, {args.num_points} points) {100 * loo:.1f} %", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
