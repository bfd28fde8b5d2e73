"""EdgeConv's edge-free formulation against the plain one (gather every edge, batch norm, LeakyReLU, max over k)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dcglr_tf.models.dgcnn import EdgeConv
from dcglr_tf.ops.points import gather_points, knn, neighbour_counts, neighbour_max_and_sum

BATCH, POINTS, CHANNELS, UNITS, K = 2, 24, 5, 6, 5
TARGET = tf.constant(np.random.default_rng(9).normal(size=(BATCH, POINTS, UNITS)).astype("float32"))


def edge_tensor_reference(layer, x, training):
    """The formulation EdgeConv replaces: the (B, N, k, units) edge tensor through Keras's BatchNormalization."""
    idx = knn(x, x, layer.k)
    edges = gather_points(layer.neighbour(x), idx) + (layer.centre(x) - layer.neighbour(x))[:, :, None, :]
    return tf.reduce_max(keras.ops.leaky_relu(layer.norm(edges, training=training), layer.negative_slope), axis=2)


def make_layer(seed=0):
    """A built EdgeConv whose BN has negative and positive scales, an offset and non-trivial moving statistics."""
    keras.utils.set_random_seed(seed)
    layer = EdgeConv(UNITS, K)
    layer.build((None, None, CHANNELS))
    rng = np.random.default_rng(seed)
    layer.norm.gamma.assign(rng.uniform(0.5, 1.5, UNITS) * np.where(np.arange(UNITS) % 2, -1.0, 1.0))
    layer.norm.beta.assign(rng.normal(size=UNITS))
    layer.norm.moving_mean.assign(rng.normal(size=UNITS))
    layer.norm.moving_variance.assign(rng.uniform(0.5, 2.0, UNITS))
    return layer


def values_and_grads(layer, formulation, x, training):
    """Output, gradients (input and every trainable weight) of a random projection, and the BN moving stats."""
    start = [np.array(v) for v in layer.norm.non_trainable_weights]
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = formulation(layer, x, training)
        loss = tf.reduce_sum(out * TARGET)
    grads = tape.gradient(loss, [x] + layer.trainable_weights)
    moving = [np.array(v) for v in layer.norm.non_trainable_weights]
    for variable, value in zip(layer.norm.non_trainable_weights, start):
        variable.assign(value)
    return [np.asarray(out)] + [np.asarray(g) for g in grads] + moving


def new_formulation(layer, x, training):
    return layer(x, training=training)


@pytest.mark.parametrize("training", [True, False])
def test_edge_free_edgeconv_equals_edge_tensor_formulation(training):
    layer = make_layer()
    x = tf.constant(np.random.default_rng(1).normal(size=(BATCH, POINTS, CHANNELS)).astype("float32") * 2.0 + 1.0)
    expected = values_and_grads(layer, edge_tensor_reference, x, training)
    actual = values_and_grads(layer, new_formulation, x, training)
    names = ["output", "d_input"] + [w.path for w in layer.trainable_weights] + ["moving_mean", "moving_variance"]
    for name, a, e in zip(names, actual, expected):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-4, err_msg=name)
    assert np.abs(expected[1]).max() > 0.1  # the gradients compared are not vacuous


def test_edge_free_edgeconv_equals_reference_under_xla():
    layer = make_layer(seed=2)
    x = tf.constant(np.random.default_rng(2).normal(size=(BATCH, POINTS, CHANNELS)).astype("float32"))
    expected = values_and_grads(layer, edge_tensor_reference, x, True)
    compiled = tf.function(lambda x: values_and_grads_graph(layer, x), jit_compile=True)
    for a, e in zip(compiled(x), expected):
        np.testing.assert_allclose(np.asarray(a), e, rtol=1e-4, atol=1e-4)


def values_and_grads_graph(layer, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = layer(x, training=True)
        loss = tf.reduce_sum(out * TARGET)
    return [out] + tape.gradient(loss, [x] + layer.trainable_weights) + list(layer.norm.non_trainable_weights)


def test_neighbour_max_and_sum_match_the_gathered_reductions():
    rng = np.random.default_rng(0)
    features = tf.constant(rng.normal(size=(2, 7, 3)).astype("float32"))
    idx = np.stack([rng.permutation(7)[:4] for _ in range(2 * 6)]).reshape(2, 6, 4).astype("int32")
    weights = tf.constant(rng.normal(size=(2, 2, 6, 3)).astype("float32"))

    def grad_of(reductions):
        with tf.GradientTape() as tape:
            tape.watch(features)
            high, total = reductions(features)
            loss = tf.reduce_sum(high * weights[0] + total * weights[1])
        return (high, total), tape.gradient(loss, features)

    def gathered_reductions(f):
        gathered = gather_points(f, idx)
        return tf.reduce_max(gathered, 2), tf.reduce_sum(gathered, 2)

    (high, total), grad = grad_of(lambda f: neighbour_max_and_sum(f, idx))
    _, reference_grad = grad_of(gathered_reductions)
    gathered = np.stack([f[i] for f, i in zip(np.asarray(features), idx)])
    np.testing.assert_allclose(high, gathered.max(axis=2), rtol=1e-6)
    np.testing.assert_allclose(total, gathered.sum(axis=2), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, reference_grad, rtol=1e-5, atol=1e-6)
    compiled = tf.function(lambda f: neighbour_max_and_sum(f, idx), jit_compile=True)
    np.testing.assert_allclose(compiled(features)[0], high, rtol=1e-6)


def test_tied_max_passes_its_gradient_to_the_first_tied_neighbour():
    features = tf.constant([[[1.0], [5.0], [5.0], [0.0]]])
    idx = tf.constant([[[3, 2, 1]]])  # slots 1 and 2 (points 2 and 1) tie at the max
    with tf.GradientTape() as tape:
        tape.watch(features)
        high, _ = neighbour_max_and_sum(features, idx)
    np.testing.assert_array_equal(tape.gradient(high, features), [[[0.0], [0.0], [1.0], [0.0]]])


def test_neighbour_counts_are_in_degrees():
    idx = np.array([[[0, 1], [1, 2], [1, 0]], [[2, 2], [0, 1], [2, 1]]], "int32")
    expected = [[np.sum(idx[b] == m) for m in range(3)] for b in range(2)]
    np.testing.assert_array_equal(neighbour_counts(idx, 3), expected)
