"""Where alliance-sim's files are: the shipped scenarios and experiments, the user's cache.

A checkout keeps them at the top level (``scenarios/``, ``experiments/``); a built wheel
carries copies inside the package (``sim/shipped/KIND/``), put there by the build step in
``setup.py``. :func:`shipped_dir` alone decides which folder the code reads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
INSTALLED = "shipped"
"""The folder inside the package that holds an installed copy's shipped files."""
SHIPPED_FILES: dict[str, tuple[str, ...]] = {
    "scenarios": ("*.toml",),
    "experiments": ("*.toml", "*.ipynb"),
}
"""Each kind of shipped file (its top-level folder in a checkout) and the files it ships."""


def shipped_dir(kind: str) -> Path:
    """The folder of the shipped ``kind`` files: the package's copy, else the checkout's."""
    if kind not in SHIPPED_FILES:
        raise ValueError(f"unknown kind of shipped file {kind!r}")
    installed = PACKAGE_DIR / INSTALLED / kind
    return installed if installed.is_dir() else PACKAGE_DIR.parent / kind


def shipped_tomls(folder: Path) -> dict[str, Path]:
    """The ``*.toml`` files in ``folder`` by name (their stem), sorted; none if it is absent."""
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.toml"))}


def user_cache_dir() -> Path:
    """The user's cache folder for alliance-sim (``$XDG_CACHE_HOME/alliance-sim``)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "alliance-sim"


def child_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with the folder holding this copy of
    ``sim`` first on ``PYTHONPATH``, so that a child Python process imports the same code."""
    env = dict(os.environ if base is None else base)
    root = str(PACKAGE_DIR.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env
