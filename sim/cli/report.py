"""The analysis commands: ``report``, ``export`` and ``discover``."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    command_help,
    json_default,
    nonempty,
)

if TYPE_CHECKING:
    from sim.analysis.discovery import Discovery


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


def _trajectory_lines(found: Discovery) -> list[str]:
    lines = [f"{'box':>4} {'coverage':>9} {'density':>8} {'mass':>6} {'restricted':>11}"]
    for row in found.trajectory.itertuples(index=False):
        lines.append(
            f"{row.box:>4} {row.coverage:>9.3f} {row.density:>8.3f} {row.mass:>6.3f} "
            f"{row.restricted_dims:>11}"
        )
    return lines


def _box_lines(found: Discovery) -> list[str]:
    from sim.analysis.discovery import RULE
    from sim.figures.discovery import format_limit, format_qp

    box = found.box
    if box is None:
        densest = found.trajectory.loc[found.trajectory["density"].idxmax()]
        return [
            f"no box reaches density {found.threshold:g} (the densest is box "
            f"{int(densest['box'])}, density {densest['density']:.3f}); lower --threshold or "
            f"choose a box with --box K"
        ]
    why = "asked for with --box" if found.picked else f"{RULE}, {found.threshold:g}"
    width = max([len("parameter"), *map(len, box.limits["parameter"])])
    lines = [
        f"chosen box {box.index} ({why}):",
        f"coverage {box.coverage:.3f}, density {box.density:.3f}, mass {box.mass:.3f} "
        f"({box.runs} runs, {box.cases} cases), {len(box.limits)} restricted parameters",
        f"{'parameter':<{width}} {'min':>9} {'max':>9} {'qp-value':>9}",
    ]
    for row in box.limits.to_dict("records"):
        low, high = (row["min"], row["max"]) if row["levels"] is None else ("levels", "")
        kept = "" if row["levels"] is None else " " + ", ".join(sorted(map(str, row["levels"])))
        lines.append(
            f"{row['parameter']:<{width}} {format_limit(low):>9} {format_limit(high):>9} "
            f"{format_qp(row['qp_value']):>9}{kept}"
        )
    return lines


def _summary(found: Discovery, written: list[Path], seconds: float) -> str:
    share = found.cases / found.runs
    lines = [
        f"{found.store}: {found.runs} finished runs ({found.failed} failed, left out), "
        f"{len(found.parameters)} swept parameters",
        f"cases of interest ({found.where}): {found.cases} runs ({share:.1%})",
    ]
    if found.pending:
        lines.append(f"note: {found.pending} planned runs are not in the store yet")
    lines += ["", f"peeling trajectory (PRIM, peel alpha {found.peel_alpha:g}):"]
    lines += [*_trajectory_lines(found), "", *_box_lines(found), ""]
    names = ", ".join(p.name for p in written)
    lines.append(f"wrote {names} to {written[0].parent} ({seconds:.1f} s)")
    return "\n".join(lines)


def cmd_discover(args: argparse.Namespace) -> int:
    """Find by PRIM the box of swept parameters where ``--where`` holds; write its files."""
    from sim.errors import needs_extra

    started = time.perf_counter()
    with needs_extra("alliance-sim discover", "discover"):
        from sim.analysis.discovery import discover

        options = {"threshold": args.threshold, "peel_alpha": args.peel_alpha}
        given = {name: value for name, value in options.items() if value is not None}
        found = discover(args.store, args.where, box=args.box, **given)
    from sim.figures.discovery import write_discovery

    written = write_discovery(found, args.out)
    if args.json:
        payload = {**found.to_json(), "out": os.fspath(written[0].parent)}
        print(json.dumps(payload, default=json_default))
    else:
        print(_summary(found, written, time.perf_counter() - started))
    return EXIT_OK if found.box is not None else EXIT_FAILED


DISCOVER_EXAMPLES = (
    "alliance-sim discover results/leadership-sobol --where \"outcome == 'collapse'\"",
    "alliance-sim discover results/leadership-sobol --where "
    "\"outcome == 'collapse' and lifetime < 60\" --box 10 --json",
)


def _discover_help(parser: argparse.ArgumentParser) -> str:
    """The description of ``discover``, and its options' defaults put into their help
    (computed when help is shown: the defaults' module loads pandas)."""
    from sim.analysis.discovery import PEEL_ALPHA, RULE, THRESHOLD

    for action in parser._actions:
        if action.help:
            action.help = action.help.format(threshold=THRESHOLD, peel_alpha=PEEL_ALPHA)
    return (
        "Scenario discovery with EMA Workbench's PRIM: the runs where --where holds "
        "(a pandas expression over the runs table: the parameters and the outcomes; names "
        "with dots in backticks) are the cases of interest, the design's swept parameters "
        "the inputs; failed runs are left out. Prints the peeling trajectory (per box: "
        "coverage, density, mass, restricted parameters) and the chosen box's limits with "
        f"their quasi-p-values. The chosen box is --box K, else {RULE} (--threshold, "
        f"default {THRESHOLD:g}); exit 1 when no box reaches it. Writes trajectory.csv, "
        "box.json and the figures trajectory and box (SVG, PNG) to DIR/discover/SLUG/ "
        "(SLUG: the condition's words and a hash) or --out. Needs the 'discover' extra."
    )


def _add_discover(subparsers: Any) -> None:
    discover = subparsers.add_parser(
        "discover",
        help="scenario discovery: the box of swept parameters where a condition holds (PRIM)",
        epilog="examples:\n" + "\n".join(f"  {e}" for e in DISCOVER_EXAMPLES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    discover.describe = lambda: _discover_help(discover)
    discover.add_argument("store", metavar="DIR", help="the results store (results/NAME)")
    discover.add_argument(
        "--where", required=True, metavar="EXPRESSION",
        help="the condition that marks the cases of interest, over the runs' columns "
        "(outcome == 'collapse' and lifetime < 60)",
    )  # fmt: skip
    discover.add_argument("--box", type=int, metavar="K", help="choose box K of the trajectory")
    discover.add_argument(
        "--threshold", type=float, help="minimum density of the chosen box (default {threshold})"
    )
    discover.add_argument(
        "--peel-alpha", type=float,
        help="share of a box's runs peeled off at each step (default {peel_alpha})",
    )  # fmt: skip
    discover.add_argument("--json", action="store_true", help="print one JSON object")
    discover.add_argument(
        "--out",
        type=nonempty,
        metavar="FOLDER",
        help="folder for the files (default DIR/discover/SLUG)",
    )
    discover.set_defaults(handler=cmd_discover)


def add_commands(subparsers: Any) -> None:
    """Register ``report``, ``export`` and ``discover`` on an argparse subparsers object."""
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
    export.add_argument(
        "--out", type=nonempty, metavar="FOLDER", help="folder for the files (default DIR/csv)"
    )
    export.set_defaults(handler=cmd_export)

    _add_discover(subparsers)
