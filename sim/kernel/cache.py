"""Keep numba's on-disk cache true to the kernel's sources.

Numba invalidates a cached function when its own source file changes, but not when
a function it inlines (from another kernel module) or a module-level constant it
reads (an index into the constants array, from :mod:`sim.parameters`) changes. So
the kernel's functions use a cache locator of their own: its source stamp is a hash
of every kernel source and of the modules the kernel reads its constants from, so a
change to any of them recompiles the whole kernel. The locator applies to files
under ``sim/kernel`` only; it changes nothing for other numba code in the process.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from numba.core import caching

from sim.errors import InputError
from sim.locations import user_cache_dir

KERNEL_DIR = Path(__file__).resolve().parent
PACKAGE_DIR = KERNEL_DIR.parent
READ_BY_KERNEL = ("names.py", "parameters.py")
"""Modules outside the kernel whose module-level values the compiled code reads."""


def sources() -> list[Path]:
    """The files whose content decides the compiled kernel."""
    return [*sorted(KERNEL_DIR.glob("*.py")), *(PACKAGE_DIR / name for name in READ_BY_KERNEL)]


@lru_cache(maxsize=1)
def sources_hash() -> str:
    """SHA-256 over the kernel's sources (names and contents)."""
    digest = hashlib.sha256()
    for path in sources():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _writable(folder: Path) -> bool:
    """Whether ``folder`` exists or can be made, and takes a file (numba's own test)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


CACHE_ENV = "ALLIANCE_SIM_KERNEL_CACHE"
"""Environment variable naming the cache folder (a shared one on a cluster, an empty
one to measure a cold compile)."""


def cache_dir() -> Path:
    """The cache folder: ``$ALLIANCE_SIM_KERNEL_CACHE`` when set, else the kernel's
    ``__pycache__``, else the user's cache folder.

    Raises:
        InputError: ``$ALLIANCE_SIM_KERNEL_CACHE`` names a folder that cannot be written.
    """
    if os.environ.get(CACHE_ENV):
        chosen = Path(os.environ[CACHE_ENV])
        if not _writable(chosen):  # else numba would quietly cache elsewhere, stamped by mtime
            raise InputError(CACHE_ENV, None, f"{chosen}: not a folder that can be written")
        return chosen
    local = KERNEL_DIR / "__pycache__"
    if _writable(local):
        return local
    return user_cache_dir()


class KernelCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
    """Caches the kernel's functions in :func:`cache_dir`, stamped with :func:`sources_hash`."""

    def __init__(self, py_func, py_file):  # type: ignore[no-untyped-def]
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(cache_dir())

    def get_cache_path(self) -> str:
        return self._cache_path

    def get_source_stamp(self) -> str:
        return sources_hash()

    @classmethod
    def from_function(cls, py_func, py_file):  # type: ignore[no-untyped-def]
        if Path(py_file).resolve().parent != KERNEL_DIR:
            return None
        return super().from_function(py_func, py_file)


def install() -> None:
    """Put the kernel's locator first in numba's list (once)."""
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in numba 0.61
    locators = impl._locator_classes
    if KernelCacheLocator not in locators:
        locators.insert(0, KernelCacheLocator)
