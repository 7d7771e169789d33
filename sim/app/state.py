"""The demo's session state and how the page reads a running model.

:class:`DemoState` holds one browser session as Solara reactive variables and carries the
page's actions (reset, step, fire a crisis, pick a scenario, compare mode); the scenario
helpers read the shipped presets; the roster and accessors read an
:class:`sim.model.AllianceModel` for the figures and components.
"""

from __future__ import annotations

import threading
import weakref
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import solara
from mesa.visualization.utils import force_update

from sim.app.theme import ALLIANCE_STYLE, DEFAULT_SEED, SEVERITY_DEFAULT
from sim.names import LEADERSHIP_KEYS, PHASES, QUALITIES
from sim.scenario import ScenarioError, load_preset, shipped_scenarios


def _model_class() -> type:
    from sim.model.model import AllianceModel

    return AllianceModel


def scenario_names() -> list[str]:
    """Shipped scenario names, ``baseline`` first."""
    names = list(shipped_scenarios())
    if "baseline" in names:
        names.remove("baseline")
        names.insert(0, "baseline")
    return names or ["baseline"]


def scenario_leadership(name: str) -> dict[str, float]:
    """The leadership values (nine qualities and concentration) a scenario starts with."""
    try:
        spec = load_preset(name)
    except ScenarioError:
        return {key: (0.0 if key == "concentration" else 0.5) for key in LEADERSHIP_KEYS}
    return {key: float(getattr(spec.leadership, key)) for key in LEADERSHIP_KEYS}


def scenario_description(name: str) -> str:
    """One scenario's description (or the error that stops it from loading)."""
    try:
        spec = load_preset(name)
    except ScenarioError as err:
        return f"Cannot load this scenario: {err}"
    return " ".join(spec.description.split())


@dataclass(frozen=True)
class Crisis:
    """A crisis fired from the page: month, kind, member (local crises) and severity."""

    month: int
    kind: str
    member: Any = None
    severity: float | None = None


@dataclass
class DemoState:
    """Everything one browser session of the demo holds, as Solara reactive variables.

    Attributes:
        scenario: the chosen scenario name.
        seed: the integer seed both alliances are built with.
        compare: whether two alliances run side by side.
        editing: which profile ("A" or "B") the sliders show.
        profiles: per profile, one reactive per leadership key.
        models: the running alliance(s): one, or two in compare mode.
        built: the keyword parameters each running model was built with.
        crises: per model, the crises fired from the page.
        playing: whether Play is on.
        speed: months each Play tick advances before the page redraws.
        colour_by: what the network's fill colour shows ("capacity" or "awareness").
        member: the member a local crisis hits (None: the model picks).
        severity: severity of crises fired from the page.
        message: the last error or notice to show.
        render_context: the page's render context (set by the page): changes made inside
            it redraw the page once, not once per component that reads them.
    """

    scenario: solara.Reactive[str]
    seed: solara.Reactive[int]
    compare: solara.Reactive[bool]
    editing: solara.Reactive[str]
    profiles: dict[str, dict[str, solara.Reactive[float]]]
    models: solara.Reactive[tuple[Any, ...]]
    built: solara.Reactive[tuple[dict[str, Any], ...]]
    crises: solara.Reactive[tuple[tuple[Crisis, ...], ...]]
    playing: solara.Reactive[bool]
    speed: solara.Reactive[int]
    colour_by: solara.Reactive[str]
    member: solara.Reactive[Any]
    severity: solara.Reactive[float]
    message: solara.Reactive[str]
    lock: threading.RLock = field(default_factory=threading.RLock)
    render_context: AbstractContextManager[Any] | None = None

    def batch(self) -> AbstractContextManager[Any]:
        """A context in which every change redraws the page once, when it ends."""
        return self.render_context if self.render_context is not None else nullcontext()

    # -- parameters ----------------------------------------------------------------------
    def profile_values(self, name: str) -> dict[str, float]:
        """The slider values of profile ``name`` ("A" or "B")."""
        return {key: float(var.value) for key, var in self.profiles[name].items()}

    def set_profile(self, name: str, values: dict[str, float]) -> None:
        """Move profile ``name``'s sliders to ``values`` (missing keys stay)."""
        for key, value in values.items():
            if key in self.profiles[name]:
                self.profiles[name][key].set(float(value))

    def model_kwargs(self, name: str) -> dict[str, Any]:
        """The keyword parameters Reset builds alliance ``name`` with."""
        return {
            "preset": self.scenario.value,
            "rng": int(self.seed.value),
            **self.profile_values(name),
        }

    def pending_changes(self) -> bool:
        """Whether the controls differ from what the running models were built with."""
        names = ("A", "B") if self.compare.value else ("A",)
        wanted = tuple(self.model_kwargs(name) for name in names)
        return wanted != tuple(self.built.value)

    # -- actions -------------------------------------------------------------------------
    def reset(self) -> None:
        """Rebuild the alliance(s) from the chosen scenario, seed and slider values."""
        with self.batch():
            self._rebuild()

    def _rebuild(self) -> None:
        self.playing.set(False)
        with self.lock:
            names = ("A", "B") if self.compare.value else ("A",)
            kwargs = tuple(self.model_kwargs(name) for name in names)
            try:
                model_class = _model_class()
                models = tuple(model_class(**kw) for kw in kwargs)
            except (ScenarioError, ValueError) as err:
                self.message.set(f"Cannot build the alliance: {err}")
                return
            for model in models:
                _register(model)
            self.models.set(models)
            self.built.set(kwargs)
            self.crises.set(tuple(() for _ in models))
            self.member.set(None)
            self.message.set("")
        force_update()

    def step(self, months: int = 1) -> bool:
        """Advance every running alliance by ``months``; returns whether any still runs."""
        with self.batch():
            with self.lock:
                any_running = False
                for model in self.models.value:
                    for _ in range(months):
                        if model.running:
                            model.step()
                    any_running = any_running or bool(model.running)
            force_update()
        return any_running

    def trigger(self, kind: str) -> None:
        """Fire a crisis of ``kind`` in every alliance (the same one in each).

        The model lets a fired crisis arrive in the next month. When Play is off, the
        alliances move on that month at once, so the class sees the crisis hit.
        """
        with self.batch():
            self._fire(kind)

    def _fire(self, kind: str) -> None:
        member = self.member.value if kind == "local" else None
        severity = float(self.severity.value)
        problems = []
        with self.lock:
            crises = list(self.crises.value)
            for i, model in enumerate(self.models.value):
                if not model.running:
                    continue
                arrival = _month(model) + 1
                try:
                    model.trigger_shock(kind, member=member, severity=severity)
                except ValueError as err:
                    problems.append(f"alliance {ALLIANCE_STYLE[i][0]}: {err}")
                    continue
                crises[i] = (*crises[i], Crisis(arrival, kind, member, severity))
            self.crises.set(tuple(crises))
        self.message.set("; ".join(problems))
        if not self.playing.value:
            self.step()
        else:
            force_update()

    def choose_scenario(self, name: str) -> None:
        """Pick a scenario: its leadership values move to the sliders and it starts afresh.

        Profile A takes all of the scenario's leadership values; in compare mode profile B
        keeps its nine qualities and takes only the scenario's concentration.
        """
        self.scenario.set(name)
        values = scenario_leadership(name)
        self.set_profile("A", values)
        self.set_profile("B", {"concentration": values["concentration"]})
        self.reset()

    def set_compare(self, on: bool) -> None:
        """Turn compare mode on or off, and restart.

        When it is turned on with identical profiles, A gets all nine qualities at 0.2
        and B at 0.8, the classic contrast; the sliders show it and stay editable.
        """
        self.compare.set(on)
        if on and self.profile_values("A") == self.profile_values("B"):
            self.set_profile("A", dict.fromkeys(QUALITIES, 0.2))
            self.set_profile("B", dict.fromkeys(QUALITIES, 0.8))
        if not on:
            self.editing.set("A")
        self.reset()


