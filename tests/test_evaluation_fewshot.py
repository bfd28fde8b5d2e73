"""Few-shot trials: deterministic from the seed, the right classes, shots and queries; the task's table and JSON."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dcglr_tf.evaluation.fewshot import parse_setting, sample_trial, svm_trial  # noqa: E402

TRAIN = np.repeat(np.arange(6), [30, 30, 30, 30, 30, 5])  # class 5 has only 5 train clouds
TEST = np.repeat(np.arange(6), [25, 10, 25, 25, 0, 25])  # class 4 has no test cloud, class 1 only 10


def test_trials_are_deterministic_and_drawn_correctly():
    first = sample_trial(TRAIN, TEST, 3, 10, 20, seed=0, trial=4)
    again = sample_trial(TRAIN, TEST, 3, 10, 20, seed=0, trial=4)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    draws = [sample_trial(TRAIN, TEST, 3, 10, 20, seed=0, trial=t) for t in range(10)]
    assert len({tuple(d[1]) for d in draws}) == 10  # every trial draws its own support set
    other_seed = sample_trial(TRAIN, TEST, 3, 10, 20, seed=1, trial=4)
    assert not np.array_equal(first[1], other_seed[1])
    seen = set()
    for classes, support, query in draws:
        assert len(set(classes)) == 3 and not set(classes) & {4, 5}  # 5: too few shots, 4: no queries
        seen |= set(classes)
        assert len(set(support)) == 30 and len(set(query)) == len(query)
        for i, c in enumerate(classes):  # grouped by class, K shots each, queries from the test split
            assert np.all(TRAIN[support[i * 10:(i + 1) * 10]] == c)
            assert np.sum(TEST[query] == c) == (10 if c == 1 else 20)
        assert set(TEST[query]) == set(classes)
    assert seen == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="5-way 10-shot needs 5 classes .* has 4"):
        sample_trial(TRAIN, TEST, 5, 10, 20, seed=0, trial=0)


def test_settings_and_svm_trial():
    assert parse_setting("10w20s") == (10, 20)
    for bad in ("5w", "1w5s", "5way10shot"):
        with pytest.raises(ValueError, match="NwKs"):
            parse_setting(bad)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16)) * 3
    labels = np.repeat(np.arange(3), 5)
    queries = np.repeat(np.arange(3), 20)
    accuracy = svm_trial(centres[labels] + rng.normal(size=(15, 16)), labels,
                         centres[queries] + rng.normal(size=(60, 16)), queries)
    assert accuracy > 0.9
    assert svm_trial(rng.normal(size=(15, 16)), labels, rng.normal(size=(60, 16)), queries) < 0.7  # no signal


def test_task_table_and_json(shapes_data_dir, tmp_path):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    argv = ["--task=fewshot", "--encoder=random", "--backbone=dgcnn", '--backbone_args={"widths": [8, 8], "k": 4, '
            '"emb_dim": 16}', f"--data_dir={shapes_data_dir}", "--dataset=synthetic_shapes", "--num_points=32",
            "--limit=140",
            "--fewshot_settings", "5w2s", "20w1s", "--trials=3", "--queries=4", "--output", str(tmp_path / "r.json")]
    lines = []
    result = run_task(cli.parse_args(argv), log=lines.append)
    entry = result["metrics"]["settings"]["5w2s"]
    assert entry["trials"] == 3 and len(entry["per_trial"]) == 3 and entry["accuracy"] > 1 / 5  # 5-way chance
    assert entry["accuracy"] == pytest.approx(np.mean(entry["per_trial"]))
    assert entry["accuracy_std"] == pytest.approx(np.std(entry["per_trial"]))
    assert all(len(c) == 5 for c in entry["classes"]) and set(entry["queries"]) <= {20}
    assert "20w1s" not in result["metrics"]["settings"] and "20w1s skipped" in result["metrics"]["warnings"][0]
    text = "\n".join(lines)
    assert "5w2s" in text and "query acc (%)" in text and "warning: 20w1s skipped" in text
    again = run_task(cli.parse_args(argv), log=lambda *_: None)  # the same trials on every run
    assert again["metrics"]["settings"]["5w2s"]["per_trial"] == entry["per_trial"]


def test_finetuned_variant_uses_the_same_trials(shapes_data_dir, tmp_path):
    from dcglr_tf.commands import evaluate as cli
    from dcglr_tf.evaluation.tasks.runner import run_task

    argv = ["--task=fewshot", "--encoder=random", "--backbone=pointnet", f"--data_dir={shapes_data_dir}",
            "--dataset=synthetic_shapes", "--num_points=32", "--limit=140", "--fewshot_settings", "3w2s", "--trials=1", "--queries=3",
            "--epochs=1", "--batch_size=4", f"--output_dir={tmp_path / 'runs'}", "--output", str(tmp_path / "r.json")]
    tuned = run_task(cli.parse_args(argv + ["--fewshot_finetune"]), log=lambda *_: None)
    frozen = run_task(cli.parse_args(argv), log=lambda *_: None)
    tuned_entry, frozen_entry = tuned["metrics"]["settings"]["3w2s"], frozen["metrics"]["settings"]["3w2s"]
    assert tuned_entry["classes"] == frozen_entry["classes"] and len(tuned_entry["per_trial"]) == 1
    assert tuned_entry["queries"] == [9]  # 3 ways x 3 queries; an accuracy is a share of them
    assert all(a * 9 == pytest.approx(round(a * 9)) for a in tuned_entry["per_trial"])
    assert "finetune recipe" in tuned["settings"]["classifier"] and "SVC" in frozen["settings"]["classifier"]
    runs = sorted(os.listdir(tmp_path / "runs"))
    assert len(runs) == 1 and runs[0].startswith("fewshot_3w2s_trial0")  # one run directory per trial
