"""The demo's Solara components: the panels that :func:`sim.app.Page` lays out.

Redraws follow Mesa's ``update_counter``; :func:`PlayLoop` runs the model in a background
task the way SolaraViz's controller does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import reacton.ipywidgets as rw
import solara
import solara.lab
from mesa.visualization.utils import update_counter

from sim.app.figures import Drawing, NetworkDrawing, PerformanceDrawing, TrendsDrawing
from sim.app.lessons import lesson_for
from sim.app.state import (
    DemoState,
    _active_members,
    _horizon,
    _month,
    _summary,
    member_label,
    scenario_description,
    scenario_names,
)
from sim.app.theme import (
    ALLIANCE_STYLE,
    COLOUR_BY,
    CRISIS_KINDS,
    MODEL_PICKS,
    OUTCOME_TEXT,
    PHASE_STYLE,
    PLAY_INTERVAL,
    QUALITY_TEXT,
    SLIDER_STEP,
)
from sim.names import LEADERSHIP_KEYS, OUTCOME_LABELS, QUALITIES


@solara.component
def FigureView(
    make: Callable[[], Drawing],
    build: list[Any],
    changes: list[Any],
    css_class: str,
    data: dict[str, Any] | None = None,
):
    """A :class:`Drawing` as a PNG that scales to its column.

    The drawing is built once per value of ``build`` (its fixed parts drawn once); each
    new value of ``changes`` draws its changing parts again, from ``data``.
    """
    drawing = solara.use_memo(make, build)
    image = solara.use_memo(lambda: drawing.png(**(data or {})), [drawing, *changes])
    with solara.Div(classes=["alliance-figure", css_class]):
        rw.Image(value=image, format="png")


@solara.component
def QualitySlider(key: str, value: solara.Reactive[float], disabled: bool = False):
    """One leadership slider with its plain-word label and one-line explanation."""
    label, help_text = QUALITY_TEXT[key]
    with solara.Column(gap="0px", classes=["alliance-quality", f"alliance-slider-{key}"]):
        with solara.Row(style={"align-items": "baseline", "justify-content": "space-between"}):
            solara.Text(label, classes=["alliance-quality-label"])
            solara.Text(f"{value.value:.2f}", classes=["alliance-slider-value"])
        solara.SliderFloat(
            "",
            value=value,
            min=0.0,
            max=1.0,
            step=SLIDER_STEP,
            thumb_label=True,
            disabled=disabled,
        ).meta(ref=f"quality-{key}")
        solara.Text(help_text, classes=["alliance-help"])


@solara.component
def ControlsPanel(state: DemoState):
    """Scenario, seed, compare mode and the leadership sliders."""
    names = scenario_names()
    with solara.Column(gap="10px"):
        solara.Text("Scenario", classes=["alliance-card-title"])
        solara.Select(
            "Scenario",
            values=names,
            value=state.scenario.value,
            on_value=state.choose_scenario,
            classes=["alliance-scenario"],
        ).meta(ref="scenario")
        solara.Text(scenario_description(state.scenario.value), classes=["alliance-help"])
        with solara.Row(style={"align-items": "center"}):
            solara.InputInt("Seed", value=state.seed, classes=["alliance-seed"]).meta(ref="seed")
            solara.Button(
                "Reset", on_click=state.reset, color="primary", classes=["reset-btn"]
            ).meta(ref="reset-side")
        solara.Switch(
            label="Compare two leadership profiles",
            value=state.compare.value,
            on_value=state.set_compare,
        ).meta(ref="compare")
        solara.Text("Leadership", classes=["alliance-card-title"])
        if state.compare.value:
            solara.ToggleButtonsSingle(value=state.editing, values=["A", "B"]).meta(ref="editing")
            style = ALLIANCE_STYLE[0 if state.editing.value == "A" else 1]
            solara.Text(
                f"Sliders of alliance {style[0]} ({'solid' if style[2] == '-' else 'dashed'} "
                "lines in the charts)",
                classes=["alliance-note"],
            )
        profile = state.profiles[state.editing.value]
        with solara.Row():
            for level in (0.2, 0.5, 0.8):
                solara.Button(
                    f"All {level:.1f}",
                    on_click=lambda level=level: state.set_profile(
                        state.editing.value, {quality: float(level) for quality in QUALITIES}
                    ),
                    outlined=True,
                )
        for key in LEADERSHIP_KEYS:
            QualitySlider(key, profile[key])
        if state.pending_changes():
            solara.Text("Changed: press Reset to apply.", classes=["alliance-note"])


@solara.component
def PlayLoop(state: DemoState):
    """Steps the alliance(s) while Play is on, in a background task."""

    def loop() -> None:
        while state.playing.value:
            started = time.perf_counter()
            if not state.step(state.speed.value):
                state.playing.set(False)
                break
            time.sleep(max(0.0, PLAY_INTERVAL - (time.perf_counter() - started)))

    solara.lab.use_task(loop, dependencies=[state.playing.value], prefer_threaded=True)


@solara.component
def RunBar(state: DemoState):
    """Step, Play/Pause, Reset, the month counter, the phase, and the outcome."""
    update_counter.get()
    models = state.models.value
    running = any(m.running for m in models)
    playing = state.playing.value
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}, gap="14px"):
        solara.Button(
            "Step",
            on_click=lambda: state.step(),
            color="primary",
            disabled=playing or not running,
            classes=["step-btn"],
        ).meta(ref="step")
        solara.Button(
            "Pause" if playing else "Play",
            icon_name="mdi-pause" if playing else "mdi-play",
            on_click=lambda: state.playing.set(not state.playing.value),
            color="primary",
            disabled=not running,
            classes=["play-btn"],
        ).meta(ref="play")
        solara.Button("Reset", on_click=state.reset, outlined=True, classes=["reset-btn"]).meta(
            ref="reset"
        )
        with solara.Row(style={"align-items": "center"}, gap="4px"):
            solara.Text("Months per frame:", classes=["alliance-label"])
            solara.ToggleButtonsSingle(value=state.speed, values=[1, 3, 6]).meta(ref="speed")
        if models:
            month, horizon = _month(models[0]), _horizon(models[0])
            solara.Text(f"Month {month} of {horizon}", classes=["alliance-month"])
        for i, model in enumerate(models):
            phase = model.phase_name
            colour, _, symbol = PHASE_STYLE.get(phase, ("#FFFFFF", "", "?"))
            prefix = f"{ALLIANCE_STYLE[i][0]}: " if len(models) > 1 else "Phase: "
            solara.Text(
                f"{prefix}{symbol} {phase}",
                classes=["alliance-phase"],
                style={"background": colour, "color": "#000"},
            )
    for i, model in enumerate(models):
        if model.running:
            continue
        summary = _summary(model)
        outcome = str(summary.get("outcome", "ended"))
        shown = OUTCOME_LABELS.get(outcome, outcome).upper()
        prefix = f"Alliance {ALLIANCE_STYLE[i][0]}: " if len(models) > 1 else ""
        solara.Text(
            f"{prefix}run ended at month {_month(model)}. Outcome: {shown} "
            f"({OUTCOME_TEXT.get(outcome, 'see the charts')})",
            classes=["alliance-outcome"],
        )


@solara.component
def CrisisBar(state: DemoState):
    """Buttons that fire a crisis now, with the member a local crisis hits and a severity."""
    update_counter.get()
    models = state.models.value
    running = any(m.running for m in models)
    members = [m.index for m in _active_members(models[0])] if models else []
    choices = {member_label(index): index for index in members}
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}, gap="10px"):
        solara.Text("Fire a crisis now:", classes=["alliance-card-title"])
        for kind, (label, _, _) in CRISIS_KINDS.items():
            solara.Button(
                label,
                on_click=lambda kind=kind: state.trigger(kind),
                disabled=not running,
                color="warning",
                classes=[f"crisis-{kind}"],
            ).meta(ref=f"crisis-{kind}")
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}, gap="18px"):
        with solara.Div(style={"min-width": "340px"}):
            solara.Select(
                "Local crisis hits member",
                values=[MODEL_PICKS, *choices],
                value=MODEL_PICKS
                if state.member.value is None
                else member_label(state.member.value),
                on_value=lambda text: state.member.set(choices.get(text)),
            ).meta(ref="member")
        with solara.Div(style={"min-width": "320px"}):
            solara.SliderFloat(
                "Severity of fired crises",
                value=state.severity,
                min=0.1,
                max=1.0,
                step=0.05,
            ).meta(ref="severity")
        solara.Text(f"{state.severity.value:.2f}", classes=["alliance-slider-value"])
    solara.Text(
        "A fired crisis arrives in the next month; while paused, the alliance moves on that "
        "month at once. Severity 0.1 is mild, 1 is as bad as it gets.",
        classes=["alliance-help"],
    )
    if state.message.value:
        solara.Text(state.message.value, classes=["alliance-error"])


@solara.component
def NetworkPanel(state: DemoState):
    """The network view(s) and the colour selector."""
    counter = update_counter.get()
    models = state.models.value
    colour_by = state.colour_by.value
    with solara.Row(style={"align-items": "center"}):
        solara.Text("Colour members by:", classes=["alliance-card-title"])
        solara.ToggleButtonsSingle(value=state.colour_by, values=list(COLOUR_BY)).meta(
            ref="colour-by"
        )
    with solara.Columns([1] * max(1, len(models))):
        for i, model in enumerate(models):
            title = f"Alliance {ALLIANCE_STYLE[i][0]}" if len(models) > 1 else "The alliance"
            FigureView(
                lambda model=model, title=title: NetworkDrawing(model, colour_by, title),
                [id(model), colour_by, title],
                [counter],
                f"alliance-network alliance-network-{i}",
            )


def _labels(state: DemoState) -> list[str]:
    models = state.models.value
    if len(models) == 1:
        return ["alliance"]
    labels = []
    for i, _ in enumerate(models):
        name = ALLIANCE_STYLE[i][0]
        values = state.built.value[i] if i < len(state.built.value) else {}
        mean = np.mean([values.get(q, np.nan) for q in QUALITIES]) if values else np.nan
        labels.append(f"{name}: qualities ~{mean:.1f}")
    return labels


@solara.component
def ChartsPanel(state: DemoState, part: str):
    """The performance chart (``part="performance"``) or the four trend charts."""
    counter = update_counter.get()
    models = state.models.value
    crises = state.crises.value
    labels = _labels(state)
    if not models:
        return
    if part == "performance":
        FigureView(
            lambda: PerformanceDrawing(models, labels),
            [tuple(map(id, models)), tuple(labels)],
            [counter, crises],
            "alliance-performance",
            {"crises": crises},
        )
    else:
        FigureView(
            lambda: TrendsDrawing(models, labels),
            [tuple(map(id, models)), tuple(labels)],
            [counter],
            "alliance-trends",
        )


@solara.component
def LessonPanel(state: DemoState):
    """The guided lesson of the chosen scenario."""
    lesson = lesson_for(state.scenario.value)
    items_try = "".join(f"<li>{_escape(t)}</li>" for t in lesson.try_this)
    items_watch = "".join(f"<li>{_escape(t)}</li>" for t in lesson.watch_for)
    html = (
        f"<h3>Lesson: {_escape(lesson.title)}</h3>"
        f"<p>{_escape(lesson.goal)}</p>"
        f"<p><b>Try this</b></p><ol>{items_try}</ol>"
        f"<p><b>Watch for</b></p><ul>{items_watch}</ul>"
    )
    solara.HTML(tag="div", unsafe_innerHTML=html, classes=["alliance-lesson"])


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
