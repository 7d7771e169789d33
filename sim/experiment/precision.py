"""Adaptive replication: an experiment's ``[precision]`` table and its stopping rule.

With ``[precision]``, ``replications`` is the most replicates a design point gets. A
sweep runs rounds: every point gets replicates ``0 .. min - 1``; then each point whose
confidence interval for the outcome's mean is wider than ``half_width`` gets ``step``
more, until it is narrow enough or reaches the maximum. The interval is Wilson's score
interval for a boolean outcome and Student's t interval for a numeric one.

The rule looks at one point's own runs only, and at whole checkpoints (``min``,
``min + step``, ...): where a point stops depends on the values of its runs, never on
the order they finished in, on other points or on the executor. Replicate r of a point
is the run (id and seed) it is in a fixed sweep, so an adaptive store holds the runs of
the fixed one restricted to each point's first replicates. A failed run keeps its
replicate's place (it counts towards the maximum) but gives no value; runs whose
outcome is missing (None) give none either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import check_keys, expect_number, expect_string, expect_table
from sim.experiment.spec import ExperimentError
from sim.intervals import t_half_width, wilson_half_width
from sim.names import RUN_NUMBERS

KEYS = {"outcome", "half_width", "confidence", "min", "step"}
STATES: tuple[str, ...] = ("pending", "target", "maximum")
"""A point's state: it still needs runs; it reached the half-width; it stopped at the maximum."""
PROGRESS_COLUMNS: tuple[str, ...] = (
    "point_id", "point_index", "replicates", "stored", "values", "half_width", "state", "beyond",
)  # fmt: skip
"""The columns of :func:`point_progress`."""


