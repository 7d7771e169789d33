"""Shared fixtures: expensive results are computed once per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def validation_results():
    """The five calibration targets, run once (about half a minute)."""
    from sim.validation.targets import validate

    return {result.number: result for result in validate()}
