"""The model's commands: ``run``, ``scenarios``, ``validate`` and ``demo``."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from sim.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    SET_HELP,
    UsageError,
    check_seed_flag,
    command_help,
    json_default,
    nonempty,
    parse_set,
    progress,
    warn,
)

MAX_PORT = 65535
"""The largest TCP port number."""


def _format_summary(
    summary: dict[str, Any], spec_name: str, seconds: float, degraded_share: float
) -> str:
    metrics = summary["metrics"]

    def number(value: Any, digits: int = 2) -> str:
        return "n/a" if value is None else f"{value:.{digits}f}"

    founding, later = metrics["founding_output"], metrics["later_output"]
    ratio = f"{later / founding:.2f}" if founding and later is not None else "n/a"

    status = "survived" if summary["survived"] else f"ended in month {summary['lifetime']}"
    lines = [
        f"{spec_name} (seed {summary['seed']}): {summary['outcome']}; the alliance {status}",
        f"  members: {summary['founding_members']} founding, {summary['final_members']} at the end "
        f"(turnover {number(metrics['turnover'])})",
        f"  performance (mean over active members): {number(metrics['final_performance'])} at "
        "the end",
        "  output (performance x share of founding members active): "
        f"{number(founding)} founding, {number(later)} later-life median = {ratio} x founding "
        f"(degraded below {degraded_share:g} x)",
        f"  trust: mean {number(metrics['mean_trust'])} over the run, "
        f"{number(metrics['final_mean_trust'])} at the end",
        f"  crises: {metrics['crises']} episodes from {metrics['shocks']} shocks; "
        f"recovered {number(metrics['share_recovered'])}, worst robustness "
        f"{number(metrics['worst_robustness'])}, mean recovery time "
        f"{number(metrics['mean_recovery_time'], 1)} months",
        f"  ambition shift: {number(metrics['ambition_shift'], 3)}",
        f"  ({seconds * 1000:.0f} ms)",
    ]
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario and print its summary."""
    from sim.model.prepare import resolve_seed
    from sim.model.simulation import simulate
    from sim.scenario import ScenarioError, load_preset

    spec = load_preset(args.scenario).with_overrides(parse_set(args.set or []), source="--set")
    if args.steps is not None:
        spec = spec.with_overrides({"horizon": args.steps}, source="--steps")
    try:
        seed = resolve_seed(args.seed)
    except ScenarioError as err:
        raise UsageError(f"--seed: {err.problem}") from None
    out = Path(args.out) if args.out else None
    if out is not None:
        _check_out(out)
    started = time.perf_counter()
    summary = simulate(spec, rng=seed, record_every=1 if out else 0)
    seconds = time.perf_counter() - started
    series = summary.pop("series", None)
    if out is not None:
        _write_run(out, summary, series)
    if args.json:
        print(json.dumps(summary, default=json_default))
    else:
        degraded_share = float(spec.get("constants.degraded_share"))
        print(_format_summary(summary, spec.name, seconds, degraded_share))
        if out is not None:
            print(f"  wrote {out / 'summary.json'} and {out / 'timeseries.csv'}")
    return EXIT_OK


RUN_FILES: tuple[str, ...] = ("summary.json", "timeseries.csv")
"""What ``run --out DIR`` writes into DIR."""


