"""Run an experiment's design through an executor into a results store.

``sweep("experiments/quickstart.toml")`` plans the runs, skips those the store already
holds, sends the rest to the executor in chunks and writes the results in batches as
they arrive. Killed at any moment and started again, it completes only the missing runs.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc

from sim.executors import (
    EXECUTORS,
    Executor,
    default_workers,
    make_executor,
    scheduler_problem,
)
from sim.experiment import (
    Design,
    Experiment,
    ExperimentError,
    build_design,
    in_shard,
    load_experiment,
    parse_shard,
)
from sim.runner import (
    ModelTarget,
    RunTask,
    design_tasks,
    error_text,
    model_target,
    run_chunk_packed,
    run_one,
)
from sim.scenario import ScenarioSpec
from sim.store import (
    RunOutput,
    Store,
    StoreError,
    read_design,
    read_manifest,
    read_table,
    store_status,
)

POOL_STARTUP_S = 2.0
"""A sweep whose serial estimate is below this runs serially (no pool start-up)."""
MAX_CHUNK = 64
FLUSH_RUNS = 1000
FLUSH_SERIES_ROWS = 400_000
FLUSH_SECONDS = 20.0


# ----------------------------------------------------------------------------------------
# The sweep
# ----------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What a sweep did and what its store (or shard of it) now holds.

    Attributes:
        path: the store folder.
        planned: planned runs (of this shard).
        done: runs stored ok.
        failed: runs stored failed.
        pending: runs not stored.
        ran: runs finished by this call.
        seconds: wall time of this call.
        executor: the executor that ran them.
        workers: its workers.
        errors: executor errors that left runs pending.
    """

    path: str
    planned: int
    done: int
    failed: int
    pending: int
    ran: int = 0
    seconds: float = 0.0
    executor: str = "serial"
    workers: int = 1
    errors: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every planned run is stored ok, else 1."""
        return 0 if self.failed == 0 and self.pending == 0 else 1

    @property
    def runs_per_second(self) -> float:
        """Runs finished per second of this call."""
        return self.ran / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """One line for humans."""
        if self.ran == 0:
            return (
                f"{self.path}: {self.done} done, {self.failed} failed, {self.pending} pending "
                f"of {self.planned}; nothing to run"
            )
        text = (
            f"{self.path}: {self.done} done, {self.failed} failed, {self.pending} pending "
            f"of {self.planned}; ran {self.ran} in {self.seconds:.1f} s "
            f"({self.runs_per_second:.1f} runs/s, {self.executor}"
        )
        if self.executor != "serial":
            text += f", {self.workers} workers"
        return text + ")"


def _experiment(experiment: str | os.PathLike[str] | Experiment) -> Experiment:
    if isinstance(experiment, Experiment):
        return experiment
    return load_experiment(experiment)


def _label(shard: tuple[int, int] | None) -> str:
    return "all" if shard is None else f"{shard[0]}of{shard[1]}"


def _check_options(executor: str, workers: int | None, scheduler: str | None) -> None:
    if executor not in EXECUTORS:
        raise ExperimentError(
            "--executor", None, f"unknown executor {executor!r} (one of {', '.join(EXECUTORS)})"
        )
    if workers is not None and (isinstance(workers, bool) or not 1 <= int(workers) <= 100_000):
        raise ExperimentError("--workers", None, f"expected a positive number, got {workers!r}")
    if scheduler and executor != "dask":
        raise ExperimentError("--scheduler", None, "applies to --executor dask only")
    if scheduler:
        problem = scheduler_problem(scheduler)
        if problem:
            raise ExperimentError("--scheduler", None, problem)


class _Buffer:
    """Finished runs waiting to be written; flushed by size or age."""

    def __init__(self, store: Store, flush_runs: int, flush_seconds: float) -> None:
        self.store = store
        self.flush_runs = flush_runs
        self.flush_seconds = flush_seconds
        self.outputs: list[RunOutput] = []
        self.series_rows = 0
        self.last = time.monotonic()

    def add(self, outputs: list[RunOutput]) -> None:
        self.outputs.extend(outputs)
        for output in outputs:
            if output.series:
                self.series_rows += len(next(iter(output.series.values())))
        if (
            len(self.outputs) >= self.flush_runs
            or self.series_rows >= FLUSH_SERIES_ROWS
            or time.monotonic() - self.last >= self.flush_seconds
        ):
            self.flush()

    def flush(self) -> None:
        if self.outputs:
            self.store.write_batch(self.outputs)
        self.outputs = []
        self.series_rows = 0
        self.last = time.monotonic()


def _progress(total: int, initial: int, enabled: bool, description: str) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="run",
        desc=description,
        disable=not enabled or not sys.stderr.isatty(),
        dynamic_ncols=True,
        smoothing=0.05,
    )


def sweep(
    experiment: str | os.PathLike[str] | Experiment,
    out: str | os.PathLike[str] | None = None,
    executor: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    shard: str | tuple[int, int] | None = None,
    retry_failed: bool = False,
    force: bool = False,
    progress: bool = True,
    *,
    chunk_size: int | None = None,
    flush_runs: int = FLUSH_RUNS,
    flush_seconds: float = FLUSH_SECONDS,
    command: str | None = None,
) -> SweepResult:
    """Run an experiment into its results store, completing only the missing runs.

    Args:
        experiment: an experiment file or a loaded :class:`Experiment`.
        out: the store folder (default ``results/NAME``).
        executor: ``serial``, ``processes`` (default) or ``dask``.
        workers: worker processes (default: the usable cores; Dask: the cluster's).
        scheduler: a Dask scheduler address; a local cluster on 127.0.0.1 when None.
        shard: ``"K/N"``: run only the K-th of N deterministic slices of the design.
        retry_failed: rerun the runs stored as failed and replace their rows.
        force: replace the results of a store made by a different experiment.
        progress: show a progress bar (only when stderr is a terminal).
        chunk_size: runs per task sent to a worker (default: sized to the sweep).
        flush_runs: finished runs buffered before a batch is written.
        flush_seconds: longest time finished runs wait before being written.
        command: the command line recorded in the manifest.

    Returns:
        A :class:`SweepResult`; its ``exit_code`` is 1 when runs failed or are pending.

    Raises:
        ExperimentError: bad experiment file or options (nothing written).
        ScenarioError: bad scenario (nothing written).
        StoreError: ``out`` is not a store this experiment may extend (nothing written).
    """
    started = time.perf_counter()
    _check_options(executor, workers, scheduler)
    experiment = _experiment(experiment)
    shard_slice = parse_shard(shard) if not isinstance(shard, tuple) else shard
    design = build_design(experiment)
    path = Path(out) if out is not None else Path("results") / experiment.name
    label = _label(shard_slice)
    store = Store.open(path, experiment, design, force=force, label=label, command=command)

    members = np.flatnonzero(in_shard(design.runs["run_id"], shard_slice))
    status = store.run_status()
    if retry_failed:
        failed_ids = [
            rid for rid in design.runs["run_id"].to_numpy()[members] if status.get(rid) == "failed"
        ]
        store.remove_runs(failed_ids)
        for rid in failed_ids:
            status.pop(rid, None)
    run_ids = design.runs["run_id"].to_numpy()
    pending_rows = [int(row) for row in members if run_ids[row] not in status]
    already = len(members) - len(pending_rows)
    target = model_target(experiment)
    buffer = _Buffer(store, flush_runs, flush_seconds)
    counts = {"ok": 0, "failed": 0}
    errors: list[str] = []
    chosen = executor
    pool_workers = 1
    bar = _progress(len(members), already, progress, experiment.name)

    def take(outputs: list[RunOutput]) -> None:
        for output in outputs:
            counts[output.status] = counts.get(output.status, 0) + 1
        buffer.add(outputs)
        bar.update(len(outputs))
        if counts["failed"]:
            bar.set_postfix(failed=counts["failed"], refresh=False)

    try:
        tasks = design_tasks(design, pending_rows)
        remaining = len(pending_rows)
        if executor != "serial" and remaining:
            # Pilot runs here first: they warm the model's compiled code once for all
            # workers and tell whether a pool is worth its start-up.
            auto = executor == "processes" and workers is None
            durations = []
            while remaining and len(durations) < (2 if auto else 1):
                output = run_one(target, next(tasks))
                durations.append(output.duration_s)
                remaining -= 1
                take([output])
                if output.duration_s > 1.0:
                    break
            if auto and (min(durations) * remaining < POOL_STARTUP_S or default_workers() == 1):
                chosen = "serial"
        if remaining:
            preload = ["sim.runner"]
            module = target.ref.partition(":")[0]
            if not module.endswith(".py"):
                preload.append(module)
            with make_executor(chosen, workers, scheduler, preload=preload) as runner:
                pool_workers = runner.workers
                size = chunk_size or _chunk_size(remaining, runner)
                chunks = _chunks(tasks, size)
                packed = ((target, chunk) for chunk in chunks)
                for item, result, error in runner.imap_unordered(run_chunk_packed, packed):
                    if error is not None:
                        errors.append(f"{len(item[1])} runs not run: {error_text(error)}")
                        continue
                    take(result)
        buffer.flush()
    except BaseException:
        bar.close()
        try:
            buffer.flush()
        finally:
            store.finish({"interrupted": True, **counts})
        raise
    bar.close()
    result_status = store.run_status()
    slice_ids = run_ids[members]
    done = sum(1 for rid in slice_ids if result_status.get(rid) == "ok")
    failed = sum(1 for rid in slice_ids if result_status.get(rid) == "failed")
    result = SweepResult(
        path=os.fspath(path),
        planned=len(members),
        done=done,
        failed=failed,
        pending=len(members) - done - failed,
        ran=counts["ok"] + counts["failed"],
        seconds=time.perf_counter() - started,
        executor=chosen,
        workers=pool_workers,
        errors=errors,
    )
    store.finish(
        {
            "executor": chosen,
            "workers": pool_workers,
            "shard": label,
            "ran": result.ran,
            "seconds": round(result.seconds, 3),
            "done": done,
            "failed": failed,
            "pending": result.pending,
        }
    )
    return result


def _chunk_size(remaining: int, runner: Executor) -> int:
    if runner.name == "serial":
        return max(1, min(remaining, 256))
    return max(1, min(MAX_CHUNK, math.ceil(remaining / (runner.workers * 8))))


def _chunks(tasks: Iterator[RunTask], size: int) -> Iterator[list[RunTask]]:
    chunk: list[RunTask] = []
    for task in tasks:
        chunk.append(task)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ----------------------------------------------------------------------------------------
# Dry run
# ----------------------------------------------------------------------------------------


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

    def lines(self) -> list[str]:
        """Lines for humans."""

        def size(count: float) -> str:
            for unit in ("B", "kB", "MB", "GB", "TB"):
                if count < 1000:
                    return f"{count:.0f} {unit}"
                count /= 1000
            return f"{count:.0f} PB"

        minutes, seconds = divmod(self.estimated_seconds, 60)
        hours, minutes = divmod(minutes, 60)
        duration = (
            f"{int(hours)}h{int(minutes):02d}m{seconds:02.0f}s"
            if hours
            else (f"{int(minutes)}m{seconds:02.0f}s" if minutes else f"{seconds:.1f}s")
        )
        lines = [
            f"store: {self.path}",
            f"planned runs: {self.planned} ({self.points} points), already stored: "
            f"{self.stored}, to run: {self.pending}",
            *self.parameters,
            f"pilot runs: {self.pilot_seconds * 1000:.1f} ms per run"
            + (f" ({self.pilot_failures} failed)" if self.pilot_failures else ""),
            f"estimated time: {duration} on {self.workers} workers; "
            f"estimated disk: {size(self.estimated_bytes)}",
        ]
        return lines


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
    _check_options(executor, workers, scheduler)
    experiment = _experiment(experiment)
    shard_slice = parse_shard(shard) if not isinstance(shard, tuple) else shard
    design = build_design(experiment)
    path = Path(out) if out is not None else Path("results") / experiment.name
    manifest = Store.check(path, experiment, design, force)
    members = np.flatnonzero(in_shard(design.runs["run_id"], shard_slice))
    stored: dict[str, str] = {}
    if manifest is not None and not force:
        table = read_table(path, "runs", columns=["run_id", "status"])
        if table.num_rows:
            stored = dict(
                zip(
                    table.column("run_id").to_pylist(),
                    table.column("status").to_pylist(),
                    strict=True,
                )
            )
    run_ids = design.runs["run_id"].to_numpy()
    pending = [
        int(r)
        for r in members
        if run_ids[r] not in stored or (retry_failed and stored[run_ids[r]] == "failed")
    ]
    count = min(pilots, len(pending)) if pending else min(pilots, len(members))
    sample_rows = pending or [int(r) for r in members]
    picks = (
        [sample_rows[int(i)] for i in np.linspace(0, len(sample_rows) - 1, count)] if count else []
    )
    target = model_target(experiment)
    outputs = [run_one(target, task) for task in design_tasks(design, picks)]
    if len(outputs) > 1:
        per_run = float(np.median([o.duration_s for o in outputs[1:]]))
    else:
        per_run = outputs[0].duration_s if outputs else 0.0
    n_workers = 1 if executor == "serial" else (workers or default_workers())
    bytes_per_run = _bytes_per_run(outputs, design)
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
        estimated_bytes=int(bytes_per_run * len(pending)),
        parameters=_parameter_lines(design),
    )


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


COMPRESSION_RATIO = 0.5
"""Stored Parquet size over in-memory Arrow size, typical of sweep results."""


def _bytes_per_run(outputs: list[RunOutput], design: Design) -> float:
    """Estimated disk use per run: the pilot runs' Arrow size, times a compression ratio.

    (Files of a few rows are mostly Parquet metadata, so their size would mislead.)
    """
    if not outputs:
        return 0.0
    import tempfile

    with tempfile.TemporaryDirectory(prefix="alliance-sim-dry-run-") as folder:
        store = Store(Path(folder), design.runs, design.dtypes, label="estimate")
        store.write_batch(outputs)
        total = sum(read_table(folder, table).nbytes for table in ("runs", "crises", "timeseries"))
    return COMPRESSION_RATIO * total / len(outputs)


# ----------------------------------------------------------------------------------------
# Replay
# ----------------------------------------------------------------------------------------


@dataclass
class ReplayResult:
    """Whether rerunning a stored run reproduced what was stored."""

    run_id: str
    matches: bool
    differences: list[str]

    def line(self) -> str:
        """One line for humans."""
        if self.matches:
            return f"{self.run_id}: reproduced exactly"
        return f"{self.run_id}: differs: {'; '.join(self.differences[:5])}"


def _same(stored: Any, fresh: Any) -> bool:
    if stored is None or fresh is None:
        if isinstance(stored, float) and math.isnan(stored) and fresh is None:
            return True
        return stored is None and fresh is None
    if isinstance(stored, float) or isinstance(fresh, float):
        try:
            a, b = float(stored), float(fresh)
        except (TypeError, ValueError):
            return False
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(stored, str) and not isinstance(fresh, str):
        return stored == str(fresh)
    return bool(stored == fresh)


def replay_target(path: str | os.PathLike[str]) -> ModelTarget:
    """The :class:`ModelTarget` a store's runs were made with (from its manifest)."""
    manifest = read_manifest(path)
    fingerprint = manifest.get("fingerprint", {})
    if manifest.get("model", "alliance") == "alliance":
        scenario = manifest.get("scenario")
        if scenario is None:
            raise StoreError(path, "the manifest holds no scenario")
        return ModelTarget(
            kind="alliance",
            ref=manifest.get("simulate") or "sim.simulate:simulate",
            base_dir=manifest.get("base_dir"),
            spec=ScenarioSpec.from_dict(scenario, source=f"{os.fspath(path)}/manifest.json"),
            record_every=int(fingerprint.get("timeseries_every", 0)),
        )
    return ModelTarget(
        kind="model",
        ref=manifest["model"],
        base_dir=manifest.get("base_dir"),
        record_every=int(fingerprint.get("timeseries_every", 0)),
        horizon=fingerprint.get("horizon"),
    )


def replay(path: str | os.PathLike[str], run_id: str) -> ReplayResult:
    """Rerun one stored run and check it reproduces its stored row, crises and series.

    Raises:
        StoreError: ``path`` is not a store or holds no run ``run_id``.
    """
    target = replay_target(path)
    design = read_design(path)
    matches = design.index[design["run_id"] == run_id]
    if len(matches) == 0:
        raise StoreError(path, f"no run {run_id!r} in the design")
    runs = read_table(path, "runs", filter=pc.field("run_id") == run_id)
    if runs.num_rows == 0:
        raise StoreError(path, f"run {run_id!r} has not run yet")
    stored = runs.to_pylist()[-1]
    fixed = {"run_id", "point_id", "point_index", "replicate", "seed"}
    params = {name: stored[name] for name in design.columns if name not in fixed}
    task = RunTask(run_id, int(stored["seed"]), tuple(params.items()))
    output = run_one(target, task)
    differences: list[str] = []
    fresh_row = {"status": output.status, "error": output.error, **output.outcomes}
    skip = {"run_id", "point_id", "replicate", "seed", "duration_s", *params}
    for name, value in stored.items():
        if name in skip:
            continue
        if not _same(value, fresh_row.get(name)):
            differences.append(f"{name}: stored {value!r}, now {fresh_row.get(name)!r}")
    for name in fresh_row:
        if name not in stored and fresh_row[name] is not None:
            differences.append(f"{name}: not stored, now {fresh_row[name]!r}")
    crises = read_table(path, "crises", filter=pc.field("run_id") == run_id)
    stored_crises = (
        sorted(crises.to_pylist(), key=lambda row: row["episode"]) if crises.num_rows else []
    )
    if len(stored_crises) != len(output.crises):
        differences.append(f"crises: stored {len(stored_crises)}, now {len(output.crises)}")
    else:
        for row, episode in zip(stored_crises, output.crises, strict=True):
            for name, value in row.items():
                if name in ("run_id", "episode"):
                    continue
                if not _same(value, episode.get(name)):
                    now = episode.get(name)
                    differences.append(
                        f"crisis {row['episode']} {name}: stored {value!r}, now {now!r}"
                    )
    series = read_table(path, "timeseries", filter=pc.field("run_id") == run_id)
    fresh_series = output.series or {}
    if series.num_rows or fresh_series:
        length = len(next(iter(fresh_series.values()))) if fresh_series else 0
        if series.num_rows != length:
            differences.append(f"timeseries: stored {series.num_rows} rows, now {length}")
        else:
            for name in series.column_names:
                if name == "run_id":
                    continue
                stored_values = series.column(name).to_numpy(zero_copy_only=False)
                values = fresh_series.get(name)
                if values is None or not _arrays_equal(stored_values, np.asarray(values)):
                    differences.append(f"timeseries {name} differs")
    return ReplayResult(run_id, not differences, differences)


def _arrays_equal(stored: np.ndarray, fresh: np.ndarray) -> bool:
    if stored.shape != fresh.shape:
        return False
    if stored.dtype.kind in "fiub" and fresh.dtype.kind in "fiub":
        return bool(
            np.array_equal(stored.astype(np.float64), fresh.astype(np.float64), equal_nan=True)
        )
    return bool(np.all(stored.astype(object) == fresh.astype(object)))


__all__ = [
    "ModelTarget",
    "ReplayResult",
    "RunTask",
    "SweepPlan",
    "SweepResult",
    "design_tasks",
    "plan_sweep",
    "replay",
    "run_one",
    "store_status",
    "sweep",
]
