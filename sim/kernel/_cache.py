"""Keep numba's on-disk cache true to the kernel's sources.

Numba invalidates a cached function when its own source file changes, but not
when a module-level constant it read from another module changes (the kernel
reads constant indices from :mod:`sim.constants`). Before any kernel module is
compiled or loaded, this compares a hash of all kernel sources and the
constants table with the one stored beside the cache, and clears the cache
when they differ.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

KERNEL_DIR = Path(__file__).resolve().parent
SOURCES = (*sorted(KERNEL_DIR.glob("*.py")), KERNEL_DIR.parent / "constants.py")
STAMP_NAME = "kernel-sources.sha256"


def sources_hash() -> str:
    """SHA-256 over the kernel's source files and the constants table."""
    digest = hashlib.sha256()
    for path in SOURCES:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_fresh_cache() -> None:
    """Clear the kernel's numba cache files when the sources changed since they were written."""
    cache_dir = KERNEL_DIR / "__pycache__"
    stamp = cache_dir / STAMP_NAME
    current = sources_hash()
    try:
        if stamp.read_text() == current:
            return
    except OSError:
        pass
    try:
        cache_dir.mkdir(exist_ok=True)
        for path in [*cache_dir.glob("*.nbi"), *cache_dir.glob("*.nbc")]:
            path.unlink(missing_ok=True)
        temporary = cache_dir / f".{STAMP_NAME}.tmp"
        temporary.write_text(current)
        temporary.replace(stamp)
    except OSError:  # read-only install: numba then caches elsewhere or not at all
        pass
