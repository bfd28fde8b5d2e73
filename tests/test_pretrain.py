"""Run set-up of dcglr_tf.pretrain: learning-rate scaling."""

import dataclasses

import pytest

from dcglr_tf.config import embedded_config, paper_config
from dcglr_tf.pretrain import build_model


def peak_learning_rate(optimizer):
    return optimizer.get_config()["learning_rate"]["config"]["base"]


@pytest.mark.parametrize(
    "preset, batch_size, expected",
    [(embedded_config, 16, 3e-3), (embedded_config, 64, 0.012), (paper_config, 64, 1.25e-4), (paper_config, 256, 5e-4)],
)
def test_peak_learning_rate_is_base_times_global_batch_over_256(preset, batch_size, expected):
    config = dataclasses.replace(preset(), backbone="pointnet", batch_size=batch_size, epochs=2)
    _, optimizer = build_model(config, steps_per_epoch=10)
    assert peak_learning_rate(optimizer) == pytest.approx(expected, rel=1e-9)
