"""tools/pretraining_study.py: the train.py commands a variant's runs get. A variant that keeps the encoder's
architecture shares the default's random twin, built and checked by the default's own command (with the variant's
flags, train.py refuses the finished twin as another config); one that changes the architecture gets its own."""

import argparse

import pytest

from tools import pretraining_study as study


@pytest.fixture
def commands(monkeypatch):
    calls = []
    monkeypatch.setattr(study, "run", lambda command, log_path: calls.append(command))
    # A score per run directory: 0.5 for a random twin, 0.75 for a pre-trained encoder.
    monkeypatch.setattr(study, "evaluate",
                        lambda encoder, metric, args, log_path: 0.5 if "-random" in encoder else 0.75)
    return calls


def _args(root):
    return argparse.Namespace(root=str(root), backbone="dgcnn", data_dir="/data", train_args=["--batch_size=8"],
                              metrics=["svm", "meshes_loo_256_random"], points_file=None, meshes_file=None)


def _flags(command):
    return [c for c in command if c.startswith("--")]


@pytest.mark.parametrize("variant, own_flags", [("cpu_long", ["--preset=cpu_long"]),
                                                ("momentum_0.98", ["--config=ROOT/momentum_0.98.json"])])
def test_a_variant_of_the_same_encoder_shares_the_default_twin(tmp_path, commands, variant, own_flags):
    result = study.study_one(variant, 1, _args(tmp_path))
    pretrained, random = commands
    own_flags = [f.replace("ROOT", str(tmp_path)) for f in own_flags]
    assert _flags(pretrained) == ["--backbone=dgcnn", "--seed=1", "--verbose=2", *own_flags, "--batch_size=8",
                                  f"--output_dir={tmp_path}/{variant}-s1", "--data_dir=/data"]
    assert _flags(random) == ["--backbone=dgcnn", "--seed=1", "--verbose=2", "--batch_size=8", "--epochs=0",
                              f"--output_dir={tmp_path}/default-s1-random", "--data_dir=/data"]
    assert (result["pretrained_svm"], result["random_svm"]) == (0.75, 0.5)  # each scored from its own encoder
    assert result["gain_svm"] == pytest.approx(0.25)


def test_a_variant_of_another_encoder_gets_its_own_twin(tmp_path, commands):
    study.study_one("no_max_points", 0, _args(tmp_path))
    pretrained, random = commands
    assert "--max_points=0" in pretrained and "--max_points=0" in random and "--epochs=0" in random
    assert f"--output_dir={tmp_path}/no_max_points-s0-random" in random


def test_metric_flags_take_random_points_for_the_random_metrics(tmp_path):
    from dcglr_tf.commands import evaluate as cli

    args = argparse.Namespace(dataset="synthetic_objects", num_points=256, svm_seeds=[0], points_file="planes.npz",
                              meshes_file="meshes.npz", file_class="airplane")
    flags = {metric: study.metric_flags(metric, args) for metric in study.METRICS}
    assert flags["loo_1024_random"] == ["--point_order=random", "--task=knn", "--protocol=loo", "--k", "1",
                                        "--dataset=synthetic_objects", "--num_points=1024"]
    assert flags["meshes_loo_256"] == ["--task=knn", "--protocol=loo", "--k", "1", "--points_file=meshes.npz",
                                       "--num_points=256"]
    assert flags["meshes_retrieval_shuffled"][0] == "--point_order=random" and "--points_file=meshes.npz" in flags[
        "meshes_retrieval_shuffled"]
    assert "--points_file=planes.npz" in flags["retrieval_shuffled"] and "--point_order=random" not in flags["retrieval"]
    for metric, argv in flags.items():  # every metric is a valid evaluate.py command line
        parsed = cli.parse_args(argv + ["--encoder=ENC"])
        assert parsed.point_order == ("random" if metric.endswith(("_random", "_shuffled")) else None)
    assert not study.metric_available("meshes_loo_256", argparse.Namespace(meshes_file=None, points_file="p.npz"))
