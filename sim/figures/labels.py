"""Words for figures and the report: the label and unit of everything they show.

Parameters take their label and unit from the parameter table
(:data:`sim.parameters.BY_KEY`); a parameter without a unit whose bounds are 0 and 1
is shown on a 0-1 scale. Outcome classes take their display names from
:data:`sim.names.OUTCOME_LABELS`. The measures of a run, of a crisis and of the
recorded series are described here, once: their label, their unit and whether they
live in [0, 1] (a band of such a measure is never drawn outside it). Any other name
(another model's columns) is shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.names import OUTCOME_LABELS
from sim.parameters import BY_KEY

SHARE_OF_RUNS = "share of runs"
UNIT_SCALE = "0-1"
MONTHS = "months"
PERFORMANCE = "dimensionless"
PRE_CRISIS = "share of pre-crisis level"


@dataclass(frozen=True)
class Measure:
    """How a measure is shown: its label, its unit and whether it lies in [0, 1]."""

    label: str
    unit: str = ""
    unit_interval: bool = False

    @property
    def display(self) -> str:
        """The label with its unit: ``Lifetime (months)``."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


def _bounded(label: str, unit: str = UNIT_SCALE) -> Measure:
    return Measure(label, unit, unit_interval=True)


MEASURES: dict[str, Measure] = {
    "outcome": Measure("Outcome class"),
    "survived": _bounded("Survived to the horizon", SHARE_OF_RUNS),
    "lifetime": Measure("Lifetime", MONTHS),
    # run metrics (sim.names.METRICS) and recorded series (sim.names.SERIES)
    "performance": Measure("Performance", PERFORMANCE),
    "founding_output": Measure("Founding output", PERFORMANCE),
    "later_output": Measure("Later-life output", PERFORMANCE),
    "final_performance": Measure("Final performance", PERFORMANCE),
    "mean_performance": Measure("Mean performance", PERFORMANCE),
    "mean_trust": _bounded("Mean trust"),
    "final_mean_trust": _bounded("Final mean trust"),
    "trust_density": _bounded("Trust density"),
    "largest_component_share": _bounded("Largest trust component", "share of active members"),
    "trust_components": Measure("Trust components", "count"),
    "value_clusters": Measure("Value clusters", "count"),
    "renewals": Measure("Renewals", "count"),
    "ambition_shift": Measure("Ambition shift", "strategy distance"),
    "turnover": _bounded("Membership turnover", "share of founding members"),
    "final_awareness": _bounded("Final change awareness"),
    "mean_awareness": _bounded("Mean change awareness"),
    "mean_capacity": _bounded("Mean capacity"),
    "active_members": Measure("Active members", "count"),
    "buffer": _bounded("Robustness buffer", "share of severity absorbed"),
    "effort_split": _bounded("Effort on transforming", "share of effort"),
    "share_recovered": _bounded("Crises recovered", "share of crises"),
    # per crisis (sim.analysis.CRISIS_METRICS)
    "robustness": _bounded("Robustness", PRE_CRISIS),
    "worst_robustness": _bounded("Worst robustness", PRE_CRISIS),
    "mean_robustness": _bounded("Mean robustness", PRE_CRISIS),
    "recovery_time": Measure("Recovery time", MONTHS),
    "mean_recovery_time": Measure("Mean recovery time", MONTHS),
    "loss": Measure("Triangle loss", "performance x months"),
    "triangle_loss": Measure("Triangle loss", "performance x months"),
    "recovery_ratio": Measure("Recovery ratio", "share of the drop regained"),
    "mean_recovery_ratio": Measure("Mean recovery ratio", "share of the drop regained"),
}
"""Each measure's label, unit and range (keys: run, crisis and series column names)."""


def _unit_parameter(key: str) -> bool:
    parameter = BY_KEY.get(key)
    return parameter is not None and (parameter.low, parameter.high) == (0.0, 1.0)


def axis_label(name: str) -> str:
    """The label with its unit of a parameter or measure, for an axis or a legend title.

    A parameter without a unit on [0, 1] gets ``(0-1)``; an unknown name is returned as is.
    """
    parameter = BY_KEY.get(name)
    if parameter is not None:
        if not parameter.unit and _unit_parameter(name):
            return f"{parameter.display} ({UNIT_SCALE})"
        return parameter.display
    measure = MEASURES.get(name)
    return measure.display if measure is not None else name


def name_label(name: str) -> str:
    """The label without a unit of a parameter, a measure or an outcome class (for text)."""
    parameter = BY_KEY.get(name)
    if parameter is not None:
        return parameter.label or parameter.name.replace("_", " ")
    measure = MEASURES.get(name)
    if measure is not None:
        return measure.label
    return OUTCOME_LABELS.get(name, name)


def in_unit_interval(name: str) -> bool:
    """Whether a measure (or parameter) lies in [0, 1], so that its bands are clipped there."""
    measure = MEASURES.get(name)
    return measure.unit_interval if measure is not None else _unit_parameter(name)