@dataclass(frozen=True)
class Precision:
    """The ``[precision]`` table of an experiment.

    Attributes:
        outcome: the runs column whose mean must be known precisely (boolean or numeric).
        half_width: the largest half-width (half the interval's width) that stops a point.
        confidence: the interval's confidence level.
        min: replicates every point gets (the first round).
        step: replicates added to a point per later round.
    """

    outcome: str
    half_width: float
    confidence: float = 0.95
    min: int = 20
    step: int = 20

    def to_dict(self) -> dict[str, Any]:
        """The table as a JSON-ready dict (as recorded in a store's manifest)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Precision | None:
        """The table recorded in a manifest (None for a fixed sweep's store)."""
        return cls(**{key: data[key] for key in KEYS if key in data}) if data else None

    def describe(self) -> str:
        """One phrase for humans."""
        return (
            f"{self.outcome} to a half-width of {self.half_width:g} "
            f"({self.confidence:.0%} interval), from {self.min} replicates, "
            f"{self.step} more per round"
        )


_string = partial(expect_string, ExperimentError)


def _number(source: str, table: Mapping[str, Any], key: str, default: Any, **range_: Any) -> Any:
    value = table.get(key, default)
    if value is None:
        raise ExperimentError(source, f"precision.{key}", "missing (required)")
    return expect_number(ExperimentError, source, f"precision.{key}", value, **range_)


def parse_precision(source: str, value: Any, replications: int, alliance: bool) -> Precision | None:
    """The ``[precision]`` table of an experiment file (None when absent), validated.

    Args:
        source: the file, for error messages.
        value: the table as read from TOML.
        replications: the experiment's replications (the maximum).
        alliance: the model is the alliance model, whose runs columns are known.

    Raises :class:`ExperimentError` naming the file and the key.
    """
    if value is None:
        return None
    table = expect_table(ExperimentError, source, "precision", value)
    check_keys(ExperimentError, source, "precision", table, KEYS)
    if "outcome" not in table:
        raise ExperimentError(source, "precision.outcome", "missing (required)")
    outcome = _string(source, "precision.outcome", table["outcome"])
    if alliance and outcome not in RUN_NUMBERS:
        raise ExperimentError(
            source,
            "precision.outcome",
            f"{outcome!r} is not a boolean or numeric column of the alliance model's runs "
            f"(one of {', '.join(RUN_NUMBERS)})",
        )
    half_width = _number(source, table, "half_width", None, low=0.0)
    if half_width <= 0:
        raise ExperimentError(source, "precision.half_width", "must be above 0")
    confidence = _number(source, table, "confidence", 0.95, low=0.0, high=1.0)
    if not 0 < confidence < 1:
        raise ExperimentError(source, "precision.confidence", "must be between 0 and 1 (excluded)")
    low = _number(source, table, "min", 20, low=1, integer=True)
    if low > replications:
        default = "" if "min" in table else " (the default)"
        raise ExperimentError(
            source,
            "precision.min",
            f"{low}{default} exceeds replications ({replications}), the maximum",
        )
    step = _number(source, table, "step", 20, low=1, integer=True)
    return Precision(outcome, float(half_width), float(confidence), int(low), int(step))


def outcome_problem(precision: Precision, runs: Iterable[Mapping[str, Any]]) -> str | None:
    """Why the outcome cannot be averaged over these runs' outcomes, or None.

    ``runs`` are the outcomes of ok runs (dicts); with none, nothing is known yet.
    """
    rows = list(runs)
    if not rows:
        return None
    name = precision.outcome
    values = [row[name] for row in rows if name in row]
    if not values:
        shown = ", ".join(sorted({key for row in rows for key in row}))
        return f"the model's runs have no column {name!r} (their columns: {shown})"
    for value in values:
        if value is not None and not isinstance(value, bool | int | float | np.number):
            return f"{name!r} holds {type(value).__name__} values, not booleans or numbers"
    return None


def outcome_values(column: pd.Series) -> tuple[np.ndarray, bool]:
    """A runs column as floats (NaN where missing) and whether it holds booleans."""
    present = column.dropna()
    boolean = pd.api.types.is_bool_dtype(column) or (
        len(present) > 0 and all(isinstance(v, bool | np.bool_) for v in present)
    )
    if not boolean and not pd.api.types.is_numeric_dtype(column):
        column = pd.to_numeric(column, errors="coerce")  # text gives no value
    return column.astype(object).to_numpy(dtype=float, na_value=np.nan), bool(boolean)


def half_widths(values: np.ndarray, boolean: bool, confidence: float) -> np.ndarray:
    """The half-width of each row's interval of its mean (NaN values left out)."""
    present = ~np.isnan(values)
    n = present.sum(axis=1)
    if boolean:
        return np.asarray(wilson_half_width(np.nansum(values, axis=1), n, confidence))
    filled = np.where(present, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=1) / n
        squares = np.where(present, (values - mean[:, None]) ** 2, 0.0).sum(axis=1)
        std = np.sqrt(squares / (n - 1))
    return np.asarray(t_half_width(std, n, confidence))


def stopping_points(
    stored: np.ndarray, values: np.ndarray, boolean: bool, precision: Precision
) -> pd.DataFrame:
    """Apply the stopping rule to every point at once.

    Args:
        stored: points x replicates: whether the run is stored (ok or failed).
        values: points x replicates: the outcome (NaN: not stored, failed, or missing).
        boolean: the outcome is boolean (Wilson) rather than numeric (Student t).
        precision: the rule.

    Returns:
        One row per point, in order: ``replicates`` (the runs the rule asks for so far),
        ``stored`` (how many of them are stored), ``values`` (how many give a value),
        ``half_width`` (over those values) and ``state`` (:data:`STATES`).
    """
    points, maximum = stored.shape
    replicates = np.zeros(points, dtype=np.int64)
    width = np.full(points, np.inf)
    state = np.full(points, "", dtype=object)
    open_ = np.ones(points, dtype=bool)
    checkpoint = min(precision.min, maximum)
    while open_.any():
        complete = stored[:, :checkpoint].all(axis=1)
        here = half_widths(values[:, :checkpoint], boolean, precision.confidence)
        decided = {
            "pending": open_ & ~complete,
            "target": open_ & complete & (here <= precision.half_width),
        }
        decided["maximum"] = open_ & complete & ~decided["target"] & (checkpoint >= maximum)
        for name, mask in decided.items():
            replicates[mask], width[mask], state[mask] = checkpoint, here[mask], name
            open_ &= ~mask
        checkpoint = min(checkpoint + precision.step, maximum)
    upto = np.arange(maximum)[None, :] < replicates[:, None]
    return pd.DataFrame(
        {
            "replicates": replicates,
            "stored": (stored & upto).sum(axis=1),
            "values": (~np.isnan(values) & upto).sum(axis=1),
            "half_width": width,
            "state": state.astype(str),
        }
    )


def point_progress(design: pd.DataFrame, runs: pd.DataFrame, precision: Precision) -> pd.DataFrame:
    """Where each design point stands under the rule, from the stored runs.

    Args:
        design: the planned runs (``run_id``, ``point_id``, ``point_index``, ``replicate``).
        runs: the stored runs, latest row per run id (``run_id``, ``status`` and the
            outcome column when any run has it).
        precision: the rule.

    Returns:
        One row per point, by ``point_index``: ``point_id``, ``point_index``, the
        columns of :func:`stopping_points`, and ``beyond`` (runs stored past the
        replicates the rule asks for, left by an earlier sweep).
    """
    index = design["point_index"].to_numpy(dtype=np.int64)
    replicate = design["replicate"].to_numpy(dtype=np.int64)
    shape = (int(index.max()) + 1, int(replicate.max()) + 1)
    stored = np.zeros(shape, dtype=bool)
    values = np.full(shape, np.nan)
    boolean = False
    if len(runs):
        row = design.reset_index(drop=True).reset_index().set_index("run_id")["index"]
        rows = runs["run_id"].astype(str).map(row)
        kept = rows.notna().to_numpy()
        at = rows[kept].to_numpy(dtype=np.int64)
        stored[index[at], replicate[at]] = True
        if precision.outcome in runs.columns:
            column, boolean = outcome_values(runs[precision.outcome])
            column = np.where(runs["status"].astype(str).to_numpy() == "ok", column, np.nan)
            values[index[at], replicate[at]] = column[kept]
    table = stopping_points(stored, values, boolean, precision)
    table["beyond"] = stored.sum(axis=1) - table["stored"].to_numpy()
    points = design.drop_duplicates("point_index").sort_values("point_index")
    table.insert(0, "point_index", points["point_index"].to_numpy(dtype=np.int64))
    table.insert(0, "point_id", points["point_id"].astype(str).to_numpy())
    return table


def needed_rows(design: pd.DataFrame, progress: pd.DataFrame) -> np.ndarray:
    """Whether each planned run is one the rule asks for (a replicate below its point's)."""
    asked = progress.set_index("point_index")["replicates"]
    limit = design["point_index"].map(asked).to_numpy(dtype=np.int64)
    return design["replicate"].to_numpy(dtype=np.int64) < limit
