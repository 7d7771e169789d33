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

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "AllianceModel": "sim.model.model",
    "Member": "sim.model.agents",
    "simulate": "sim.model.simulation",
    "summarize": "sim.model.summary",
    "prepare": "sim.model.prepare",
    "resolve_seed": "sim.model.prepare",
    "resolve_spec": "sim.model.prepare",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim.model' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
