"""Experiment files: TOML loading and validation into an :class:`Experiment`.

Every problem is raised as :class:`ExperimentError` with one line naming the file and
the key; nothing is run or written before an experiment validates.
"""

from __future__ import annotations

import hashlib
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import (
    check_keys,
    expect_bool,
    expect_folder_name,
    expect_number,
    expect_string,
    expect_table,
)
from sim.experiment.designs import planned_points
from sim.experiment.models import ModelError, call_plan, resolve_model
from sim.experiment.precision import Precision, parse_precision
from sim.experiment.spec import (
    MAX_PLANNED_RUNS,
    MAX_ROOT_SEED,
    METHODS,
    ExperimentError,
    SweptParameter,
    cast_value,
    values_dtype,
)
from sim.locations import shipped_dir, shipped_tomls
from sim.parameters import BY_KEY, MAX_TIES, RULES
from sim.scenario import (
    ScenarioError,
    ScenarioSpec,
    founding_ties,
    load_preset,
    shipped_scenarios,
)

if TYPE_CHECKING:
    from sim.experiment.calibration import CalibrationSpec

LIMIT = 10**7
NUMBERS: dict[str, tuple[int | None, int, int]] = {
    "replications": (1, 1, LIMIT),
    "seed": (0, 0, MAX_ROOT_SEED),
    "horizon": (None, 1, LIMIT),
    "design.samples": (None, 1, LIMIT),
    "design.num_levels": (4, 2, 1000),
    "output.timeseries_every": (0, 0, LIMIT),
}
"""The experiment's own whole-number keys: ``(default, low, high)`` (None: unset)."""


@dataclass(frozen=True)
class Experiment:
    """A validated experiment. Build with :func:`load_experiment` or :func:`parse_experiment`.

    Attributes:
        name: the experiment's name (default results folder ``results/NAME``).
        description: free text.
        scenario: the scenario name or path as written (alliance model), or
            ``module:name`` of another model's Mesa Scenario class (None: found from
            the model).
        spec: the resolved scenario (alliance model only).
        model: ``"package.module:name"`` (or ``"file.py:name"``) of another model, else None.
        replications: runs per design point.
        seed: the root seed.
        method: ``grid``, ``lhs``, ``sobol`` or ``morris``.
        samples: lhs points, sobol base N, or morris trajectories.
        common_random_numbers: the seed depends on the replicate only.
        second_order: sobol designs also sample second-order indices.
        num_levels: morris grid levels.
        parameters: the parameters in file order.
        timeseries_every: record the model's series every k steps (0: none).
        horizon: steps of a Mesa model class (or the scenario horizon override).
        precision: adaptive replication (``[precision]``; ``replications`` is then the
            maximum), or None.
        source: the file the experiment came from.
        text: the file's content.
        calibration: the ``[calibration]`` table of a calibration (see
            :mod:`sim.experiment.calibration`), else None.
    """

    name: str
    description: str = ""
    scenario: str | None = "baseline"
    spec: ScenarioSpec | None = None
    model: str | None = None
    replications: int = 1
    seed: int = 0
    method: str = "grid"
    samples: int | None = None
    common_random_numbers: bool = True
    second_order: bool = False
    num_levels: int = 4
    parameters: tuple[SweptParameter, ...] = ()
    timeseries_every: int = 0
    horizon: int | None = None
    precision: Precision | None = None
    source: str = "<experiment>"
    text: str = ""
    calibration: CalibrationSpec | None = None

    @property
    def sha256(self) -> str:
        """Hash of the experiment file's content."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in the file are resolved against."""
        return Path(self.source).resolve().parent if self.source.endswith(".toml") else Path.cwd()

    def fingerprint(self) -> dict[str, Any]:
        """What a results store must share with the experiment to be extended by it."""
        return {
            "model": self.model or "alliance",
            "scenario": self.scenario if self.model else _without_description(self.spec),
            "seed": self.seed,
            "horizon": self.horizon,
            "common_random_numbers": self.common_random_numbers,
            "timeseries_every": self.timeseries_every,
        }


