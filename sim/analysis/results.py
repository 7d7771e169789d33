"""Reading a results store: :func:`load`, :class:`Results`, and parameter levels."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.dataset as pads
import pyarrow.parquet as pq

OUTCOMES: tuple[str, ...] = ("collapse", "fragmentation", "degraded", "transformation", "recovery")
"""The five outcome classes, from worst to best."""
DESIGN_KEYS: tuple[str, ...] = ("run_id", "point_id", "point_index", "replicate", "seed")
MAX_LEVELS = 6
QUANTILE_BINS = 4
ALL = "all"


class StoreReadError(ValueError):
    """A folder that cannot be read as a results store. ``str(err)`` is one line."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = os.fspath(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def _read_dataset(folder: Path, columns: list[str] | None = None) -> pd.DataFrame:
    parts = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
    if not parts:
        return pd.DataFrame()
    dataset = pads.dataset([str(p) for p in parts], format="parquet")
    if columns is not None:
        columns = [c for c in columns if c in dataset.schema.names]
    return dataset.to_table(columns=columns).to_pandas()


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
        parts = sorted((self.path / table).glob("part-*.parquet"))
        return pq.read_schema(parts[0]).names if parts else []

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
        return [c for c in self.design.columns if c not in DESIGN_KEYS]

    @property
    def parameters(self) -> list[str]:
        """The swept parameters: those taking more than one value in the design."""
        return [c for c in self.parameter_columns if self.design[c].nunique(dropna=False) > 1]

    @property
    def ok(self) -> pd.DataFrame:
        """The runs with status ``ok``."""
        return _ok(self.runs)

    @property
    def failed_ids(self) -> list[str]:
        """Ids of the runs stored as failed."""
        if self.runs.empty:
            return []
        return self.runs.loc[self.runs["status"] != "ok", "run_id"].astype(str).tolist()

    @property
    def status(self) -> dict[str, int]:
        """Counts of ``planned``, ``done`` (ok), ``failed`` and ``pending`` runs."""
        planned = set(self.design["run_id"].astype(str))
        stored = {}
        if not self.runs.empty:
            stored = dict(
                zip(self.runs["run_id"].astype(str), self.runs["status"].astype(str), strict=True)
            )
        done = sum(1 for rid, s in stored.items() if rid in planned and s == "ok")
        failed = sum(1 for rid, s in stored.items() if rid in planned and s != "ok")
        return {
            "planned": len(planned),
            "done": done,
            "failed": failed,
            "pending": len(planned - set(stored)),
        }

    @property
    def partial(self) -> bool:
        """Whether planned runs are missing (an interrupted or sharded sweep)."""
        return self.status["pending"] > 0


def load(path: str | os.PathLike[str]) -> Results:
    """Read a results store.

    Args:
        path: the store folder (``results/NAME``).

    Returns:
        A :class:`Results`; ``crises`` and ``timeseries`` are read on first use.

    Raises:
        StoreReadError: no such folder, no or unreadable manifest or design.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise StoreReadError(folder, "no such folder")
    manifest_file = folder / "manifest.json"
    if not manifest_file.is_file():
        raise StoreReadError(folder, "not a results store (no manifest.json)")
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StoreReadError(folder, f"unreadable manifest.json ({err})") from None
    if not isinstance(manifest, dict):
        raise StoreReadError(folder, "manifest.json is not a JSON object")
    design_file = folder / "design.parquet"
    if not design_file.is_file():
        raise StoreReadError(folder, "not a results store (no design.parquet)")
    try:
        design = pq.read_table(design_file).to_pandas()
        runs = _read_dataset(folder / "runs")
        sample_file = folder / "sample.parquet"
        sample = pq.read_table(sample_file).to_pandas() if sample_file.is_file() else None
    except (OSError, ValueError) as err:
        raise StoreReadError(folder, f"unreadable Parquet data ({err})") from None
    if "run_id" not in design.columns:
        raise StoreReadError(folder, "design.parquet has no run_id column")
    if not runs.empty:
        missing = {"run_id", "status"} - set(runs.columns)
        if missing:
            raise StoreReadError(folder, f"runs/ lacks columns {', '.join(sorted(missing))}")
        runs = runs.drop_duplicates("run_id", keep="last").reset_index(drop=True)
    return Results(folder, manifest, design, runs, sample)


def _as_results(source: Results | str | os.PathLike[str]) -> Results:
    return source if isinstance(source, Results) else load(source)


def _ok(runs: pd.DataFrame) -> pd.DataFrame:
    if runs.empty or "status" not in runs.columns:
        return runs
    return runs[runs["status"] == "ok"].reset_index(drop=True)


def _runs(source: Results | pd.DataFrame) -> pd.DataFrame:
    frame = source.runs if isinstance(source, Results) else source
    return _ok(frame)


def _label(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    return str(value)


def levels(
    runs: Results | pd.DataFrame,
    by: str | None,
    max_levels: int = MAX_LEVELS,
    bins: int = QUANTILE_BINS,
) -> pd.Series:
    """The level of each ok run for parameter ``by`` as an ordered categorical of labels.

    Args:
        runs: runs frame or results.
        by: a parameter column, ``"outcome"``, or None (one level, ``"all"``).
        max_levels: a numeric parameter with more distinct values is binned.
        bins: quantile bins of a binned parameter (fewer when quantiles coincide).

    Returns:
        A Series aligned with the ok runs; labels are the values (``"0.5"``) or the
        quantile bins (``"[0, 0.25]"``, ``"(0.25, 0.5]"``...), in increasing order.
    """
    frame = _runs(runs)
    if by is None:
        return pd.Series(pd.Categorical([ALL] * len(frame), categories=[ALL], ordered=True))
    if by not in frame.columns:
        raise KeyError(f"no column {by!r} in the runs")
    column = frame[by]
    if by == "outcome":
        present = [o for o in OUTCOMES if (column == o).any()]
        extra = sorted(set(column.dropna().astype(str)) - set(OUTCOMES))
        cats = present + extra
        return pd.Series(pd.Categorical(column.astype(str), categories=cats, ordered=True))
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    values = sorted(column.dropna().unique().tolist())
    if numeric and len(values) > max_levels:
        codes, edges = pd.qcut(column, bins, labels=False, retbins=True, duplicates="drop")
        labels = [
            f"{'[' if i == 0 else '('}{edges[i]:.3g}, {edges[i + 1]:.3g}]"
            for i in range(len(edges) - 1)
        ]
        names = [labels[int(c)] if not pd.isna(c) else None for c in codes]
        return pd.Series(pd.Categorical(names, categories=labels, ordered=True))
    labels = list(dict.fromkeys(_label(v) for v in values))
    return pd.Series(pd.Categorical([_label(v) for v in column], categories=labels, ordered=True))


def _grouped(
    runs: Results | pd.DataFrame, by: str | None, max_levels: int = MAX_LEVELS
) -> list[tuple[str, pd.DataFrame]]:
    frame = _runs(runs)
    lev = levels(frame, by, max_levels)
    frame = frame.assign(_level=lev.to_numpy())
    return [
        (str(name), frame[frame["_level"] == name])
        for name in lev.cat.categories
        if (frame["_level"] == name).any()
    ]


def _with_parameter(pieces: list[pd.DataFrame], by: str | None) -> pd.DataFrame:
    if not pieces:
        return pd.DataFrame()
    frame = pd.concat(pieces, ignore_index=True)
    frame.insert(0, "parameter", by if by is not None else ALL)
    return frame
