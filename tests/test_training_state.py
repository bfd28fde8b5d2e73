"""The whole training state of a real DCGLR: restored in a fresh process bit for bit and trained on identically, the
trained teacher's exports, the teacher EMA and centre over several steps, the weighted loss of a step and the DINO
head's normalisations, each against a reference."""

import json
import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_dcglr import TINY_POINTNET, make_batch, make_model, numpy_loss, snapshot

from dcglr_tf.config import CropConfig, HeadConfig, OptimConfig, TrainConfig
from dcglr_tf.export import export_encoder, load_encoder
from dcglr_tf.models.heads import DINOHead
from dcglr_tf.ops.points import normalize_unit_sphere
from dcglr_tf.schedules import WarmupCosine
from dcglr_tf.training.checkpointing import EpochCheckpoints
from dcglr_tf.training.pretrain import build_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A tiny 3D-ViT: batch norm in the head, a stochastic-depth random generator in the student, and a schedule in which
# the projector's last layer is frozen for the first 2 of the 3 steps trained before the checkpoint.
CONFIG = TrainConfig(
    backbone="vit3d", backbone_preset="embedded", num_points=32, batch_size=4, epochs=3, steps_per_epoch=2,
    backbone_args=dict(dim=16, depth=2, num_heads=2, mlp_ratio=1.0, patch_size=4, patch_mlp=[8], pos_hidden=8,
                       drop_path=0.5),
    crops=CropConfig(global_points=16, num_local=2, local_points=8, num_half_res=0),
    head=HeadConfig(out_dim=32, hidden_dim=16, bottleneck_dim=8),
    optim=OptimConfig(learning_rate=2.0, warmup_epochs=1),
)
STEPS_BEFORE_CHECKPOINT = 3

# Run in a fresh process: rebuild the model from another seed, restore the checkpoint, save every variable, train
# one step on the given batch and save every variable again.
RESTORE_AND_STEP = """
import json, sys
import tensorflow as tf
tf.config.set_logical_device_configuration(  # as the test process (conftest): 2 logical CPUs
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np
from dcglr_tf.config import TrainConfig
from dcglr_tf.training.checkpointing import latest_checkpoint, load
from dcglr_tf.training.pretrain import build_model

config_json, backup_dir, batch_file, out_file = sys.argv[1:]
config = TrainConfig.from_dict(json.loads(config_json))
keras.utils.set_random_seed(1)  # another initialisation: whatever is not restored differs
model, optimizer = build_model(config, config.steps_per_epoch)
model.build((None, config.num_points, 3))
model.compile(optimizer=optimizer, clip_norm=config.optim.clip_norm, jit_compile=False)
load(model, latest_checkpoint(backup_dir))
state = lambda: [np.array(v) for v in model.variables + model.optimizer.variables]
restored = state()
with np.load(batch_file) as batch:
    model.train_on_batch(dict(batch))
np.savez(out_file, *restored, *state())
"""


def full_state(model):
    """Every variable of the model (student, teacher with its batch-norm statistics, centre, random generators) and
    of its optimizer (step, Adam moments), in a fixed order -> (paths, arrays)."""
    variables = model.variables + model.optimizer.variables
    return [v.path for v in variables], [np.array(v) for v in variables]


