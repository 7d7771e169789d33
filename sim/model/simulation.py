"""One whole run through the compiled kernel: ``simulate(preset, rng, record_every, **params)``.

This is the fast path used by sweeps. :class:`sim.model.AllianceModel` builds its
state with the same :func:`~sim.model.prepare.prepare` and steps the same compiled
:func:`sim.kernel.step`, so for the same parameters and int seed both give
bit-identical summaries and series.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from sim import kernel
from sim.model.prepare import prepare, resolve_seed, resolve_spec, series_dict
from sim.model.summary import summarize
from sim.scenario import ScenarioError, ScenarioSpec


def simulate(
    preset: str | os.PathLike[str] | ScenarioSpec | None = "baseline",
    rng: int | str | None = None,
    record_every: int = 0,
    **params: Any,
) -> dict[str, Any]:
    """Run one alliance from founding to its end or horizon through the compiled kernel.

    Args:
        preset: a shipped scenario name, a scenario file path, or a :class:`ScenarioSpec`.
        rng: the run's int seed (or a string of digits); drawn when None.
        record_every: when > 0, add ``series`` (column -> array) every that many months.
        **params: model keyword parameters (``relationships=0.9``, ``members=20``,
            ``shock_rate=0.1``, ``horizon=120`` ...), overriding the preset.

    Returns:
        The same dict as :meth:`sim.model.AllianceModel.summary`, plus ``series``
        when ``record_every > 0``.
    """
    if isinstance(record_every, bool) or not isinstance(record_every, int | np.integer):
        raise ScenarioError("record_every", None, "expected a whole number of months")
    if record_every < 0:
        raise ScenarioError("record_every", None, "must be >= 0")
    spec = resolve_spec(preset, **params)
    run = prepare(spec, resolve_seed(rng))
    kernel.run(run.state, run.qualities, run.consts, run.generator)
    summary = summarize(run.state, run.consts, run.seed)
    if record_every > 0:
        summary["series"] = series_dict(run.state, int(record_every))
    return summary
