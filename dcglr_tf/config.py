"""Configuration dataclasses of a pre-training run, with the paper's values as defaults (the presets built on them
are in `dcglr_tf.presets`; `dcglr_tf.training.validation` checks a configuration's values)."""

import dataclasses
import json
import typing
from typing import Optional, Tuple


@dataclasses.dataclass
class CropConfig:
    """Multi-crop views of one cloud of `num_points` points (section 3.2, eqs. 4-5).

    Attributes:
        num_global: int, global crops per cloud (I).
        global_ratio: (low, high), the range of a global crop's share of the cloud's points.
        global_points: int, points per global view.
        num_local: int, local crops per cloud.
        local_ratio: (low, high), the range of a local crop's share of the cloud's points.
        local_points: int, points per local view.
        global_sampling: str, how a global crop with more points than `global_points` is reduced: "random", "fps" or
            "mixed" (see the field's comment and `dcglr_tf.data.crops.multi_crop`).
        num_half_res: int, FPS copies of N/2 points added to the local set.
        scale_range: (low, high), the random anisotropic scale per axis.
        jitter_sigma: float, the standard deviation of the per-point jitter.
        jitter_clip: float, the jitter's clip.
        rotate: bool, a random rotation about the up (y) axis.
    """

    num_global: int = 2
    global_ratio: Tuple[float, float] = (0.7, 1.0)
    global_points: int = 1024
    num_local: int = 8
    local_ratio: Tuple[float, float] = (0.2, 0.5)
    local_points: int = 512
    # How a global crop with more points than global_points is reduced: "random" (a random subset, the paper's
    # resampling), "fps" (its farthest-point samples from a random start, as the encoder reduces dense clouds) or
    # "mixed" (the farthest-point samples of a random share of it, log-uniform from global_points to all).
    global_sampling: str = "random"
    num_half_res: int = 2  # FPS copies of N/2 points added to the local set
    scale_range: Tuple[float, float] = (0.8, 1.25)  # random anisotropic scale per axis
    jitter_sigma: float = 0.01
    jitter_clip: float = 0.05
    rotate: bool = False  # random rotation about the up (y) axis


@dataclasses.dataclass
class HeadConfig:
    """DINO-style projector: MLP -> L2-normalised bottleneck -> weight-normalised layer of `out_dim`.

    Attributes:
        out_dim: int, K, the projector's output width.
        hidden_dim: int, the MLP's hidden width.
        bottleneck_dim: int, the bottleneck's width.
        num_layers: int, Dense layers before the last layer.
        use_bn: bool, batch norm in the MLP (DINO's use_bn_in_head, its choice for BN backbones).
    """

    out_dim: int = 512  # K
    hidden_dim: int = 2048
    bottleneck_dim: int = 256
    num_layers: int = 3
    use_bn: bool = True  # batch norm in the MLP (DINO's use_bn_in_head, its choice for BN backbones)


@dataclasses.dataclass
class LossConfig:
    """Temperatures, centre and loss weights (eqs. 8-12).

    Attributes:
        teacher_temp: float, the teacher's temperature.
        student_temp: float, the student's temperature.
        center_momentum: float, the centre's momentum.
        global_weight: float, the weight of the global-to-global loss.
        local_weight: float, the weight of the local-to-global loss.
        koleo_weight: float, KoLeo on the student's global-crop features (DINOv2); 0: the paper's loss.
    """

    teacher_temp: float = 0.04
    student_temp: float = 0.1
    center_momentum: float = 0.9
    global_weight: float = 1.0
    local_weight: float = 1.0
    koleo_weight: float = 0.0  # KoLeo on the student's global-crop features (DINOv2); 0: the paper's loss


@dataclasses.dataclass
class OptimConfig:
    """AdamW with DINO's stabilisers (section 4.1).

    Attributes:
        learning_rate: float, the base rate: the peak after warm-up is base x global batch / 256 (DINO).
        min_learning_rate: float, the learning rate at the end of the cosine.
        warmup_epochs: int, epochs of linear learning-rate warm-up.
        weight_decay: float, the weight decay at the start of its cosine.
        weight_decay_end: float, the weight decay at the end of its cosine.
        clip_norm: float, the norm each parameter's gradient is clipped to.
        freeze_last_layer_epochs: int, epochs during which the projector's last layer stays frozen.
        momentum_start: float, the teacher's EMA momentum at the start of its cosine.
        momentum_end: float, the teacher's EMA momentum at the end.
    """

    learning_rate: float = 5e-4  # base rate: the peak after warm-up is base x global batch / 256 (DINO)
    min_learning_rate: float = 1e-6
    warmup_epochs: int = 10
    weight_decay: float = 0.04
    weight_decay_end: float = 0.4
    clip_norm: float = 3.0
    freeze_last_layer_epochs: int = 1
    momentum_start: float = 0.996
    momentum_end: float = 1.0


