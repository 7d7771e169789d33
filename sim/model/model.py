"""The Mesa face of the model: ``AllianceModel`` and its ``AllianceScenario``.

The model holds the kernel state and calls the compiled step once per month;
members are Mesa agents on a Mesa ``Network``; a ``DataCollector`` records the
alliance each month. For the same parameters and int seed it gives the same
summary and series as :func:`sim.model.simulation.simulate`, bit for bit.

As in Mesa 3.5's examples, the parameters and the seed can come as one Mesa
``Scenario``: ``AllianceModel(scenario=AllianceScenario(rng=42, relationships=0.9))``
equals ``AllianceModel(rng=42, relationships=0.9)``.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any

import mesa
import networkx as nx
import numpy as np
from mesa.datacollection import DataCollector
from mesa.discrete_space import Network
from mesa.experimental.scenarios import Scenario

from sim import kernel
from sim.errors import show_number
from sim.kernel import layout as L
from sim.model.agents import Member
from sim.model.prepare import prepare, resolve_seed, resolve_spec, series_dict
from sim.model.summary import summarize
from sim.names import INTEGER_SERIES, PHASES, SERIES, SHOCK_KINDS
from sim.parameters import BY_KEY, KEYWORDS, SCENARIO_PARAMETERS, constant_index
from sim.scenario import ScenarioError, ScenarioSpec

SEVERITY_A = constant_index("severity_beta_a")
SEVERITY_B = constant_index("severity_beta_b")


def report_series(row: int, model: AllianceModel) -> float:
    """This month's value of the kernel's series ``row``."""
    return model._recorded[row]


def report_count(row: int, model: AllianceModel) -> int:
    """This month's value of a counting series (members, shocks) as an int."""
    return int(model._recorded[row])


def report_phase(row: int, model: AllianceModel) -> str:
    """This month's phase by name."""
    return PHASES[int(model._recorded[row])]


def _reporter(name: str) -> partial[Any]:
    row = SERIES.index(name)
    if name == "phase":
        return partial(report_phase, row)
    return partial(report_count if name in INTEGER_SERIES else report_series, row)


MODEL_REPORTERS: dict[str, partial[Any]] = {name: _reporter(name) for name in SERIES}
"""One DataCollector column per series the kernel records, in the kernel's order."""


def _keyword_docs() -> str:
    """The ``Args`` section of :class:`AllianceModel`, from the parameter table."""
    lines = []
    for parameter in SCENARIO_PARAMETERS:
        bounds = f"[{show_number(parameter.low)}, {show_number(parameter.high)}]"
        kind = "whole number" if parameter.integer else "number"
        lines.append(
            f"        {parameter.keyword}: {parameter.doc} A {kind} in {bounds} "
            f"(``{parameter.key}``; baseline {show_number(parameter.default)})."
        )
    lines += [
        "        preset: a shipped scenario name, a scenario file path, or a ScenarioSpec.",
        "        rng: the int seed (or a string of digits); drawn when None.",
        "        scenario: an AllianceScenario holding the parameters and the seed",
        "            instead of the keywords (Mesa 3.5's convention).",
    ]
    return "\n".join(lines)


def _default(keyword: str) -> Any:
    """The table's default of a model keyword (an int for whole-number parameters)."""
    parameter = BY_KEY[KEYWORDS[keyword]]
    return int(parameter.default) if parameter.integer else parameter.default


def keyword_values(spec: ScenarioSpec) -> dict[str, Any]:
    """The value of every model keyword in a scenario."""
    data = spec.to_dict()
    values = {}
    for keyword, key in KEYWORDS.items():
        value: Any = data
        for part in key.split("."):
            value = value[part]
        values[keyword] = value
    return values


class AllianceScenario(Scenario):
    """The alliance model's parameters and seed as a Mesa ``Scenario``.

    Every model keyword is a field (its class default is the parameter table's);
    ``preset`` (a shipped scenario name, a scenario file path or a ScenarioSpec) is
    the starting point: a field not given takes the preset's value. Values are
    checked when the scenario is made. ``rng`` is the run's int seed.

    ``AllianceModel(scenario=AllianceScenario(rng=42, relationships=0.9))`` equals
    ``AllianceModel(rng=42, relationships=0.9)`` bit for bit.
    """

    preset: str | os.PathLike[str] | ScenarioSpec = "baseline"
    sense_making: float = _default("sense_making")
    questioning_patterns: float = _default("questioning_patterns")
    global_view: float = _default("global_view")
    analytical_view: float = _default("analytical_view")
    relationships: float = _default("relationships")
    resilience_building: float = _default("resilience_building")
    change_awareness: float = _default("change_awareness")
    paradox_navigation: float = _default("paradox_navigation")
    reflection: float = _default("reflection")
    concentration: float = _default("concentration")
    members: int = _default("members")
    factions: int = _default("factions")
    value_distance: float = _default("value_distance")
    mean_degree: float = _default("mean_degree")
    cross_faction_share: float = _default("cross_faction_share")
    shock_rate: float = _default("shock_rate")
    horizon: int = _default("horizon")

    def __init__(
        self,
        *,
        rng: int | str | None = None,
        preset: str | os.PathLike[str] | ScenarioSpec = "baseline",
        **params: Any,
    ) -> None:
        internal = {key: params.pop(key) for key in list(params) if key.startswith("_")}
        values = keyword_values(resolve_spec(preset, **params))
        super().__init__(rng=rng, preset=preset, **values, **internal)

    def spec(self) -> ScenarioSpec:
        """The scenario the fields make: the preset with the fields that differ from it."""
        base = resolve_spec(self.preset)
        preset_values = keyword_values(base)
        changed = {k: v for k, v in vars(self).items() if k in KEYWORDS and v != preset_values[k]}
        return resolve_spec(base, **changed)


