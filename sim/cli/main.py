"""The ``alliance-sim`` command line: one entry point and one error handler.

Exit codes (:mod:`sim.cli.common`): 0 ok; 1 runs failed or are pending, a target
failed, a replay differed, a bench target was missed, a discovery found no box as dense
as asked, or the file system refused;
2 bad input or usage. Bad input prints one line naming the file (or flag) and the
key, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from sim.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Parser,
    UsageError,
    warn,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    from sim import __version__
    from sim.cli import bench, calibrate, model, report, sweep

    parser = Parser(
        prog="alliance-sim",
        description="Simulate values-driven alliances of organisations living through crises.",
    )
    parser.add_argument("--version", action="version", version=f"alliance-sim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in (model, sweep, calibrate, report, bench):
        module.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    from sim.errors import InputError
    from sim.sweeps.signals import Stopped

    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            warn("no command given (alliance-sim --help lists the commands)")
            return EXIT_USAGE
        return int(args.handler(args))
    except (UsageError, InputError) as err:
        warn(err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        warn("interrupted")
        return EXIT_INTERRUPTED
    except Stopped as stop:
        warn(f"{stop}; run the same command again to complete the missing runs")
        return stop.exit_code
    except BrokenPipeError:
        return EXIT_OK
    except OSError as err:
        warn(f"{err.filename}: {err.strerror}" if err.filename else err)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
