"""Seed-pinned regression values: a change that alters any run shows up here.

When a deliberate model change moves these values, re-pin them in the same
commit and say why in its message (and in docs/model.md if the model changed).
"""

from __future__ import annotations

import pytest

from sim import simulate

PINNED = [
    # scenario, seed, outcome, lifetime, final members, crises, mean trust, mean performance
    ("baseline", 1, "degraded", 180, 9, 4, 0.5654168972169138, 0.7141439411164675),
    ("baseline", 2, "transformation", 180, 8, 5, 0.5740652975646133, 0.5838492946721567),
    ("scandal", 3, "transformation", 180, 10, 4, 0.6118259623057491, 0.6062609847981936),
    ("leader-exit", 4, "transformation", 180, 9, 5, 0.6589630502886392, 0.97834518242707),
    ("faultlines", 5, "collapse", 5, 4, 0, 0.5154641355320023, 0.9231114795213603),
]


@pytest.mark.parametrize(
    ("scenario", "seed", "outcome", "lifetime", "final", "crises", "trust", "performance"),
    PINNED,
)
def test_pinned_runs(scenario, seed, outcome, lifetime, final, crises, trust, performance):
    summary = simulate(scenario, rng=seed)
    metrics = summary["metrics"]
    assert (summary["outcome"], summary["lifetime"], summary["final_members"]) == (
        outcome,
        lifetime,
        final,
    )
    assert metrics["crises"] == crises
    assert metrics["mean_trust"] == pytest.approx(trust, rel=1e-12)
    assert metrics["mean_performance"] == pytest.approx(performance, rel=1e-12)
