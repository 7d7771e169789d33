"""The command line: run, scenarios, validate, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sim import cli, simulate
from sim.validation.targets import TargetResult


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
    (["run", "baseline", "--steps", "0"], "horizon"),
    (["run", "baseline", "--steps", "ten"], "--steps"),
    (["frobnicate"], "invalid choice"),
    (["effects", "--scenario", "atlantis"], "--scenario"),
    (["effects", "--pairs", "1"], "--pairs"),
]


@pytest.mark.parametrize(("argv", "needle"), BAD_INPUTS)
def test_bad_input_exits_2_with_one_line(argv, needle, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert needle in lines[0]
    assert "Traceback" not in captured.err


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
    monkeypatch.setattr("sim.validation.targets.TARGETS", (lambda: passing,))
    monkeypatch.setattr("sim.validation.targets.OPEN_TARGETS", (lambda: still_open,))
    assert cli.main(["validate"]) == 0  # an open target does not fail validate
    out = capsys.readouterr().out
    assert "[PASS] target 1: a" in out and "[OPEN] target 3: c" in out
    assert "1/1 targets pass; open targets met: 0/1" in out
    monkeypatch.setattr("sim.validation.targets.TARGETS", (lambda: passing, lambda: failing))
    assert cli.main(["validate", "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["passed"] is False and len(payload["targets"]) == 3
