"""Short guided lessons for the teaching demo, one per shipped scenario.

Each lesson says what to try with the controls and what to watch for in the network and
the charts. The demo shows the lesson of the chosen scenario beside the simulation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lesson:
    """A guided lesson: a title, steps to try, and things to watch for."""

    title: str
    goal: str
    try_this: tuple[str, ...]
    watch_for: tuple[str, ...]


LESSONS: dict[str, Lesson] = {
    "baseline": Lesson(
        title="A normal life, with the odd crisis",
        goal="See how an alliance runs when nothing special happens, and what 'normal' looks like.",
        try_this=(
            "Press Play and let a few years pass; note the performance level and mean trust.",
            "Press 'Global crisis' once and watch the alliance dip and recover.",
            "Reset with all nine qualities at 0.2, then at 0.8, and compare the dips.",
        ),
        watch_for=(
            "The phase label: normal, then crisis, stabilising, transforming, and back.",
            "Ties thinning and fading after a crisis, and thickening again as trust returns.",
            "Change the seed and fire the same crisis: it can break one alliance and not another.",
        ),
    ),
    "funding-cut": Lesson(
        title="A major funder withdraws",
        goal="Every member loses capacity at once: does the alliance stabilise before it breaks?",
        try_this=(
            "Play until the funding cut hits and watch every circle change colour together.",
            "Reset with 'Develop resilience' high and 'Eye for relationships' low; then swap.",
            "Turn on compare mode: all qualities 0.2 against 0.8, same seed.",
        ),
        watch_for=(
            "The effort split: stabilising first, then transforming (the 'double task').",
            "How deep performance falls and how many months it takes to climb back.",
        ),
    ),
    "scandal": Lesson(
        title="A breach of trust",
        goal="A relational crisis: nothing is lost in money, but trust between members breaks.",
        try_this=(
            "Play past the scandal and watch the ties rather than the circles.",
            "Fire an extra 'Relational crisis' and see whether the network splits.",
            "Reset with 'Eye for relationships' and 'Reflective ability' high.",
        ),
        watch_for=(
            "Ties turning thin and dashed: low trust between partners.",
            "Members leaving once they have no trusted partner left.",
        ),
    ),
    "regime-shift": Lesson(
        title="The world changes the rules",
        goal="What the environment asks of the alliance jumps: the old ambition no longer fits.",
        try_this=(
            "Colour the network by awareness and play past the shift.",
            "Reset with 'Strengthen change awareness' and 'Global view' at 0.9, then at 0.1.",
            "Fire a second 'Regime shift' while the alliance is still transforming.",
        ),
        watch_for=(
            "Mean awareness rising before the alliance changes course.",
            "The ambition: an alliance that revises it in the crisis and comes back ends "
            "'transformed'.",
        ),
    ),
    "repeated-crises": Lesson(
        title="One crisis after another",
        goal="Crises come often. Does the alliance learn from them, or wear out?",
        try_this=(
            "Play the whole run and count the crisis markers on the performance chart.",
            "Reset with 'Reflective ability' and 'Develop resilience' high, then low.",
            "Compare mode: see which profile is still standing at the end.",
        ),
        watch_for=(
            "Whether each dip is shallower than the last: learning from past crises.",
            "Active members falling step by step as capacity runs out.",
        ),
    ),
    "leader-exit": Lesson(
        title="The lead member walks out",
        goal="Under concentrated leadership one member leads; what happens when it leaves?",
        try_this=(
            "Find the star (the lead member) and press 'Leader exit'.",
            "Reset with concentration at 0 (shared leadership) and fire a leader exit again.",
            "Compare: concentration 0.9 against 0.1, with the same qualities.",
        ),
        watch_for=(
            "The gap the lead member leaves: its ties vanish with it.",
            "Whether shared leadership absorbs the loss better than a single leader.",
        ),
    ),
    "faultlines": Lesson(
        title="Factions far apart",
        goal="The members' core values differ a lot between factions, and few ties cross them.",
        try_this=(
            "Look at the shapes: each shape is one faction. Count the ties between shapes.",
            "Set 'Eye for relationships' and 'Giving meaning to events' to 0.2, reset and run.",
            "Reset with both at 0.8 and compare the ties between the shapes.",
        ),
        watch_for=(
            "Ties between the factions ending when trust across them is not built in time.",
            "The outcome 'fragmentation' when the alliance stays split into camps for a year.",
        ),
    ),
}

GENERIC = Lesson(
    title="Explore the alliance",
    goal="Change the leadership profile, run the alliance, and fire crises to see what holds.",
    try_this=(
        "Press Step a few times, then Play.",
        "Fire a crisis and watch the performance chart.",
        "Change the sliders and press Reset to start again with the new profile.",
    ),
    watch_for=(
        "The phase and the effort split between stabilising and transforming.",
        "Trust on the ties and members leaving the network.",
    ),
)


def lesson_for(name: str) -> Lesson:
    """The lesson of scenario ``name`` (a generic one for unknown names)."""
    return LESSONS.get(name, GENERIC)
