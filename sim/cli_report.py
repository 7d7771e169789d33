"""Command-line faces of the analysis: ``report`` and ``export``.

:func:`add_report_commands` registers both subcommands on an argparse subparsers
object; each sets ``handler`` (call ``args.handler(args)``, which returns the exit
code: 0 done, 2 a missing or invalid store or bad options, with one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def _error(message: Any) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _formats(text: str) -> tuple[str, ...]:
    from sim.style import FORMATS

    formats = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if not formats or unknown:
        raise ValueError(
            f"--format {text}: expected a comma-separated list of {', '.join(FORMATS)}"
        )
    return formats


def cmd_report(args: argparse.Namespace) -> int:
    """Write DIR/report.md, DIR/figures/ and DIR/figures/data/ from a results store."""
    from sim.analysis import StoreReadError
    from sim.report import write_report

    started = time.perf_counter()
    try:
        formats = _formats(args.format)
        report = write_report(args.store, formats=formats, by=args.by)
    except (StoreReadError, ValueError, KeyError) as err:
        return _error(err)
    except OSError as err:
        return _error(f"{err.filename or args.store}: {err.strerror or err}")
    seconds = time.perf_counter() - started
    print(f"wrote {report} and its figures in {report.parent / 'figures'} ({seconds:.1f} s)")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write a store's tables as CSV files."""
    from sim.analysis import StoreReadError
    from sim.report import export_csv

    if not args.csv:
        return _error(f"export {args.store}: choose an output format (--csv)")
    try:
        written = export_csv(args.store, args.out)
    except (StoreReadError, ValueError) as err:
        return _error(err)
    except OSError as err:
        return _error(f"{err.filename or args.store}: {err.strerror or err}")
    folder = written[0].parent if written else args.out
    print(f"wrote {', '.join(p.name for p in written)} to {folder}")
    return EXIT_OK


def add_report_commands(subparsers: Any) -> None:
    """Register ``report`` and ``export`` on an argparse subparsers object."""
    report = subparsers.add_parser(
        "report",
        help="write a results store's figures, their data and report.md",
        description="Read a results store and write DIR/figures/ (each figure in each "
        "format), DIR/figures/data/ (the numbers behind them, as CSV) and DIR/report.md.",
    )
    report.add_argument("store", metavar="DIR", help="the results store (results/NAME)")
    report.add_argument(
        "--format",
        default="pdf,svg,png",
        help="figure formats, comma-separated (default pdf,svg,png)",
    )
    report.add_argument(
        "--by",
        metavar="PARAM",
        help="report by this parameter only (default: every swept parameter)",
    )
    report.set_defaults(handler=cmd_report)

    export = subparsers.add_parser(
        "export",
        help="write a results store's tables as CSV",
        description="Write design, runs, sample, crises and time series of a results store "
        "as CSV files (default folder DIR/csv).",
    )
    export.add_argument("store", metavar="DIR", help="the results store (results/NAME)")
    export.add_argument("--csv", action="store_true", help="write CSV files")
    export.add_argument("--out", metavar="FOLDER", help="folder for the files (default DIR/csv)")
    export.set_defaults(handler=cmd_export)
