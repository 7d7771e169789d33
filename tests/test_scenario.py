"""Scenario loading, validation with one-line errors, dotted overrides."""

from __future__ import annotations

import pytest

from sim.parameters import BY_KEY, SCENARIO_PARAMETERS
from sim.scenario import (
    QUALITIES,
    ScenarioError,
    ScenarioSpec,
    load_file,
    load_preset,
    shipped_scenarios,
)

REQUIRED = {
    "baseline",
    "funding-cut",
    "scandal",
    "regime-shift",
    "repeated-crises",
    "leader-exit",
    "faultlines",
}


def test_required_scenarios_are_shipped_with_descriptions():
    shipped = shipped_scenarios()
    assert REQUIRED <= set(shipped)
    for name, path in shipped.items():
        spec = load_file(path)
        assert spec.name == name
        assert len(spec.description.split()) >= 12


def test_faultlines_has_two_distant_factions():
    spec = load_preset("faultlines")
    assert spec.alliance.factions == 2
    assert spec.alliance.value_distance >= 0.5 > load_preset("baseline").alliance.value_distance


def test_round_trip_through_dict():
    spec = load_preset("repeated-crises")
    again = ScenarioSpec.from_dict(spec.to_dict(), source="again")
    assert again == spec


def test_dotted_overrides_and_parameters():
    spec = load_preset("baseline")
    original = spec.leadership.relationships
    assert original != 0.9
    changed = spec.with_overrides(
        {"leadership.relationships": 0.9, "alliance.members": 20, "constants.trust_loss": 0.2}
    )
    assert changed.leadership.relationships == 0.9
    assert changed.alliance.members == 20
    assert changed.constants_dict() == {"trust_loss": 0.2}
    assert changed.get("constants.trust_loss") == 0.2
    assert spec.leadership.relationships == original  # frozen: the original is unchanged
    same = spec.with_parameters(shock_rate=0.1, horizon=60, concentration=1.0)
    assert (same.shocks.rate, same.horizon, same.leadership.concentration) == (0.1, 60, 1.0)


def test_unset_keys_take_the_table_defaults():
    spec = ScenarioSpec.from_dict({"name": "x"})
    assert spec.leadership.qualities() == tuple(
        BY_KEY[f"leadership.{name}"].default for name in QUALITIES
    )
    for parameter in SCENARIO_PARAMETERS:
        assert spec.get(parameter.key) == parameter.default, parameter.key


BAD = [
    ("name = ", None, "TOML syntax error"),
    ("name = 'x'\ncolour = 1\n", "colour", "unknown key"),
    ("[alliance]\nmembers = 'ten'\n", "alliance.members", "expected a number"),
    ("[alliance]\nmembers = 2\n", "alliance.members", "out of range"),
    ("[alliance]\nmembers = 12.5\n", "alliance.members", "whole number"),
    ("[alliance]\nfactions = 13\n", "alliance.factions", "must not exceed alliance.members"),
    ("[leadership]\nrelationships = 1.5\n", "leadership.relationships", "out of range"),
    ("[leadership]\ncharisma = 0.5\n", "leadership.charisma", "unknown key"),
    ("[leadership]\nreflection = true\n", "leadership.reflection", "expected a number"),
    ("[shocks]\nrate = -1\n", "shocks.rate", "out of range"),
    ("[shocks]\nmix = { meteor = 1 }\n", "shocks.mix.meteor", "unknown key"),
    ("[[shocks.events]]\nkind = 'flood'\nat = 3\n", "shocks.events[0].kind", "unknown kind"),
    ("[[shocks.events]]\nkind = 'global'\n", "shocks.events[0].at", "missing"),
    (
        "[[shocks.events]]\nkind = 'global'\nat = 3\nseverity = 2\n",
        "shocks.events[0].severity",
        "out of range",
    ),
    (
        "[[shocks.events]]\nkind = 'local'\nat = 3\nmember = 40\n",
        "shocks.events[0].member",
        "out of range",
    ),
    ("[constants]\nwarp = 1\n", "constants.warp", "unknown constant"),
    ("[constants]\ntrust_loss = 3\n", "constants.trust_loss", "out of range"),
    ("horizon = 0\n", "horizon", "out of range"),
]


@pytest.mark.parametrize(("text", "key", "problem"), BAD)
def test_bad_scenario_files_name_file_and_key(tmp_path, text, key, problem):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    if key:
        assert f": {key}:" in message
    assert problem in message


def test_missing_file_and_unknown_name():
    with pytest.raises(ScenarioError, match="file not found"):
        load_preset("does/not/exist.toml")
    with pytest.raises(ScenarioError, match="unknown scenario"):
        load_preset("atlantis")


def test_bad_override_names_the_key():
    spec = load_preset("baseline")
    with pytest.raises(ScenarioError, match=r"^--set: leadership.relationships: .*out of range"):
        spec.with_overrides({"leadership.relationships": 2})
    with pytest.raises(ScenarioError, match="unknown key"):
        spec.with_overrides({"alliance.colour": 1})
    with pytest.raises(ScenarioError, match="unknown model parameter"):
        spec.with_parameters(charisma=1)
