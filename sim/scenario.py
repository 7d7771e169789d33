"""Scenario specifications: frozen dataclasses, TOML loading, validation, dotted overrides.

A scenario file (``scenarios/NAME.toml``) describes one alliance, its leadership
and the crises it meets. Validation happens here and only here: every problem is
raised as :class:`ScenarioError` with one line naming the file and the key.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import partial
from pathlib import Path
from typing import Any

from sim.constants import CONSTANTS_BY_NAME
from sim.errors import InputError, check_keys, expect_string, expect_table

QUALITIES: tuple[str, ...] = (
    "sense_making",
    "questioning_patterns",
    "global_view",
    "analytical_view",
    "relationships",
    "resilience_building",
    "change_awareness",
    "paradox_navigation",
    "reflection",
)
"""The nine leadership qualities, in their canonical order."""

LEADERSHIP_KEYS: tuple[str, ...] = (*QUALITIES, "concentration")
SHOCK_KINDS: tuple[str, ...] = ("global", "local", "relational", "regime_shift", "leader_exit")

#: Model keyword parameter -> dotted scenario key.
PARAMETER_KEYS: dict[str, str] = {
    **{name: f"leadership.{name}" for name in LEADERSHIP_KEYS},
    "members": "alliance.members",
    "factions": "alliance.factions",
    "value_distance": "alliance.value_distance",
    "mean_degree": "alliance.mean_degree",
    "cross_faction_share": "alliance.cross_faction_share",
    "shock_rate": "shocks.rate",
    "horizon": "horizon",
}

MAX_MEMBERS = 100_000
MAX_HORIZON = 100_000


def scenarios_dir() -> Path:
    """Folder of the shipped scenarios (``ALLIANCE_SIM_SCENARIOS`` overrides it)."""
    env = os.environ.get("ALLIANCE_SIM_SCENARIOS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "scenarios"


class ScenarioError(InputError):
    """Invalid scenario input. ``str(err)`` is one line: ``SOURCE: key: problem``."""


# ----------------------------------------------------------------------------------------
# Dataclasses
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllianceSpec:
    """Size and structure of the founding alliance."""

    members: int = 12
    factions: int = 3
    value_distance: float = 0.3
    mean_degree: float = 8.0
    cross_faction_share: float = 0.25


@dataclass(frozen=True)
class LeadershipSpec:
    """The nine leadership qualities (each in [0, 1]) and how concentrated leadership is."""

    sense_making: float = 0.5
    questioning_patterns: float = 0.5
    global_view: float = 0.5
    analytical_view: float = 0.5
    relationships: float = 0.5
    resilience_building: float = 0.5
    change_awareness: float = 0.5
    paradox_navigation: float = 0.5
    reflection: float = 0.5
    concentration: float = 0.0

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

    rate: float = 0.055
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
    horizon: int = 180
    alliance: AllianceSpec = field(default_factory=AllianceSpec)
    leadership: LeadershipSpec = field(default_factory=LeadershipSpec)
    shocks: ShockSpec = field(default_factory=ShockSpec)
    constants: tuple[tuple[str, float], ...] = ()
    source: str = field(default="<defaults>", compare=False)

    # -- conversion ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The scenario as a TOML-shaped dict (round-trips through :meth:`from_dict`)."""
        shocks: dict[str, Any] = {"rate": self.shocks.rate, "mix": dict(self.shocks.mix)}
        events = []
        for event in self.shocks.events:
            item: dict[str, Any] = {"kind": event.kind, "at": event.at}
            if event.severity is not None:
                item["severity"] = event.severity
            if event.member is not None:
                item["member"] = event.member
            events.append(item)
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
            if name not in PARAMETER_KEYS:
                raise ScenarioError("parameters", name, "unknown model parameter")
            overrides[PARAMETER_KEYS[name]] = value
        return self.with_overrides(overrides, source="parameters")

    def get(self, dotted: str) -> Any:
        """The value at a dotted key (``"alliance.members"``)."""
        data: Any = self.to_dict()
        for part in dotted.split("."):
            if not isinstance(data, dict) or part not in data:
                if dotted.startswith("constants."):
                    name = dotted.split(".", 1)[1]
                    if name in CONSTANTS_BY_NAME:
                        return CONSTANTS_BY_NAME[name].default
                raise ScenarioError(self.source, dotted, "no such key")
            data = data[part]
        return data

    def constants_dict(self) -> dict[str, float]:
        """The scenario's constant overrides by name."""
        return dict(self.constants)


# ----------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario names and their files."""
    folder = scenarios_dir()
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.toml"))}


