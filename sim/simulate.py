"""One whole run through the compiled kernel: ``simulate(preset, rng, record_every, **params)``.

This is the fast path used by sweeps. :class:`sim.model.AllianceModel` builds
its state with the same :func:`prepare` and steps the same compiled
:func:`sim.kernel.step`, so for the same parameters and int seed both give
bit-identical summaries and series.
"""

from __future__ import annotations

import functools
import os
from typing import Any, NamedTuple

import numpy as np

from sim import kernel
from sim.constants import constants_array
from sim.kernel import layout as L
from sim.outcomes import summarize
from sim.scenario import ScenarioError, ScenarioSpec, load_preset
from sim.shocks import shock_arrays

SEED_BOUND = 2**63


def resolve_seed(rng: int | str | np.integer | None) -> int:
    """A run's seed as a plain int: given (an int or a string of digits) or freshly drawn."""
    if rng is None:
        return int(np.random.SeedSequence().entropy % SEED_BOUND)
    if isinstance(rng, bool):
        raise ScenarioError("rng", None, "expected an int seed, got a bool")
    if isinstance(rng, int | np.integer):
        seed = int(rng)
    elif isinstance(rng, str) and rng.strip().isdigit():
        seed = int(rng.strip())
    else:
        raise ScenarioError("rng", None, f"expected an int seed (or digits), got {rng!r}")
    if not 0 <= seed < SEED_BOUND:
        raise ScenarioError("rng", None, f"seed {seed} is out of range [0, 2**63)")
    return seed


_PRESETS: dict[tuple[str, str, str | None], tuple[ScenarioSpec, tuple[int, int, int]]] = {}


def _file_stamp(path: str) -> tuple[int, int, int]:
    status = os.stat(path)
    return status.st_mtime_ns, status.st_size, status.st_ino


def _load_preset(preset: str | os.PathLike[str] | ScenarioSpec | None) -> ScenarioSpec:
    """:func:`load_preset`, reusing a scenario file's spec while the file is unchanged.

    Runs of a sweep or a benchmark name the same preset thousands of times; parsing
    its file each time would cost more than the run itself.
    """
    if preset is None or isinstance(preset, ScenarioSpec):
        return load_preset(preset)
    key = (os.fspath(preset), os.getcwd(), os.environ.get("ALLIANCE_SIM_SCENARIOS"))
    cached = _PRESETS.get(key)
    if cached is not None:
        spec, stamp = cached
        try:
            if _file_stamp(spec.source) == stamp:
                return spec
        except OSError:
            pass
    spec = load_preset(preset)
    try:
        _PRESETS[key] = (spec, _file_stamp(spec.source))
    except OSError:
        pass
    return spec


@functools.lru_cache(maxsize=256)
def _with_parameters(
    spec: ScenarioSpec, source: str, typed: tuple[tuple[str, type, Any], ...]
) -> ScenarioSpec:
    return spec.with_parameters(**{name: value for name, _, value in typed})


def resolve_spec(
    preset: str | os.PathLike[str] | ScenarioSpec | None, **params: Any
) -> ScenarioSpec:
    """The preset with keyword parameters (``None`` = the preset's value) applied."""
    spec = _load_preset(preset)
    given = {name: value for name, value in params.items() if value is not None}
    if not given:
        return spec
    typed = tuple((name, type(value), value) for name, value in sorted(given.items()))
    try:
        return _with_parameters(spec, spec.source, typed)
    except TypeError:  # an unhashable value: no caching
        return spec.with_parameters(**given)


def leadership_vector(spec: ScenarioSpec) -> np.ndarray:
    """The nine qualities then concentration, as the kernel takes them."""
    return np.array([*spec.leadership.qualities(), spec.leadership.concentration], dtype=np.float64)


class Prepared(NamedTuple):
    """Everything a run needs: the resolved scenario, its seed and the kernel inputs."""

    spec: ScenarioSpec
    seed: int
    state: L.State
    qualities: np.ndarray
    consts: np.ndarray
    generator: np.random.Generator


def prepare(
    spec: ScenarioSpec, seed: int, generator: np.random.Generator | None = None
) -> Prepared:
    """Found a run's state from a resolved scenario and seed.

    ``generator`` defaults to ``np.random.default_rng(seed)``; the Mesa model passes
    its own ``model.rng``, which Mesa builds the same way from an int seed.
    """
    if generator is None:
        generator = np.random.default_rng(seed)
    qualities = leadership_vector(spec)
    consts = constants_array(spec.constants_dict())
    shocks = shock_arrays(spec)
    alliance = spec.alliance
    state = kernel.new_state(
        members=alliance.members,
        factions=alliance.factions,
        value_distance=alliance.value_distance,
        mean_degree=alliance.mean_degree,
        cross_faction_share=alliance.cross_faction_share,
        qualities=qualities,
        horizon=spec.horizon,
        shock_rate=shocks.rate,
        mix=shocks.mix,
        event_at=shocks.event_at,
        event_kind=shocks.event_kind,
        event_severity=shocks.event_severity,
        event_member=shocks.event_member,
        consts=consts,
        rng=generator,
    )
    return Prepared(spec, seed, state, qualities, consts, generator)


def series_dict(state: L.State, every: int = 1) -> dict[str, np.ndarray]:
    """Recorded series every ``every`` months (month 0 = founding), with a ``step`` column."""
    last = int(state.counters[L.STEP])
    steps = np.arange(0, last + 1, every, dtype=np.int64)
    out: dict[str, np.ndarray] = {"step": steps}
    for row, name in enumerate(L.SERIES):
        out[name] = state.series[row, steps].copy()
    return out


def simulate(
    preset: str | os.PathLike[str] | ScenarioSpec | None = "baseline",
    rng: int | str | None = None,
    record_every: int = 0,
    **params: Any,
) -> dict[str, Any]:
    """Run one alliance from founding to its end or horizon through the compiled kernel.

    Args:
        preset: a shipped scenario name, a scenario file path, or a :class:`ScenarioSpec`.
        rng: the run's int seed (or a string of digits); drawn when None.
        record_every: when > 0, add ``series`` (column -> array) every that many months.
        **params: model keyword parameters (``relationships=0.9``, ``members=20``,
            ``shock_rate=0.1``, ``horizon=120`` ...), overriding the preset.

    Returns:
        The same dict as :meth:`sim.model.AllianceModel.summary`, plus ``series``
        when ``record_every > 0``.
    """
    if isinstance(record_every, bool) or not isinstance(record_every, int | np.integer):
        raise ScenarioError("record_every", None, "expected a whole number of months")
    if record_every < 0:
        raise ScenarioError("record_every", None, "must be >= 0")
    spec = resolve_spec(preset, **params)
    run = prepare(spec, resolve_seed(rng))
    kernel.run(run.state, run.qualities, run.consts, run.generator)
    summary = summarize(run.state, run.consts, run.seed)
    if record_every > 0:
        summary["series"] = series_dict(run.state, int(record_every))
    return summary
