"""A small Keras-`fit`-like loop over `strategy.run`, for MultiWorkerMirroredStrategy, under which Keras 3's
`fit` does not work (keras-team/keras#20585). It runs the model's own `train_step` (the same math as `fit`)
and drives Keras callbacks (checkpoints, loggers, progress bar) with the same calls `fit` makes.
"""

import keras
import tensorflow as tf


def fit_with_strategy(model, dataset_fn, *, epochs, steps_per_epoch, initial_epoch=0, callbacks=(), verbose=0):
    """Train `model` (built and compiled under its strategy's scope) and return its `keras.callbacks.History`.

    dataset_fn: `tf.distribute.InputContext` -> tf.data of per-replica batches (as for
    `strategy.distribute_datasets_from_function`); each worker reads its own shard. Epoch logs are the model's
    metrics over the epoch, all replicas together; batch logs are their running means.
    """
    strategy = model.distribute_strategy
    iterator = iter(strategy.distribute_datasets_from_function(dataset_fn))

    def one_step(iterator):
        outputs = strategy.run(model.train_step, args=(next(iterator),))
        return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None) for name, value in outputs.items()}

    step = tf.function(one_step, jit_compile=model.jit_compile)
    callback_list = keras.callbacks.CallbackList(
        list(callbacks), add_history=True, add_progbar=verbose != 0, verbose=verbose, epochs=epochs,
        steps=steps_per_epoch, model=model,
    )
    model.stop_training = False
    callback_list.on_train_begin()
    epoch_logs = {}
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        for batch in range(steps_per_epoch):
            callback_list.on_train_batch_begin(batch)
            logs = {name: float(value) for name, value in step(iterator).items()}
            callback_list.on_train_batch_end(batch, logs)
        epoch_logs = {name: float(value) for name, value in model.get_metrics_result().items()}
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    callback_list.on_train_end(epoch_logs)
    return model.history
