"""The DCGLR model: student and EMA teacher with their projectors, and the custom train step (steps 3-8 of the method;
the loss is in `dcglr_tf.losses`, the teacher's EMA and centre updates in `dcglr_tf.teacher`).

`DCGLR(points)` returns the teacher backbone's global feature (B, D): the representation used downstream.
`fit` on batches of `dcglr_tf.data.pipeline.pretraining_dataset` trains it.
"""

import keras
import tensorflow as tf
from keras import ops

from dcglr_tf.losses import dcglr_loss, koleo_loss
from dcglr_tf.models import build_backbone
from dcglr_tf.models.heads import DINOHead
from dcglr_tf.models.precision import dtype_policy
from dcglr_tf.models.registry import backbone_class
from dcglr_tf.schedules import WarmupCosine
from dcglr_tf.teacher import ema_update, teacher_student_pairs, update_center

VIEW_GROUPS = ("global", "local", "half")  # the pipeline's view groups; the last two are the local set
RANDOM_STATE = "random_state_"  # prefix of the random generators' states among the model's own saved variables


def _views_first(views):
    """(B, V, n, 3) -> (V * B, n, 3), view-major so each view's batch stays contiguous."""
    shape = ops.shape(views)
    return ops.reshape(ops.transpose(views, (1, 0, 2, 3)), (-1, shape[2], shape[3]))


def _split_views(outputs, num_views):
    """(V * B, K) -> (V, B, K)."""
    return ops.reshape(outputs, (num_views, -1, ops.shape(outputs)[-1]))


