"""`tfds build datasets/synthetic_shapes` finds the builder of `dcglr_tf.builders.synthetic_shapes` here.

dcglr_tf must be importable: installed (`pip install -e .`) or on PYTHONPATH.
"""

from dcglr_tf.builders.synthetic_shapes import synthetic_shapes_dataset_builder


class Builder(synthetic_shapes_dataset_builder.Builder):
    """The library's builder, subclassed so that TFDS's build-from-folder loader finds it in this module."""
