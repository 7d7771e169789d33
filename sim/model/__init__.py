"""The alliance model's two faces over the compiled kernel, and the run summary.

- :mod:`sim.model.model` and :mod:`sim.model.agents`: the Mesa face,
  :class:`AllianceModel` with :class:`Member` agents on a Mesa network;
- :mod:`sim.model.simulation`: :func:`simulate`, one whole compiled run;
- :mod:`sim.model.prepare`: from a scenario and a seed to a founded kernel state;
- :mod:`sim.model.summary`: survival, outcome class and resilience metrics of a run.

Names are imported on first use, so importing this package loads neither Mesa nor
the kernel.
"""

from __future__ import annotations

from sim._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "AllianceModel": "sim.model.model",
    "AllianceScenario": "sim.model.model",
    "Member": "sim.model.agents",
    "simulate": "sim.model.simulation",
    "summarize": "sim.model.summary",
    "prepare": "sim.model.prepare",
    "resolve_seed": "sim.model.prepare",
    "resolve_spec": "sim.model.prepare",
}

__all__ = list(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
