"""The grid design: every combination of the parameters' values (the full factorial)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from sim.experiment.spec import SweptParameter


def values(parameter: SweptParameter) -> tuple[Any, ...]:
    """A parameter's grid values: its list, or ``levels`` evenly spaced values of its range."""
    if parameter.kind != "range":
        return parameter.values
    assert parameter.levels is not None
    raw = np.linspace(parameter.low, parameter.high, parameter.levels)
    if parameter.integer:
        return tuple(dict.fromkeys(round(float(v)) for v in raw))
    return tuple(float(f"{v:.12g}") for v in raw)


def count(sampled: list[SweptParameter]) -> int:
    """Number of grid points."""
    return math.prod(len(values(p)) for p in sampled)


def rows(sampled: list[SweptParameter]) -> list[dict[str, Any]]:
    """Every grid point as ``{name: value}``, the first parameter varying slowest."""
    combos = itertools.product(*(values(p) for p in sampled))
    names = [p.name for p in sampled]
    return [dict(zip(names, combo, strict=True)) for combo in combos]
