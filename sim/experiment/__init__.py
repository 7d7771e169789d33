"""Experiment files, sampling designs and per-run seeds.

An experiment file (``experiments/NAME.toml``) names a scenario (or another model),
the parameters to sweep and how to sample them. :func:`load_experiment` validates it
and raises :class:`ExperimentError` with one line naming the file and the key;
:func:`build_design` turns it into the planned runs, each with a stable ``run_id``,
``point_id`` and ``seed``.

Modules: ``files`` (the file format), ``spec`` (swept parameters, limits, the error),
``designs`` (planned runs), one module per design method holding its sampling and,
for the sensitivity designs, its analysis (``grid``, ``lhs``, ``sobol``, ``morris``),
``seeds`` (ids and seeds) and ``models`` (finding a model named ``module:name``).
"""

from sim.experiment.designs import Design, build_design, planned_points
from sim.experiment.files import Experiment, load_experiment, parse_experiment
from sim.experiment.models import resolve_model
from sim.experiment.seeds import design_seed, point_id, run_id, run_seed, run_seeds
from sim.experiment.spec import (
    DEFAULT_MESA_HORIZON,
    METHODS,
    SIMULATE_REF,
    ExperimentError,
    SweptParameter,
)

__all__ = [
    "DEFAULT_MESA_HORIZON",
    "METHODS",
    "SIMULATE_REF",
    "Design",
    "Experiment",
    "ExperimentError",
    "SweptParameter",
    "build_design",
    "design_seed",
    "load_experiment",
    "parse_experiment",
    "planned_points",
    "point_id",
    "resolve_model",
    "run_id",
    "run_seed",
    "run_seeds",
]
