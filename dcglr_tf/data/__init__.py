"""Input: dataset sources, multi-crop transforms and tf.data pipelines."""