@dataclasses.dataclass
class TrainConfig:
    """Everything a pre-training run needs; written to `config.json` of the run.

    Attributes:
        backbone: str, the registered backbone name.
        backbone_preset: str, the backbone's preset.
        backbone_args: dict, constructor arguments that override the preset's.
        dataset: str, a registered dataset name or a path.
        data_dir: str or None, the TFDS data directory (None: TFDS's default).
        manual_dir: str or None, the folder of a real dataset's files (None: TFDS's default).
        num_points: int, points per cloud.
        max_points: int or None, the density the encoder works at (see the field's comment and
            `encoder_max_points`).
        batch_size: int, the global batch.
        epochs: int.
        steps_per_epoch: int or None, None: one pass over the dataset.
        seed: int, the data stream's seed.
        precision: str, "float32", "mixed_bfloat16" or "mixed_float16" (`dcglr_tf.models.precision`).
        shuffle_buffer: int, the size of the clouds' shuffle buffer.
        crops: CropConfig.
        head: HeadConfig.
        loss: LossConfig.
        optim: OptimConfig.
    """

    backbone: str = "dgcnn"
    backbone_preset: str = "paper"
    backbone_args: dict = dataclasses.field(default_factory=dict)
    dataset: str = "shapenet"
    data_dir: Optional[str] = None
    manual_dir: Optional[str] = None
    num_points: int = 2048
    # The density the encoder works at: the global feature of a cloud with more points is computed from its
    # max_points farthest-point samples (`Backbone.max_points`). None: crops.global_points, the size of the views
    # the teacher is trained on; 0: every point.
    max_points: Optional[int] = None
    batch_size: int = 64
    epochs: int = 100
    steps_per_epoch: Optional[int] = None  # None: one pass over the dataset
    seed: int = 0
    precision: str = "float32"  # or "mixed_bfloat16" / "mixed_float16" (dcglr_tf.models.precision)
    shuffle_buffer: int = 4096
    crops: CropConfig = dataclasses.field(default_factory=CropConfig)
    head: HeadConfig = dataclasses.field(default_factory=HeadConfig)
    loss: LossConfig = dataclasses.field(default_factory=LossConfig)
    optim: OptimConfig = dataclasses.field(default_factory=OptimConfig)

    def encoder_max_points(self):
        """`max_points` resolved.

        Returns:
            int (`crops.global_points` when `max_points` is None), or None (when it is 0) for every point.
        """
        if self.max_points is None:
            return self.crops.global_points
        return self.max_points or None

    def to_dict(self):
        """The configuration as a dict of plain values (nested dicts for the sub-configurations).

        Returns:
            dict.
        """
        return dataclasses.asdict(self)

    def to_json(self):
        """The configuration as indented JSON with sorted keys.

        Returns:
            str.
        """
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, values):
        """Inverse of `to_dict` (JSON lists become tuples, integers become floats where a float is expected).

        Args:
            values: dict, as `to_dict` or `json.loads(to_json())` gives; missing keys take their defaults.

        Returns:
            TrainConfig.

        Raises:
            ValueError: for an unknown key or a value of the wrong type, naming the key (dotted for nested settings,
                e.g. `crops.global_points`) and what was expected.
        """
        return _dataclass_from_dict(cls, values, "")


_NESTED = {"crops": CropConfig, "head": HeadConfig, "loss": LossConfig, "optim": OptimConfig}
_EXPECTED = {int: "an integer", float: "a number", bool: "true or false", str: "a string", dict: "a JSON object"}


def _dataclass_from_dict(cls, values, prefix):
    if not isinstance(values, dict):
        raise ValueError(f"config key {prefix.rstrip('.')!r}: expected a JSON object, got {values!r}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown config keys {[prefix + k for k in unknown]}; known keys"
                         f"{' of ' + prefix.rstrip('.') if prefix else ''} are {sorted(known)}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in values.items():
        if key in _NESTED and not prefix:
            kwargs[key] = _dataclass_from_dict(_NESTED[key], value, key + ".")
        else:
            kwargs[key] = _checked(prefix + key, value, hints[key])
    return cls(**kwargs)


def _checked(key, value, annotation):
    """`value` converted to `annotation` (JSON lists to tuples), or a ValueError naming `key`."""
    if typing.get_origin(annotation) is typing.Union:  # Optional[X]
        if value is None:
            return None
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is tuple:
        items = typing.get_args(annotation)
        if not isinstance(value, (list, tuple)) or len(value) != len(items):
            raise ValueError(f"config key {key!r}: expected a list of {len(items)} numbers, got {value!r}")
        return tuple(_checked(key, item, kind) for item, kind in zip(value, items))
    ok = isinstance(value, annotation) and not (isinstance(value, bool) and annotation is not bool)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise ValueError(f"config key {key!r}: expected {_EXPECTED[annotation]}, got {value!r}")
    return value
