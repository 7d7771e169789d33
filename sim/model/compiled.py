"""The compiled kernel, loaded from its cache or compiled once, never silently.

Numba compiles the kernel on its first use and keeps the machine code on disk
(:mod:`sim.kernel.cache`), so only the first run after an installation or a change
of the kernel's sources pays for compiling (about a minute of one core). The first
:func:`~sim.model.prepare.prepare` in a process calls :func:`ensure_kernel`, which
loads or compiles every entry point at once, so that the cost falls in one place and
one line on stderr says what is happening when it takes more than a moment.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

NOTICE_AFTER_S = 2.0
"""Seconds the kernel may take to load before the notice is printed (loading a cached
kernel takes well under one)."""
COMPILING = (
    "alliance-sim: compiling the model kernel, once per installation and change of its "
    "sources (about a minute on 2 cores)..."
)

_loaded = False


@contextmanager
def compile_notice(after: float = NOTICE_AFTER_S) -> Iterator[None]:
    """Print :data:`COMPILING` on stderr if the block still runs after ``after`` seconds,
    and then, when it ends, how long it took."""
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
            print(
                f"alliance-sim: kernel compiled in {seconds:.0f} s; later runs load it from "
                "the cache",
                file=sys.stderr,
                flush=True,
            )


def ensure_kernel() -> None:
    """Load (or compile) every compiled entry point: founding, step, run, summary.

    Once per process; a tiny alliance goes through each of them.
    """
    global _loaded
    if _loaded:
        return
    _loaded = True  # first: the prepare() below calls this function again
    from sim import kernel
    from sim.model.prepare import prepare
    from sim.model.summary import summarize
    from sim.scenario import ScenarioSpec

    with compile_notice():
        tiny = prepare(ScenarioSpec().with_parameters(members=3, horizon=2), 0)
        kernel.step(tiny.state, tiny.qualities, tiny.consts, tiny.generator)
        kernel.run(tiny.state, tiny.qualities, tiny.consts, tiny.generator)
        summarize(tiny.state, tiny.consts, tiny.seed)
