"""TFDS dataset builders of dcglr_tf, one folder per dataset in TFDS's own layout.

Importing `dcglr_tf.builders.<name>.<name>_dataset_builder` registers the builder `<name>` with TFDS. The
library's single entry point is `dcglr_tf.data.sources`, which imports the builders it needs by module. The
repository's top-level `datasets/<name>/` folders hold one-class modules that point here, for
`tfds build datasets/<name>`.
"""
