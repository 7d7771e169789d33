"""The calibration procedure of the exit constants (sim.validation.calibration)."""

from __future__ import annotations

import pytest

from sim.parameters import CONSTANTS_BY_NAME
from sim.validation import calibration as cal


def point(rate: float, blame: float, lifetime: float, step: float) -> cal.GridPoint:
    return cal.GridPoint(rate, blame, 0.4, 0.45, lifetime, step, (0.0, 1.0))


def test_choose_takes_the_admissible_point_with_the_smallest_step():
    low, high = cal.LIFETIME_RANGE
    points = [
        point(0.4, 0.3, low - 1, 0.05),  # gentlest, but collapses come too soon
        point(0.7, 0.2, low, 0.20),
        point(1.0, 0.2, high, 0.18),
        point(1.0, 0.3, high + 1, 0.01),  # too late
        point(0.55, 0.2, 80, 0.18),  # ties with the third: the first one wins
    ]
    assert cal.choose(points) is points[2]
    assert [p.admissible for p in points] == [False, True, True, False, True]


def test_choose_refuses_a_grid_without_an_admissible_point():
    with pytest.raises(ValueError, match="lifetimes"):
        cal.choose([point(0.4, 0.3, 10, 0.1)])


def test_the_defaults_lie_on_the_grid_and_say_how_they_were_set():
    defaults = cal.defaults()
    assert defaults["exit_rate"] in cal.EXIT_RATES
    assert defaults["blame_base"] in cal.BLAME_BASES
    for name in cal.CALIBRATED:
        assert "scripts/calibrate.py" in CONSTANTS_BY_NAME[name].set_by


@pytest.mark.slow
def test_the_default_tolerance_is_what_the_procedure_gives_at_the_default_pair():
    defaults = cal.defaults()
    found = cal.evaluate(defaults["exit_rate"], defaults["blame_base"])
    assert found.exit_tolerance == defaults["exit_tolerance"]
    assert found.admissible
    assert abs(found.failure_share - cal.FAILURE_TARGET) <= 0.02


def test_evaluate_measures_the_cliff_on_more_runs_than_the_bisection(monkeypatch):
    runs_seen = []

    def summaries(spec, seeds, **levels):
        runs_seen.append((len(seeds), bool(levels)))
        return [{"outcome": "collapse", "lifetime": 80, "survived": False}] * len(seeds)

    monkeypatch.setattr(cal, "_summaries", summaries)
    monkeypatch.setattr(cal, "CLIFF_RUNS", 50)
    found = cal.evaluate(1.0, 0.15, runs=20, seed=1)
    assert {n for n, levelled in runs_seen if levelled} == {50}
    assert {n for n, levelled in runs_seen if not levelled} == {20}
    assert len(found.survival_by_level) == len(cal.CLIFF_LEVELS)
