"""alliance-sim: how values-driven alliances survive crises, and how leadership shapes that.

The public API (each name is imported on first use, so ``import sim`` costs little):

- :class:`AllianceModel`, :class:`AllianceScenario` and :class:`Member`: the Mesa
  model, its parameters as a Mesa ``Scenario``, and its agents;
- :class:`ScenarioSpec` and :func:`load_preset`: scenario files;
- :func:`simulate`: one whole run through the compiled kernel;
- :func:`sweep`: a parameter sweep into a results store;
- :func:`calibrate`: approximate Bayesian computation of an experiment's
  ``[calibration]`` parameters into a store;
- :data:`QUALITIES`: the nine leadership qualities.
"""

from __future__ import annotations

from sim._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "AllianceModel": "sim.model.model",
    "AllianceScenario": "sim.model.model",
    "Member": "sim.model.agents",
    "simulate": "sim.model.simulation",
    "ScenarioError": "sim.scenario",
    "ScenarioSpec": "sim.scenario",
    "load_preset": "sim.scenario",
    "sweep": "sim.sweeps.run",
    "calibrate": "sim.calibration.run",
    "QUALITIES": "sim.names",
}

__all__ = [*_EXPORTS, "__version__"]


__getattr__ = lazy_exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return sorted(__all__)
