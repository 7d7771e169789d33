"""What every command shares: exit codes, the usage error, ``--set`` values, JSON output."""

from __future__ import annotations

import argparse
import shlex
import sys
import tomllib
from typing import Any

import numpy as np

EXIT_OK = 0
"""The command did what was asked."""
EXIT_FAILED = 1
"""It ran, but runs failed or are pending, a target failed, a replay differed, a bench target
was missed, or the file system refused (the message names the path)."""
EXIT_USAGE = 2
"""Bad input: one line naming the file (or flag) and the key; nothing was written."""
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad command-line input; the message is one line."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2, through :func:`sim.cli.main`)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def parse_set(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs, each value parsed as a TOML value (bare words as strings)."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(
                f"--set {item}: expected KEY=VALUE (for example leadership.relationships=0.9)"
            )
        try:
            value = tomllib.loads(f"value = {text.strip()}")["value"]
        except tomllib.TOMLDecodeError:
            value = text.strip()
        overrides[key] = value
    return overrides


def json_default(value: Any) -> Any:
    """JSON for numpy values (NaN as null)."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def warn(message: Any) -> None:
    """One line on stderr, prefixed ``error:``."""
    print(f"error: {message}", file=sys.stderr)


def progress(message: Any) -> None:
    """One line of progress on stderr (stdout stays the result)."""
    print(message, file=sys.stderr, flush=True)


def command_line() -> str:
    """The command line as typed, for a store's manifest."""
    return shlex.join(["alliance-sim", *sys.argv[1:]])
