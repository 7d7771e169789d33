"""Reading a results store: :func:`load`, :class:`Results`, and its tables."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from sim.experiment.precision import Precision, needed_rows, point_progress
from sim.names import DESIGN_COLUMNS, RUN_NUMBERS
from sim.store.manifest import CALIBRATION, MANIFEST, StoreError, read_manifest, store_kind
from sim.store.parts import (
    TABLES,
    check_parts,
    part_files,
    read_parquet,
    read_schema,
    read_table,
)

DESIGN = "design.parquet"
SAMPLE = "sample.parquet"


def plain_ints(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its nullable integer columns that hold no null as plain ``int64``."""
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.Int64Dtype) and not column.isna().any():
            frame[name] = column.astype("int64")
    return frame


def to_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a DataFrame; an integer column stays integer where values are
    missing (failed runs): pandas' nullable ``Int64`` instead of float."""
    frame = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    return plain_ints(frame)


def _read_dataset(folder: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A table folder of the store as a DataFrame (empty when it has no parts)."""
    table = read_table(folder.parent, folder.name, columns)
    return to_frame(table) if table.num_columns else pd.DataFrame()


def ok_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``runs`` with status ``ok`` (integer columns as plain ``int64``)."""
    if runs.empty or "status" not in runs.columns:
        return runs
    return plain_ints(runs[runs["status"] == "ok"].reset_index(drop=True))


def count_status(planned: set[str], stored: dict[str, str]) -> dict[str, int]:
    """``planned``, ``done`` (ok), ``failed`` and ``pending`` runs, from the latest statuses."""
    done = sum(1 for rid, status in stored.items() if rid in planned and status == "ok")
    failed = sum(1 for rid, status in stored.items() if rid in planned and status != "ok")
    return {
        "planned": len(planned),
        "done": done,
        "failed": failed,
        "pending": len(planned - set(stored)),
    }


@dataclass
class Results:
    """A results store, read.

    Attributes:
        path: the store folder.
        manifest: the manifest (a dict).
        design: one row per planned run.
        runs: one row per stored run (``ok`` and ``failed``), latest row per run id.
        sample: the sampler's rows in its order (Sobol, Morris, LHS designs), else None.
    """

    path: Path
    manifest: dict[str, Any]
    design: pd.DataFrame
    runs: pd.DataFrame
    sample: pd.DataFrame | None = None

    @cached_property
    def crises(self) -> pd.DataFrame:
        """One row per crisis episode (``run_id``, ``episode``, metrics)."""
        return _read_dataset(self.path / "crises")

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        """One row per recorded step (``run_id``, ``step``, series)."""
        return _read_dataset(self.path / "timeseries")

    def columns(self, table: str) -> list[str]:
        """The column names of ``runs``, ``crises`` or ``timeseries`` (without reading it)."""
        if table in self.__dict__:
            return list(self.__dict__[table].columns)
        parts = part_files(self.path / table)
        return read_schema(parts[0]).names if parts else []

    def read(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """Some columns of ``crises`` or ``timeseries``, read without loading the rest.

        Args:
            table: ``crises`` or ``timeseries``.
            columns: the columns wanted (those absent are skipped); None for all.
        """
        if table in self.__dict__:
            frame = self.__dict__[table]
            return frame if columns is None else frame[[c for c in columns if c in frame]]
        return _read_dataset(self.path / table, columns)

    @cached_property
    def experiment(self) -> dict[str, Any]:
        """The experiment file's content, parsed (empty when absent)."""
        text = (self.manifest.get("experiment") or {}).get("content") or ""
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return {}

    @property
    def name(self) -> str:
        """The experiment's name."""
        return str(self.manifest.get("name") or self.experiment.get("name") or self.path.name)

    @property
    def description(self) -> str:
        """The experiment's description."""
        return str(self.experiment.get("description", "")).strip()

    @property
    def method(self) -> str:
        """The design method: ``grid``, ``lhs``, ``sobol`` or ``morris``."""
        design = self.manifest.get("design") or {}
        return str(design.get("method") or self.experiment.get("design", {}).get("method", "grid"))

    @property
    def horizon(self) -> int | None:
        """The horizon in steps (months), when one horizon holds for the whole store."""
        if "horizon" in self.design.columns:
            values = self.design["horizon"].dropna().unique()
            return int(values[0]) if len(values) == 1 else None
        for value in (
            (self.manifest.get("fingerprint") or {}).get("horizon"),
            self.experiment.get("horizon"),
            (self.manifest.get("scenario") or {}).get("horizon"),
        ):
            if value is not None:
                return int(value)
        return None

    @property
    def parameter_columns(self) -> list[str]:
        """All parameter columns of the design (swept and fixed), in file order."""
        return [c for c in self.design.columns if c not in DESIGN_COLUMNS]

    @property
    def parameters(self) -> list[str]:
        """The swept parameters: those taking more than one value in the design."""
        return [c for c in self.parameter_columns if self.design[c].nunique(dropna=False) > 1]

    @property
    def ok(self) -> pd.DataFrame:
        """The runs with status ``ok``."""
        return ok_runs(self.runs)

    @property
    def failed_ids(self) -> list[str]:
        """Ids of the runs stored as failed."""
        if self.runs.empty:
            return []
        return self.runs.loc[self.runs["status"] != "ok", "run_id"].astype(str).tolist()

    @cached_property
    def precision(self) -> Precision | None:
        """The ``[precision]`` table of an adaptive sweep's store, else None."""
        return Precision.from_dict(self.manifest.get("precision"))

    @cached_property
    def progress(self) -> pd.DataFrame | None:
        """An adaptive store's points under its stopping rule (see
        :func:`~sim.experiment.precision.point_progress`), else None."""
        if self.precision is None:
            return None
        return point_progress(self.design, self.runs, self.precision)

    @property
    def planned_ids(self) -> set[str]:
        """The runs planned: the design's, or those an adaptive store's rule asks for."""
        design = self.design
        if self.progress is not None:
            design = design[needed_rows(design, self.progress)]
        return set(design["run_id"].astype(str))

    @property
    def status(self) -> dict[str, int]:
        """Counts of ``planned``, ``done`` (ok), ``failed`` and ``pending`` runs."""
        stored = {}
        if not self.runs.empty:
            stored = dict(
                zip(self.runs["run_id"].astype(str), self.runs["status"].astype(str), strict=True)
            )
        return count_status(self.planned_ids, stored)

    @property
    def partial(self) -> bool:
        """Whether planned runs are missing (an interrupted or sharded sweep; an adaptive
        store's points that stopped early are complete)."""
        return self.status["pending"] > 0


def check_store_parts(folders: Iterable[Path], manifest: dict[str, Any]) -> None:
    """:func:`~sim.store.parts.check_parts` of the tables of the stores at ``folders``
    (of one experiment, whose ``manifest`` is given): an alliance store's outcomes
    (:data:`~sim.names.RUN_NUMBERS`) must be numbers."""
    numbers = RUN_NUMBERS if manifest.get("model", "alliance") == "alliance" else ()
    check_parts((folder / table for folder in folders for table in TABLES), numbers)


def load(path: str | os.PathLike[str]) -> Results:
    """Read a results store.

    Args:
        path: the store folder (``results/NAME``).

    Returns:
        A :class:`Results`; ``crises`` and ``timeseries`` are read on first use.

    Raises:
        StoreError: no such folder, no or unreadable manifest or design, a manifest of
            another store format or with a field of the wrong type, a part that is not
            readable or not a part of its table (see :func:`~sim.store.parts.check_parts`).
    """
    folder = Path(path)
    manifest = read_manifest(folder)
    design = read_design(folder)
    check_store_parts([folder], manifest)
    runs = _read_dataset(folder / "runs")
    sample_file = folder / SAMPLE
    sample = read_parquet(sample_file).to_pandas() if sample_file.exists() else None
    if "run_id" not in design.columns:
        raise StoreError(folder, "design.parquet has no run_id column")
    if not runs.empty:
        missing = {"run_id", "status"} - set(runs.columns)
        if missing:
            raise StoreError(folder, f"runs/ lacks columns {', '.join(sorted(missing))}")
        runs = runs.drop_duplicates("run_id", keep="last").reset_index(drop=True)
    return Results(folder, manifest, design, runs, sample)


def read_design(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A store's planned runs (``design.parquet``)."""
    design = Path(path) / DESIGN
    if not design.exists():
        if (Path(path) / MANIFEST).is_file() and store_kind(read_manifest(path)) == CALIBRATION:
            raise StoreError(path, "a calibration's store has no runs (report reads it)")
        raise StoreError(path, f"not a results store (no {DESIGN})")
    return read_parquet(design).to_pandas()
