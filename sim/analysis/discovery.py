"""Scenario discovery with PRIM: where in the swept parameters a condition on the runs holds.

The runs where ``where`` holds (a pandas expression over the runs table, evaluated with
``DataFrame.eval``) are the cases of interest; the inputs are the design's swept
parameters; runs that failed are left out. PRIM, the Patient Rule Induction Method
(Friedman & Fisher 1999), as EMA Workbench implements it for scenario discovery (Bryant &
Lempert 2010; Kwakkel 2017), starts from the box that holds every run and peels off
``peel_alpha`` of its runs at a time, from one end of one parameter: the peel that raises
the share of cases inside the most per run removed. It stops when a box would hold less
than ``mass_min`` of the runs or no peel helps, then pastes back what raises that share.
Each box on this peeling trajectory has a coverage (the share of all cases inside it),
a density (the share of its runs that are cases) and a mass (its share of all runs).

The chosen box is the one with the largest coverage x density among the boxes whose
density reaches ``threshold`` (ties: fewer restricted parameters, then the earlier box);
there is none when no box reaches it. A restricted parameter's quasi-p-value (Bryant &
Lempert 2010) is the one-sided binomial probability of finding at least the box's cases
among its runs if the share of cases were that of the box without this parameter's
restriction; a large one marks a restriction that adds little.

The peeling and pasting, and each box's limits, coverage, density and mass, are EMA
Workbench's (:mod:`ema_workbench.analysis.prim`, in the ``discover`` extra; imported only
when a discovery runs, since it loads scikit-learn, statsmodels and seaborn). The
quasi-p-values are computed here from each box's limits, one per parameter: EMA Workbench
gives one per restricted end. Typical use::

    found = discover("results/leadership-sobol", "outcome == 'collapse'")
    found.trajectory  # box, coverage, density, mass, restricted_dims, runs, cases
    found.box.limits  # the chosen box: min, max, levels, qp_value per restricted parameter
    found.select(12)  # another box of the trajectory
"""

from __future__ import annotations

import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from sim.errors import InputError
from sim.store.reader import Results, load

THRESHOLD = 0.8
"""Default minimum density of the chosen box (the threshold of EMA Workbench's PRIM examples)."""
PEEL_ALPHA = 0.05
"""Default share of a box's runs peeled off at each step (EMA Workbench's default)."""
PASTE_ALPHA = 0.05
"""Share of runs pasted back at each step (EMA Workbench's default)."""
MASS_MIN = 0.05
"""Smallest share of the runs a box may hold (EMA Workbench's default)."""
RULE = "the largest coverage x density among the boxes whose density reaches the threshold"
"""How the chosen box is picked (ties: fewer restricted parameters, then the earlier box)."""

Limit = tuple[Any, Any] | frozenset[Any]
"""A parameter's limits in a box: ``(min, max)``, or the levels kept (text, true/false)."""


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _unknown_name(runs: pd.DataFrame, err: NameError) -> str:
    """The problem of a name that is not a column, with the columns (and a backtick hint)."""
    found = re.search(r"'([^']*)'", str(err))
    name = found.group(1) if found else _one_line(err)
    hint = ""
    if any(str(c).startswith(f"{name}.") for c in runs.columns):
        hint = "; a name with dots goes in backticks (`leadership.relationships`)"
    columns = ", ".join(map(str, runs.columns))
    return f"names an unknown column {name!r}{hint} (the runs' columns: {columns})"


def cases_of_interest(runs: pd.DataFrame, where: str) -> pd.Series:
    """Whether ``where`` holds for each run of ``runs`` (a boolean Series).

    Raises:
        InputError: ``where`` does not parse, names an unknown column, or is not true or
            false for each run (the message names ``--where``).
    """
    try:
        result = runs.eval(where, engine="python")
    except NameError as err:  # pandas' UndefinedVariableError
        raise InputError("--where", where, _unknown_name(runs, err)) from None
    except SyntaxError as err:
        raise InputError("--where", where, f"does not parse ({err.msg})") from None
    except Exception as err:  # pandas raises many kinds for an expression it cannot evaluate
        problem = f"cannot be evaluated ({type(err).__name__}: {_one_line(err)})"
        raise InputError("--where", where, problem) from None
    if not isinstance(result, pd.Series) or len(result) != len(runs):
        kind = type(result).__name__
        kind = "an assignment" if isinstance(result, pd.DataFrame) else f"one {kind}"
        raise InputError("--where", where, f"is not a condition on each run (it gives {kind})")
    if isinstance(result.dtype, pd.BooleanDtype):
        result = result.fillna(False).astype(bool)
    if result.dtype != bool:
        raise InputError(
            "--where", where, f"is not boolean (it gives {result.dtype} values, not true/false)"
        )
    return result


