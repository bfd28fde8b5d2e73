"""Helpers shared by the command lines: quiet TensorFlow logs, readable errors."""

import os
import sys

# What bad flags or files raise (ValueError covers the dataset file errors): the commands turn these into
# `fail(error_line(error))`, exit code 2 and one line on stderr instead of a traceback.
BAD_INPUT = (ValueError, OSError)


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


def add_files_flags(parser, given_by, labels_use=""):
    """`--labels FILE` and `--strict`, the flags of a dataset given as a folder of files (by the flags `given_by`,
    e.g. "--dataset"); `labels_use`: what else reads the labels, for the help."""
    parser.add_argument("--labels", help=f"CSV of 'relative path,label' rows naming the classes of a folder given by "
                                         f"{given_by} whose folders are not its classes (default: labels.csv at its "
                                         f"root){labels_use}")
    parser.add_argument("--strict", action="store_true",
                        help="a file of such a folder (or a cloud of a stacked file) that cannot be read is an error "
                             "(default: it is skipped and listed in a report beside the prepared data)")


def check_directory_flags(paths):
    """`fail` for the first flag of `paths` ({flag: path or None}) whose path exists and is not a directory."""
    for flag, path in paths.items():
        if path is not None and os.path.exists(path) and not os.path.isdir(path):
            fail(f"{flag} {path}: expected a directory (or a path that does not exist yet), found a file")


def error_line(error):
    """One line that says what was wrong with the user's input, for an exception raised by bad input.

    Missing dataset files name `--manual_dir` and the files expected there; an OSError names its file; other
    messages keep their own text, their lines joined.
    """
    from dcglr_tf.data.sources import DatasetFilesMissingError  # pylint: disable=import-outside-toplevel

    if isinstance(error, DatasetFilesMissingError):
        return (f"--manual_dir {error.directory}: dataset '{error.builder}': {error.detail}; expected there (by file "
                f"name, also in sub-folders): {'; '.join(error.expected)} (how to get them: docs/datasets.md, section "
                f"{error.builder})")
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip())
