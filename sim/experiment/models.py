"""Finding the model an experiment names: ``package.module:name`` or ``path/file.py:name``."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

_MODEL_CACHE: dict[tuple[str, str | None], Any] = {}


def resolve_model(ref: str, base_dir: str | os.PathLike[str] | None = None) -> Any:
    """The object that ``"package.module:name"`` or ``"path/file.py:name"`` names.

    Args:
        ref: the reference; a module part ending in ``.py`` is a file path.
        base_dir: folder that a relative file path is resolved against.
    """
    key = (ref, os.fspath(base_dir) if base_dir is not None else None)
    if key in _MODEL_CACHE:
        return _MODEL_CACHE[key]
    module_name, _, attribute = ref.partition(":")
    if module_name.endswith(".py"):
        path = Path(module_name)
        if not path.is_absolute() and base_dir is not None and not path.exists():
            path = Path(base_dir) / path
        path = path.resolve()
        if not path.is_file():
            raise ImportError(f"no file {path}")
        unique = "alliance_sim_model_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
        module = sys.modules.get(unique)
        if module is None:
            spec = importlib.util.spec_from_file_location(unique, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[unique] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[unique]
                raise
    else:
        module = importlib.import_module(module_name)
    target = module
    for part in attribute.split("."):
        target = getattr(target, part)
    _MODEL_CACHE[key] = target
    return target
