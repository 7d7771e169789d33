"""The benchmark command: ``alliance-sim bench [--json] [--quick]``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sim.cli.common import EXIT_FAILED, EXIT_OK, command_help


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the benchmark (or with ``--mesa``, the Mesa comparison) and print its report."""
    if args.demo:
        from sim.bench.demo import run_demo_bench, unavailable
        from sim.errors import needs_extra

        with needs_extra("alliance-sim bench --demo", "demo"):
            import solara  # noqa: F401  (the extra first: without it nothing else matters)

            reason = unavailable()
        if reason:
            print(f"error: alliance-sim bench --demo: {reason}", file=sys.stderr)
            return EXIT_FAILED
        ok = run_demo_bench(json_output=args.json, quick=args.quick)["all_met"]
        return EXIT_OK if ok else EXIT_FAILED
    if args.mesa:
        from sim.bench.mesa import run_mesa_bench

        ok = run_mesa_bench(json_output=args.json, quick=args.quick)["ok"]
        return EXIT_OK if ok else EXIT_FAILED
    from sim.bench.run import run_bench

    results = run_bench(json_output=args.json, quick=args.quick)
    return EXIT_OK if results["all_met"] else EXIT_FAILED


def add_commands(subparsers: Any) -> None:
    """Register ``bench`` on an argparse subparsers object."""
    bench = subparsers.add_parser(
        "bench",
        help="measure run time, sweep throughput and memory against the speed targets",
        **command_help(
            "Medians over repeated runs: simulate and AllianceModel at 24 members x 180 "
            "months, time per tie-month, sweep throughput (serial and process pool) and "
            "parallel efficiency, one 10,000-member run's time and peak memory, and the "
            "per-process start. Takes about a minute. Exit code 1 when a target is missed.",
            "alliance-sim bench",
            "alliance-sim bench --quick --json",
            "alliance-sim bench --mesa",
        ),
    )
    bench.add_argument("--json", action="store_true", help="print the results as JSON")
    bench.add_argument(
        "--quick", action="store_true", help="tiny sizes: checks that the bench runs, no figures"
    )
    instead = bench.add_mutually_exclusive_group()
    instead.add_argument(
        "--mesa",
        action="store_true",
        help="instead: a Mesa example swept by alliance-sim and by mesa.batch_run "
        "(1 and 2 processes): time, runs/s and the process tree's peak memory",
    )
    instead.add_argument(
        "--demo",
        action="store_true",
        help="instead: the teaching demo in headless Chromium: page ready time, Step latency "
        "and months per second under Play, against their targets",
    )
    bench.set_defaults(handler=cmd_bench)
