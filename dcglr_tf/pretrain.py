"""A complete DCGLR pre-training run: config -> tf.data -> DCGLR.fit -> checkpoints, logs and exports.

`run_pretraining(config, output_dir)` is what `train.py` calls. A run directory holds `config.json`,
`metrics.csv`, TensorBoard `logs/`, `checkpoints/` (state after every epoch, used to resume), the exported
encoder `encoder/` (SavedModel: raw points -> teacher-backbone embedding) and the full model `dcglr.keras`.
Running again with the same config and directory resumes from the last finished epoch.
"""

import dataclasses
import json
import os
import shutil

import keras
import tensorflow as tf

from dcglr_tf.callbacks import MetricsCSVLogger, ThroughputMonitor
from dcglr_tf.checkpointing import AtomicBackupAndRestore, saved_epoch
from dcglr_tf.config import TrainConfig
from dcglr_tf.data import sources
from dcglr_tf.data.pipeline import pretraining_dataset, validate_crop_config
from dcglr_tf.dcglr import DCGLR
from dcglr_tf.export import export_encoder
from dcglr_tf.schedules import ScheduledAdamW, WarmupCosine, scaled_learning_rate

STRATEGIES = ("default", "mirrored")


class RunConfigMismatch(ValueError):
    """The output directory holds a run with a different config."""


def split_cpu(num_devices):
    """Expose the CPU as `num_devices` logical devices (to run MirroredStrategy on one machine without
    GPUs). Must be called before TensorFlow initialises its devices."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices)
    except RuntimeError as error:
        if len(tf.config.list_logical_devices("CPU")) != num_devices:
            raise RuntimeError(f"cannot split the CPU into {num_devices} devices after TensorFlow started: {error}")


def make_strategy(name):
    """"default" (one device) or "mirrored" (all local GPUs, else all logical CPUs)."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    raise ValueError(f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}")


def resolve_jit_compile(requested, strategy, log=print):
    """XLA on by default for a single device. Under a multi-replica strategy Keras cannot XLA-compile the
    step (cross-replica reductions inside it), so a request for XLA falls back with a message."""
    replicas = strategy.num_replicas_in_sync
    if requested is None:
        return replicas == 1
    if requested and replicas > 1:
        log(f"note: XLA is not used with {replicas} replicas (MirroredStrategy); running the step without jit_compile")
        return False
    return bool(requested)


def steps_per_epoch_for(config):
    if config.steps_per_epoch:
        return int(config.steps_per_epoch)
    examples = sources.num_examples(config.dataset, "train", data_dir=config.data_dir, manual_dir=config.manual_dir)
    steps = examples // config.batch_size
    if steps < 1:
        raise ValueError(
            f"batch_size={config.batch_size} is larger than the {examples} training examples of {config.dataset!r}"
        )
    return steps


