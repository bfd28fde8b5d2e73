"""tf.data pipelines: dataset (a name, a path or a `sources.DatasetInfo`) -> batches of multi-crop views (pre-training)
or labelled clouds.

Files -> TFDS (`dcglr_tf.data.sources`) -> these pipelines -> model. Everything is vectorised, parallel,
prefetched, deterministic under a seed, and has static per-cloud shapes; pre-training drops the remainder batch
(static batch shapes), labelled batches keep it (the last one may be smaller).
"""

import tensorflow as tf

from dcglr_tf.data import crops, sources
from dcglr_tf.ops.points import normalize_unit_sphere

AUTOTUNE = tf.data.AUTOTUNE
# How an evaluation takes N points of a stored cloud: its first N (as stored), or N at random (seeded).
POINT_ORDERS = ("first", "random")


def view_shapes(config):
    """Static per-sample shapes of the pre-training views, by group name.

    Args:
        config: a `TrainConfig`.

    Returns:
        Dict `{"global": (num_global, global_points, 3), "local": (num_local, local_points, 3),
        "half": (num_half_res, num_points // 2, 3)}`; "local" and "half" only when their counts are > 0.
    """
    crop = config.crops
    shapes = {"global": (crop.num_global, crop.global_points, 3)}
    if crop.num_local:
        shapes["local"] = (crop.num_local, crop.local_points, 3)
    if crop.num_half_res:
        shapes["half"] = (crop.num_half_res, config.num_points // 2, 3)
    return shapes


def _cloud_and_label(example):
    label = example.get("label", tf.constant(-1, tf.int64))
    return tf.cast(example["points"][:, :3], tf.float32), tf.cast(label, tf.int64)


def pretraining_dataset(config, *, start_step=0, split=None, shard=(0, 1), batch_size=None, dataset=None):
    """Endless batches of multi-crop views for DCGLR pre-training.

    The stream is a pure function of (config.seed, step): `start_step` starts it where the stream of an uninterrupted
    run is after that many steps, so a resumed run trains on exactly the batches it would have trained on (the
    shuffled clouds before them are skipped, not cropped: 30,000 to 60,000 clouds of 2,048 points a second on 2 CPU
    cores). A shard holds clouds index, index + count, ... of the shuffled stream, each cropped exactly as in the
    unsharded stream; with B = global batch / count, the shards' k-th batches hold the k-th global batch's clouds (the
    half-resolution copies get per-shard seeds).

    Args:
        config: a `TrainConfig`.
        start_step: int, the global batches of config.batch_size clouds a resumed run already trained (epochs done x
            steps per epoch).
        split: the split to read; default the dataset's pre-training split (train, or every split of a folder that has
            no split folders).
        shard: (index, count), this input pipeline's share of the stream (one per worker of a multi-worker run).
        batch_size: int, B; default config.batch_size (the global batch).
        dataset: the `sources.DatasetInfo` of config.dataset; default resolved from config.dataset at
            config.num_points.

    Returns:
        A `tf.data.Dataset` of dicts: "global" (B, num_global, global_points, 3) float32, "local"
        (B, num_local, local_points, 3) float32 (when num_local > 0), "half" (B, num_half_res, num_points // 2, 3)
        float32 (when num_half_res > 0) and "label" (B,) int64 (-1 where the data has no labels). The remainder batch
        is dropped.

    Raises:
        ValueError: an unknown dataset, or one that stores fewer than config.num_points points per cloud.
    """
    dataset = sources.dataset_info(dataset or config.dataset, num_points=config.num_points)
    sources.check_num_points(dataset, config.num_points)
    crop_config = config.crops
    source = sources.load_split(dataset, split or dataset.pretrain_split, data_dir=config.data_dir,
                                manual_dir=config.manual_dir)
    stream_seed = config.seed
    shard_index, shard_count = (int(v) for v in shard)
    batch_size = int(batch_size or config.batch_size)
    start_cloud = int(start_step) * config.batch_size  # clouds of the global stream before the first batch

    def make_views(index, example):
        cloud, label = _cloud_and_label(example)
        seeds = crops.split_seed(tf.stack([tf.constant(stream_seed, tf.int64), index]), 2)
        cloud = normalize_unit_sphere(crops.select_points(cloud, config.num_points, seeds[0]))
        cloud = tf.ensure_shape(cloud, [config.num_points, 3])
        views = crops.multi_crop(cloud, seeds[1], crop_config)
        views["cloud"] = cloud
        views["label"] = label
        return views

    def add_batch_views(index, views):  # views made per batch: one FPS loop serves the whole batch
        cloud = views.pop("cloud")
        batch = index * shard_count + shard_index  # per-shard seeds
        if crop_config.num_half_res:
            seed = tf.stack([tf.constant(stream_seed + 1, tf.int64), batch])
            views["half"] = crops.half_resolution_views(cloud, seed, crop_config)
        if crop_config.global_sampling in ("fps", "mixed"):
            seed = tf.stack([tf.constant(stream_seed + 2, tf.int64), batch])
            views["global"] = crops.farthest_point_views(views["global"], seed, crop_config)
        return views

    stream = (
        source.cache()
        .repeat()
        .shuffle(config.shuffle_buffer, seed=stream_seed)
        .skip(start_cloud)
        .enumerate(start=start_cloud)
        .shard(shard_count, shard_index)
        .map(make_views, num_parallel_calls=AUTOTUNE, deterministic=True)
        .batch(batch_size, drop_remainder=True, num_parallel_calls=AUTOTUNE, deterministic=True)
        .enumerate(start=start_cloud // (batch_size * shard_count))  # this shard's batches before the first
        .map(add_batch_views, num_parallel_calls=AUTOTUNE, deterministic=True)
        .prefetch(AUTOTUNE)
    )
    return stream


def labelled_dataset(name, split, *, num_points, batch_size, data_dir=None, manual_dir=None, point_order="first",
                     seed=0):
    """Batches of labelled clouds for feature extraction and supervised tasks.

    Clouds are centred and scaled to the unit sphere; the last batch may be smaller (nothing is dropped).

    Args:
        name: a registered name or a `sources.DatasetInfo` (a path dataset resolved at its points per cloud).
        split: the split to read.
        num_points: int, the points taken per cloud.
        batch_size: int, B.
        data_dir: TFDS data directory, or None for TFDS's default.
        manual_dir: folder of a real dataset's files, or None for TFDS's default.
        point_order: how each cloud's `num_points` are taken (`POINT_ORDERS`): "first", its first points as stored
            (the benchmarks' protocol), or "random", a random subset drawn with the stateless seed (seed, index of the
            cloud in the split), so every run and every encoder gets the same points, and a smaller count's points are
            the first of a larger count's (each cloud's one random order, cut).
        seed: int, the seed of "random" point orders.

    Returns:
        A `tf.data.Dataset` of `(points, label)`: (B, num_points, 3) float32 and (B,) int64 (-1 where the data has no
        labels).

    Raises:
        ValueError: an unknown `point_order` or dataset, or a dataset that stores fewer than `num_points` points per
            cloud.
    """
    if point_order not in POINT_ORDERS:
        raise ValueError(f"point_order must be one of {', '.join(POINT_ORDERS)}, got {point_order!r}")
    sources.check_num_points(name, num_points)
    source = sources.load_split(name, split, data_dir=data_dir, manual_dir=manual_dir)

    def prepare(index, example):
        cloud, label = _cloud_and_label(example)
        draw = None if point_order == "first" else tf.stack([tf.constant(seed, tf.int64), index])
        cloud = normalize_unit_sphere(crops.select_points(cloud, num_points, draw))
        return tf.ensure_shape(cloud, [num_points, 3]), label

    return (
        source.enumerate()
        .map(prepare, num_parallel_calls=AUTOTUNE, deterministic=True)
        .batch(batch_size, num_parallel_calls=AUTOTUNE, deterministic=True)
        .prefetch(AUTOTUNE)
    )
