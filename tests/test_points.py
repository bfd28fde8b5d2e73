"""Point ops against NumPy references."""

import numpy as np
import pytest
import tensorflow as tf

from dcglr_tf.ops.points import (
    farthest_point_downsample,
    farthest_point_sample,
    gather_points,
    knn,
    normalize_unit_sphere,
    pairwise_sq_distances,
)


def numpy_fps(points, num_samples, start):
    picks = [start]
    dist = np.sum((points - points[start]) ** 2, axis=-1)
    for _ in range(num_samples - 1):
        picks.append(int(np.argmax(dist)))
        dist = np.minimum(dist, np.sum((points - points[picks[-1]]) ** 2, axis=-1))
    return np.array(picks)


@pytest.fixture
def clouds():
    return np.random.default_rng(1).normal(size=(3, 50, 3)).astype(np.float32)


def test_normalize_unit_sphere_centres_and_scales(clouds):
    out = normalize_unit_sphere(clouds * 5.0 + 3.0).numpy()
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1).max(axis=1), 1.0, rtol=1e-5)
    centred = clouds - clouds.mean(axis=1, keepdims=True)
    expected = centred / np.linalg.norm(centred, axis=-1).max(axis=1)[:, None, None]
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_normalize_degenerate_cloud_is_finite():
    out = normalize_unit_sphere(np.ones((1, 10, 3), np.float32)).numpy()
    assert np.all(np.isfinite(out)) and np.allclose(out, 0.0)


def test_pairwise_distances_match_numpy(clouds):
    queries = clouds[:, :7]
    expected = np.sum((queries[:, :, None] - clouds[:, None]) ** 2, axis=-1)
    np.testing.assert_allclose(pairwise_sq_distances(queries, clouds).numpy(), expected, atol=1e-4)


def test_knn_matches_numpy_argsort(clouds):
    idx = knn(clouds, clouds, 5).numpy()
    dist = np.sum((clouds[:, :, None] - clouds[:, None]) ** 2, axis=-1)
    np.testing.assert_array_equal(idx, np.argsort(dist, axis=-1)[..., :5])
    assert np.all(idx[..., 0] == np.arange(50))  # each point is its own nearest neighbour


def test_knn_too_few_points_is_a_clear_error(clouds):
    with pytest.raises(ValueError, match="at least 60 points"):
        knn(clouds, clouds, 60)


def test_gather_points(clouds):
    idx = np.array([[0, 4], [1, 1], [49, 2]])
    np.testing.assert_array_equal(gather_points(clouds, idx).numpy(), np.stack([c[i] for c, i in zip(clouds, idx)]))


@pytest.mark.parametrize("jit", [False, True])
def test_fps_matches_numpy_with_random_start(clouds, jit):
    start = np.array([3, 0, 17], np.int32)
    fps = tf.function(lambda p, s: farthest_point_sample(p, 12, start_index=s), jit_compile=jit)
    got = fps(tf.constant(clouds), tf.constant(start)).numpy()
    expected = np.stack([numpy_fps(c, 12, s) for c, s in zip(clouds, start)])
    np.testing.assert_array_equal(got, expected)
    assert all(len(set(row)) == 12 for row in got)


def test_fps_default_start_is_zero(clouds):
    got = farthest_point_sample(clouds, 4).numpy()
    np.testing.assert_array_equal(got[:, 0], 0)


def test_farthest_point_downsample_keeps_small_clouds_and_fps_samples_large_ones(clouds):
    points = tf.constant(clouds)
    assert farthest_point_downsample(points, 50) is points  # N <= max_points: unchanged
    out = farthest_point_downsample(points, 20).numpy()
    expected = np.stack([c[numpy_fps(c, 20, 0)] for c in clouds])
    np.testing.assert_array_equal(out, expected)
    dynamic = tf.function(lambda p: farthest_point_downsample(p, 20),
                          input_signature=[tf.TensorSpec([None, None, 3], tf.float32)])
    np.testing.assert_array_equal(dynamic(points).numpy(), expected)
    np.testing.assert_array_equal(dynamic(points[:, :15]).numpy(), clouds[:, :15])
    renormalised = farthest_point_downsample(points, 20, normalize=True).numpy()
    np.testing.assert_allclose(renormalised, normalize_unit_sphere(expected).numpy(), atol=1e-6)