def load_file(path: str | os.PathLike[str]) -> ScenarioSpec:
    """Load and validate one scenario file."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, None, "file not found") from None
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
    if parts[0] != "constants" and last not in node:
        raise ScenarioError(source, key, "unknown key")
    node[last] = value


def _number(source: str, key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:  # numpy scalars from sampled designs
            import numpy as np

            if isinstance(value, np.integer | np.floating) and not isinstance(value, np.bool_):
                value = float(value)
            else:
                raise TypeError
        except TypeError:
            raise ScenarioError(
                source, key, f"expected a number, got {type(value).__name__} {value!r}"
            ) from None
    value = float(value)
    if not math.isfinite(value):
        raise ScenarioError(source, key, f"expected a finite number, got {value}")
    if not low <= value <= high:
        raise ScenarioError(source, key, f"{value:g} is out of range [{low:g}, {high:g}]")
    return value


def _integer(source: str, key: str, value: Any, low: int, high: int) -> int:
    number = _number(source, key, value, low, high)
    if number != int(number):
        raise ScenarioError(source, key, f"expected a whole number, got {number:g}")
    return int(number)


_table = partial(expect_table, ScenarioError)
_string = partial(expect_string, ScenarioError)
_check_keys = partial(check_keys, ScenarioError)


def _parse(data: Mapping[str, Any], source: str) -> ScenarioSpec:
    data = _table(source, "(top level)", data)
    _check_keys(
        source,
        "",
        data,
        {"name", "description", "horizon", "alliance", "leadership", "shocks", "constants"},
    )
    default_name = Path(source).stem if source.endswith(".toml") else "custom"
    name = _string(source, "name", data.get("name", default_name))
    description = _string(source, "description", data.get("description", ""))
    horizon = _integer(source, "horizon", data.get("horizon", 180), 1, MAX_HORIZON)

    alliance_in = _table(source, "alliance", data.get("alliance", {}))
    _check_keys(source, "alliance", alliance_in, {f.name for f in fields(AllianceSpec)})
    base = AllianceSpec()
    members = _integer(
        source, "alliance.members", alliance_in.get("members", base.members), 3, MAX_MEMBERS
    )
    factions = _integer(
        source, "alliance.factions", alliance_in.get("factions", base.factions), 1, members
    )
    alliance = AllianceSpec(
        members=members,
        factions=factions,
        value_distance=_number(
            source,
            "alliance.value_distance",
            alliance_in.get("value_distance", base.value_distance),
            0.0,
            1.0,
        ),
        mean_degree=_number(
            source,
            "alliance.mean_degree",
            alliance_in.get("mean_degree", base.mean_degree),
            1.0,
            float(MAX_MEMBERS),
        ),
        cross_faction_share=_number(
            source,
            "alliance.cross_faction_share",
            alliance_in.get("cross_faction_share", base.cross_faction_share),
            0.0,
            1.0,
        ),
    )

    leadership_in = _table(source, "leadership", data.get("leadership", {}))
    _check_keys(source, "leadership", leadership_in, set(LEADERSHIP_KEYS))
    leadership = LeadershipSpec(
        **{
            key: _number(source, f"leadership.{key}", leadership_in.get(key, 0.5), 0.0, 1.0)
            for key in QUALITIES
        },
        concentration=_number(
            source, "leadership.concentration", leadership_in.get("concentration", 0.0), 0.0, 1.0
        ),
    )

    shocks = _parse_shocks(source, _table(source, "shocks", data.get("shocks", {})), members)

    constants_in = _table(source, "constants", data.get("constants", {}))
    constants = []
    for key, value in constants_in.items():
        spec = CONSTANTS_BY_NAME.get(key)
        if spec is None:
            raise ScenarioError(
                source, f"constants.{key}", "unknown constant (see docs/model.md for the list)"
            )
        constants.append((key, _number(source, f"constants.{key}", value, spec.low, spec.high)))
    constants.sort()
    values = dict(constants)
    jump_low = values.get("regime_jump_min", CONSTANTS_BY_NAME["regime_jump_min"].default)
    jump_high = values.get("regime_jump_max", CONSTANTS_BY_NAME["regime_jump_max"].default)
    if jump_low > jump_high:
        raise ScenarioError(source, "constants.regime_jump_min", "must not exceed regime_jump_max")

    return ScenarioSpec(
        name=name,
        description=description,
        horizon=horizon,
        alliance=alliance,
        leadership=leadership,
        shocks=shocks,
        constants=tuple(constants),
        source=source,
    )


def _parse_shocks(source: str, table: Mapping[str, Any], members: int) -> ShockSpec:
    _check_keys(source, "shocks", table, {"rate", "mix", "events"})
    rate = _number(source, "shocks.rate", table.get("rate", ShockSpec.rate), 0.0, 10.0)
    mix_in = _table(source, "shocks.mix", table.get("mix", dict(DEFAULT_MIX)))
    _check_keys(source, "shocks.mix", mix_in, set(SHOCK_KINDS))
    mix = tuple(
        (kind, _number(source, f"shocks.mix.{kind}", mix_in[kind], 0.0, 1e6))
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
    events = []
    for index, item in enumerate(events_in):
        key = f"shocks.events[{index}]"
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
        at = _integer(source, f"{key}.at", item["at"], 1, MAX_HORIZON)
        severity = item.get("severity")
        if severity is not None:
            severity = _number(source, f"{key}.severity", severity, 0.0, 1.0)
        member = item.get("member")
        if member is not None:
            if kind != "local":
                raise ScenarioError(source, f"{key}.member", "only local events name a member")
            member = _integer(source, f"{key}.member", member, 0, members - 1)
        events.append(ShockEvent(kind=kind, at=at, severity=severity, member=member))
    return ShockSpec(rate=rate, mix=mix, events=tuple(events))
