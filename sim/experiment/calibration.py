"""The ``[calibration]`` table of an experiment file: priors, statistics, observations, method.

An experiment file with a ``[calibration]`` table is a calibration (``alliance-sim
calibrate``): the parameters to infer with their priors, the statistics computed from
each candidate point's runs, what was observed of each, the runs per candidate and the
algorithm. It has no ``[design]``, top-level ``replications`` or ``[output]``; its
``[parameters]`` table may hold fixed values, applied at every candidate. Problems are
raised as :class:`~sim.experiment.spec.ExperimentError`, one line naming the file and
the key, as for every experiment file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from functools import partial
from typing import Any

from sim.errors import check_keys, expect_bool, expect_number, expect_string, expect_table
from sim.experiment.files import (
    _TOP_KEYS,
    Experiment,
    _base_dir,
    _check_design_rules,
    _check_model_parameters,
    _check_ref,
    _check_scenario_parameters,
    _parse,
    _why,
)
from sim.experiment.models import resolve_model
from sim.experiment.spec import ExperimentError, SweptParameter
from sim.names import OUTCOMES
from sim.parameters import BY_KEY

CALIBRATION_METHODS: tuple[str, ...] = ("abc-smc", "rejection")
DISTANCES: tuple[str, ...] = ("euclidean", "max")
"""How a candidate's distance combines its statistics' distances."""
MAX_GENERATIONS = 100
EPSILON_GENERATIONS = 20
"""Most generations of an ABC-SMC calibration that gives a final ``epsilon`` only."""
CANDIDATES_PER_PARTICLE = 20
"""Default cap on a generation's candidates, per particle of the population."""
DEFAULT_POPULATION = 100
DEFAULT_PREDICTIVE = 50
LIMIT = 10**7
NOT_IN_CALIBRATION: dict[str, str] = {
    "design": "a calibration samples from [calibration.parameters]; its algorithm is "
    "calibration.method",
    "replications": "a calibration's runs per candidate are calibration.replications",
    "output": "a calibration stores no time series",
    "precision": "a calibration's runs per candidate are calibration.replications",
}
"""Top-level keys of a sweep that a calibration file refuses, and why."""
RESERVED: frozenset[str] = frozenset(
    {"generation", "candidate", "draws", "parent", "particle", "weight", "distance", "ok",
     "failed", "error", "duration_s", "draw", "replicate", "seed", "status"}
)  # fmt: skip
"""Column names of the calibration tables that a statistic may not take."""
KEYS: frozenset[str] = frozenset(
    {"parameters", "statistics", "observed", "replications", "method", "population",
     "generations", "epsilon", "quantile", "max_candidates", "samples", "accept", "distance",
     "predictive"}
)  # fmt: skip
ONLY: dict[str, str] = {
    "population": "abc-smc",
    "generations": "abc-smc",
    "epsilon": "abc-smc",
    "quantile": "abc-smc",
    "max_candidates": "abc-smc",
    "samples": "rejection",
    "accept": "rejection",
}
"""Keys that apply to one method only."""


@dataclass(frozen=True)
class Prior:
    """The prior of one calibrated parameter: uniform on ``[low, high]``, or log-uniform.

    Attributes:
        name: the parameter's key (dotted for scenario keys).
        low: lower end.
        high: upper end.
        log: log-uniform (uniform in the logarithm; ``low`` > 0).
    """

    name: str
    low: float
    high: float
    log: bool = False

    def bounds(self) -> tuple[float, float]:
        """The ends in the coordinates the sampler works in (logarithms when ``log``)."""
        if self.log:
            return math.log(self.low), math.log(self.high)
        return self.low, self.high

    def value(self, internal: float) -> float:
        """The parameter's value at a coordinate of the sampler."""
        return math.exp(internal) if self.log else float(internal)


