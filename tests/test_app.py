"""Component tests of the teaching demo, rendered with ``solara.render`` (no browser)."""

from __future__ import annotations

import ipyvuetify as v
import numpy as np
import pytest
import solara

from sim import app
from sim.app import figures
from sim.app.lessons import LESSONS, lesson_for
from sim.names import LEADERSHIP_KEYS, QUALITIES
from sim.scenario import shipped_scenarios


@pytest.fixture
def rendered():
    """A demo page on the baseline scenario, seed 1: ``(state, render context)``."""
    state = app.new_state("baseline", seed=1)
    _, rc = solara.render(app.Page(state=state), handle_error=False)
    yield state, rc
    state.playing.set(False)
    rc.close()


def _one(rc, ref: str, cls=None):
    finder = rc.find(cls, meta_ref=ref) if cls is not None else rc.find(meta_ref=ref)
    finder.assert_single()
    return finder.widget


def _click(rc, ref: str) -> None:
    _one(rc, ref, v.Btn).click()


def _capacities(model) -> np.ndarray:
    return np.array([m.capacity if m.active else 0.0 for m in model.founding_members])


def test_every_leadership_key_has_words_and_every_scenario_a_lesson():
    assert set(app.QUALITY_TEXT) == set(LEADERSHIP_KEYS)
    for label, explanation in app.QUALITY_TEXT.values():
        assert label and 20 < len(explanation) < 120
    for name in shipped_scenarios():
        assert name in LESSONS, name
        assert lesson_for(name).try_this and lesson_for(name).watch_for


def test_controls_exist_with_the_right_ranges(rendered):
    state, rc = rendered
    for key in LEADERSHIP_KEYS:
        slider = _one(rc, f"quality-{key}", v.Slider)
        assert (slider.min, slider.max) == (0.0, 1.0)
        assert 0 < slider.step <= 0.1
        assert slider.v_model == pytest.approx(state.profiles["A"][key].value)
    severity = _one(rc, "severity", v.Slider)
    assert 0 < severity.min < severity.max <= 1.0
    scenario = _one(rc, "scenario", v.Select)
    assert list(scenario.items) == app.scenario_names()
    assert set(scenario.items) == set(shipped_scenarios())
    assert scenario.v_model == "baseline"
    assert _one(rc, "seed", v.TextField).v_model in (1, "1")
    for ref in ("step", "play", "reset"):
        _one(rc, ref, v.Btn)
    for kind in app.CRISIS_KINDS:
        button = _one(rc, f"crisis-{kind}", v.Btn)
        assert not button.disabled
    _one(rc, "compare", v.Switch)
    members = _one(rc, "member", v.Select)
    assert len(members.items) == 1 + len(state.models.value[0].founding_members)


def test_step_advances_the_model(rendered):
    state, rc = rendered
    model = state.models.value[0]
    rows = len(model.datacollector.model_vars["performance"])
    _click(rc, "step")
    _click(rc, "step")
    assert state.models.value[0] is model
    assert app._month(model) == 2
    assert len(model.datacollector.model_vars["performance"]) == rows + 2
    assert "Month 2 of" in str(rc.find(v.Html, class_="alliance-month").widget.children)


def test_reset_rebuilds_with_changed_parameters_and_chosen_scenario(rendered, monkeypatch):
    state, rc = rendered
    built: list[dict] = []
    model_class = app._model_class()

    class Recording(model_class):
        def __init__(self, **kwargs):
            built.append(kwargs)
            super().__init__(**kwargs)

    monkeypatch.setattr(app.state, "_model_class", lambda: Recording)
    old = state.models.value[0]
    _one(rc, "scenario", v.Select).v_model = "leader-exit"
    assert built and built[-1]["preset"] == "leader-exit"
    concentration = app.scenario_leadership("leader-exit")["concentration"]
    assert _one(rc, "quality-concentration", v.Slider).v_model == pytest.approx(concentration)
    _one(rc, "quality-relationships", v.Slider).v_model = 0.9
    _one(rc, "quality-concentration", v.Slider).v_model = 0.25
    seed = _one(rc, "seed", v.TextField)
    seed.v_model = "7"
    seed.fire_event("keyup.enter")
    assert state.seed.value == 7
    _click(rc, "step")
    _click(rc, "reset")
    kwargs = built[-1]
    assert kwargs["preset"] == "leader-exit"
    assert kwargs["relationships"] == pytest.approx(0.9)
    assert kwargs["concentration"] == pytest.approx(0.25)
    assert kwargs["rng"] == 7
    assert "scenario" not in kwargs
    model = state.models.value[0]
    assert model is not old and isinstance(model, Recording)
    assert app._month(model) == 0
    assert not state.pending_changes()


