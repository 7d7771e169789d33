"""Experiment files, sampling designs and per-run seeds.

An experiment file (``experiments/NAME.toml``) names a scenario (or another model),
the parameters to sweep and how to sample them. :func:`load_experiment` validates it
and raises :class:`ExperimentError` with one line naming the file and the key;
:func:`build_design` turns it into the planned runs, each with a stable ``run_id``,
``point_id`` and ``seed``.

"""

from sim.experiment.designs import (
    Design,
    build_design,
    design_seed,
    in_shard,
    parse_shard,
    planned_points,
    point_id,
    run_id,
    run_seed,
)
from sim.experiment.files import Experiment, load_experiment, parse_experiment
from sim.experiment.models import resolve_model
from sim.experiment.parameters import (
    DEFAULT_MESA_HORIZON,
    INTEGER_KEYS,
    METHODS,
    SIMULATE_REF,
    ExperimentError,
    Parameter,
)

__all__ = [
    "DEFAULT_MESA_HORIZON",
    "INTEGER_KEYS",
    "METHODS",
    "SIMULATE_REF",
    "Design",
    "Experiment",
    "ExperimentError",
    "Parameter",
    "build_design",
    "design_seed",
    "in_shard",
    "load_experiment",
    "parse_experiment",
    "parse_shard",
    "planned_points",
    "point_id",
    "resolve_model",
    "run_id",
    "run_seed",
]