def _without_description(spec: ScenarioSpec | None) -> dict[str, Any] | None:
    if spec is None:
        return None
    data = spec.to_dict()
    data.pop("description", None)
    return data


def shipped_experiments() -> dict[str, Path]:
    """Shipped experiment names and their files."""
    return shipped_tomls(shipped_dir("experiments"))


def load_experiment(path: str | os.PathLike[str]) -> Experiment:
    """Load and validate an experiment file or a shipped experiment by name.

    Raises :class:`ExperimentError`.
    """
    source = os.fspath(path)
    shipped = shipped_experiments()
    if not Path(source).exists() and source in shipped:
        source = str(shipped[source])
    if Path(source).exists() and not Path(source).is_file():
        raise ExperimentError(source, None, "not a regular file")
    try:
        text = Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        names = ", ".join(shipped) or "none found"
        raise ExperimentError(source, None, f"file not found (shipped: {names})") from None
    except OSError as err:
        raise ExperimentError(source, None, f"cannot read file ({err.strerror})") from None
    except UnicodeDecodeError:
        raise ExperimentError(source, None, "not a UTF-8 text file") from None
    return parse_experiment(text, source)


def parse_experiment(text: str, source: str = "<experiment>") -> Experiment:
    """Validate experiment TOML text; raises :class:`ExperimentError`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ExperimentError(source, None, f"TOML syntax error: {err}") from None
    if "calibration" in data:
        from sim.experiment.calibration import parse_calibration_experiment

        return parse_calibration_experiment(data, source, text)
    return _parse(data, source, text)


_TOP_KEYS = {
    "name",
    "description",
    "scenario",
    "model",
    "replications",
    "seed",
    "horizon",
    "design",
    "parameters",
    "output",
    "precision",
}
_DESIGN_KEYS = {"method", "samples", "common_random_numbers", "second_order", "num_levels"}
_RANGE_KEYS = {"min", "max", "levels", "integer"}


_check_keys = partial(check_keys, ExperimentError)
_table = partial(expect_table, ExperimentError)
_string = partial(expect_string, ExperimentError)
_bool = partial(expect_bool, ExperimentError)


def _whole(source: str, table: Mapping[str, Any], key: str) -> int | None:
    """A whole-number key of :data:`NUMBERS` read from ``table`` (its default when absent)."""
    default, low, high = NUMBERS[key]
    value = table.get(key.rpartition(".")[2], default)
    if value is None:
        return None
    return int(expect_number(ExperimentError, source, key, value, low, high, integer=True))


def _finite(source: str, key: str, value: Any) -> float:
    return float(expect_number(ExperimentError, source, key, value))


def _parse_top(source: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Name, description, model, replications, seed and horizon."""
    default_name = Path(source).stem if source.endswith(".toml") else "experiment"
    name = _string(source, "name", data.get("name", default_name)).strip()
    expect_folder_name(ExperimentError, source, "name", name)
    model = data.get("model")
    if model is not None:
        model = _string(source, "model", model)
    return {
        "name": name,
        "description": _string(source, "description", data.get("description", "")),
        "model": model,
        "replications": _whole(source, data, "replications"),
        "seed": _whole(source, data, "seed"),
        "horizon": _whole(source, data, "horizon"),
    }


