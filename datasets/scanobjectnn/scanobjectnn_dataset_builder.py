"""`tfds build datasets/scanobjectnn` finds the builder of `dcglr_tf.builders.scanobjectnn` here.

dcglr_tf must be importable: installed (`pip install -e .`) or on PYTHONPATH.
"""

from dcglr_tf.builders.scanobjectnn import scanobjectnn_dataset_builder


class Builder(scanobjectnn_dataset_builder.Builder):
    """The library's builder, subclassed so that TFDS's build-from-folder loader finds it in this module."""
