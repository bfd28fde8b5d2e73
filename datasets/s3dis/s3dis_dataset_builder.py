"""`tfds build datasets/s3dis` finds the builder of `dcglr_tf.builders.s3dis` here.

dcglr_tf must be importable: installed (`pip install -e .`) or on PYTHONPATH.
"""

from dcglr_tf.builders.s3dis import s3dis_dataset_builder


class Builder(s3dis_dataset_builder.Builder):
    """The library's builder, subclassed so that TFDS's build-from-folder loader finds it in this module."""
