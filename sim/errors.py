"""Bad-input errors and the checks that raise them: one line naming the source and the key.

Every check of user input (scenario files, experiment files, command-line flags, store
folders) raises an :class:`InputError` (or a subclass), whose text is one line
``SOURCE: key: problem``; the command line prints it and exits with code 2.
"""

from __future__ import annotations

import math
import sys
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
    if isinstance(value, int):
        digits = len(str(abs(value)))
        return str(value) if digits <= 25 else f"a {digits}-digit number"
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


INT64 = (-(2**63), 2**63 - 1)
"""The range of a 64-bit integer, the largest whole number any key can hold."""


def _is_whole(value: Any) -> bool:
    """True for a Python or numpy integer (not a boolean)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (
        type(value).__module__ == "numpy"
        and getattr(value, "dtype", None) is not None
        and value.dtype.kind in "iu"
    )


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
    whole number (``3.0`` is accepted as 3). Integers are compared with the bounds
    exactly, however large (no overflow, no rounding).
    """
    if not _is_number(value):
        raise error(source, key, f"expected a number, got {type(value).__name__} {value!r}")
    number: float | int = int(value) if _is_whole(value) else float(value)
    if isinstance(number, float) and not math.isfinite(number):
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
        if not INT64[0] <= int(number) <= INT64[1]:  # 1e19 as 10**19 too
            raise error(source, key, f"{show_number(number)} does not fit a 64-bit integer")
        return int(number)
    if abs(number) > sys.float_info.max:
        raise error(source, key, f"{show_number(number)} is too large for a number")
    return float(number)


FOLDER_NAME_MAX = 100
"""Longest name (in characters) that may name a results folder."""


def expect_folder_name(error: type[InputError], source: str, key: str, name: str) -> str:
    """``name`` if it can name one folder on any common file system, else ``error``."""
    if (
        not name
        or any(ch in name for ch in "/\\")
        or name.startswith(".")
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in name)
    ):
        raise error(source, key, f"{name!r} is not usable as a folder name")
    if len(name) > FOLDER_NAME_MAX:
        raise error(
            source,
            key,
            f"is {len(name)} characters long; a folder name takes at most {FOLDER_NAME_MAX}",
        )
    return name


def check_keys(
    error: type[InputError], source: str, prefix: str, table: Mapping[str, Any], allowed: set[str]
) -> None:
    """Raise ``error`` for the first key of ``table`` not in ``allowed``, named in full."""
    for key in table:
        if key not in allowed:
            full = f"{prefix}.{key}" if prefix else key
            raise error(source, full, f"unknown key (allowed: {', '.join(sorted(allowed))})")
