"""Running one run of any model: the alliance model, a Mesa model class or a function.

A :class:`ModelTarget` says what to call and pickles to any worker; :func:`run_chunk`
is the unit of work an executor runs. A run that raises, or that produces no outcome,
becomes a ``failed`` :class:`~sim.store.RunOutput`, never an exception.

A worker imports this module and what its model imports, nothing more: neither
pandas nor pyarrow nor the compiled kernel unless the model needs them.
"""

from __future__ import annotations

import functools
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import INT64, show_number
from sim.experiment.models import CallPlan, call_plan, resolve_model
from sim.experiment.spec import DEFAULT_MESA_HORIZON, SIMULATE_REF
from sim.store.output import RunOutput
from sim.sweeps.worker import clear, mark

if TYPE_CHECKING:
    from sim.experiment.designs import Design
    from sim.experiment.files import Experiment
    from sim.scenario import ScenarioSpec

RESERVED_COLUMNS = frozenset(
    {"run_id", "point_id", "replicate", "status", "seed", "duration_s", "error", "episode"}
)


@dataclass(frozen=True)
class ModelTarget:
    """What every run of a sweep calls, in a form that pickles to any worker.

    Attributes:
        kind: ``alliance`` (the alliance model's run function) or ``model`` (an
            importable Mesa model class or plain function).
        ref: ``module:name`` (or ``file.py:name``) of the run function or model.
        base_dir: the experiment's folder (a relative ``file.py`` or a module is found there).
        spec: the resolved scenario (alliance only).
        record_every: record series every k steps (0: none).
        horizon: steps of a Mesa model class.
        plan: how a run builds the model (another model only).
    """

    kind: str
    ref: str
    base_dir: str | None = None
    spec: ScenarioSpec | None = None
    record_every: int = 0
    horizon: int | None = None
    plan: CallPlan | None = None


@dataclass(frozen=True)
class RunTask:
    """One planned run: its id, seed and parameter values."""

    run_id: str
    seed: int
    params: tuple[tuple[str, Any], ...]


def model_target(experiment: Experiment) -> ModelTarget:
    """The :class:`ModelTarget` of an experiment."""
    base_dir = str(experiment.base_dir)
    if experiment.model is None:
        return ModelTarget(
            kind="alliance",
            ref=SIMULATE_REF,
            base_dir=base_dir,
            spec=experiment.spec,
            record_every=experiment.timeseries_every,
        )
    names = [parameter.name for parameter in experiment.parameters]
    return other_target(
        experiment.model, names, experiment.scenario, base_dir,
        experiment.timeseries_every, experiment.horizon,
    )  # fmt: skip


def other_target(
    ref: str,
    names: Sequence[str],
    scenario: str | None,
    base_dir: str | None,
    record_every: int,
    horizon: int | None,
) -> ModelTarget:
    """The :class:`ModelTarget` of a model other than the alliance model."""
    plan = call_plan(ref, names, scenario, base_dir)
    return ModelTarget("model", ref, base_dir, None, record_every, horizon, plan)


def _scalar(name: str, value: Any, as_float: bool = False) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        if not INT64[0] <= int(value) <= INT64[1]:
            raise ValueError(
                f"outcome {name!r} is {show_number(int(value))}: outside 64-bit integers"
            )
        return float(value) if as_float else int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    raise TypeError(
        f"outcome {name!r} is a {type(value).__name__} (expected a number, a boolean, "
        "a string or None)"
    )


def normalize_result(
    result: Mapping[str, Any], param_names: Sequence[str] = ()
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, np.ndarray] | None]:
    """Split a model's result dict into scalar outcomes, crisis episodes and series.

    ``metrics`` (a dict) is flattened into the outcomes as floats, ``crises`` (a list of
    dicts) and ``series`` (column -> array) go to their own tables, ``seed`` is dropped.
    """
    if not isinstance(result, Mapping):
        raise TypeError(f"the model returned a {type(result).__name__}, not a dict of outcomes")
    outcomes: dict[str, Any] = {}
    crises: list[dict[str, Any]] = []
    series: dict[str, np.ndarray] | None = None
    for key, value in result.items():
        if key == "seed":
            continue
        if key == "metrics" and isinstance(value, Mapping):
            for name, metric in value.items():
                outcomes[str(name)] = _scalar(str(name), metric, as_float=True)
        elif key == "crises" and isinstance(value, list):
            for episode in value:
                crises.append({str(k): _scalar(f"crises.{k}", v) for k, v in episode.items()})
        elif key == "series" and isinstance(value, Mapping):
            series = {str(k): np.asarray(v) for k, v in value.items()}
            lengths = {len(v) for v in series.values()}
            if len(lengths) > 1:
                raise ValueError(f"series columns of unequal lengths {sorted(lengths)}")
        else:
            outcomes[str(key)] = _scalar(str(key), value)
    clashes = (set(outcomes) & RESERVED_COLUMNS) | (set(outcomes) & set(param_names))
    if clashes:
        raise ValueError(f"outcome names clash with store columns: {', '.join(sorted(clashes))}")
    return outcomes, crises, series


class NoOutcome(RuntimeError):
    """A run that produced nothing to store."""


NO_OUTCOME = "no summary(), no DataCollector, or nothing collected"


