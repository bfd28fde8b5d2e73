"""Training precision through Keras dtype policies: "float32", "mixed_bfloat16" or "mixed_float16".

Under a mixed policy layers compute in bfloat16 / float16 and keep float32 variables. DCGLR builds its networks
under its own policy (`DCGLR(dtype=...)`), runs the loss, centre, EMA and optimizer in float32, and under
"mixed_float16" Keras wraps the optimizer in `keras.optimizers.LossScaleOptimizer` (dynamic loss scaling) at
compile. Exported encoders compute in float32 (`float32_copy`), whatever the training precision.
"""

import contextlib

import keras

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


def check_precision(name):
    if name not in PRECISIONS:
        raise ValueError(f"unknown precision {name!r}; choose one of: {', '.join(PRECISIONS)}")
    return name


@contextlib.contextmanager
def dtype_policy(name):
    """Layers created inside the block get dtype policy `name`; the previous global policy comes back after."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(check_precision(name))
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def float32_copy(backbone):
    """A float32 twin of a built Backbone (same class, config and weights): (B, N, 3) -> float32 (B, D)."""
    with dtype_policy("float32"):
        twin = type(backbone).from_config({**backbone.get_config(), "dtype": "float32"})
    twin(keras.ops.zeros((2, max(int(backbone.min_points), 64), 3)), training=False)
    twin.set_weights(backbone.get_weights())
    return twin
