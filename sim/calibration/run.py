"""Running a calibration: ABC-SMC (or rejection ABC) on the sweeps' executors, into a store.

``calibrate("experiments/calibrate-baseline.toml")`` draws candidate points, simulates
each one's runs on the executor (serial, processes or Dask, as a sweep does), computes
their statistics and distances, and accepts candidates until a generation's population
is full (:mod:`sim.calibration.smc`). Candidates go to the executor in batches
(:func:`batch_size`); each batch is accepted in candidate order once all of it is back,
and every draw comes from the candidate's own seeds, so a calibration gives the same
result bit for bit whatever the executor and its number of workers. Evaluated candidates are
written to the store as they finish; killed and started again, a calibration reads
them, recomputes every generation from them and simulates only what is missing.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.evaluate import Candidate, CandidateOutput, evaluate_packed
from sim.calibration.posterior import ParameterSummary, posterior_toml, summarise
from sim.calibration.smc import (
    Kernel,
    Population,
    Proposal,
    from_prior,
    importance_weights,
    next_tolerance,
)
from sim.calibration.statistics import parse_statistic
from sim.experiment.calibration import CalibrationSpec
from sim.experiment.files import Experiment, load_experiment
from sim.experiment.seeds import candidate_seeds, proposal_generator
from sim.experiment.spec import ExperimentError
from sim.store.calibration import (
    CANDIDATES,
    GENERATIONS,
    PARTICLES,
    POSTERIOR,
    PREDICTIVE,
    CalibrationStore,
)
from sim.store.manifest import StoreError
from sim.store.writer import refuse_if_busy
from sim.sweeps.executors import (
    NO_WORKER_SECONDS,
    Executor,
    ExecutorError,
    WorkerLost,
    check_options,
    make_executor,
)
from sim.sweeps.plan import store_path
from sim.sweeps.runner import ModelTarget, error_text, model_target, other_target
from sim.sweeps.signals import check_stop, stop_on_signals
from sim.sweeps.worker import refuse_in_rerun_main

PREDICTIVE_GENERATION = 2**32 - 1
"""The generation number of the posterior predictive check's draws, in their seeds."""
OUTSIDE = "no move stayed inside the prior"
BATCH_MARGIN = Fraction(11, 10)
"""A batch after a generation's first holds this many times the candidates it should need."""
REJECTION_BATCH = 256
"""Candidates per batch of a rejection calibration."""
FLUSH_CANDIDATES = 200
FLUSH_SECONDS = 10.0
"""Evaluated candidates are written every this many, or this often, and after each batch."""


@dataclass
class GenerationSummary:
    """One generation of a calibration.

    Attributes:
        generation: its number.
        tolerance: the largest distance it accepted (infinite for generation 0 of
            ABC-SMC, which takes the prior's draws).
        candidates: candidates drawn until the population was full (all of them when
            it could not be filled).
        evaluated: candidates simulated (its batches overshoot the filling one).
        accepted: particles accepted.
        ess: their effective sample size.
        runs: runs simulated for it (``evaluated`` x replications).
        seconds: wall time of this call for it.
    """

    generation: int
    tolerance: float
    candidates: int
    evaluated: int
    accepted: int
    ess: float
    runs: int
    seconds: float = 0.0

    @property
    def acceptance_rate(self) -> float:
        """Accepted over drawn candidates."""
        return self.accepted / self.candidates if self.candidates else 0.0

    def line(self) -> str:
        """One line of progress for humans."""
        tolerance = "inf (the prior)" if math.isinf(self.tolerance) else f"{self.tolerance:.4g}"
        return (
            f"generation {self.generation}: tolerance {tolerance}, accepted {self.accepted} of "
            f"{self.candidates} candidates ({self.acceptance_rate:.0%}), {self.runs} runs, "
            f"{self.seconds:.1f} s"
        )

    def row(self) -> dict[str, Any]:
        """Its row of ``generations.parquet`` (timing aside)."""
        return {
            "generation": self.generation,
            "tolerance": self.tolerance,
            "candidates": self.candidates,
            "evaluated": self.evaluated,
            "accepted": self.accepted,
            "acceptance_rate": self.acceptance_rate,
            "ess": self.ess,
            "runs": self.runs,
        }


