"""Stopping a sweep cleanly on SIGTERM and SIGHUP (what batch systems send at the time limit).

Inside :func:`stop_on_signals` either signal is noted, and the sweep's loop raises
:class:`Stopped` at its next safe point (:func:`check_stop`, within a second or a
chunk), so the sweep stops its workers, writes the runs that finished and releases its
store; the command line then exits with ``128 + N`` (143 for SIGTERM, 129 for SIGHUP).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):
    """The sweep was asked to stop by a signal (like ``KeyboardInterrupt`` for SIGINT)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        """The shell's code for a process ended by the signal: ``128 + N``."""
        return 128 + self.signum


_requested: list[int] = []


def _stop(signum: int, frame: Any) -> None:
    for number in SIGNALS:  # a second signal must not interrupt the clean-up
        signal.signal(number, signal.SIG_IGN)
    _requested.append(signum)


def check_stop() -> None:
    """Raise :class:`Stopped` when a stop signal arrived."""
    if _requested:
        raise Stopped(_requested[0])


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP ask :func:`check_stop` to stop (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _requested.clear()
    previous = {number: signal.signal(number, _stop) for number in SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _requested.clear()
