"""The pre-training and labelled tf.data pipelines on the embedded synthetic_shapes data."""

import dataclasses

import numpy as np
import pytest

from dcglr_tf.config import CropConfig, TrainConfig
from dcglr_tf.data import sources
from dcglr_tf.data.pipeline import labelled_dataset, pretraining_dataset, view_shapes
from dcglr_tf.presets import embedded_config
from dcglr_tf.training.validation import validate_config


def small_config(data_dir, **overrides):
    crops = CropConfig(global_points=32, num_local=3, local_points=16)
    return embedded_config(dataset="synthetic_shapes", data_dir=data_dir, num_points=64, batch_size=4, crops=crops,
                           **overrides)


def first_batches(dataset, count=2):
    iterator = iter(dataset)
    return [{k: v.numpy() for k, v in next(iterator).items()} for _ in range(count)]


def test_pretraining_batches_have_static_shapes(shapes_data_dir):
    config = small_config(shapes_data_dir)
    dataset = pretraining_dataset(config)
    spec = dataset.element_spec
    expected = view_shapes(config)
    assert set(spec) == set(expected) | {"label"}
    for name, shape in expected.items():
        assert tuple(spec[name].shape) == (4,) + shape  # fully static, batch included
    batch = first_batches(dataset, 1)[0]
    assert batch["half"].shape == (4, 2, 32, 3)
    assert np.all(batch["label"] >= 0)
    for name in expected:
        assert np.all(np.isfinite(batch[name]))
        assert np.abs(batch[name]).max() < 1.6  # unit sphere, then scale <= 1.25 and small jitter


def test_pretraining_is_deterministic_under_seed(shapes_data_dir):
    a = first_batches(pretraining_dataset(small_config(shapes_data_dir, seed=3)))
    b = first_batches(pretraining_dataset(small_config(shapes_data_dir, seed=3)))
    c = first_batches(pretraining_dataset(small_config(shapes_data_dir, seed=4)))
    for x, y in zip(a, b):
        for key in x:
            np.testing.assert_array_equal(x[key], y[key])
    assert not np.allclose(a[0]["global"], c[0]["global"])


def test_a_stream_started_at_a_step_is_the_uninterrupted_stream_from_that_step(shapes_data_dir):
    """What a resumed run reads: batches 3 and 4 of the uninterrupted stream, whole or as worker shards."""
    config = small_config(shapes_data_dir)
    uninterrupted = first_batches(pretraining_dataset(config), 5)
    resumed = first_batches(pretraining_dataset(config, start_step=3))
    shard = first_batches(pretraining_dataset(config, start_step=3, shard=(1, 2), batch_size=2))
    for step in range(2):
        for name in uninterrupted[0]:
            np.testing.assert_array_equal(resumed[step][name], uninterrupted[3 + step][name])
        for name in ("global", "local", "label"):
            np.testing.assert_array_equal(shard[step][name], uninterrupted[3 + step][name][1::2])
    assert not np.allclose(resumed[0]["global"], uninterrupted[0]["global"])


def test_fps_and_mixed_global_views_are_static_deterministic_and_spread_by_their_sampling(shapes_data_dir):
    """`global_sampling="fps"`: the same static shapes, the same stream under a seed, and global views spread
    like farthest-point samples (larger nearest-neighbour gaps than the random subsets of the same crops);
    "mixed": farthest-point samples of a random share of each crop, so gaps between the two."""
    def config(sampling):
        base = small_config(shapes_data_dir, seed=5)
        return dataclasses.replace(base, crops=dataclasses.replace(base.crops, global_sampling=sampling))

    fps = pretraining_dataset(config("fps"))
    for name, shape in view_shapes(config("fps")).items():
        assert tuple(fps.element_spec[name].shape) == (4,) + shape
    a, b = first_batches(fps, 1)[0], first_batches(pretraining_dataset(config("fps")), 1)[0]
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    random = first_batches(pretraining_dataset(config("random")), 1)[0]
    np.testing.assert_array_equal(a["local"], random["local"])  # only the global views change

    def nearest_gap(views):  # (B, V, n, 3) -> mean distance of each point to its nearest neighbour
        dist = np.linalg.norm(views[..., :, None, :] - views[..., None, :, :], axis=-1)
        dist[..., np.arange(views.shape[-2]), np.arange(views.shape[-2])] = np.inf
        return dist.min(axis=-1).mean()

    assert nearest_gap(a["global"]) > 1.15 * nearest_gap(random["global"])
    mixed = first_batches(pretraining_dataset(config("mixed")), 1)[0]
    assert mixed["global"].shape == a["global"].shape
    np.testing.assert_array_equal(mixed["local"], random["local"])
    assert nearest_gap(random["global"]) < nearest_gap(mixed["global"]) < nearest_gap(a["global"])


