"""The sweep commands: ``sweep``, ``status``, ``replay`` and ``merge``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sim.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    command_help,
    command_line,
    nonempty,
    warn,
)
from sim.store import merge_stores, store_status
from sim.sweeps.executors import EXECUTORS, NO_WORKER_SECONDS


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or with ``--dry-run``, plan) a sweep."""
    from sim.sweeps.determinism import NotDeterministic
    from sim.sweeps.plan import plan_sweep
    from sim.sweeps.run import sweep

    options = {
        "out": args.out,
        "executor": args.executor,
        "workers": args.workers,
        "scheduler": args.scheduler,
        "shard": args.shard,
        "retry_failed": args.retry_failed,
        "force": args.force,
    }
    if args.dry_run:
        for line in plan_sweep(args.experiment, **options).lines():
            print(line)
        return EXIT_OK
    try:
        result = sweep(
            args.experiment,
            progress=not args.no_progress,
            command=command_line(),
            worker_timeout=args.worker_timeout,
            determinism_check=not args.no_determinism_check,
            **options,
        )
    except NotDeterministic as err:
        warn(err)
        return EXIT_FAILED
    except KeyboardInterrupt:
        warn("interrupted; run the same command again to complete the missing runs")
        return EXIT_INTERRUPTED
    print(result.line())
    for message in result.errors[:5]:
        warn(message)
    if result.failed:
        print(
            f"{result.failed} runs failed (their errors are in the runs table); "
            "rerun with --retry-failed to try them again",
            file=sys.stderr,
        )
    return EXIT_OK if result.complete else EXIT_FAILED


def cmd_status(args: argparse.Namespace) -> int:
    """Print a store's done / failed / pending counts (and an adaptive store's points)."""
    status = store_status(args.store)
    print(status.line())
    for line in status.point_lines():
        print(line)
    return EXIT_OK


def cmd_replay(args: argparse.Namespace) -> int:
    """Rerun one stored run and check that it reproduces what was stored."""
    from sim.sweeps.replay import replay

    result = replay(args.store, args.run_id)
    print(result.line())
    return EXIT_OK if result.matches else EXIT_FAILED


def cmd_merge(args: argparse.Namespace) -> int:
    """Combine shard stores into one."""
    result = merge_stores(args.sources, args.out)
    print(f"merged {result.added} runs ({result.skipped} already there)")
    print(result.status.line())
    return EXIT_OK


SHARD_HELP = "run only the K-th of N slices (of the runs; of the points with [precision])"


def _add_sweep(subparsers: Any) -> None:
    """Register ``sweep`` and its options."""
    parser = subparsers.add_parser(
        "sweep",
        help="run an experiment's design into a results store",
        **command_help(
            "Run the runs of an experiment file (experiments/NAME.toml) that its results "
            "store does not hold yet. Killed and started again, it completes the missing "
            "runs; every invocation is recorded in the store's manifest.json. An experiment "
            "with a [precision] table runs in rounds: each point gets replicates until the "
            "interval of the outcome's mean is narrow enough, or it reaches replications "
            "(the maximum).",
            "alliance-sim sweep experiments/quickstart.toml",
            "alliance-sim sweep quickstart-precise",
            "alliance-sim sweep experiments/leadership-sobol.toml --dry-run",
            "alliance-sim sweep experiments/leadership-sobol.toml --workers 8 --shard 1/16",
        ),
    )
    parser.add_argument(
        "experiment", help="the experiment file, or a shipped experiment's name (quickstart, ...)"
    )
    parser.add_argument(
        "--out", type=nonempty, help="the results store folder (default: results/NAME)"
    )
    add_executor_options(parser)
    parser.add_argument("--shard", metavar="K/N", help=SHARD_HELP)
    parser.add_argument(
        "--retry-failed", action="store_true", help="rerun failed runs and replace their rows"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace a store this experiment may not extend (another experiment's, one with "
        "more runs, a calibration's, or one of another store format): its runs are lost",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the planned runs (with [precision]: the most and the fewest) and "
        "estimated time and disk; write nothing",
    )
    add_run_flags(parser)
    parser.set_defaults(handler=cmd_sweep)


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """Where the runs of a sweep or a calibration execute: ``--executor``, ``--workers``,
    ``--scheduler`` and ``--worker-timeout``."""
    parser.add_argument(
        "--executor", choices=EXECUTORS, default="processes", help="where runs execute"
    )
    parser.add_argument("--workers", type=int, help="worker processes (default: the cores)")
    parser.add_argument(
        "--scheduler",
        type=nonempty,
        help="Dask scheduler address (default: a local cluster on 127.0.0.1)",
    )
    parser.add_argument(
        "--worker-timeout",
        type=float,
        default=NO_WORKER_SECONDS,
        metavar="SECONDS",
        help=f"dask: stop after this long without any worker (default {NO_WORKER_SECONDS:g})",
    )


def add_run_flags(parser: argparse.ArgumentParser) -> None:
    """``--no-progress`` and ``--no-determinism-check`` of a sweep or a calibration."""
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--no-determinism-check",
        action="store_true",
        help="skip running a model's first runs twice in two processes to compare them",
    )


def add_commands(subparsers: Any) -> None:
    """Register ``sweep``, ``status``, ``replay`` and ``merge`` on ``subparsers``."""
    _add_sweep(subparsers)
    parser = subparsers.add_parser(
        "status",
        help="count done, failed and pending runs of a results store",
        **command_help(
            "Count the runs of a results store that are done, failed (their errors are in "
            "the runs table) and pending, against the store's design. A store of an "
            "experiment with a [precision] table counts the runs its rule asks for so far, "
            "and lists each point: its replicates, the half-width of its interval and "
            "whether it reached the half-width (target), stopped at the maximum, or is "
            "pending. Reads only.",
            "alliance-sim status results/quickstart",
            "alliance-sim status results/quickstart-precise",
        ),
    )
    parser.add_argument("store", help="the results store folder")
    parser.set_defaults(handler=cmd_status)

    parser = subparsers.add_parser(
        "replay",
        help="rerun one stored run and check that it reproduces",
        **command_help(
            "Run one stored run again with its stored parameters and seed, and compare its "
            "outcomes with the stored ones. Exit code 1 when they differ (the first "
            "differences are printed).",
            "alliance-sim replay results/quickstart RUN_ID   (RUN_ID from the runs table)",
        ),
    )
    parser.add_argument("store", help="the results store folder")
    parser.add_argument("run_id", help="the run's id (the run_id column)")
    parser.set_defaults(handler=cmd_replay)

    parser = subparsers.add_parser(
        "merge",
        help="combine shard stores into one store",
        **command_help(
            "Combine the stores that the shards of one experiment wrote into separate folders "
            "(sweep --shard K/N --out ...) into one store. Runs already in the target are "
            "skipped, so merging again adds nothing twice.",
            "alliance-sim merge results/shard-1 results/shard-2 --out results/leadership-sobol",
        ),
    )
    parser.add_argument("sources", nargs="+", help="the shard store folders")
    parser.add_argument("--out", type=nonempty, help="the combined store (default: results/NAME)")
    parser.set_defaults(handler=cmd_merge)
