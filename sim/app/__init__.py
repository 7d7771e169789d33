"""The teaching demo: an interactive crisis simulation of a values-driven alliance.

A Solara page built from Mesa's visualization layer (``mesa.visualization``): the model is
:class:`sim.model.AllianceModel`; redraws follow Mesa's ``update_counter`` and Play runs
the model in a background task the way SolaraViz's controller does. Around it the page adds
what a classroom needs: a scenario picker with descriptions and a guided lesson, plain-word
sliders for the nine leadership qualities and concentration (applied at Reset, through the
model's ``preset`` keyword), crisis buttons, and a compare mode that runs two alliances with
the same scenario and seed but different leadership side by side.

Everything is drawn for a projector: large type, the Okabe-Ito colour-blind safe palette,
and every colour doubled by a shape, a line style, a hatch or a label.

Run it with ``alliance-sim demo`` (see :mod:`sim.demo`) or
``solara run sim.app:page --production``.

The package's modules: :mod:`sim.app.theme` (words, colours and the page's settings),
:mod:`sim.app.state` (the session state, scenario helpers and model accessors),
:mod:`sim.app.figures` (the Matplotlib figures) and :mod:`sim.app.components` (the Solara
panels). :func:`Page` and :data:`page` live here, in the package itself: Solara serves a
package as a multi-page app, one page per submodule that defines ``Page``, ``page`` or ``app``,
so no submodule defines them.
"""

from __future__ import annotations

import os

import matplotlib

# set before any submodule (or Solara and Mesa) is imported: figures render off-screen
matplotlib.use("Agg")

import reacton.core
import solara

from sim.app.components import (
    ChartsPanel,
    ControlsPanel,
    CrisisBar,
    FigureView,
    LessonPanel,
    NetworkPanel,
    PlayLoop,
    QualitySlider,
    RunBar,
)
from sim.app.figures import (
    Drawing,
    NetworkDrawing,
    PerformanceDrawing,
    TrendsDrawing,
    network_figure,
    performance_figure,
    trends_figure,
)
from sim.app.figures import _png as _png
from sim.app.server import WARM_UP_VARIABLE
from sim.app.state import (
    Crisis,
    DemoState,
    member_label,
    new_state,
    scenario_description,
    scenario_leadership,
    scenario_names,
)
from sim.app.state import _model_class as _model_class
from sim.app.state import _month as _month
from sim.app.state import _series as _series
from sim.app.state import _summary as _summary
from sim.app.theme import (
    ALLIANCE_STYLE,
    COLOUR_BY,
    CRISIS_KINDS,
    CSS,
    DEFAULT_SEED,
    FACTION_MARKERS,
    MODEL_PICKS,
    NODE_CMAP,
    OKABE_ITO,
    OUTCOME_TEXT,
    PHASE_STYLE,
    PHASES,
    PLAY_INTERVAL,
    QUALITY_TEXT,
    SEVERITY_DEFAULT,
    SLIDER_STEP,
    TIE_CMAP,
)

__all__ = [
    "ALLIANCE_STYLE",
    "COLOUR_BY",
    "CRISIS_KINDS",
    "CSS",
    "DEFAULT_SEED",
    "FACTION_MARKERS",
    "MODEL_PICKS",
    "NODE_CMAP",
    "OKABE_ITO",
    "OUTCOME_TEXT",
    "PHASES",
    "PHASE_STYLE",
    "PLAY_INTERVAL",
    "QUALITY_TEXT",
    "SEVERITY_DEFAULT",
    "SLIDER_STEP",
    "TIE_CMAP",
    "ChartsPanel",
    "ControlsPanel",
    "Crisis",
    "CrisisBar",
    "DemoState",
    "Drawing",
    "FigureView",
    "LessonPanel",
    "NetworkDrawing",
    "NetworkPanel",
    "Page",
    "PerformanceDrawing",
    "PlayLoop",
    "QualitySlider",
    "RunBar",
    "TrendsDrawing",
    "member_label",
    "network_figure",
    "new_state",
    "page",
    "performance_figure",
    "scenario_description",
    "scenario_leadership",
    "scenario_names",
    "trends_figure",
    "warm_up_page",
]


@solara.component
def Page(state: DemoState | None = None):
    """The demo page.

    Args:
        state: the session's state; a fresh one (baseline, :data:`DEFAULT_SEED`) when None.
    """
    demo = solara.use_memo(lambda: state if state is not None else new_state(), [])
    demo.render_context = reacton.core.get_render_context(required=False)
    solara.Style(CSS)
    solara.Title("Alliance under pressure")
    PlayLoop(demo)
    compare = len(demo.models.value) > 1
    with solara.Column(classes=["alliance-app"], style={"padding": "8px 18px"}):
        solara.Text("Alliance under pressure", classes=["alliance-title"])
        solara.Text(
            "A values-driven alliance meets crises. Set its leadership, press Play, fire a "
            "crisis, and watch it hold together or fall apart.",
            classes=["alliance-subtitle"],
        )
        with solara.Columns([1, 3]):
            with solara.Card(margin=0):
                ControlsPanel(demo)
            with solara.Column(gap="12px"):
                with solara.Card(margin=0):
                    RunBar(demo)
                    CrisisBar(demo)
                if compare:
                    with solara.Card(margin=0):
                        NetworkPanel(demo)
                    with solara.Card(margin=0):
                        with solara.Columns([1, 1]):
                            ChartsPanel(demo, "performance")
                            LessonPanel(demo)
                else:
                    with solara.Columns([1, 1]):
                        with solara.Card(margin=0):
                            NetworkPanel(demo)
                        with solara.Card(margin=0):
                            ChartsPanel(demo, "performance")
                    with solara.Card(margin=0):
                        LessonPanel(demo)
                with solara.Card(margin=0):
                    ChartsPanel(demo, "trends")


page = Page


def warm_up_page() -> None:
    """Build the page's starting alliance and draw its figures once, offscreen.

    The first time a process does this it loads the compiled model and Matplotlib's fonts;
    the demo's server does it as it starts, so that its first visitor does not wait for it.
    """
    state = new_state()
    models = state.models.value
    NetworkDrawing(models[0]).png()
    PerformanceDrawing(models, ["alliance"]).png(crises=())
    TrendsDrawing(models, ["alliance"]).png()


if os.environ.get(WARM_UP_VARIABLE) == "1":
    warm_up_page()
