"""Calibration by approximate Bayesian computation: ABC-SMC and rejection ABC.

An experiment file with a ``[calibration]`` table (:mod:`sim.experiment.calibration`)
names the parameters to infer with their priors, the statistics computed from each
candidate point's runs and what was observed of them. :func:`calibrate` runs it on the
sweeps' executors into a store (:mod:`sim.store.calibration`) and returns the
posterior's summary; ``alliance-sim report`` reports the store.

Modules: ``statistics`` (the statistics' syntax and values), ``smc`` (proposals, the
perturbation kernel, weights and tolerances), ``evaluate`` (one candidate's runs and
statistics: the unit of work of a worker), ``run`` (the generations, the store, the
executor) and ``posterior`` (the summary and ``posterior.toml``). Names are imported on
first use.
"""

from __future__ import annotations

from sim._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "CalibrationResult": "sim.calibration.run",
    "GenerationSummary": "sim.calibration.run",
    "calibrate": "sim.calibration.run",
    "ParameterSummary": "sim.calibration.posterior",
    "posterior_overrides": "sim.calibration.posterior",
    "CalibrationResults": "sim.store.calibration",
    "load_calibration": "sim.store.calibration",
}

__all__ = list(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