def _scenario_of(
    scenario: AllianceScenario | None,
    preset: str | os.PathLike[str] | ScenarioSpec | None,
    rng: int | str | None,
    given: dict[str, Any],
) -> AllianceScenario:
    """The model's scenario: the one given (its seed resolved), or one from the keywords."""
    if scenario is None:
        return AllianceScenario(rng=resolve_seed(rng), preset=preset or "baseline", **given)
    if given or preset != "baseline":
        raise ScenarioError(
            "scenario", None, "give the parameters as keywords or in scenario=, not both"
        )
    seed = resolve_seed(scenario.rng)
    if rng is not None and resolve_seed(rng) != seed:
        raise ScenarioError("rng", None, "rng and scenario.rng must be the same")
    if scenario.rng != seed or type(scenario.rng) is not int:
        scenario.rng = seed
    return scenario


class AllianceModel(mesa.Model):
    """A values-driven alliance of organisations living through crises.

        Every keyword has a default: ``None`` takes the value from ``preset`` (the
        shipped ``baseline`` unless given), so ``AllianceModel()`` builds the
        baseline alliance. One step is one month.

        Args:
    {keywords}
    """

    def __init__(
        self,
        *,
        sense_making: float | None = None,
        questioning_patterns: float | None = None,
        global_view: float | None = None,
        analytical_view: float | None = None,
        relationships: float | None = None,
        resilience_building: float | None = None,
        change_awareness: float | None = None,
        paradox_navigation: float | None = None,
        reflection: float | None = None,
        concentration: float | None = None,
        members: int | None = None,
        factions: int | None = None,
        value_distance: float | None = None,
        mean_degree: float | None = None,
        cross_faction_share: float | None = None,
        shock_rate: float | None = None,
        horizon: int | None = None,
        preset: str | os.PathLike[str] | ScenarioSpec | None = "baseline",
        rng: int | str | None = None,
        scenario: AllianceScenario | None = None,
    ) -> None:
        # every keyword but preset, rng and scenario is a model keyword of the table
        given = {k: v for k, v in locals().items() if k in KEYWORDS and v is not None}
        scenario = _scenario_of(scenario, preset, rng, given)
        seed = int(scenario.rng)
        spec = scenario.spec()
        super().__init__(rng=seed, scenario=scenario)
        self.seed = seed
        self.preset = spec
        run = prepare(spec, seed, generator=self.rng)
        self.kernel_state = run.state
        self._qualities = run.qualities
        self._consts = run.consts
        self.network = Network(self._founding_graph(), layout=None, random=self.random)
        self.founding_members: list[Member] = [
            Member(self, index) for index in range(spec.alliance.members)
        ]
        self.member_ids: list[int] = [int(m.unique_id) for m in self.founding_members]
        state = self.kernel_state
        self._present = state.active.astype(bool)
        self._live = state.live.copy()  # the ties the network mirrors
        self._active = int(state.counters[L.ACTIVE])
        self._recorded = self._recorded_row()
        self.datacollector = DataCollector(model_reporters=dict(MODEL_REPORTERS))
        self.datacollector.collect(self)
        self.running = True

    def _founding_graph(self) -> nx.Graph:
        """The founding ties as a networkx graph on the member indices."""
        state = self.kernel_state
        graph = nx.Graph()
        graph.add_nodes_from(range(state.active.size))
        founding = (state.live == 1) & (state.src < state.dst)
        graph.add_edges_from(
            zip(state.src[founding].tolist(), state.dst[founding].tolist(), strict=True)
        )
        return graph

    # -- time ----------------------------------------------------------------------------
    @property
    def month(self) -> int:
        """Months simulated so far (stops at termination or the horizon)."""
        return int(self.kernel_state.counters[L.STEP])

    @property
    def horizon(self) -> int:
        """Months this alliance is simulated for."""
        return int(self.kernel_state.counters[L.HORIZON])

    @property
    def terminated(self) -> bool:
        """Whether the alliance has ended before its horizon."""
        return bool(self.kernel_state.counters[L.TERMINATED])

    @property
    def phase_name(self) -> str:
        """The current phase: normal, crisis, stabilising or transforming."""
        return PHASES[int(self.kernel_state.counters[L.PHASE])]

    @property
    def performance(self) -> float:
        """This month's alliance performance Q."""
        return float(self.kernel_state.alliance[L.PERFORMANCE])

    @property
    def lead_member(self) -> Member | None:
        """The lead member (the most central at founding; after a leader exit, its successor)."""
        lead = int(self.kernel_state.counters[L.LEAD])
        if lead < 0 or not self.kernel_state.active[lead]:
            return None
        return self.founding_members[lead]

    @property
    def active_members(self) -> list[Member]:
        """Members still in the alliance."""
        return [m for m in self.founding_members if m.active]

    def step(self) -> None:
        """Advance one month; does nothing once the alliance ended or reached its horizon."""
        if not self.running:
            return
        kernel.step(self.kernel_state, self._qualities, self._consts, self.rng)
        self._sync_mesa()
        self._recorded = self._recorded_row()
        self.datacollector.collect(self)

    def _recorded_row(self) -> list[float]:
        """This month's row of the kernel's series as Python floats (what the reporters read)."""
        state = self.kernel_state
        return state.series[:, state.counters[L.STEP]].tolist()

    def _sync_mesa(self) -> None:
        """Mirror exits, closed and ended ties from the kernel into Mesa's agents and network."""
        state = self.kernel_state
        counters = state.counters.tolist()
        if counters[L.ACTIVE] != self._active:
            self._active = counters[L.ACTIVE]
            gone = np.flatnonzero(self._present & (state.active == 0))
            for index in gone.tolist():
                member = self.founding_members[index]
                cell = member.cell
                if cell is not None:
                    for other in list(cell.connections.values()):
                        self.network.remove_connection(cell, other)
                member.remove()
                self._present[index] = False
        self._mirror_ties()
        self.running = not (counters[L.TERMINATED] or counters[L.STEP] >= counters[L.HORIZON])

    def _mirror_ties(self) -> None:
        """Add the ties the kernel closed and remove those it ended since the last month."""
        state = self.kernel_state
        changed = np.flatnonzero((state.live != self._live) & (state.src < state.dst))
        graph = self.network.G
        for edge in changed.tolist():
            a, b = int(state.src[edge]), int(state.dst[edge])
            if state.live[edge] and not graph.has_edge(a, b):
                self.network.add_connection(self.network[a], self.network[b])
            elif not state.live[edge] and graph.has_edge(a, b):
                self.network.remove_connection(self.network[a], self.network[b])
        self._live = state.live.copy()

    # -- teaching ------------------------------------------------------------------------
    def trigger_shock(
        self, kind: str, member: int | None = None, severity: float | None = None
    ) -> None:
        """Schedule a crisis for the next month (teaching: "a crisis now").

        Args:
            kind: one of :data:`sim.names.SHOCK_KINDS`.
            member: for local crises, the member's index (drawn when None).
            severity: in [0, 1]; drawn from Beta(severity_beta_a, severity_beta_b)
                (the scenario's constants) when None.
        """
        if kind not in SHOCK_KINDS:
            raise ScenarioError("trigger_shock", "kind", f"unknown kind '{kind}'")
        if severity is not None and not 0.0 <= severity <= 1.0:
            raise ScenarioError("trigger_shock", "severity", f"{severity} is out of range [0, 1]")
        if member is not None and not 0 <= member < len(self.founding_members):
            raise ScenarioError("trigger_shock", "member", f"no member {member}")
        state = self.kernel_state
        if severity is None:
            a, b = self._consts[SEVERITY_A], self._consts[SEVERITY_B]
            severity = float(self.rng.beta(a, b))
        row = np.zeros((1, L.N_SHOCK))
        row[0, L.SH_AT] = self.month + 1
        row[0, L.SH_KIND] = SHOCK_KINDS.index(kind)
        row[0, L.SH_SEVERITY] = severity
        row[0, L.SH_MEMBER] = -1 if member is None else member
        row[0, [L.SH_PICK, L.SH_SIGN, L.SH_JUMP]] = self.rng.random(3)
        cursor = int(state.counters[L.SHOCK_CURSOR])
        schedule = np.concatenate((state.shocks[:cursor], row, state.shocks[cursor:]))
        self.kernel_state = state._replace(shocks=schedule)

    # -- results -------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: survival, outcome, lifetime, members, metrics, crises.

        During a run it describes the run so far.
        """
        return summarize(self.kernel_state, self._consts, self.seed)

    def series(self, every: int = 1) -> dict[str, np.ndarray]:
        """The recorded series (column -> array) every ``every`` months, as ``simulate`` gives."""
        return series_dict(self.kernel_state, every)

    def trust_matrix(self) -> np.ndarray:
        """Trust between founding members as a dense N x N array (NaN where no tie)."""
        state = self.kernel_state
        n = len(self.founding_members)
        matrix = np.full((n, n), np.nan)
        live = state.live == 1
        matrix[state.src[live], state.dst[live]] = state.trust[live]
        return matrix


AllianceModel.__doc__ = (AllianceModel.__doc__ or "").replace("{keywords}", _keyword_docs())
