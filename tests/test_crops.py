"""Crop / resample / augmentation transforms."""

import math

import numpy as np
import pytest
import tensorflow as tf

from dcglr_tf.config import CropConfig
from dcglr_tf.data import crops

N = 64


@pytest.fixture
def cloud():
    return np.random.default_rng(2).normal(size=(N, 3)).astype(np.float32)


def nearest_sets(cloud, size):
    dist = np.sum((cloud[:, None] - cloud[None]) ** 2, axis=-1)
    return [set(np.argsort(row)[:size]) for row in dist]


@pytest.mark.parametrize("ratio,num_out", [(0.5, 16), (0.9, 40), (0.2, 30)])
def test_crop_indices_are_a_crop_around_some_point(cloud, ratio, num_out):
    size = math.ceil(ratio * N)
    for s in range(5):
        idx = crops.crop_indices(tf.constant(cloud), tf.constant(ratio), num_out, tf.constant([s, 7])).numpy()
        assert idx.shape == (num_out,)
        assert any(set(idx) <= crop for crop in nearest_sets(cloud, size))
        if size >= num_out:
            assert len(set(idx)) == num_out  # without replacement
        else:
            assert len(set(idx)) == size  # every crop point reaches the view


@pytest.mark.parametrize("ratio,num_out", [(0.2, 30), (0.5, 32), (0.3, 64), (1.0, 200)])
def test_a_crop_smaller_than_its_view_keeps_every_point_and_pads_evenly(cloud, ratio, num_out):
    """Filling a view from a smaller crop loses no crop point: each appears floor(num_out / size) or one more
    times, and the repeats are spread over the view (not a block at its end)."""
    size = min(math.ceil(ratio * N), N)
    for s in range(5):
        idx = crops.crop_indices(tf.constant(cloud), tf.constant(ratio), num_out, tf.constant([s, 3])).numpy()
        assert any(set(idx) == crop for crop in nearest_sets(cloud, size))
        counts = np.bincount(idx, minlength=N)[np.unique(idx)]
        assert counts.min() == num_out // size and counts.max() <= num_out // size + 1
    first_half = crops.crop_indices(tf.constant(cloud), tf.constant(0.5), 2 * 32, tf.constant([0, 3])).numpy()[:32]
    assert len(set(first_half)) < 32  # repeats are shuffled into the view, not appended after it


def test_keep_uses_that_many_crop_points_each_padded_evenly(cloud):
    """`keep`: a random share of the crop reaches the view, every kept point floor(num_out / keep) or one more
    times; `keep` beyond the crop's size uses the whole crop."""
    for keep, used in ((12, 12), (20, 20), (100, 32)):
        idx = crops.crop_indices(tf.constant(cloud), tf.constant(0.5), N, tf.constant([4, 1]), keep=keep).numpy()
        assert len(set(idx)) == used and any(set(idx) <= crop for crop in nearest_sets(cloud, 32))
        counts = np.bincount(idx, minlength=N)[np.unique(idx)]
        assert counts.min() == N // used and counts.max() <= N // used + 1


def test_sampled_density_is_log_uniform_between_the_view_and_the_crop():
    draws = np.array([int(crops.sampled_density(tf.constant(0.8), 1000, 100, tf.constant([s, 0])))
                      for s in range(100)])
    assert draws.min() >= 100 and draws.max() <= 800
    logs = np.log(draws)  # uniform on [log 100, log 800]: median near sqrt(100 * 800) ~ 283, not the mean 450
    assert abs(np.median(draws) - 283) < 45 and abs(logs.mean() - np.log(283)) < 0.15
    assert int(crops.sampled_density(tf.constant(0.1), 1000, 128, tf.constant([0, 0]))) == 100  # crop < view


def test_crop_and_resample_returns_points_of_the_cloud(cloud):
    out = crops.crop_and_resample(tf.constant(cloud), tf.constant(0.7), 20, tf.constant([1, 2])).numpy()
    assert all(np.any(np.all(cloud == p, axis=1)) for p in out)


def test_crop_size_is_ceil_of_ratio():
    for ratio in (0.2, 0.37, 0.5, 1.0):
        assert int(crops.crop_size(tf.constant(ratio), 100)) == math.ceil(ratio * 100)
    assert int(crops.crop_size(tf.constant(0.001), 100)) == 1


def test_local_crop_extent_follows_ratio_range(cloud):
    """Views of N points from crops of ceil(r N) points, r ~ U(0.2, 0.5), hold exactly the crop's points."""
    config = CropConfig(num_global=2, global_points=8, num_local=8, local_points=N, scale_range=(1, 1), jitter_sigma=0.0)
    distinct = []
    for s in range(6):
        views = crops.multi_crop(tf.constant(crops_normalised(cloud)), tf.constant([s, 0]), config)
        for view in views["local"].numpy():
            distinct.append(len(np.unique(np.round(view, 5), axis=0)))
    assert max(distinct) <= math.ceil(0.5 * N)
    assert min(distinct) >= math.ceil(0.2 * N)


def crops_normalised(cloud):
    from dcglr_tf.ops.points import normalize_unit_sphere

    return normalize_unit_sphere(cloud).numpy()


