"""alliance-sim: how values-driven alliances survive crises, and how leadership shapes that.

The public API:

- :class:`AllianceModel` and :class:`Member`: the Mesa model and its agents;
- :class:`ScenarioSpec` and :func:`load_preset`: scenarios;
- :func:`simulate`: one whole run through the compiled kernel;
- :func:`sweep`: a parameter sweep into a results store.
"""

from typing import Any

__version__ = "0.1.0"

__all__ = [
    "QUALITIES",
    "AllianceModel",
    "Member",
    "ScenarioError",
    "ScenarioSpec",
    "__version__",
    "load_preset",
    "simulate",
    "sweep",
]

_LAZY = {
    "AllianceModel": ("sim.model", "AllianceModel"),
    "Member": ("sim.agents", "Member"),
    "ScenarioSpec": ("sim.scenario", "ScenarioSpec"),
    "ScenarioError": ("sim.scenario", "ScenarioError"),
    "QUALITIES": ("sim.scenario", "QUALITIES"),
    "load_preset": ("sim.scenario", "load_preset"),
    "simulate": ("sim.simulate", "simulate"),
    "sweep": ("sim.sweep", "sweep"),
}


def __getattr__(name: str) -> Any:
    """Import the public API on first use, so that ``import sim`` stays light."""
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
