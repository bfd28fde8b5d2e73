"""Shared backbone tests, parametrised over every registered backbone (tiny widths, few points)."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from dcglr_tf.dcglr import DCGLR
from dcglr_tf.models import backbone_names, build_backbone
from dcglr_tf.models.registry import backbone_class
from dcglr_tf.models.vit3d import TransformerBlock
from dcglr_tf.ops.points import farthest_point_sample, gather_points, normalize_unit_sphere

# Tiny sizes per backbone, on top of the "embedded" preset; a backbone not listed runs its embedded preset.
TINY = {
    "dgcnn": dict(widths=(8, 8, 16, 16), k=8, emb_dim=32),
    "pct": dict(embed_dim=8, sg_widths=(16, 16), num_samples=(16, 8), k=8, num_attention=2, emb_dim=32),
    "pointnet": dict(widths=(8, 16, 32)),
    "vit3d": dict(dim=16, depth=2, num_heads=8, mlp_ratio=2.0, patch_size=8, patch_mlp=(8, 16), pos_hidden=8),
}
BATCH, POINTS = 2, 32
NAMES = backbone_names()


def tiny(name):
    keras.utils.set_random_seed(0)
    model = build_backbone(name, "embedded", **TINY.get(name, {}))
    model.build((None, None, 3))
    return model


def cloud(num_points=POINTS, batch=BATCH, seed=0):
    return tf.constant(np.random.default_rng(seed).normal(size=(batch, num_points, 3)).astype("float32"))


def assert_close(a, b, atol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=atol)


def test_expected_backbones_registered():
    assert {"dgcnn", "pct", "pointnet", "vit3d"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_presets_and_output_shapes(name):
    assert {"paper", "embedded"} <= set(backbone_class(name).presets)
    model = tiny(name)
    points = cloud()
    out = model(points, training=False)
    assert tuple(out.shape) == (BATCH, model.output_dim)
    assert np.all(np.isfinite(out))
    if model.has_point_features:
        features = model.point_features(points, training=False)
        assert tuple(features.shape) == (BATCH, POINTS, model.point_feature_dim)


@pytest.mark.parametrize("name", NAMES)
def test_permutation_invariance(name):
    # FPS-based backbones start sampling at point 0, so point 0 stays first and the others are shuffled.
    model = tiny(name)
    points = cloud()
    order = np.concatenate([[0], 1 + np.random.default_rng(1).permutation(POINTS - 1)])
    shuffled = tf.gather(points, order, axis=1)
    assert_close(model(points, training=False), model(shuffled, training=False))


@pytest.mark.parametrize("name", NAMES)
def test_gradient_reaches_every_trainable_weight(name):
    model = tiny(name)
    points = cloud()
    target = tf.random.stateless_normal((BATCH, model.output_dim), seed=(1, 2))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(points, training=True) * target)
    grads = tape.gradient(loss, model.trainable_weights)
    assert model.trainable_weights
    missing = [w.path for w, g in zip(model.trainable_weights, grads) if g is None or not np.any(np.asarray(g))]
    assert not missing, f"no gradient for {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    model = tiny(name)
    config = json.loads(json.dumps(model.get_config()))
    clone = type(model).from_config(config)
    clone.build((None, None, 3))
    clone.set_weights(model.get_weights())
    points = cloud()
    assert clone.output_dim == model.output_dim and clone.min_points == model.min_points
    assert_close(model(points, training=False), clone(points, training=False))


@pytest.mark.parametrize("name", NAMES)
def test_max_points_embeds_dense_clouds_from_their_fps_samples(name):
    """With max_points M, a cloud of N > M points has the embedding of its M farthest-point samples, so the
    global feature sees the same density whatever the input's; clouds of <= M points are used whole."""
    keras.utils.set_random_seed(0)
    model = build_backbone(name, "embedded", max_points=POINTS, **TINY.get(name, {}))
    model.build((None, None, 3))
    dense, sparse = cloud(num_points=3 * POINTS), cloud(num_points=POINTS - 4)
    fps_subset = normalize_unit_sphere(gather_points(dense, farthest_point_sample(dense, POINTS)))
    assert_close(model(dense, training=False), model(fps_subset, training=False))
    # A cloud stored in farthest-point order (as ModelNet40's resampled files) embeds the same from any prefix of
    # at least max_points points, each prefix normalised as the exported encoder does.
    ordered = gather_points(dense, farthest_point_sample(dense, 3 * POINTS))
    prefixes = [model(normalize_unit_sphere(ordered[:, :n]), training=False) for n in (POINTS, 2 * POINTS, 3 * POINTS)]
    for other in prefixes[1:]:
        assert_close(prefixes[0], other, atol=1e-4)
    clone = type(model).from_config(json.loads(json.dumps(model.get_config())))
    assert clone.max_points == POINTS
    unlimited = type(model).from_config({**model.get_config(), "max_points": None})
    unlimited.build((None, None, 3))
    unlimited.set_weights(model.get_weights())
    assert_close(model(sparse, training=False), unlimited(sparse, training=False))
    assert not np.allclose(model(dense, training=False), unlimited(dense, training=False), atol=1e-4)


