"""alliance-sim: how values-driven alliances survive crises, and how leadership shapes that.

The public API:

- :class:`AllianceModel` and :class:`Member`: the Mesa model and its agents;
- :class:`ScenarioSpec` and :func:`load_preset`: scenarios;
- :func:`simulate`: one whole run through the compiled kernel;
- :func:`sweep`: a parameter sweep into a results store.
"""

from typing import Any

__version__ = "0.1.0"

from sim.scenario import QUALITIES, ScenarioError, ScenarioSpec, load_preset
from sim.simulate import simulate
from sim.sweep import sweep

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


def __getattr__(name: str) -> Any:
    """Import the Mesa face on first use: commands that never build a Mesa model skip Mesa."""
    if name == "AllianceModel":
        from sim.model import AllianceModel

        return AllianceModel
    if name == "Member":
        from sim.agents import Member

        return Member
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
