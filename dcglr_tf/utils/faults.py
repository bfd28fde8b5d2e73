"""Fault injection for the crash-safety tests: `fault_point(name)` marks a place where a run may die.

With the environment variable `DCGLR_FAULT=<name>[:<n>][:<action>]`, the n-th time (default the first) this
process reaches `fault_point(<name>)` it kills itself with SIGKILL (action `kill`, the default: as `kill -9`
would), or raises `OSError(ENOSPC)` (action `enospc`: a full disk). Without the variable it does nothing.
Points: `batch` (after a training batch), `checkpoint_write` (a checkpoint's files written, not yet in place),
`export` (the encoder written, not yet in place).
"""

import errno
import os
import signal

ACTIONS = ("kill", "enospc")
_arrivals = {}


def _parse(spec):
    name, _, rest = spec.partition(":")
    count, _, action = rest.partition(":")
    action = action or "kill"
    if not name or action not in ACTIONS or (count and not count.isdigit()):
        raise ValueError(f"DCGLR_FAULT={spec!r}: expected <point>[:<n>][:{'|'.join(ACTIONS)}], e.g. checkpoint_write:2")
    return name, int(count or 1), action


def fault_point(name):
    """Die here (or raise ENOSPC) when `DCGLR_FAULT` names this point and this is its n-th arrival."""
    spec = os.environ.get("DCGLR_FAULT")
    if not spec:
        return
    point, count, action = _parse(spec)
    if point != name:
        return
    _arrivals[name] = _arrivals.get(name, 0) + 1
    if _arrivals[name] != count:
        return
    if action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), f"(DCGLR_FAULT={spec})")
    os.kill(os.getpid(), signal.SIGKILL)
