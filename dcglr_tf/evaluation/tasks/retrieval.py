"""Cross-density retrieval: does a shape embedded from few points find itself among all shapes embedded from
many points (and the other way round)?

Every shape of a set is embedded twice, from its first `a` and from its first `b` points (`--point_counts A B`,
default 1024 256); features are L2-normalised. A query from one density ranks all M shapes at the other density
by cosine similarity; it is a top-k hit when its own shape ranks among the first k. Exact ties (identical
features) are broken at random in expectation: with g shapes strictly more similar than its own and t others
exactly as similar, the hit rate counts min(1, max(0, (k - g) / (t + 1))), so a constant encoder scores the
chance rate k / M, never 100 %. Reported: top-1 and top-5 rates a->b, b->a and their mean. Labels are not used:
any dataset split or a NumPy file of clouds (`--points_file`) works.

`--point_order=random` (alias `shuffled`) takes the points of each cloud in a random order (seeded by `--seed`), so
the two densities are random subsets (the smaller inside the larger) rather than prefixes of the stored order. It
matters for files stored in farthest-point order (modelnet40_normal_resampled, synthetic_objects), where the first
256 points are the FPS selection of 256 of the first 1024 and an encoder that down-samples by FPS sees the same
points at both densities.
"""

import os

from dcglr_tf.data import sources
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.retrieval import cross_density_retrieval
from dcglr_tf.evaluation.tasks.common import (
    base_result,
    open_encoder,
    point_order_of,
    point_settings,
    points_file_clouds,
    points_file_subsets,
    split_features,
    split_of,
    task_dataset,
)
from dcglr_tf.evaluation.tasks.features import embed_points
from dcglr_tf.utils.progress import Stage

DEFAULT_POINT_COUNTS = (1024, 256)


def default_split(dataset):
    """`test` when the dataset has it, else its only split; a dataset with several other splits needs --split."""
    splits = sources.dataset_info(dataset).splits
    if "test" in splits or len(splits) == 1:
        return "test" if "test" in splits else splits[0]
    raise ValueError(f"dataset {dataset!r} has no test split; choose one with --split (its splits: "
                     f"{', '.join(splits)})")


def retrieval_point_counts(args):
    counts = tuple(args.point_counts or DEFAULT_POINT_COUNTS)
    if len(counts) != 2:
        raise ValueError(f"--task=retrieval compares two densities: give --point_counts A B, got {list(counts)}")
    return counts


def _shapes(args, ctx, max_points):
    """(label for the result, split to embed, or None for the points file's clouds)."""
    if args.points_file:
        if args.dataset:
            raise ValueError("give either --points_file or --dataset for --task=retrieval, not both")
        points_file_clouds(args, ctx, max_points, "--point_counts")
        return os.path.basename(args.points_file), None
    dataset = task_dataset(args)
    stored = sources.dataset_info(dataset).num_points
    if max_points > stored:
        raise ValueError(f"{dataset!r} stores {stored} points per cloud; --point_counts must not exceed that")
    return dataset, args.split or default_split(dataset)


def run_retrieval(args, spec, ctx, log=print):
    n_a, n_b = retrieval_point_counts(args)
    label, split = _shapes(args, ctx, max(n_a, n_b))
    order = point_order_of(args)
    encoder, name, _, _ = open_encoder(spec, args)
    log(f"cross-density retrieval, {n_a} vs {n_b} points per cloud ({order}), with {name}")
    features = {}
    for n in (n_a, n_b):
        if split is not None:
            features[n] = split_features(encoder, args, label, split, n, log=log, ctx=ctx, spec=spec)[0]
            continue
        clouds = points_file_subsets(args, ctx, n, "--point_counts")
        with Stage(f"embedding {label} ({n} points per cloud)", len(clouds), "clouds", log) as stage:
            features[n] = embed_points(encoder, clouds, batch_size=args.batch_size, on_batch=stage.update)
    metrics = cross_density_retrieval(features[n_a], features[n_b])
    split = None if split is None else split_of(args, split, label)
    shapes = int(len(features[n_a]))
    rows = [[f"{n_a} -> {n_b}", metrics["top1_a_to_b"], metrics["top5_a_to_b"]],
            [f"{n_b} -> {n_a}", metrics["top1_b_to_a"], metrics["top5_b_to_a"]],
            ["mean", metrics["top1"], metrics["top5"]]]
    log(format_table(["query -> gallery points", "top-1", "top-5"], rows))
    log(f"cross-density retrieval among {shapes} shapes: top-1 {metrics['top1']:.4f} (chance {1 / shapes:.4f})")
    settings = {"point_counts": [n_a, n_b], "a_points": n_a, "b_points": n_b, "shapes": shapes,
                "source": "dataset" if split else "points_file", "split": split,
                "points_file": args.points_file, "chance_top1": 1.0 / shapes,
                "similarity": "cosine (L2-normalised features); exact ties broken at random in expectation",
                **point_settings(args), "seed": args.seed,
                "points": ("the first N points of each cloud" if order == "first" else
                           "the first N of each cloud's points in a random order drawn with --seed")
                          + ", centred and scaled to the unit sphere"}
    return base_result("retrieval", label, name, settings, [], metrics, **metrics,
                       summary={"top1": metrics["top1"], "top1 a->b": metrics["top1_a_to_b"],
                                "top1 b->a": metrics["top1_b_to_a"], "top5": metrics["top5"]})
