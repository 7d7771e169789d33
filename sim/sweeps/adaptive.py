"""Adaptive sweeps: the rounds of an experiment with a ``[precision]`` table.

A round is every run that the stopping rule (:mod:`sim.experiment.precision`) asks for
and the store lacks, among the shard's points. Before each round the finished runs are
written and the rule is applied again to what the store holds: a sweep killed at any
moment and started again recomputes the same rounds from its stored runs, and ends
with the same store as one never stopped. The rule reads each point's own runs only,
so shards (which split an adaptive design by point) decide alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.designs import Design
from sim.experiment.files import Experiment
from sim.experiment.precision import Precision, needed_rows, outcome_problem
from sim.experiment.spec import ExperimentError
from sim.store.status import read_progress
from sim.store.writer import Store
from sim.sweeps.runner import RunTask, design_tasks


def check_outcome(experiment: Experiment, outcomes: Sequence[Mapping[str, Any]]) -> None:
    """Raise :class:`ExperimentError` (``precision.outcome``) when the ok runs' outcomes
    lack the ``[precision]`` outcome or hold something other than booleans or numbers."""
    assert experiment.precision is not None
    problem = outcome_problem(experiment.precision, outcomes)
    if problem is not None:
        raise ExperimentError(experiment.source, "precision.outcome", problem)


@dataclass
class Rounds:
    """The rounds of one adaptive sweep call.

    Attributes:
        store: the open store.
        design: the experiment's design (to its maximum).
        precision: the stopping rule.
        members: the shard's design rows.
        flush: writes the finished runs (called before each round).
        ran: runs finished so far by this call.
        bar: the progress bar (reset to each round's needed runs).
        name: the experiment's name (the bar's label).
        progress: the points under the rule, as of the last round.
        number: rounds started.
    """

    store: Store
    design: Design
    precision: Precision
    members: np.ndarray
    flush: Callable[[], None]
    ran: Callable[[], int]
    bar: Any
    name: str = ""
    progress: pd.DataFrame = field(default_factory=pd.DataFrame)
    number: int = 0

    def needed(self) -> np.ndarray:
        """Whether each design row is asked for by the rule, as of the last round."""
        return needed_rows(self.design.runs, self.progress)

    def pending(self) -> list[int]:
        """Write what finished, apply the rule to the store: the shard's rows to run."""
        self.flush()
        runs = self.design.runs
        self.progress = read_progress(self.store.path, runs, self.precision)
        needed = self.needed()
        stored = self.store.run_status()
        ids = runs["run_id"].to_numpy()
        rows = [int(row) for row in self.members if needed[row] and ids[row] not in stored]
        self.bar.reset(total=int(needed[self.members].sum()))
        self.bar.update(self.bar.total - len(rows))
        return rows

    def __iter__(self) -> Iterator[tuple[Iterator[RunTask], int]]:
        """Each round's tasks and their number, until none is pending (or a round ran
        none: its runs were lost to executor errors, reported by the sweep)."""
        before = -1
        while True:
            rows = self.pending()
            if not rows or self.ran() == before:
                return
            before = self.ran()
            self.number += 1
            self.bar.set_description(f"{self.name} round {self.number}")
            yield design_tasks(self.design, rows), len(rows)

    def states(self) -> dict[str, int]:
        """How many of the shard's points reached the half-width, the maximum, or neither."""
        points = set(self.design.runs["point_index"].to_numpy()[self.members].tolist())
        shard = self.progress[self.progress["point_index"].isin(points)]
        return {name: int(count) for name, count in shard["state"].value_counts().items()}
