"""The outcome classes by hand: each rule on a hand-written record, read at a month.

A record is a founded state whose recorded series and episodes the test writes
itself, so every class follows from numbers one can check on paper.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim import kernel
from sim.kernel import layout as L
from sim.kernel.outcomes import classify
from sim.model.prepare import constants_array, prepare, resolve_spec
from sim.model.simulation import simulate
from sim.names import OUTCOMES
from sim.parameters import CONSTANTS

THRESHOLDS = {
    "fragmentation_share": 0.6,
    "fragmentation_months": 12,
    "degraded_share": 0.8,
    "degraded_window": 60,
    "founding_months": 12,
    "settle_months": 24,
    "delta_h": 0.1,
    "recovery_share": 0.95,
}
C = constants_array(THRESHOLDS)
KERNEL = Path(__file__).resolve().parent.parent / "sim" / "kernel"


def record(months: int = 100):
    """A calm record: performance 0.8, every member kept, one trust component, the
    ambition at 0.5."""
    state = prepare(resolve_spec("baseline", horizon=months + 10, shock_rate=0.0), 1).state
    state.series[:] = np.nan
    state.series[L.S_PERFORMANCE] = 0.8
    state.series[L.S_ACTIVE] = state.counters[L.FOUNDING]
    state.series[L.S_COMPONENT] = 1.0
    state.series[L.S_AMBITION] = 0.5
    state.counters[L.STEP] = months
    return state


def crisis(state, start: int, q_pre: float = 0.8) -> None:
    """Add a crisis episode starting at ``start`` with pre-crisis level ``q_pre``."""
    k = int(state.counters[L.EPISODES])
    state.episodes[k, L.EP_START] = start
    state.episodes[k, L.EP_Q_PRE] = q_pre
    state.counters[L.EPISODES] = k + 1


def read(state, month: int = 100) -> str:
    return OUTCOMES[classify(state, C, month)[0]]


def test_an_alliance_that_met_no_crisis_recovered():
    assert read(record()) == "recovery"


@pytest.mark.parametrize(("months_split", "expected"), [(12, "fragmentation"), (11, "recovery")])
def test_fragmentation_is_a_split_that_lasts(months_split, expected):
    state = record()
    state.series[L.S_COMPONENT, 100 - months_split + 1 : 101] = 0.5
    assert read(state) == expected


def test_a_healed_split_is_not_fragmentation():
    state = record()
    state.series[L.S_COMPONENT, 80:100] = 0.5
    state.series[L.S_COMPONENT, 100] = 0.6  # not below the share: healed at the reading month
    assert read(state) == "recovery"


@pytest.mark.parametrize(("later", "expected"), [(0.6, "degraded"), (0.7, "recovery")])
def test_degraded_compares_the_later_median_with_the_founding_level(later, expected):
    state = record()
    state.series[L.S_PERFORMANCE, 41:101] = later  # the last 60 months; 0.8 * 0.8 = 0.64
    assert read(state) == expected


@pytest.mark.parametrize(("kept", "expected"), [(0.7, "degraded"), (0.85, "recovery")])
def test_degraded_counts_the_members_an_alliance_lost(kept, expected):
    """Output is performance times the share of founding members kept: 0.8 * 0.7 = 0.56
    is below 0.8 * 0.8 = 0.64, 0.8 * 0.85 = 0.68 is not, at unchanged performance."""
    state = record()
    founding = state.counters[L.FOUNDING]
    state.series[L.S_ACTIVE, 41:101] = round(kept * founding, 6)
    assert read(state) == expected


def test_one_late_shock_does_not_make_an_alliance_degraded():
    state = record()
    state.series[L.S_PERFORMANCE, 89:101] = 0.3  # the last 12 months of 60: median stays 0.8
    crisis(state, 89)
    assert read(state) == "recovery"


def renewal_record(moved: float, back: bool, start: int = 30):
    """A crisis at ``start``: performance dips, the ambition moves by ``moved`` within the
    settle window, and performance comes back (or stays at 0.7 until the window ends)."""
    state = record()
    crisis(state, start)
    state.series[L.S_PERFORMANCE, start : start + 6] = 0.5
    state.series[L.S_PERFORMANCE, start + 6 : start + 25] = 0.8 if back else 0.7
    state.series[L.S_AMBITION, start:] = 0.5 + moved
    return state


@pytest.mark.parametrize(
    ("moved", "back", "expected"),
    [
        (0.12, True, "transformation"),
        (-0.12, True, "transformation"),
        (0.08, True, "recovery"),  # came back, ambition revised less than delta_h
        (0.12, False, "recovery"),  # revised, but did not come back within the window
    ],
)
def test_transformation_is_a_revision_the_alliance_came_back_with(moved, back, expected):
    assert read(renewal_record(moved, back)) == expected


def test_a_crisis_still_open_at_the_reading_month_does_not_decide():
    state = renewal_record(0.12, True, start=80)  # settles at month 104
    assert read(state, 100) == "recovery"
    state.counters[L.STEP] = 104
    assert read(state, 104) == "transformation"


def test_collapse_counts_from_the_month_the_alliance_ended():
    state = record()
    state.counters[L.TERMINATED] = 1
    state.counters[L.END_STEP] = 50
    assert read(state, 100) == "collapse"
    assert read(state, 40) == "recovery"


def test_reading_a_finished_run_at_a_month_is_reading_it_then(run_model):
    """The class depends on the record up to the reading month only."""
    for seed in range(8):
        model = run_model("repeated-crises", seed, horizon=90)
        longer = prepare(resolve_spec("repeated-crises", horizon=180), seed)
        kernel.run(longer.state, longer.qualities, longer.consts, longer.generator)
        at_90 = OUTCOMES[classify(longer.state, longer.consts, 90)[0]]
        assert model.summary()["outcome"] == at_90
        assert simulate("repeated-crises", rng=seed, horizon=90)["outcome"] == at_90


def test_classification_and_metric_constants_never_reach_the_step():
    """Thresholds that measure or classify are read only where runs are measured."""
    measuring = {"outcomes.py", "episodes.py"}
    for constant in CONSTANTS:
        if constant.role in ("mechanism", "switch"):
            continue
        readers = {
            path.name
            for path in KERNEL.glob("*.py")
            if re.search(rf'_ix\("{constant.name}"\)', path.read_text(encoding="utf-8"))
        }
        assert readers and readers <= measuring, (constant.name, readers)