@dataclass
class CalibrationResult:
    """What a calibration did, and its posterior.

    Attributes:
        path: the store folder.
        generations: every generation, in order (the last one may have stopped).
        posterior: each parameter's posterior median and 90% interval.
        runs: runs simulated by this call.
        runs_stored: runs of every candidate in the store.
        seconds: wall time of this call.
        executor: the executor that ran the runs.
        workers: its workers.
        stopped: why the calibration stopped before its last generation, or None.
    """

    path: str
    generations: list[GenerationSummary]
    posterior: list[ParameterSummary]
    runs: int = 0
    runs_stored: int = 0
    seconds: float = 0.0
    executor: str = "serial"
    workers: int = 1
    stopped: str | None = None

    @property
    def complete(self) -> bool:
        """Every generation asked for ran."""
        return self.stopped is None

    def lines(self) -> list[str]:
        """The final summary for humans."""
        lines = [
            f"{self.path}: posterior of {len(self.posterior)} parameters (median, 90% interval)"
        ]
        lines += [f"  {summary.line()}" for summary in self.posterior]
        if self.runs == 0:
            ran = f"none by this call, {self.runs_stored} read from the store"
        else:
            ran = f"{self.runs} by this call ({self.runs_stored} in the store)"
            ran += f", {self.executor}" + (
                f" with {self.workers} workers" if self.workers > 1 else ""
            )
        lines.append(f"runs simulated: {ran}; {self.seconds:.1f} s")
        return lines


def calibration_target(experiment: Experiment) -> ModelTarget:
    """What every run of the calibration calls (no series recorded)."""
    assert experiment.calibration is not None
    if experiment.model is None:
        return model_target(experiment)
    names = [p.name for p in experiment.parameters] + list(experiment.calibration.names)
    return other_target(
        experiment.model, names, experiment.scenario, str(experiment.base_dir), 0,
        experiment.horizon,
    )  # fmt: skip


def batch_size(population: int, accepted: int, evaluated: int) -> int:
    """Candidates of a generation's next batch: one population first, then as many as the
    acceptance rate so far says are missing, 10% more (at least a tenth of a population).

    It depends on the generation's results so far only, never on the executor.
    """
    if evaluated == 0:
        return population
    missing = population - accepted
    needed = math.ceil(BATCH_MARGIN * missing * evaluated / max(accepted, 1))  # exact
    return max(needed, math.ceil(population / 10))


