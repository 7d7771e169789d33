"""Progress of a results store: planned, done, failed and pending runs.

The planned runs of a fixed sweep's store are its design's. An adaptive sweep's store
(one with a ``[precision]`` table) plans, for each point, the replicates its stopping
rule asks for so far: a point that stopped early is complete, not pending.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.errors import show_number
from sim.experiment.precision import PROGRESS_COLUMNS, Precision, needed_rows, point_progress
from sim.names import DESIGN_COLUMNS
from sim.store.manifest import read_manifest
from sim.store.parts import read_table
from sim.store.reader import check_store_parts, count_status, read_design

MAX_POINT_LINES = 200
"""Points that ``status`` lists one per line; the rest are counted."""


@dataclass
class StoreStatus:
    """Progress of a store: planned, done (ok), failed and pending runs.

    Attributes:
        planned: the runs planned (adaptive: those the rule asks for so far).
        maximum: the design's runs (adaptive: the most the rule may ask for).
        beyond: runs stored past the replicates the rule asks for (adaptive).
        precision: the rule of an adaptive store, else None.
        points: an adaptive store's points (``point_progress`` with the parameters).
    """

    path: str
    name: str
    planned: int
    done: int
    failed: int
    pending: int
    duplicates: int = 0
    unplanned: int = 0
    maximum: int = 0
    beyond: int = 0
    precision: Precision | None = None
    points: pd.DataFrame | None = field(default=None, repr=False)

    def line(self) -> str:
        """One line for humans."""
        planned = f"{self.planned} planned"
        if self.precision is not None:
            planned = f"{self.planned} needed so far (at most {self.maximum})"
        text = (
            f"{self.path}: {planned}, {self.done} done, "
            f"{self.failed} failed, {self.pending} pending"
        )
        if self.beyond:
            text += f", {self.beyond} more stored past the points' stopping replicates"
        if self.duplicates:
            text += f", {self.duplicates} duplicate rows"
        if self.unplanned:
            text += f", {self.unplanned} runs not in the design"
        return text

    def point_lines(self) -> list[str]:
        """An adaptive store's rule and one line per point (none for a fixed store)."""
        if self.precision is None or self.points is None:
            return []
        points = self.points
        counts = points["state"].value_counts()
        lines = [
            f"adaptive: {self.precision.describe()}; {counts.get('target', 0)} points reached "
            f"the half-width, {counts.get('maximum', 0)} stopped at the maximum "
            f"({self.maximum // max(len(points), 1)} replicates), "
            f"{counts.get('pending', 0)} pending",
            f"{'point':>6} {'replicates':>11} {'half-width':>11}  {'state':<8} parameters",
        ]
        parameters = [c for c in points.columns if c not in PROGRESS_COLUMNS]
        for row in points.head(MAX_POINT_LINES).to_dict("records"):
            done = row["replicates"]
            if row["state"] == "pending":
                done = f"{row['stored']}/{done}"
            values = ", ".join(f"{name}={_value(row[name])}" for name in parameters)
            lines.append(
                f"{row['point_index']:>6} {done!s:>11} {_width(row['half_width']):>11}  "
                f"{row['state']:<8} {values}"
            )
        if len(points) > MAX_POINT_LINES:
            lines.append(f"... and {len(points) - MAX_POINT_LINES} more points")
        return lines


def _value(value: object) -> str:
    if isinstance(value, bool | str) or not isinstance(value, int | float):
        return str(value)
    return show_number(float(value))


def _width(value: float) -> str:
    return "-" if math.isinf(value) else f"{value:.4f}"


def stored_status(path: str | os.PathLike[str]) -> tuple[dict[str, str], int]:
    """The latest status of every stored run by run id, and the number of repeated rows."""
    table = read_table(path, "runs", columns=["run_id", "status"])
    if table.num_rows == 0:
        return {}, 0
    ids = table.column("run_id").to_pylist()
    latest = dict(zip(ids, table.column("status").to_pylist(), strict=True))
    return latest, len(ids) - len(latest)


def read_progress(
    path: str | os.PathLike[str], design: pd.DataFrame, precision: Precision
) -> pd.DataFrame:
    """Where each point of the store at ``path`` stands under ``precision``'s rule."""
    table = read_table(path, "runs", columns=["run_id", "status", precision.outcome])
    runs = table.to_pandas() if table.num_rows else pd.DataFrame()
    if len(runs):
        runs = runs.drop_duplicates("run_id", keep="last")
    return point_progress(design, runs, precision)


def with_parameters(progress: pd.DataFrame, design: pd.DataFrame) -> pd.DataFrame:
    """The points of ``progress`` with their parameter values from ``design``."""
    names = [c for c in design.columns if c not in DESIGN_COLUMNS]
    values = design.drop_duplicates("point_index").set_index("point_index")[names]
    return progress.join(values, on="point_index")


def store_status(path: str | os.PathLike[str]) -> StoreStatus:
    """Count planned, done, failed and pending runs of a store."""
    manifest = read_manifest(path)
    design = read_design(path)
    check_store_parts([Path(path)], manifest)
    everything = set(design["run_id"].tolist())
    latest, duplicates = stored_status(path)
    precision = Precision.from_dict(manifest.get("precision"))
    planned, points = everything, None
    if precision is not None:
        progress = read_progress(path, design, precision)
        planned = set(design.loc[needed_rows(design, progress), "run_id"].tolist())
        points = with_parameters(progress, design)
    counts = count_status(planned, latest)
    return StoreStatus(
        path=os.fspath(path),
        name=str(manifest.get("name", "")),
        **counts,
        duplicates=duplicates,
        unplanned=len(set(latest) - everything),
        maximum=len(everything),
        beyond=len((set(latest) & everything) - planned),
        precision=precision,
        points=points,
    )
