"""`tfds build datasets/modelnet40_cad` finds the builder of `dcglr_tf.builders.modelnet40_cad` here.

dcglr_tf must be importable: installed (`pip install -e .`) or on PYTHONPATH.
"""

from dcglr_tf.builders.modelnet40_cad import modelnet40_cad_dataset_builder


class Builder(modelnet40_cad_dataset_builder.Builder):
    """The library's builder, subclassed so that TFDS's build-from-folder loader finds it in this module."""