def test_vit3d_drop_path_drops_whole_residual_branches_in_training_only():
    keras.utils.set_random_seed(0)
    block = TransformerBlock(16, 4, 2.0, drop_path=0.5)
    plain = TransformerBlock(16, 4, 2.0)
    x = tf.random.normal([64, 5, 16])
    block.build(x.shape)
    plain.build(x.shape)
    plain.set_weights(block.get_weights())
    assert_close(block(x, training=False), plain(x, training=False))
    out = block(x, training=True).numpy()
    untouched = np.all(np.isclose(out, x.numpy()), axis=(1, 2))  # both branches dropped for this sample
    assert 0 < untouched.sum() < 64
    model = DCGLR(backbone="vit3d", backbone_preset="embedded",
                  backbone_args={**TINY["vit3d"], "drop_path": 0.1}, head_args=dict(out_dim=8, hidden_dim=8, bottleneck_dim=4))
    model.build((None, POINTS, 3))
    assert model.student_backbone.blocks[-1].drop_path == 0.1 and model.teacher_backbone.drop_path == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_keras_file_round_trip(name, tmp_path):
    model = tiny(name)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    points = cloud()
    assert_close(model(points, training=False), loaded(points, training=False))


@pytest.mark.parametrize("name", NAMES)
def test_xla_forward_and_gradient(name):
    model = tiny(name)
    points = cloud()

    @tf.function(jit_compile=True)
    def forward_and_gradient(x):  # one compilation for both, to keep the test fast
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(model(x, training=True)))
        return model(x, training=False), tape.gradient(loss, model.trainable_weights)

    inference, grads = forward_and_gradient(points)
    assert_close(inference, model(points, training=False), atol=1e-4)
    assert all(np.all(np.isfinite(g)) for g in grads)


@pytest.mark.parametrize("name", NAMES)
def test_too_few_points_names_the_minimum(name):
    model = tiny(name)
    with pytest.raises(ValueError, match=rf"at least {model.min_points} points"):
        model(cloud(num_points=model.min_points - 1), training=False)
    model(cloud(num_points=model.min_points), training=False)  # the minimum itself works


def dynamic_graph(model):
    """The backbone as a graph with unknown batch and point count, as in an exported encoder."""
    return tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec((None, None, 3))])


@pytest.mark.parametrize("name", NAMES)
def test_dynamic_point_count(name):
    model = tiny(name)
    serve = dynamic_graph(model)
    for num_points in (model.min_points, POINTS + 8):
        points = cloud(num_points=num_points)
        assert_close(serve(points), model(points, training=False))


@pytest.mark.parametrize("name", NAMES)
def test_dynamic_too_few_points_names_the_minimum(name):
    model = tiny(name)
    if model.min_points == 1:
        pytest.skip("any non-empty cloud works")
    with pytest.raises(tf.errors.InvalidArgumentError, match=rf"at least {model.min_points} points"):
        dynamic_graph(model)(cloud(num_points=model.min_points - 1))


@pytest.mark.parametrize("name", NAMES)
def test_embedded_preset_takes_the_embedded_local_views(name):
    from dcglr_tf.presets import embedded_config

    crops = embedded_config().crops
    model = build_backbone(name, "embedded")
    assert model.min_points <= min(crops.local_points, crops.global_points)


