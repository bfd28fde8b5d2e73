"""The DCGLR model: loss against NumPy, one train step's updates, freezing, distribution, serialisation."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dcglr_tf.dcglr import DCGLR
from dcglr_tf.losses import dcglr_loss, koleo_loss
from dcglr_tf.schedules import ScheduledAdamW, WarmupCosine

TINY_BACKBONE = dict(widths=(8, 8), k=4, emb_dim=16)
TINY_HEAD = dict(out_dim=32, hidden_dim=16, bottleneck_dim=8)
TINY_POINTNET = dict(widths=(8, 16))


def numpy_loss(teacher, student_g, student_l, center, tt, ts):
    def softmax(x):
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    targets = softmax((teacher - center) / tt)
    log_g = np.log(softmax(student_g / ts))
    log_l = np.log(softmax(student_l / ts))
    ce = lambda t, s: -np.mean(np.sum(t * s, axis=-1))  # noqa: E731
    pairs_g = [ce(targets[i], log_g[j]) for i in range(len(teacher)) for j in range(len(student_g)) if i != j]
    pairs_l = [ce(targets[i], log_l[j]) for i in range(len(teacher)) for j in range(len(student_l))]
    return np.mean(pairs_g), np.mean(pairs_l)


@pytest.mark.parametrize("num_global", [2, 3])
def test_loss_matches_numpy(num_global):
    rng = np.random.default_rng(0)
    teacher = rng.normal(size=(num_global, 4, 10)).astype(np.float32)
    student_g = rng.normal(size=(num_global, 4, 10)).astype(np.float32)
    student_l = rng.normal(size=(5, 4, 10)).astype(np.float32)
    center = rng.normal(size=(1, 10)).astype(np.float32) * 0.1
    loss_g, loss_l, targets = dcglr_loss(teacher, student_g, student_l, center, 0.04, 0.1)
    expected_g, expected_l = numpy_loss(teacher, student_g, student_l, center, 0.04, 0.1)
    np.testing.assert_allclose(float(loss_g), expected_g, rtol=1e-4)
    np.testing.assert_allclose(float(loss_l), expected_l, rtol=1e-4)
    np.testing.assert_allclose(targets.numpy().sum(-1), 1.0, rtol=1e-5)


def test_koleo_loss_matches_numpy_and_its_gradient_spreads_a_batch():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(7, 5)).astype(np.float32)
    x = features / np.linalg.norm(features, axis=1, keepdims=True)
    similarity = x @ x.T - 3 * np.eye(7)
    distances = np.linalg.norm(x - x[similarity.argmax(1)] + 1e-8, axis=1)
    np.testing.assert_allclose(float(koleo_loss(features)), -np.mean(np.log(distances + 1e-8)), rtol=1e-5)

    clustered = tf.Variable(1.0 + 0.05 * rng.normal(size=(8, 4)).astype(np.float32))  # all near one direction

    def nearest_distance():
        x = tf.math.l2_normalize(clustered, axis=1).numpy()
        gaps = np.linalg.norm(x[:, None] - x[None], axis=-1) + 9 * np.eye(8)
        return gaps.min()

    before = nearest_distance()
    for _ in range(20):
        with tf.GradientTape() as tape:
            loss = koleo_loss(clustered)
        clustered.assign_sub(0.05 * tape.gradient(loss, clustered))
    assert nearest_distance() > 2 * before


def test_koleo_term_is_added_on_the_global_features_and_logged():
    model = make_model(koleo_weight=0.5)
    views = {name: tf.constant(value) for name, value in make_batch().items()}
    _, _, features = model.student_views(views, training=True)  # the step's forward pass (no dropout in DGCNN)
    expected = np.mean([float(koleo_loss(features[i])) for i in range(2)])
    logs = model.train_step(views)
    np.testing.assert_allclose(float(logs["koleo"]), expected, rtol=1e-4)
    np.testing.assert_allclose(float(logs["loss"]), float(logs["loss_g"] + logs["loss_l"]) + 0.5 * expected, rtol=1e-4)
    assert "koleo" not in make_model().train_step(views)  # weight 0: the paper's loss, nothing logged
    assert DCGLR.from_config(model.get_config()).koleo_weight == 0.5
    single = {name: tf.constant(value) for name, value in make_batch(batch=1).items()}
    with pytest.raises(ValueError, match="at least 2 clouds per replica batch"):
        model.train_step(single)


def make_model(backbone="dgcnn", backbone_args=TINY_BACKBONE, **kwargs):
    kwargs.setdefault("freeze_last_layer_steps", 0)
    kwargs.setdefault("momentum_start", 0.9)
    model = DCGLR(backbone=backbone, backbone_args=backbone_args, head_args=TINY_HEAD, total_steps=10, **kwargs)
    model.build((None, 16, 3))
    optimizer = ScheduledAdamW(WarmupCosine(0.04, 0.4, 10), learning_rate=WarmupCosine(1e-2, 1e-4, 10))
    model.compile(optimizer=optimizer, clip_norm=3.0, jit_compile=False)
    return model


def make_batch(batch=4, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "global": rng.normal(size=(batch, 2, 16, 3)).astype(np.float32),
        "local": rng.normal(size=(batch, 3, 8, 3)).astype(np.float32),
        "half": rng.normal(size=(batch, 2, 16, 3)).astype(np.float32),
    }


def snapshot(variables):
    return [np.array(v) for v in variables]


def test_teacher_starts_as_student_copy():
    model = make_model()
    for t, s in model._ema_pairs:
        np.testing.assert_array_equal(np.array(t), np.array(s))


def is_batch_norm_statistic(variable):
    return "moving_" in variable.path


def test_train_step_updates_student_teacher_and_centre_as_specified():
    model = make_model()
    batch = make_batch()
    flat = np.transpose(batch["global"], (1, 0, 2, 3)).reshape(-1, 16, 3)
    # The teacher normalises with batch statistics during training, so these are the step's teacher outputs.
    teacher_logits = model.teacher_head(model.teacher_backbone(flat, training=True), training=True).numpy()
    teacher_before = snapshot(t for t, _ in model._ema_pairs)
    logs = model.train_on_batch(batch, return_dict=True)

    student_after = snapshot(s for _, s in model._ema_pairs)
    teacher_after = snapshot(t for t, _ in model._ema_pairs)
    momentum = 0.9  # momentum schedule at step 0
    assert any(not np.allclose(a, b) for a, b in zip(student_after, teacher_before))
    checked = 0
    for (teacher_var, _), before, student, after in zip(model._ema_pairs, teacher_before, student_after, teacher_after):
        if is_batch_norm_statistic(teacher_var):  # also moved by the teacher's own forward pass
            assert np.all(np.isfinite(after)) and not np.allclose(after, before)
            continue
        np.testing.assert_allclose(after, momentum * before + (1 - momentum) * student, rtol=1e-5, atol=1e-6)
        checked += 1
    assert checked > 10
    np.testing.assert_allclose(np.array(model.center), 0.1 * teacher_logits.mean(axis=0, keepdims=True), atol=1e-5)
    assert set(logs) >= {"loss", "loss_g", "loss_l", "teacher_entropy", "learning_rate", "momentum", "center_kl"}
    assert 0 < logs["teacher_entropy"] <= np.log(TINY_HEAD["out_dim"]) + 1e-4
    np.testing.assert_allclose(logs["loss"], logs["loss_g"] + logs["loss_l"], rtol=1e-5)


def test_teacher_gets_no_gradient_and_is_not_trainable():
    model = make_model()
    trainable = {id(v) for v in model.trainable_variables}
    assert trainable == {id(v) for v in model.student_backbone.trainable_variables + model.student_head.trainable_variables}
    assert not trainable & {id(t) for t, _ in model._ema_pairs}


def adam_slots(model, variable):
    optimizer = model.optimizer
    index = optimizer._get_variable_index(variable)
    return np.array(optimizer._momentums[index]), np.array(optimizer._velocities[index])


def test_frozen_last_layer_and_its_adam_state_stay_unchanged_then_train_as_fresh_adam():
    model = make_model(freeze_last_layer_steps=2)
    kernel = model.student_head.last_layer_kernel
    other = model.student_head.mlp[0].kernel
    before, other_before = np.array(kernel), np.array(other)
    for seed in range(2):
        model.train_on_batch(make_batch(seed=seed))
        np.testing.assert_array_equal(np.array(kernel), before)  # bit-identical: no decay, no moment step
        for slot in adam_slots(model, kernel):
            np.testing.assert_array_equal(slot, 0.0)
    assert not np.allclose(np.array(other), other_before)  # the rest trains

    model.train_on_batch(make_batch(seed=2))  # step 2: the first unfrozen step
    lr, wd = float(WarmupCosine(1e-2, 1e-4, 10)(2)), float(WarmupCosine(0.04, 0.4, 10)(2))
    adam_step = before * (1 - lr * wd) - np.array(kernel)
    momentum, velocity = adam_slots(model, kernel)
    gradient = momentum / 0.1
    np.testing.assert_allclose(velocity, 0.001 * gradient**2, rtol=1e-4)  # one moment update, from zero
    # Keras's Adam step with the bias correction of t = 1 (a fresh start), not of the global step t = 3.
    expected = lr * np.sqrt(1 - 0.999) / (1 - 0.9) * momentum / (np.sqrt(velocity) + 1e-7)
    assert np.abs(expected).max() > 0.5 * lr
    np.testing.assert_allclose(adam_step, expected, rtol=1e-3, atol=1e-3 * lr)


def test_logged_schedules_are_the_values_the_step_used():
    model = make_model(momentum_start=0.9, momentum_end=1.0)
    lr, wd, momentum = WarmupCosine(1e-2, 1e-4, 10), WarmupCosine(0.04, 0.4, 10), WarmupCosine(0.9, 1.0, 10)
    for step in range(2):
        model.reset_metrics()
        logs = model.train_on_batch(make_batch(seed=step), return_dict=True)
        np.testing.assert_allclose(logs["learning_rate"], float(lr(step)), rtol=1e-6)
        np.testing.assert_allclose(logs["weight_decay"], float(wd(step)), rtol=1e-6)
        np.testing.assert_allclose(logs["momentum"], float(momentum(step)), rtol=1e-6)


def test_one_student_call_per_point_count_and_outputs_routed_to_their_views(monkeypatch):
    model = make_model()
    batch = make_batch()  # global 2 x 16 points, half 2 x 16 points, local 3 x 8 points
    calls = []
    original = model.student_backbone.call
    monkeypatch.setattr(model.student_backbone, "call", lambda points, **kw: calls.append(tuple(points.shape)) or original(points, **kw))
    views = {name: tf.constant(value) for name, value in batch.items()}
    student_global, student_local, global_features = model.student_views(views, training=False)
    assert sorted(calls) == sorted([(4 * 4, 16, 3), (3 * 4, 8, 3)])  # (global + half) in one call, local in one

    def separately(name, output=1):  # inference mode: outputs do not depend on the other clouds of the call
        flat = np.transpose(batch[name], (1, 0, 2, 3)).reshape(-1, *batch[name].shape[2:])
        return model._student(flat, training=False)[output].numpy().reshape(batch[name].shape[1], 4, -1)

    np.testing.assert_allclose(student_global.numpy(), separately("global"), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(global_features.numpy(), separately("global", output=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(student_local.numpy(), np.concatenate([separately("local"), separately("half")]), rtol=1e-5, atol=1e-6)


def test_student_distils_a_fixed_teacher():
    """With the teacher and centre held fixed (momenta 1) the student's loss on a fixed batch must fall."""
    model = make_model(momentum_start=1.0, momentum_end=1.0, center_momentum=1.0)
    batch = make_batch(batch=8)
    losses = []
    for _ in range(12):
        model.reset_metrics()
        losses.append(model.train_on_batch(batch, return_dict=True)["loss"])
    assert np.mean(losses[-3:]) < 0.7 * np.mean(losses[:3])


