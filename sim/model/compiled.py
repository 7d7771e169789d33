"""The compiled kernel, loaded from its cache or compiled once, never silently.

Numba compiles the kernel on its first use and keeps the machine code on disk
(:mod:`sim.kernel.cache`), so only the first run after an installation or a change
of the kernel's sources pays for compiling (about a minute of one core). The first
:func:`~sim.model.prepare.prepare` in a process calls :func:`ensure_kernel`, which
loads or compiles every entry point at once, so that the cost falls in one place and
one line on stderr says what is happening when it takes more than a moment.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.scenario import ScenarioSpec

NOTICE_AFTER_S = 2.0
"""Seconds the kernel may take to load before the notice is printed (loading a cached
kernel takes well under one)."""
ELSEWHERE_AFTER_S = 1.0
"""Seconds the step may take to load before the founding is compiled in a second process."""
COMPILING = (
    "alliance-sim: loading the model kernel; compiling it, needed once per installation "
    "and change of its sources, takes about a minute on 2 cores..."
)

_loaded = False


@contextmanager
def compile_notice(
    after: float = NOTICE_AFTER_S, compiled: Callable[[], bool] = lambda: True
) -> Iterator[None]:
    """Print :data:`COMPILING` on stderr if the block still runs after ``after`` seconds,
    and then, when it ends, how long it took, and whether it compiled (``compiled()``) or
    only loaded the kernel slowly (a busy machine)."""
    started = time.perf_counter()
    said = threading.Event()

    def say() -> None:
        print(COMPILING, file=sys.stderr, flush=True)
        said.set()

    timer = threading.Timer(after, say)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()
        if said.is_set():
            seconds = time.perf_counter() - started
            done = (
                f"kernel compiled in {seconds:.0f} s; later runs load it from the cache"
                if compiled()
                else f"nothing to compile: the kernel loaded from its cache in {seconds:.0f} s"
            )
            print(f"alliance-sim: {done}", file=sys.stderr, flush=True)


def ensure_kernel() -> None:
    """Load (or compile) every compiled entry point: founding, step, run, summary.

    Once per process. The step and the run are loaded (or compiled) for their signature
    first; when that takes long enough to mean compiling and the machine has a second
    core, another process compiles the founding and the summary at the same time
    (:func:`compile_founding`), both writing the same cache. Then a tiny alliance goes
    through every entry point, all of them loaded.
    """
    global _loaded
    if _loaded:
        return
    _loaded = True  # first: the prepare() below calls this function again
    from sim import kernel
    from sim.model.prepare import prepare
    from sim.model.summary import summarize

    elsewhere = _Elsewhere()
    with compile_notice(compiled=_compiled_here):
        timer = threading.Timer(ELSEWHERE_AFTER_S, elsewhere.start)
        timer.daemon = True
        timer.start()
        try:
            signature = _step_signature()
            kernel.step.compile(signature)
            kernel.run.compile(signature)
            timer.cancel()
            elsewhere.wait()
        except BaseException:  # Ctrl-C or a failed compile: no second process left running
            _loaded = False
            timer.cancel()
            elsewhere.stop()
            raise
        finally:
            timer.join()
        tiny = prepare(_tiny(), 0)
        kernel.step(tiny.state, tiny.qualities, tiny.consts, tiny.generator)
        kernel.run(tiny.state, tiny.qualities, tiny.consts, tiny.generator)
        summarize(tiny.state, tiny.consts, tiny.seed)


def _compiled_here() -> bool:
    """Whether this process compiled (rather than loaded) an entry point of the kernel."""
    from sim import kernel
    from sim.kernel.founding import draw_founding
    from sim.kernel.outcomes import classify

    return any(f.stats.cache_misses for f in (kernel.step, kernel.run, draw_founding, classify))


def compile_founding() -> None:
    """Load (or compile) the founding and the summary only (in a second process)."""
    global _loaded
    _loaded = True
    from sim.model.prepare import prepare
    from sim.model.summary import summarize

    tiny = prepare(_tiny(), 0)
    summarize(tiny.state, tiny.consts, tiny.seed)


def _tiny() -> ScenarioSpec:
    from sim.scenario import ScenarioSpec

    return ScenarioSpec().with_parameters(members=3, horizon=2)


def _step_signature() -> tuple[Any, ...]:
    """Numba types of the step's arguments: (state, qualities, constants, generator)."""
    import numba
    import numpy as np

    from sim.kernel.founding import typed_state

    floats = np.zeros(1)
    return tuple(numba.typeof(x) for x in (typed_state(), floats, floats, np.random.default_rng(0)))


class _Elsewhere:
    """A second process compiling the founding and the summary, started by
    :meth:`start` when the machine has a second core."""

    CODE = "import sim.model.compiled as c; c.compile_founding()"
    """What the second process runs."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()
        self.cancelled = False

    def start(self) -> None:
        with self.lock:
            from sim.sweeps.executors import default_workers

            if self.cancelled or default_workers() < 2:
                return
            from sim.locations import child_environment

            self.process = subprocess.Popen(
                [sys.executable, "-c", self.CODE],
                env=child_environment(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def wait(self) -> None:
        """Wait for the process, if one started; its failure only costs time here."""
        with self.lock:
            self.cancelled = True
            process = self.process
        if process is not None:
            process.wait()

    def stop(self) -> None:
        """End the process, if one started, and wait for it (no compile left running)."""
        with self.lock:
            self.cancelled = True
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait()
