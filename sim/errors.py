"""Bad-input errors and the checks that raise them: one line naming the source and the key.

Every check of user input (scenario files, experiment files, command-line flags, store
folders) raises an :class:`InputError` (or a subclass), whose text is one line
``SOURCE: key: problem``; the command line prints it and exits with code 2.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any


class InputError(ValueError):
    """Invalid input. ``str(err)`` is one line: ``SOURCE: key: problem``."""

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")


class MissingExtra(InputError):
    """A feature whose optional packages (one of the package's extras) are not installed."""

    def __init__(self, feature: str, extra: str, module: str | None) -> None:
        super().__init__(
            feature,
            None,
            f"needs the '{extra}' extra ({module} is not installed): "
            f"pip install 'alliance-sim[{extra}]'",
        )


@contextmanager
def needs_extra(feature: str, extra: str) -> Iterator[None]:
    """Turn a third-party module missing from the imports inside into :class:`MissingExtra`."""
    try:
        yield
    except ModuleNotFoundError as err:
        if not err.name or err.name.partition(".")[0] == "sim":
            raise
        raise MissingExtra(feature, extra, err.name) from None


def expect_table(error: type[InputError], source: str, key: str, value: Any) -> Mapping[str, Any]:
    """``value`` if it is a table (a mapping), else ``error`` naming ``key``."""
    if not isinstance(value, Mapping):
        raise error(source, key, f"expected a table, got {type(value).__name__}")
    return value


def expect_string(error: type[InputError], source: str, key: str, value: Any) -> str:
    """``value`` if it is a string, else ``error`` naming ``key``."""
    if not isinstance(value, str):
        raise error(source, key, f"expected a string, got {type(value).__name__}")
    return value


def expect_bool(error: type[InputError], source: str, key: str, value: Any) -> bool:
    """``value`` if it is ``true`` or ``false``, else ``error`` naming ``key``."""
    if not isinstance(value, bool):
        raise error(source, key, f"expected true or false, got {value!r}")
    return value


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    kind = type(value).__module__ == "numpy" and getattr(value, "dtype", None)
    return bool(kind) and value.dtype.kind in "iuf"


def show_number(value: float) -> str:
    """A number as people write it: whole numbers without a decimal point, others as ``%g``."""
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


def expect_number(
    error: type[InputError],
    source: str,
    key: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    integer: bool = False,
) -> float | int:
    """``value`` as a finite float in ``[low, high]`` (an int when ``integer``).

    Python and numpy numbers are accepted, booleans are not; an integer must be a
    whole number (``3.0`` is accepted as 3).
    """
    if not _is_number(value):
        raise error(source, key, f"expected a number, got {type(value).__name__} {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise error(source, key, f"expected a finite number, got {number}")
    if not low <= number <= high:
        raise error(
            source,
            key,
            f"{show_number(number)} is out of range [{show_number(low)}, {show_number(high)}]",
        )
    if integer:
        if number != int(number):
            raise error(source, key, f"expected a whole number, got {show_number(number)}")
        return int(number)
    return number


def check_keys(
    error: type[InputError], source: str, prefix: str, table: Mapping[str, Any], allowed: set[str]
) -> None:
    """Raise ``error`` for the first key of ``table`` not in ``allowed``, named in full."""
    for key in table:
        if key not in allowed:
            full = f"{prefix}.{key}" if prefix else key
            raise error(source, full, f"unknown key (allowed: {', '.join(sorted(allowed))})")
