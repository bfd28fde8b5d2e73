"""`tfds build datasets/synthetic_rooms` finds the builder of `dcglr_tf.builders.synthetic_rooms` here.

dcglr_tf must be importable: installed (`pip install -e .`) or on PYTHONPATH.
"""

from dcglr_tf.builders.synthetic_rooms import synthetic_rooms_dataset_builder


class Builder(synthetic_rooms_dataset_builder.Builder):
    """The library's builder, subclassed so that TFDS's build-from-folder loader finds it in this module."""
