"""The pre-training run: `pretrain.run_pretraining` (config -> tf.data -> DCGLR.fit -> checkpoints, logs, export),
the loop for multi-worker strategies, distribution strategies, checkpoints, callbacks and progress output."""
