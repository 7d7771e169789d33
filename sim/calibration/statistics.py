"""A calibration's statistics: their syntax, the run columns they read, and their values.

A statistic is computed from the runs of one candidate point that finished ok, as a
DataFrame with one row per run (``replicate``, ``seed``, the parameters and the run's
outcomes). It is written as one of:

- ``survival_share``: the share of runs whose ``survived`` is true;
- ``failure_share``: the share whose ``outcome`` is a failure class
  (:data:`sim.names.FAILURE`: collapse, fragmentation or degraded);
- ``collapse_share``, or ``share:CLASS`` for any outcome class: the share whose
  ``outcome`` is that class;
- ``median_collapse_lifetime``: the median ``lifetime`` of the runs that collapsed;
- ``mean:COLUMN``, ``median:COLUMN``, ``sd:COLUMN`` (standard deviation, ddof 1): of a
  run column;
- ``spearman:COLUMN_A:COLUMN_B``: the Spearman rank correlation of two run columns;
- ``package.module:function`` (or ``file.py:function``): a function taking the runs'
  DataFrame and returning a float.

A statistic that cannot be computed (no run finished, no run collapsed, a constant
column in a correlation) is NaN. This module imports pandas only to compute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.experiment.models import resolve_model
from sim.names import FAILURE

if TYPE_CHECKING:
    import pandas as pd

NAMED: dict[str, tuple[str, tuple[str, ...]]] = {
    "survival_share": ("survival", ()),
    "failure_share": ("failure", ()),
    "collapse_share": ("share", ("collapse",)),
    "median_collapse_lifetime": ("collapse_lifetime", ()),
}
"""The statistics named by one word: their kind and arguments."""
PREFIXED: dict[str, int] = {"share": 1, "mean": 1, "median": 1, "sd": 1, "spearman": 2}
"""The statistics written ``KIND:ARG[:ARG]``, with the number of arguments each takes."""
SYNTAX = (
    "survival_share, failure_share, collapse_share, share:CLASS, median_collapse_lifetime, "
    "mean:COLUMN, median:COLUMN, sd:COLUMN, spearman:COLUMN_A:COLUMN_B, or module:function"
)
"""The statistics one can write, for error messages."""


@dataclass(frozen=True)
class Statistic:
    """One statistic as written, parsed.

    Attributes:
        text: as written in the experiment file.
        kind: ``survival``, ``failure``, ``share``, ``collapse_lifetime``, ``mean``,
            ``median``, ``sd``, ``spearman`` or ``function``.
        args: the outcome class, the column(s), or the function's ``module:name``.
    """

    text: str
    kind: str
    args: tuple[str, ...] = ()

    def columns(self) -> tuple[str, ...]:
        """The run columns it reads (none known for a function)."""
        if self.kind == "survival":
            return ("survived",)
        if self.kind in ("failure", "share"):
            return ("outcome",)
        if self.kind == "collapse_lifetime":
            return ("outcome", "lifetime")
        return () if self.kind == "function" else self.args


def parse_statistic(text: str) -> Statistic:
    """A statistic from its text; raises ``ValueError`` with the problem."""
    text = text.strip()
    if text in NAMED:
        kind, args = NAMED[text]
        return Statistic(text, kind, args)
    head, _, rest = text.partition(":")
    if head in PREFIXED:
        args = tuple(rest.split(":")) if rest else ()
        if len(args) != PREFIXED[head] or not all(args):
            shape = ":".join(["COLUMN"] * PREFIXED[head]) if head != "share" else "CLASS"
            raise ValueError(f"expected {head}:{shape}, got {text!r}")
        return Statistic(text, head, args)
    if text.count(":") == 1 and head and rest:
        return Statistic(text, "function", (text,))
    raise ValueError(f"unknown statistic {text!r} (one of {SYNTAX})")


def _share(mask: Any) -> float:
    return float(mask.mean()) if len(mask) else math.nan


def _column(runs: pd.DataFrame, name: str, numeric: bool = True) -> pd.Series:
    """A run column (as floats when ``numeric``); ``KeyError`` naming the columns there are."""
    if name not in runs.columns:
        shown = ", ".join(str(c) for c in runs.columns)
        raise KeyError(f"no run column {name!r} (the runs have: {shown})")
    return runs[name].astype(float) if numeric else runs[name]


def _spearman(runs: pd.DataFrame, first: str, second: str) -> float:
    a, b = _column(runs, first), _column(runs, second)
    if a.nunique() < 2 or b.nunique() < 2:
        return math.nan
    return float(a.rank().corr(b.rank()))


def _collapse_lifetime(runs: pd.DataFrame) -> float:
    lifetimes = _column(runs, "lifetime")[_column(runs, "outcome", False) == "collapse"]
    return float(lifetimes.median()) if len(lifetimes) else math.nan


KINDS: dict[str, Callable[[pd.DataFrame, tuple[str, ...]], float]] = {
    "survival": lambda runs, _: _share(_column(runs, "survived")),
    "failure": lambda runs, _: _share(_column(runs, "outcome", False).isin(FAILURE)),
    "share": lambda runs, args: _share(_column(runs, "outcome", False) == args[0]),
    "collapse_lifetime": lambda runs, _: _collapse_lifetime(runs),
    "mean": lambda runs, args: float(_column(runs, args[0]).mean()),
    "median": lambda runs, args: float(_column(runs, args[0]).median()),
    "sd": lambda runs, args: float(_column(runs, args[0]).std(ddof=1)),
    "spearman": lambda runs, args: _spearman(runs, *args),
}
"""How each kind of built-in statistic is computed from the runs."""


def evaluate(statistic: Statistic, runs: pd.DataFrame, base_dir: str | None = None) -> float:
    """The statistic's value over ``runs`` (NaN when it cannot be computed).

    Raises ``KeyError`` for a column the runs lack, and what a function raises; a
    function's result that is not a number raises ``TypeError``.
    """
    if statistic.kind != "function":
        if runs.empty:
            return math.nan
        value = KINDS[statistic.kind](runs, statistic.args)
        return value if math.isfinite(value) else math.nan
    function = resolve_model(statistic.args[0], base_dir)
    result = function(runs)
    try:
        value = float(result)
    except (TypeError, ValueError):
        raise TypeError(
            f"{statistic.text} returned a {type(result).__name__}, not a number"
        ) from None
    return value if math.isfinite(value) else math.nan


def runs_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The runs of a point as a DataFrame (one row per run)."""
    import pandas as pd

    return pd.DataFrame(list(rows))