@dataclass(frozen=True)
class Observation:
    """What was observed of one statistic: a value with a scale, or a range.

    Attributes:
        value: the observed value (None for a range).
        scale: the distance's unit: ``|x - value| / scale``; for a range, the distance
            outside it is divided by the scale (default: the range's width).
        low: lower end of a range.
        high: upper end of a range.
    """

    value: float | None
    scale: float
    low: float | None = None
    high: float | None = None

    def distance(self, x: float) -> float:
        """The distance of statistic value ``x`` (infinite when ``x`` is NaN)."""
        if math.isnan(x):
            return math.inf
        if self.value is not None:
            return abs(x - self.value) / self.scale
        assert self.low is not None and self.high is not None
        outside = max(self.low - x, x - self.high, 0.0)
        return outside / self.scale


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated ``[calibration]`` table.

    Attributes:
        priors: the calibrated parameters, in file order.
        statistics: ``(name, text)`` of each statistic, in file order.
        observed: the observation of each statistic, in the same order.
        replications: runs per candidate point.
        method: ``abc-smc`` or ``rejection``.
        population: particles per generation (abc-smc; rejection: the particles kept).
        generations: most generations (abc-smc; 1 for rejection).
        epsilon: final tolerance: stop after the generation that reaches it (abc-smc).
        quantile: a generation's tolerance is this weighted quantile of the previous
            generation's distances (abc-smc; 0.5: the median).
        max_candidates: most candidates a generation may evaluate (abc-smc).
        samples: candidates drawn from the prior (rejection).
        distance: ``euclidean`` or ``max`` of the statistics' distances.
        predictive: posterior draws re-simulated for the predictive check.
    """

    priors: tuple[Prior, ...]
    statistics: tuple[tuple[str, str], ...]
    observed: tuple[Observation, ...]
    replications: int = 1
    method: str = "abc-smc"
    population: int = DEFAULT_POPULATION
    generations: int = 1
    epsilon: float = 0.0
    quantile: float = 0.5
    max_candidates: int = CANDIDATES_PER_PARTICLE * DEFAULT_POPULATION
    samples: int = 0
    distance: str = "euclidean"
    predictive: int = DEFAULT_PREDICTIVE

    @property
    def names(self) -> tuple[str, ...]:
        """The calibrated parameters' names."""
        return tuple(prior.name for prior in self.priors)

    @property
    def statistic_names(self) -> tuple[str, ...]:
        """The statistics' names."""
        return tuple(name for name, _ in self.statistics)

    def combine(self, distances: list[float]) -> float:
        """A candidate's distance from its statistics' distances."""
        if any(math.isinf(d) for d in distances):
            return math.inf
        if self.distance == "max":
            return max(distances)
        return math.sqrt(sum(d * d for d in distances))

    def distance_of(self, values: tuple[float, ...]) -> float:
        """A candidate's distance from its statistics' values."""
        return self.combine([obs.distance(x) for obs, x in zip(self.observed, values, strict=True)])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (read back with :meth:`from_dict`)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CalibrationSpec:
        """The spec from :meth:`to_dict`'s form (a store's manifest)."""
        return cls(
            **{
                **data,
                "priors": tuple(Prior(**p) for p in data["priors"]),
                "statistics": tuple((str(n), str(t)) for n, t in data["statistics"]),
                "observed": tuple(Observation(**o) for o in data["observed"]),
            }
        )


_check_keys = partial(check_keys, ExperimentError)
_table = partial(expect_table, ExperimentError)
_string = partial(expect_string, ExperimentError)


def _number(source: str, key: str, value: Any, low: float = -math.inf, high: float = math.inf):
    return float(expect_number(ExperimentError, source, key, value, low, high))


def _whole(source: str, key: str, value: Any, low: int, high: int = LIMIT) -> int:
    return int(expect_number(ExperimentError, source, key, value, low, high, integer=True))


