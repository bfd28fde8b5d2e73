"""`tfds build datasets/synthetic_objects` finds the builder of `dcglr_tf.builders.synthetic_objects` here.

dcglr_tf must be importable: installed (`pip install -e .`) or on PYTHONPATH.
"""

from dcglr_tf.builders.synthetic_objects import synthetic_objects_dataset_builder


class Builder(synthetic_objects_dataset_builder.Builder):
    """The library's builder, subclassed so that TFDS's build-from-folder loader finds it in this module."""