def _inside(x: pd.DataFrame, limits: dict[str, Limit]) -> np.ndarray:
    """Which rows of ``x`` lie inside the box ``limits``."""
    mask = np.ones(len(x), dtype=bool)
    for name, limit in limits.items():
        values = x[name]
        if isinstance(limit, frozenset):
            mask &= values.isin(limit).to_numpy()
        else:
            mask &= ((values >= limit[0]) & (values <= limit[1])).to_numpy()
    return mask


def _ema_prim() -> ModuleType:
    """EMA Workbench's PRIM module, imported on first use.

    Importing EMA Workbench warns about optional packages it does without (ipyparallel for
    its parallel evaluator, altair for interactive inspection), features that discovery
    does not use; those warnings are silenced for the import only, and logging is left as
    it is.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    return prim


def _prim_inputs(x: pd.DataFrame) -> tuple[pd.DataFrame, set[str]]:
    """``x`` as EMA Workbench's PRIM takes it, and the names of its integer parameters.

    Numbers go in as float64, which PRIM peels by quantiles; true/false and text
    parameters go in as they are, which PRIM peels by dropping a level. Integers are
    numbers too: EMA Workbench 3.0.0 pastes an integer parameter by writing a limit
    between two integers into an integer column, which pandas 3 refuses (a TypeError).
    :func:`_limits` rounds their limits inward to integers, which keeps each box's runs.
    """
    columns: dict[str, pd.Series] = {}
    integers: set[str] = set()
    for name, values in x.items():
        if pd.api.types.is_bool_dtype(values.dtype):
            columns[str(name)] = values.astype(bool)
        elif pd.api.types.is_numeric_dtype(values.dtype):
            if pd.api.types.is_integer_dtype(values.dtype):
                integers.add(str(name))
            columns[str(name)] = values.astype(np.float64)
        else:
            columns[str(name)] = values
    return pd.DataFrame(columns, index=x.index), integers


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value."""
    return value.item() if isinstance(value, np.generic) else value


def _limits(lims: pd.DataFrame, integers: set[str]) -> dict[str, Limit]:
    """An EMA Workbench box's limits (a frame: the lower row, then the upper) by parameter.

    An integer parameter's limits are rounded inward to the integers they hold.
    """
    limits: dict[str, Limit] = {}
    for name in lims.columns:
        low, high = lims[name].iloc[0], lims[name].iloc[1]
        if isinstance(low, set | frozenset):
            limits[str(name)] = frozenset(_plain(v) for v in low)
        elif name in integers:
            limits[str(name)] = (math.ceil(low), math.floor(high))
        else:
            limits[str(name)] = (_plain(low), _plain(high))
    return limits


TRAJECTORY_COLUMNS = {
    "id": "box", "coverage": "coverage", "density": "density", "mass": "mass",
    "res_dim": "restricted_dims", "n": "runs", "k": "cases",
}  # fmt: skip
"""The columns of EMA Workbench's peeling trajectory, by the name :class:`Discovery` uses."""


def peeling_trajectory(
    x: pd.DataFrame,
    y: np.ndarray,
    peel_alpha: float = PEEL_ALPHA,
    paste_alpha: float = PASTE_ALPHA,
    mass_min: float = MASS_MIN,
) -> tuple[list[dict[str, Limit]], pd.DataFrame]:
    """PRIM's first peeling (and pasting) trajectory, by EMA Workbench: the limits of
    every box, in order, and one row per box (``box``, ``coverage``, ``density``, ``mass``,
    ``restricted_dims``, ``runs``, ``cases``)."""
    prim = _ema_prim()
    inputs, integers = _prim_inputs(x)
    with warnings.catch_warnings():
        # pandas' notices of what it will deprecate, about EMA Workbench's own calls
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"ema_workbench\.")
        found = prim.Prim(
            inputs, y, peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min
        ).find_box()
    boxes = [_limits(lims, integers) for lims in found.box_lims]
    table = found.peeling_trajectory[list(TRAJECTORY_COLUMNS)].rename(columns=TRAJECTORY_COLUMNS)
    kinds = {"coverage": float, "density": float, "mass": float}
    trajectory = table.astype({name: kinds.get(name, int) for name in table.columns})
    return boxes, trajectory.reset_index(drop=True)


def _restricted(limits: dict[str, Limit], initial: dict[str, Limit]) -> dict[str, Limit]:
    return {name: limit for name, limit in limits.items() if limit != initial[name]}


