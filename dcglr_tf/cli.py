"""Helpers shared by the command lines: quiet TensorFlow logs, readable errors."""

import os
import sys


def quiet_tensorflow():
    """Silence TensorFlow's C++ log noise (not Python warnings of the user's own code). Call before
    importing TensorFlow."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    import absl.logging  # TensorFlow / TFDS library warnings (deprecations inside TFDS), not the user's

    absl.logging.set_verbosity(absl.logging.ERROR)


def fail(message, code=2):
    """Print `error: message` to stderr and exit with `code`."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)
