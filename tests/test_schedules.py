"""Schedules and the weight-decay-scheduled AdamW."""

import math

import keras
import numpy as np

from dcglr_tf.schedules import ScheduledAdamW, WarmupCosine


def reference(step, base, final, total, warmup, start=0.0):
    if step < warmup:
        return start + (base - start) * step / warmup
    progress = min(max((step - warmup) / max(total - warmup, 1), 0.0), 1.0)
    return final + 0.5 * (base - final) * (1 + math.cos(math.pi * progress))


def test_warmup_cosine_matches_reference():
    schedule = WarmupCosine(1e-3, 1e-6, total_steps=100, warmup_steps=10)
    for step in (0, 1, 5, 10, 11, 50, 99, 100, 150):
        np.testing.assert_allclose(float(schedule(step)), reference(step, 1e-3, 1e-6, 100, 10), rtol=1e-5, atol=1e-9)


def test_momentum_schedule_goes_from_start_to_one():
    schedule = WarmupCosine(0.996, 1.0, total_steps=50)
    values = [float(schedule(s)) for s in range(51)]
    assert values[0] == np.float32(0.996) and abs(values[-1] - 1.0) < 1e-7
    assert all(b >= a for a, b in zip(values, values[1:]))


def test_scheduled_adamw_decays_matrices_not_vectors():
    optimizer = ScheduledAdamW(WarmupCosine(0.04, 0.4, 4), learning_rate=0.5)
    kernel = keras.Variable(np.ones((2, 2), np.float32))
    bias = keras.Variable(np.ones((2,), np.float32))
    zero = [np.zeros((2, 2), np.float32), np.zeros((2,), np.float32)]
    expected = 1.0
    for step in range(3):
        optimizer.apply_gradients(zip(zero, [kernel, bias]))
        expected *= 1 - 0.5 * reference(step, 0.04, 0.4, 4, 0)
    np.testing.assert_allclose(np.array(kernel), expected, rtol=1e-5)
    np.testing.assert_array_equal(np.array(bias), 1.0)


def test_scheduled_adamw_config_round_trip():
    optimizer = ScheduledAdamW(WarmupCosine(0.04, 0.4, 10), learning_rate=WarmupCosine(1e-3, 0.0, 10, 2))
    restored = ScheduledAdamW.from_config(optimizer.get_config())
    assert restored.weight_decay_schedule.get_config() == optimizer.weight_decay_schedule.get_config()