def build_model(config, steps_per_epoch):
    """The DCGLR model and its optimizer for `config` (TrainConfig), built and compiled by the caller.
    The peak learning rate is `config.optim.learning_rate` (the base rate) x batch_size / 256."""
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
        momentum_start=optim.momentum_start,
        momentum_end=optim.momentum_end,
        total_steps=total_steps,
        freeze_last_layer_steps=optim.freeze_last_layer_epochs * steps_per_epoch,
    )
    warmup_steps = min(optim.warmup_epochs * steps_per_epoch, total_steps // 2)
    optimizer = ScheduledAdamW(
        WarmupCosine(optim.weight_decay, optim.weight_decay_end, total_steps),
        learning_rate=WarmupCosine(
            scaled_learning_rate(optim.learning_rate, config.batch_size), optim.min_learning_rate, total_steps, warmup_steps
        ),
    )
    return model, optimizer


def _prepare_run_dir(config, output_dir, overwrite):
    config_path = os.path.join(output_dir, "config.json")
    if overwrite and os.path.exists(output_dir):
        shutil.rmtree(output_dir)
    if os.path.exists(config_path):
        with open(config_path) as f:
            previous = json.load(f)
        current = json.loads(config.to_json())
        differing = sorted(k for k in set(previous) | set(current) if previous.get(k) != current.get(k))
        if differing:
            raise RunConfigMismatch(
                f"{output_dir} holds a run with a different config (differs in: {', '.join(differing)}); "
                f"use another --output_dir, or --overwrite to start that directory over"
            )
        return True
    os.makedirs(output_dir, exist_ok=True)
    with open(config_path, "w") as f:
        f.write(config.to_json())
    return False


def run_pretraining(
    config: TrainConfig, output_dir, *, strategy="default", jit_compile=None, overwrite=False, verbose="auto", log=print,
    extra_callbacks=(),
):
    """Pre-train (or resume) a DCGLR run in `output_dir`, then export the teacher encoder.

    `extra_callbacks` (e.g. `dcglr_tf.callbacks.KNNMonitor`) run after the throughput monitor and before the
    loggers, so values they add to the epoch logs reach metrics.csv and TensorBoard.

    Returns a summary dict (also written to `summary.json`): output_dir, encoder (the export's path),
    resumed_from_epoch, epochs, final_metrics (last epoch's logs of this session; empty if nothing trained).
    """
    validate_crop_config(config.crops, config.num_points)
    strategy_obj = make_strategy(strategy)
    replicas = strategy_obj.num_replicas_in_sync
    if config.batch_size % replicas:
        raise ValueError(
            f"batch_size={config.batch_size} is not divisible by the {replicas} replicas of strategy {strategy!r}"
        )
    jit = resolve_jit_compile(jit_compile, strategy_obj, log)
    existing = _prepare_run_dir(config, output_dir, overwrite)
    backup_dir = os.path.join(output_dir, "checkpoints")
    initial_epoch = min(saved_epoch(backup_dir), config.epochs)
    if existing:
        log(f"resuming {output_dir} at epoch {initial_epoch} of {config.epochs}")

    keras.utils.set_random_seed(config.seed)
    steps = steps_per_epoch_for(config) if config.epochs > 0 else 1
    with strategy_obj.scope():
        model, optimizer = build_model(config, steps)
        model.build((None, config.num_points, 3))
        model.compile(optimizer=optimizer, clip_norm=config.optim.clip_norm, jit_compile=jit)

    history = {}
    if config.epochs > initial_epoch:
        dataset = pretraining_dataset(config, initial_epoch=initial_epoch)
        callbacks = [
            ThroughputMonitor(config.batch_size),
            *extra_callbacks,
            AtomicBackupAndRestore(backup_dir),
            MetricsCSVLogger(os.path.join(output_dir, "metrics.csv"), append=True),
            keras.callbacks.TensorBoard(os.path.join(output_dir, "logs"), update_freq="epoch"),
        ]
        log(
            f"pre-training {config.backbone} on {config.dataset}: {config.epochs} epochs x {steps} steps, "
            f"batch {config.batch_size}, peak learning rate {scaled_learning_rate(config.optim.learning_rate, config.batch_size):.3g} "
            f"(base {config.optim.learning_rate:.3g} x {config.batch_size} / 256), {replicas} replica(s), XLA {'on' if jit else 'off'}"
        )
        fit = model.fit(
            dataset, epochs=config.epochs, steps_per_epoch=steps, initial_epoch=initial_epoch,
            callbacks=callbacks, verbose=verbose, shuffle=False,
        )
        history = {k: [float(v) for v in values] for k, values in fit.history.items()}

    encoder_dir = os.path.join(output_dir, "encoder")
    if config.epochs > 0 and not history:
        _restore_last_state(model, backup_dir)
    metadata = {"dataset": config.dataset, "num_points": config.num_points, "epochs": config.epochs, "seed": config.seed}
    export_encoder(model.teacher_backbone, encoder_dir, metadata=metadata)
    model.save(os.path.join(output_dir, "dcglr.keras"))
    final = {k: v[-1] for k, v in history.items()}
    summary = {
        "output_dir": output_dir,
        "encoder": encoder_dir,
        "resumed_from_epoch": initial_epoch,
        "epochs": config.epochs,
        "final_metrics": final,
    }
    with open(os.path.join(output_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    return summary


def _restore_last_state(model, backup_dir):
    """Load the last saved training state (a finished run re-exported without training)."""
    callback = AtomicBackupAndRestore(backup_dir)
    callback.set_model(model)
    callback.on_train_begin()
