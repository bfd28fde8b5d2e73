"""One run per directory: an operating-system lock on RUN_DIR/run.lock, held while a run writes the directory.

The lock is `fcntl.flock` on the open file: the kernel drops it when its process ends, however it ends
(kill -9 included), so a killed run never leaves a stale lock. The file holds the PID of the holder, for the
message a second process gets. Inside one process the lock is re-entrant (a run that resumes itself).
"""

import contextlib
import fcntl
import os

LOCK_FILE = "run.lock"
_held = {}  # real path of the run directory -> [open lock file, depth]


class RunDirInUse(ValueError):
    """Another process holds the run directory."""


def lock_holder(handle):
    """'process PID' from the PID a lock file holds (its holder writes it), else 'another process'."""
    handle.seek(0)
    pid = handle.read().strip()
    return f"process {pid}" if pid.isdigit() else "another process"


@contextlib.contextmanager
def run_dir_lock(run_dir):
    """Hold `run_dir` (created if needed) for the block; `RunDirInUse` naming the directory and the holder's
    PID when another process holds it."""
    os.makedirs(run_dir, exist_ok=True)
    key = os.path.realpath(run_dir)
    if key in _held:
        _held[key][1] += 1
    else:
        handle = open(os.path.join(run_dir, LOCK_FILE), "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = lock_holder(handle)
            handle.close()
            raise RunDirInUse(f"{run_dir} is in use: {holder} is training in it (one run per directory; wait for "
                              f"it to finish or stop it, or use another output directory)") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        _held[key] = [handle, 1]
    try:
        yield run_dir
    finally:
        _held[key][1] -= 1
        if not _held[key][1]:
            handle = _held.pop(key)[0]
            handle.close()  # releases the lock
