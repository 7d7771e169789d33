"""What a sweep runs: the shard's rows, the runs still pending, chunks, and the dry run.

:func:`plan_sweep` answers ``sweep --dry-run``: the planned, stored and pending runs,
and time and disk estimated from a few timed pilot runs, writing nothing.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import INT64
from sim.experiment.designs import Design, build_design
from sim.experiment.files import Experiment, load_experiment
from sim.experiment.precision import Precision, needed_rows
from sim.experiment.spec import ExperimentError
from sim.store.output import RunOutput
from sim.store.parts import read_table
from sim.store.status import read_progress, stored_status
from sim.store.writer import Store
from sim.sweeps.executors import check_options, default_workers, make_executor
from sim.sweeps.runner import (
    ModelTarget,
    RunTask,
    design_tasks,
    model_target,
    run_chunk_packed,
    run_one,
)

MAX_CHUNK = 64
COMPRESSION_RATIO = 0.5
"""Stored Parquet size over in-memory Arrow size, typical of sweep results."""


def as_experiment(experiment: str | os.PathLike[str] | Experiment) -> Experiment:
    """An experiment to sweep, loaded from its file when given a path; a calibration's
    raises :class:`ExperimentError`."""
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    if experiment.calibration is not None:
        raise ExperimentError(
            experiment.source,
            "calibration",
            "makes this a calibration: run it with alliance-sim calibrate",
        )
    return experiment


def store_path(experiment: Experiment, out: str | os.PathLike[str] | None) -> Path:
    """The store folder: ``out``, or ``results/NAME``."""
    return Path(out) if out is not None else Path("results") / experiment.name


def parse_shard(text: str | tuple[int, int] | None) -> tuple[int, int] | None:
    """``"K/N"`` as ``(K, N)`` with 1 <= K <= N; a tuple or None stays as it is."""
    if text is None or isinstance(text, tuple):
        return text
    try:
        k_text, n_text = str(text).split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise ExperimentError(
            "--shard", None, f"expected K/N (for example 2/8), got {text!r}"
        ) from None
    if not 1 <= k <= n:
        raise ExperimentError("--shard", None, f"K must be between 1 and N, got {text}")
    if n > INT64[1]:
        raise ExperimentError("--shard", None, f"N must be at most {INT64[1]}, got {n}")
    return k, n


def shard_label(shard: tuple[int, int] | None) -> str:
    """The shard's label in part names: ``all`` or ``KofN``."""
    return "all" if shard is None else f"{shard[0]}of{shard[1]}"


def in_shard(run_ids: pd.Series | Sequence[str], shard: tuple[int, int] | None) -> np.ndarray:
    """Which runs belong to shard ``(K, N)`` (a stable hash of the run id)."""
    if shard is None:
        return np.ones(len(run_ids), dtype=bool)
    k, n = shard
    hashes = [
        int.from_bytes(hashlib.blake2b(str(r).encode(), digest_size=8).digest(), "big")
        for r in run_ids
    ]
    return np.asarray(hashes, dtype=np.uint64) % np.uint64(n) == np.uint64(k - 1)


def shard_members(
    design: Design, shard: tuple[int, int] | None, by_point: bool = False
) -> np.ndarray:
    """Design rows of shard ``(K, N)``: by a hash of the run id, or of the point id
    (``by_point``: an adaptive sweep, whose rounds need each point's runs in one shard)."""
    return np.flatnonzero(in_shard(design.runs["point_id" if by_point else "run_id"], shard))


def pending_rows(
    design: Design, members: np.ndarray, stored: dict[str, str], retry_failed: bool
) -> list[int]:
    """Design rows of the shard's ``members`` not stored (or stored failed, to retry)."""
    run_ids = design.runs["run_id"].to_numpy()
    return [
        int(row)
        for row in members
        if run_ids[row] not in stored or (retry_failed and stored[run_ids[row]] == "failed")
    ]


def default_chunk_size(remaining: int, workers: int) -> int:
    """Runs per task: about 8 tasks per worker, at most :data:`MAX_CHUNK`."""
    return max(1, min(MAX_CHUNK, math.ceil(remaining / (workers * 8))))


def chunks(tasks: Iterator[RunTask], size: int | Iterator[int]) -> Iterator[list[RunTask]]:
    """``tasks`` in lists of ``size`` (the last one shorter); sizes may vary as they come."""
    sizes = itertools.repeat(size) if isinstance(size, int) else size
    while True:
        chunk = list(itertools.islice(tasks, next(sizes)))
        if not chunk:
            return
        yield chunk


@dataclass
class SweepPlan:
    """What a sweep would do, estimated from a few timed pilot runs."""

    path: str
    planned: int
    stored: int
    pending: int
    points: int
    pilot_seconds: float
    pilot_failures: int
    workers: int
    estimated_seconds: float
    estimated_bytes: int
    parameters: list[str] = field(default_factory=list)
    precision: Precision | None = None
    next_round: int | None = None

    def lines(self) -> list[str]:
        """Lines for humans (an adaptive sweep's counts and estimates are maxima)."""
        most = "" if self.precision is None else "at most "
        planned = f"{self.planned} ({self.points} points)"
        if self.precision is not None:
            low = self.precision.min
            planned = (
                f"at most {self.planned} ({self.points} points x {self.planned // self.points} "
                f"replicates), at least {self.points * low} ({self.points} x {low})"
            )
        return [
            f"store: {self.path}",
            f"planned runs: {planned}, already stored: {self.stored}, to run: "
            + (f"{self.next_round} in the next round, " if self.next_round is not None else "")
            + f"{most}{self.pending}",
            *self._precision_lines(),
            *self.parameters,
            f"pilot runs: {self.pilot_seconds * 1000:.1f} ms per run"
            + (f" ({self.pilot_failures} failed)" if self.pilot_failures else ""),
            f"estimated time: {most}{_duration(self.estimated_seconds)} on {self.workers} "
            f"workers; estimated disk: {most}{_size(self.estimated_bytes)}",
        ]

    def _precision_lines(self) -> list[str]:
        if self.precision is None:
            return []
        return [
            f"adaptive: {self.precision.describe()}; replications = {self.planned // self.points} "
            "is the maximum per point"
        ]