def test_vit3d_attention_maps():
    model = tiny("vit3d")
    points = cloud(num_points=POINTS + 7)  # S = 39 // 8 = 4
    maps = model.attention_maps(points)
    patches = (POINTS + 7) // model.patch_size
    assert tuple(maps["attention"].shape) == (BATCH, model.num_heads, patches)
    assert tuple(maps["centres"].shape) == (BATCH, patches, 3)
    assert tuple(maps["class_self"].shape) == (BATCH, model.num_heads)
    assert np.all(np.asarray(maps["attention"]) >= 0)
    assert_close(tf.reduce_sum(maps["attention"], axis=-1), np.ones((BATCH, model.num_heads)))
    # centres are input points, the first one being point 0 (deterministic FPS start)
    assert_close(maps["centres"][:, 0], points[:, 0])
    dist = tf.reduce_min(tf.norm(maps["centres"][:, :, None] - points[:, None], axis=-1), axis=-1)
    assert_close(dist, np.zeros((BATCH, patches)))


def test_pct_centre_counts_and_published_size():
    model = build_backbone("pct", "paper")
    assert model.min_points == 2 * model.k == 64
    model.build((None, None, 3))
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 2_208_704  # the published encoder (2.88 M network minus its 667,432-parameter classifier)
    assert model.output_dim == 2048


# ---- integration with the DCGLR model and the encoder export (skipped until those modules exist) ----------


@pytest.mark.parametrize("name", NAMES)
def test_two_dcglr_training_steps(name):
    dcglr = pytest.importorskip("dcglr_tf.dcglr")
    keras.utils.set_random_seed(0)
    model = dcglr.DCGLR(
        backbone=name,
        backbone_preset="embedded",
        backbone_args=TINY.get(name, {}),
        head_args=dict(out_dim=16, hidden_dim=16, bottleneck_dim=8),
        total_steps=2,
    )
    model.build((None, POINTS, 3))
    # Eager: tracing the whole train step (teacher + two student point counts + gradients) costs 10-25 s per
    # backbone on our CPUs, while the compiled backbone paths are covered by test_xla_forward_and_gradient.
    model.compile(optimizer=keras.optimizers.AdamW(1e-3), run_eagerly=True)
    rng = np.random.default_rng(0)
    views = {
        "global": rng.normal(size=(4, 2, POINTS, 3)).astype("float32"),
        "local": rng.normal(size=(4, 2, POINTS // 2, 3)).astype("float32"),
        "half": rng.normal(size=(4, 1, POINTS // 2, 3)).astype("float32"),
    }
    student_before = [np.array(w) for w in model.student_backbone.trainable_weights]
    teacher_before = [np.array(w) for w in model.teacher_backbone.weights]
    history = model.fit(tf.data.Dataset.from_tensors(views).repeat(2), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    after = [np.array(w) for w in model.student_backbone.trainable_weights]
    assert all(not np.allclose(a, b) for a, b in zip(student_before, after)), "a student backbone weight did not move"
    assert any(not np.allclose(a, np.array(w)) for a, w in zip(teacher_before, model.teacher_backbone.weights))
    assert tuple(model(views["global"][:, 0]).shape) == (4, model.embedding_dim)


@pytest.mark.parametrize("name", NAMES)
def test_export_round_trip(name, tmp_path):
    export = pytest.importorskip("dcglr_tf.export")
    model = tiny(name)
    path = export.export_encoder(model, str(tmp_path / "encoder"))
    encoder = export.load_encoder(path)
    for num_points in (model.min_points, POINTS + 5):  # one export serves any N >= the minimum
        points = cloud(num_points=num_points)
        out = encoder(np.asarray(points))
        assert out.shape == (BATCH, model.output_dim)
        assert_close(out, model(normalize_unit_sphere(points), training=False))
    if model.min_points > 1:
        with pytest.raises(tf.errors.InvalidArgumentError, match=str(model.min_points)):
            encoder._serve(tf.constant(np.asarray(cloud(num_points=model.min_points - 1))))
