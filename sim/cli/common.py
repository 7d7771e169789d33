"""What every command shares: exit codes, the usage error, ``--set`` values, JSON output."""

from __future__ import annotations

import argparse
import shlex
import sys
import textwrap
import tomllib
from collections.abc import Callable
from typing import Any

import numpy as np

EXIT_OK = 0
"""The command did what was asked."""
EXIT_FAILED = 1
"""It ran, but runs failed or are pending, a target failed, a replay differed, a bench target
was missed, a discovery found no box as dense as asked, or the file system refused (the
message names the path)."""
EXIT_USAGE = 2
"""Bad input: one line naming the file (or flag) and the key; nothing was written."""
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad command-line input; the message is one line."""


SEED_FLAG_MAX = 2**62
"""Largest root seed a command accepts: the seeds derived from it stay below 2**63."""


def check_seed_flag(flag: str, value: int | None) -> None:
    """Raise :class:`UsageError` unless ``value`` (when given) is a root seed in
    ``[0, SEED_FLAG_MAX]``."""
    if value is not None and not 0 <= value <= SEED_FLAG_MAX:
        raise UsageError(f"{flag}: expected a seed from 0 to 2**62, got {value}")


HELP_WIDTH = 88
"""Width of the commands' descriptions in ``--help``."""

SET_HELP = (
    "override one scenario key; repeat for more. KEY is dotted (leadership.relationships, "
    "alliance.members, shocks.rate, shocks.mix.global, constants.trust_loss; "
    "docs/model.md lists the constants). VALUE is read as a TOML value: 0.9, 20, true, "
    "[0.1, 0.2]; quote a string to keep it a string (--set 'name=\"x\"'); a VALUE that is "
    "not TOML is taken as text. Example: --set leadership.relationships=0.9 --set "
    "alliance.members=20"
)
"""The help of ``--set`` (see :func:`parse_set`)."""


def nonempty(text: str) -> str:
    """An argparse ``type`` for paths and addresses: ``text`` unless it is empty or blank
    (an empty ``--out`` would otherwise write into the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a non-empty value")
    return text


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2, through :func:`sim.cli.main`).

    ``describe``, when given, computes the description when help is shown (for a
    description whose figures need modules too slow to import for every command).
    """

    def __init__(self, *args: Any, describe: Callable[[], str] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.describe = describe

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")

    def format_help(self) -> str:
        """The help text, its description computed now when it is computed."""
        if self.describe is not None:
            self.description = wrap(self.describe())
        return super().format_help()


def wrap(text: str) -> str:
    """``text`` as one paragraph of :data:`HELP_WIDTH` columns."""
    return textwrap.fill(" ".join(text.split()), HELP_WIDTH)


def command_help(description: str, *examples: str) -> dict[str, Any]:
    """Keywords of ``add_parser`` for a command's ``--help``: what it does, then examples.

    Pass the result with ``**``; the examples are shown as typed.
    """
    return {
        "description": wrap(description),
        "epilog": "examples:\n" + "\n".join(f"  {example}" for example in examples),
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }


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