def error_text(error: BaseException) -> str:
    """One line: the error's type, message and the innermost place it was raised."""
    message = " ".join(str(error).split())
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    frames = traceback.extract_tb(error.__traceback__)
    if frames and not isinstance(error, NoOutcome):
        last = frames[-1]
        text += f" (at {Path(last.filename).name}:{last.lineno} in {last.name})"
    return text


@functools.lru_cache(maxsize=64)
def _spec_with(spec: ScenarioSpec, params: tuple[tuple[str, Any], ...]) -> ScenarioSpec:
    """The scenario with a point's overrides (cached: replicates of a point share it)."""
    return spec.with_overrides(dict(params), source="parameters") if params else spec


def _run_model(target: ModelTarget, params: dict[str, Any], seed: int) -> Mapping[str, Any]:
    model = resolve_model(target.ref, target.base_dir)
    if target.kind == "alliance":
        assert target.spec is not None
        spec = _spec_with(target.spec, tuple(params.items()))
        return model(preset=spec, rng=seed, record_every=target.record_every)
    if isinstance(model, type):
        return _run_mesa(build_mesa(model, target, params, seed), target)
    result = model(**params, rng=np.random.default_rng(seed))
    if isinstance(result, Mapping) and not result:
        raise NoOutcome("the model returned no outcome")
    return result


def build_mesa(cls: type, target: ModelTarget, params: dict[str, Any], seed: int) -> Any:
    """A Mesa model class built as the target's plan says, seeded with ``seed``."""
    plan = target.plan or CallPlan("keywords")
    if plan.style != "scenario":
        return cls(**params, rng=seed)
    assert plan.scenario is not None
    scenario_class = resolve_model(plan.scenario, target.base_dir)
    inner = {name: value for name, value in params.items() if name in plan.scenario_keys}
    outer = {name: value for name, value in params.items() if name not in plan.scenario_keys}
    return cls(scenario=scenario_class(rng=seed, **inner), **outer)


def _collected(model: Any) -> dict[str, list[Any]]:
    """The DataCollector's model variables (name -> one value per collect()), if any."""
    collector = getattr(model, "datacollector", None)
    columns = getattr(collector, "model_vars", None) or {}
    return {str(name): list(values) for name, values in columns.items() if len(values)}


def _run_mesa(model: Any, target: ModelTarget) -> dict[str, Any]:
    """Step ``model`` to its end or the horizon; its summary() or last collected values.

    Each outcome keeps its own type (an integer reporter stays an integer); a run that
    yields neither raises :class:`NoOutcome`.
    """
    horizon = target.horizon or DEFAULT_MESA_HORIZON
    steps = 0
    while getattr(model, "running", True) and steps < horizon:
        model.step()
        steps += 1
    columns = _collected(model)
    summary = getattr(model, "summary", None)
    if callable(summary):
        result = dict(summary())
    elif columns:
        result = {name: values[-1] for name, values in columns.items()}
    else:
        raise NoOutcome(NO_OUTCOME)
    result.setdefault("steps", steps)
    if target.record_every > 0 and columns:
        every = target.record_every
        length = len(next(iter(columns.values())))
        series = {"step": np.arange(length, dtype=np.int64)[::every]}
        for name, values in columns.items():
            series[name] = np.asarray(values[::every])
        result["series"] = series
    return result


def run_one(target: ModelTarget, task: RunTask) -> RunOutput:
    """Run one task; a model that raises gives a ``failed`` output, never an exception."""
    params = dict(task.params)
    start = time.perf_counter()
    try:
        result = _run_model(target, params, task.seed)
        outcomes, crises, series = normalize_result(result, list(params))
    except (Exception, SystemExit) as error:
        return RunOutput(
            run_id=task.run_id,
            seed=task.seed,
            status="failed",
            duration_s=time.perf_counter() - start,
            error=error_text(error),
        )
    return RunOutput(
        run_id=task.run_id,
        seed=task.seed,
        status="ok",
        outcomes=outcomes,
        crises=crises,
        series=series,
        duration_s=time.perf_counter() - start,
    )


def run_chunk(target: ModelTarget, tasks: list[RunTask]) -> list[RunOutput]:
    """Run a chunk of tasks in order (the unit sent to a worker).

    In a pool worker, each run's id is marked while it runs (see :mod:`sim.sweeps.worker`).
    """
    outputs = []
    for task in tasks:
        mark(task.run_id)
        outputs.append(run_one(target, task))
    clear()
    return outputs


def run_chunk_packed(packed: tuple[ModelTarget, list[RunTask]]) -> list[RunOutput]:
    """:func:`run_chunk` of a ``(target, tasks)`` pair."""
    return run_chunk(*packed)


def design_tasks(design: Design, rows: Sequence[int] | np.ndarray) -> Iterator[RunTask]:
    """Tasks for the given design rows, in order."""
    frame = design.runs
    names = list(design.dtypes)
    run_ids = frame["run_id"].to_numpy()
    seeds = frame["seed"].to_numpy()
    values = {name: frame[name].tolist() for name in names}
    for row in rows:
        params = tuple((name, values[name][row]) for name in names)
        yield RunTask(str(run_ids[row]), int(seeds[row]), params)
