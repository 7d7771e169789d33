"""The command line: run, scenarios, validate, help, CSV, exit codes and one-line errors."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pandas as pd
import pytest

from sim import cli, simulate
from sim.cli.main import build_parser
from sim.names import PHASES
from sim.validation.targets import ROOT_SEED, TargetResult


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=300
    )


def test_run_json_prints_exactly_the_summary():
    result = run_cli("run", "baseline", "--seed", "1", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == simulate("baseline", rng=1)


def test_run_readable_summary_set_steps_and_out(tmp_path, capsys):
    out = tmp_path / "run"
    code = cli.main(
        [
            "run",
            "scandal",
            "--seed",
            "3",
            "--steps",
            "24",
            "--set",
            "leadership.relationships=0.9",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert text.startswith("scandal (seed 3):")
    summary = json.loads((out / "summary.json").read_text())
    assert summary == simulate("scandal", rng=3, horizon=24, relationships=0.9)
    lines = (out / "timeseries.csv").read_text().splitlines()
    assert lines[0].startswith("step,performance,mean_trust,active_members")
    assert len(lines) == 1 + summary["lifetime"] + 1
    phases = pd.read_csv(out / "timeseries.csv")["phase"]
    assert set(phases) <= set(PHASES) and phases.iloc[0] == "normal"
    assert "crisis" in set(phases)  # the scandal's crisis, by name


def test_run_summary_shows_what_the_degraded_rule_reads(capsys):
    """The output line gives the founding and later-life output, their ratio and the
    scenario's threshold, so a reader sees why a run is or is not degraded."""
    assert (
        cli.main(["run", "baseline", "--seed", "1", "--set", "constants.degraded_share=0.5"]) == 0
    )
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("  output"))
    metrics = simulate("baseline", rng=1)["metrics"]
    founding, later = metrics["founding_output"], metrics["later_output"]
    assert line == (
        "  output (performance x share of founding members active): "
        f"{founding:.2f} founding, {later:.2f} later-life median = {later / founding:.2f} x "
        "founding (degraded below 0.5 x)"
    )


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_subcommand_help_says_what_it_does_with_an_example():
    commands = _subcommands()
    assert {"run", "scenarios", "validate", "status", "replay", "merge", "demo"} <= set(commands)
    for name, parser in commands.items():
        text = parser.format_help()
        description = text.split("\n\n")[1]
        assert not description.startswith(("positional", "options")), name
        assert len(description.split()) >= 8, name
        assert f"examples:\n  alliance-sim {name}" in text, name


def test_set_help_says_it_repeats_and_values_are_toml():
    text = " ".join(_subcommands()["run"].format_help().split())
    assert "repeat" in text and "TOML" in text and "quote a string" in text
    assert "leadership.relationships" in text


def test_validate_help_counts_the_targets_of_the_code():
    from sim.validation.targets import OPEN_TARGETS, TARGETS

    text = " ".join(_subcommands()["validate"].format_help().split())
    assert f"the {len(TARGETS)} required calibration and validation targets" in text
    if OPEN_TARGETS:
        assert f"then the {len(OPEN_TARGETS)} open target" in text
    else:
        assert "none is open" in text and "open target" not in text.split("none is open")[0]


def test_scenarios_lists_names_and_descriptions(capsys):
    assert cli.main(["scenarios"]) == 0
    text = capsys.readouterr().out
    for name in ("baseline", "funding-cut", "scandal", "faultlines", "leader-exit"):
        assert f"\n{name}\n" in f"\n{text}"


BAD_INPUTS = [
    (["run", "atlantis"], "unknown scenario"),
    (["run", "missing.toml"], "file not found"),
    (["run", "baseline", "--set", "leadership.relationships=1.5"], "leadership.relationships"),
    (["run", "baseline", "--set", "alliance.colour=3"], "alliance.colour"),
    (["run", "baseline", "--set", "constants.warp=3"], "constants.warp"),
    (["run", "baseline", "--set", "noequals"], "KEY=VALUE"),
    (["run", "baseline", "--set", "alliance.members=many"], "alliance.members"),
    (["run", "baseline", "--seed", "x1"], "seed"),
    (["run", "baseline", "--steps", "0"], "--steps: horizon: 0 is out of range"),
    (["run", "baseline", "--steps", "1" + "0" * 400], "--steps: horizon: a 401-digit number"),
    (["run", "baseline", "--seed", "-1"], "--seed: expected an int seed"),
    (["run", "baseline", "--seed", str(2**63)], "--seed: seed 9223372036854775808 is out of"),
    (["run", "baseline", "--set", "alliance.members=1" + "0" * 400], "alliance.members: a 401"),
    (
        [
            "run",
            "baseline",
            "--set",
            "alliance.members=30000",
            "--set",
            "alliance.mean_degree=29999",
        ],
        "alliance.mean_degree: 30000 members with mean degree 29999 make 449,985,000 ties",
    ),
    (["run", "baseline", "--out", ""], "--out: expected a non-empty value"),
    (["sweep", "any.toml", "--out", " "], "--out: expected a non-empty value"),
    (["sweep", "any.toml", "--scheduler", ""], "--scheduler: expected a non-empty value"),
    (["export", "somewhere", "--out", ""], "--out: expected a non-empty value"),
    (["validate", "--root-seed", "-1"], "--root-seed: expected a seed from 0 to 2**62, got -1"),
    (["effects", "--seed", "-1"], "--seed: expected a seed from 0 to 2**62, got -1"),
    (["run", "baseline", "--steps", "ten"], "--steps"),
    (["frobnicate"], "invalid choice"),
    (["effects", "--scenario", "atlantis"], "--scenario"),
    (["effects", "--pairs", "1"], "--pairs"),
    (["demo", "--port", "99999"], "--port"),
    (["demo", "--check", "--port", "-1"], "--port"),
]