def parse_calibration_experiment(data: Mapping[str, Any], source: str, text: str) -> Experiment:
    """An experiment file with a ``[calibration]`` table, validated (see the module)."""
    _check_keys(source, "", data, _TOP_KEYS | {"calibration"})
    for key, why in NOT_IN_CALIBRATION.items():
        if key in data:
            raise ExperimentError(source, key, f"not used by a calibration ({why})")
    experiment = _parse({k: v for k, v in data.items() if k != "calibration"}, source, text)
    for parameter in experiment.parameters:
        if parameter.sampled:
            raise ExperimentError(
                source,
                f"parameters.{parameter.name}",
                "a calibration's [parameters] holds fixed values; give the range to infer "
                "under [calibration.parameters]",
            )
    table = _table(source, "calibration", data["calibration"])
    return replace(experiment, calibration=_parse_table(source, table, experiment))


def _parse_table(source: str, table: Mapping[str, Any], experiment: Experiment) -> CalibrationSpec:
    _check_keys(source, "calibration", table, set(KEYS))
    method = _string(source, "calibration.method", table.get("method", "abc-smc"))
    if method not in CALIBRATION_METHODS:
        raise ExperimentError(
            source,
            "calibration.method",
            f"unknown method '{method}' (one of {', '.join(CALIBRATION_METHODS)})",
        )
    for key, only in ONLY.items():
        if key in table and only != method:
            raise ExperimentError(source, f"calibration.{key}", f"applies to {only} only")
    priors = _parse_priors(source, table, experiment)
    statistics = _parse_statistics(source, table, experiment, priors)
    observed = _parse_observed(source, table, [name for name, _ in statistics])
    distance = _string(source, "calibration.distance", table.get("distance", "euclidean"))
    if distance not in DISTANCES:
        raise ExperimentError(
            source, "calibration.distance", f"unknown distance '{distance}' (one of "
            f"{', '.join(DISTANCES)})",
        )  # fmt: skip
    common: dict[str, Any] = {
        "priors": priors,
        "statistics": statistics,
        "observed": observed,
        "replications": _whole(source, "calibration.replications", table.get("replications", 1), 1),
        "method": method,
        "distance": distance,
        "predictive": _whole(
            source, "calibration.predictive", table.get("predictive", DEFAULT_PREDICTIVE), 0
        ),
    }
    if method == "rejection":
        return CalibrationSpec(**common, **_parse_rejection(source, table))
    return CalibrationSpec(**common, **_parse_smc(source, table))


def _parse_smc(source: str, table: Mapping[str, Any]) -> dict[str, Any]:
    """Population, generations, final tolerance, quantile and cap of an ABC-SMC."""
    population = _whole(
        source,
        "calibration.population",
        table.get("population", DEFAULT_POPULATION),
        2,
        LIMIT // CANDIDATES_PER_PARTICLE,  # so that the default cap of candidates fits LIMIT
    )
    generations = table.get("generations")
    epsilon = table.get("epsilon")
    if generations is None and epsilon is None:
        raise ExperimentError(
            source,
            "calibration.generations",
            "required by abc-smc (or give a final tolerance, calibration.epsilon)",
        )
    if generations is not None:
        generations = _whole(source, "calibration.generations", generations, 1, MAX_GENERATIONS)
    quantile = _number(source, "calibration.quantile", table.get("quantile", 0.5), 0.0, 1.0)
    if not 0.0 < quantile < 1.0:
        raise ExperimentError(source, "calibration.quantile", "must lie strictly between 0 and 1")
    cap = table.get("max_candidates", CANDIDATES_PER_PARTICLE * population)
    return {
        "population": population,
        "generations": generations or EPSILON_GENERATIONS,
        "epsilon": 0.0 if epsilon is None else _number(source, "calibration.epsilon", epsilon, 0),
        "quantile": quantile,
        "max_candidates": _whole(source, "calibration.max_candidates", cap, population),
    }


