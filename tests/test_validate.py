"""The five calibration targets of MODEL-NOTES.md (run once per session)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5, 6])
def test_calibration_target_passes(validation_results, number):
    result = validation_results[number]
    assert result.passed, f"target {number} ({result.name}): {result.measured}"
    assert result.criterion and result.measured


def test_failure_rate_figures_are_in_range(validation_results):
    details = validation_results[1].details
    assert 0.30 <= details["failure_share"] <= 0.70
    assert 60 <= details["median_collapse_lifetime"] <= 108


def test_trust_rebuild_takes_three_times_longer(validation_results):
    assert validation_results[2].details["rebuild_months"] >= 3
    assert validation_results[2].details["highest_after_repeated"] < 1
