"""Cross-density retrieval: does a shape embedded from few points find itself among all shapes embedded from
many points (and the other way round)?

Every shape of a set is embedded twice, from its first `a` and from its first `b` points (`--point_counts A B`,
default 1024 256); features are L2-normalised. A query from one density ranks all M shapes at the other density
by cosine similarity; it is a top-k hit when its own shape ranks among the first k. Exact ties (identical
features) are broken at random in expectation: with g shapes strictly more similar than its own and t others
exactly as similar, the hit rate counts min(1, max(0, (k - g) / (t + 1))), so a constant encoder scores the
chance rate k / M, never 100 %. Reported: top-1 and top-5 rates a->b, b->a and their mean. Labels are not used:
any dataset split works, or every cloud of a folder of files or a NumPy file of stacked clouds (`--points_file`; a
folder is prepared at the larger count, whose first points are the smaller count's).

`--point_order=random` (alias `shuffled`) takes the points of each cloud in a random order (seeded by `--seed`), so
the two densities are random subsets (the smaller inside the larger) rather than prefixes of the stored order. It
matters for files stored in farthest-point order (modelnet40_normal_resampled, synthetic_objects), where the first
256 points are the FPS selection of 256 of the first 1024 and an encoder that down-samples by FPS sees the same
points at both densities.
"""


from dcglr_tf.data import sources
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.retrieval import cross_density_retrieval
from dcglr_tf.evaluation.tasks.common import (
    base_result,
    dataset_of,
    open_encoder,
    point_order_of,
    point_settings,
    prepared_dataset,
    split_features,
    split_of,
    task_dataset,
)

DEFAULT_POINT_COUNTS = (1024, 256)


def default_split(info):
    """`test` when the dataset (a DatasetInfo) has it, else its only split; a dataset with several other splits needs
    --split."""
    if "test" in info.splits or len(info.splits) == 1:
        return "test" if "test" in info.splits else info.splits[0]
    raise ValueError(f"dataset {info.name!r} has no test split; choose one with --split (its splits: "
                     f"{', '.join(info.splits)})")


def retrieval_point_counts(args):
    counts = tuple(args.point_counts or DEFAULT_POINT_COUNTS)
    if len(counts) != 2:
        raise ValueError(f"--task=retrieval compares two densities: give --point_counts A B, got {list(counts)}")
    return counts


def _shapes(args, max_points, log):
    """(dataset, its DatasetInfo at `max_points` (prepared), split): the shapes to embed, every cloud of --points_file
    or a split of --dataset."""
    if args.points_file and args.dataset:
        raise ValueError("give either --points_file or --dataset for --task=retrieval, not both")
    dataset = args.points_file or task_dataset(args)
    info = dataset_of(args, dataset, max_points)
    if info.num_points is not None and max_points > info.num_points:
        raise ValueError(f"{info.name!r} stores {info.num_points} points per cloud; --point_counts must not exceed "
                         f"that")
    split = sources.ALL if args.points_file else args.split or default_split(info)
    prepared_dataset(args, info, max_points, log)
    return dataset, info, split


def run_retrieval(args, spec, ctx, log=print):
    n_a, n_b = retrieval_point_counts(args)
    label, info, split = _shapes(args, max(n_a, n_b), log)
    order = point_order_of(args)
    encoder, name, _, _ = open_encoder(spec, args)
    log(f"cross-density retrieval, {n_a} vs {n_b} points per cloud ({order}), with {name}")
    features = {}
    for n in (n_a, n_b):
        features[n] = split_features(encoder, args, info, split, n, log=log, ctx=ctx, spec=spec)[0]
    metrics = cross_density_retrieval(features[n_a], features[n_b])
    split = split_of(args, split, info)
    shapes = int(len(features[n_a]))
    rows = [[f"{n_a} -> {n_b}", metrics["top1_a_to_b"], metrics["top5_a_to_b"]],
            [f"{n_b} -> {n_a}", metrics["top1_b_to_a"], metrics["top5_b_to_a"]],
            ["mean", metrics["top1"], metrics["top5"]]]
    log(format_table(["query -> gallery points", "top-1", "top-5"], rows))
    log(f"cross-density retrieval among {shapes} shapes: top-1 {metrics['top1']:.4f} (chance {1 / shapes:.4f})")
    settings = {"point_counts": [n_a, n_b], "a_points": n_a, "b_points": n_b, "shapes": shapes,
                "source": "points_file" if args.points_file else "dataset", "split": split,
                "points_file": args.points_file, "chance_top1": 1.0 / shapes,
                "similarity": "cosine (L2-normalised features); exact ties broken at random in expectation",
                **point_settings(args), "seed": args.seed,
                "points": ("the first N points of each cloud" if order == "first" else
                           "the first N of each cloud's points in a random order drawn with --seed")
                          + ", centred and scaled to the unit sphere"}
    return base_result("retrieval", label, name, settings, [], metrics, **metrics,
                       summary={"top1": metrics["top1"], "top1 a->b": metrics["top1_a_to_b"],
                                "top1 b->a": metrics["top1_b_to_a"], "top5": metrics["top5"]})
