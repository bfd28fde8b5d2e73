"""Fine-tuning protocol: encoder + MLP classification head with dropout, trained end to end.

The same recipe runs twice: from the pre-trained encoder (teacher backbone weights of the run) and from
scratch (same architecture, random initialisation). Recipe: AdamW (lr 1e-3, weight decay 1e-4, cosine decay
over all steps), cross-entropy with label smoothing 0.1, head Dense(512)-BN-LeakyReLU-Dropout(0.5)-Dense(256)-
BN-LeakyReLU-Dropout(0.5)-Dense(classes), augmentation by random anisotropic scaling in [0.8, 1.25] and a
translation in [-0.1, 0.1] per axis (DGCNN's). Each run has its own directory with config.json,
checkpoints/ (state after every epoch; re-running resumes), metrics.csv, the final weights and classifier/, the
fitted classifier exported as a SavedModel that takes raw points (`dcglr_tf.export.export_classifier`).
"""

import json
import os
import time

import keras
import numpy as np
import tensorflow as tf

from dcglr_tf.evaluation.metrics import mean_class_accuracy, overall_accuracy, per_class_accuracy
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.tasks.common import (
    backbone_args,
    base_result,
    check_classification,
    class_names_of,
    dataset_of,
    encoder_description,
    inits_of,
    num_points_of,
    point_order_of,
    point_settings,
    prepared_dataset,
    run_dir_of,
    split_of,
    task_dataset,
)
from dcglr_tf.evaluation.tasks.features import load_trainable_backbone, parse_encoder_spec
from dcglr_tf.export import export_classifier
from dcglr_tf.models.classifier import PointClassifier
from dcglr_tf.training.callbacks import MetricsCSVLogger, ThroughputMonitor
from dcglr_tf.training.checkpointing import EpochCheckpoints, latest_checkpoint
from dcglr_tf.training.progress import training_progress
from dcglr_tf.utils.atomic import replacing, write_text
from dcglr_tf.utils.runlock import run_dir_lock


def augment(points):
    """DGCNN's training augmentation: random anisotropic scale and translation per cloud."""
    batch = tf.shape(points)[0]
    scale = tf.random.uniform([batch, 1, 3], 0.8, 1.25)
    shift = tf.random.uniform([batch, 1, 3], -0.1, 0.1)
    return points * scale + shift


def load_arrays(dataset, split, num_points, data_dir=None, manual_dir=None, point_order="first", seed=0):
    """(points (M, num_points, 3), labels (M,)) of a labelled split of `dataset` (a name or a `sources.DatasetInfo`),
    unit-sphere normalised; the points of each cloud taken as `point_order` says (`labelled_dataset`)."""
    from dcglr_tf.data.pipeline import labelled_dataset

    points, labels = [], []
    for p, y in labelled_dataset(dataset, split, num_points=num_points, batch_size=256, data_dir=data_dir,
                                 manual_dir=manual_dir, point_order=point_order, seed=seed):
        points.append(p.numpy())
        labels.append(y.numpy())
    if not points:
        raise ValueError(f"split {split!r} of {dataset!r} is empty")
    return np.concatenate(points), np.concatenate(labels)


def check_run_dir(run_dir, settings):
    """Create `run_dir` with config.json, or check an existing one was made with the same settings (resume)."""
    path = os.path.join(run_dir, "config.json")
    if os.path.exists(path):
        with open(path) as f:
            previous = json.load(f)
        if previous != settings:
            differing = sorted(k for k in set(previous) | set(settings) if previous.get(k) != settings.get(k))
            raise ValueError(f"{run_dir} holds a run with different settings (differs in: {', '.join(differing)}); "
                             f"use another --output_dir or delete that directory")
        return True
    os.makedirs(run_dir, exist_ok=True)
    write_text(path, json.dumps(settings, indent=2, sort_keys=True))
    return False


def read_history(run_dir):
    """Per-epoch metrics of the whole run (all sessions, resumed ones included) from its metrics.csv."""
    import csv

    path = os.path.join(run_dir, "metrics.csv")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        rows = list(csv.DictReader(f))
    history = {}
    for key in rows[0] if rows else {}:
        try:
            history[key] = [float(row[key]) for row in rows]
        except (TypeError, ValueError):  # e.g. "NA" columns of metrics that were never computed
            continue
    return history