def quasi_p(x: pd.DataFrame, y: np.ndarray, limits: dict[str, Limit], name: str) -> float:
    """The quasi-p-value of the restriction on ``name`` of the box ``limits``.

    ``P(X >= H)`` for ``X ~ Binomial(T, p)``: ``T`` runs and ``H`` cases in the box, ``p``
    the share of cases in the box without the restriction on ``name``.
    """
    inside = _inside(x, limits)
    wider = _inside(x, {k: v for k, v in limits.items() if k != name})
    share = y[wider].sum() / wider.sum()
    return float(binom.sf(y[inside].sum() - 1, inside.sum(), share))


@dataclass
class Box:
    """One box of the peeling trajectory.

    Attributes:
        index: its place on the trajectory (0: the whole space).
        coverage: the share of all cases of interest inside it.
        density: the share of its runs that are cases of interest.
        mass: its share of all runs.
        runs: its runs.
        cases: its cases of interest.
        limits: one row per restricted parameter (most significant first): ``parameter``,
            ``min``, ``max`` (None for a parameter of levels), ``levels`` (the levels kept,
            or None), ``qp_value``, and ``low``, ``high``: the parameter's range in the runs.
    """

    index: int
    coverage: float
    density: float
    mass: float
    runs: int
    cases: int
    limits: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        """The box as JSON-ready values: ``limits`` is ``{parameter: [min, max]}`` (the
        levels kept for a parameter of levels), ``qp_values`` ``{parameter: qp}``."""
        rows = self.limits.to_dict("records")
        return {
            "box": self.index,
            "coverage": self.coverage,
            "density": self.density,
            "mass": self.mass,
            "restricted_dims": len(rows),
            "limits": {
                r["parameter"]: sorted(r["levels"], key=str)
                if r["levels"] is not None
                else [r["min"], r["max"]]
                for r in rows
            },
            "qp_values": {r["parameter"]: r["qp_value"] for r in rows},
        }


@dataclass
class Discovery:
    """The result of :func:`discover`.

    Attributes:
        store: the store folder.
        where: the condition that marks the cases of interest.
        parameters: the inputs (the design's swept parameters).
        runs: the runs used (status ok).
        cases: the cases of interest among them.
        failed: runs left out because they failed.
        pending: planned runs not in the store yet (a sweep still running or stopped).
        threshold: the minimum density of the chosen box.
        peel_alpha: the share peeled off at each step.
        trajectory: one row per box: ``box``, ``coverage``, ``density``, ``mass``,
            ``restricted_dims``, ``runs``, ``cases``.
        chosen: the chosen box's index (None when no box reaches the threshold).
        picked: whether ``chosen`` was asked for (``box=``) rather than picked by :data:`RULE`.
        box: the chosen box (None when there is none).
    """

    store: Path
    where: str
    parameters: list[str]
    runs: int
    cases: int
    failed: int
    pending: int
    threshold: float
    peel_alpha: float
    trajectory: pd.DataFrame
    chosen: int | None
    picked: bool
    box: Box | None = None
    _x: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    _y: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), repr=False)
    _boxes: list[dict[str, Limit]] = field(default_factory=list, repr=False)

    def select(self, index: int) -> Box:
        """Box ``index`` of the trajectory, with its limits and quasi-p-values."""
        if not 0 <= index < len(self._boxes):
            raise InputError(
                "--box", str(index), f"the trajectory has boxes 0 to {len(self._boxes) - 1}"
            )
        row = self.trajectory.iloc[index]
        restricted = _restricted(self._boxes[index], self._boxes[0])
        rows = [self._limit_row(name, limit, index) for name, limit in restricted.items()]
        columns = ["parameter", "min", "max", "levels", "qp_value", "low", "high"]
        limits = pd.DataFrame(rows, columns=columns, dtype=object)  # integers stay integers
        limits["qp_value"] = limits["qp_value"].astype(float)
        limits = limits.sort_values("qp_value", kind="stable").reset_index(drop=True)
        return Box(
            index=index,
            coverage=float(row["coverage"]),
            density=float(row["density"]),
            mass=float(row["mass"]),
            runs=int(row["runs"]),
            cases=int(row["cases"]),
            limits=limits,
        )

    def _limit_row(self, name: str, limit: Limit, index: int) -> dict[str, Any]:
        """A restricted parameter's row of :attr:`Box.limits`."""
        row = {"parameter": name, "qp_value": quasi_p(self._x, self._y, self._boxes[index], name)}
        if isinstance(limit, frozenset):
            kept = tuple(sorted(limit, key=str))
            return row | {"min": None, "max": None, "levels": kept, "low": None, "high": None}
        low, high = self._boxes[0][name]
        return row | {"min": limit[0], "max": limit[1], "levels": None, "low": low, "high": high}

    def to_json(self) -> dict[str, Any]:
        """The discovery as one JSON-ready object: the chosen box's figures at the top
        level (null when there is none), then the whole trajectory."""
        chosen: dict[str, Any] = {"box": None, "coverage": None, "density": None, "mass": None}
        chosen |= {"restricted_dims": 0, "limits": {}, "qp_values": {}}
        if self.box is not None:
            chosen |= self.box.to_json()
        return {
            "store": os.fspath(self.store),
            "where": self.where,
            "parameters": self.parameters,
            "runs": self.runs,
            "cases": self.cases,
            "failed": self.failed,
            "pending": self.pending,
            "threshold": self.threshold,
            "peel_alpha": self.peel_alpha,
            "paste_alpha": PASTE_ALPHA,
            "mass_min": MASS_MIN,
            "rule": "asked for (--box)" if self.picked else RULE,
            **chosen,
            "trajectory": self.trajectory.to_dict("records"),
        }


