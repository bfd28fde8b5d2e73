"""TFDS dataset builders of dcglr_tf, one folder per dataset in TFDS's own layout.

Importing `datasets.<name>.<name>_dataset_builder` registers the builder `<name>` with TFDS. The library's
single entry point is `dcglr_tf.data.sources`, which imports the builders it needs by module.
"""