def test_multi_crop_shapes_and_determinism(cloud):
    config = CropConfig(global_points=32, num_local=3, local_points=12)
    a = crops.multi_crop(tf.constant(cloud), tf.constant([5, 5]), config)
    b = crops.multi_crop(tf.constant(cloud), tf.constant([5, 5]), config)
    c = crops.multi_crop(tf.constant(cloud), tf.constant([5, 6]), config)
    assert a["global"].shape == (2, 32, 3) and a["local"].shape == (3, 12, 3)
    np.testing.assert_array_equal(a["global"].numpy(), b["global"].numpy())
    assert not np.allclose(a["global"].numpy(), c["global"].numpy())


def test_augment_scale_and_jitter_bounds(cloud):
    points = tf.constant(np.stack([cloud, cloud]))
    seed = tf.constant([0, 1])
    out = crops.augment(points, seed, scale_range=(0.8, 1.25), jitter_sigma=0.01, jitter_clip=0.02).numpy()
    scaled = crops.augment(points, seed, scale_range=(0.8, 1.25), jitter_sigma=0.0).numpy()
    scale = scaled / cloud  # one anisotropic scale per cloud and axis
    np.testing.assert_allclose(scale, np.broadcast_to(scale[:, :1], scale.shape), rtol=1e-4)
    assert np.all((scale > 0.8 - 1e-6) & (scale < 1.25 + 1e-6))
    assert not np.allclose(scale[0, 0], scale[1, 0])  # each cloud gets its own scale
    jitter = np.abs(out - scaled)
    assert 0 < jitter.max() <= 0.02 + 1e-6


def test_augment_rotation_keeps_height_and_radius(cloud):
    out = crops.augment(tf.constant(cloud[None]), tf.constant([3, 3]), scale_range=(1, 1), jitter_sigma=0.0, rotate=True).numpy()[0]
    np.testing.assert_allclose(out[:, 1], cloud[:, 1], atol=1e-5)
    np.testing.assert_allclose(np.hypot(out[:, 0], out[:, 2]), np.hypot(cloud[:, 0], cloud[:, 2]), atol=1e-5)


def numpy_fps_views(cloud, size):
    """Every farthest-point sample of `size` points of `cloud`, one per start point, each normalised into the unit
    sphere: (N, size, 3)."""
    views = []
    for start in range(len(cloud)):
        picks, dist = [start], np.sum((cloud - cloud[start]) ** 2, axis=-1)
        while len(picks) < size:
            picks.append(int(np.argmax(dist)))
            dist = np.minimum(dist, np.sum((cloud - cloud[picks[-1]]) ** 2, axis=-1))
        view = cloud[picks] - cloud[picks].mean(axis=0)
        views.append(view / np.linalg.norm(view, axis=-1).max())
    return np.stack(views)


def test_half_resolution_views_are_fps_subsets(cloud):
    """Without scaling and jitter each view is the normalised farthest-point sample of N/2 points from some start
    (the NumPy reference from every start point), a different start per view."""
    clouds = np.stack([cloud, cloud[::-1]])
    config = CropConfig(num_half_res=2, scale_range=(1, 1), jitter_sigma=0.0)
    views = crops.half_resolution_views(tf.constant(clouds), tf.constant([0, 9]), config).numpy()
    assert views.shape == (2, 2, N // 2, 3)
    for source, cloud_views in zip(clouds, views):
        references = numpy_fps_views(source, N // 2)
        starts = [np.flatnonzero(np.abs(references - view).max(axis=(1, 2)) < 1e-5) for view in cloud_views]
        assert all(len(found) for found in starts)  # each view is an FPS sample of its cloud
        assert not set(starts[0]) & set(starts[1])  # different random starts


def test_farthest_point_views_pick_every_distinct_point_once(cloud):
    """Crops of 16 distinct points padded by repeats to 48: the 16 farthest-point samples are each distinct
    point exactly once (whatever the random start), re-normalised like a cloud of those points."""
    rng = np.random.default_rng(0)
    distinct = cloud[:16]
    padded = np.stack([np.concatenate([distinct, distinct[rng.integers(0, 16, 32)]])[rng.permutation(48)]
                       for _ in range(3)]).reshape(1, 3, 48, 3)
    config = CropConfig(global_points=16, scale_range=(1, 1), jitter_sigma=0.0)
    views = crops.farthest_point_views(tf.constant(padded), tf.constant([4, 2]), config).numpy()
    assert views.shape == (1, 3, 16, 3)
    expected = crops.normalize_unit_sphere(tf.constant(distinct)).numpy()
    for view in views[0]:
        order = np.lexsort(view.T)
        np.testing.assert_allclose(view[order], expected[np.lexsort(expected.T)], atol=1e-5)


def test_select_points_first_and_random(cloud):
    np.testing.assert_array_equal(crops.select_points(tf.constant(cloud), 10).numpy(), cloud[:10])
    subset = crops.select_points(tf.constant(cloud), 10, tf.constant([1, 1])).numpy()
    assert len(np.unique(subset, axis=0)) == 10
    with pytest.raises(tf.errors.InvalidArgumentError, match="fewer points than the requested num_points=100"):
        crops.select_points(tf.constant(cloud), 100)