class _Session:
    """One call of :func:`calibrate`: the store, the executor and what they hold."""

    def __init__(
        self,
        experiment: Experiment,
        store: CalibrationStore,
        options: dict[str, Any],
        progress: bool,
        echo: Callable[[str], None] | None,
    ) -> None:
        assert experiment.calibration is not None
        self.spec: CalibrationSpec = experiment.calibration
        self.root = experiment.seed
        self.fixed = tuple((p.name, p.values[0]) for p in experiment.parameters)
        self.bounds = np.array([prior.bounds() for prior in self.spec.priors])
        self.target = calibration_target(experiment)
        self.statistics = tuple(text for _, text in self.spec.statistics)
        self.store = store
        self.options = options
        self.progress = progress
        self.echo = echo or (lambda line: None)
        self.stored = {
            table: _stored(store.read(table), table) for table in (CANDIDATES, PREDICTIVE)
        }
        self.runner: Executor | None = None
        self.executor = options["executor"]
        self.workers = 1
        self.ran = 0
        self.buffers: dict[str, list[dict[str, Any]]] = {CANDIDATES: [], PREDICTIVE: []}
        self.flushed = time.monotonic()
        self.particles: list[pd.DataFrame] = []
        self.summaries: list[GenerationSummary] = []
        self.last_generation = 0

    # -- the executor ----------------------------------------------------------------------
    def _runner(self) -> Executor:
        """The executor, started on first need (a finished calibration starts none)."""
        if self.runner is not None:
            return self.runner
        alliance = self.target.kind == "alliance"
        name, options = self.executor, dict(self.options)
        options.pop("executor")
        if name == "serial" and not alliance:  # another model never runs in this process
            name, options["workers"] = "processes", 1
        if alliance and name != "serial":
            from sim.model.compiled import ensure_kernel

            ensure_kernel()  # compiled (or loaded) once here, before the workers load it
        preload = ["sim.calibration.evaluate"]
        module = self.target.ref.partition(":")[0]
        if not module.endswith(".py"):
            preload.append(module)
        self.runner = make_executor(name, preload=preload, **options)
        self.workers = self.runner.workers
        return self.runner

    def _execute(self, candidates: list[Candidate]) -> Iterator[CandidateOutput]:
        """Each candidate's output as it finishes. A candidate lost with its worker goes
        again alone; lost again, or named as the run that killed its worker, it fails."""
        pending, alone = candidates, False
        while pending:
            lost = []
            packed = ((self.target, c, self.statistics) for c in pending)
            flight = 1 if alone else None
            runner = self._runner()
            for item, result, error in runner.imap_unordered(
                evaluate_packed, packed, max_in_flight=flight, tick=True
            ):
                check_stop()
                if item is None:
                    self._flush_if_due()
                    continue
                candidate = item[1]
                if isinstance(error, WorkerLost):
                    named = [
                        error.culprits[t.run_id]
                        for t in candidate.tasks()
                        if t.run_id in error.culprits
                    ]
                    if named or alone:
                        how = named[0] if named else str(error)
                        yield self._failed(candidate, f"the run's process died: {how}")
                    else:
                        lost.append(candidate)
                elif error is not None:
                    yield self._failed(candidate, error_text(error))
                else:
                    yield result
            pending, alone = lost, True

    # -- candidates ------------------------------------------------------------------------
    def _failed(self, candidate: Candidate, error: str) -> CandidateOutput:
        """The output of a candidate none of whose runs gave a result."""
        nan = (math.nan,) * len(self.statistics)
        runs = len(candidate.seeds)
        return CandidateOutput(candidate.generation, candidate.index, nan, 0, runs, error, 0.0)

    def _calibrated(self, z: np.ndarray) -> dict[str, float]:
        """The calibrated parameters' values at coordinates ``z``."""
        return {p.name: p.value(x) for p, x in zip(self.spec.priors, z, strict=True)}

    def _params(self, z: np.ndarray) -> tuple[tuple[str, Any], ...]:
        return (*self.fixed, *self._calibrated(z).items())

    def _candidate(self, generation: int, index: int, z: np.ndarray) -> Candidate:
        seeds = candidate_seeds(self.root, generation, index, self.spec.replications)
        return Candidate(generation, index, self._params(z), tuple(seeds))

    def _row(
        self, head: dict[str, Any], params: dict[str, Any], output: CandidateOutput
    ) -> dict[str, Any]:
        values = output.statistics
        return {
            **head,
            **params,
            **dict(zip(self.spec.statistic_names, values, strict=True)),
            "distance": self.spec.distance_of(values),
            "ok": output.ok,
            "failed": output.failed,
            "error": output.error,
            "duration_s": output.duration_s,
        }

    def _check_stored(self, row: dict[str, Any], expected: dict[str, Any], where: str) -> None:
        if any(row.get(name) != value for name, value in expected.items()):
            raise StoreError(
                self.store.path, f"calibration/{where} differs from what this calibration "
                "draws (another version made it?); use --force to start again",
            )  # fmt: skip

    def evaluate(
        self, table: str, generation: int, heads: dict[int, dict[str, Any]], zs: dict[int, Any]
    ) -> dict[int, dict[str, Any]]:
        """The rows of candidates ``heads`` (index -> leading columns) at coordinates ``zs``
        (None: no proposal inside the prior): stored ones read, the others simulated."""
        rows: dict[int, dict[str, Any]] = {}
        todo = []
        for index, head in heads.items():
            z = zs[index]
            params = {} if z is None else self._calibrated(z)
            stored = self.stored[table].get((generation, index))
            if stored is not None:
                self._check_stored(stored, {**head, **params}, f"{table} {generation}/{index}")
                rows[index] = stored
            elif z is None:
                outside = self._failed(Candidate(generation, index, (), ()), OUTSIDE)
                rows[index] = self._keep(table, self._row(head, params, outside))
            else:
                todo.append(self._candidate(generation, index, z))
        for output in self._execute(todo):
            row = self._row(heads[output.index], self._calibrated(zs[output.index]), output)
            rows[output.index] = self._keep(table, row)
            self.ran += output.ok + output.failed
            self._flush_if_due()
        self.flush()
        return rows

    def _keep(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        self.buffers[table].append(row)
        return row

    def _flush_if_due(self) -> None:
        waiting = sum(len(rows) for rows in self.buffers.values())
        if waiting >= FLUSH_CANDIDATES or time.monotonic() - self.flushed >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write the evaluated candidates not yet written."""
        for table, rows in self.buffers.items():
            if rows:
                columns = {name: [row[name] for row in rows] for name in rows[0]}
                self.store.append(table, columns)
                rows.clear()
        self.flushed = time.monotonic()

    # -- generations -----------------------------------------------------------------------
    def _proposal(self, generation: int, index: int, kernel: Kernel | None) -> Proposal:
        rng = proposal_generator(self.root, generation, index)
        return from_prior(rng, self.bounds) if kernel is None else kernel.propose(rng, self.bounds)

    def _batch(
        self, generation: int, indices: range, kernel: Kernel | None, proposals: dict[int, Proposal]
    ) -> dict[int, dict[str, Any]]:
        """Draw and evaluate candidates ``indices`` of a generation."""
        for index in indices:
            proposals[index] = self._proposal(generation, index, kernel)
        heads = {
            index: {
                "generation": generation,
                "candidate": index,
                "parent": proposals[index].parent,
                "draws": proposals[index].draws,
            }
            for index in indices
        }
        zs = {index: proposals[index].z for index in indices}
        return self.evaluate(CANDIDATES, generation, heads, zs)

    def smc_generation(
        self, generation: int, previous: Population | None
    ) -> tuple[Population | None, str | None]:
        """One generation of ABC-SMC: its population, or None and why it could not fill."""
        spec, started = self.spec, time.perf_counter()
        tolerance = math.inf
        kernel = None
        if previous is not None:
            tolerance = next_tolerance(previous, spec.quantile, spec.epsilon)
            kernel = Kernel(previous, self.bounds)
        proposals: dict[int, Proposal] = {}
        rows: dict[int, dict[str, Any]] = {}
        accepted: list[int] = []
        drawn = evaluated = 0
        with self._bar(generation) as bar:
            while len(accepted) < spec.population and evaluated < spec.max_candidates:
                size = batch_size(spec.population, len(accepted), evaluated)
                batch = range(evaluated, min(evaluated + size, spec.max_candidates))
                rows.update(self._batch(generation, batch, kernel, proposals))
                for index in batch:
                    distance = rows[index]["distance"]
                    if len(accepted) < spec.population:
                        drawn = index + 1
                        if distance <= tolerance and math.isfinite(distance):
                            accepted.append(index)
                evaluated = batch.stop
                bar.update(len(accepted) - bar.n)
                bar.set_postfix(candidates=evaluated, refresh=False)
        return self._close_generation(
            generation, tolerance, (drawn, evaluated), accepted, proposals, rows, kernel, started
        )

    def rejection(self) -> tuple[Population | None, str | None]:
        """Rejection ABC: ``samples`` prior draws, the closest ``population`` of them kept."""
        spec, started = self.spec, time.perf_counter()
        proposals: dict[int, Proposal] = {}
        rows: dict[int, dict[str, Any]] = {}
        with self._bar(0) as bar:
            for start in range(0, spec.samples, REJECTION_BATCH):
                batch = range(start, min(start + REJECTION_BATCH, spec.samples))
                rows.update(self._batch(0, batch, None, proposals))
                bar.set_postfix(candidates=batch.stop, refresh=False)
        finite = [i for i in range(spec.samples) if math.isfinite(rows[i]["distance"])]
        accepted = sorted(finite, key=lambda i: rows[i]["distance"])[: spec.population]
        tolerance = rows[accepted[-1]]["distance"] if accepted else math.inf
        counts = (spec.samples, spec.samples)
        return self._close_generation(
            0, tolerance, counts, accepted, proposals, rows, None, started
        )

    def _close_generation(
        self,
        generation: int,
        tolerance: float,
        counts: tuple[int, int],
        accepted: list[int],
        proposals: dict[int, Proposal],
        rows: dict[int, dict[str, Any]],
        kernel: Kernel | None,
        started: float,
    ) -> tuple[Population | None, str | None]:
        """Weigh and record a generation's particles; say why when it could not fill."""
        spec = self.spec
        drawn, evaluated = counts
        population = None
        ess = math.nan
        if len(accepted) == spec.population:
            z = np.array([proposals[i].z for i in accepted])
            weights = importance_weights(z, kernel)
            distances = np.array([rows[i]["distance"] for i in accepted])
            population = Population(z, weights, distances, np.array(accepted))
            ess = population.ess
        summary = GenerationSummary(
            generation, tolerance, drawn, evaluated, len(accepted), ess,
            evaluated * spec.replications, time.perf_counter() - started,
        )  # fmt: skip
        self.summaries.append(summary)
        self.echo(summary.line())
        self.store.write_frame(GENERATIONS, pd.DataFrame([s.row() for s in self.summaries]))
        if population is None:
            return None, self._why_not_full(summary, rows)
        self._record(generation, population, rows)
        return population, None

    def _why_not_full(self, summary: GenerationSummary, rows: dict[int, dict[str, Any]]) -> str:
        errors = [row["error"] for row in rows.values() if isinstance(row.get("error"), str)]
        failed = sum(int(row["failed"]) for row in rows.values())
        text = (
            f"generation {summary.generation} accepted {summary.accepted} of "
            f"{self.spec.population} particles from {summary.evaluated} candidates"
        )
        if failed or errors:
            first = f"; first error: {errors[0]}" if errors else ""
            text += f" ({failed} runs failed{first})"
        if summary.generation == 0:
            return text + "; no posterior"
        return (
            text + f"; stopped, the posterior is generation {summary.generation - 1} (raise "
            "calibration.max_candidates, or a larger calibration.quantile lowers the "
            "tolerance more slowly)"
        )

    def _record(
        self, generation: int, population: Population, rows: dict[int, dict[str, Any]]
    ) -> None:
        """Write the generation's particles after the earlier generations'."""
        names = [*self.spec.names, *self.spec.statistic_names]
        frame = pd.DataFrame(
            {
                "generation": generation,
                "particle": np.arange(population.size),
                "candidate": population.candidates,
                "weight": population.weights,
                "distance": population.distances,
                **{name: [rows[i][name] for i in population.candidates] for name in names},
            }
        )
        self.particles.append(frame)
        self.last_generation = generation
        self.store.write_frame(PARTICLES, pd.concat(self.particles, ignore_index=True))

    def _bar(self, generation: int) -> Any:
        from tqdm import tqdm

        return tqdm(
            total=self.spec.population,
            unit="particle",
            desc=f"generation {generation}",
            disable=not self.progress or not sys.stderr.isatty(),
            dynamic_ncols=True,
            leave=False,
        )

    # -- the posterior ---------------------------------------------------------------------
    def predictive(self, population: Population) -> None:
        """Simulate the statistics again at ``predictive`` draws from the posterior."""
        heads: dict[int, dict[str, Any]] = {}
        zs: dict[int, Any] = {}
        for draw in range(self.spec.predictive):
            rng = proposal_generator(self.root, PREDICTIVE_GENERATION, draw)
            particle = int(rng.choice(population.size, p=population.weights))
            heads[draw] = {"draw": draw, "particle": particle}
            zs[draw] = population.z[particle]
        if heads:
            self.evaluate(PREDICTIVE, PREDICTIVE_GENERATION, heads, zs)

    def posterior(self, experiment: Experiment, population: Population) -> list[ParameterSummary]:
        """Each parameter's posterior summary; writes ``posterior.toml``."""
        priors = self.spec.priors
        values = np.array(
            [[p.value(x) for p, x in zip(priors, row, strict=True)] for row in population.z]
        )
        defaults = {}
        if experiment.spec is not None:
            defaults = {p.name: float(experiment.spec.get(p.name)) for p in priors}
        summaries = summarise(priors, values, population.weights, defaults)
        title = (
            f"Posterior of the calibration {experiment.name} (generation "
            f"{self.last_generation}, {population.size} particles)"
        )
        self.store.write_text(
            POSTERIOR, posterior_toml(title, summaries, experiment.model is not None)
        )
        return summaries

    def run(self, experiment: Experiment) -> tuple[list[ParameterSummary], str | None]:
        """Every generation, the posterior and its predictive check; why it stopped early."""
        spec = self.spec
        population: Population | None = None
        stopped: str | None = None
        try:
            if spec.method == "rejection":
                population, stopped = self.rejection()
            else:
                for generation in range(spec.generations):
                    current, stopped = self.smc_generation(generation, population)
                    if current is None:
                        break
                    population = current
                    if generation > 0 and self.summaries[-1].tolerance <= spec.epsilon:
                        break
            if population is None:
                return [], stopped
            summaries = self.posterior(experiment, population)
            self.predictive(population)
        except ExecutorError as error:
            check_stop()  # a stop signal that reached the workers too is a stop
            return [], str(error)
        return summaries, stopped

    def close(self, interrupted: bool) -> None:
        """Write what finished and stop the executor (at once after an interruption)."""
        with contextlib.suppress(OSError) if interrupted else contextlib.nullcontext():
            self.flush()
        if self.runner is not None:
            self.runner.shutdown(cancel=interrupted)
            self.runner = None


def _stored(frame: pd.DataFrame, table: str) -> dict[tuple[int, int], dict[str, Any]]:
    """A table's stored rows by ``(generation, index)`` (predictive draws: their draw)."""
    rows = {}
    for record in frame.to_dict("records"):
        if table == CANDIDATES:
            key = (int(record["generation"]), int(record["candidate"]))
        else:
            key = (PREDICTIVE_GENERATION, int(record["draw"]))
        rows[key] = {name: _plain(value) for name, value in record.items()}
    return rows


def _plain(value: Any) -> Any:
    """A stored value as a Python scalar (missing values as None)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def as_calibration(experiment: str | os.PathLike[str] | Experiment) -> Experiment:
    """A calibration's experiment (loaded from its file when given a path); an
    :class:`ExperimentError` for an experiment without a ``[calibration]`` table."""
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    if experiment.calibration is None:
        raise ExperimentError(
            experiment.source, "calibration", "missing: alliance-sim calibrate needs a "
            "[calibration] table (alliance-sim sweep runs this experiment)",
        )  # fmt: skip
    return experiment


def check_model_runs(experiment: Experiment, outputs: list[Any]) -> None:
    """Raise :class:`ExperimentError` naming a statistic whose run column another model's
    first runs lack (from their outputs; runs that failed tell nothing)."""
    assert experiment.calibration is not None
    ok = [output for output in outputs if output.status == "ok"]
    if not ok:
        return
    columns = {"replicate", "seed", *experiment.calibration.names}
    columns |= {p.name for p in experiment.parameters} | set(ok[0].outcomes)
    for name, text in experiment.calibration.statistics:
        for column in parse_statistic(text).columns():
            if column not in columns:
                raise ExperimentError(
                    experiment.source, f"calibration.statistics.{name}", f"no run column "
                    f"{column!r} (the model's runs have: {', '.join(sorted(ok[0].outcomes))})",
                )  # fmt: skip


def _first_runs(experiment: Experiment, target: ModelTarget) -> list[Any]:
    """The first runs of candidate 0 of generation 0, run twice in two fresh processes
    (the determinism check); the outputs of one of them."""
    from sim.sweeps.determinism import CHECK_RUNS, check_determinism

    assert experiment.calibration is not None
    bounds = np.array([prior.bounds() for prior in experiment.calibration.priors])
    z = from_prior(proposal_generator(experiment.seed, 0, 0), bounds).z
    assert z is not None
    calibrated = [
        (p.name, p.value(x)) for p, x in zip(experiment.calibration.priors, z, strict=True)
    ]
    params = (*((p.name, p.values[0]) for p in experiment.parameters), *calibrated)
    seeds = candidate_seeds(
        experiment.seed, 0, 0, min(CHECK_RUNS, experiment.calibration.replications)
    )
    tasks = Candidate(0, 0, params, tuple(seeds)).tasks()
    return list(check_determinism(target, tasks).values())


def calibrate(
    experiment: str | os.PathLike[str] | Experiment,
    out: str | os.PathLike[str] | None = None,
    executor: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    progress: bool = True,
    *,
    command: str | None = None,
    determinism_check: bool = True,
    worker_timeout: float = NO_WORKER_SECONDS,
    echo: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Calibrate an experiment's ``[calibration]`` parameters into its store.

    Args:
        experiment: a calibration's experiment file (or its shipped name), or a loaded
            :class:`~sim.experiment.files.Experiment`.
        out: the store folder (default ``results/NAME``).
        executor: ``serial``, ``processes`` (default) or ``dask``.
        workers: worker processes (default: the usable cores; Dask: the cluster's).
        scheduler: a Dask scheduler address; a local cluster on 127.0.0.1 when None.
        force: replace a store made by another calibration, or by a sweep.
        progress: show a progress bar per generation (only when stderr is a terminal).
        command: the command line recorded in the manifest.
        determinism_check: before writing, run another model's first runs twice in two
            fresh processes and compare (and check that they have the statistics'
            columns).
        worker_timeout: Dask: seconds without any worker before the calibration stops.
        echo: called with one line per generation (tolerance, acceptance rate, runs).

    Returns:
        A :class:`CalibrationResult`; ``complete`` is False when a generation could not
        fill its population (the posterior is then the last full generation) or the
        executor failed.

    Raises:
        InputError: a bad experiment file or option, a store this calibration may not
            write, or another process writes it (nothing written).
        NotDeterministic: the model gave different results for the same seed.
        Stopped: SIGTERM or SIGHUP arrived (finished candidates are stored first).
    """
    refuse_in_rerun_main("calibrate")
    started = time.perf_counter()
    check_options(executor, workers, scheduler, worker_timeout)
    experiment = as_calibration(experiment)
    path = store_path(experiment, out)
    options: dict[str, Any] = {"executor": executor, "workers": workers, "scheduler": scheduler}
    if executor == "dask":
        options["worker_timeout"] = worker_timeout
    with stop_on_signals():
        if experiment.model is not None and determinism_check:
            refuse_if_busy(path, "all", force)
            CalibrationStore.check(path, experiment, force)
            check_model_runs(experiment, _first_runs(experiment, calibration_target(experiment)))
        store = CalibrationStore.open(path, experiment, force=force, command=command)
        try:
            session = _Session(experiment, store, options, progress, echo)
            try:
                posterior, stopped = session.run(experiment)
            except BaseException:
                session.close(interrupted=True)
                with contextlib.suppress(OSError):
                    store.finish({"interrupted": True, "ran": session.ran}, session.ran)
                raise
            session.close(interrupted=False)
            result = _result(session, Path(path), posterior, stopped, time.perf_counter() - started)
            store.finish(_last_session(result), result.runs)
            return result
        finally:
            store.close()


def _result(
    session: _Session,
    path: Path,
    posterior: list[ParameterSummary],
    stopped: str | None,
    seconds: float,
) -> CalibrationResult:
    spec = session.spec
    stored = sum(s.runs for s in session.summaries) + spec.predictive * spec.replications
    return CalibrationResult(
        path=os.fspath(path),
        generations=session.summaries,
        posterior=posterior,
        runs=session.ran,
        runs_stored=stored if posterior else sum(s.runs for s in session.summaries),
        seconds=seconds,
        executor=session.executor,
        workers=session.workers,
        stopped=stopped,
    )


def _last_session(result: CalibrationResult) -> dict[str, Any]:
    """What the manifest records of this call."""
    return {
        "executor": result.executor,
        "workers": result.workers,
        "generations": len(result.generations),
        "ran": result.runs,
        "seconds": round(result.seconds, 3),
        "stopped": result.stopped,
    }
