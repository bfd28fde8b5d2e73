"""Per-step schedules (DINO's stabilisers): warm-up + cosine learning rate, cosine weight decay and
cosine teacher momentum, plus AdamW that follows a weight-decay schedule and can freeze variables.

Schedules are functions of the optimizer step, evaluated inside the compiled train step, so they stay
exact under XLA, multiple replicas and resumed runs (the step is restored with the optimizer).
"""

import math

import keras
from keras import ops

REFERENCE_BATCH = 256  # DINO's linear scaling rule: lr = base_lr * global_batch / 256


def scaled_learning_rate(base, global_batch):
    """The peak learning rate for a global batch (all replicas and workers): base * global_batch / 256.

    Args:
        base: float, the base learning rate.
        global_batch: int, clouds per step over all replicas and workers.

    Returns:
        float.
    """
    return float(base) * int(global_batch) / REFERENCE_BATCH


@keras.saving.register_keras_serializable(package="dcglr_tf")
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from `warmup_start` to `base` over `warmup_steps`, then a cosine from `base` to `final`.

    The cosine runs over the remaining `total_steps - warmup_steps`; the value is `final` after `total_steps`.

    Args:
        base: float, the value at the end of the warm-up.
        final: float, the value at and after `total_steps`.
        total_steps: int, the schedule's length (values below 1 count as 1).
        warmup_steps: int, clipped to [0, total_steps].
        warmup_start: float, the value at step 0 when `warmup_steps` > 0.

    Call arguments:
        step: scalar int (or float) step.

    Returns:
        Scalar float32.
    """

    def __init__(self, base, final, total_steps, warmup_steps=0, warmup_start=0.0):
        self.base = float(base)
        self.final = float(final)
        self.total_steps = max(int(total_steps), 1)
        self.warmup_steps = min(max(int(warmup_steps), 0), self.total_steps)
        self.warmup_start = float(warmup_start)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warm = float(max(self.warmup_steps, 1))
        warmup_value = self.warmup_start + (self.base - self.warmup_start) * step / warm
        decay_steps = float(max(self.total_steps - self.warmup_steps, 1))
        progress = ops.clip((step - self.warmup_steps) / decay_steps, 0.0, 1.0)
        cosine_value = self.final + 0.5 * (self.base - self.final) * (1.0 + ops.cos(math.pi * progress))
        return ops.where(step < self.warmup_steps, warmup_value, cosine_value)

    def get_config(self):
        return {
            "base": self.base,
            "final": self.final,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "warmup_start": self.warmup_start,
        }


@keras.saving.register_keras_serializable(package="dcglr_tf")
class ScheduledAdamW(keras.optimizers.AdamW):
    """AdamW whose weight decay follows a schedule of the step (DINO: cosine 0.04 -> 0.4).

    As in PyTorch's AdamW the decay is decoupled and scaled by the learning rate: w <- w - lr * wd(step) * w. As in
    DINO, one-dimensional weights (biases, normalisation scales and offsets) are not decayed. `freeze(variables, steps)`
    holds variables fixed for the first steps (DINO's frozen last layer).

    Args:
        weight_decay_schedule: a LearningRateSchedule of the step (e.g. WarmupCosine) with a `base` attribute (the
            decay Keras starts from), or its serialised dict.
        **kwargs: passed to `keras.optimizers.AdamW` (a `weight_decay` is ignored).
    """

    def __init__(self, weight_decay_schedule, **kwargs):
        if isinstance(weight_decay_schedule, dict):
            weight_decay_schedule = keras.saving.deserialize_keras_object(weight_decay_schedule)
        kwargs.pop("weight_decay", None)
        super().__init__(weight_decay=weight_decay_schedule.base, **kwargs)
        self.weight_decay_schedule = weight_decay_schedule
        self._frozen_keys = frozenset()
        self._frozen_steps = 0

    def freeze(self, variables, steps):
        """Keeps `variables` and their optimizer state unchanged while the step counter is below `steps`.

        Unchanged bit for bit: no decay, no moment update. Afterwards they train as if their Adam step count started
        at `steps` (fresh bias correction, as PyTorch's AdamW for a parameter that had no gradient yet). Call before
        the first step; the setting is not part of the config (the model sets it at compile).

        Args:
            variables: list of the variables to freeze.
            steps: int, the step at which they start training.
        """
        self._frozen_keys = frozenset(self._var_key(v) for v in variables)
        self._frozen_steps = int(steps)

    def update_step(self, gradient, variable, learning_rate):
        """Adam's update of one variable.

        A frozen variable gets a zero gradient, learning rate and decay, which leaves it and its moments (still zero:
        the freeze comes first) exactly unchanged.

        Args:
            gradient: the variable's gradient.
            variable: the variable to update.
            learning_rate: the step's learning rate.
        """
        if self._var_key(variable) not in self._frozen_keys:
            return super().update_step(gradient, variable, learning_rate)
        active = self.iterations >= self._frozen_steps
        lr = ops.where(active, ops.cast(learning_rate, variable.dtype), 0.0)
        if self._decays(variable):
            self.assign_sub(variable, variable * lr * ops.cast(self.weight_decay, variable.dtype))
        gradient = ops.where(active, ops.cast(gradient, variable.dtype), 0.0)
        super().update_step(gradient, variable, lr * self._restarted_bias_correction(variable.dtype))

    def _restarted_bias_correction(self, dtype):
        """Factor turning Adam's bias correction at the global step into the one at the step counted from
        the unfreezing: sqrt(1 - b2^t) / (1 - b1^t) at t = local over the same at t = global."""
        global_step = ops.cast(self.iterations + 1, dtype)
        local_step = ops.maximum(global_step - self._frozen_steps, 1.0)

        def correction(t):
            return ops.sqrt(1.0 - ops.power(ops.cast(self.beta_2, dtype), t)) / (1.0 - ops.power(ops.cast(self.beta_1, dtype), t))

        return correction(local_step) / correction(global_step)

    @property
    def weight_decay(self):
        """The decay of the current step (read by Keras's own, distribution-aware decay update)."""
        schedule = self.__dict__.get("weight_decay_schedule")
        return self.__dict__.get("_initial_weight_decay") if schedule is None else schedule(self.iterations)

    @weight_decay.setter
    def weight_decay(self, value):
        """Keras's constructor sets the schedule's first value; after that the schedule decides."""
        self.__dict__["_initial_weight_decay"] = value

    def _decays(self, variable):
        return len(variable.shape) > 1 and super()._use_weight_decay(variable)

    def _use_weight_decay(self, variable):
        """Keras's own decay pass skips frozen variables: `update_step` decays them once unfrozen."""
        return self._var_key(variable) not in self._frozen_keys and self._decays(variable)

    def get_config(self):
        config = super().get_config()
        config.pop("weight_decay", None)
        config["weight_decay_schedule"] = keras.saving.serialize_keras_object(self.weight_decay_schedule)
        return config
