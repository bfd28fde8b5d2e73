"""`tfds build datasets/shapenet` finds the builder of `dcglr_tf.builders.shapenet` here.

dcglr_tf must be importable: installed (`pip install -e .`) or on PYTHONPATH.
"""

from dcglr_tf.builders.shapenet import shapenet_dataset_builder


class Builder(shapenet_dataset_builder.Builder):
    """The library's builder, subclassed so that TFDS's build-from-folder loader finds it in this module."""
