"""The store lock: one writer of a whole store at a time, or any number of shards.

A writer of the whole store (``sweep``, ``merge`` into it, ``--force``) holds an exclusive
``flock`` on ``DIR/.lock``; a shard (``--shard K/N``) holds it shared, and holds
``DIR/.lock-KofN`` exclusively, so that shards run side by side while a second writer of
the same part of the store is refused. Each writer records its host, pid and label in
its own ``DIR/.lock-LABEL``, which the refused writer names. The operating system
releases a lock when its process dies, however it dies, so a dead writer's files are
stale by construction: the next writer takes the lock and overwrites them. A writer
that finishes removes its lock files.

On a file system that refuses ``flock`` the sweep goes on unlocked and says so once.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.store.manifest import StoreError, now_iso

LOCK = ".lock"
REWRITE = ".lock.rewrite"
"""The lock of rewriting a store's finished parts (see :func:`rewriting`)."""
UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}
"""``flock`` errors of a file system that does not offer the lock."""

log = logging.getLogger("sim.store")


def pid_exists(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host (one we may not signal counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StoreBusy(StoreError):
    """Another live process writes the store."""


def open_locked(path: Path, mode: int, wait: bool = False) -> int | None:
    """A descriptor of ``path`` holding ``flock`` ``mode``; None when the file system has none.

    Raises ``BlockingIOError`` when another process holds a conflicting lock, unless
    ``wait``: then it waits for it.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, mode if wait else mode | fcntl.LOCK_NB)
        except BaseException as err:
            os.close(fd)
            if isinstance(err, OSError) and err.errno in UNSUPPORTED:
                return None
            raise
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the previous holder removed the file as we opened it: again


def held(path: Path) -> bool:
    """Whether a live process holds the lock file ``path`` (a dead one's lock is released)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


def holders(folder: Path) -> list[dict[str, Any]]:
    """What the live writers of ``folder`` recorded about themselves (host, pid, label,
    since); the records that dead writers left are skipped."""
    found = []
    for path in sorted(folder.glob(f"{LOCK}-*")):
        if not held(path):
            continue
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return found


def _busy(folder: Path) -> StoreBusy:
    known = [h for h in holders(folder) if isinstance(h, dict)]
    who = "; ".join(
        f"host {h.get('host')} pid {h.get('pid')} ({h.get('label')}, since {h.get('since')})"
        for h in known
    )
    return StoreBusy(
        folder,
        f"another process writes this store ({who or 'its host and pid not recorded yet'}); "
        "wait for it to end or stop it",
    )


class StoreLock:
    """The lock of one writer of a store; a context manager.

    Args:
        folder: the store folder (it must exist).
        label: the writer's label: ``all``, ``merge`` or a shard's ``KofN``.
        shared: a shard's lock (shared with other shards, not with a whole-store writer).
    """

    def __init__(self, folder: Path, label: str, shared: bool) -> None:
        self.folder = folder
        self.label = label
        self.shared = shared
        self._fds: list[int] = []
        self.locked = False

    def acquire(self) -> StoreLock:
        """Take the lock; raises :class:`StoreBusy` naming the holder when it is taken."""
        steps = [(self.folder / LOCK, fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX)]
        steps.append((self.folder / f"{LOCK}-{self.label}", fcntl.LOCK_EX))
        for path, mode in steps:
            try:
                fd = open_locked(path, mode)
            except BlockingIOError:
                self.release()
                raise _busy(self.folder) from None
            if fd is None:
                log.warning("%s: the file system offers no lock; concurrent writers are not "
                            "detected", self.folder)  # fmt: skip
                self.release()
                return self
            self._fds.append(fd)
        record = {"host": socket.gethostname(), "pid": os.getpid(), "label": self.label}
        record["since"] = now_iso()
        os.ftruncate(self._fds[-1], 0)
        os.pwrite(self._fds[-1], json.dumps(record).encode(), 0)
        self.locked = True
        return self

    def release(self) -> None:
        """Remove this writer's lock files (the shared one only when no one else holds it)."""
        paths = [self.folder / LOCK, self.folder / f"{LOCK}-{self.label}"]
        for path, fd in reversed(list(zip(paths, self._fds, strict=False))):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                path.unlink(missing_ok=True)
            except OSError:
                pass
            os.close(fd)
        self._fds = []
        self.locked = False

    def __enter__(self) -> StoreLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextmanager
def rewriting(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s finished parts for a read-modify-write (waits for another's).

    Shards write one store side by side, and some writes rewrite parts that are not
    their own (``--retry-failed`` removing rows, a widened schema): without this lock
    two such rewrites of one part lose one of them.
    """
    path = folder / REWRITE
    fd = None
    while fd is None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as err:
            os.close(fd)
            if err.errno not in UNSUPPORTED:
                raise
            fd = -1  # no lock on this file system
            break
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the previous holder removed the file as we opened it: again
            os.close(fd)
            fd = None
    try:
        yield
    finally:
        if fd >= 0:
            path.unlink(missing_ok=True)
            os.close(fd)
