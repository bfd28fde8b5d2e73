"""A complete DCGLR pre-training run: config -> tf.data -> DCGLR.fit -> checkpoints, logs and exports.

`run_pretraining(config, output_dir)` is what `train.py` calls. A run directory holds `config.json`,
`metrics.csv`, TensorBoard `logs/`, `checkpoints/` (state after every epoch, used to resume), the exported
encoder `encoder/` (SavedModel: raw points -> teacher-backbone embedding) and the full model `dcglr.keras`.
Running again with the same config and directory resumes from the last finished epoch. Under
`strategy="multi_worker"` every worker runs this with the same arguments; only the chief writes the run
directory (see `dcglr_tf.training.distribution`), which must be one directory shared by all workers.
"""

import contextlib
import dataclasses
import json
import os

import keras
import tensorflow as tf

from dcglr_tf.config import TrainConfig
from dcglr_tf.data import sources
from dcglr_tf.data.pipeline import pretraining_dataset
from dcglr_tf.data.preparation import prepare_with_progress
from dcglr_tf.dcglr import DCGLR
from dcglr_tf.export import METADATA_FILE, export_encoder
from dcglr_tf.models.registry import backbone_class, backbone_kwargs
from dcglr_tf.schedules import ScheduledAdamW, WarmupCosine, scaled_learning_rate
from dcglr_tf.training.callbacks import MetricsCSVLogger, ThroughputMonitor
from dcglr_tf.training.checkpointing import EpochCheckpoints, latest_checkpoint, load
from dcglr_tf.training.distribution import (
    is_chief,
    is_multi_worker,
    make_strategy,
    same_on_all_workers,
    strategy_name,
    worker_name,
    worker_output_dir,
)
from dcglr_tf.training.progress import training_progress
from dcglr_tf.training.strategy_loop import fit_with_strategy
from dcglr_tf.training.validation import validate_config
from dcglr_tf.utils.atomic import remove, replacing, write_text
from dcglr_tf.utils.runlock import LOCK_FILE, run_dir_lock


class RunConfigMismatch(ValueError):
    """The output directory holds a run with a different config."""


def with_resolved_backbone_args(config):
    """`config` with `backbone_args` holding every constructor argument of its backbone preset, overrides applied.

    Then the run's config.json records the architecture: a run directory made when a preset had other values (e.g. the
    embedded DGCNN's k = 16) is then refused rather than resumed with a different network.

    Args:
        config: TrainConfig.

    Returns:
        A new TrainConfig.

    Raises:
        ValueError: an unknown backbone or preset.
    """
    return dataclasses.replace(
        config, backbone_args=backbone_kwargs(config.backbone, config.backbone_preset, **config.backbone_args)
    )


def steps_per_epoch_for(config, dataset=None):
    """Training steps per epoch: `config.steps_per_epoch`, else one pass over the pre-training split.

    Args:
        config: TrainConfig.
        dataset: the `sources.DatasetInfo` of `config.dataset`; default resolved at `config.num_points`.

    Returns:
        int, the pre-training split's examples // `config.batch_size` when `config.steps_per_epoch` is not set.

    Raises:
        ValueError: when `config.batch_size` exceeds the split's examples, or as `sources.dataset_info` and
            `sources.num_examples`.
    """
    if config.steps_per_epoch:
        return int(config.steps_per_epoch)
    dataset = sources.dataset_info(dataset or config.dataset, num_points=config.num_points)
    examples = sources.num_examples(dataset, dataset.pretrain_split, data_dir=config.data_dir,
                                    manual_dir=config.manual_dir)
    steps = examples // config.batch_size
    if steps < 1:
        raise ValueError(
            f"batch_size={config.batch_size} is larger than the {examples} training examples of {config.dataset!r}"
        )
    return steps