def new_state(scenario: str = "baseline", seed: int = DEFAULT_SEED) -> DemoState:
    """A fresh demo state with one alliance built from ``scenario`` and ``seed``."""
    names = scenario_names()
    if scenario not in names:
        scenario = names[0]
    values = scenario_leadership(scenario)
    state = DemoState(
        scenario=solara.reactive(scenario),
        seed=solara.reactive(int(seed)),
        compare=solara.reactive(False),
        editing=solara.reactive("A"),
        profiles={
            name: {key: solara.reactive(values[key]) for key in LEADERSHIP_KEYS}
            for name in ("A", "B")
        },
        models=solara.reactive(()),
        built=solara.reactive(()),
        crises=solara.reactive(()),
        playing=solara.reactive(False),
        speed=solara.reactive(1),
        colour_by=solara.reactive("capacity"),
        member=solara.reactive(None),
        severity=solara.reactive(SEVERITY_DEFAULT),
        message=solara.reactive(""),
    )
    state.reset()
    return state


# ----------------------------------------------------------------------------------------
# Reading the model
# ----------------------------------------------------------------------------------------


@dataclass
class _Roster:
    """A model's founding members' factions and a fixed drawing layout, by member index."""

    factions: dict[int, int]
    positions: dict[int, tuple[float, float]]


_ROSTERS: weakref.WeakKeyDictionary[Any, _Roster] = weakref.WeakKeyDictionary()


def _register(model: Any) -> _Roster:
    """Place a model's founding members on a circle, faction by faction, once.

    Founding alliances are densely tied, so a circle shows every tie; each faction gets its
    own arc with a gap between arcs, and ties across the gaps are the cross-faction ties.
    """
    roster = _ROSTERS.get(model)
    if roster is not None:
        return roster
    factions = {m.index: m.faction for m in model.founding_members}
    order = sorted(factions, key=lambda index: (factions[index], index))
    slots, previous = [], None
    for index in order:
        if previous is not None and factions[index] != previous:
            slots.append(None)
        slots.append(index)
        previous = factions[index]
    slots.append(None)
    positions = {}
    for slot, index in enumerate(slots):
        if index is not None:
            angle = np.pi / 2 - 2 * np.pi * slot / len(slots)
            positions[index] = (float(np.cos(angle)), float(np.sin(angle)))
    roster = _Roster(factions, positions)
    _ROSTERS[model] = roster
    return roster


def member_label(index: int) -> str:
    """How the page names the member with array index ``index`` ("M1" for index 0)."""
    return f"M{index + 1}"


def _active_members(model: Any) -> list[Any]:
    return [m for m in model.founding_members if m.active]


def _month(model: Any) -> int:
    return int(model.month)


def _horizon(model: Any) -> int:
    return int(model.horizon)


def _series(model: Any, name: str) -> np.ndarray:
    values = model.datacollector.model_vars.get(name, [])
    if name == "phase":
        return np.asarray([PHASES.index(v) if v in PHASES else np.nan for v in values], float)
    return np.asarray([np.nan if v is None else float(v) for v in values], dtype=float)


def _summary(model: Any) -> dict[str, Any]:
    return dict(model.summary())
