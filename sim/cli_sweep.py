"""Command-line faces of sweeps: ``sweep``, ``status``, ``replay`` and ``merge``.

:func:`add_sweep_commands` registers the four subcommands on an argparse subparsers
object; each sets ``handler`` (call ``args.handler(args)``, which returns the exit code:
0 done, 1 failed or pending runs or a replay mismatch, 2 bad input).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from sim.executors import EXECUTORS
from sim.experiment import ExperimentError
from sim.scenario import ScenarioError
from sim.store import StoreError, merge_stores, store_status

BAD_INPUT = (ExperimentError, ScenarioError, StoreError)


def _error(message: Any) -> None:
    print(f"error: {message}", file=sys.stderr)


def _command_line() -> str:
    return shlex.join(["alliance-sim", *sys.argv[1:]])


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or with ``--dry-run``, plan) a sweep."""
    from sim.sweep import plan_sweep, sweep

    options = {
        "out": args.out,
        "executor": args.executor,
        "workers": args.workers,
        "scheduler": args.scheduler,
        "shard": args.shard,
        "retry_failed": args.retry_failed,
        "force": args.force,
    }
    try:
        if args.dry_run:
            plan = plan_sweep(args.experiment, **options)
            for line in plan.lines():
                print(line)
            return 0
        result = sweep(
            args.experiment, progress=not args.no_progress, command=_command_line(), **options
        )
    except BAD_INPUT as err:
        _error(err)
        return 2
    except KeyboardInterrupt:
        _error("interrupted; run the same command again to complete the missing runs")
        return 130
    except OSError as err:
        _error(f"{err.filename}: {err.strerror}" if err.filename else err)
        return 1
    print(result.line())
    for message in result.errors[:5]:
        _error(message)
    if result.failed:
        print(
            f"{result.failed} runs failed (their errors are in the runs table); "
            "rerun with --retry-failed to try them again",
            file=sys.stderr,
        )
    return result.exit_code


def cmd_status(args: argparse.Namespace) -> int:
    """Print a store's done / failed / pending counts."""
    try:
        status = store_status(args.store)
    except BAD_INPUT as err:
        _error(err)
        return 2
    print(status.line())
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Rerun one stored run and check that it reproduces what was stored."""
    from sim.sweep import replay

    try:
        result = replay(args.store, args.run_id)
    except BAD_INPUT as err:
        _error(err)
        return 2
    print(result.line())
    return 0 if result.matches else 1


def cmd_merge(args: argparse.Namespace) -> int:
    """Combine shard stores into one."""
    try:
        result = merge_stores(args.sources, args.out)
    except BAD_INPUT as err:
        _error(err)
        return 2
    print(f"merged {result.added} runs ({result.skipped} already there)")
    print(result.status.line())
    return 0


def add_sweep_commands(subparsers: Any) -> None:
    """Register ``sweep``, ``status``, ``replay`` and ``merge`` on ``subparsers``."""
    parser = subparsers.add_parser(
        "sweep",
        help="run an experiment's design into a results store",
        description=(
            "Run the runs of an experiment file (experiments/NAME.toml) that its results "
            "store does not hold yet. Killed and started again, it completes the missing runs."
        ),
    )
    parser.add_argument("experiment", help="the experiment file")
    parser.add_argument("--out", help="the results store folder (default: results/NAME)")
    parser.add_argument(
        "--executor", choices=EXECUTORS, default="processes", help="where runs execute"
    )
    parser.add_argument("--workers", type=int, help="worker processes (default: the cores)")
    parser.add_argument(
        "--scheduler", help="Dask scheduler address (default: a local cluster on 127.0.0.1)"
    )
    parser.add_argument("--shard", metavar="K/N", help="run only the K-th of N slices")
    parser.add_argument(
        "--retry-failed", action="store_true", help="rerun failed runs and replace their rows"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the results of a store made by a different experiment",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the planned runs and estimated time and disk; write nothing",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=cmd_sweep)

    parser = subparsers.add_parser(
        "status", help="count done, failed and pending runs of a results store"
    )
    parser.add_argument("store", help="the results store folder")
    parser.set_defaults(handler=cmd_status)

    parser = subparsers.add_parser(
        "replay", help="rerun one stored run and check that it reproduces"
    )
    parser.add_argument("store", help="the results store folder")
    parser.add_argument("run_id", help="the run's id (the run_id column)")
    parser.set_defaults(handler=cmd_replay)

    parser = subparsers.add_parser("merge", help="combine shard stores into one store")
    parser.add_argument("sources", nargs="+", help="the shard store folders")
    parser.add_argument("--out", help="the combined store (default: results/NAME)")
    parser.set_defaults(handler=cmd_merge)


def main(argv: list[str] | None = None) -> int:
    """Run one sweep subcommand (``python -m sim.cli_sweep sweep FILE ...``)."""
    parser = argparse.ArgumentParser(prog="alliance-sim")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_sweep_commands(subparsers)
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
