"""The presets of `train.py --preset`: named starting points for a `TrainConfig`, as data.

- `paper`: the paper's setup (sections 3.2 and 4.1): ShapeNet, 2048 points, 2 global crops of ratio U(0.7, 1.0),
  8 local crops of ratio U(0.2, 0.5), 2 half-resolution FPS copies, K = 512, teacher temperature 0.04, centre
  momentum 0.9, teacher momentum 0.996 -> 1. For GPUs.
- `embedded`: the same method on the embedded `synthetic_objects` data with fewer points and views, narrower
  networks and a schedule sized for a 2-core CPU; each backbone's schedule, learning rate and loss terms are the
  row of `CPU_RECIPES`. The default of `train.py`.
- `cpu_long`: the embedded recipe trained longer (`CPU_RECIPES[...].cpu_long_epochs`).

Why the CPU values are what they are (every one was measured): docs/results.md, "Why the CPU presets have their
values".
"""

import dataclasses

from dcglr_tf.config import CropConfig, HeadConfig, LossConfig, OptimConfig, TrainConfig

CPU_STEPS_PER_EPOCH = 100


@dataclasses.dataclass(frozen=True)
class CPURecipe:
    """One backbone's values on the CPU presets (`embedded`, `cpu_long`).

    Attributes:
        epochs: epochs of `CPU_STEPS_PER_EPOCH` steps of the embedded preset.
        cpu_long_epochs: epochs of the `cpu_long` preset.
        learning_rate: base learning rate (peak = base x batch / 256).
        num_half_res: half-resolution FPS views per cloud.
        koleo_weight: weight of the KoLeo term (0: the paper's loss).
        description: one line for the help text and the docs.
    """

    epochs: int
    cpu_long_epochs: int
    learning_rate: float = 0.048
    num_half_res: int = 2
    koleo_weight: float = 0.0
    description: str = ""


CPU_RECIPES = {
    "dgcnn": CPURecipe(epochs=14, cpu_long_epochs=300, num_half_res=0, koleo_weight=0.1,
                       description="k = 8 neighbours, no half-resolution views, KoLeo term"),
    "pct": CPURecipe(epochs=24, cpu_long_epochs=100, description="the paper's loss"),
    "vit3d": CPURecipe(epochs=96, cpu_long_epochs=400, learning_rate=0.0048, koleo_weight=0.1,
                       description="base learning rate 0.0048, KoLeo term"),
    "pointnet": CPURecipe(epochs=12, cpu_long_epochs=60, description="the quick baseline"),
}
DEFAULT_CPU_RECIPE = CPURecipe(epochs=12, cpu_long_epochs=60)  # backbones registered by users


def cpu_recipe(backbone):
    """The `CPURecipe` of `backbone` (`DEFAULT_CPU_RECIPE` for a backbone without a row)."""
    return CPU_RECIPES.get(backbone, DEFAULT_CPU_RECIPE)


def paper_config(**overrides):
    """The paper's pre-training setup on ShapeNet (2048 points), for GPUs: `TrainConfig`'s defaults."""
    return dataclasses.replace(TrainConfig(), **overrides)


def embedded_config(**overrides):
    """The CPU-sized preset on the embedded `synthetic_objects` data, the backbone's `CPU_RECIPES` row applied.

    Args:
        **overrides: TrainConfig fields (e.g. `backbone="pct"`), applied last.
    Returns:
        A TrainConfig.
    """
    recipe = cpu_recipe(overrides.get("backbone", "dgcnn"))
    config = TrainConfig(
        backbone_preset="embedded",
        dataset="synthetic_objects",
        num_points=256,
        batch_size=16,
        epochs=recipe.epochs,
        steps_per_epoch=CPU_STEPS_PER_EPOCH,
        shuffle_buffer=2048,
        crops=CropConfig(global_points=128, num_local=4, local_points=48, num_half_res=recipe.num_half_res),
        head=HeadConfig(out_dim=512, hidden_dim=256, bottleneck_dim=64),
        loss=LossConfig(koleo_weight=recipe.koleo_weight),
        optim=OptimConfig(learning_rate=recipe.learning_rate, warmup_epochs=1, momentum_start=0.99),
    )
    return dataclasses.replace(config, **overrides)


def cpu_long_config(**overrides):
    """The embedded recipe trained for `cpu_long_epochs` (5 warm-up epochs), for users who can wait."""
    backbone = overrides.get("backbone", "dgcnn")
    config = embedded_config(backbone=backbone, epochs=cpu_recipe(backbone).cpu_long_epochs)
    config.optim.warmup_epochs = 5
    return dataclasses.replace(config, **overrides)


PRESETS = {"paper": paper_config, "embedded": embedded_config, "cpu_long": cpu_long_config}
PRESET_SUMMARIES = {
    "embedded": "CPU-sized, synthetic_objects, the default",
    "cpu_long": "the embedded recipe trained longer",
    "paper": "the paper's sizes: ShapeNet, 2048 points, 2+8+2 views, K=512, for GPUs",
}


def describe_presets():
    """One line per preset, the CPU presets with each backbone's steps, generated from `CPU_RECIPES`, e.g.
    "embedded (CPU-sized, ...): dgcnn 1,400 steps (k = 8 ...), pct 2,400 steps, ..."."""
    lines = []
    for name in ("embedded", "cpu_long", "paper"):
        line = f"{name} ({PRESET_SUMMARIES[name]})"
        if name != "paper":
            steps = [f"{backbone} {getattr(recipe, 'epochs' if name == 'embedded' else 'cpu_long_epochs') * CPU_STEPS_PER_EPOCH:,} steps"
                     + (f" ({recipe.description})" if name == "embedded" and recipe.description else "")
                     for backbone, recipe in CPU_RECIPES.items()]
            line += ": " + ", ".join(steps)
        lines.append(line)
    return "; ".join(lines)