def _parse_rejection(source: str, table: Mapping[str, Any]) -> dict[str, Any]:
    """Samples and the accepted share of a rejection calibration."""
    for key in ("samples", "accept"):
        if key not in table:
            raise ExperimentError(source, f"calibration.{key}", "required by rejection")
    samples = _whole(source, "calibration.samples", table["samples"], 1)
    accept = _number(source, "calibration.accept", table["accept"], 0.0, 1.0)
    if accept <= 0:
        raise ExperimentError(source, "calibration.accept", "must be above 0 (a share, 0 to 1)")
    population = max(1, round(samples * accept))
    return {"samples": samples, "population": population, "max_candidates": samples}


def _parse_prior(source: str, key: str, name: str, value: Any, experiment: Experiment) -> Prior:
    prior = _table(source, key, value)
    _check_keys(source, key, prior, {"min", "max", "log"})
    for end in ("min", "max"):
        if end not in prior:
            raise ExperimentError(source, f"{key}.{end}", "missing (a prior needs min and max)")
    low, high = (
        _number(source, f"{key}.min", prior["min"]),
        _number(source, f"{key}.max", prior["max"]),
    )
    if not low < high:
        raise ExperimentError(source, key, f"min ({low:g}) must be below max ({high:g})")
    log = expect_bool(ExperimentError, source, f"{key}.log", prior.get("log", False))
    if log and low <= 0:
        raise ExperimentError(source, f"{key}.min", "a log-uniform prior needs min > 0")
    if experiment.model is None and name in BY_KEY and BY_KEY[name].integer:
        raise ExperimentError(
            source, key, "a whole-number parameter cannot be calibrated (ABC-SMC perturbs "
            "continuous values); fix it under [parameters]",
        )  # fmt: skip
    if any(p.name == name for p in experiment.parameters):
        raise ExperimentError(source, key, "also fixed under [parameters]")
    return Prior(name, low, high, log)


def _parse_priors(
    source: str, table: Mapping[str, Any], experiment: Experiment
) -> tuple[Prior, ...]:
    priors_in = _table(source, "calibration.parameters", table.get("parameters", {}))
    if not priors_in:
        raise ExperimentError(
            source, "calibration.parameters", "required: at least one parameter to infer, "
            "as KEY = { min = A, max = B } (log = true for a log-uniform prior)",
        )  # fmt: skip
    priors = tuple(
        _parse_prior(source, f"calibration.parameters.{name}", name, value, experiment)
        for name, value in priors_in.items()
    )
    ranges = tuple(SweptParameter(p.name, "range", low=p.low, high=p.high) for p in priors)
    try:
        if experiment.spec is not None:
            _check_scenario_parameters(source, experiment.spec, ranges)
            _check_design_rules(source, experiment.spec, (*experiment.parameters, *ranges))
        else:
            assert experiment.model is not None
            everything = (*experiment.parameters, *ranges)
            _check_model_parameters(source, experiment.model, experiment.scenario, everything)
    except ExperimentError as err:
        raise _renamed(err, {p.name for p in priors}) from None
    return priors


def _renamed(err: ExperimentError, calibrated: set[str]) -> ExperimentError:
    """``err`` naming ``calibration.parameters.X`` for a calibrated parameter ``X``."""
    key = err.key or ""
    name = key.removeprefix("parameters.")
    if key.startswith("parameters.") and name in calibrated:
        return ExperimentError(err.source, f"calibration.{key}", err.problem)
    return err


def _parse_statistics(
    source: str, table: Mapping[str, Any], experiment: Experiment, priors: tuple[Prior, ...]
) -> tuple[tuple[str, str], ...]:
    from sim.calibration.statistics import parse_statistic

    statistics = _table(source, "calibration.statistics", table.get("statistics", {}))
    if not statistics:
        raise ExperimentError(
            source, "calibration.statistics", "required: at least one statistic, as "
            'NAME = "failure_share" (see docs/calibration.md for the list)',
        )  # fmt: skip
    taken = {p.name for p in priors} | {p.name for p in experiment.parameters} | RESERVED
    parsed = []
    for name, value in statistics.items():
        key = f"calibration.statistics.{name}"
        if not name.isidentifier() or name in taken:
            why = "a name of the calibration's tables" if name in taken else "not an identifier"
            raise ExperimentError(source, key, f"unusable as a statistic's name ({why})")
        text = _string(source, key, value)
        try:
            statistic = parse_statistic(text)
        except ValueError as err:
            raise ExperimentError(source, key, str(err)) from None
        _check_statistic(source, key, statistic, experiment, priors)
        parsed.append((name, statistic.text))
    return tuple(parsed)


