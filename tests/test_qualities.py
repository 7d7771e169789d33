"""Every leadership quality has a measurable effect in a shipped scenario.

Paired runs on common seeds, each quality at 0.1 against 0.9 (others at 0.5);
one-sided paired tests at the 1% level on the metric its mechanism moves.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.model.simulation import simulate
from sim.validation.targets import mcnemar_greater, run_seeds

PAIRS = 120

# quality: (scenario, metric, direction of the effect when the quality rises)
EFFECTS = {
    "sense_making": ("baseline", "survived", +1),
    "questioning_patterns": ("regime-shift", "ambition_shift", +1),
    "global_view": ("regime-shift", "triangle_loss", -1),
    "analytical_view": ("scandal", "mean_trust", +1),
    "relationships": ("scandal", "mean_trust", +1),
    "resilience_building": ("funding-cut", "survived", +1),
    "change_awareness": ("regime-shift", "final_awareness", +1),
    "paradox_navigation": ("baseline", "turnover", -1),
    "reflection": ("repeated-crises", "buffer", +1),
}


def _metric(summary, name):
    if name == "survived":
        return float(summary["survived"])
    value = summary["metrics"][name]
    return np.nan if value is None else float(value)


@pytest.mark.parametrize("quality", sorted(EFFECTS))
def test_quality_has_a_measurable_effect(quality):
    scenario, metric, direction = EFFECTS[quality]
    seeds = run_seeds(777, PAIRS)
    low = np.array([_metric(simulate(scenario, rng=s, **{quality: 0.1}), metric) for s in seeds])
    high = np.array([_metric(simulate(scenario, rng=s, **{quality: 0.9}), metric) for s in seeds])
    if metric == "survived":
        p_value = mcnemar_greater(high.astype(bool), low.astype(bool))
    else:
        both = ~np.isnan(low) & ~np.isnan(high)
        difference = (high[both] - low[both]) * direction
        p_value = stats.wilcoxon(difference, alternative="greater").pvalue
    assert p_value < 0.01, f"{quality}: {metric} {np.nanmean(low):.3f} -> {np.nanmean(high):.3f}"
