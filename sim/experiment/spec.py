"""An experiment's swept parameters, their column types, its limits, and its error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.errors import InputError

METHODS: tuple[str, ...] = ("grid", "lhs", "sobol", "morris")
"""The design methods; each has its module in :mod:`sim.experiment`."""
SIMULATE_REF = "sim.model.simulation:simulate"
"""The alliance model's run function, as ``module:name``."""
MAX_PLANNED_RUNS = 2_000_000
"""The most runs one experiment may plan (its design is held in memory; split larger ones)."""
MAX_ROOT_SEED = 2**63 - 1
DEFAULT_MESA_HORIZON = 1000


class ExperimentError(InputError):
    """Invalid experiment input. ``str(err)`` is one line: ``SOURCE: key: problem``."""


@dataclass(frozen=True)
class SweptParameter:
    """One parameter of an experiment (a key of its ``[parameters]`` table).

    Attributes:
        name: the key as written in the experiment file (dotted for scenario keys).
        kind: ``fixed`` (one value), ``levels`` (a list of values) or ``range``.
        values: the value (fixed) or the values (levels).
        low: lower end of a range.
        high: upper end of a range.
        levels: grid levels of a range (None outside grid designs).
        integer: sampled values are rounded to whole numbers.
    """

    name: str
    kind: str
    values: tuple[Any, ...] = ()
    low: float = 0.0
    high: float = 0.0
    levels: int | None = None
    integer: bool = False

    @property
    def sampled(self) -> bool:
        """Whether the design varies this parameter."""
        return self.kind != "fixed"

    def dtype(self) -> str:
        """Column type of the parameter: ``int64``, ``float64``, ``bool`` or ``string``."""
        if self.kind == "range":
            return "int64" if self.integer else "float64"
        return values_dtype(self.values)


def values_dtype(values: tuple[Any, ...]) -> str:
    """Column type of a list of values: ``bool``, ``string``, ``int64`` or ``float64``."""
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, str) for v in values):
        return "string"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int64"
    return "float64"


def cast_value(value: Any, dtype: str) -> Any:
    """A value as the plain Python type of its column."""
    if dtype == "int64":
        return int(value)
    if dtype == "float64":
        return float(value)
    if dtype == "bool":
        return bool(value)
    return str(value)
