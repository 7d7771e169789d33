"""What a worker process of the pool does besides running runs.

- It leaves Ctrl-C to the sweep process, which stops it.
- A watchdog thread ends it within :data:`WATCH_SECONDS` of the sweep process's death
  (SIGKILL included), so that no worker outlives its sweep.
- It writes the id of the run it is running into a marker file named by its pid, and
  clears the marker when it is stopped with SIGTERM: a worker that dies with a marker
  was killed by that run, which the sweep then stores as failed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from sim.store.lock import pid_exists

RERUN_EXIT = 86
"""Exit code of a worker that stopped because the main script, which multiprocessing runs
again as the worker starts, called ``sweep()`` or ``calibrate()`` (no main guard)."""


def refuse_in_rerun_main(what: str) -> None:
    """End a starting worker with :data:`RERUN_EXIT` (saying why on stderr) when ``what``
    is called from the module-level code of the main script that multiprocessing runs
    again as the worker starts (a script without ``if __name__ == "__main__":``), before
    it touches any store. Anywhere else, including a function of a guarded script run in
    a worker, nothing happens."""
    if not getattr(multiprocessing.current_process(), "_inheriting", False):
        return  # not a process being started by multiprocessing
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == "__mp_main__" and frame.f_code.co_name == "<module>":
            print(
                f"alliance-sim: {what}() was called again in a starting worker process, which "
                f"runs the main script again: put the script's {what}() call under if "
                f'__name__ == "__main__":',
                file=sys.stderr,
                flush=True,
            )
            os._exit(RERUN_EXIT)
        frame = frame.f_back


WATCH_SECONDS = 1.0
"""How often a worker checks that its sweep process is alive."""

_marker: int | None = None


def start_time(pid: int) -> str | None:
    """The start time of process ``pid`` (Linux), None when it is gone or a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return "unknown"
    fields = text.rpartition(")")[2].split()
    return None if fields[0] in ("Z", "X") else fields[19]


def alive(pid: int, started: str | None) -> bool:
    """Whether process ``pid``, started at ``started``, still runs."""
    if not Path("/proc").is_dir():  # pragma: no cover - not Linux
        return pid_exists(pid)
    now = start_time(pid)
    return now is not None and now == started


def _watch(pid: int, started: str | None) -> None:
    while alive(pid, started):
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def _stopped(signum: int, frame: Any) -> None:
    clear()
    os._exit(128 + signum)


def init_worker(parent: int, parent_started: str | None, markers: str | None) -> None:
    """Set up a pool worker (the pool's ``initializer``)."""
    global _marker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stopped)
    if markers is not None:
        _marker = os.open(Path(markers) / str(os.getpid()), os.O_WRONLY | os.O_CREAT, 0o644)
    threading.Thread(target=_watch, args=(parent, parent_started), daemon=True).start()


def mark(run_id: str) -> None:
    """Record that this worker runs ``run_id`` (nothing outside a pool worker)."""
    if _marker is not None:
        os.ftruncate(_marker, 0)
        os.pwrite(_marker, run_id.encode(), 0)


def clear() -> None:
    """Record that this worker runs nothing."""
    if _marker is not None:
        with contextlib.suppress(OSError):
            os.ftruncate(_marker, 0)
