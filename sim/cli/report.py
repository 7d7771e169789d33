"""The analysis commands: ``report`` and ``export``."""

from __future__ import annotations

import argparse
import time
from typing import Any

from sim.cli.common import EXIT_OK, UsageError, command_help


def _formats(text: str) -> tuple[str, ...]:
    from sim.figures.style import FORMATS

    formats = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if not formats or unknown:
        raise UsageError(
            f"--format {text}: expected a comma-separated list of {', '.join(FORMATS)}"
        )
    return formats


def cmd_report(args: argparse.Namespace) -> int:
    """Write DIR/report.md, DIR/figures/ and DIR/figures/data/ from a results store."""
    from sim.figures.report import write_report

    started = time.perf_counter()
    report = write_report(args.store, formats=_formats(args.format), by=args.by)
    seconds = time.perf_counter() - started
    print(f"wrote {report} and its figures in {report.parent / 'figures'} ({seconds:.1f} s)")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write a store's tables as CSV files."""
    from sim.figures.report import export_csv

    written = export_csv(args.store, args.out)
    folder = written[0].parent if written else args.out
    print(f"wrote {', '.join(p.name for p in written)} to {folder}")
    return EXIT_OK


def add_commands(subparsers: Any) -> None:
    """Register ``report`` and ``export`` on an argparse subparsers object."""
    report = subparsers.add_parser(
        "report",
        help="write a results store's figures, their data and report.md",
        **command_help(
            "Read a results store and write DIR/figures/ (each figure in each format), "
            "DIR/figures/data/ (the numbers behind them, as CSV) and DIR/report.md, with the "
            "store's provenance (experiment, commit, invocations).",
            "alliance-sim report results/quickstart",
            "alliance-sim report results/quickstart --format png --by leadership.relationships",
        ),
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
        **command_help(
            "Write the design, runs, sample, crises and time series of a results store as CSV "
            "files (default folder DIR/csv), for tools that do not read Parquet; the phase "
            "is written by name. CSV is the only format.",
            "alliance-sim export results/quickstart",
            "alliance-sim export results/quickstart --out /tmp/quickstart-csv",
        ),
    )
    export.add_argument("store", metavar="DIR", help="the results store (results/NAME)")
    export.add_argument("--csv", action="store_true", help="CSV (the default and only format)")
    export.add_argument("--out", metavar="FOLDER", help="folder for the files (default DIR/csv)")
    export.set_defaults(handler=cmd_export)