def choose(trajectory: pd.DataFrame, threshold: float) -> int | None:
    """The box :data:`RULE` picks from ``trajectory`` (None when no box reaches ``threshold``)."""
    eligible = trajectory[trajectory["density"] >= threshold]
    if eligible.empty:
        return None
    ranked = eligible.assign(score=-(eligible["coverage"] * eligible["density"]))
    ranked = ranked.sort_values(["score", "restricted_dims", "box"], kind="stable")
    return int(ranked["box"].iloc[0])


def _check_fraction(flag: str, value: float, low: float, high: float, closed: bool) -> None:
    top = value <= high if closed else value < high
    if not (isinstance(value, int | float) and low < value and top):
        end = "]" if closed else ")"
        raise InputError(flag, None, f"{value} is not in ({low:g}, {high:g}{end}")


def _inputs(res: Results) -> list[str]:
    """The swept parameters that the runs table holds."""
    parameters = [p for p in res.parameters if p in res.runs.columns]
    if not parameters:
        problem = "the design sweeps no parameter: there is nothing to discover"
        raise InputError(os.fspath(res.path), None, problem)
    return parameters


def _cases(res: Results, where: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The finished runs and which of them are cases of interest (some, not all)."""
    ok = res.ok.infer_objects()  # a column of true/false with failed runs' nulls: bool again
    if ok.empty:
        raise InputError(os.fspath(res.path), None, "the store holds no finished run")
    y = cases_of_interest(ok, where).to_numpy()
    if not y.any() or y.all():
        which = "no" if not y.any() else "every"
        raise InputError("--where", where, f"is true for {which} run (of {len(ok)} finished runs)")
    return ok, y


def discover(
    store: str | os.PathLike[str] | Results,
    where: str,
    *,
    box: int | None = None,
    threshold: float = THRESHOLD,
    peel_alpha: float = PEEL_ALPHA,
) -> Discovery:
    """Find the box of swept parameters where ``where`` holds, by PRIM.

    Args:
        store: a results store folder, or a loaded :class:`Results`.
        where: a condition on the runs table's columns (``DataFrame.eval``), for example
            ``"outcome == 'collapse' and lifetime < 60"``; a name with dots goes in
            backticks (`` `leadership.relationships` > 0.5 ``).
        box: the box of the trajectory to choose (default: :data:`RULE`).
        threshold: the minimum density of the chosen box, in (0, 1].
        peel_alpha: the share of a box's runs peeled off at each step, in (0, 0.5).

    Returns:
        A :class:`Discovery` with the trajectory and the chosen box.

    Raises:
        InputError: a bad ``where``, ``box``, ``threshold`` or ``peel_alpha``; a store
            with no swept parameter or no finished run.
        StoreError: not a readable store.
        ModuleNotFoundError: EMA Workbench (the ``discover`` extra) is missing.
    """
    _check_fraction("--threshold", threshold, 0.0, 1.0, closed=True)
    _check_fraction("--peel-alpha", peel_alpha, 0.0, 0.5, closed=False)
    res = store if isinstance(store, Results) else load(store)
    parameters = _inputs(res)
    ok, y = _cases(res, where)
    x = ok[parameters].reset_index(drop=True)
    boxes, trajectory = peeling_trajectory(x, y, peel_alpha)
    chosen = choose(trajectory, threshold) if box is None else box
    found = Discovery(
        store=res.path, where=where, parameters=parameters, runs=len(ok), cases=int(y.sum()),
        failed=len(res.runs) - len(ok), pending=res.status["pending"], threshold=threshold,
        peel_alpha=peel_alpha, trajectory=trajectory, chosen=chosen, picked=box is not None,
        _x=x, _y=y, _boxes=boxes,
    )  # fmt: skip
    if chosen is not None:
        found.box = found.select(chosen)
    return found