def _twin():
    """A second demo page built like ``rendered``: same scenario and seed."""
    state = app.new_state("baseline", seed=1)
    _, rc = solara.render(app.Page(state=state), handle_error=False)
    return state, rc


def test_crisis_button_changes_model_state(rendered):
    state, rc = rendered
    twin, twin_rc = _twin()
    _click(rc, "step")
    _click(twin_rc, "step")
    _one(rc, "severity", v.Slider).v_model = 0.9
    _click(rc, "crisis-global")  # paused: the crisis arrives as the alliance moves on
    _click(twin_rc, "step")
    model, calm = state.models.value[0], twin.models.value[0]
    assert app._month(model) == app._month(calm) == 2
    assert [(c.kind, c.month, c.severity) for c in state.crises.value[0]] == [("global", 2, 0.9)]
    assert model.datacollector.model_vars["shocks"][-1] >= 1
    assert _capacities(model).mean() < _capacities(calm).mean()
    assert model.performance < calm.performance
    assert not state.message.value
    twin_rc.close()


def test_local_crisis_hits_the_chosen_member(rendered):
    state, rc = rendered
    twin, twin_rc = _twin()
    members = _one(rc, "member", v.Select)
    assert members.items[0] == app.MODEL_PICKS
    assert members.items[1:] == [app.member_label(i) for i in range(len(members.items) - 1)]
    members.v_model = app.member_label(4)
    assert state.member.value == 4
    _click(rc, "crisis-local")
    _click(twin_rc, "step")
    hit, calm = _capacities(state.models.value[0]), _capacities(twin.models.value[0])
    assert hit[4] < calm[4]
    assert hit[4] - calm[4] == pytest.approx((hit - calm).min())
    assert state.crises.value[0][-1].member == 4
    twin_rc.close()


def test_compare_mode_runs_two_profiles_together(rendered):
    state, rc = rendered
    _one(rc, "compare", v.Switch).v_model = True
    a, b = state.models.value
    built_a, built_b = state.built.value
    assert built_a["preset"] == built_b["preset"] and built_a["rng"] == built_b["rng"]
    assert [built_a[q] for q in QUALITIES] == [0.2] * 9
    assert [built_b[q] for q in QUALITIES] == [0.8] * 9
    _click(rc, "step")
    _click(rc, "step")
    assert app._month(a) == app._month(b) == 2
    _click(rc, "crisis-relational")
    assert [len(c) for c in state.crises.value] == [1, 1]
    _one(rc, "editing", v.BtnToggle).v_model = "B"
    assert _one(rc, "quality-reflection", v.Slider).v_model == pytest.approx(0.8)
    _one(rc, "compare", v.Switch).v_model = False
    assert len(state.models.value) == 1


def test_figures_draw_a_run_to_its_end():
    state = app.new_state("repeated-crises", seed=3)
    model = state.models.value[0]
    state.trigger("leader_exit")
    while state.step(12):
        pass
    assert not model.running
    labels = ["alliance"]
    for fig in (
        app.network_figure(model, "awareness", "end"),
        app.performance_figure([model], state.crises.value, labels),
        app.trends_figure([model], labels),
    ):
        data = app._png(fig)
        assert data.startswith(b"\x89PNG")
    outcome = str(app._summary(model).get("outcome"))
    assert outcome in app.OUTCOME_TEXT
    assert np.isfinite(app._series(model, "performance")).all()


def _ended_alliance():
    """A baseline alliance a few months on, one member gone, with a lead member."""
    state = app.new_state("leader-exit", seed=3)
    for _ in range(30):
        state.step()
    return state, state.models.value[0]


