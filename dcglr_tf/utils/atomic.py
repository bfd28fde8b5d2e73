"""Files and directories that appear whole or not at all.

A writer writes under a temporary name next to the target and renames it into place when done (a rename is
atomic on POSIX filesystems), so a process killed while writing leaves the previous version, never a
truncated one. A temporary left behind by a killed writer is removed by the next writer of the same path
(one writer per run directory: see `dcglr_tf.utils.runlock`).
"""

import contextlib
import os
import shutil


def temporary_path(path, tag="partial"):
    """`run/encoder` -> `run/encoder.partial`, `run/final.weights.h5` -> `run/final.partial.weights.h5` (the
    extensions stay last: Keras checks them)."""
    folder, name = os.path.split(os.fspath(path))
    stem, dot, extensions = name.partition(".")
    return os.path.join(folder, f"{stem}.{tag}{dot}{extensions}")


def remove(path):
    """Delete a file or a directory tree; nothing when it does not exist."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


@contextlib.contextmanager
def replacing(path):
    """`with replacing("run/encoder") as tmp: write(tmp)`: the block writes `tmp` (a file or a directory); when
    it ends without an error, `tmp` takes the place of `path` (a previous `path` is replaced). On an error the
    temporary is deleted and `path` is left as it was."""
    tmp = temporary_path(path)
    old = temporary_path(path, "old")
    remove(tmp)
    remove(old)
    try:
        yield tmp
    except BaseException:
        remove(tmp)
        raise
    if os.path.isdir(tmp) and os.path.isdir(path):  # a directory cannot be renamed over a non-empty one
        os.rename(path, old)
        os.rename(tmp, path)
        remove(old)
    else:
        os.replace(tmp, path)


def write_text(path, text):
    """Write `text` to `path` atomically."""
    with replacing(path) as tmp, open(tmp, "w") as f:
        f.write(text)
