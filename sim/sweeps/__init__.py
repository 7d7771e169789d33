"""Sweeps: running an experiment's design through an executor into a results store.

Modules: ``run`` (:func:`sweep`), ``plan`` (shards, pending runs, the dry run),
``replay`` (rerun one stored run), ``runner`` (one run of any model, the unit of
work) and ``executors`` (serial, process pool, Dask). Names are imported on first use.
"""

from __future__ import annotations

from sim._lazy import lazy_exports

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


__getattr__ = lazy_exports(__name__, _EXPORTS)
