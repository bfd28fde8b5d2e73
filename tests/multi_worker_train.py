"""Train a tiny DCGLR for a few steps through `fit_with_strategy` and save its state: the program that the
multi-worker test runs in each worker process (TF_CONFIG set) and once in a single process.

    python tests/multi_worker_train.py OUT.npz [STEPS]

Each global batch has 4 clouds; a worker reads clouds index, index + count, ... of it (as the pre-training
pipeline shards its stream), so all workers together see the single process's batches.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from dcglr_tf.dcglr import DCGLR  # noqa: E402
from dcglr_tf.training.distribution import is_chief, make_strategy  # noqa: E402
from dcglr_tf.training.strategy_loop import fit_with_strategy  # noqa: E402

GLOBAL_BATCH = 4


def global_batches(steps):
    rng = np.random.default_rng(0)
    return {
        "global": rng.normal(size=(steps, GLOBAL_BATCH, 2, 16, 3)).astype(np.float32),
        "local": rng.normal(size=(steps, GLOBAL_BATCH, 3, 8, 3)).astype(np.float32),
    }


def train(strategy, steps):
    """-> dict of arrays: losses per step, student and teacher weights, centre."""
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = DCGLR(backbone="pointnet", backbone_args={"widths": (8, 16)},
                      head_args={"out_dim": 32, "hidden_dim": 16, "bottleneck_dim": 8},
                      total_steps=10, momentum_start=0.9)
        model.build((None, 16, 3))
        # SGD: Adam would turn float noise in gradients that are zero in theory into full-size steps.
        model.compile(optimizer=keras.optimizers.SGD(0.1), jit_compile=False)
    batches = global_batches(steps)

    def dataset_fn(context):
        index, count = context.input_pipeline_id, context.num_input_pipelines
        shard = {name: value[:, index::count] for name, value in batches.items()}
        return tf.data.Dataset.from_tensor_slices(shard)

    losses = []

    class RecordLoss(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            losses.append(logs["loss"])

    fit_with_strategy(model, dataset_fn, epochs=1, steps_per_epoch=steps, callbacks=[RecordLoss()])
    state = {"losses": np.array(losses), "center": np.array(model.center.value)}
    for i, (teacher, student) in enumerate(model._ema_pairs):
        state[f"teacher_{i}"], state[f"student_{i}"] = np.array(teacher.value), np.array(student.value)
    return state


if __name__ == "__main__":
    strategy = make_strategy("multi_worker", cluster_timeout=120)
    state = train(strategy, int(sys.argv[2]) if len(sys.argv) > 2 else 2)
    if is_chief(strategy):
        np.savez(sys.argv[1], **state)
