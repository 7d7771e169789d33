"""Invariants under hypothesis-drawn parameters and seeds."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import kernel
from sim.kernel import layout as L
from sim.model.prepare import prepare, resolve_spec
from sim.model.simulation import simulate
from sim.names import OUTCOMES, QUALITIES

unit = st.floats(0.0, 1.0, allow_nan=False)
parameters = st.fixed_dictionaries(
    {
        **{name: unit for name in QUALITIES},
        "concentration": unit,
        "members": st.integers(3, 40),
        "value_distance": unit,
        "mean_degree": st.floats(1.0, 12.0),
        "cross_faction_share": unit,
        "shock_rate": st.floats(0.0, 0.5),
        "horizon": st.integers(1, 60),
        "factions": st.integers(1, 4),
    }
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fit_factions(params):
    params = dict(params)
    params["factions"] = min(params["factions"], params["members"])
    return params


@SETTINGS
@given(parameters, st.integers(0, 2**32))
def test_state_stays_in_range_and_exited_members_never_act(params, seed):
    run = prepare(resolve_spec("repeated-crises", **_fit_factions(params)), seed)
    s = run.state
    frozen = {}
    while kernel.step(s, run.qualities, run.consts, run.generator):
        live = s.live.astype(bool)
        assert np.all((s.trust >= 0) & (s.trust <= 1))
        assert np.all(s.trust[live] <= 1 - s.damage[live] + 1e-12)
        assert np.all((s.values >= 0) & (s.values <= 1))
        assert np.all((s.capacity > 0) & (s.capacity <= 1))
        assert np.all((s.awareness >= 0) & (s.awareness <= 1))
        assert 0 <= s.alliance[L.EFFORT_SPLIT] <= 1
        active = s.active.astype(bool)
        assert not np.any(live & ~active[s.src]) and not np.any(live & ~active[s.dst])
        if active.any():
            assert s.share[active].sum() == np.float64(s.share[active].sum())
            assert abs(s.share[active].sum() - 1) < 1e-9
        for i in np.flatnonzero(~active):
            snapshot = (s.capacity[i], s.awareness[i], *s.values[i])
            if i in frozen:
                assert frozen[i] == snapshot  # an exited member never acts again
            frozen[i] = snapshot
        assert s.counters[L.ACTIVE] == active.sum()


@SETTINGS
@given(parameters, st.integers(0, 2**32))
def test_any_valid_parameters_run_to_one_outcome_deterministically(params, seed):
    params = _fit_factions(params)
    first = simulate("baseline", rng=seed, **params)
    again = simulate("baseline", rng=seed, **params)
    assert first == again
    assert first["outcome"] in OUTCOMES
    assert (first["outcome"] == "collapse") == (not first["survived"])
    assert 1 <= first["lifetime"] <= params["horizon"]
    assert first["final_members"] <= first["founding_members"] == params["members"]
