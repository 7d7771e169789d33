"""Run an experiment's design through an executor into a results store.

``sweep("experiments/quickstart.toml")`` plans the runs, skips those the store already
holds, sends the rest to the executor in chunks and writes the results in batches as
they arrive. Killed at any moment and started again, it completes only the missing runs.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiment.designs import Design, build_design
from sim.experiment.files import Experiment
from sim.store.output import RunOutput
from sim.store.reader import count_status
from sim.store.status import stored_status
from sim.store.writer import Store, refuse_if_busy
from sim.sweeps.adaptive import Rounds, check_outcome
from sim.sweeps.determinism import CHECK_RUNS, check_determinism
from sim.sweeps.executors import (
    NO_WORKER_SECONDS,
    Executor,
    ExecutorError,
    WorkerLost,
    check_options,
    default_workers,
    make_executor,
)
from sim.sweeps.plan import (
    as_experiment,
    chunks,
    default_chunk_size,
    parse_shard,
    pending_rows,
    shard_label,
    shard_members,
    store_path,
)
from sim.sweeps.runner import (
    ModelTarget,
    RunTask,
    design_tasks,
    error_text,
    model_target,
    run_chunk_packed,
    run_one,
)
from sim.sweeps.signals import check_stop, stop_on_signals
from sim.sweeps.worker import refuse_in_rerun_main

POOL_STARTUP_S = 2.0
"""A sweep whose serial estimate is below this runs serially (no pool start-up)."""
FLUSH_RUNS = 1000
FLUSH_SERIES_ROWS = 400_000
FLUSH_SECONDS = 20.0
CHUNK_SECONDS = 2.0
"""Longest a chunk of runs should take, so that finished runs reach the store in time."""


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
        maximum: an adaptive sweep's most runs (of this shard); ``planned`` is then the
            runs its rule asks for. None for a fixed sweep.
        points: an adaptive sweep's points by state (``target``, ``maximum``, ``pending``).
        rounds: an adaptive sweep's rounds run by this call.
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
    maximum: int | None = None
    points: dict[str, int] = field(default_factory=dict)
    rounds: int = 0

    @property
    def complete(self) -> bool:
        """Every planned run is stored ok."""
        return self.failed == 0 and self.pending == 0

    @property
    def runs_per_second(self) -> float:
        """Runs finished per second of this call."""
        return self.ran / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """One line for humans."""
        counts = (
            f"{self.path}: {self.done} done, {self.failed} failed, {self.pending} pending "
            f"of {self.planned}"
        )
        if self.maximum is not None:
            counts += (
                f" needed (at most {self.maximum}); {self.points.get('target', 0)} points "
                f"reached the half-width, {self.points.get('maximum', 0)} stopped at the maximum"
            )
        if self.ran == 0:
            return f"{counts}; {'none could run' if self.errors else 'nothing to run'}"
        rounds = f" in {self.rounds} rounds" if self.rounds else ""
        text = (
            f"{counts}; ran {self.ran}{rounds} in {self.seconds:.1f} s "
            f"({self.runs_per_second:.1f} runs/s, {self.executor}"
        )
        if self.executor != "serial":
            text += f", {self.workers} workers"
        return text + ")"


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
        if len(self.outputs) >= self.flush_runs or self.series_rows >= FLUSH_SERIES_ROWS:
            self.flush()
        else:
            self.flush_if_due()

    def flush_if_due(self) -> None:
        """Write the buffered runs when the oldest has waited ``flush_seconds``."""
        if time.monotonic() - self.last >= self.flush_seconds:
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


def _died(task: RunTask, how: str) -> RunOutput:
    """The failed row of a run whose process died."""
    return RunOutput(
        task.run_id, task.seed, status="failed", error=f"the run's process died: {how}"
    )


class _Session:
    """One call of :func:`sweep`: its store, its buffer, its progress bar and its counts."""

    def __init__(self, store: Store, target: ModelTarget, bar: Any, buffer: _Buffer) -> None:
        self.store = store
        self.target = target
        self.bar = bar
        self.buffer = buffer
        self.counts = {"ok": 0, "failed": 0}
        self.errors: list[str] = []
        self.executor = "serial"
        self.workers = 1
        self.per_run = 0.0
        self.unchecked: Experiment | None = None

    def ran(self) -> int:
        """Runs finished (ok or failed) by this call."""
        return self.counts["ok"] + self.counts["failed"]

    def take(self, outputs: list[RunOutput]) -> None:
        """Count finished runs and buffer them for the store.

        An adaptive sweep of another model first checks the ``[precision]`` outcome
        against the first ok run's outcomes (its columns could not be known before).
        """
        if self.unchecked is not None:
            ok = [output.outcomes for output in outputs if output.status == "ok"]
            if ok:
                check_outcome(self.unchecked, ok)
                self.unchecked = None
        for output in outputs:
            self.counts[output.status] = self.counts.get(output.status, 0) + 1
            if output.duration_s > 0:  # a run whose process died was not timed
                weight = 0.2 if self.per_run else 1.0
                self.per_run += weight * (output.duration_s - self.per_run)
        self.buffer.add(outputs)
        self.bar.update(len(outputs))
        if self.counts["failed"]:
            self.bar.set_postfix(failed=self.counts["failed"], refresh=False)

    def pilot(self, tasks: Iterator[RunTask], remaining: int, auto: bool, expected: int) -> int:
        """Run one or two alliance-model tasks here first; returns the runs left of ``tasks``.

        The pilots warm the model's compiled code once for all workers and, when the
        executor was not chosen explicitly (``auto``), tell whether a pool is worth
        its start-up for the ``expected`` runs of the call; if not, the sweep goes on
        serially.
        """
        durations: list[float] = []
        while remaining and len(durations) < (2 if auto else 1):
            output = run_one(self.target, next(tasks))
            durations.append(output.duration_s)
            remaining -= 1
            self.take([output])
            if output.duration_s > 1.0:
                break
        left = expected - len(durations)
        if auto and (min(durations) * left < POOL_STARTUP_S or default_workers() == 1):
            self.executor = "serial"
        return remaining

    def chunk_size(self, remaining: int, workers: int, fixed: int | None) -> int:
        """Runs per chunk: ``fixed``, or a share of the rest that takes at most a few seconds."""
        if fixed:
            return fixed
        size = default_chunk_size(remaining, workers)
        if self.per_run <= 0:  # no run timed yet (no pilot: another model, or serial)
            return 1 if self.target.kind != "alliance" or self.executor == "serial" else size
        return max(1, int(min(size, CHUNK_SECONDS / self.per_run)))

    def lose(self, chunk: list[RunTask], error: WorkerLost, alone: bool) -> list[RunTask]:
        """Runs of a chunk lost with its worker: the culprit fails, the others go again.

        Without a named culprit (Dask blames every run on the workers that died), a run
        fails only when it was lost while the one run in flight (``alone``).
        """
        again = []
        for task in chunk:
            how = error.culprits.get(task.run_id)
            if how is None and alone and not error.culprits:
                how = str(error)
            if how is not None:
                self.take([_died(task, how)])
            else:
                again.append(task)
        return again

    def run(
        self, runner: Executor, tasks: Iterator[RunTask], remaining: int, size: int | None
    ) -> None:
        """Send tasks to ``runner`` in chunks until every one ran or failed.

        Runs lost with a worker that another run killed go again, one per chunk, then
        (those lost again without a named culprit) one at a time.
        """
        for round_ in itertools.count():
            orphans: list[RunTask] = []
            alone = round_ >= 2
            sizes = (self.chunk_size(remaining, runner.workers, size) for _ in itertools.count())
            packed = ((self.target, c) for c in chunks(tasks, sizes))
            flight = 1 if alone else None
            for item, result, error in runner.imap_unordered(
                run_chunk_packed, packed, max_in_flight=flight, tick=True
            ):
                check_stop()
                if item is None:
                    self.buffer.flush_if_due()
                elif isinstance(error, WorkerLost):
                    orphans += self.lose(item[1], error, alone)
                elif error is not None:
                    self.errors.append(f"{len(item[1])} runs not run: {error_text(error)}")
                else:
                    remaining -= len(result)
                    self.take(result)
            if not orphans:
                return
            tasks, size = iter(orphans), 1

    def execute(
        self,
        rounds: Iterable[tuple[Iterator[RunTask], int]],
        expected: int,
        options: dict[str, Any],
        size: int | None,
    ) -> None:
        """Pilot runs here (alliance model, unless serial), then the rest on the executor.

        ``rounds`` gives the tasks of each round and their number (one round for a fixed
        sweep; an adaptive one computes each round when the last has finished) and
        ``expected`` the most runs they may hold. One executor runs every round; none is
        made when there is nothing to run. Another model's runs never run in this
        process: a serial sweep of it runs them in one child process, so that a run
        that kills its process fails alone.
        """
        alliance = self.target.kind == "alliance"
        plan = iter(rounds)
        tasks, remaining = next(plan, (iter(()), 0))
        if self.executor != "serial" and remaining and alliance:
            auto = self.executor == "processes" and options.get("workers") is None
            remaining = self.pilot(tasks, remaining, auto, expected)
        check_stop()
        name = self.executor if self.executor != "serial" or alliance else "processes"
        if name != self.executor:
            options = {**options, "workers": 1}
        preload = ["sim.sweeps.runner"]
        module = self.target.ref.partition(":")[0]
        if not module.endswith(".py"):
            preload.append(module)
        first = [(tasks, remaining)]
        try:
            with contextlib.ExitStack() as stack:
                runner: Executor | None = None
                for round_tasks, count in itertools.chain(first, plan):
                    if not count:
                        continue
                    if runner is None:
                        made = make_executor(name, preload=preload, **options)
                        runner = stack.enter_context(made)
                        self.workers = runner.workers
                    self.run(runner, round_tasks, count, size)
        except ExecutorError as error:
            check_stop()  # a stop signal that reached the workers too is a stop
            self.errors.append(str(error))
        except Exception:
            check_stop()  # the stop signal reached the pool's processes too and broke it
            raise

    def close(self, interrupted: bool) -> None:
        """Write what finished; after an interruption, record it (errors then are secondary)."""
        self.bar.close()
        if not interrupted:
            self.buffer.flush()
            return
        with contextlib.suppress(OSError):
            self.buffer.flush()
        with contextlib.suppress(OSError):
            ran = self.counts["ok"] + self.counts["failed"]
            self.store.finish({"interrupted": True, **self.counts}, ran)


def _rows_to_run(
    store: Store,
    design: Design,
    shard: tuple[int, int] | None,
    retry_failed: bool,
    by_point: bool = False,
) -> tuple[np.ndarray, list[int]]:
    """The shard's design rows, and those not stored (failed ones removed to retry)."""
    members = shard_members(design, shard, by_point)
    stored = store.run_status()
    if retry_failed:
        run_ids = design.runs["run_id"].to_numpy()[members]
        failed = {rid for rid in run_ids if stored.get(rid) == "failed"}
        store.remove_runs(failed)
        stored = {rid: status for rid, status in stored.items() if rid not in failed}
    return members, pending_rows(design, members, stored, retry_failed=False)


