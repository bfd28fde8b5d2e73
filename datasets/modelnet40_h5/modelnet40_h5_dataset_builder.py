"""`tfds build datasets/modelnet40_h5` finds the builder of `dcglr_tf.builders.modelnet40_h5` here.

dcglr_tf must be importable: installed (`pip install -e .`) or on PYTHONPATH.
"""

from dcglr_tf.builders.modelnet40_h5 import modelnet40_h5_dataset_builder


class Builder(modelnet40_h5_dataset_builder.Builder):
    """The library's builder, subclassed so that TFDS's build-from-folder loader finds it in this module."""