def _check_out(out: Path) -> None:
    """Make the ``--out`` folder and prove it writable before the run: a file or folder
    in the way is bad input (exit 2); a file system that refuses the write raises its
    ``OSError`` (exit 1, as for every command)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    for name in RUN_FILES:
        if (out / name).exists() and not (out / name).is_file():
            raise UsageError(f"--out {out / name}: exists and is not a file")
    probe = out / ".write-test.tmp"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as err:  # a file on the path: bad input
        raise UsageError(f"--out {err.filename or out}: {err.strerror or err}") from None
    probe.write_bytes(b"")
    probe.unlink()


def _write_run(out: Path, summary: dict[str, Any], series: dict[str, np.ndarray]) -> None:
    """Write ``summary.json`` and ``timeseries.csv`` (phases by name) atomically into ``out``."""
    from sim.names import phase_name

    out.mkdir(parents=True, exist_ok=True)
    columns = list(series)
    rows = [",".join(columns)]
    for index in range(len(series["step"])):
        cells = (
            phase_name(series[name][index]) if name == "phase" else _csv_cell(series[name][index])
            for name in columns
        )
        rows.append(",".join(cells))
    texts = (json.dumps(summary, default=json_default, indent=2) + "\n", "\n".join(rows) + "\n")
    for name, text in zip(RUN_FILES, texts, strict=True):
        temporary = out / f".{name}.tmp"
        try:
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(out / name)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def _csv_cell(value: Any) -> str:
    if isinstance(value, np.integer):
        return str(int(value))
    value = float(value)
    return "" if np.isnan(value) else repr(value)


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the shipped scenarios with their descriptions."""
    import textwrap

    from sim.scenario import load_file, scenarios_dir, shipped_scenarios

    shipped = shipped_scenarios()
    if not shipped:
        warn(f"no scenario files (*.toml) found in {scenarios_dir()}")
        return EXIT_FAILED
    for name, path in shipped.items():
        spec = load_file(path)
        print(name)
        print(
            textwrap.fill(
                " ".join(spec.description.split()),
                88,
                initial_indent="    ",
                subsequent_indent="    ",
            )
        )
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the calibration targets."""
    from sim.validation.targets import ROOT_SEED, validate

    def show(result: Any) -> None:
        if args.json:
            return
        mark = "PASS" if result.passed else ("FAIL" if result.required else "OPEN")
        print(f"[{mark}] target {result.number}: {result.name}", flush=True)
        print(f"    criterion: {result.criterion}")
        print(f"    measured:  {result.measured}", flush=True)

    check_seed_flag("--root-seed", args.root_seed)
    started = time.perf_counter()
    root_seed = ROOT_SEED if args.root_seed is None else args.root_seed
    results = validate(progress=show, root_seed=root_seed)
    required = [result for result in results if result.required]
    passed = all(result.passed for result in required)
    if args.json:
        payload = {
            "passed": passed,
            "root_seed": root_seed,
            "targets": [result.to_dict() for result in results],
        }
        print(json.dumps(payload, default=json_default))
    else:
        count = sum(result.passed for result in required)
        opened = [result for result in results if not result.required]
        met = sum(result.passed for result in opened)
        met_open = f"; open targets met: {met}/{len(opened)}" if opened else ""
        print(
            f"{count}/{len(required)} targets pass{met_open} "
            f"(root seed {root_seed}; {time.perf_counter() - started:.1f} s)"
        )
    return EXIT_OK if passed else EXIT_FAILED


def cmd_effects(args: argparse.Namespace) -> int:
    """What each leadership parameter does to outcomes, per scenario."""
    from sim.scenario import shipped_scenarios
    from sim.validation import effects as E

    shipped = sorted(shipped_scenarios())
    scenarios = args.scenario or shipped
    for name in scenarios:
        if name not in shipped:
            raise UsageError(
                f"--scenario: unknown scenario '{name}' (shipped: {', '.join(shipped)})"
            )
    check_seed_flag("--seed", args.seed)
    pairs = E.PAIRS if args.pairs is None else args.pairs
    seed = E.SEED if args.seed is None else args.seed
    if pairs < 2:
        raise UsageError(f"--pairs: expected at least 2, got {pairs}")
    runs = 2 * len(E.LEADERSHIP_KEYS) * pairs
    progress(
        f"effects: {len(scenarios)} scenario(s), {runs} runs each ({pairs} pairs per parameter)"
    )
    found = E.effects(scenarios, pairs, seed, lambda name: progress(f"effects: {name} done"))
    if args.json:
        print(json.dumps([effect.to_dict() for effect in found], default=json_default))
        return EXIT_OK
    for name in scenarios:
        print(E.heading(name, pairs, seed), E.markdown(found, name), sep="\n\n", end="\n\n")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Start the teaching demo (with ``--check``: serve its page once, then stop)."""
    from sim.errors import needs_extra

    with needs_extra("alliance-sim demo", "demo"):
        from sim.app.server import DEFAULT_PORT, HOST, check_demo, port_in_use, run_demo
    port = args.port if args.port is not None or args.check else DEFAULT_PORT
    if port and port_in_use(port):
        raise UsageError(f"--port {port}: in use on {HOST} (give another, or 0 for a free one)")
    return check_demo(port) if args.check else run_demo(port)


def _tcp_port(text: str) -> int:
    """A ``--port`` value: a TCP port number, 0 for a free one."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to {MAX_PORT})")
    return port


def validate_description() -> str:
    """``validate``'s description, with the numbers of targets counted from the code."""
    from sim.validation.targets import OPEN_TARGETS, TARGETS

    opened = len(OPEN_TARGETS)
    then_open = (
        f", then the {opened} open target{'' if opened == 1 else 's'} that the model does "
        "not meet yet,"
        if opened
        else ","
    )
    open_rule = (
        "open targets are reported as OPEN and do not change the exit code"
        if opened
        else "none is open (an open target would be reported as OPEN and not change it)"
    )
    return (
        f"Run the {len(TARGETS)} required calibration and validation targets{then_open} "
        "each with its fixed seeds and stated criterion, and print what was measured "
        "(docs/model.md, section 4). Exit code 0 when every required target passes; "
        f"{open_rule}."
    )


