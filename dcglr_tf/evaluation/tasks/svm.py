"""The `svm` task: frozen teacher features of a labelled dataset's train and test splits, scored by the linear-SVM
protocol of `evaluation.svm` (C by cross-validation on the train split only, several seeds)."""

from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.svm import CLASSIFIER, linear_svm_accuracy
from dcglr_tf.evaluation.tasks.common import FEATURES_NOTE, base_result, frozen_features, point_settings


def run_svm(args, spec, ctx, log=print):
    dataset, name, num_points, splits = frozen_features(args, spec, "svm", log, ctx=ctx)
    (train_x, train_y), (test_x, test_y) = splits
    scores = linear_svm_accuracy(train_x, train_y, test_x, test_y, seeds=tuple(args.seeds), log=log)
    for warning in scores["warnings"]:
        log(f"warning: {warning}")
    settings = {"num_points": num_points, "seeds": list(args.seeds), "train_examples": int(len(train_y)),
                "test_examples": int(len(test_y)), "feature_dim": int(train_x.shape[1]),
                "cv_folds": scores["cv_folds"], "classifier": CLASSIFIER, **point_settings(args)}
    rows = [[r["seed"], r["C"], "-" if r["cv_accuracy"] is None else r["cv_accuracy"], r["accuracy"]]
            for r in scores["per_seed"]]
    log(format_table(["seed", "C", "cv acc (train)", "test acc"], rows))
    log(f"linear SVM test accuracy: {scores['accuracy']:.4f} +- {scores['accuracy_std']:.4f} ({dataset}, {name})")
    log(f"features: {FEATURES_NOTE}")
    return base_result("svm", dataset, name, settings, args.seeds, scores, features=FEATURES_NOTE, **scores,
                       summary={"svm acc": scores["accuracy"], "+-": scores["accuracy_std"]})
