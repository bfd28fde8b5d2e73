"""Cross-density retrieval: the rates against hand-worked examples (ties included), the task end to end with a
toy encoder whose answer is known, and the points-file reader's errors."""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from dcglr_tf.data.points_file import read_stacked  # noqa: E402
from dcglr_tf.evaluation.retrieval import cross_density_retrieval, retrieval_rates, shuffle_points  # noqa: E402
from dcglr_tf.evaluation.tasks import retrieval  # noqa: E402
from dcglr_tf.export import Encoder  # noqa: E402


def test_rates_by_hand():
    # a -> b: shape 0 ranks 2nd (b1 is closer to [1, 0]), shape 1 ranks 3rd, shape 2 ranks 1st.
    # b -> a: b0 finds a0 first, b1 ranks a1 3rd, b2 finds a2 first.
    a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    b = np.array([[1.0, 0.2], [1.0, 0.1], [1.0, 1.1]])
    metrics = cross_density_retrieval(a, b, ks=(1, 2))
    assert metrics["top1_a_to_b"] == pytest.approx(1 / 3) and metrics["top2_a_to_b"] == pytest.approx(2 / 3)
    assert metrics["top1_b_to_a"] == pytest.approx(2 / 3) and metrics["top2_b_to_a"] == pytest.approx(2 / 3)
    assert metrics["top1"] == pytest.approx(0.5)
    # cosine similarity: scaling a shape's feature changes nothing
    scaled = cross_density_retrieval(a * [[3.0], [0.5], [7.0]], b * [[0.1], [2.0], [1.0]], ks=(1, 2))
    assert scaled == pytest.approx(metrics)


def test_ties_count_as_random_order():
    constant = np.ones((10, 4))  # a collapsed encoder: every shape looks the same, so retrieval is chance
    assert retrieval_rates(constant, constant, ks=(1, 5)) == pytest.approx({1: 0.1, 5: 0.5})
    duplicates = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # shapes 0 and 1 tie: each found first half the time
    assert retrieval_rates(duplicates, duplicates, ks=(1, 2)) == pytest.approx({1: (0.5 + 0.5 + 1) / 3, 2: 1.0})
    with pytest.raises(ValueError, match="same M"):
        retrieval_rates(np.ones((3, 2)), np.ones((4, 2)))


class OffsetMeanEncoder(Encoder):
    """Toy encoder: a cloud's feature is its mean point minus its first point, (B, n, 3) -> (B, 3); the pipeline's
    centring and scaling into the unit sphere change only the feature's length."""

    def __init__(self):
        super().__init__(lambda points: tf.reduce_mean(points, axis=1) - points[:, 0], 3, 1, {})


