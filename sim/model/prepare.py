"""From a scenario and a seed to the kernel's inputs and a founded state.

:func:`prepare` is shared by both faces of the model (:class:`AllianceModel` and
:func:`simulate`), so that the same parameters and seed found the same state.
"""

from __future__ import annotations

import functools
import os
from typing import Any, NamedTuple

import numpy as np

from sim import kernel
from sim.kernel import layout as L
from sim.model.compiled import ensure_kernel
from sim.names import SERIES, SHOCK_KINDS
from sim.parameters import CONSTANT_DEFAULTS, CONSTANT_NAMES
from sim.scenario import ScenarioError, ScenarioSpec, load_preset

SEED_BOUND = 2**63
KIND_CODES: dict[str, int] = {kind: code for code, kind in enumerate(SHOCK_KINDS)}


def resolve_seed(rng: int | str | np.integer | None) -> int:
    """A run's seed as a plain int: given (an int or a string of digits) or freshly drawn."""
    if rng is None:
        return int(np.random.SeedSequence().entropy % SEED_BOUND)  # type: ignore[operator]
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


def cached_preset(preset: str | os.PathLike[str] | ScenarioSpec | None) -> ScenarioSpec:
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
    spec = cached_preset(preset)
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


def constants_array(overrides: dict[str, float] | None = None) -> np.ndarray:
    """The kernel's constants array: defaults, with ``overrides`` applied by name."""
    values = dict(CONSTANT_DEFAULTS)
    if overrides:
        unknown = set(overrides) - set(values)
        if unknown:
            raise KeyError(f"unknown constants: {sorted(unknown)}")
        values.update(overrides)
    return np.array([float(values[name]) for name in CONSTANT_NAMES], dtype=np.float64)


def founding_inputs(spec: ScenarioSpec) -> L.Founding:
    """The kernel's founding inputs from a scenario (its shape, horizon and crises)."""
    alliance = spec.alliance
    events = spec.shocks.events
    return L.Founding(
        members=alliance.members,
        factions=alliance.factions,
        value_distance=alliance.value_distance,
        mean_degree=alliance.mean_degree,
        cross_faction_share=alliance.cross_faction_share,
        horizon=spec.horizon,
        shock_rate=spec.shocks.rate,
        mix=np.array(spec.shocks.mix_weights(), dtype=np.float64),
        event_at=np.array([event.at for event in events], dtype=np.int64),
        event_kind=np.array([KIND_CODES[event.kind] for event in events], dtype=np.int64),
        event_severity=np.array(
            [np.nan if event.severity is None else event.severity for event in events],
            dtype=np.float64,
        ),
        event_member=np.array(
            [-1 if event.member is None else event.member for event in events], dtype=np.int64
        ),
    )


def streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The environment's and the founding's generators of a run, derived from its seed.

    They are the first two children of ``SeedSequence(seed)``; the monthly dynamics
    draw from ``default_rng(seed)`` itself (the root sequence, as Mesa builds
    ``model.rng`` from an int seed), so the three streams are independent and each
    is fixed by the seed alone.
    """
    environment, founding = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(environment), np.random.default_rng(founding)


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

    The environment and the founding draw from their own streams (:func:`streams`);
    ``generator``, the monthly dynamics' stream, defaults to
    ``np.random.default_rng(seed)``; the Mesa model passes its own ``model.rng``,
    which Mesa builds the same way from an int seed.
    """
    ensure_kernel()
    if generator is None:
        generator = np.random.default_rng(seed)
    qualities = leadership_vector(spec)
    consts = constants_array(spec.constants_dict())
    state = kernel.new_state(founding_inputs(spec), qualities, consts, *streams(seed))
    return Prepared(spec, seed, state, qualities, consts, generator)


def series_dict(state: L.State, every: int = 1) -> dict[str, np.ndarray]:
    """Recorded series every ``every`` months (month 0 = founding), with a ``step`` column."""
    last = int(state.counters[L.STEP])
    steps = np.arange(0, last + 1, every, dtype=np.int64)
    out: dict[str, np.ndarray] = {"step": steps}
    for row, name in enumerate(SERIES):
        out[name] = state.series[row, steps].copy()
    return out
