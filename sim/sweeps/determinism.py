"""The determinism check: a sweep's first runs, run twice in two fresh processes, must agree.

A model that draws randomness outside its ``rng`` (Python's global ``random``, numpy's
global generator, the order of a set of strings) gives different results for the same
seed in another process, and a sweep of it cannot be reproduced. Before a sweep writes
its store, :func:`check_determinism` runs up to :data:`CHECK_RUNS` of its pending runs
in two new Python processes at once, each with its own hash seed and global generators,
recording every collected step, and raises :class:`NotDeterministic` naming the first
outcome that differs. The alliance model's determinism is pinned by its own tests; the
check is for other models.

Run as ``python -m sim.sweeps.determinism``, this module is one of those processes.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from sim.experiment.models import SEEDING_HELP
from sim.store.output import RunOutput
from sim.sweeps.runner import ModelTarget, RunTask, run_one
from sim.sweeps.signals import check_stop
from sim.sweeps.worker import init_worker, start_time

CHECK_RUNS = 3
"""Runs the check repeats (the first pending ones)."""
CHECK_SECONDS = 20.0
"""A checking process starts no further run after this long."""
HASH_SEEDS: tuple[str, str] = ("1", "2")
"""``PYTHONHASHSEED`` of the two checking processes (they must differ)."""


class NotDeterministic(RuntimeError):
    """A model gave different results for the same seed; the message is one line."""


def _differs(name: str, a: Any, b: Any) -> str:
    return f"{name} was {a!r} in one process and {b!r} in another"


def _outcome_difference(a: RunOutput, b: RunOutput) -> str | None:
    from sim.sweeps.replay import same_value

    if a.status != b.status:
        return _differs("status", a.status, b.status)
    if a.error != b.error:
        return _differs("error", a.error, b.error)
    for name in dict.fromkeys([*a.outcomes, *b.outcomes]):
        if not same_value(a.outcomes.get(name), b.outcomes.get(name)):
            return _differs(f"outcome {name!r}", a.outcomes.get(name), b.outcomes.get(name))
    if len(a.crises) != len(b.crises):
        return _differs("the number of crises", len(a.crises), len(b.crises))
    for episode, (one, other) in enumerate(zip(a.crises, b.crises, strict=True)):
        for name in dict.fromkeys([*one, *other]):
            if not same_value(one.get(name), other.get(name)):
                return _differs(f"crisis {episode} {name!r}", one.get(name), other.get(name))
    return None


def difference(a: RunOutput, b: RunOutput) -> str | None:
    """The first way two outputs of the same run differ (timings aside), or None."""
    from sim.sweeps.replay import same_array

    found = _outcome_difference(a, b)
    if found is not None:
        return found
    one, other = a.series or {}, b.series or {}
    for name in dict.fromkeys([*one, *other]):
        if name not in one or name not in other:
            return f"series {name!r} was recorded in one process only"
        if not same_array(np.asarray(one[name]), np.asarray(other[name])):
            return f"series {name!r} differed between the processes"
    return None


def _checking_target(target: ModelTarget) -> ModelTarget:
    """The target with every collected step recorded, so that any drift shows."""
    return dataclasses.replace(target, record_every=1)


def _start(payload: bytes, out: Path, hash_seed: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    child = subprocess.Popen(
        [sys.executable, "-m", "sim.sweeps.determinism", str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert child.stdin is not None
    child.stdin.write(payload)
    child.stdin.close()
    return child


def _wait(children: list[subprocess.Popen[bytes]]) -> None:
    """Wait for the checking processes; a stop signal ends them (``finally``: never left)."""
    try:
        while any(child.poll() is None for child in children):
            check_stop()
            time.sleep(0.05)
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def _read(path: Path) -> dict[str, RunOutput]:
    """The outputs a checking process wrote, by run id (those before a crash)."""
    outputs: dict[str, RunOutput] = {}
    with open(path, "rb") as handle:
        while True:
            try:
                output = pickle.load(handle)
            except (EOFError, pickle.UnpicklingError):
                return outputs
            outputs[output.run_id] = output


def run_twice(target: ModelTarget, tasks: list[RunTask]) -> list[dict[str, RunOutput]]:
    """The outputs of ``tasks`` from each of two fresh processes run at once."""
    payload = pickle.dumps(sys.path) + pickle.dumps((os.getpid(), _checking_target(target), tasks))
    with tempfile.TemporaryDirectory(prefix="alliance-sim-check-") as folder:
        outs = [Path(folder) / f"outputs-{seed}" for seed in HASH_SEEDS]
        children = [_start(payload, out, seed) for out, seed in zip(outs, HASH_SEEDS, strict=True)]
        _wait(children)
        return [_read(out) if out.exists() else {} for out in outs]


def check_determinism(target: ModelTarget, tasks: list[RunTask]) -> dict[str, RunOutput]:
    """Raise :class:`NotDeterministic` when a run gives different results in two processes;
    the outputs of the first process, by run id.

    Runs that one process did not finish (it crashed, or ran out of time) are not
    compared; the sweep itself records a run that crashes. Returns the runs' outputs
    from the first process (what the model returns, known before anything is written).
    """
    if not tasks:
        return {}
    first, second = run_twice(target, tasks)
    for task in tasks:
        if task.run_id in first and task.run_id in second:
            found = difference(first[task.run_id], second[task.run_id])
            if found is not None:
                raise NotDeterministic(
                    f"{target.ref}: run {task.run_id} (seed {task.seed}): {found}, so the "
                    "model draws randomness outside its rng ("
                    f"{SEEDING_HELP}; --no-determinism-check skips this check)"
                )
    return first


def _outputs(target: ModelTarget, tasks: list[RunTask]) -> Iterator[RunOutput]:
    """Run ``tasks`` in order until :data:`CHECK_SECONDS` have passed."""
    started = time.monotonic()
    for task in tasks:
        if time.monotonic() - started > CHECK_SECONDS:
            return
        yield run_one(target, task)


def _child(out: str, source: BinaryIO) -> None:
    """One checking process: read what to run, write each output as it finishes."""
    sys.path[:] = pickle.load(source)  # first, so that the model's module can be found
    parent, target, tasks = pickle.load(source)
    init_worker(parent, start_time(parent), None)
    with open(out, "wb") as handle:
        for output in _outputs(target, tasks):
            pickle.dump(output, handle)
            handle.flush()


if __name__ == "__main__":
    _child(sys.argv[1], sys.stdin.buffer)