@pytest.mark.parametrize(("argv", "needle"), BAD_INPUTS)
def test_bad_input_exits_2_with_one_line(argv, needle, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert needle in lines[0]
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("check", [[], ["--check"]])
def test_demo_on_a_port_in_use_exits_2_with_one_line(check, capsys):
    import socket

    pytest.importorskip("solara")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["demo", *check, "--port", str(port)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"error: --port {port}: in use on 127.0.0.1 (give another, or 0 for a free one)"
    ]
    assert captured.out == ""


def test_set_may_add_keys_a_scenario_file_leaves_out(capsys):
    event = 'shocks.events=[{kind="global", at=2, severity=0.5}]'
    assert (
        cli.main(["run", "baseline", "--steps", "3", "--seed", "1", "--set", event, "--json"]) == 0
    )
    with_event = json.loads(capsys.readouterr().out)
    assert cli.main(["run", "baseline", "--steps", "3", "--seed", "1", "--json"]) == 0
    without = json.loads(capsys.readouterr().out)
    assert with_event["metrics"]["shocks"] == without["metrics"]["shocks"] + 1
    only_exits = ["--set", "shocks.rate=10", "--set", "shocks.mix.leader_exit=1"]
    for kind in ("global", "local", "relational", "regime_shift"):
        only_exits += ["--set", f"shocks.mix.{kind}=0"]
    assert cli.main(["run", "baseline", "--steps", "3", "--seed", "1", *only_exits, "--json"]) == 0
    kinds = {c["kind"] for c in json.loads(capsys.readouterr().out)["crises"]}
    assert kinds == {"leader_exit"}


def test_bad_scenario_file_in_a_subprocess_has_no_traceback(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[alliance]\nmembers = = 3\n")
    result = run_cli("run", str(path))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert str(path) in result.stderr and "Traceback" not in result.stderr


def test_validate_reports_and_sets_exit_code(monkeypatch, capsys):
    passing = TargetResult(1, "a", "criterion a", "measured a", True)
    failing = TargetResult(2, "b", "criterion b", "measured b", False)
    still_open = TargetResult(3, "c", "criterion c", "measured c", False, required=False)
    monkeypatch.setattr("sim.validation.targets.TARGETS", (lambda seed=0: passing,))
    monkeypatch.setattr("sim.validation.targets.OPEN_TARGETS", (lambda seed=0: still_open,))
    assert cli.main(["validate"]) == 0  # an open target does not fail validate
    out = capsys.readouterr().out
    assert "[PASS] target 1: a" in out and "[OPEN] target 3: c" in out
    assert "1/1 targets pass; open targets met: 0/1" in out
    monkeypatch.setattr(
        "sim.validation.targets.TARGETS", (lambda seed=0: passing, lambda seed=0: failing)
    )
    assert cli.main(["validate", "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["passed"] is False and len(payload["targets"]) == 3
    assert payload["root_seed"] == ROOT_SEED
    monkeypatch.setattr("sim.validation.targets.TARGETS", (lambda seed=0: passing,))
    monkeypatch.setattr("sim.validation.targets.OPEN_TARGETS", ())
    assert cli.main(["validate"]) == 0  # with no open target, the summary leaves them out
    assert "1/1 targets pass (root seed" in capsys.readouterr().out


def test_validate_root_seed_moves_every_target_by_the_same_distance(monkeypatch, capsys):
    seen = {}

    def target(number, default):
        def run(seed=default):
            seen[number] = seed
            return TargetResult(number, "t", "c", "m", True, required=number != 3)

        return run

    targets = (target(1, ROOT_SEED), target(2, ROOT_SEED + 7))
    monkeypatch.setattr("sim.validation.targets.TARGETS", targets)
    monkeypatch.setattr("sim.validation.targets.OPEN_TARGETS", (target(3, ROOT_SEED + 14),))
    assert cli.main(["validate"]) == 0
    assert seen == {1: ROOT_SEED, 2: ROOT_SEED + 7, 3: ROOT_SEED + 14}
    assert cli.main(["validate", "--root-seed", "5", "--json"]) == 0
    assert seen == {1: 5, 2: 12, 3: 19}
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["root_seed"] == 5


def test_export_defaults_to_csv_with_phases_by_name(tmp_path, write_toml, capsys):
    from sim.experiment import load_experiment
    from sim.sweeps.run import sweep

    experiment = write_toml(
        'name = "phases"\nscenario = "scandal"\nreplications = 2\nseed = 3\n'
        '[parameters]\n"leadership.relationships" = [0.2, 0.8]\n'
        "[output]\ntimeseries_every = 1\n"
    )
    store = tmp_path / "store"
    sweep(load_experiment(experiment), out=store, executor="serial")
    assert cli.main(["export", str(store)]) == 0
    assert "timeseries.csv" in capsys.readouterr().out
    phases = pd.read_csv(store / "csv" / "timeseries.csv")["phase"]
    assert set(phases) <= set(PHASES) and {"normal", "crisis"} <= set(phases)