def first_pending(
    path: Path,
    experiment: Experiment,
    design: Design,
    shard: tuple[int, int] | None,
    retry_failed: bool,
    force: bool,
) -> list[RunTask]:
    """The first :data:`CHECK_RUNS` runs a sweep would run, read without writing anything.

    Raises :class:`~sim.store.StoreError` when ``path`` cannot take the experiment.
    """
    manifest = Store.check(path, experiment, design, force)
    members = shard_members(design, shard, experiment.precision is not None)
    stored = stored_status(path)[0] if manifest is not None and not force else {}
    rows = pending_rows(design, members, stored, retry_failed)
    return list(design_tasks(design, rows[:CHECK_RUNS]))


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
    worker_timeout: float = NO_WORKER_SECONDS,
    command: str | None = None,
    determinism_check: bool = True,
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
        worker_timeout: Dask: seconds without any worker before the sweep stops.
        command: the command line recorded in the manifest.
        determinism_check: before writing, run the first pending runs of a model other
            than the alliance model twice in two fresh processes and compare
            (see :mod:`sim.sweeps.determinism`).

    Returns:
        A :class:`SweepResult`; ``complete`` is False when runs failed or are pending.

    Raises:
        InputError: a bad experiment file, scenario or option, or ``out`` is not a store
            this experiment may extend, or another process writes it (nothing written).
        NotDeterministic: the model gave different results for the same seed (nothing
            written).
        Stopped: SIGTERM or SIGHUP arrived (finished runs are stored first).
    """
    refuse_in_rerun_main("sweep")
    started = time.perf_counter()
    check_options(executor, workers, scheduler, worker_timeout)
    experiment = as_experiment(experiment)
    shard_slice = parse_shard(shard)
    design = build_design(experiment)
    path, label = store_path(experiment, out), shard_label(shard_slice)
    with stop_on_signals():
        if determinism_check and experiment.model is not None:
            refuse_if_busy(path, label, force)  # a second writer is refused at once
            tasks = first_pending(path, experiment, design, shard_slice, retry_failed, force)
            outputs = list(check_determinism(model_target(experiment), tasks).values())
            if experiment.precision is not None:
                check_outcome(experiment, [o.outcomes for o in outputs if o.status == "ok"])
        store = Store.open(path, experiment, design, force=force, label=label, command=command)
        try:
            return _sweep_into(
                store, experiment, design, shard_slice, retry_failed, progress,
                {"workers": workers, "scheduler": scheduler, "worker_timeout": worker_timeout},
                executor, chunk_size, (flush_runs, flush_seconds), started,
            )  # fmt: skip
        finally:
            store.close()


def _sweep_into(
    store: Store,
    experiment: Experiment,
    design: Design,
    shard: tuple[int, int] | None,
    retry_failed: bool,
    progress: bool,
    options: dict[str, Any],
    executor: str,
    chunk_size: int | None,
    flush: tuple[int, float],
    started: float,
) -> SweepResult:
    """The body of :func:`sweep` once its store is open and locked."""
    precision = experiment.precision
    members, rows = _rows_to_run(store, design, shard, retry_failed, precision is not None)
    bar = _progress(len(members), len(members) - len(rows), progress, experiment.name)
    session = _Session(store, model_target(experiment), bar, _Buffer(store, *flush))
    session.executor = executor
    rounds: Iterable[tuple[Iterator[RunTask], int]] = [(design_tasks(design, rows), len(rows))]
    if precision is not None:
        rounds = Rounds(store, design, precision, members, session.buffer.flush, session.ran, bar)
        rounds.name = experiment.name
        session.unchecked = experiment if experiment.model is not None else None
    try:
        session.execute(rounds, len(rows), options, chunk_size)
    except BaseException:
        session.close(interrupted=True)
        raise
    session.close(interrupted=False)
    adaptive: dict[str, Any] = {}
    if isinstance(rounds, Rounds):
        adaptive = {"maximum": len(members), "points": rounds.states(), "rounds": rounds.number}
        members = members[rounds.needed()[members]]
    slice_ids = design.runs["run_id"].to_numpy()[members]
    seconds = time.perf_counter() - started
    return _finish(session, slice_ids, seconds, shard_label(shard), adaptive)


def _finish(
    session: _Session,
    slice_ids: np.ndarray,
    seconds: float,
    label: str,
    adaptive: dict[str, Any],
) -> SweepResult:
    """Count the shard's planned runs in the store, record the session in the manifest.

    ``adaptive``: an adaptive sweep's ``maximum``, ``points`` and ``rounds`` (else empty).
    """
    counts = count_status(set(slice_ids.tolist()), session.store.run_status())
    done, failed = counts["done"], counts["failed"]
    result = SweepResult(
        path=os.fspath(session.store.path),
        planned=len(slice_ids),
        done=done,
        failed=failed,
        pending=counts["pending"],
        ran=session.ran(),
        seconds=seconds,
        executor=session.executor,
        workers=session.workers,
        errors=session.errors,
        **adaptive,
    )
    session.store.finish(
        {
            "executor": result.executor,
            "workers": result.workers,
            "shard": label,
            "ran": result.ran,
            "seconds": round(result.seconds, 3),
            "done": done,
            "failed": failed,
            "pending": result.pending,
            **adaptive,
        },
        result.ran,
    )
    return result
