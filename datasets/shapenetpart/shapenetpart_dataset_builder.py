"""`tfds build datasets/shapenetpart` finds the builder of `dcglr_tf.builders.shapenetpart` here.

dcglr_tf must be importable: installed (`pip install -e .`) or on PYTHONPATH.
"""

from dcglr_tf.builders.shapenetpart import shapenetpart_dataset_builder


class Builder(shapenetpart_dataset_builder.Builder):
    """The library's builder, subclassed so that TFDS's build-from-folder loader finds it in this module."""