def alliance_run_columns() -> tuple[str, ...]:
    """The columns of an alliance run's row: its summary's keys and metrics."""
    from sim.model.summary import METRICS

    return ("survived", "outcome", "lifetime", "founding_members", "final_members", *METRICS)


def _check_statistic(
    source: str, key: str, statistic: Any, experiment: Experiment, priors: tuple[Prior, ...]
) -> None:
    """A function that imports and is callable; an alliance statistic's columns and class."""
    if statistic.kind == "function":
        ref = statistic.args[0]
        _check_ref(source, key, ref, "a statistic function")
        try:
            function = resolve_model(ref, _base_dir(source))
        except AttributeError:
            raise ExperimentError(source, key, f"{ref}: no such name in the module") from None
        except (Exception, SystemExit) as err:
            raise ExperimentError(source, key, f"cannot import {ref} ({_why(err)})") from None
        if not callable(function):
            raise ExperimentError(source, key, f"{ref} is not a function")
        return
    if experiment.model is not None:
        return  # another model's columns are known from its first runs
    if statistic.kind == "share" and statistic.args[0] not in OUTCOMES:
        raise ExperimentError(
            source, key, f"unknown outcome class {statistic.args[0]!r} (one of "
            f"{', '.join(OUTCOMES)})",
        )  # fmt: skip
    known = {*alliance_run_columns(), *(p.name for p in priors), "replicate", "seed"}
    known |= {p.name for p in experiment.parameters}
    for column in statistic.columns():
        if column not in known:
            raise ExperimentError(
                source, key, f"no run column {column!r} (an alliance run has: "
                f"{', '.join(alliance_run_columns())})",
            )  # fmt: skip


def _parse_observation(source: str, key: str, value: Any) -> Observation:
    entry = _table(source, key, value)
    _check_keys(source, key, entry, {"value", "scale", "range"})
    if ("value" in entry) == ("range" in entry):
        raise ExperimentError(
            source, key, "give either value = V with scale = S, or range = [LO, HI]"
        )
    scale = entry.get("scale")
    if scale is not None:
        scale = _number(source, f"{key}.scale", scale)
        if scale <= 0:
            raise ExperimentError(source, f"{key}.scale", "must be above 0")
    if "value" in entry:
        if scale is None:
            raise ExperimentError(source, f"{key}.scale", "required with a value (|x - V| / S)")
        return Observation(_number(source, f"{key}.value", entry["value"]), scale)
    ends = entry["range"]
    if not isinstance(ends, list) or len(ends) != 2:
        raise ExperimentError(source, f"{key}.range", "expected [LO, HI]")
    low = _number(source, f"{key}.range", ends[0])
    high = _number(source, f"{key}.range", ends[1])
    if not low < high:
        raise ExperimentError(source, f"{key}.range", f"LO ({low:g}) must be below HI ({high:g})")
    return Observation(None, high - low if scale is None else scale, low, high)


def _parse_observed(
    source: str, table: Mapping[str, Any], names: list[str]
) -> tuple[Observation, ...]:
    observed = _table(source, "calibration.observed", table.get("observed", {}))
    for name in observed:
        if name not in names:
            raise ExperimentError(
                source, f"calibration.observed.{name}", "not a statistic of "
                "[calibration.statistics]",
            )  # fmt: skip
    for name in names:
        if name not in observed:
            raise ExperimentError(
                source, f"calibration.observed.{name}", "missing: give { value = V, scale = S } "
                "or { range = [LO, HI] }",
            )  # fmt: skip
    return tuple(
        _parse_observation(source, f"calibration.observed.{name}", observed[name]) for name in names
    )