def _add_run(commands: Any) -> None:
    """Register ``run``."""
    run = commands.add_parser(
        "run",
        help="run one scenario and print its summary",
        **command_help(
            "Run one scenario (a shipped name, see 'alliance-sim scenarios', or a scenario "
            "file) with one seed and print its summary: outcome class, members, performance, "
            "trust and crises (every metric is defined in docs/model.md, section 3.3.19).",
            "alliance-sim run baseline --seed 1",
            "alliance-sim run scandal --seed 1 --set leadership.relationships=0.9 --json",
            "alliance-sim run regime-shift --seed 4 --out results/one-run",
        ),
    )
    run.add_argument("scenario", help="a shipped scenario name or a scenario file path")
    run.add_argument("--seed", help="the run's int seed (drawn when absent)")
    run.add_argument("--steps", type=int, help="months to simulate (overrides the horizon)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help=SET_HELP)
    run.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    run.add_argument(
        "--out",
        type=nonempty,
        metavar="DIR",
        help="also write DIR/summary.json and DIR/timeseries.csv (one row a month, the "
        "phase by name)",
    )
    run.set_defaults(handler=cmd_run)


def add_commands(commands: Any) -> None:
    """Register ``run``, ``scenarios``, ``validate``, ``effects`` and ``demo``."""
    _add_run(commands)
    scenarios = commands.add_parser(
        "scenarios",
        help="list the shipped scenarios",
        **command_help(
            "List the shipped scenarios (scenarios/*.toml) with what each one shows. Each "
            "name is a SCENARIO for 'alliance-sim run' and for an experiment file.",
            "alliance-sim scenarios",
        ),
    )
    scenarios.set_defaults(handler=cmd_scenarios)

    validate = commands.add_parser(
        "validate",
        help="run the calibration and validation targets",
        describe=validate_description,
        epilog="examples:\n  alliance-sim validate\n  alliance-sim validate --json\n"
        "  alliance-sim validate --root-seed 1   # the same targets on fresh seeds",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument("--json", action="store_true", help="print the results as JSON")
    validate.add_argument(
        "--root-seed",
        type=int,
        metavar="N",
        help="run every target on fresh seeds: each target's seed moved by N minus the "
        "documented root seed (default: the documented seeds, which docs/model.md reports)",
    )
    validate.set_defaults(handler=cmd_validate)

    effects = commands.add_parser(
        "effects",
        help="what each leadership parameter does to survival and the outcome classes",
        **command_help(
            "For each scenario and each of the nine qualities and concentration: the change "
            "in survival and in each outcome class's share from 0.1 to 0.9, the others at the "
            "scenario's values, on paired runs with common seeds; two-sided exact McNemar "
            "tests, Holm-adjusted over the ten parameters.",
            "alliance-sim effects --scenario baseline",
            "alliance-sim effects --scenario scandal --pairs 50 --json",
        ),
    )
    effects.add_argument(
        "--scenario", action="append", help="a shipped scenario (repeat; default: all of them)"
    )
    effects.add_argument("--pairs", type=int, help="paired runs per parameter (default 200)")
    effects.add_argument("--seed", type=int, help="root seed of the runs (default: the docs' seed)")
    effects.add_argument("--json", action="store_true", help="print the effects as JSON rows")
    effects.set_defaults(handler=cmd_effects)

    _add_demo(commands)


def _add_demo(commands: Any) -> None:
    """Register ``demo``."""
    demo = commands.add_parser(
        "demo",
        help="start the teaching demo in the browser",
        **command_help(
            "Start the teaching demo, a Solara app served on 127.0.0.1, and print its address "
            "to open in a browser: leadership sliders, crises to trigger and guided lessons. "
            "Ctrl-C stops it. With --check: serve the page once, say whether it is served, "
            "and stop.",
            "alliance-sim demo",
            "alliance-sim demo --port 8800",
            "alliance-sim demo --check",
        ),
    )
    demo.add_argument(
        "--port", type=_tcp_port, help="port on 127.0.0.1 (default 8765; 0: a free one)"
    )
    demo.add_argument(
        "--check",
        action="store_true",
        help="start the server, fetch the page once, say whether it is served, and stop "
        "(on a free port unless --port is given)",
    )
    demo.set_defaults(handler=cmd_demo)
