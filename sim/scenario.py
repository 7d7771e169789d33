"""Scenario specifications: frozen dataclasses, TOML loading, validation, dotted overrides.

A scenario file (``scenarios/NAME.toml``) describes one alliance, its leadership
and the crises it meets. Its numeric keys, their defaults and bounds come from the
parameter table (:mod:`sim.parameters`); every problem is raised as
:class:`ScenarioError` with one line naming the file and the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import partial
from pathlib import Path
from typing import Any

from sim.errors import InputError, check_keys, expect_number, expect_string, expect_table
from sim.locations import shipped_dir, shipped_tomls
from sim.names import LEADERSHIP_KEYS, QUALITIES, SHOCK_KINDS
from sim.parameters import (
    BY_KEY,
    CONSTANTS_BY_NAME,
    KEYWORDS,
    MAX_HORIZON,
    MAX_TIES,
    RULES,
    SCENARIO_PARAMETERS,
    default,
)

__all__ = [
    "LEADERSHIP_KEYS",
    "QUALITIES",
    "SHOCK_KINDS",
    "AllianceSpec",
    "LeadershipSpec",
    "ScenarioError",
    "ScenarioSpec",
    "ShockEvent",
    "ShockSpec",
    "load_file",
    "load_preset",
    "scenarios_dir",
    "shipped_scenarios",
]


def scenarios_dir() -> Path:
    """Folder of the shipped scenarios (``ALLIANCE_SIM_SCENARIOS`` overrides it)."""
    env = os.environ.get("ALLIANCE_SIM_SCENARIOS")
    if env:
        return Path(env)
    return shipped_dir("scenarios")


class ScenarioError(InputError):
    """Invalid scenario input. ``str(err)`` is one line: ``SOURCE: key: problem``."""


# ----------------------------------------------------------------------------------------
# Dataclasses (defaults from the parameter table)
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllianceSpec:
    """Size and structure of the founding alliance."""

    members: int = default("alliance.members")
    factions: int = default("alliance.factions")
    value_distance: float = default("alliance.value_distance")
    mean_degree: float = default("alliance.mean_degree")
    cross_faction_share: float = default("alliance.cross_faction_share")


@dataclass(frozen=True)
class LeadershipSpec:
    """The nine leadership qualities (each in [0, 1]) and how concentrated leadership is."""

    sense_making: float = default("leadership.sense_making")
    questioning_patterns: float = default("leadership.questioning_patterns")
    global_view: float = default("leadership.global_view")
    analytical_view: float = default("leadership.analytical_view")
    relationships: float = default("leadership.relationships")
    resilience_building: float = default("leadership.resilience_building")
    change_awareness: float = default("leadership.change_awareness")
    paradox_navigation: float = default("leadership.paradox_navigation")
    reflection: float = default("leadership.reflection")
    concentration: float = default("leadership.concentration")

    def qualities(self) -> tuple[float, ...]:
        """The nine qualities in canonical order."""
        return tuple(getattr(self, name) for name in QUALITIES)


@dataclass(frozen=True)
class ShockEvent:
    """A scheduled crisis: ``kind`` at month ``at``; severity drawn when None."""

    kind: str
    at: int
    severity: float | None = None
    member: int | None = None


DEFAULT_MIX: tuple[tuple[str, float], ...] = (
    ("global", 0.4),
    ("local", 0.3),
    ("relational", 0.1),
    ("regime_shift", 0.2),
)


@dataclass(frozen=True)
class ShockSpec:
    """Random crises (Poisson ``rate`` per month, kinds by ``mix``) and scheduled ``events``."""

    rate: float = default("shocks.rate")
    mix: tuple[tuple[str, float], ...] = DEFAULT_MIX
    events: tuple[ShockEvent, ...] = ()

    def mix_weights(self) -> tuple[float, ...]:
        """Mix weights in the order of :data:`SHOCK_KINDS`, normalised to sum 1."""
        weights = dict(self.mix)
        raw = [float(weights.get(kind, 0.0)) for kind in SHOCK_KINDS]
        total = sum(raw)
        return tuple(w / total for w in raw) if total > 0 else tuple(0.0 for _ in raw)


@dataclass(frozen=True)
class ScenarioSpec:
    """A complete, validated scenario. Build with :func:`load_preset` or :meth:`from_dict`."""

    name: str = "baseline"
    description: str = ""
    horizon: int = default("horizon")
    alliance: AllianceSpec = field(default_factory=AllianceSpec)
    leadership: LeadershipSpec = field(default_factory=LeadershipSpec)
    shocks: ShockSpec = field(default_factory=ShockSpec)
    constants: tuple[tuple[str, float], ...] = ()
    source: str = field(default="<defaults>", compare=False)

    # -- conversion ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The scenario as a TOML-shaped dict (round-trips through :meth:`from_dict`)."""
        shocks: dict[str, Any] = {"rate": self.shocks.rate, "mix": dict(self.shocks.mix)}
        events = [_event_dict(event) for event in self.shocks.events]
        if events:
            shocks["events"] = events
        return {
            "name": self.name,
            "description": self.description,
            "horizon": self.horizon,
            "alliance": {f.name: getattr(self.alliance, f.name) for f in fields(AllianceSpec)},
            "leadership": {name: getattr(self.leadership, name) for name in LEADERSHIP_KEYS},
            "shocks": shocks,
            "constants": dict(self.constants),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> ScenarioSpec:
        """Validate a TOML-shaped dict into a spec; raises :class:`ScenarioError`."""
        return _parse(data, source)

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "--set") -> ScenarioSpec:
        """A new spec with dotted-key overrides (``{"leadership.relationships": 0.9}``)."""
        if not overrides:
            return self
        data = self.to_dict()
        for key, value in overrides.items():
            _set_dotted(data, key, value, source)
        spec = _parse(data, source)
        return replace(spec, source=self.source)

    def with_parameters(self, **params: Any) -> ScenarioSpec:
        """A new spec with model keyword parameters (``relationships=0.9``, ``shock_rate=0``)."""
        overrides = {}
        for name, value in params.items():
            if name not in KEYWORDS:
                raise ScenarioError("parameters", name, "unknown model parameter")
            overrides[KEYWORDS[name]] = value
        return self.with_overrides(overrides, source="parameters")

    def get(self, dotted: str) -> Any:
        """The value at a dotted key (``"alliance.members"``); a constant's default if unset."""
        data: Any = self.to_dict()
        for part in dotted.split("."):
            if not isinstance(data, dict) or part not in data:
                if dotted in BY_KEY:
                    return BY_KEY[dotted].default
                raise ScenarioError(self.source, dotted, "no such key")
            data = data[part]
        return data

    def constants_dict(self) -> dict[str, float]:
        """The scenario's constant overrides by name."""
        return dict(self.constants)


