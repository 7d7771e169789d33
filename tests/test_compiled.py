"""Loading the compiled kernel: a slow first load says so on stderr, a cached one is silent."""

from __future__ import annotations

import time

import pytest

from sim.model.compiled import COMPILING, compile_notice


def test_a_slow_load_says_it_is_compiling_and_how_long_it_took(capsys: pytest.CaptureFixture[str]):
    with compile_notice(after=0.01):
        time.sleep(0.3)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == COMPILING
    assert lines[1].startswith("alliance-sim: kernel compiled in ")
    assert len(lines) == 2


def test_a_quick_load_is_silent(capsys: pytest.CaptureFixture[str]):
    with compile_notice(after=5.0):
        pass
    assert capsys.readouterr().err == ""


def test_the_first_run_of_a_process_loads_every_entry_point():
    import subprocess
    import sys

    code = (
        "import sim.model.compiled as c, sim.kernel as k\n"
        "from sim.model.simulation import simulate\n"
        "simulate('baseline', rng=1, horizon=3)\n"
        "from sim.kernel.outcomes import classify\n"
        "assert c._loaded\n"
        "assert k.step.signatures and k.run.signatures and classify.signatures\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_typed_state_has_a_founded_states_numba_type():
    import numba

    from sim.kernel.founding import typed_state
    from sim.model.prepare import prepare
    from sim.scenario import ScenarioSpec

    founded = prepare(ScenarioSpec().with_parameters(members=5, horizon=3), 1).state
    assert numba.typeof(typed_state()) == numba.typeof(founded)


def test_no_second_process_once_the_step_has_loaded():
    from sim.model.compiled import _Elsewhere

    elsewhere = _Elsewhere()
    elsewhere.wait()  # the step loaded before the timer fired
    elsewhere.start()
    assert elsewhere.process is None


def test_an_interrupted_compile_leaves_no_second_process(monkeypatch: pytest.MonkeyPatch):
    import sim.model.compiled as compiled

    started: list[compiled._Elsewhere] = []
    original_start = compiled._Elsewhere.start

    def start(self: compiled._Elsewhere) -> None:
        original_start(self)
        started.append(self)

    def interrupted_compile() -> None:
        deadline = time.monotonic() + 30
        while not started and time.monotonic() < deadline:
            time.sleep(0.01)
        raise KeyboardInterrupt

    monkeypatch.setattr(compiled, "_loaded", False)
    monkeypatch.setattr(compiled, "ELSEWHERE_AFTER_S", 0.0)
    monkeypatch.setattr(compiled, "NOTICE_AFTER_S", 60.0)
    monkeypatch.setattr(compiled._Elsewhere, "CODE", "import time; time.sleep(60)")
    monkeypatch.setattr(compiled._Elsewhere, "start", start)
    monkeypatch.setattr("sim.sweeps.executors.default_workers", lambda: 2)
    monkeypatch.setattr(compiled, "_step_signature", interrupted_compile)
    with pytest.raises(KeyboardInterrupt):
        compiled.ensure_kernel()
    process = started[0].process
    assert process is not None and process.poll() is not None
    assert not compiled._loaded  # the next call tries again


def test_a_kernel_cache_that_cannot_be_a_folder_is_one_line_and_exit_2(tmp_path):
    import os
    import subprocess
    import sys

    from sim.kernel.cache import CACHE_ENV

    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    env = {**os.environ, CACHE_ENV: str(not_a_folder)}
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", "baseline", "--set", "horizon=3"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"error: {CACHE_ENV}: {not_a_folder}: not a folder that can be written"
    ]


def test_a_slow_load_that_compiled_nothing_says_so(capsys: pytest.CaptureFixture[str]):
    with compile_notice(after=0.01, compiled=lambda: False):
        time.sleep(0.3)
    lines = capsys.readouterr().err.splitlines()
    assert lines[1].startswith("alliance-sim: nothing to compile: the kernel loaded from its cache")


def test_a_process_that_loaded_the_kernel_compiled_nothing():
    import subprocess
    import sys

    code = (
        "from sim.model.compiled import _compiled_here, ensure_kernel\n"
        "ensure_kernel()\n"
        "print(_compiled_here())\n"
    )
    run = [sys.executable, "-c", code]
    subprocess.run(run, capture_output=True, check=True)  # compiles once if the cache is cold
    done = subprocess.run(run, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