def _parse_design(source: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[design]`` table: method, samples and the method's options."""
    design = _table(source, "design", data.get("design", {}))
    _check_keys(source, "design", design, _DESIGN_KEYS)
    method = _string(source, "design.method", design.get("method", "grid"))
    if method not in METHODS:
        raise ExperimentError(
            source, "design.method", f"unknown method '{method}' (one of {', '.join(METHODS)})"
        )
    samples = _whole(source, design, "design.samples")
    if method != "grid" and samples is None:
        raise ExperimentError(source, "design.samples", f"required by the {method} design")
    if method == "sobol" and samples is not None and samples & (samples - 1):
        raise ExperimentError(
            source,
            "design.samples",
            f"sobol needs a power of 2 (for example 64, 128, 256), got {samples}",
        )
    if "num_levels" in design and method != "morris":
        raise ExperimentError(source, "design.num_levels", "applies to morris designs only")
    if "second_order" in design and method != "sobol":
        raise ExperimentError(source, "design.second_order", "applies to sobol designs only")
    crn = design.get("common_random_numbers", True)
    return {
        "method": method,
        "samples": samples,
        "common_random_numbers": _bool(source, "design.common_random_numbers", crn),
        "second_order": _bool(source, "design.second_order", design.get("second_order", False)),
        "num_levels": _whole(source, design, "design.num_levels"),
    }


def _parse_output(source: str, data: Mapping[str, Any]) -> dict[str, Any]:
    output = _table(source, "output", data.get("output", {}))
    _check_keys(source, "output", output, {"timeseries_every"})
    return {"timeseries_every": _whole(source, output, "output.timeseries_every")}


def _parse(data: Mapping[str, Any], source: str, text: str) -> Experiment:
    _check_keys(source, "", data, _TOP_KEYS)
    top = _parse_top(source, data)
    design = _parse_design(source, data)
    model, spec, scenario = top["model"], None, None
    if model is None:
        scenario = _string(source, "scenario", data.get("scenario", "baseline"))
        spec = _resolve_scenario(source, scenario)
        if top["horizon"] is not None:
            spec = _apply(source, "horizon", spec, {"horizon": top["horizon"]})
    else:
        _check_model(source, model)
        if "scenario" in data:
            scenario = _string(source, "scenario", data["scenario"])
            _check_ref(source, "scenario", scenario, SCENARIO_CLASS)
    parameters_in = _table(source, "parameters", data.get("parameters", {}))
    parameters = tuple(
        _parse_parameter(source, key, value, design["method"], model is None)
        for key, value in parameters_in.items()
    )
    if design["method"] != "grid" and not any(p.sampled for p in parameters):
        raise ExperimentError(
            source,
            "parameters",
            f"the {design['method']} design needs at least one range or list to sample",
        )
    if spec is not None:
        _check_scenario_parameters(source, spec, parameters)
        _check_design_rules(source, spec, parameters)
    else:
        _check_model_parameters(source, model, scenario, parameters)
    experiment = Experiment(
        **top, **design, **_parse_output(source, data), scenario=scenario, spec=spec,
        parameters=parameters, source=source, text=text,
        precision=parse_precision(source, data.get("precision"), top["replications"], not model),
    )  # fmt: skip
    _check_size(experiment)
    return experiment


def _check_size(experiment: Experiment) -> None:
    """Refuse a design above :data:`MAX_PLANNED_RUNS`, counted from its shape alone."""
    points = planned_points(experiment)
    planned = points * experiment.replications
    if planned > MAX_PLANNED_RUNS:
        key = "replications" if experiment.replications > MAX_PLANNED_RUNS else "design"
        raise ExperimentError(
            experiment.source,
            key,
            f"{points} points x {experiment.replications} replications = {planned} planned "
            f"runs exceed the limit of {MAX_PLANNED_RUNS} (split the experiment)",
        )


def _resolve_scenario(source: str, scenario: str) -> ScenarioSpec:
    candidates: list[str | Path] = [scenario]
    if scenario not in shipped_scenarios() and source.endswith(".toml"):
        beside = Path(source).resolve().parent / scenario
        if beside.exists() and not Path(scenario).exists():
            candidates = [beside]
    try:
        return load_preset(candidates[0])
    except ScenarioError as err:
        if err.source in (scenario, str(candidates[0])) and err.key is None:
            raise ExperimentError(source, "scenario", err.problem) from None
        raise ExperimentError(source, "scenario", str(err)) from None


def _apply(source: str, key: str, spec: ScenarioSpec, overrides: dict[str, Any]) -> ScenarioSpec:
    try:
        return spec.with_overrides(overrides, source=source)
    except ScenarioError as err:
        raise ExperimentError(source, key, err.problem) from None


def _parse_levels(source: str, key: str, name: str, value: list[Any]) -> SweptParameter:
    if not value:
        raise ExperimentError(source, key, "empty list")
    for item in value:
        if isinstance(item, list | dict) or (isinstance(item, float) and not math.isfinite(item)):
            raise ExperimentError(source, key, f"list values must be finite scalars, got {item!r}")
        if isinstance(item, int) and not isinstance(item, bool):
            expect_number(ExperimentError, source, key, item, integer=True)
    kinds = {values_dtype((item,)) for item in value}
    if len(kinds) > 1 and not kinds <= {"int64", "float64"}:
        raise ExperimentError(source, key, "list values must all be numbers, strings or booleans")
    dtype = values_dtype(tuple(value))
    values = tuple(dict.fromkeys(cast_value(item, dtype) for item in value))
    if len(values) != len(value):
        raise ExperimentError(source, key, "list has repeated values")
    return SweptParameter(name, "levels", values=values)


def _parse_range(
    source: str, key: str, name: str, value: Mapping[str, Any], method: str, integer: bool
) -> SweptParameter:
    _check_keys(source, key, value, _RANGE_KEYS)
    for end in ("min", "max"):
        if end not in value:
            raise ExperimentError(source, f"{key}.{end}", "missing (a range needs min and max)")
    low = _finite(source, f"{key}.min", value["min"])
    high = _finite(source, f"{key}.max", value["max"])
    if not low < high:
        raise ExperimentError(source, key, f"min ({low:g}) must be below max ({high:g})")
    integer = _bool(source, f"{key}.integer", value.get("integer", integer))
    if integer and (low != int(low) or high != int(high)):
        raise ExperimentError(source, key, "an integer range needs whole-number ends")
    levels = value.get("levels")
    if levels is not None:
        if method != "grid":
            raise ExperimentError(source, f"{key}.levels", "applies to grid designs only")
        levels = int(
            expect_number(ExperimentError, source, f"{key}.levels", levels, 2, 10**6, integer=True)
        )
    elif method == "grid":
        raise ExperimentError(
            source, key, "a range in a grid design needs levels = k (or give a list of values)"
        )
    return SweptParameter(name, "range", low=low, high=high, levels=levels, integer=integer)


def _parse_parameter(
    source: str, name: str, value: Any, method: str, alliance: bool
) -> SweptParameter:
    key = f"parameters.{name}"
    if not alliance and not name.isidentifier():
        raise ExperimentError(source, key, "a model parameter must be a Python identifier")
    if isinstance(value, list):
        return _parse_levels(source, key, name, value)
    if isinstance(value, Mapping):
        integer = alliance and name in BY_KEY and BY_KEY[name].integer
        return _parse_range(source, key, name, value, method, integer)
    if isinstance(value, float) and not math.isfinite(value):
        raise ExperimentError(source, key, f"expected a finite value, got {value}")
    if not isinstance(value, bool | int | float | str):
        raise ExperimentError(
            source, key, f"expected a value, a list or a range table, got {type(value).__name__}"
        )
    return SweptParameter(name, "fixed", values=(value,))


def _check_scenario_parameters(
    source: str, spec: ScenarioSpec, parameters: tuple[SweptParameter, ...]
) -> None:
    for parameter in parameters:
        key = f"parameters.{parameter.name}"
        if parameter.kind == "range":
            probes = [parameter.low, parameter.high]
            if parameter.integer:
                probes = [int(p) for p in probes]
        else:
            probes = list(parameter.values)
        for probe in probes:
            try:
                spec.with_overrides({parameter.name: probe}, source=source)
            except ScenarioError as err:
                problem = err.problem
                if err.key and err.key != parameter.name:
                    problem = f"{err.key}: {problem}"
                raise ExperimentError(source, key, problem) from None


def _extreme(
    spec: ScenarioSpec, parameters: tuple[SweptParameter, ...], key: str, high: bool
) -> Any:
    """The largest (``high``) or smallest value ``key`` takes at any design point."""
    for parameter in parameters:
        if parameter.name == key:
            if parameter.kind == "range":
                return parameter.high if high else parameter.low
            return max(parameter.values) if high else min(parameter.values)
    return spec.get(key)


def _check_design_rules(
    source: str, spec: ScenarioSpec, parameters: tuple[SweptParameter, ...]
) -> None:
    """Check each rule ``a <= b`` of :data:`~sim.parameters.RULES` at every design point.

    A point may combine any value of one swept parameter with any of another, so the
    largest ``a`` is held against the smallest ``b``.
    """
    swept = {p.name for p in parameters}
    for first, second in RULES:
        if first not in swept and second not in swept:
            continue
        low = _extreme(spec, parameters, first, high=True)
        high = _extreme(spec, parameters, second, high=False)
        if low > high:
            key = f"parameters.{first if first in swept else second}"
            raise ExperimentError(
                source,
                key,
                f"the design has points with {first} = {low:g} and {second} = {high:g}; "
                f"{first} must not exceed {second}",
            )
    network = ("alliance.members", "alliance.mean_degree")
    if swept & set(network):
        members, degree = (_extreme(spec, parameters, key, high=True) for key in network)
        ties = founding_ties(int(members), float(degree))
        if ties > MAX_TIES:
            key = "alliance.mean_degree" if "alliance.mean_degree" in swept else network[0]
            raise ExperimentError(
                source,
                f"parameters.{key}",
                f"the design has points with {members:g} members and mean degree {degree:g}: "
                f"{ties:,} ties; at most {MAX_TIES:,} fit in memory",
            )


def _check_model_parameters(
    source: str, model: str, scenario: str | None, parameters: tuple[SweptParameter, ...]
) -> None:
    """Check that the model takes a seed and every parameter (see :func:`call_plan`)."""
    names = [parameter.name for parameter in parameters]
    try:
        call_plan(model, names, scenario, _base_dir(source))
    except ModelError as err:
        key = err.key if err.key in ("model", "scenario") else f"parameters.{err.key}"
        raise ExperimentError(source, key, err.problem) from None
    except (Exception, SystemExit) as err:
        key, ref = ("scenario", scenario) if scenario else ("model", model)
        raise ExperimentError(source, key, f"cannot import {ref} ({_why(err)})") from None


def _why(error: BaseException) -> str:
    """One line on why importing a model failed."""
    if isinstance(error, SystemExit):
        return f"its module called sys.exit({error.code!r})"
    if isinstance(error, SyntaxError):
        where = f"{Path(error.filename or '?').name}:{error.lineno}"
        return f"SyntaxError: {error.msg} at {where}"
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _base_dir(source: str) -> Path | None:
    """The experiment file's folder (None for text not read from a file)."""
    return Path(source).resolve().parent if source.endswith(".toml") else None


SCENARIO_CLASS = "the model's Mesa Scenario class (scenario files apply to the alliance model)"


def _check_ref(source: str, key: str, ref: str, what: str) -> None:
    """Raise unless ``ref`` has the form ``module:name``."""
    if ref.count(":") != 1 or not all(ref.split(":")):
        raise ExperimentError(source, key, f"expected 'package.module:name' of {what}, got {ref!r}")


def _check_model(source: str, model: str) -> None:
    _check_ref(source, "model", model, "a model class or function")
    try:
        target = resolve_model(model, _base_dir(source))
    except AttributeError:
        raise ExperimentError(source, "model", f"{model}: no such name in the module") from None
    except (Exception, SystemExit) as err:
        raise ExperimentError(source, "model", f"cannot import {model} ({_why(err)})") from None
    if not callable(target):
        raise ExperimentError(source, "model", f"{model} is not a class or a function")