def test_call_returns_teacher_backbone_features_and_keras_round_trip(tmp_path):
    model = make_model()
    model.train_on_batch(make_batch())
    points = np.random.default_rng(3).normal(size=(2, 16, 3)).astype(np.float32)
    features = model(points).numpy()
    assert features.shape == (2, 32)
    np.testing.assert_allclose(features, model.teacher_backbone(points, training=False).numpy())
    path = str(tmp_path / "dcglr.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(restored(points).numpy(), features, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.array(restored.center), np.array(model.center))
    assert int(restored.optimizer.iterations) == 1  # the optimizer state comes back too


def distributed_step(model, batch):
    """One train step of `model` under its strategy on the global `batch` -> (loss, XLA-marked op count)."""
    strategy = model.distribute_strategy
    step = tf.function(lambda data: strategy.run(model.train_step, args=(data,)))
    data = next(iter(strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(batch))))
    graph = step.get_concrete_function(data).graph
    marked = 0
    for op in graph.get_operations():
        try:
            marked += bool(op.get_attr("_XlaCompile"))
        except ValueError:
            pass
    logs = step(data)
    return float(strategy.reduce(tf.distribute.ReduceOp.MEAN, logs["loss"], axis=None)), marked


def test_two_replicas_with_and_without_xla_match_one_device():
    """One step on 2 replicas (MirroredStrategy, XLA per replica or none) = one step on 1 device with the same
    global batch: loss, student, teacher, centre."""
    devices = tf.config.list_logical_devices("CPU")
    assert len(devices) >= 2, "conftest splits the CPU into 2 logical devices"
    batch = make_batch(batch=4)
    runs = [(tf.distribute.OneDeviceStrategy(devices[0].name), False)]
    runs += [(tf.distribute.MirroredStrategy([d.name for d in devices[:2]]), jit) for jit in (False, True)]
    states = []
    for strategy, jit_compile in runs:
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model = make_model("pointnet", TINY_POINTNET)  # its XLA compilation is quicker than DGCNN's
            # SGD, not Adam: Adam turns gradients that are exactly zero in theory (a batch norm offset that
            # the next batch norm cancels) but float noise in practice into full-size steps of either sign.
            model.compile(optimizer=keras.optimizers.SGD(0.1), clip_norm=3.0, jit_compile=jit_compile)
        assert model.xla_per_replica == (jit_compile and strategy.num_replicas_in_sync > 1)
        loss, marked = distributed_step(model, batch)
        assert (marked > 100) == jit_compile  # the replica step's ops are marked for XLA clusters
        states.append((
            loss, snapshot(s for _, s in model._ema_pairs), snapshot(t for t, _ in model._ema_pairs),
            np.array(model.center.value),
        ))
    one_device = states[0]
    for mirrored in states[1:]:
        np.testing.assert_allclose(mirrored[0], one_device[0], rtol=1e-5)
        for one_device_part, mirrored_part in zip(one_device[1:], mirrored[1:]):
            for a, b in zip(one_device_part, mirrored_part):
                np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)