def _event_dict(event: ShockEvent) -> dict[str, Any]:
    item: dict[str, Any] = {"kind": event.kind, "at": event.at}
    if event.severity is not None:
        item["severity"] = event.severity
    if event.member is not None:
        item["member"] = event.member
    return item


# ----------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario names and their files."""
    return shipped_tomls(scenarios_dir())


def load_file(path: str | os.PathLike[str]) -> ScenarioSpec:
    """Load and validate one scenario file."""
    path = Path(path)
    source = str(path)
    if path.exists() and not path.is_file():
        raise ScenarioError(source, None, "not a regular file")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, None, "file not found") from None
    except UnicodeDecodeError:
        raise ScenarioError(source, None, "not a UTF-8 text file") from None
    except OSError as err:
        raise ScenarioError(source, None, f"cannot read file ({err.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(source, None, f"TOML syntax error: {err}") from None
    return _parse(data, source)


def load_preset(preset: str | os.PathLike[str] | ScenarioSpec | None = None) -> ScenarioSpec:
    """Resolve a preset: a :class:`ScenarioSpec`, a shipped name, or a file path.

    ``None`` means the shipped ``baseline``.
    """
    if preset is None:
        preset = "baseline"
    if isinstance(preset, ScenarioSpec):
        return preset
    text = os.fspath(preset)
    shipped = shipped_scenarios()
    if text in shipped:
        return load_file(shipped[text])
    path = Path(text)
    if path.suffix == ".toml" or path.exists() or os.sep in text:
        return load_file(path)
    names = ", ".join(shipped) or "none found"
    raise ScenarioError(text, None, f"unknown scenario (shipped: {names}; or give a .toml path)")


# ----------------------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------------------


def _set_dotted(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    parts = key.split(".")
    if any(not part for part in parts):
        raise ScenarioError(source, key, "malformed dotted key")
    node = data
    for depth, part in enumerate(parts[:-1]):
        prefix = ".".join(parts[: depth + 1])
        if part not in node:
            if part == "constants" and depth == 0:
                node[part] = {}
            else:
                raise ScenarioError(source, key, f"unknown key '{prefix}'")
        if not isinstance(node[part], dict):
            raise ScenarioError(source, key, f"'{prefix}' is not a table")
        node = node[part]
    last = parts[-1]
    if parts[0] != "constants" and last not in node and key not in _OPTIONAL_KEYS:
        raise ScenarioError(source, key, "unknown key")
    node[last] = value


_OPTIONAL_KEYS = frozenset({"shocks.events", *(f"shocks.mix.{kind}" for kind in SHOCK_KINDS)})
"""Keys ``--set`` may add although a scenario's table leaves them out."""


_table = partial(expect_table, ScenarioError)
_string = partial(expect_string, ScenarioError)
_check_keys = partial(check_keys, ScenarioError)
_TOP_KEYS = {"name", "description", "horizon", "alliance", "leadership", "shocks", "constants"}


def _section_values(source: str, data: Mapping[str, Any], section: str) -> dict[str, Any]:
    """The table's numeric keys of ``section`` (``""`` = top level), checked, defaults filled."""
    table = _table(source, section, data.get(section, {})) if section else data
    names = {p.name for p in SCENARIO_PARAMETERS if p.section == section}
    if section in ("alliance", "leadership"):
        _check_keys(source, section, table, names)
    return {
        parameter.name: parameter.check(
            table.get(parameter.name, parameter.default), source, error=ScenarioError
        )
        for parameter in SCENARIO_PARAMETERS
        if parameter.section == section
    }


def _constants(source: str, data: Mapping[str, Any]) -> tuple[tuple[str, float], ...]:
    table = _table(source, "constants", data.get("constants", {}))
    constants = []
    for name, value in table.items():
        parameter = CONSTANTS_BY_NAME.get(name)
        if parameter is None:
            raise ScenarioError(
                source, f"constants.{name}", "unknown constant (see docs/model.md for the list)"
            )
        constants.append((name, float(parameter.check(value, source, error=ScenarioError))))
    return tuple(sorted(constants))


def check_rules(source: str, values: Mapping[str, Any], error: type[InputError]) -> None:
    """Raise ``error`` when dotted-key ``values`` break a rule of :data:`RULES` (``a <= b``)."""
    for first, second in RULES:
        low = values.get(first, BY_KEY[first].default)
        high = values.get(second, BY_KEY[second].default)
        if low > high:
            raise error(source, first, f"{low:g} must not exceed {second} ({high:g})")


def founding_ties(members: int, mean_degree: float) -> int:
    """Undirected founding ties the network asks for (before capping at the pairs)."""
    return round(members * min(mean_degree, members - 1) / 2)


def _check_ties(source: str, alliance: AllianceSpec) -> None:
    ties = founding_ties(alliance.members, alliance.mean_degree)
    if ties > MAX_TIES:
        raise ScenarioError(
            source,
            "alliance.mean_degree",
            f"{alliance.members} members with mean degree {alliance.mean_degree:g} make "
            f"{ties:,} ties; at most {MAX_TIES:,} fit in memory (lower either)",
        )


def _parse(data: Mapping[str, Any], source: str) -> ScenarioSpec:
    data = _table(source, "(top level)", data)
    _check_keys(source, "", data, _TOP_KEYS)
    default_name = Path(source).stem if source.endswith(".toml") else "custom"
    top = _section_values(source, data, "")
    alliance = AllianceSpec(**_section_values(source, data, "alliance"))
    leadership = LeadershipSpec(**_section_values(source, data, "leadership"))
    constants = _constants(source, data)
    _check_ties(source, alliance)
    check_rules(
        source,
        {
            "alliance.factions": alliance.factions,
            "alliance.members": alliance.members,
            **{f"constants.{name}": value for name, value in constants},
        },
        ScenarioError,
    )
    return ScenarioSpec(
        name=_string(source, "name", data.get("name", default_name)),
        description=_string(source, "description", data.get("description", "")),
        horizon=top["horizon"],
        alliance=alliance,
        leadership=leadership,
        shocks=_parse_shocks(source, _table(source, "shocks", data.get("shocks", {})), alliance),
        constants=constants,
        source=source,
    )


def _parse_shocks(source: str, table: Mapping[str, Any], alliance: AllianceSpec) -> ShockSpec:
    _check_keys(source, "shocks", table, {"rate", "mix", "events"})
    rate = _section_values(source, {"shocks": table}, "shocks")["rate"]
    mix_in = _table(source, "shocks.mix", table.get("mix", dict(DEFAULT_MIX)))
    _check_keys(source, "shocks.mix", mix_in, set(SHOCK_KINDS))
    mix = tuple(
        (kind, float(_weight(source, f"shocks.mix.{kind}", mix_in[kind])))
        for kind in SHOCK_KINDS
        if kind in mix_in
    )
    if rate > 0 and sum(weight for _, weight in mix) <= 0:
        raise ScenarioError(source, "shocks.mix", "weights must not all be zero when rate > 0")
    events_in = table.get("events", [])
    if not isinstance(events_in, list):
        raise ScenarioError(
            source, "shocks.events", "expected an array of tables ([[shocks.events]])"
        )
    events = tuple(
        _parse_event(source, f"shocks.events[{index}]", item, alliance.members)
        for index, item in enumerate(events_in)
    )
    return ShockSpec(rate=float(rate), mix=mix, events=events)


def _weight(source: str, key: str, value: Any) -> float:
    return float(expect_number(ScenarioError, source, key, value, 0.0, 1e6))


def _parse_event(source: str, key: str, item: Any, members: int) -> ShockEvent:
    item = _table(source, key, item)
    _check_keys(source, key, item, {"kind", "at", "severity", "member"})
    if "kind" not in item:
        raise ScenarioError(
            source, f"{key}.kind", "missing (one of " + ", ".join(SHOCK_KINDS) + ")"
        )
    kind = _string(source, f"{key}.kind", item["kind"])
    if kind not in SHOCK_KINDS:
        raise ScenarioError(
            source, f"{key}.kind", f"unknown kind '{kind}' (one of {', '.join(SHOCK_KINDS)})"
        )
    if "at" not in item:
        raise ScenarioError(source, f"{key}.at", "missing (the month of the event)")
    at = int(
        expect_number(ScenarioError, source, f"{key}.at", item["at"], 1, MAX_HORIZON, integer=True)
    )
    severity = item.get("severity")
    if severity is not None:
        severity = float(
            expect_number(ScenarioError, source, f"{key}.severity", severity, 0.0, 1.0)
        )
    member = item.get("member")
    if member is not None:
        if kind != "local":
            raise ScenarioError(source, f"{key}.member", "only local events name a member")
        member = int(
            expect_number(
                ScenarioError, source, f"{key}.member", member, 0, members - 1, integer=True
            )
        )
    return ShockEvent(kind=kind, at=at, severity=severity, member=member)