def test_labelled_dataset_keeps_first_points_normalised(shapes_data_dir):
    batches = list(labelled_dataset("synthetic_shapes", "test", num_points=100, batch_size=64, data_dir=shapes_data_dir))
    points = np.concatenate([p.numpy() for p, _ in batches])
    labels = np.concatenate([y.numpy() for _, y in batches])
    assert points.shape[1:] == (100, 3) and len(points) == len(labels)
    np.testing.assert_allclose(points.mean(axis=1), 0.0, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(points, axis=-1).max(axis=1), 1.0, rtol=1e-4)
    assert len(np.unique(labels)) > 5


def test_labelled_dataset_random_points_are_seeded_nested_subsets(shapes_data_dir):
    def clouds(num_points, point_order, seed=0):
        data = labelled_dataset("synthetic_shapes", "test[:6]", num_points=num_points, batch_size=4,
                                data_dir=shapes_data_dir, point_order=point_order, seed=seed)
        return np.concatenate([p.numpy() for p, _ in data])

    random_64 = clouds(64, "random")
    np.testing.assert_array_equal(random_64, clouds(64, "random"))  # the same points on every run (every encoder)
    assert not np.allclose(random_64, clouds(64, "random", seed=1))
    assert not np.allclose(random_64, clouds(64, "first"))
    # each cloud has one random order of all its stored points: 64 random points are the first 64 in that order
    stored = sources.dataset_info("synthetic_shapes").num_points
    everything = clouds(stored, "random")
    for cloud, as_stored, subset in zip(everything, clouds(stored, "first"), random_64):
        np.testing.assert_allclose(np.sort(cloud, axis=0), np.sort(as_stored, axis=0), atol=1e-5)
        first = cloud[:64] - cloud[:64].mean(axis=0)
        np.testing.assert_allclose(first / np.linalg.norm(first, axis=1).max(), subset, atol=1e-5)
    with pytest.raises(ValueError, match="point_order must be one of first, random, got 'shuffled'"):
        labelled_dataset("synthetic_shapes", "test", num_points=8, batch_size=4, data_dir=shapes_data_dir,
                         point_order="shuffled")


@pytest.mark.parametrize(
    "change,message",
    [
        (dict(global_points=500), "global_points=500"),
        (dict(num_global=1), "num_global must be >= 2"),
        (dict(local_ratio=(0.6, 0.2)), "local_ratio"),
        (dict(global_sampling="grid"), "crops.global_sampling must be 'random', 'fps' or 'mixed', got 'grid'"),
    ],
)
def test_bad_crop_settings_are_named(change, message):
    crops = dataclasses.replace(CropConfig(global_points=32, local_points=16), **change)
    with pytest.raises(ValueError, match=message):
        validate_config(TrainConfig(num_points=64, crops=crops))


def test_worker_shards_split_each_global_batch(shapes_data_dir):
    """Two shards with half batches hold exactly the global batch's clouds, cropped identically (clouds
    0, 2 / 1, 3); their half-resolution copies get their own seeds."""
    config = small_config(shapes_data_dir)
    whole = first_batches(pretraining_dataset(config))
    shards = [first_batches(pretraining_dataset(config, shard=(k, 2), batch_size=2)) for k in range(2)]
    for step in range(2):
        for name in ("global", "local", "label"):
            for k in range(2):
                np.testing.assert_array_equal(shards[k][step][name], whole[step][name][k::2])
    assert not np.allclose(shards[0][0]["half"], shards[1][0]["half"])
    again = first_batches(pretraining_dataset(config, shard=(1, 2), batch_size=2))
    for name in again[0]:
        np.testing.assert_array_equal(again[0][name], shards[1][0][name])
