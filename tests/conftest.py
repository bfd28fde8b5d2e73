"""Test set-up: quiet TensorFlow, two logical CPU devices (for the MirroredStrategy test), fixed seeds."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * 2)


@pytest.fixture(autouse=True)
def _seed():
    import keras

    keras.utils.set_random_seed(0)


@pytest.fixture(scope="session")
def shapes_data_dir(tmp_path_factory):
    """A TFDS data_dir with the embedded `synthetic_shapes` prepared once for the whole session."""
    from dcglr_tf.data import sources

    data_dir = str(tmp_path_factory.mktemp("tfds"))
    sources.prepare("synthetic_shapes", data_dir=data_dir)
    return data_dir
