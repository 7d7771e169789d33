"""Invariants under hypothesis-drawn parameters and seeds."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import kernel
from sim.kernel import layout as L
from sim.model.prepare import prepare, resolve_spec
from sim.model.simulation import simulate
from sim.names import OUTCOMES

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_state_in_range(s: L.State) -> None:
    """Every bounded quantity of a founded or stepped state is inside its bounds."""
    live = s.live.astype(bool)
    assert np.all((s.trust >= 0) & (s.trust <= 1))
    assert np.all(s.trust[live] <= 1 - s.damage[live] + 1e-12)
    assert np.all((s.values >= 0) & (s.values <= 1))
    assert np.all((s.capacity > 0) & (s.capacity <= 1))
    assert np.all((s.awareness >= 0) & (s.awareness <= 1))
    assert 0 <= s.alliance[L.EFFORT_SPLIT] <= 1
    active = s.active.astype(bool)
    assert not np.any(live & ~active[s.src]) and not np.any(live & ~active[s.dst])
    # ties open, close and end both ways, and degrees count the live ones
    assert np.array_equal(s.live, s.live[s.rev])
    assert np.array_equal(s.degree, np.bincount(s.src[live], minlength=s.active.size))
    assert s.counters[L.ACTIVE] == active.sum()
    assert np.all(s.share[~active] == 0)  # an exited member's share is released
    assert np.all(s.share[active] >= 0)
    if active.any():
        assert abs(s.share[active].sum() - 1) < 1e-9


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32))
def test_state_stays_in_range_and_exited_members_never_act(model_parameters, data, seed):
    params = data.draw(model_parameters, label="params")
    run = prepare(resolve_spec("repeated-crises", **params), seed)
    s = run.state
    assert_state_in_range(s)
    frozen = {}
    while kernel.step(s, run.qualities, run.consts, run.generator):
        assert_state_in_range(s)
        for i in np.flatnonzero(~s.active.astype(bool)):
            snapshot = (s.capacity[i], s.awareness[i], *s.values[i], s.exit_step[i])
            if i in frozen:
                assert frozen[i] == snapshot  # an exited member never acts again
            frozen[i] = snapshot
            assert 0 <= s.exit_step[i] <= s.counters[L.STEP]


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32))
def test_any_valid_parameters_run_to_one_outcome_deterministically(model_parameters, data, seed):
    params = data.draw(model_parameters, label="params")
    first = simulate("baseline", rng=seed, **params)
    again = simulate("baseline", rng=seed, **params)
    assert first == again
    assert first["outcome"] in OUTCOMES
    assert (first["outcome"] == "collapse") == (not first["survived"])
    assert 1 <= first["lifetime"] <= params["horizon"]
    assert first["lifetime"] == params["horizon"] or not first["survived"]
    assert first["final_members"] <= first["founding_members"] == params["members"]
    assert all(c["start"] <= first["lifetime"] for c in first["crises"])