@keras.saving.register_keras_serializable(package="dcglr_tf")
class DCGLR(keras.Model):
    """Student/teacher self-distillation for point clouds.

    Calling the model gives the teacher backbone's global feature, the representation used downstream; `fit` on
    batches of `dcglr_tf.data.pipeline.pretraining_dataset` trains it (see `train_step`).

    Args:
        backbone: str, the registered encoder name (see `dcglr_tf.models.build_backbone`).
        backbone_preset: str, the encoder's preset.
        backbone_args: dict or None, constructor arguments that override the preset's.
        head_args: dict or None, DINOHead arguments (out_dim K, hidden_dim, bottleneck_dim, num_layers, use_bn).
        teacher_temp, student_temp: floats, the loss's temperatures (eqs. 8-11).
        center_momentum: float, the momentum of the teacher's centre.
        global_weight, local_weight: floats, the weights of the global-to-global and local-to-global losses (eq. 12).
        koleo_weight: float, weight of a KoLeo term (`koleo_loss`, DINOv2) on the student backbone's features, computed
            per global crop over the replica's batch (at least 2 clouds) and averaged over the crops; 0 (the paper's
            loss) leaves it out.
        momentum_start, momentum_end: floats, the teacher's EMA momentum, on a cosine over `total_steps` steps.
        total_steps: int, the length of the momentum schedule.
        freeze_last_layer_steps: int, steps during which the projector's last layer and its optimizer state stay
            unchanged (through the optimizer's `freeze`, see `compile`).
        **kwargs: passed to `keras.Model`; `dtype`: "float32" (default), "mixed_bfloat16" or "mixed_float16" (see
            `dcglr_tf.models.precision`), the networks' compute precision; loss, centre, EMA and optimizer state stay
            float32. `name` defaults to "dcglr".

    Call arguments:
        points: (B, N, 3) float clouds.
        training: ignored: the teacher backbone always runs in inference mode.

    Returns:
        (B, D) teacher backbone global features, D = `embedding_dim`.
    """

    def __init__(
        self,
        backbone="dgcnn",
        backbone_preset="paper",
        backbone_args=None,
        head_args=None,
        teacher_temp=0.04,
        student_temp=0.1,
        center_momentum=0.9,
        global_weight=1.0,
        local_weight=1.0,
        koleo_weight=0.0,
        momentum_start=0.996,
        momentum_end=1.0,
        total_steps=1,
        freeze_last_layer_steps=0,
        **kwargs,
    ):
        kwargs.setdefault("name", "dcglr")
        super().__init__(**kwargs)
        self.backbone_name = backbone
        self.backbone_preset = backbone_preset
        self.backbone_args = dict(backbone_args or {})
        self.head_args = dict(head_args or {})
        self.teacher_temp = float(teacher_temp)
        self.student_temp = float(student_temp)
        self.center_momentum = float(center_momentum)
        self.global_weight = float(global_weight)
        self.local_weight = float(local_weight)
        self.koleo_weight = float(koleo_weight)
        self.momentum_start = float(momentum_start)
        self.momentum_end = float(momentum_end)
        self.total_steps = int(total_steps)
        self.freeze_last_layer_steps = int(freeze_last_layer_steps)
        self.momentum_schedule = WarmupCosine(momentum_start, momentum_end, total_steps)
        self.clip_norm = None  # set by compile()
        self.xla_per_replica = False

        def make(role):
            args = dict(self.backbone_args)
            if role == "teacher":  # e.g. no stochastic depth in the teacher (DINO)
                args.update(backbone_class(backbone).teacher_overrides)
            backbone_model = build_backbone(backbone, backbone_preset, name=f"{role}_backbone", **args)
            return backbone_model, DINOHead(name=f"{role}_head", **self.head_args)

        with dtype_policy(self.dtype_policy.name):  # e.g. DCGLR(dtype="mixed_bfloat16"): networks compute in bf16
            self.student_backbone, self.student_head = make("student")
            self.teacher_backbone, self.teacher_head = make("teacher")
        names = ("loss", "loss_g", "loss_l", *(("koleo",) if self.koleo_weight else ()), "teacher_entropy", "center_kl",
                 "learning_rate", "weight_decay", "momentum")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    # The teacher's layers stay "trainable" so that its batch norm can normalise with batch statistics
    # during training (as the student's does; a teacher on stale running statistics outputs near-constant
    # projections, which centring turns into a uniform, collapsed target). It never receives gradients:
    # only the student's weights are the model's trainable weights.
    @property
    def trainable_weights(self):
        return self.student_backbone.trainable_weights + self.student_head.trainable_weights

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_weights(self):
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable]

    @property
    def non_trainable_variables(self):
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.variables if id(v) not in trainable]

    @property
    def embedding_dim(self):
        return self.teacher_backbone.output_dim

    # ---- building -------------------------------------------------------------------------------------
    def build(self, input_shape=(None, None, 3)):
        """Create all weights for clouds of shape `input_shape` (B, N, 3) and copy the student into the
        teacher (the teacher starts as the student and never receives gradients)."""
        if self.built:
            return
        num_points = input_shape[1] or max(self.student_backbone.min_points, 64)
        dummy = ops.zeros((2, num_points, 3))
        for backbone, head in ((self.student_backbone, self.student_head), (self.teacher_backbone, self.teacher_head)):
            head(backbone(dummy))
        self.center = self.add_weight(
            name="center", shape=(1, self.head_args.get("out_dim", 512)), initializer="zeros",
            trainable=False, aggregation="only_first_replica", dtype="float32",
        )
        self._ema_pairs = teacher_student_pairs((self.teacher_backbone, self.teacher_head),
                                               (self.student_backbone, self.student_head))
        for teacher_var, student_var in self._ema_pairs:
            teacher_var.assign(student_var)
        self.built = True

    # ---- saved state ----------------------------------------------------------------------------------
    def random_states(self):
        """The states of the layers' random generators: the variables that `weights` leaves out.

        The generators are `keras.random.SeedGenerator`s, e.g. those of the student's stochastic depth masks.

        Returns:
            List of variables, each of shape (2,).
        """
        weights = {id(v) for v in self.weights}
        return [v for v in self.variables if id(v) not in weights]

    def save_own_variables(self, store):
        """Saves the centre (Keras's own) and the random generators' states, which Keras does not save.

        With them a run resumed from a checkpoint draws the masks the uninterrupted run draws.

        Args:
            store: Keras's variable store, written to.
        """
        super().save_own_variables(store)
        for i, state in enumerate(self.random_states()):
            store[f"{RANDOM_STATE}{i}"] = state

    def load_own_variables(self, store):
        """Inverse of `save_own_variables`.

        A file saved without the generators' states (by an earlier version) leaves them as they are.

        Args:
            store: Keras's variable store, read from.
        """
        keys = list(store.keys())
        super().load_own_variables({key: store[key] for key in keys if not key.startswith(RANDOM_STATE)})
        for i, state in enumerate(self.random_states()):
            if f"{RANDOM_STATE}{i}" in keys:
                state.assign(store[f"{RANDOM_STATE}{i}"])

    def get_build_config(self):
        return {"input_shape": (None, None, 3)}

    def build_from_config(self, config):
        self.build(tuple(config["input_shape"]))

    # ---- inference ------------------------------------------------------------------------------------
    def call(self, points, training=False):
        """The teacher backbone's global feature: (B, N, 3) -> (B, D).

        Args:
            points: (B, N, 3) float clouds.
            training: ignored: the teacher backbone always runs in inference mode.

        Returns:
            (B, D) features.
        """
        return self.teacher_backbone(points, training=False)

    # ---- training ---------------------------------------------------------------------------------------
    @property
    def metrics(self):
        return list(self.trackers.values())

    def _student(self, points, training=True):
        """(n_views * B, n, 3) -> float32 student (backbone features (n_views * B, D), logits (n_views * B, K));
        the loss runs in float32."""
        features = self.student_backbone(points, training=training)
        logits = self.student_head(features, training=training)
        return ops.cast(features, "float32"), ops.cast(logits, "float32")

    def student_views(self, views, training=True):
        """Student logits of every view, with one backbone call per distinct point count.

        As DINO batches same-resolution crops: one set of batch-norm statistics, fewer calls.

        Args:
            views: dict `{"global": (B, I, n_g, 3)}` with optional "local" / "half": (B, V, n, 3).
            training: bool.

        Returns:
            Tuple `(global, local, features)` of float32: global logits (I, B, K), local logits
            (V_local + V_half, B, K) in `VIEW_GROUPS` order or None without local views, and the global views' backbone
            features (I, B, D).
        """
        by_points = {}
        for name in VIEW_GROUPS:
            if name in views:
                by_points.setdefault(views[name].shape[2], []).append(name)
        logits, features = {}, {}
        for names in by_points.values():
            counts = [views[name].shape[1] for name in names]
            merged = ops.concatenate([views[name] for name in names], axis=1) if len(names) > 1 else views[names[0]]
            group_features, group_logits = self._student(_views_first(merged), training)
            group_features, group_logits = (_split_views(x, sum(counts)) for x in (group_features, group_logits))
            start = 0
            for name, count in zip(names, counts):
                logits[name] = group_logits[start:start + count]
                features[name] = group_features[start:start + count]
                start += count
        local = [logits[name] for name in VIEW_GROUPS[1:] if name in logits]
        return logits["global"], ops.concatenate(local, axis=0) if local else None, features["global"]

    def train_step(self, data):
        """One DCGLR step on a dict of views.

        Views of equal point count go through the student as one batched call. With XLA under a multi-replica strategy
        (`compile`), the replica's step is compiled per replica in clusters between the cross-replica reductions.

        Args:
            data: dict with "global" (B, I, n_g, 3) and optional "local" / "half" (B, V, n, 3) views (other keys,
                such as "label", are ignored).

        Returns:
            Dict of the trackers' running means: "loss", "loss_g", "loss_l", "koleo" (with `koleo_weight`),
            "teacher_entropy", "center_kl", "learning_rate", "weight_decay", "momentum".

        Raises:
            ValueError: with `koleo_weight` > 0, a replica batch of 1 cloud.
        """
        if self.xla_per_replica:
            with tf.xla.experimental.jit_scope():
                return self._replica_step(data)
        return self._replica_step(data)

    def _replica_step(self, data):
        data, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        views = {name: data[name] for name in VIEW_GROUPS if name in data}
        num_global = views["global"].shape[1]
        optimizer = self.optimizer
        schedules = getattr(optimizer, "inner_optimizer", optimizer)
        step = tf.identity(schedules.iterations)  # this step's index, read before the update
        # What this step uses, read before apply_gradients advances the step counter.
        used = {
            "learning_rate": schedules.learning_rate,
            "weight_decay": 0.0 if schedules.weight_decay is None else schedules.weight_decay,
            "momentum": self.momentum_schedule(step),
        }
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        loss_scale = optimizer.scale_loss(ops.ones((), "float32"))  # 1 unless mixed_float16 loss scaling

        global_flat = _views_first(views["global"])
        teacher_logits = self.teacher_head(self.teacher_backbone(global_flat, training=True), training=True)
        teacher_logits = _split_views(ops.stop_gradient(ops.cast(teacher_logits, "float32")), num_global)
        with tf.GradientTape() as tape:
            student_global, student_local, global_features = self.student_views(views)
            loss_g, loss_l, targets = dcglr_loss(
                teacher_logits, student_global, student_local, self.center, self.teacher_temp, self.student_temp
            )
            loss = self.global_weight * loss_g + self.local_weight * loss_l
            parts = {"loss_g": loss_g, "loss_l": loss_l}
            if self.koleo_weight:
                if global_features.shape[1] == 1:  # a batch check (the config's is validate_config's)
                    raise ValueError("koleo_weight > 0 needs at least 2 clouds per replica batch (KoLeo measures each "
                                     "cloud's distance to its nearest other cloud); got 1")
                parts["koleo"] = ops.mean(ops.stack([koleo_loss(global_features[i]) for i in range(num_global)]))
                loss = loss + self.koleo_weight * parts["koleo"]
            # Keras sums gradients over replicas: scale so the sum is the gradient of the global-batch mean.
            scaled_loss = loss * (loss_scale / replicas)
        variables = self.student_backbone.trainable_variables + self.student_head.trainable_variables
        grads = tape.gradient(scaled_loss, variables)
        grads = self._reduce_and_clip(grads, replicas, loss_scale)
        optimizer.apply_gradients(zip(grads, variables))

        ema_update(self._ema_pairs, used["momentum"])
        update_center(self.center, teacher_logits, self.center_momentum)

        self._update_trackers(loss, parts, targets, used)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def _reduce_and_clip(self, grads, replicas, loss_scale):
        """Sum gradients over replicas, clip each to norm `clip_norm` (DINO clips per parameter; gradients
        carry the loss scale, so the threshold does too), and hand each replica its 1/replicas share again
        (Keras sums them once more)."""
        if replicas > 1:
            grads = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, grads)
        if self.clip_norm:
            grads = [tf.clip_by_norm(g, self.clip_norm * loss_scale) for g in grads]
        return [g / replicas for g in grads] if replicas > 1 else grads

    def _update_trackers(self, loss, parts, targets, used):
        log_targets = ops.log(ops.maximum(targets, 1e-12))
        entropy = -ops.mean(ops.sum(targets * log_targets, axis=-1))
        log_center = ops.log_softmax(self.center / self.teacher_temp, axis=-1)
        center_kl = ops.mean(ops.sum(targets * (log_targets - log_center), axis=-1))
        values = {
            "loss": loss,
            **parts,
            "teacher_entropy": entropy,
            "center_kl": center_kl,
            **used,
        }
        for name, value in values.items():
            self.trackers[name].update_state(value)

    def compile(self, optimizer, clip_norm=3.0, jit_compile=True, **kwargs):
        """Configures the model for training.

        Gradients are clipped here, per parameter, after the cross-replica sum, so clipping is the same on one device
        and on many. The projector's last layer is frozen through the optimizer's `freeze` (needed when
        freeze_last_layer_steps > 0).

        Args:
            optimizer: a Keras optimizer without clipnorm, e.g. `ScheduledAdamW`.
            clip_norm: float or None, the norm each gradient is clipped to (None or 0: no clipping).
            jit_compile: bool, XLA for the train step under any strategy. With one replica Keras compiles the whole
                step. With several, every op of the replica's step is marked for XLA (`jit_scope`) and compiled per
                replica, in clusters between the cross-replica reductions (synchronised batch norm, gradients,
                centre), which XLA can hold inside a cluster only on GPUs. (Marking only the forward and backward
                pass deadlocked TensorFlow 2.21's executor on 2 logical CPUs.)
            **kwargs: passed to `keras.Model.compile`.

        Raises:
            ValueError: when freeze_last_layer_steps > 0 and the optimizer has no `freeze(variables, steps)`.
        """
        self.clip_norm = clip_norm
        self.xla_per_replica = bool(jit_compile) and self.distribute_strategy.num_replicas_in_sync > 1
        super().compile(optimizer=optimizer, jit_compile=bool(jit_compile) and not self.xla_per_replica, **kwargs)
        inner = getattr(self.optimizer, "inner_optimizer", self.optimizer)  # under mixed_float16 loss scaling
        if self.freeze_last_layer_steps:
            if not hasattr(inner, "freeze"):
                raise ValueError(
                    f"freeze_last_layer_steps={self.freeze_last_layer_steps} needs an optimizer with "
                    f"freeze(variables, steps) such as dcglr_tf.schedules.ScheduledAdamW, got {type(inner).__name__}"
                )
            inner.freeze([self.student_head.last_layer_kernel], self.freeze_last_layer_steps)
        if self.built and not self.optimizer.built:  # the slots exist before tracing and before a restore
            self.optimizer.build(self.trainable_variables)

    def get_compile_config(self):
        return {"optimizer": keras.saving.serialize_keras_object(self.optimizer), "clip_norm": self.clip_norm}

    def compile_from_config(self, config):
        self.compile(optimizer=keras.saving.deserialize_keras_object(config["optimizer"]), clip_norm=config["clip_norm"])

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype_policy.name,
            "backbone": self.backbone_name,
            "backbone_preset": self.backbone_preset,
            "backbone_args": self.backbone_args,
            "head_args": self.head_args,
            "teacher_temp": self.teacher_temp,
            "student_temp": self.student_temp,
            "center_momentum": self.center_momentum,
            "global_weight": self.global_weight,
            "local_weight": self.local_weight,
            "koleo_weight": self.koleo_weight,
            "momentum_start": self.momentum_start,
            "momentum_end": self.momentum_end,
            "total_steps": self.total_steps,
            "freeze_last_layer_steps": self.freeze_last_layer_steps,
        }