def _size(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if count < 1000:
            return f"{count:.0f} {unit}"
        count /= 1000
    return f"{count:.0f} PB"


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{int(hours)}h{int(minutes):02d}m{seconds:02.0f}s"
    return f"{int(minutes)}m{seconds:02.0f}s" if minutes else f"{seconds:.1f}s"


def plan_sweep(
    experiment: str | os.PathLike[str] | Experiment,
    out: str | os.PathLike[str] | None = None,
    executor: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    shard: str | tuple[int, int] | None = None,
    retry_failed: bool = False,
    force: bool = False,
    pilots: int = 3,
) -> SweepPlan:
    """Plan a sweep without writing anything: counts, and time and disk from pilot runs."""
    check_options(executor, workers, scheduler)
    experiment = as_experiment(experiment)
    design = build_design(experiment)
    path = store_path(experiment, out)
    manifest = Store.check(path, experiment, design, force)
    members = shard_members(design, parse_shard(shard), experiment.precision is not None)
    stored = stored_status(path)[0] if manifest is not None and not force else {}
    pending = pending_rows(design, members, stored, retry_failed)
    rows = pending or [int(r) for r in members]
    next_round = None
    if experiment.precision is not None:
        progress = read_progress(path, design.runs, experiment.precision) if stored else None
        next_round = len(_asked(design, pending, experiment.precision, progress))
    count = min(pilots, len(rows))
    picks = [rows[int(i)] for i in np.linspace(0, len(rows) - 1, count)] if count else []
    outputs = pilot_outputs(model_target(experiment), list(design_tasks(design, picks)))
    durations = [o.duration_s for o in outputs]
    per_run = float(np.median(durations[1:])) if len(durations) > 1 else sum(durations)
    n_workers = 1 if executor == "serial" else (workers or default_workers())
    return SweepPlan(
        path=os.fspath(path),
        planned=len(members),
        stored=len(members) - len(pending),
        pending=len(pending),
        points=int(design.runs["point_id"].iloc[members].nunique()),
        pilot_seconds=per_run,
        pilot_failures=sum(o.status == "failed" for o in outputs),
        workers=n_workers,
        estimated_seconds=per_run * len(pending) / (n_workers * (0.9 if n_workers > 1 else 1.0)),
        estimated_bytes=int(_bytes_per_run(outputs, design) * len(pending)),
        parameters=_parameter_lines(design),
        precision=experiment.precision,
        next_round=next_round,
    )


def _asked(
    design: Design, rows: list[int], precision: Precision, progress: pd.DataFrame | None
) -> list[int]:
    """The ``rows`` that the rule asks for now: replicates below ``min`` in a new store."""
    replicates = design.runs["replicate"].to_numpy()
    if progress is None:
        return [row for row in rows if replicates[row] < precision.min]
    needed = needed_rows(design.runs, progress)
    return [row for row in rows if needed[row]]


def pilot_outputs(target: ModelTarget, tasks: list[RunTask]) -> list[RunOutput]:
    """Run ``tasks`` here (the alliance model) or in one child process (another model,
    so that a run that kills its process cannot end this one)."""
    if target.kind == "alliance" or not tasks:
        return [run_one(target, task) for task in tasks]
    with make_executor("processes", 1, preload=["sim.sweeps.runner"]) as runner:
        outputs: list[RunOutput] = []
        for task in tasks:
            for _, result, error in runner.imap_unordered(run_chunk_packed, [(target, [task])]):
                died = RunOutput(task.run_id, task.seed, status="failed", error=str(error))
                outputs += result if error is None else [died]
    return outputs


def _parameter_lines(design: Design) -> list[str]:
    lines = []
    for name in design.dtypes:
        values = design.runs[name]
        distinct = values.nunique()
        if distinct == 1:
            lines.append(f"  {name} = {values.iloc[0]!r}")
        elif design.dtypes[name] in ("int64", "float64"):
            lines.append(f"  {name}: {distinct} values in [{values.min():g}, {values.max():g}]")
        else:
            shown = ", ".join(repr(v) for v in values.unique()[:6])
            lines.append(f"  {name}: {distinct} values ({shown})")
    return lines


def _bytes_per_run(outputs: list[RunOutput], design: Design) -> float:
    """Estimated disk use per run: the pilot runs' Arrow size, times a compression ratio.

    (Files of a few rows are mostly Parquet metadata, so their size would mislead.)
    """
    if not outputs:
        return 0.0
    with tempfile.TemporaryDirectory(prefix="alliance-sim-dry-run-") as folder:
        store = Store(Path(folder), design.runs, design.dtypes, label="estimate")
        store.write_batch(outputs)
        total = sum(read_table(folder, table).nbytes for table in ("runs", "crises", "timeseries"))
    return COMPRESSION_RATIO * total / len(outputs)
