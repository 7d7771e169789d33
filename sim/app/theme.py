"""Words, colours and settings of the teaching demo, drawn for a projector.

Plain-word labels for the leadership qualities, crisis kinds and outcomes (the outcome
classes' display names are :data:`sim.names.OUTCOME_LABELS`); the Okabe-Ito
colour-blind safe palette, with every colour doubled by a shape, a line style, a hatch or a
label; the page's starting values and its CSS.
"""

from __future__ import annotations

from sim.names import LEADERSHIP_KEYS, OUTCOMES, PHASES, SHOCK_KINDS
from sim.parameters import BY_KEY

#: One-line explanation of each leadership key, in the article's words.
QUALITY_HELP: dict[str, str] = dict(
    zip(
        LEADERSHIP_KEYS,
        (
            "People make meaning together from the events they live through and the values "
            "they share.",
            "Break through entrenched thinking, so that new ways of working together can grow.",
            "Open to what goes on in the world, with an eye for local differences and tensions.",
            "Unravel complexity together and share the analysis: half the battle is won.",
            "Bring people together, organise cooperation and discuss conflicts, built on mutual "
            "trust.",
            "In a crisis, first stabilise the work, then start the transformation: a double task.",
            "Deal consciously with the alliance's life phases and start change when it is needed.",
            "Embrace tensions between two defensible views and keep balancing between them.",
            "Look back on experiences and on your own role, and learn from recurring patterns.",
            "0: leadership shared by all members (the article's 'shared leadership'); "
            "1: one lead member leads.",
        ),
        strict=True,
    )
)

#: Slider label (the parameter table's) and one-line explanation of each leadership key.
QUALITY_TEXT: dict[str, tuple[str, str]] = {
    key: (BY_KEY[f"leadership.{key}"].display, QUALITY_HELP[key]) for key in LEADERSHIP_KEYS
}

#: Okabe-Ito colour-blind safe palette.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}

#: Each alliance in compare mode: name, colour, line style, marker.
ALLIANCE_STYLE = (
    ("A", OKABE_ITO["blue"], "-", "o"),
    ("B", OKABE_ITO["vermillion"], "--", "s"),
)

#: Phase: colour, hatch, symbol.
PHASE_STYLE: dict[str, tuple[str, str, str]] = dict(
    zip(
        PHASES,
        (
            ("#DDDDDD", "", "●"),
            (OKABE_ITO["vermillion"], "xx", "▲"),
            (OKABE_ITO["orange"], "//", "■"),
            (OKABE_ITO["green"], "..", "◆"),
        ),
        strict=True,
    )
)

#: Crisis kinds: button label, short chart label, marker.
CRISIS_KINDS: dict[str, tuple[str, str, str]] = dict(
    zip(
        SHOCK_KINDS,
        (
            ("Global crisis", "G", "v"),
            ("Local crisis", "L", "<"),
            ("Relational crisis", "R", ">"),
            ("Regime shift", "S", "D"),
            ("Leader exit", "X", "X"),
        ),
        strict=True,
    )
)

OUTCOME_TEXT: dict[str, str] = dict(
    zip(
        OUTCOMES,
        (
            "the alliance collapsed: too few members or too little performance left",
            "the alliance split into camps and stayed split for a year",
            "the alliance survived, but in its later years delivers well below its founding "
            "level (members it lost count as delivering nothing)",
            "the alliance came through a crisis by revising its own ambition, and came back",
            "the alliance came through its crises on its former course (or met none)",
        ),
        strict=True,
    )
)

FACTION_MARKERS = ("o", "s", "^", "D", "v", "P", "h", "X")
COLOUR_BY = ("capacity", "awareness")
NODE_CMAP = "cividis"
TIE_CMAP = "cividis"
#: Least seconds from one frame to the next under Play (at most about 6 frames a second).
PLAY_INTERVAL = 0.15
SLIDER_STEP = 0.05
SEVERITY_DEFAULT = 0.4
#: The page's starting seed: a baseline alliance that bends under one crisis but recovers.
DEFAULT_SEED = 7
MODEL_PICKS = "model picks"

CSS = """
.alliance-app { font-size: 20px; line-height: 1.35; }
.alliance-app .v-btn { font-size: 19px !important; text-transform: none !important;
    letter-spacing: 0 !important; min-height: 44px; }
.alliance-app .v-label, .alliance-app .v-field, .alliance-app .v-select__selection-text,
.alliance-app .v-list-item-title { font-size: 19px !important; opacity: 1 !important; }
.alliance-app .v-slider-thumb__label { font-size: 16px !important; }
.alliance-title { font-size: 34px; font-weight: 700; margin: 4px 0 0 0; }
.alliance-subtitle { font-size: 19px; color: #333; }
.alliance-help { font-size: 17px; color: #222; margin: -8px 0 12px 0; }
.alliance-quality-label { font-size: 20px; font-weight: 600; }
.alliance-quality .v-input__details { display: none; }
.alliance-slider-value { font-size: 19px; font-weight: 700; min-width: 3em; }
.alliance-month { font-size: 30px; font-weight: 700; }
.alliance-phase { font-size: 24px; font-weight: 700; padding: 2px 14px; border-radius: 8px;
    border: 3px solid #000; }
.alliance-outcome { font-size: 22px; font-weight: 700; padding: 8px 14px; border: 3px solid #000;
    border-radius: 8px; background: #FFF6D5; }
.alliance-note { font-size: 18px; font-style: italic; color: #222; }
.alliance-error { font-size: 18px; color: #000; background: #FFE0CC; padding: 6px 10px;
    border-left: 6px solid #D55E00; }
.alliance-lesson { font-size: 20px; line-height: 1.4; }
.alliance-lesson h3 { font-size: 24px; margin: 0 0 6px 0; }
.alliance-lesson p { font-size: 20px; margin: 4px 0; }
.alliance-lesson ol, .alliance-lesson ul { padding-left: 28px; margin: 2px 0 6px 0; }
.alliance-lesson li { font-size: 20px; margin-bottom: 4px; }
.alliance-label { font-size: 19px; }
.alliance-card-title { font-size: 22px; font-weight: 700; margin-bottom: 4px; }
.alliance-figure img { width: 100%; height: auto; }
"""
