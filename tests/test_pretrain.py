"""Run set-up of dcglr_tf.training.pretrain: learning-rate scaling."""

import dataclasses
import json
import shutil

import pytest

from dcglr_tf.presets import embedded_config, paper_config
from dcglr_tf.training.pretrain import build_model


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


@pytest.mark.parametrize("max_points, expected", [(None, 96), (0, None), (200, 200)])
def test_the_encoder_works_at_max_points_by_default_the_global_view_size(max_points, expected):
    config = embedded_config(backbone="pointnet", epochs=1, max_points=max_points)
    config.crops.global_points = 96
    model, _ = build_model(config, steps_per_epoch=2)
    assert model.student_backbone.max_points == expected and model.teacher_backbone.max_points == expected
    custom = dataclasses.replace(config, backbone_args={"max_points": 64, "widths": (8, 16)})
    assert build_model(custom, steps_per_epoch=2)[0].teacher_backbone.max_points == 64  # explicit args win


def test_presets_are_consistent_and_cpu_long_is_the_embedded_run_trained_longer():
    from dcglr_tf.presets import PRESETS, cpu_long_config

    for make in PRESETS.values():
        config = make()
        assert config.crops.global_points <= config.num_points and config.encoder_max_points() is not None
    for backbone in ("dgcnn", "pct", "vit3d"):  # each backbone's own default schedule, and the same recipe for longer
        embedded, long = embedded_config(backbone=backbone), cpu_long_config(backbone=backbone)
        assert long.epochs * long.steps_per_epoch >= 6000 and long.epochs > 3 * embedded.epochs
        # the same loss too: DGCNN's and 3D-ViT's long runs keep the default's KoLeo term
        assert dataclasses.replace(long, epochs=embedded.epochs, optim=embedded.optim) == embedded
    # DGCNN trades the half-resolution views and half its neighbours (a 1.5x faster step) for more steps in the same
    # time; the others keep their measured recipe.
    from dcglr_tf.models.dgcnn import DGCNN

    assert DGCNN.presets["embedded"]["k"] == 8
    dgcnn, pct, vit = embedded_config(), embedded_config(backbone="pct"), embedded_config(backbone="vit3d")
    assert (dgcnn.epochs, dgcnn.crops.num_half_res) == (14, 0) and (pct.epochs, pct.crops.num_half_res) == (24, 2)
    assert (vit.epochs, vit.crops.num_half_res) == (96, 2)
    # DGCNN's and 3D-ViT's defaults add the KoLeo term (measured gains); PCT keeps the paper's loss.
    assert (dgcnn.loss.koleo_weight, pct.loss.koleo_weight, vit.loss.koleo_weight) == (0.1, 0.0, 0.1)
    assert dataclasses.replace(dgcnn.loss, koleo_weight=0.0) == pct.loss
    assert cpu_long_config().crops.num_half_res == 0 and cpu_long_config().epochs == 300


@pytest.mark.parametrize("preset", ["embedded", "cpu_long"])
def test_cpu_presets_take_their_measured_base_learning_rate_per_backbone_unless_given(preset):
    from dcglr_tf.commands import train

    def base_rate(*flags):
        return train.config_from_args(train.parse_args([f"--preset={preset}", *flags])).optim.learning_rate

    assert base_rate("--backbone=dgcnn") == pytest.approx(0.048)
    assert base_rate("--backbone=vit3d") == pytest.approx(0.0048)
    assert base_rate("--backbone=vit3d", "--learning_rate=0.01") == pytest.approx(0.01)


def test_the_config_files_backbone_is_used_unless_the_flag_is_given(tmp_path):
    from dcglr_tf.commands import train

    config = tmp_path / "config.json"
    config.write_text(json.dumps({"backbone": "vit3d"}))

    def resolved(*flags):
        result = train.config_from_args(train.parse_args(["--config", str(config), *flags]))
        return result.backbone, result.optim.learning_rate

    assert resolved() == ("vit3d", pytest.approx(0.0048))  # the preset tuned to the file's backbone
    assert resolved("--backbone=pointnet") == ("pointnet", pytest.approx(0.048))
    assert train.config_from_args(train.parse_args([])).backbone == "dgcnn"


def test_the_default_xla_choice_is_the_backbones_measured_faster_path():
    from dcglr_tf.training.pretrain import resolve_jit_compile

    assert resolve_jit_compile(None, "pct") is False and resolve_jit_compile(None, "dgcnn") is True
    assert resolve_jit_compile(True, "pct") is True and resolve_jit_compile(False, "dgcnn") is False


def test_the_run_records_its_architecture_and_refuses_a_directory_made_with_another(tmp_path):
    from dcglr_tf.training.pretrain import RunConfigMismatch, run_pretraining

    config = embedded_config(epochs=0, backbone_args={"widths": [8, 8], "emb_dim": 16})
    out = str(tmp_path / "run")
    run_pretraining(config, out, log=lambda message: None, verbose=0)
    with open(tmp_path / "run" / "config.json") as f:
        recorded = json.load(f)
    # the preset's value of every argument not given (k), the given ones as given
    assert recorded["backbone_args"] == {"widths": [8, 8], "k": 8, "emb_dim": 16}
    assert json.loads(json.dumps(config.to_dict()))["backbone_args"] == {"widths": [8, 8], "emb_dim": 16}

    # The same directory as an earlier version would have left it. Its config.json recorded only the arguments
    # given; the rest is read from the encoder it exported, so an unchanged architecture is the same run ...
    old_config = {**recorded, "backbone_args": {"widths": [8, 8], "emb_dim": 16}}
    with open(tmp_path / "run" / "config.json", "w") as f:
        json.dump(old_config, f)
    assert run_pretraining(config, out, log=lambda message: None, verbose=0)["encoder"].endswith("encoder")
    # ... and a changed one is refused, naming the argument: the preset's k was 16 in the export, or the config
    # recorded it; with no export and no record, nothing tells the architecture.
    description = tmp_path / "run" / "encoder" / "assets.extra" / "encoder.json"
    exported = json.loads(description.read_text())
    description.write_text(json.dumps({**exported, "backbone_config": {**exported["backbone_config"], "k": 16}}))

    def refused(written, expected):
        with open(tmp_path / "run" / "config.json", "w") as f:
            json.dump(written, f)
        with pytest.raises(RunConfigMismatch, match=f"differs in: backbone_args; backbone_args: {expected}\\)"):
            run_pretraining(config, out, log=lambda message: None, verbose=0)

    refused(old_config, "k 16 -> 8")
    refused({**recorded, "backbone_args": {"widths": [8, 8], "k": 16, "emb_dim": 16}}, "k 16 -> 8")
    shutil.rmtree(tmp_path / "run" / "encoder")
    refused(old_config, "k not recorded -> 8")