def predict_classes(model, points, batch_size):
    """Arg-max class of `model`'s logits in inference mode, `batch_size` clouds at a time:
    (M, N, 3) -> (M,) for a classifier, (M, N) for a per-point model."""
    logits = [np.asarray(model(points[i:i + batch_size], training=False)) for i in range(0, len(points), batch_size)]
    return np.argmax(np.concatenate(logits), axis=-1)


def cosine_adamw(learning_rate, *, epochs, num_examples, batch_size):
    """AdamW (weight decay 1e-4) whose learning rate decays by a cosine over every step of the run to 1 %."""
    steps = max(int(np.ceil(num_examples / batch_size)), 1)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, max(epochs * steps, 1), alpha=0.01)
    return keras.optimizers.AdamW(schedule, weight_decay=1e-4)


def fit_in_run_dir(model, data, *, run_dir, settings, epochs, batch_size, verbose, log=print, export=None):
    """`model.fit` on `data` (batches of `batch_size`) in `run_dir`, which this process holds for the time
    (`dcglr_tf.utils.runlock`; another process training there gets `RunDirInUse`) and whose config.json must match
    `settings` (`check_run_dir`). The training state is saved after every epoch (crash-safe: re-running resumes
    from the last finished epoch), per-epoch metrics go to its metrics.csv (one row per epoch) and the final
    weights to final.weights.h5. `export`: optional (name, write): `write(path)` then exports the fitted model as
    a SavedModel to run_dir/name (a finished run that trained nothing now keeps the export it has).
    Returns {history (all sessions), epochs_run_now, train_seconds, run_dir, and exported_model (its path, or None
    without `export`)}."""
    with run_dir_lock(run_dir):
        if check_run_dir(run_dir, settings):
            log(f"resuming {run_dir}")
        backup_dir = os.path.join(run_dir, "checkpoints")
        checkpoint = latest_checkpoint(backup_dir, log)
        initial_epoch = min(checkpoint.epoch, epochs) if checkpoint else 0
        keras_verbose, progress = training_progress(verbose, log)
        start = time.perf_counter()
        fit = model.fit(
            data, epochs=epochs, initial_epoch=initial_epoch, verbose=keras_verbose,
            shuffle=False,  # the tf.data pipeline shuffles
            callbacks=[  # the loggers before the checkpoint: an epoch is logged before it is saved
                ThroughputMonitor(batch_size),
                *progress,
                MetricsCSVLogger(os.path.join(run_dir, "metrics.csv"), append=True, resume_epoch=initial_epoch),
                EpochCheckpoints(backup_dir, resume_from=checkpoint),
            ],
        )
        seconds = time.perf_counter() - start
        with replacing(os.path.join(run_dir, "final.weights.h5")) as tmp:
            model.save_weights(tmp)
        epochs_run_now = len(fit.history.get("loss", []))
        exported = None if export is None else os.path.join(run_dir, export[0])
        if exported and (epochs_run_now or not os.path.exists(os.path.join(exported, "saved_model.pb"))):
            export[1](exported)
    return {
        "history": read_history(run_dir),
        "epochs_run_now": epochs_run_now,
        "train_seconds": round(seconds, 2),
        "run_dir": run_dir,
        "exported_model": exported,
    }


