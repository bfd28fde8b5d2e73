"""Few-shot trials (CrossPoint's and Point-BERT's benchmark): N-way K-shot draws and the linear-SVC classifier.

Every draw comes from `numpy.random.default_rng((seed, N, K, trial))`, so a trial is the same on every run and for
every encoder. The `fewshot` task (`evaluation.tasks.fewshot`) embeds the clouds and runs the trials.
"""

import re

import numpy as np
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

DEFAULT_SETTINGS = ("5w10s", "5w20s", "10w10s", "10w20s")


SVM_C = 1.0


def parse_setting(text):
    """'5w10s' -> (5, 10): N ways, K shots."""
    match = re.fullmatch(r"(\d+)w(\d+)s", str(text).strip())
    if not match or int(match.group(1)) < 2 or int(match.group(2)) < 1:
        raise ValueError(f"few-shot setting {text!r}: write N-way K-shot as NwKs with N >= 2 and K >= 1, e.g. 5w10s")
    return int(match.group(1)), int(match.group(2))


def sample_trial(train_labels, test_labels, ways, shots, queries, seed, trial):
    """One trial's draw: (classes (ways,), support indices into train (ways * shots,), query indices into test).

    Support and queries are grouped by class in the order of `classes`; each class has `shots` support clouds and
    min(queries, its test clouds) queries. Raises ValueError when fewer than `ways` classes can be drawn."""
    train_labels, test_labels = np.asarray(train_labels), np.asarray(test_labels)
    classes, counts = np.unique(train_labels, return_counts=True)
    eligible = [c for c, n in zip(classes, counts) if n >= shots and np.any(test_labels == c)]
    if len(eligible) < ways:
        raise ValueError(f"{ways}-way {shots}-shot needs {ways} classes with at least {shots} train clouds and a test "
                         f"cloud; this dataset has {len(eligible)}")
    rng = np.random.default_rng((int(seed), int(ways), int(shots), int(trial)))
    chosen = rng.choice(np.array(eligible), size=ways, replace=False)
    support, query = [], []
    for c in chosen:
        support.append(rng.choice(np.flatnonzero(train_labels == c), size=shots, replace=False))
        pool = np.flatnonzero(test_labels == c)
        query.append(rng.choice(pool, size=min(queries, len(pool)), replace=False))
    return chosen, np.concatenate(support), np.concatenate(query)


def svm_trial(train_x, train_y, test_x, test_y):
    """Accuracy of a linear SVC (C = 1) on support features standardised on the support set."""
    scaler = StandardScaler().fit(train_x)
    model = SVC(kernel="linear", C=SVM_C).fit(scaler.transform(train_x), train_y)
    return float(np.mean(model.predict(scaler.transform(test_x)) == test_y))
