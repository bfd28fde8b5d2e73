"""The one place that checks a pre-training configuration before anything runs.

`validate_config(config, replicas)` is called by `run_pretraining` and by `train.py` alike. Every problem is a
`ConfigError` (a ValueError) whose `key` names the setting (dotted for nested ones, e.g. `crops.global_points`),
so that the command line can name the flag or the `--config` file that set it.
"""

from dcglr_tf.data import sources
from dcglr_tf.models.precision import check_precision
from dcglr_tf.models.registry import backbone_class, build_backbone, check_backbone_args


class ConfigError(ValueError):
    """A setting of a TrainConfig that cannot work; `key` names it."""

    def __init__(self, key, message):
        super().__init__(message)
        self.key = key


def validate_config(config, replicas=1):
    """Raise a `ConfigError` naming the setting for the first value of `config` that cannot work.

    Args:
        config: a TrainConfig.
        replicas: replicas in sync of the strategy that will train it (the batch is split over them).
    """
    checks = [_check_counts, _check_crops, _check_model, _check_data, _check_replicas]
    for check in checks:
        check(config, replicas)


def _check_counts(config, replicas):
    for name, minimum in (("epochs", 0), ("batch_size", 1), ("num_points", 1)):
        if getattr(config, name) < minimum:
            raise ConfigError(name, f"{name} must be >= {minimum}, got {getattr(config, name)}")
    if config.max_points is not None and config.max_points < 0:
        raise ConfigError("max_points", f"max_points must be >= 0 (0: every point), got {config.max_points}")
    if config.steps_per_epoch is not None and config.steps_per_epoch < 1:
        raise ConfigError("steps_per_epoch", f"steps_per_epoch must be >= 1, got {config.steps_per_epoch}")


def _check_crops(config, replicas):
    crop, num_points = config.crops, config.num_points
    if crop.num_global < 2:
        raise ConfigError("crops.num_global", "num_global must be >= 2 (the global loss compares different global "
                                              f"crops), got {crop.num_global}")
    for name in ("global_points", "local_points"):
        value = getattr(crop, name)
        if not 1 <= value <= num_points:
            raise ConfigError(f"crops.{name}", f"crops.{name}={value} must be between 1 and num_points={num_points}")
    for name in ("global_ratio", "local_ratio"):
        low, high = getattr(crop, name)
        if not 0.0 < low <= high <= 1.0:
            raise ConfigError(f"crops.{name}", f"crops.{name}={(low, high)} must satisfy 0 < low <= high <= 1")
    if crop.global_sampling not in ("random", "fps", "mixed"):
        raise ConfigError("crops.global_sampling",
                          f"crops.global_sampling must be 'random', 'fps' or 'mixed', got {crop.global_sampling!r}")
    if crop.num_half_res and num_points // 2 < 1:
        raise ConfigError("crops.num_half_res", f"half-resolution copies need num_points >= 2, got {num_points}")


def _check_model(config, replicas):
    try:
        backbone_class(config.backbone)
    except ValueError as error:
        raise ConfigError("backbone", str(error)) from None
    try:  # the keys, then the values (building the backbone checks them)
        check_backbone_args(config.backbone, config.backbone_args)
        build_backbone(config.backbone, config.backbone_preset, **config.backbone_args)
    except ValueError as error:
        raise ConfigError("backbone_args", str(error)) from None
    try:
        check_precision(config.precision)
    except ValueError as error:
        raise ConfigError("precision", str(error)) from None


def _check_data(config, replicas):
    try:
        sources.dataset_info(config.dataset)
    except ValueError as error:
        raise ConfigError("dataset", str(error)) from None
    try:
        sources.check_num_points(config.dataset, config.num_points)
    except ValueError as error:
        raise ConfigError("num_points", str(error)) from None


def _check_replicas(config, replicas):
    if config.batch_size % replicas:
        raise ConfigError("batch_size", f"batch_size={config.batch_size} is not divisible by the {replicas} replicas "
                                        f"(--batch_size is the global batch: use a multiple of {replicas})")
    if config.loss.koleo_weight and config.batch_size // replicas < 2:
        raise ConfigError("loss.koleo_weight",
                          f"batch_size={config.batch_size} gives {config.batch_size // replicas} cloud per replica; the "
                          f"KoLeo term (loss.koleo_weight={config.loss.koleo_weight:g}) needs at least 2 (use a larger "
                          f"--batch_size, or set koleo_weight to 0 in --config)")
