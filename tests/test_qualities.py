"""Every leadership quality reaches the metric its mechanism moves.

Paired runs on common seeds, each quality at 0.1 against 0.9 (others at 0.5), on a
few pairs: a smoke test that each quality reaches that metric at all. The direction
of each mechanism is unit-tested in test_mechanisms; each quality's effect on
outcomes, where the article locates it, is validate target 13 (test_validate), and
that it acts only through its switchable mechanisms is in test_effects.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.simulation import simulate
from sim.names import QUALITIES
from sim.validation.targets import run_seeds

PAIRS = 120
QUICK_PAIRS = 12

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


def paired(quality: str, pairs: int, metric: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The quality's metric (or ``metric``) at 0.1 and at 0.9 on the same seeds."""
    scenario, effect, _ = EFFECTS[quality]
    metric = metric or effect
    seeds = run_seeds(777, pairs)
    low = [_metric(simulate(scenario, rng=s, **{quality: 0.1}), metric) for s in seeds]
    high = [_metric(simulate(scenario, rng=s, **{quality: 0.9}), metric) for s in seeds]
    return np.array(low), np.array(high)


def test_every_quality_has_an_effect_to_check():
    assert set(EFFECTS) == set(QUALITIES)


@pytest.mark.parametrize("quality", sorted(EFFECTS))
def test_quality_reaches_the_metric_it_moves(quality):
    metric = EFFECTS[quality][1]
    if metric == "survived":  # on a few pairs survival may not differ: its performance does
        metric = "mean_performance"
    low, high = paired(quality, QUICK_PAIRS, metric)
    both = ~np.isnan(low) & ~np.isnan(high)
    assert both.sum() >= QUICK_PAIRS // 2
    assert np.any(low[both] != high[both]), f"{quality} never changes {metric}"