def test_tie_colours_in_the_legend_are_the_ties_colours():
    _, model = _ended_alliance()
    fig = app.network_figure(model, "capacity", "")
    from matplotlib.collections import LineCollection
    from matplotlib.colors import to_rgba

    ties = [c for c in fig.axes[0].collections if isinstance(c, LineCollection)]
    assert len(ties) == 1 and len(ties[0].get_segments()) > 0
    legend = {text.get_text(): handle for text, handle in _legend_entries(fig.legends[0])}
    for label, level in figures.TIE_LEGEND:
        colour, width, _ = figures.tie_style(level)
        handle = legend[label]
        assert to_rgba(handle.get_color()) == pytest.approx(to_rgba(colour))
        assert handle.get_linewidth() == pytest.approx(width)
    # every tie is drawn in a colour tie_style gives: the legend and the ties share it
    styled = np.array([to_rgba(figures.tie_style(x)[0], 0.9) for x in np.linspace(0, 1, 1001)])
    for colour in ties[0].get_colors():
        assert np.abs(styled - colour).max(axis=1).min() < 1e-3


def _legend_entries(legend):
    return list(zip(legend.get_texts(), legend.legend_handles, strict=True))


def test_member_names_stand_beside_their_shapes():
    _, model = _ended_alliance()
    fig = app.network_figure(model, "capacity", "")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    positions = app.state._register(model).positions
    names = {app.member_label(m.index): m for m in model.founding_members}
    largest: dict[tuple, float] = {}  # marker area (points squared) of each member's shapes
    for shapes in ax.collections:
        if not hasattr(shapes, "get_sizes"):
            continue  # the ties
        sizes = np.broadcast_to(shapes.get_sizes(), len(shapes.get_offsets()))
        for xy, size in zip(map(tuple, np.round(shapes.get_offsets(), 9)), sizes, strict=True):
            largest[xy] = max(largest.get(xy, 0.0), float(size))
    found = 0
    for text in ax.texts:
        name = text.get_text().split()[0]
        if name not in names:
            continue
        found += 1
        box = text.get_window_extent(renderer)
        x, y = ax.transData.transform(positions[names[name].index])
        # the nearest point of the name's box to the member's centre lies outside its shape
        nearest = np.clip([x, y], [box.x0, box.y0], [box.x1, box.y1])
        size = largest[tuple(np.round(positions[names[name].index], 9))]
        radius = np.sqrt(size) / 2 * fig.dpi / 72
        assert np.hypot(*(nearest - [x, y])) > radius, name
    assert found == len(model.founding_members)


def test_performance_legends_stand_outside_the_charts():
    state, model = _ended_alliance()
    for models in ([model], list(app.new_state("baseline", 1).models.value) * 2):
        labels = ["alliance"] if len(models) == 1 else ["A", "B"]
        fig = app.performance_figure(models, state.crises.value, labels)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        assert not any(ax.get_legend() for ax in fig.axes)
        assert len(fig.legends) == 2
        for legend in fig.legends:
            box = legend.get_window_extent(renderer)
            for ax in fig.axes:
                assert not box.overlaps(ax.get_window_extent(renderer))


def test_a_drawing_redraws_only_what_changed_and_shows_the_same_as_afresh():
    state = app.new_state("baseline", seed=2)
    model = state.models.value[0]
    figures._FIXED.clear()
    first = app.TrendsDrawing([model], ["alliance"])
    before = first.png()
    state.step()
    after = first.png()
    assert after != before
    again = app.TrendsDrawing([model], ["alliance"])  # its fixed parts come from the first
    assert again.png() == after
    assert len(figures._FIXED) == 1


def test_a_step_redraws_the_page_once(rendered):
    _, rc = rendered
    count = rc.render_count
    _click(rc, "step")
    assert rc.render_count == count + 1


def test_a_crisis_and_a_reset_redraw_the_page_once(rendered):
    _, rc = rendered
    for ref in ("crisis-global", "reset"):
        count = rc.render_count
        _click(rc, ref)
        assert rc.render_count == count + 1, ref
