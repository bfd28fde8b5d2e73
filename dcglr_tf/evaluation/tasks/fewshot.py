"""Few-shot classification: N-way K-shot trials on a labelled dataset (CrossPoint's and Point-BERT's benchmark).

A trial draws N classes, K train clouds of each (the support set, from the train split) and up to Q test clouds
of each (the queries, from the test split: Q = 20 as in CrossPoint / Point-BERT, fewer when a class has fewer),
fits a classifier on the support set and scores it on the queries. Only classes with at least K train clouds and
one test cloud are drawn. Every draw comes from `numpy.random.default_rng((seed, N, K, trial))`, so a trial is
the same on every run and for every encoder. Settings default to 5w10s, 5w20s, 10w10s, 10w20s, 10 trials each;
reported: mean and std of the query accuracy over the trials.

Classifier (default, CrossPoint's protocol): the frozen encoder's features, standardised on the support set, and
scikit-learn's `SVC(kernel="linear", C=1)`. With `--fewshot_finetune`: the finetune task's recipe (encoder + MLP
head trained end to end, `--epochs`, `--learning_rate`) on each trial's support clouds (Point-BERT / Point-MAE's
protocol), one run directory per trial.
"""

import numpy as np

from dcglr_tf.evaluation.fewshot import DEFAULT_SETTINGS, parse_setting, sample_trial, svm_trial
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.tasks.common import (
    FEATURES_NOTE,
    backbone_args,
    base_result,
    check_classification,
    dataset_of,
    encoder_description,
    frozen_features,
    num_points_of,
    point_order_of,
    point_settings,
    prepared_dataset,
    run_dir_of,
    split_of,
    task_dataset,
)
from dcglr_tf.evaluation.tasks.features import load_trainable_backbone, parse_encoder_spec
from dcglr_tf.evaluation.tasks.finetune import load_arrays, train_classifier
from dcglr_tf.utils.progress import Stage


def _finetune_trial(args, spec, ctx, points, support, query, classes, name, log):
    """Accuracy of the finetune recipe trained on the support clouds, scored on the queries."""
    (train_points, train_labels), (test_points, test_labels) = points
    path, backbone_name = parse_encoder_spec(spec, args.backbone)
    init = "scratch" if path == "random" else "pretrained"
    backbone, _ = load_trainable_backbone(path, backbone_name, args.preset, args.seed, backbone_args(args),
                                          pretrained=init == "pretrained")
    ways, shots = len(classes), len(support) // len(classes)
    remap = {int(c): i for i, c in enumerate(classes)}
    train = (train_points[support], np.array([remap[int(c)] for c in train_labels[support]]))
    test = (test_points[query], np.array([remap[int(c)] for c in test_labels[query]]))
    run_dir = run_dir_of(ctx, f"fewshot_{ways}w{shots}s_trial{name}", task_dataset(args), spec, args, init)
    settings = {"ways": ways, "shots": shots, "trial": name, "classes": [int(c) for c in classes],
                "epochs": args.epochs, "encoder": spec, "seed": args.seed, "learning_rate": args.learning_rate}
    metrics = train_classifier(backbone, train, test, num_classes=ways, run_dir=run_dir, settings=settings,
                               epochs=args.epochs, batch_size=min(args.batch_size, len(support)), seed=args.seed,
                               learning_rate=args.learning_rate, verbose=0, log=log)
    return metrics["overall_accuracy"]


def run_fewshot(args, spec, ctx, log=print):
    settings_list = [parse_setting(s) for s in (args.fewshot_settings or DEFAULT_SETTINGS)]
    finetune = bool(getattr(args, "fewshot_finetune", False))
    dataset = task_dataset(args)
    check_classification(dataset_of(args, dataset), "fewshot")
    if finetune:
        path, _ = parse_encoder_spec(spec, args.backbone)
        description = {} if path == "random" else encoder_description(path)
        num_points = num_points_of(args, description)
        key = ("fewshot_points", dataset, num_points, point_order_of(args))
        if key not in ctx:
            info = prepared_dataset(args, dataset, num_points, log)
            ctx[key] = tuple(load_arrays(info, split_of(args, split, info), num_points, args.data_dir,
                                         args.manual_dir, point_order_of(args), args.seed)
                             for split in ("train", "test"))
        points = ctx[key]
        (_, train_y), (_, test_y) = points
        name = spec if path != "random" else f"random-init {args.backbone} (from scratch)"
    else:
        dataset, name, num_points, splits = frozen_features(args, spec, "fewshot", log, ctx=ctx)
        (train_x, train_y), (test_x, test_y) = splits
    metrics, rows, summary, warnings = {}, [], {}, []
    for ways, shots in settings_list:
        label = f"{ways}w{shots}s"
        accuracies, query_counts = [], []
        try:
            draws = [sample_trial(train_y, test_y, ways, shots, args.queries, args.seed, t) for t in range(args.trials)]
        except ValueError as error:
            warnings.append(f"{label} skipped: {error}")
            log(f"warning: {label} skipped: {error}")
            continue
        with Stage(f"{label} ({'fine-tuning' if finetune else 'linear SVM'})", args.trials, "trials", log) as stage:
            for trial, (classes, support, query) in enumerate(draws):
                if finetune:
                    accuracies.append(_finetune_trial(args, spec, ctx, points, support, query, classes, trial, log))
                else:
                    accuracies.append(svm_trial(train_x[support], train_y[support], test_x[query], test_y[query]))
                query_counts.append(int(len(query)))
                stage.update()
        mean, std = float(np.mean(accuracies)), float(np.std(accuracies))
        metrics[label] = {"ways": ways, "shots": shots, "trials": args.trials, "accuracy": mean, "accuracy_std": std,
                          "per_trial": accuracies, "queries": query_counts,
                          "classes": [[int(c) for c in d[0]] for d in draws]}
        rows.append([label, args.trials, f"{100 * mean:.1f} +- {100 * std:.1f}"])
        summary[label] = mean
    if not metrics:
        raise ValueError(f"no few-shot setting can be drawn from {dataset!r}: " + "; ".join(warnings))
    log(format_table(["setting", "trials", "query acc (%)"], rows))
    settings = {"settings": [f"{w}w{s}s" for w, s in settings_list], "trials": args.trials,
                "queries_per_class": args.queries, "seed": args.seed, "num_points": num_points, **point_settings(args),
                "support": "train split", "queries_from": "test split",
                "classifier": ("finetune recipe on the support clouds (--fewshot_finetune)" if finetune else
                               "standardised frozen features, sklearn SVC(kernel='linear', C=1) (CrossPoint)")}
    extra = {} if finetune else {"features": FEATURES_NOTE}
    return base_result("fewshot", dataset, name, settings, [args.seed], {"settings": metrics, "warnings": warnings},
                       summary=summary, **extra)
