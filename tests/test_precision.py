"""Mixed precision: float32 loss / centre / optimizer state, bfloat16 close to float32, float16 loss scaling,
float32 exports."""

import keras
import numpy as np
import tensorflow as tf

from dcglr_tf.dcglr import DCGLR
from dcglr_tf.export import export_encoder, load_encoder
from dcglr_tf.models import build_backbone
from dcglr_tf.models.precision import dtype_policy, float32_copy
from dcglr_tf.ops.points import normalize_unit_sphere
from dcglr_tf.schedules import ScheduledAdamW, WarmupCosine

POINTNET = dict(widths=(8, 16))
HEAD = dict(out_dim=32, hidden_dim=16, bottleneck_dim=8)


def make_model(dtype, optimizer=None, compile_args=None, **kwargs):
    keras.utils.set_random_seed(0)
    model = DCGLR(backbone="pointnet", backbone_args=POINTNET, head_args=HEAD, total_steps=10, momentum_start=0.9,
                  dtype=dtype, **kwargs)
    model.build((None, 16, 3))
    optimizer = optimizer or ScheduledAdamW(WarmupCosine(0.04, 0.4, 10), learning_rate=1e-2)
    model.compile(optimizer=optimizer, jit_compile=False, **(compile_args or {}))
    return model


def make_batch(batch=4):
    rng = np.random.default_rng(0)
    return {"global": rng.normal(size=(batch, 2, 16, 3)).astype(np.float32),
            "local": rng.normal(size=(batch, 3, 8, 3)).astype(np.float32)}


def test_bfloat16_step_computes_in_bfloat16_keeps_float32_state_and_loss_close_to_float32():
    losses = {}
    for dtype in ("float32", "mixed_bfloat16"):
        model = make_model(dtype)
        losses[dtype] = model.train_on_batch(make_batch(), return_dict=True)["loss"]
    assert model.student_backbone.compute_dtype == "bfloat16" and model.student_head.compute_dtype == "bfloat16"
    assert {v.dtype for v in model.weights} == {"float32"}  # weights, BN statistics, centre
    assert {v.dtype for v in model.optimizer.variables if v.dtype != "int64"} == {"float32"}
    np.testing.assert_allclose(losses["mixed_bfloat16"], losses["float32"], rtol=2e-2)
    assert losses["mixed_bfloat16"] != losses["float32"]  # it did compute in bfloat16


def student_weights(model):
    return np.concatenate([np.ravel(v) for v in model.student_backbone.weights + model.student_head.weights
                           if v.trainable])


def test_float16_gradients_that_would_underflow_still_update_the_weights():
    # A loss weighted 1e-8: its float16 gradients (~1e-8) are below float16's smallest subnormal (6e-8).
    updates = {}
    for dtype, loss_scaling in (("float32", False), ("mixed_float16", False), ("mixed_float16", True)):
        model = make_model(dtype, optimizer=keras.optimizers.SGD(1e6), global_weight=1e-8, local_weight=1e-8,
                           compile_args={"auto_scale_loss": loss_scaling})
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer) == loss_scaling
        before = student_weights(model)
        model.train_on_batch(make_batch())
        updates[dtype, loss_scaling] = student_weights(model) - before
    reference = updates["float32", False]
    assert np.all(np.isfinite(reference)) and np.abs(reference).max() > 1e-3
    np.testing.assert_array_equal(updates["mixed_float16", False], 0.0)  # underflow: nothing moves unscaled
    scaled = updates["mixed_float16", True]
    assert np.linalg.norm(scaled - reference) < 0.05 * np.linalg.norm(reference)


def test_export_of_a_mixed_precision_backbone_serves_float32(tmp_path):
    keras.utils.set_random_seed(0)
    with dtype_policy("mixed_bfloat16"):
        backbone = build_backbone("pointnet", **POINTNET)
    points = np.random.default_rng(0).normal(size=(3, 40, 3)).astype(np.float32)
    backbone(points)
    export_encoder(backbone, str(tmp_path / "encoder"))
    loaded = tf.saved_model.load(str(tmp_path / "encoder"))
    served = loaded.serve(tf.constant(points))
    assert served.dtype == tf.float32
    twin = float32_copy(backbone)
    assert twin.compute_dtype == "float32"
    np.testing.assert_allclose(served.numpy(), twin(normalize_unit_sphere(points), training=False).numpy(), rtol=1e-5, atol=1e-6)
    low = backbone(normalize_unit_sphere(points), training=False).numpy().astype(np.float32)
    np.testing.assert_allclose(served.numpy(), low, rtol=5e-2, atol=5e-2)
    assert load_encoder(str(tmp_path / "encoder"))(points).dtype == np.float32
