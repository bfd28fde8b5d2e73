"""dcglr_tf: self-supervised point-cloud representation learning with DCGLR on Keras 3 / TensorFlow."""

__version__ = "0.1.0"
