"""Packaging: a pip-installed alliance-sim works from any folder, and extras fail in one line.

The installed-copy tests build the wheel from a copy of the sources (so the checkout is not
written to), install it without dependencies into a temporary folder (the dependencies come
from the test environment: no download), and run its ``alliance-sim`` from a folder outside
the repository with only that folder on ``PYTHONPATH``. The installed kernel would compile
on first use; its numba cache is keyed by a hash of the kernel's sources, which the installed
copy shares with the checkout, so the checkout's compiled cache is copied beside it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.errors import MissingExtra, needs_extra
from sim.locations import INSTALLED, SHIPPED_FILES, shipped_dir

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "sim")
TINY = """
name = "tiny"
scenario = "baseline"
replications = 2
seed = 1
horizon = 24

[parameters]
"leadership.relationships" = [0.2, 0.8]
"""


@dataclass(frozen=True)
class Installed:
    """An installed copy: its ``--target`` folder, and a working folder outside the repo."""

    site: Path
    away: Path

    def run(self, *args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
        """``alliance-sim ARGS`` (or ``python -c CODE``) from :attr:`away`."""
        env = {k: v for k, v in os.environ.items() if k != "ALLIANCE_SIM_SCENARIOS"}
        env["PYTHONPATH"] = str(self.site)
        command = [str(self.site / "bin" / "alliance-sim"), *args]
        if code is not None:
            command = [sys.executable, "-c", code]
        return subprocess.run(
            command, cwd=self.away, env=env, capture_output=True, text=True, timeout=600
        )


def _pip(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args, "--quiet"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def _copy_sources(source: Path) -> None:
    """What the build reads, copied from the checkout into ``source``."""
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in (*SOURCES, *SHIPPED_FILES):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)


def _share_kernel_cache(site: Path) -> None:
    """Copy the checkout's compiled kernel (compiled here if need be) to the installed copy."""
    import sim
    from sim.kernel.cache import cache_dir

    sim.simulate("baseline", rng=0, horizon=2)
    target = site / "sim" / "kernel" / "__pycache__"
    target.mkdir(parents=True, exist_ok=True)
    for path in cache_dir().glob("*.nb[ci]"):
        shutil.copy2(path, target / path.name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel built from the sources, installed into a temporary ``--target`` folder."""
    if importlib.util.find_spec("setuptools") is None:
        reason = "building the wheel needs setuptools (pip install -e '.[test]')"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the packaging tests must run on CI: {reason}")
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("installed")
    source = tmp / "src"
    _copy_sources(source)
    _pip("wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(tmp / "wheels"))
    (wheel,) = (tmp / "wheels").glob("alliance_sim-*.whl")
    _pip("install", "--no-deps", "--target", str(tmp / "site"), str(wheel))
    _share_kernel_cache(tmp / "site")
    (tmp / "away").mkdir()
    return Installed(tmp / "site", tmp / "away")


def test_the_installed_copy_reads_its_own_shipped_files(installed: Installed) -> None:
    code = (
        "import sim, sim.locations as L; print(sim.__file__); "
        "print(L.shipped_dir('scenarios')); print(L.shipped_dir('experiments')); "
        "sim.AllianceModel(); sim.simulate('baseline', rng=1, horizon=12)"
    )
    done = installed.run(code=code)
    assert done.returncode == 0, done.stderr
    module, scenarios, experiments = map(Path, done.stdout.split())
    assert module == installed.site / "sim" / "__init__.py"  # not the checkout
    assert scenarios == installed.site / "sim" / INSTALLED / "scenarios"
    for kind, folder in (("scenarios", scenarios), ("experiments", experiments)):
        shipped = sorted(p.name for p in (ROOT / kind).iterdir() if p.suffix in (".toml", ".ipynb"))
        assert sorted(p.name for p in folder.iterdir()) == shipped


def test_the_installed_command_lists_runs_and_sweeps(installed: Installed) -> None:
    listed = installed.run("scenarios")
    assert listed.returncode == 0, listed.stderr
    assert "baseline" in listed.stdout.split()
    one = installed.run("run", "baseline", "--seed", "1", "--steps", "24", "--json")
    assert one.returncode == 0, one.stderr
    assert '"survived"' in one.stdout
    (installed.away / "tiny.toml").write_text(TINY, encoding="utf-8")
    swept = installed.run("sweep", "tiny.toml", "--executor", "serial", "--no-progress")
    assert swept.returncode == 0, swept.stderr
    assert "4 done, 0 failed, 0 pending of 4" in swept.stdout + swept.stderr
    assert (installed.away / "results" / "tiny" / "manifest.json").is_file()


def test_the_installed_demo_serves_its_page(installed: Installed) -> None:
    pytest.importorskip("solara")
    from sim.app.assets import missing_assets

    if missing_assets():
        pytest.skip("Solara assets missing; run: python scripts/fetch_solara_assets.py")
    done = installed.run("demo", "--check")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("alliance-sim demo: served at http://127.0.0.1:")


def test_a_checkout_reads_the_top_level_folders() -> None:
    for kind in SHIPPED_FILES:
        assert shipped_dir(kind) == ROOT / kind


def test_a_shipped_experiment_loads_by_name() -> None:
    from sim.experiment import load_experiment
    from sim.experiment.spec import ExperimentError

    assert Path(load_experiment("quickstart").source) == ROOT / "experiments" / "quickstart.toml"
    precise = load_experiment("quickstart-precise")
    assert Path(precise.source) == ROOT / "experiments" / "quickstart-precise.toml"
    assert precise.precision is not None and precise.precision.outcome == "survived"
    calibration = load_experiment("calibrate-baseline")
    assert calibration.calibration is not None
    assert Path(calibration.source) == ROOT / "experiments" / "calibrate-baseline.toml"
    with pytest.raises(ExperimentError, match=r"nowhere: file not found \(shipped: .*quickstart"):
        load_experiment("nowhere")


def _cli(*args: str, hide: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """``alliance-sim ARGS`` in a subprocess; ``hide`` makes a module look not installed."""
    code = "import sys; from sim.cli import main; sys.exit(main(sys.argv[1:]))"
    if hide:
        code = f"import sys; sys.modules[{hide!r}] = None; {code}"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_no_scenario_found_is_an_error(tmp_path: Path) -> None:
    done = _cli("scenarios", ALLIANCE_SIM_SCENARIOS=str(tmp_path))
    assert done.returncode == 1
    assert done.stderr == f"error: no scenario files (*.toml) found in {tmp_path}\n"
    assert done.stdout == ""


def test_the_demo_without_its_extra_names_the_install() -> None:
    done = _cli("demo", "--check", hide="solara")
    assert done.returncode == 2
    assert done.stderr == (
        "error: alliance-sim demo: needs the 'demo' extra (solara is not installed): "
        "pip install 'alliance-sim[demo]'\n"
    )


def test_the_dask_executor_without_its_extra_names_the_install(tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(TINY, encoding="utf-8")
    out = tmp_path / "store"
    done = _cli(
        "sweep", str(tmp_path / "tiny.toml"), "--executor", "dask", "--out", str(out),
        hide="distributed",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "error: --executor dask: needs the 'cluster' extra (distributed is not installed): "
        "pip install 'alliance-sim[cluster]'\n"
    )
    assert not out.exists()


def test_a_missing_module_of_the_package_itself_is_not_an_extra() -> None:
    with pytest.raises(MissingExtra, match="pip install 'alliance-sim\\[demo\\]'"):
        with needs_extra("feature", "demo"):
            raise ModuleNotFoundError("No module named 'solara'", name="solara")
    with pytest.raises(ModuleNotFoundError):
        with needs_extra("feature", "demo"):
            raise ModuleNotFoundError("No module named 'sim.nothing'", name="sim.nothing")


def test_a_child_process_imports_this_copy_of_sim(tmp_path):
    from sim.locations import child_environment

    elsewhere = str(tmp_path)
    env = child_environment({"PYTHONPATH": elsewhere, "KEEP": "1"})
    assert env["PYTHONPATH"].split(os.pathsep) == [str(ROOT), elsewhere]
    assert env["KEEP"] == "1"
    done = subprocess.run(
        [sys.executable, "-c", "import sim; print(sim.__file__)"],
        cwd=tmp_path,
        env={**os.environ, **child_environment()},
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(done.stdout.strip()) == ROOT / "sim" / "__init__.py"
