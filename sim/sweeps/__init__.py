"""Sweeps: running an experiment's design through an executor into a results store.

Modules: ``run`` (:func:`sweep`), ``plan`` (shards, pending runs, the dry run),
``replay`` (rerun one stored run), ``runner`` (one run of any model, the unit of
work) and ``executors`` (serial, process pool, Dask). Names are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "sweep": "sim.sweeps.run",
    "SweepResult": "sim.sweeps.run",
    "plan_sweep": "sim.sweeps.plan",
    "SweepPlan": "sim.sweeps.plan",
    "replay": "sim.sweeps.replay",
    "ReplayResult": "sim.sweeps.replay",
    "ModelTarget": "sim.sweeps.runner",
    "RunTask": "sim.sweeps.runner",
    "run_one": "sim.sweeps.runner",
    "design_tasks": "sim.sweeps.runner",
    "make_executor": "sim.sweeps.executors",
    "EXECUTORS": "sim.sweeps.executors",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim.sweeps' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
