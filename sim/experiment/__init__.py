"""Experiment files, sampling designs and per-run seeds.

An experiment file (``experiments/NAME.toml``) names a scenario (or another model),
the parameters to sweep and how to sample them. :func:`load_experiment` validates it
and raises :class:`ExperimentError` with one line naming the file and the key;
:func:`build_design` turns it into the planned runs, each with a stable ``run_id``,
``point_id`` and ``seed``.

Modules: ``files`` (the file format), ``spec`` (swept parameters, limits, the error),
``designs`` (planned runs), one module per design method holding its sampling and,
for the sensitivity designs, its analysis (``grid``, ``lhs``, ``sobol``, ``morris``),
``seeds`` (ids and seeds, a calibration's too), ``precision`` (adaptive replication:
the ``[precision]`` table and its stopping rule), ``models`` (finding a model named
``module:name``, and how to call it) and ``calibration`` (the ``[calibration]`` table of
a calibration's file). Names are imported on first use, so a sweep's worker that needs only
``models`` loads neither pandas nor the scenario table.
"""

from __future__ import annotations

from sim._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Design": "sim.experiment.designs",
    "build_design": "sim.experiment.designs",
    "planned_points": "sim.experiment.designs",
    "Experiment": "sim.experiment.files",
    "load_experiment": "sim.experiment.files",
    "parse_experiment": "sim.experiment.files",
    "resolve_model": "sim.experiment.models",
    "Precision": "sim.experiment.precision",
    "point_progress": "sim.experiment.precision",
    "design_seed": "sim.experiment.seeds",
    "point_id": "sim.experiment.seeds",
    "run_id": "sim.experiment.seeds",
    "run_seed": "sim.experiment.seeds",
    "run_seeds": "sim.experiment.seeds",
    "DEFAULT_MESA_HORIZON": "sim.experiment.spec",
    "METHODS": "sim.experiment.spec",
    "SIMULATE_REF": "sim.experiment.spec",
    "ExperimentError": "sim.experiment.spec",
    "SweptParameter": "sim.experiment.spec",
}

__all__ = list(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
