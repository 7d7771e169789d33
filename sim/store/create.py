"""Making a store appear whole, and clearing one for ``--force``.

A new store is filled (design, manifest) in a temporary folder beside it, then renamed
into place: a kill at any moment leaves either no store or a whole one. ``--force``
moves what the store made (its tables, sample, report, figures and discoveries) into a trash folder
inside it, writes the new design and manifest, then deletes the trash: the store always
holds a manifest.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.store.faults import fault
from sim.store.lock import LOCK, held, pid_exists
from sim.store.manifest import MANIFEST, StoreError, read_manifest

DISCOVER = "discover"
"""The folder of a store that ``alliance-sim discover`` writes into by default."""
REPORT_OUTPUTS: tuple[str, ...] = ("report.md", "figures", "csv", DISCOVER)
"""What ``alliance-sim report``, ``export`` and ``discover`` write into a store by default."""
CALIBRATION_OUTPUTS: tuple[str, ...] = ("calibration", "posterior.toml")
"""What ``alliance-sim calibrate`` writes into a store besides its manifest."""
TRASH = ".trash-"
CREATING = ".creating-"
STALE_SECONDS = 3600.0
"""Age after which an unfinished temporary file or folder of another writer is removed."""


def own_entries(folder: Path) -> list[Path]:
    """The entries of ``folder`` other than lock files and trash (empty if it is absent)."""
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir() if not p.name.startswith((LOCK, TRASH))]


def existing_manifest(folder: Path, any_version: bool = False) -> dict[str, Any] | None:
    """The manifest of the store at ``folder``; None when there is none yet (no folder,
    or one with nothing of its own). Raises :class:`StoreError` for a file, a folder
    with other contents that is not a store, or a manifest :func:`read_manifest` refuses
    (with ``any_version``, one that is a JSON object is taken: ``--force`` replaces it)."""
    if folder.exists() and not folder.is_dir():
        raise StoreError(folder, "exists and is not a folder")
    if not own_entries(folder):
        return None
    if not (folder / MANIFEST).exists():
        raise StoreError(folder, "not empty and not a results store; choose another --out")
    return read_manifest(folder, any_version=any_version)


def abandoned(temp: Path, prefix: str = CREATING) -> bool:
    """Whether a temporary folder's writer is gone (dead here, or long ago); its name is
    ``...PREFIXHOST-PID-RANDOM``."""
    host, _, rest = temp.name.partition(prefix)[2].rpartition("-")[0].rpartition("-")
    try:
        pid = int(rest)
    except ValueError:
        pid = -1
    if host == socket.gethostname() and pid > 0:
        return not pid_exists(pid)
    try:
        return time.time() - temp.stat().st_mtime > STALE_SECONDS
    except FileNotFoundError:
        return False


def _remove_abandoned(folder: Path) -> None:
    for temp in folder.parent.glob(f".{folder.name}{CREATING}*"):
        if abandoned(temp):
            shutil.rmtree(temp, ignore_errors=True)


def _remove_leftovers(folder: Path) -> None:
    """Remove what dead writers left in a folder without a store: lock files, trash."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.name.startswith(TRASH):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(LOCK) and not held(entry):
            entry.unlink(missing_ok=True)


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def create_store(folder: Path, fill: Callable[[Path], None]) -> bool:
    """Make ``folder`` appear with what ``fill`` writes into it, unless it is a store already.

    Returns True when this call made it, False when another writer did (or it existed).
    """
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as err:  # a file where a folder must go
        raise StoreError(folder, f"cannot be made: {err.filename} is not a folder") from None
    _remove_abandoned(folder)
    if own_entries(folder):
        return False
    _remove_leftovers(folder)
    name = f".{folder.name}{CREATING}{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
    temp = folder.parent / name
    try:
        temp.mkdir()
    except OSError as err:
        raise OSError(err.errno, err.strerror or str(err), os.fspath(folder)) from None
    try:
        fault("create-temp", temp)
        fill(temp)
        os.rename(temp, folder)
    except OSError as err:
        shutil.rmtree(temp, ignore_errors=True)
        if err.errno in (errno.ENOTEMPTY, errno.EEXIST) and own_entries(folder):
            return False
        failed = os.fspath(err.filename or "")
        if failed.startswith(os.fspath(temp)):  # name the store, not its hidden temporary
            failed = os.fspath(folder) + failed[len(os.fspath(temp)) :]
            raise OSError(err.errno, err.strerror or str(err), failed) from None
        raise
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    sync_folder(folder.parent)
    fault("create-renamed", folder)
    return True


def trash(folder: Path, names: tuple[str, ...]) -> Path:
    """Move ``names`` of ``folder`` (those present) into a new trash folder inside it."""
    bin_ = folder / f"{TRASH}{secrets.token_hex(3)}"
    bin_.mkdir()
    for name in names:
        if (folder / name).exists() or (folder / name).is_symlink():
            os.rename(folder / name, bin_ / name)
    fault("force-trashed", folder)
    return bin_


def empty_trash(folder: Path) -> None:
    """Delete every trash folder of ``folder``."""
    for bin_ in folder.glob(f"{TRASH}*"):
        shutil.rmtree(bin_, ignore_errors=True)