def _around(direction, count, rng):
    """`count` points whose mean is `direction`: offsets in +r, -r pairs (and one point on it for an odd count)."""
    noise = rng.normal(scale=0.05, size=(count // 2, 3))
    offsets = np.stack([noise, -noise], axis=1).reshape(-1, 3)
    return np.asarray(direction) + np.concatenate([offsets, np.zeros((count % 2, 3))])


def _shifted_clouds():
    """Six clouds along the cycle of directions d = e0, e1, e2, -e0, -e1, -e2 (neighbours orthogonal). Cloud i: the
    origin, 15 points around d_i, then 48 around d_(i+1). Toy feature of the first 16 points: 15/16 d_i; of all 64:
    (15 d_i + 48 d_(i+1)) / 64. So at 64 vs 16 points every shape's own copy ranks second (after shape i+1's),
    while at 16 vs 16 it ranks first."""
    rng = np.random.default_rng(0)
    directions = np.concatenate([np.eye(3), -np.eye(3)])
    return np.stack([np.concatenate([np.zeros((1, 3)), _around(directions[i], 15, rng),
                                     _around(directions[(i + 1) % 6], 48, rng)]) for i in range(6)]).astype(np.float32)


@pytest.mark.parametrize("counts, top1", [(["64", "16"], 0.0), (["16", "16"], 1.0)])
def test_task_with_a_toy_encoder_on_a_points_file(counts, top1, tmp_path, monkeypatch):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    path = tmp_path / "clouds.npz"
    np.savez(path, data=_shifted_clouds())
    monkeypatch.setattr(retrieval, "open_encoder", lambda spec, args: (OffsetMeanEncoder(), "toy", spec, None))
    output = tmp_path / "retrieval.json"
    lines = []
    args = cli.parse_args(["--task=retrieval", "--encoder=random", "--backbone=dgcnn", f"--points_file={path}",
                           "--point_counts", *counts, "--batch_size=4", "--output", str(output),
                           f"--data_dir={tmp_path / 'tfds'}"])
    result = run_task(args, log=lines.append)
    assert json.loads(output.read_text()) == result
    metrics = result["metrics"]
    assert metrics["top1"] == metrics["top1_a_to_b"] == metrics["top1_b_to_a"] == top1 == result["top1"]
    assert metrics["top5"] == 1.0
    assert result["settings"]["point_counts"] == [int(c) for c in counts] and result["settings"]["shapes"] == 6
    assert result["dataset"] == str(path) and "top-1" in "\n".join(lines)


def test_task_errors(tmp_path):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    path = tmp_path / "clouds.npz"
    np.savez(path, points=np.zeros((4, 32, 3), np.float32))
    base = ["--task=retrieval", "--encoder=random", "--backbone=dgcnn", "--output", str(tmp_path / "r.json"),
            f"--data_dir={tmp_path / 'tfds'}"]
    for extra, message in ((["--point_counts", "16", "8", "4"], "two densities"),
                           (["--point_counts", "64", "16"], "stores 32 points per cloud; --point_counts must not"),
                           (["--dataset=synthetic_shapes"], "not both")):
        with pytest.raises(ValueError, match=message):
            run_task(cli.parse_args(base + [f"--points_file={path}"] + extra), log=lambda *_: None)
    with pytest.raises(ValueError, match="no test split; choose one with --split"):
        run_task(cli.parse_args(base + ["--dataset=synthetic_rooms"]), log=lambda *_: None)
    with pytest.raises(SystemExit):  # argparse: --points_file belongs to retrieval only
        cli.parse_args(["--task=svm", "--encoder=random", f"--points_file={path}"])


def test_points_file_reader(tmp_path):
    clouds = np.random.default_rng(0).normal(size=(5, 20, 6))  # xyz + normals: the normals are dropped
    np.savez(tmp_path / "ok.npz", points=clouds)
    np.save(tmp_path / "ok.npy", clouds[..., :3])
    loaded = read_stacked(tmp_path / "ok.npz")
    assert loaded.shape == (5, 20, 3) and loaded.dtype == np.float32
    np.testing.assert_allclose(loaded, clouds[..., :3].astype(np.float32))
    np.testing.assert_array_equal(read_stacked(tmp_path / "ok.npy"), loaded)

    np.savez(tmp_path / "key.npz", clouds=clouds)
    np.savez(tmp_path / "shape.npz", data=clouds[0])
    (tmp_path / "text.npz").write_text("not numpy")
    for name, message in (("missing.npz", "does not exist"), ("key.npz", r"no array under the key .* keys: clouds"),
                          ("shape.npz", r"expected an \(M, N, 3\).*\[20, 6\]"), ("text.npz", "not a readable NumPy")):
        with pytest.raises(ValueError, match=message) as error:
            read_stacked(tmp_path / name)
        assert name in str(error.value)


def test_shuffled_point_order_draws_seeded_random_subsets(shapes_data_dir, tmp_path):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    clouds = _shifted_clouds()
    shuffled = shuffle_points(clouds, seed=3)
    for cloud, permuted in zip(clouds, shuffled):  # each cloud keeps its points, in a new order
        np.testing.assert_array_equal(np.sort(cloud, axis=0), np.sort(permuted, axis=0))
    assert not np.array_equal(shuffled, clouds)
    np.testing.assert_array_equal(shuffled, shuffle_points(clouds, seed=3))
    base = ["--task=retrieval", "--encoder=random", "--backbone=pointnet", '--backbone_args={"widths": [8, 16]}',
            f"--data_dir={shapes_data_dir}", "--dataset=synthetic_shapes", "--limit=40", "--point_counts", "64", "32"]
    results = {order: run_task(cli.parse_args(base + [f"--point_order={order}", "--output", str(tmp_path / order)]),
                               log=lambda *_: None) for order in ("file", "shuffled")}
    assert results["shuffled"]["settings"]["point_order"] == "random" and results["shuffled"]["settings"]["shapes"] == 40
    assert results["file"]["settings"]["point_order"] == "first"  # the old names are aliases
    assert results["shuffled"]["top1"] != results["file"]["top1"]