def build_model(config, steps_per_epoch):
    """The DCGLR model and its optimizer for `config`, to be built and compiled by the caller.

    The peak learning rate is `config.optim.learning_rate` (the base rate) x batch_size / 256, reached by a linear
    warm-up from 0 over `warmup_epochs` (at most half the run) and followed by a cosine to `min_learning_rate`; the
    weight decay follows a cosine from `weight_decay` to `weight_decay_end`.

    Args:
        config: TrainConfig.
        steps_per_epoch: int.

    Returns:
        Tuple `(model, optimizer)`: an unbuilt `DCGLR` and a `ScheduledAdamW`.
    """
    total_steps = max(config.epochs * steps_per_epoch, 1)
    optim = config.optim
    model = DCGLR(
        backbone=config.backbone,
        backbone_preset=config.backbone_preset,
        backbone_args={"max_points": config.encoder_max_points(), **config.backbone_args},
        head_args=dataclasses.asdict(config.head),
        teacher_temp=config.loss.teacher_temp,
        student_temp=config.loss.student_temp,
        center_momentum=config.loss.center_momentum,
        global_weight=config.loss.global_weight,
        local_weight=config.loss.local_weight,
        koleo_weight=config.loss.koleo_weight,
        momentum_start=optim.momentum_start,
        momentum_end=optim.momentum_end,
        total_steps=total_steps,
        freeze_last_layer_steps=optim.freeze_last_layer_epochs * steps_per_epoch,
        dtype=config.precision,
    )
    warmup_steps = min(optim.warmup_epochs * steps_per_epoch, total_steps // 2)
    optimizer = ScheduledAdamW(
        WarmupCosine(optim.weight_decay, optim.weight_decay_end, total_steps),
        learning_rate=WarmupCosine(
            scaled_learning_rate(optim.learning_rate, config.batch_size), optim.min_learning_rate, total_steps, warmup_steps
        ),
    )
    return model, optimizer


def _prepare_run_dir(config, output_dir, overwrite, write=True):
    """Check (and with `write`, create) the run directory; True when it already holds this run. Workers that
    do not write (multi-worker, not the chief) only check, and ignore the directory under `overwrite`."""
    config_path = os.path.join(output_dir, "config.json")
    if overwrite and not write:
        return False
    if overwrite and os.path.exists(output_dir):
        for name in os.listdir(output_dir):  # all but the lock this process holds
            if name != LOCK_FILE:
                remove(os.path.join(output_dir, name))
    if os.path.exists(config_path):
        with open(config_path) as f:
            previous = json.load(f)
        try:  # a run written before a setting existed holds that setting's default
            previous = json.loads(TrainConfig.from_dict(previous).to_json())
        except ValueError:  # keys or types this version does not know: compared as written, reported key by key
            pass
        current = json.loads(config.to_json())
        previous["backbone_args"] = _recorded_backbone_args(previous.get("backbone_args") or {},
                                                            current["backbone_args"], output_dir)
        differing = sorted(k for k in set(previous) | set(current) if previous.get(k) != current.get(k))
        if differing:
            raise RunConfigMismatch(
                f"{output_dir} holds a run with a different config (differs in: {', '.join(differing)}"
                f"{_backbone_difference(previous['backbone_args'], current['backbone_args'])}); "
                f"use another --output_dir, or --overwrite to start that directory over"
            )
        return True
    if write:  # atomically: other workers may read it meanwhile
        os.makedirs(output_dir, exist_ok=True)
        write_text(config_path, config.to_json())
    return False


def _recorded_backbone_args(recorded, current, output_dir):
    """The architecture of the run in `output_dir`: the `backbone_args` its config.json records, completed, for a
    run made before config.json recorded them all, from the description of the encoder it exported (if it did)."""
    description = os.path.join(output_dir, "encoder", METADATA_FILE)
    missing = set(current) - set(recorded)
    if not missing or not os.path.exists(description):
        return recorded
    with open(description) as f:
        exported = json.load(f).get("backbone_config", {})
    return {**{key: exported[key] for key in missing if key in exported}, **recorded}


def _backbone_difference(previous, current):
    """'; backbone_args: k 16 -> 8, ...' for the architecture arguments that differ ('not recorded' in a run made
    before config.json recorded them), or '' when they agree."""
    changes = [f"{key} {previous.get(key, 'not recorded')} -> {current.get(key, 'not given')}"
               for key in sorted(set(previous) | set(current)) if previous.get(key) != current.get(key)]
    return f"; backbone_args: {', '.join(changes)}" if changes else ""


def _describe(strategy, jit):
    replicas = strategy.num_replicas_in_sync
    if not jit:
        xla = "XLA off"
    elif replicas > 1:
        xla = "XLA on (compiled per replica; cross-replica reductions between the compiled clusters)"
    else:
        xla = "XLA on"
    return f"strategy {strategy_name(strategy)} with {replicas} replica(s), {xla}"


def resolve_jit_compile(requested, backbone):
    """XLA for the train step.

    Args:
        requested: bool or None.
        backbone: str, a registered backbone name.

    Returns:
        bool: `requested`, or for None the backbone's measured faster path (`Backbone.xla_default`).
    """
    return backbone_class(backbone).xla_default if requested is None else bool(requested)


def run_pretraining(
    config: TrainConfig, output_dir, *, strategy="default", jit_compile=None, cluster_timeout=300, overwrite=False,
    verbose="auto", log=print, extra_callbacks=(), dataset=None,
):
    """Pre-trains (or resumes) a DCGLR run in `output_dir`, then exports the teacher encoder.

    The precision is `config.precision`; `config.batch_size` is the global batch (all replicas of all workers). One
    process trains in a run directory at a time (its chief, under multi-worker). Killed at any moment (kill -9
    included), the same call resumes from the last finished epoch: checkpoints and exports are written whole or not at
    all (`dcglr_tf.training.checkpointing`, `dcglr_tf.utils.atomic`) and metrics.csv keeps one row per epoch.

    Args:
        config: TrainConfig.
        output_dir: str, the run directory.
        strategy: a tf.distribute.Strategy, or its name for `dcglr_tf.training.distribution.make_strategy` ("default",
            "mirrored" or "multi_worker").
        jit_compile: bool or None, XLA for the train step under every strategy; None: the backbone's measured faster
            path (`Backbone.xla_default`: on for all but PCT).
        cluster_timeout: seconds for a multi-worker cluster to form.
        overwrite: bool, start the run directory over instead of resuming.
        verbose: 0 silent; 1 or "auto": Keras's progress bar when `log` is print to a terminal; otherwise (2, a file, a
            pipe) one line per epoch (`dcglr_tf.training.progress`).
        log: callable taking a message.
        extra_callbacks: Keras callbacks (e.g. `dcglr_tf.training.callbacks.KNNMonitor`) run after the throughput
            monitor and before the loggers, so values they add to the epoch logs reach metrics.csv and TensorBoard.
        dataset: the `sources.DatasetInfo` of `config.dataset` as the caller resolved it (a folder with its labels CSV
            and strict mode); default: resolved at `config.num_points`.

    Returns:
        Summary dict (also written to `summary.json`): output_dir, encoder (the export's path), resumed_from_epoch,
        epochs, final_metrics (last epoch's logs of this session; empty if nothing trained).

    Raises:
        ValueError: a setting that cannot work (`dcglr_tf.training.validation.ConfigError`) or a dataset problem, before
            the run directory is touched.
        RunConfigMismatch: `output_dir` holds a run with a different config (without `overwrite`).
        dcglr_tf.utils.runlock.RunDirInUse: another process trains in `output_dir`.
    """
    strategy_obj = strategy if isinstance(strategy, tf.distribute.Strategy) else make_strategy(strategy, cluster_timeout)
    validate_config(config, strategy_obj.num_replicas_in_sync)  # bad settings and data fail before the run directory
    config = with_resolved_backbone_args(config)
    chief = is_chief(strategy_obj)
    dataset = sources.dataset_info(dataset or config.dataset, num_points=config.num_points)
    if config.epochs > 0:
        prepare_with_progress(dataset, config.data_dir, config.manual_dir, log)
    with run_dir_lock(output_dir) if chief else contextlib.nullcontext():  # the other workers write elsewhere
        return _pretrain(config, output_dir, strategy_obj, chief, jit_compile, overwrite, verbose, log, extra_callbacks,
                         dataset)


def _pretrain(config, output_dir, strategy_obj, chief, jit_compile, overwrite, verbose, log, extra_callbacks, dataset):
    """`run_pretraining` once the run directory is this process's."""
    if not chief:
        name = worker_name(strategy_obj)
        log = (lambda message, _log=log: _log(f"[{name}] {message}"))
        verbose = 0
    jit = resolve_jit_compile(jit_compile, config.backbone)
    existing = _prepare_run_dir(config, output_dir, overwrite, write=chief)
    backup_dir = os.path.join(output_dir, "checkpoints")
    checkpoint = None if overwrite and not chief else latest_checkpoint(backup_dir, log)
    initial_epoch = min(checkpoint.epoch, config.epochs) if checkpoint else 0
    same_on_all_workers(
        strategy_obj, initial_epoch, f"the last finished epoch in {backup_dir} (--output_dir must be one directory "
        f"that every worker sees)"
    )
    if existing and (chief or initial_epoch):  # (the chief may have just created it)
        log(f"resuming {output_dir} at epoch {initial_epoch} of {config.epochs}")

    keras.utils.set_random_seed(config.seed)
    steps = steps_per_epoch_for(config, dataset) if config.epochs > 0 else 1
    with strategy_obj.scope():
        model, optimizer = build_model(config, steps)
        model.build((None, config.num_points, 3))
        model.compile(optimizer=optimizer, clip_norm=config.optim.clip_norm, jit_compile=jit)

    with worker_output_dir(output_dir, strategy_obj) as write_dir:
        history = {}
        if config.epochs > initial_epoch:
            keras_verbose, progress = training_progress(verbose, log)
            callbacks = [  # the loggers before the checkpoint: an epoch is logged before it is saved
                ThroughputMonitor(config.batch_size),
                *extra_callbacks,
                *progress,
                MetricsCSVLogger(os.path.join(write_dir, "metrics.csv"), append=True, resume_epoch=initial_epoch),
                keras.callbacks.TensorBoard(os.path.join(write_dir, "logs"), update_freq="epoch"),
                EpochCheckpoints(os.path.join(write_dir, "checkpoints"), resume_from=checkpoint),
            ]
            peak = scaled_learning_rate(config.optim.learning_rate, config.batch_size)
            log(
                f"pre-training {config.backbone} on {config.dataset}: {config.epochs} epochs x {steps} steps, "
                f"global batch {config.batch_size}, peak learning rate {peak:.3g} (base "
                f"{config.optim.learning_rate:.3g} x {config.batch_size} / 256), precision {config.precision}; "
                f"{_describe(strategy_obj, jit)}"
            )
            history = _train(model, config, strategy_obj, steps, initial_epoch, callbacks, keras_verbose, dataset)

        encoder_dir = os.path.join(write_dir, "encoder")
        if config.epochs > 0 and not history:  # a finished run, exported again
            load(model, checkpoint)
        metadata = {"dataset": config.dataset, "num_points": config.num_points, "epochs": config.epochs,
                    "seed": config.seed, "precision": config.precision}
        export_encoder(model.teacher_backbone, encoder_dir, metadata=metadata)
        with replacing(os.path.join(write_dir, "dcglr.keras")) as tmp:
            model.save(tmp)
        final = {k: v[-1] for k, v in history.items()}
        summary = {
            "output_dir": output_dir,
            "encoder": os.path.join(output_dir, "encoder"),
            "resumed_from_epoch": initial_epoch,
            "epochs": config.epochs,
            "final_metrics": final,
        }
        write_text(os.path.join(write_dir, "summary.json"), json.dumps(summary, indent=2))
    return summary


def _train(model, config, strategy, steps, initial_epoch, callbacks, verbose, dataset):
    """Keras `fit` on one machine; the loop over `strategy.run` (same train_step) across workers. A resumed run
    (`initial_epoch` > 0) reads the data stream from the batch an uninterrupted run would read next."""
    start_step = initial_epoch * steps
    if is_multi_worker(strategy):
        def dataset_fn(context):  # this worker's shard, in per-replica batches
            return pretraining_dataset(
                config, start_step=start_step, shard=(context.input_pipeline_id, context.num_input_pipelines),
                batch_size=context.get_per_replica_batch_size(config.batch_size), dataset=dataset,
            )

        fit = fit_with_strategy(
            model, dataset_fn, epochs=config.epochs, steps_per_epoch=steps, initial_epoch=initial_epoch,
            callbacks=callbacks, verbose=verbose,
        )
    else:
        fit = model.fit(
            pretraining_dataset(config, start_step=start_step, dataset=dataset), epochs=config.epochs,
            steps_per_epoch=steps, initial_epoch=initial_epoch, callbacks=callbacks, verbose=verbose, shuffle=False,
        )
    return {k: [float(v) for v in values] for k, values in fit.history.items()}

