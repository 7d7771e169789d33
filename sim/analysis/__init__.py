"""Analysis of a results store: survival, sensitivity, outcome and transformation profiles.

Everything here reads the store (``results/NAME/``) only, never the model, and
returns tidy pandas DataFrames. A run's ``lifetime`` is censored at the horizon
when ``survived`` is true. Functions that take ``runs`` accept the runs frame or
a :class:`Results`; they use the runs with status ``ok`` only. A ``by`` parameter
with more distinct values than ``max_levels`` is binned into quantile levels.

Typical use::

    res = load("results/quickstart")
    km = kaplan_meier(res, by="leadership.relationships")
    tests = logrank(res, by="leadership.relationships")
    indices = sensitivity("results/leadership-sobol", outcome="survived")
    paired_difference(res, "survived", point_a, point_b)  # on their common replicates
    found = discover("results/leadership-sobol", "outcome == 'collapse'")  # PRIM

:func:`discover` (scenario discovery by PRIM, :mod:`sim.analysis.discovery`) is imported
on first use; it needs EMA Workbench (the ``discover`` extra), which it imports only
when a discovery runs.
"""

from sim._lazy import lazy_exports
from sim.analysis.levels import ALL, MAX_LEVELS, QUANTILE_BINS, levels
from sim.analysis.paired import paired_difference, paired_outcomes
from sim.analysis.profiles import (
    CRISIS_METRICS,
    TRANSFORMATION_METRICS,
    crisis_metrics,
    outcome_profile,
    resilience_summary,
    survival_grid,
    trajectory_bands,
    transformation_summary,
    wilson,
)
from sim.analysis.sensitivity import (
    SensitivityError,
    SensitivityWarning,
    outcome_matrix,
    sensitivity,
    sensitivity_pairs,
)
from sim.analysis.survival import (
    hazard,
    holm,
    kaplan_meier,
    logrank,
    median_lifetime,
    pairwise_logrank,
)
from sim.names import DESIGN_COLUMNS, OUTCOMES
from sim.store.manifest import StoreError
from sim.store.reader import Results, load

_EXPORTS: dict[str, str] = {
    "Discovery": "sim.analysis.discovery",
    "discover": "sim.analysis.discovery",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    *_EXPORTS,
    "ALL",
    "CRISIS_METRICS",
    "DESIGN_COLUMNS",
    "MAX_LEVELS",
    "OUTCOMES",
    "QUANTILE_BINS",
    "TRANSFORMATION_METRICS",
    "Results",
    "SensitivityError",
    "SensitivityWarning",
    "StoreError",
    "crisis_metrics",
    "hazard",
    "holm",
    "kaplan_meier",
    "levels",
    "load",
    "logrank",
    "median_lifetime",
    "outcome_matrix",
    "outcome_profile",
    "paired_difference",
    "paired_outcomes",
    "pairwise_logrank",
    "resilience_summary",
    "sensitivity",
    "sensitivity_pairs",
    "survival_grid",
    "trajectory_bands",
    "transformation_summary",
    "wilson",
]