def views(seed, batch=4):
    rng = np.random.default_rng(seed)
    return {"global": rng.normal(size=(batch, 2, 16, 3)).astype(np.float32),
            "local": rng.normal(size=(batch, 2, 8, 3)).astype(np.float32)}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The tiny DCGLR after 3 steps, its checkpoint written as a run writes it, and its state then."""
    keras.utils.set_random_seed(0)
    model, optimizer = build_model(CONFIG, CONFIG.steps_per_epoch)
    model.build((None, CONFIG.num_points, 3))
    model.compile(optimizer=optimizer, clip_norm=CONFIG.optim.clip_norm, jit_compile=False)
    for step in range(STEPS_BEFORE_CHECKPOINT):
        model.train_on_batch(views(step))
    backup_dir = str(tmp_path_factory.mktemp("state") / "checkpoints")
    saver = EpochCheckpoints(backup_dir)
    saver.set_model(model)
    saver.save(1)
    return model, backup_dir, full_state(model)


def test_a_checkpoint_restores_every_variable_in_a_fresh_process_and_training_continues_identically(trained, tmp_path):
    model, backup_dir, (paths, saved) = trained
    assert int(model.optimizer.iterations) == STEPS_BEFORE_CHECKPOINT and len(model.random_states()) == 1
    assert any("moving_variance" in path and "teacher" in path for path in paths)
    assert np.abs(np.array(model.center)).max() > 0 and int(model.random_states()[0][1]) > 0
    batch = views(99)
    batch_file = str(tmp_path / "batch.npz")
    np.savez(batch_file, **batch)
    out_file = str(tmp_path / "restored.npz")
    child = subprocess.run(
        [sys.executable, "-c", RESTORE_AND_STEP, json.dumps(CONFIG.to_dict()), backup_dir, batch_file, out_file],
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT), cwd=ROOT, capture_output=True, text=True,
        timeout=600,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    with np.load(out_file) as arrays:
        child_arrays = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
    restored, stepped = child_arrays[:len(saved)], child_arrays[len(saved):]
    assert len(restored) == len(saved) and len(stepped) == len(saved)
    for path, mine, theirs in zip(paths, saved, restored):
        np.testing.assert_array_equal(theirs, mine, err_msg=f"{path} restored")

    model.train_on_batch(batch)
    after = full_state(model)[1]
    assert sum(not np.array_equal(a, b) for a, b in zip(after, saved)) > len(saved) // 2  # the step moved the state
    for path, mine, theirs in zip(paths, after, stepped):
        np.testing.assert_array_equal(theirs, mine, err_msg=f"{path} after one more step")


def test_a_trained_teachers_exports_give_the_teachers_output(trained, tmp_path):
    model = trained[0]
    moving = [np.array(v) for v in model.teacher_head.weights if "moving_variance" in v.path]
    assert moving and not np.allclose(moving[0], 1.0)  # trained statistics, not the initial ones
    encoder_path, keras_path = str(tmp_path / "encoder"), str(tmp_path / "dcglr.keras")
    export_encoder(model.teacher_backbone, encoder_path)
    model.save(keras_path)
    encoder, restored = load_encoder(encoder_path), keras.saving.load_model(keras_path)
    for num_points in (8, 37, 100):  # fewer and more points than the 16 the encoder samples a cloud down to
        points = np.random.default_rng(num_points).normal(size=(3, num_points, 3)).astype(np.float32) * 3 + 1
        expected = model.teacher_backbone(normalize_unit_sphere(points), training=False).numpy()
        np.testing.assert_allclose(encoder(points), expected, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(restored(normalize_unit_sphere(points)).numpy(), expected, rtol=1e-5, atol=1e-5)
    for mine, theirs in zip(model.variables + model.optimizer.variables,
                            restored.variables + restored.optimizer.variables):
        np.testing.assert_array_equal(np.array(theirs), np.array(mine), err_msg=mine.path)


def teacher_and_student_weights(model):
    """[(teacher weight, student weight)] read from the layers (not from the model's EMA pairs)."""
    teacher = model.teacher_backbone.weights + model.teacher_head.weights
    student = model.student_backbone.weights + model.student_head.weights
    assert len(teacher) == len(student)
    return list(zip(teacher, student))


def global_views_first(batch):
    views = batch["global"]
    return np.transpose(views, (1, 0, 2, 3)).reshape(-1, *views.shape[2:])


def test_teacher_ema_and_centre_follow_their_recurrences_over_steps_from_random_states():
    """Three steps from a random teacher and centre: every teacher weight, batch-norm statistics included,
    t <- m_k t + (1 - m_k) s_k+1 with the momentum schedule m_k, and c <- q c + (1 - q) mean(teacher logits).
    The teacher's batch norms get momentum 1, so that its own forward pass leaves its statistics to the EMA."""
    model = make_model("pointnet", TINY_POINTNET, momentum_start=0.9, momentum_end=1.0, center_momentum=0.7)
    rng = np.random.default_rng(5)
    pairs = teacher_and_student_weights(model)
    for teacher, _ in pairs:
        value = rng.normal(size=teacher.shape)
        teacher.assign(np.abs(value) + 0.5 if "variance" in teacher.path else value)
    model.center.assign(rng.normal(size=model.center.shape))
    for layer in model.teacher_backbone._flatten_layers() + model.teacher_head._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 1.0
    statistics = [i for i, (teacher, _) in enumerate(pairs) if "moving_" in teacher.path]
    assert len(statistics) >= 4

    momentum = WarmupCosine(0.9, 1.0, 10)
    teacher, center = snapshot(t for t, _ in pairs), np.array(model.center)
    for step in range(3):
        batch = make_batch(seed=step)
        flat = global_views_first(batch)
        logits = model.teacher_head(model.teacher_backbone(flat, training=True), training=True).numpy()
        model.train_on_batch(batch)
        m = float(momentum(step))
        teacher = [m * t + (1 - m) * s for t, s in zip(teacher, snapshot(s for _, s in pairs))]
        center = 0.7 * center + 0.3 * logits.mean(axis=0, keepdims=True)
        for (variable, _), expected in zip(pairs, teacher):
            np.testing.assert_allclose(np.array(variable), expected, rtol=1e-5, atol=1e-6, err_msg=variable.path)
        np.testing.assert_allclose(np.array(model.center), center, rtol=1e-5, atol=1e-6)
    assert all(not np.allclose(teacher[i], np.array(pairs[i][1])) for i in statistics)  # teacher != student


def test_a_steps_weighted_loss_equals_numpy_with_and_without_local_views():
    """loss = global_weight * loss_g + local_weight * loss_l with weights 0.7 and 1.9; without local views
    loss_l is exactly 0 (the global-views-only path)."""
    model = make_model("pointnet", TINY_POINTNET, global_weight=0.7, local_weight=1.9)
    model.center.assign(np.random.default_rng(2).normal(size=model.center.shape) * 0.1)
    for step, groups in enumerate([("global",), ("global", "local", "half")]):
        batch = {name: value for name, value in make_batch(seed=step).items() if name in groups}
        teacher = model.teacher_head(model.teacher_backbone(global_views_first(batch), training=True), training=True)
        teacher = teacher.numpy().reshape(2, 4, -1)
        student_global, student_local, _ = model.student_views({k: tf.constant(v) for k, v in batch.items()})
        student_global = student_global.numpy()
        center = np.array(model.center)
        model.reset_metrics()
        logs = model.train_on_batch(batch, return_dict=True)

        if student_local is None:
            expected_g, expected_l = numpy_loss(teacher, student_global, student_global, center, 0.04, 0.1)[0], 0.0
            assert logs["loss_l"] == 0.0
        else:
            expected_g, expected_l = numpy_loss(teacher, student_global, student_local.numpy(), center, 0.04, 0.1)
            assert student_local.shape[0] == 5 and expected_l > 0
        np.testing.assert_allclose(logs["loss_g"], expected_g, rtol=1e-4)
        np.testing.assert_allclose(logs["loss_l"], expected_l, rtol=1e-4)
        np.testing.assert_allclose(logs["loss"], 0.7 * expected_g + 1.9 * expected_l, rtol=1e-4)


def gelu(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def test_dino_head_logits_are_cosines_between_the_normalised_bottleneck_and_unit_prototypes():
    rng = np.random.default_rng(7)
    head = DINOHead(out_dim=6, hidden_dim=5, bottleneck_dim=4, num_layers=3)
    x = rng.normal(size=(7, 3)).astype(np.float32)
    head(x)
    for norm in head.norms:  # statistics away from their initial values
        norm.moving_mean.assign(rng.normal(size=5))
        norm.moving_variance.assign(rng.uniform(0.5, 2.0, size=5))
    head.last_layer_kernel.assign(rng.normal(size=(4, 6)) * 3)
    logits = head(x, training=False).numpy()

    h = x.astype(np.float64)
    for i, dense in enumerate(head.mlp):
        h = h @ np.array(dense.kernel) + np.array(dense.bias)
        if i < len(head.norms):
            norm = head.norms[i]
            h = (h - np.array(norm.moving_mean)) / np.sqrt(np.array(norm.moving_variance) + norm.epsilon)
            h = gelu(h * np.array(norm.gamma) + np.array(norm.beta))
    bottleneck = h / np.linalg.norm(h, axis=1, keepdims=True)
    kernel = np.array(head.last_layer_kernel)
    prototypes = kernel / np.linalg.norm(kernel, axis=0, keepdims=True)
    np.testing.assert_allclose(logits, bottleneck @ prototypes, rtol=1e-5, atol=1e-6)
    assert np.abs(logits).max() <= 1 + 1e-6

    head.last_layer_kernel.assign(kernel * np.arange(1, 7))  # each prototype rescaled: weight norm ignores it
    np.testing.assert_allclose(head(x, training=False).numpy(), logits, rtol=1e-5, atol=1e-6)
    last = head.mlp[-1]
    last.kernel.assign(np.array(last.kernel) * 4)  # the bottleneck scaled by 4: the L2 normalisation ignores it
    last.bias.assign(np.array(last.bias) * 4)
    np.testing.assert_allclose(head(x, training=False).numpy(), logits, rtol=1e-5, atol=1e-6)
    head.last_layer_kernel.assign(np.tile(bottleneck[0][:, None] * 5, (1, 6)))  # prototypes along cloud 0's output
    np.testing.assert_allclose(head(x, training=False).numpy()[0], 1.0, rtol=1e-5)


def test_the_models_own_saved_state_holds_the_random_states_and_older_files_still_load(trained):
    model = trained[0]
    store = {}
    model.save_own_variables(store)
    random_keys = [key for key in store if key.startswith("random_state_")]
    assert random_keys == ["random_state_0"] and store["random_state_0"] is model.random_states()[0]
    center_key = next(key for key, value in store.items() if value is model.center)
    center, state = np.array(model.center), np.array(model.random_states()[0])
    # A file of an earlier version: no random states (here with another centre, to see that it is read).
    older = {key: center + 1 if key == center_key else np.array(value) for key, value in store.items()
             if key not in random_keys}
    model.load_own_variables(older)
    np.testing.assert_array_equal(np.array(model.center), center + 1)
    np.testing.assert_array_equal(np.array(model.random_states()[0]), state)
    model.center.assign(center)