def train_classifier(backbone, train, test, *, num_classes, run_dir, settings, epochs, batch_size, seed=0,
                     learning_rate=1e-3, verbose=2, log=print, class_names=None, export_metadata=None):
    """Train `PointClassifier(backbone)` on `train` (points, labels) with checkpoints in `run_dir`; returns
    metrics on `test`: overall_accuracy, mean_class_accuracy, per_class_accuracy, and `fit_in_run_dir`'s
    history, epochs_run_now, train_seconds, run_dir, exported_model. With `class_names` (num_classes str) the
    fitted classifier is exported to run_dir/classifier (`dcglr_tf.export.export_classifier`), `export_metadata`
    and the settings in its description."""
    keras.utils.set_random_seed(seed)
    model = PointClassifier(backbone, num_classes)
    model(np.zeros((1,) + train[0].shape[1:], np.float32))  # builds the head on the backbone
    model.compile(
        optimizer=cosine_adamw(learning_rate, epochs=epochs, num_examples=len(train[1]), batch_size=batch_size),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics=["accuracy"],
    )
    data = (
        tf.data.Dataset.from_tensor_slices((train[0], tf.one_hot(train[1], num_classes)))
        .shuffle(len(train[1]), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .map(lambda p, y: (augment(p), y), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
    export = None
    if class_names is not None:
        export = ("classifier", lambda path: export_classifier(model, path, class_names,
                                                               metadata={**(export_metadata or {}), **settings}))
    run = fit_in_run_dir(model, data, run_dir=run_dir, settings=settings, epochs=epochs, batch_size=batch_size,
                         verbose=verbose, log=log, export=export)
    predictions = predict_classes(model, test[0], batch_size)
    per_class = per_class_accuracy(test[1], predictions, num_classes)
    return {
        "overall_accuracy": overall_accuracy(test[1], predictions),
        "mean_class_accuracy": mean_class_accuracy(test[1], predictions, num_classes),
        "per_class_accuracy": [None if np.isnan(a) else float(a) for a in per_class],
        **run,
    }


def run_finetune(args, spec, ctx, log=print):
    dataset = task_dataset(args)
    check_classification(dataset_of(args, dataset), "finetune")
    path, backbone_name = parse_encoder_spec(spec, args.backbone)
    inits = inits_of(args, path)
    metrics, names = {}, {}
    settings = None
    for init in inits:
        backbone, name = load_trainable_backbone(path, backbone_name, args.preset, args.seed, backbone_args(args),
                                                 pretrained=init == "pretrained")
        names[init] = name
        description = {} if path == "random" else encoder_description(path)
        num_points = num_points_of(args, description)
        if settings is None:
            info = prepared_dataset(args, dataset, num_points, log)
            train, test = (load_arrays(info, split_of(args, split, info), num_points, args.data_dir, args.manual_dir,
                                       point_order_of(args), args.seed) for split in ("train", "test"))
            settings = {"num_points": num_points, **point_settings(args), "epochs": args.epochs,
                        "batch_size": args.batch_size,
                        "learning_rate": args.learning_rate, "seed": args.seed, "train_examples": int(len(train[1])),
                        "test_examples": int(len(test[1])),
                        "recipe": "encoder + MLP head (512, 256, dropout 0.5), AdamW wd 1e-4, cosine lr, label "
                                  "smoothing 0.1, random scale/translate; identical for pretrained and scratch"}
            class_names = class_names_of(info, args) or [str(label) for label in range(info.num_classes)]
        run_dir = run_dir_of(ctx, "finetune", dataset, spec, args, init)
        log(f"fine-tuning ({init}): {name}, {args.epochs} epochs, run directory {run_dir}")
        metrics[init] = train_classifier(
            backbone, train, test, num_classes=info.num_classes, run_dir=run_dir,
            settings={**settings, "init": init, "encoder": spec, "backbone_args": backbone_args(args)},
            epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, learning_rate=args.learning_rate,
            verbose=args.verbose, log=log, class_names=class_names,
            export_metadata={"task": "finetune", "dataset": dataset})
        log(f"exported the {init} classifier to {metrics[init]['exported_model']}")
    rows = [[init, metrics[init]["overall_accuracy"], metrics[init]["mean_class_accuracy"],
             metrics[init]["train_seconds"]] for init in inits]
    log(format_table(["init", "OA", "mean class acc", "train s"], rows))
    summary = {}
    for init in inits:
        summary[f"{init} OA"] = metrics[init]["overall_accuracy"]
        summary[f"{init} mAcc"] = metrics[init]["mean_class_accuracy"]
    return base_result("finetune", dataset, spec if path != "random" else names["scratch"], settings, [args.seed],
                       metrics, initialisations=names, summary=summary,
                       exported_models={init: metrics[init]["exported_model"] for init in inits})
