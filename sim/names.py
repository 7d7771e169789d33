"""The model's names and their orders, written once.

Every list of names the code uses (the leadership qualities, shock kinds, phases,
outcome classes, recorded series, the key columns of a design) is defined here and
imported everywhere else; the kernel derives its integer codes from these orders.
Importing this module costs nothing: it imports no other module.
"""

from __future__ import annotations

QUALITIES: tuple[str, ...] = (
    "sense_making",
    "questioning_patterns",
    "global_view",
    "analytical_view",
    "relationships",
    "resilience_building",
    "change_awareness",
    "paradox_navigation",
    "reflection",
)
"""The nine leadership qualities, in their canonical order."""

LEADERSHIP_KEYS: tuple[str, ...] = (*QUALITIES, "concentration")
"""The nine qualities, then how concentrated leadership is (the kernel's ``q`` vector)."""

SHOCK_KINDS: tuple[str, ...] = ("global", "local", "relational", "regime_shift", "leader_exit")
"""Crisis kinds, in the order of their kernel codes and of the shock mix weights."""

PHASES: tuple[str, ...] = ("normal", "crisis", "stabilising", "transforming")
"""The alliance's phases (for display and analysis), in the order of their codes."""


def phase_name(code: float) -> str:
    """The name of a phase from its code as recorded in a series (NaN: an empty string)."""
    return PHASES[int(code)] if code == code else ""


OUTCOMES: tuple[str, ...] = ("collapse", "fragmentation", "degraded", "transformation", "recovery")
"""The five outcome classes, from worst to best (also their order of precedence)."""

OUTCOME_LABELS: dict[str, str] = dict(
    zip(
        OUTCOMES,
        ("Collapse", "Fragmentation", "Degraded", "Transformation", "Recovery"),
        strict=True,
    )
)
"""The display name of each outcome class (figures, the report and the demo)."""

SUCCESS: tuple[str, ...] = ("transformation", "recovery")
"""Outcome classes that count as success."""

FAILURE: tuple[str, ...] = ("collapse", "fragmentation", "degraded")
"""Outcome classes that count as failure (fragmented and degraded alliances survive)."""

SERIES: tuple[str, ...] = (
    "performance",
    "mean_trust",
    "active_members",
    "mean_awareness",
    "ambition_shift",
    "effort_split",
    "phase",
    "shocks",
    "mean_capacity",
    "demand",
    "perceived_demand",
    "buffer",
    "mean_reach",
    "ambition",
    "aspiration",
    "search",
    "largest_component",
)
"""The series the kernel records every month (the DataCollector's columns)."""

INTEGER_SERIES: frozenset[str] = frozenset({"active_members", "shocks"})
"""Series that count things (reported as integers)."""

DESIGN_COLUMNS: tuple[str, ...] = ("run_id", "point_id", "point_index", "replicate", "seed")
"""The key columns of a design, before its parameter columns."""

METRICS: tuple[str, ...] = (
    "crises",
    "shocks",
    "worst_robustness",
    "mean_robustness",
    "share_recovered",
    "mean_recovery_time",
    "triangle_loss",
    "mean_recovery_ratio",
    "ambition_shift",
    "renewals",
    "turnover",
    "founding_output",
    "later_output",
    "final_performance",
    "mean_performance",
    "final_mean_trust",
    "mean_trust",
    "largest_component_share",
    "trust_components",
    "trust_density",
    "value_clusters",
    "final_awareness",
    "buffer",
    "closures",
    "dissolutions",
)
"""The run summary's metrics (its ``metrics`` dict; columns of a store's runs)."""

SUMMARY_VALUES: tuple[str, ...] = ("survived", "lifetime", "founding_members", "final_members")
"""The run summary's boolean and whole-number keys besides its metrics (runs columns)."""

RUN_NUMBERS: tuple[str, ...] = (*SUMMARY_VALUES, *METRICS)
"""The alliance model's runs columns that hold booleans or numbers (means and intervals)."""
