"""Bad-input errors: one line naming the source (file or flag) and the key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class InputError(ValueError):
    """Invalid input. ``str(err)`` is one line: ``SOURCE: key: problem``."""

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")


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


def check_keys(
    error: type[InputError], source: str, prefix: str, table: Mapping[str, Any], allowed: set[str]
) -> None:
    """Raise ``error`` for the first key of ``table`` not in ``allowed``, named in full."""
    for key in table:
        if key not in allowed:
            full = f"{prefix}.{key}" if prefix else key
            raise error(source, full, f"unknown key (allowed: {', '.join(sorted(allowed))})")
