"""What one run produced (:class:`RunOutput`): the unit a worker sends back to the sweep.

Kept apart from the writer so that a worker loads neither pyarrow nor pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class RunOutput:
    """What one run produced, ready to be stored.

    Attributes:
        run_id: the run's id.
        seed: the seed it ran with.
        status: ``ok`` or ``failed``.
        outcomes: scalar outcome columns (outcome, survived, metrics ...).
        crises: one dict per crisis episode.
        series: per-step columns (numpy arrays of equal length), or None.
        duration_s: wall time of the run.
        error: the error of a failed run.
    """

    run_id: str
    seed: int
    status: str = "ok"
    outcomes: dict[str, Any] = field(default_factory=dict)
    crises: list[dict[str, Any]] = field(default_factory=list)
    series: dict[str, np.ndarray] | None = None
    duration_s: float = 0.0
    error: str | None = None
