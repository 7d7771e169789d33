"""The ``calibrate`` command: approximate Bayesian computation into a calibration's store."""

from __future__ import annotations

import argparse
from typing import Any

from sim.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    command_help,
    command_line,
    nonempty,
    progress,
    warn,
)
from sim.cli.sweep import add_executor_options, add_run_flags


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run a calibration; print its posterior summary."""
    from sim.calibration.run import calibrate
    from sim.sweeps.determinism import NotDeterministic

    try:
        result = calibrate(
            args.experiment,
            out=args.out,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            force=args.force,
            progress=not args.no_progress,
            command=command_line(),
            determinism_check=not args.no_determinism_check,
            worker_timeout=args.worker_timeout,
            echo=progress,
        )
    except NotDeterministic as err:
        warn(err)
        return EXIT_FAILED
    except KeyboardInterrupt:
        warn("interrupted; run the same command again to continue the calibration")
        return EXIT_INTERRUPTED
    for line in result.lines():
        print(line)
    if result.stopped:
        warn(result.stopped)
    return EXIT_OK if result.complete else EXIT_FAILED


def add_commands(subparsers: Any) -> None:
    """Register ``calibrate`` on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "calibrate",
        help="infer parameters from observed patterns (ABC-SMC) into a store",
        **command_help(
            "Calibrate the parameters of an experiment file's [calibration] table by "
            "approximate Bayesian computation (ABC-SMC, or rejection): candidate points "
            "drawn from the priors run on the executor, and those whose statistics come "
            "close to the observed ones make the posterior. Writes the store "
            "(default results/NAME): the candidates, every generation's particles, the "
            "posterior predictive check and posterior.toml (the posterior medians as a "
            "scenario snippet). Killed and started again, it continues to the same result.",
            "alliance-sim calibrate experiments/calibrate-baseline.toml",
            "alliance-sim calibrate calibrate-baseline --workers 8",
            "alliance-sim report results/calibrate-baseline",
        ),
    )
    parser.add_argument(
        "experiment", help="the calibration's experiment file, or a shipped one's name"
    )
    parser.add_argument("--out", type=nonempty, help="the store folder (default: results/NAME)")
    add_executor_options(parser)
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace a store made by another calibration, by a sweep, or of another store "
        "format: its runs are lost",
    )
    add_run_flags(parser)
    parser.set_defaults(handler=cmd_calibrate)
