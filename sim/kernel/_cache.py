"""Keep numba's on-disk cache true to the kernel's sources.

Numba invalidates a cached function when its own source file changes, but not
when a module-level constant it read from another module changes (the kernel
reads constant indices from :mod:`sim.constants`). So the kernel caches into a
folder named after a hash of all kernel sources and the constants table:
processes running different sources never share cache files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

KERNEL_DIR = Path(__file__).resolve().parent
SOURCES = (*sorted(KERNEL_DIR.glob("*.py")), KERNEL_DIR.parent / "constants.py")
PREFIX = "numba-"


def sources_hash() -> str:
    """SHA-256 over the kernel's source files and the constants table."""
    digest = hashlib.sha256()
    for path in SOURCES:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def cache_dir() -> Path:
    """This source version's cache folder (beside the sources, else in the user's cache)."""
    name = PREFIX + sources_hash()[:16]
    local = KERNEL_DIR / "__pycache__"
    if _writable(local):
        return local / name
    user = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "alliance-sim"
    return user / name


def remove_stale(current: Path) -> None:
    """Best-effort removal of cache files left by other source versions."""
    for folder in current.parent.glob(PREFIX + "*"):
        if folder != current:
            shutil.rmtree(folder, ignore_errors=True)
    for path in [*current.parent.glob("*.nbi"), *current.parent.glob("*.nbc")]:
        path.unlink(missing_ok=True)
