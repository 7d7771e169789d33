"""Fault injection at named steps of writing a store, for the tests of crash safety.

``ALLIANCE_SIM_FAULT=ACTION:STEP[:N]`` makes the N-th time (default the first) this
process reaches ``STEP`` end in ``ACTION``: ``kill`` (the process sends itself SIGKILL),
``enospc`` (a full disk) or ``erofs`` (a read-only file system), the two errors raised
as the ``OSError`` the operating system would give for the path being written.
Unset, :func:`fault` does nothing.
"""

from __future__ import annotations

import errno
import os
import signal
from collections import Counter

ENV = "ALLIANCE_SIM_FAULT"
STEPS: tuple[str, ...] = (
    "create-temp",
    "create-design",
    "create-manifest",
    "create-renamed",
    "locked",
    "force-trashed",
    "part-temp",
    "part-renamed",
    "batch-written",
    "manifest-temp",
    "merge-part",
)
"""The named steps, in the order a new store meets them (``merge-part``: merging)."""
ERRORS = {"enospc": errno.ENOSPC, "erofs": errno.EROFS}
ACTIONS: tuple[str, ...] = ("kill", *ERRORS)

_reached: Counter[str] = Counter()


def fault(step: str, path: str | os.PathLike[str]) -> None:
    """Act as ``ALLIANCE_SIM_FAULT`` asks when it names ``step``; ``path`` is being written."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    action, _, rest = spec.partition(":")
    name, _, count = rest.partition(":")
    if name != step:
        return
    _reached[step] += 1
    if _reached[step] != int(count or 1):
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    code = ERRORS[action]
    raise OSError(code, os.strerror(code), os.fspath(path))
