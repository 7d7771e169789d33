"""Both faces of the model agree bit for bit, and large alliances stay sparse.

``simulate`` (one compiled run) and ``AllianceModel`` (Mesa, one compiled step per
month, a DataCollector recording) must give identical summaries and series for the
same parameters and int seed: on every shipped scenario and on drawn parameter sets.
``AllianceModel(scenario=AllianceScenario(...))`` equals the keyword form likewise.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.model import AllianceModel, AllianceScenario
from sim.model.prepare import prepare, resolve_spec
from sim.model.simulation import simulate
from sim.names import INTEGER_SERIES, PHASES, SERIES
from sim.scenario import ScenarioError, load_preset, shipped_scenarios


def assert_same_run(run_model, preset: str, seed: int, **params: Any) -> None:
    """simulate and AllianceModel: equal summaries, series and DataCollector columns."""
    fast = simulate(preset, rng=seed, record_every=1, **params)
    series = fast.pop("series")
    model = run_model(preset, seed, **params)
    assert model.summary() == fast
    mesa_series = model.series()
    assert list(mesa_series) == list(series) == ["step", *SERIES]
    for name, values in series.items():
        assert np.array_equal(mesa_series[name], values, equal_nan=True), name
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == list(SERIES)
    assert len(frame) == len(series["step"])
    for name in SERIES:
        if name == "phase":
            assert frame[name].tolist() == [PHASES[int(code)] for code in series[name]]
            continue
        collected = frame[name].to_numpy(dtype=np.float64)
        assert np.array_equal(collected, series[name], equal_nan=True), name
        if name in INTEGER_SERIES:
            assert all(type(value) is int for value in frame[name].tolist()), name


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
@pytest.mark.parametrize("seed", [0, 7])
def test_shipped_scenarios_identical(run_model, name: str, seed: int) -> None:
    assert_same_run(run_model, name, seed)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**63 - 1))
def test_drawn_parameters_identical(run_model, model_parameters, data, seed: int) -> None:
    params = data.draw(model_parameters, label="params")
    assert_same_run(run_model, "baseline", seed, **params)


def test_leader_exit_and_collapse_identical(run_model) -> None:
    """Runs that lose their lead and end early agree too."""
    ended_early = 0
    for seed in range(3):
        assert_same_run(run_model, "leader-exit", seed, members=30, concentration=0.9)
        assert_same_run(run_model, "baseline", seed, shock_rate=0.5, horizon=60)
        ended_early += not simulate("baseline", rng=seed, shock_rate=0.5, horizon=60)["survived"]
    assert ended_early > 0  # the collapse path was compared


def test_large_alliance_is_sparse() -> None:
    """10,000 members: every state array is linear in members, ties or months."""
    members, degree, horizon = 10_000, 10.0, 3
    spec = resolve_spec("baseline", members=members, mean_degree=degree, horizon=horizon)
    state = prepare(spec, 1).state
    edges = state.src.size
    ties = int(state.live.sum()) // 2
    assert ties == pytest.approx(members * degree / 2, rel=0.05)
    assert edges <= 4 * ties + 2 * members  # both directions of ties and open triads
    months = horizon + 1
    for name, array in zip(state._fields, state, strict=True):
        assert array.size <= max(2 * members + 1, edges, 16 * months), name
    assert state.first.size == members + 1
    summary = simulate(spec, rng=1)
    assert summary["founding_members"] == members
    assert 1 <= summary["lifetime"] <= horizon


@pytest.mark.parametrize("name", ["baseline", "regime-shift", "repeated-crises"])
def test_longer_horizon_continues_the_same_run(name: str) -> None:
    """The first H months of a run with a longer horizon are the run with horizon H."""
    for seed in range(6):
        short = simulate(name, rng=seed, record_every=1, horizon=120)
        long = simulate(name, rng=seed, record_every=1, horizon=132)
        months = len(short["series"]["step"])
        for column, values in short["series"].items():
            assert np.array_equal(long["series"][column][:months], values, equal_nan=True), column
        if not short["survived"]:
            assert long["lifetime"] == short["lifetime"]
            assert long["series"]["step"].size == months
        starts = [crisis["start"] for crisis in short["crises"]]
        assert [crisis["start"] for crisis in long["crises"][: len(starts)]] == starts


def _stepped(model: AllianceModel) -> AllianceModel:
    while model.running:
        model.step()
    return model


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**63 - 1))
def test_a_scenario_equals_the_keywords_bit_for_bit(model_parameters, data, seed: int) -> None:
    params = data.draw(model_parameters, label="params")
    keywords = _stepped(AllianceModel(rng=seed, **params))
    scenario = _stepped(AllianceModel(scenario=AllianceScenario(rng=seed, **params)))
    assert json.dumps(scenario.summary()) == json.dumps(keywords.summary())
    for name, values in keywords.series().items():
        assert np.array_equal(scenario.series()[name], values, equal_nan=True), name
    # as JSON, where NaN (mean trust once no tie is left) equals NaN
    assert json.dumps(scenario.datacollector.model_vars) == json.dumps(
        keywords.datacollector.model_vars
    )
    assert scenario.scenario.rng == seed and vars(keywords.scenario) == vars(scenario.scenario)


def test_a_scenario_starts_from_its_preset_and_checks_its_values() -> None:
    preset = load_preset("funding-cut")
    scenario = AllianceScenario(preset="funding-cut", relationships=0.9)
    assert scenario.relationships == 0.9
    assert scenario.shock_rate == preset.shocks.rate
    assert AllianceScenario().members == AllianceScenario.members == 12
    with pytest.raises(ScenarioError, match="relationships: 2 is out of range"):
        AllianceScenario(relationships=2.0)
    with pytest.raises(ScenarioError, match="unknown model parameter"):
        AllianceScenario(relationship=0.9)


def test_a_scenario_and_keywords_together_are_refused() -> None:
    with pytest.raises(ScenarioError, match="as keywords or in scenario=, not both"):
        AllianceModel(relationships=0.2, scenario=AllianceScenario(rng=1))
    with pytest.raises(ScenarioError, match=r"rng and scenario\.rng must be the same"):
        AllianceModel(rng=2, scenario=AllianceScenario(rng=1))
    model = AllianceModel(scenario=AllianceScenario(rng="7"))
    assert model.seed == 7 and model.scenario.rng == 7
