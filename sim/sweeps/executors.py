"""Executors: serial, a process pool and Dask, behind one ``concurrent.futures``-style face.

Every executor offers ``submit(fn, *args) -> future`` and :meth:`Executor.imap_unordered`,
which keeps a bounded number of tasks in flight and yields each task's result (or the
error that kept it from running) as it completes. A task's result never depends on
the executor that ran it.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import math
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import socket
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from sim.errors import InputError, needs_extra
from sim.sweeps.worker import RERUN_EXIT, init_worker, start_time

EXECUTORS: tuple[str, ...] = ("serial", "processes", "dask")


class ExecutorError(RuntimeError):
    """A task could not be run (its worker died, the cluster went away)."""


class WorkerLost(ExecutorError):
    """A task lost with its worker process.

    Attributes:
        culprits: run id -> how its process died (``signal 9``, ``exit code 3``), for the
            runs found running in a worker that died on its own; empty when unknown.
    """

    def __init__(self, culprits: dict[str, str], message: str) -> None:
        super().__init__(message)
        self.culprits = culprits


class WorkersCannotStart(ExecutorError):
    """The worker processes end as they start: the main script they run again calls
    ``sweep()`` or ``calibrate()`` (it has no main guard)."""


log = logging.getLogger("sim.sweeps")

TICK_SECONDS = 1.0
"""Longest wait for a task before :meth:`Executor.imap_unordered` yields a tick."""
NO_WORKER_SECONDS = 300.0
"""How long a Dask sweep waits while its cluster has no worker before it stops."""
CLOSE_RETRY_SECONDS = 1.0
"""Wait before closing a local Dask cluster again when a worker was still restarting."""
CLOSE_SECONDS = 10.0
"""Longest wait for a local Dask cluster to close before its worker processes are killed."""


def died(code: int) -> str:
    """How a process ended, from its exit code (negative: the signal that killed it)."""
    return f"signal {-code}" if code < 0 else f"exit code {code}"


def default_workers() -> int:
    """Usable cores of this machine."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class Executor(ABC):
    """Runs tasks; use as a context manager."""

    name = "executor"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()

    @abstractmethod
    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        """Start ``fn(*args)``; returns a future."""

    @abstractmethod
    def _wait_any(self, futures: list[Any], timeout: float) -> list[Any]:
        """The done ones of ``futures``, waiting up to ``timeout`` s for one (may be none)."""

    def _recover(self, error: BaseException) -> dict[str, str]:
        """Make the executor usable after its workers broke; the culprits (run id -> death)."""
        raise ExecutorError(f"worker pool failed: {error}") from error

    def _lost(self, error: BaseException) -> WorkerLost | None:
        """``error`` as a :class:`WorkerLost` when it means the task's worker died."""
        return None

    def capacity(self) -> int:
        """Tasks that can run at once now."""
        return self.workers

    @abstractmethod
    def shutdown(self, cancel: bool = False) -> None:
        """Release the workers (stopping them at once when ``cancel``)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(cancel=exc[0] is not None)

    def imap_unordered(
        self,
        fn: Callable[[Any], Any],
        items: Iterable[Any],
        max_in_flight: int | None = None,
        tick: bool = False,
    ) -> Iterator[tuple[Any, Any, BaseException | None]]:
        """Run ``fn(item)`` for every item; yield ``(item, result, error)`` as they finish.

        At most ``max_in_flight`` tasks (default twice the workers) are pending at once,
        so memory stays bounded. Tasks lost with a worker are yielded with a
        :class:`WorkerLost` error (the caller decides what to run again). With ``tick``,
        ``(None, None, None)`` is yielded after each :data:`TICK_SECONDS` without a result.
        """
        source = iter(items)
        pending: dict[Any, Any] = {}
        exhausted = False
        while True:
            limit = max_in_flight or 2 * self.capacity()
            while len(pending) < limit and not exhausted:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                try:
                    pending[self.submit(fn, item)] = item
                except BrokenProcessPool as error:  # a worker died since the last wait
                    lost = [*pending.values(), item]
                    pending.clear()
                    yield from self._broken(error, lost)
            if not pending:
                return
            done = self._wait_any(list(pending), TICK_SECONDS)
            if not done and tick:
                yield None, None, None
            for future in done:
                item = pending.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool as error:
                    lost = [item, *pending.values()]
                    pending.clear()
                    yield from self._broken(error, lost)
                    break
                except Exception as error:
                    yield item, None, self._lost(error) or error
                else:
                    yield item, result, None

    def _broken(
        self, error: BaseException, lost: list[Any]
    ) -> Iterator[tuple[Any, Any, BaseException | None]]:
        """Recover from a broken pool; the items it lost, each with a :class:`WorkerLost`."""
        culprits = self._recover(error)
        for item in lost:
            yield item, None, WorkerLost(culprits, "its worker process died")


class _DoneFuture(cf.Future):
    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        super().__init__()
        try:
            self.set_result(fn(*args))
        except Exception as error:
            self.set_exception(error)


class SerialExecutor(Executor):
    """Runs each task in this process when submitted."""

    name = "serial"

    def __init__(self, workers: int | None = None) -> None:
        super().__init__(1)

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> cf.Future:
        """Run ``fn(*args)`` now; returns a finished future."""
        return _DoneFuture(fn, args)

    def _wait_any(self, futures: list[Any], timeout: float) -> list[Any]:
        return futures

    def shutdown(self, cancel: bool = False) -> None:
        """Nothing to release."""

    def imap_unordered(
        self,
        fn: Callable[[Any], Any],
        items: Iterable[Any],
        max_in_flight: int | None = None,
        tick: bool = False,
    ) -> Iterator[tuple[Any, Any, BaseException | None]]:
        """Run the items one after the other, in order."""
        for item in items:
            try:
                result = fn(item)
            except Exception as error:
                yield item, None, error
            else:
                yield item, result, None


class ProcessExecutor(Executor):
    """A pool of worker processes (forkserver start) on this machine.

    Its workers end on their own within seconds of this process's death (see
    :mod:`sim.sweeps.worker`); a run that kills its worker is named by its marker.
    """

    name = "processes"

    def __init__(self, workers: int | None = None, preload: Iterable[str] = ()) -> None:
        super().__init__(workers)
        self.preload = list(preload)
        self.markers = tempfile.mkdtemp(prefix="alliance-sim-workers-")
        self._known: dict[int, Any] = {}
        self._pool = self._start()

    def _start(self) -> cf.ProcessPoolExecutor:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if self.preload and context.get_start_method() == "forkserver":
            context.set_forkserver_preload(self.preload)
        me = os.getpid()
        return cf.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=init_worker,
            initargs=(me, start_time(me), self.markers),
        )

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> cf.Future:
        """Send ``fn(*args)`` to a worker."""
        future = self._pool.submit(fn, *args)
        self._known.update(self._processes())
        return future

    def _processes(self) -> dict[int, Any]:
        """The pool's worker processes by pid (the pool keeps them in a private field)."""
        return dict(getattr(self._pool, "_processes", None) or {})

    def _wait_any(self, futures: list[Any], timeout: float) -> list[Any]:
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def _recover(self, error: BaseException) -> dict[str, str]:
        self._pool.shutdown(wait=True, cancel_futures=True)
        culprits = {}
        rerun = False  # a worker ended by the main script's second sweep() (no guard)
        for pid, process in self._known.items():
            marker = Path(self.markers) / str(pid)
            run_id = marker.read_text() if marker.is_file() else ""
            process.join(5)
            if run_id and process.exitcode is not None:
                culprits[run_id] = died(process.exitcode)
            # a worker past its initializer has a marker: its exit 86 is a run's own
            rerun = rerun or (process.exitcode == RERUN_EXIT and not marker.exists())
            marker.unlink(missing_ok=True)
        if rerun:
            raise WorkersCannotStart(
                "the worker processes cannot start: each runs the main script again, and "
                "it calls sweep() or calibrate() again; put that call under "
                'if __name__ == "__main__":'
            )
        self._known = {}
        self._pool = self._start()
        return culprits

    def shutdown(self, cancel: bool = False) -> None:
        """Stop the workers: when ``cancel``, at once (their running tasks are lost)."""
        if cancel:
            processes = list(self._processes().values())
            for process in processes:
                process.terminate()
            gone = _wait_gone(processes)
            # A worker stopped while it wrote a result leaves the pool's reader waiting for
            # the rest of the message; with every worker gone, closing the pool's own end
            # of the result pipe ends that wait (the pool then sees its workers gone).
            writer = getattr(getattr(self._pool, "_result_queue", None), "_writer", None)
            if writer is not None and gone:
                writer.close()
        self._pool.shutdown(wait=True, cancel_futures=cancel)
        shutil.rmtree(self.markers, ignore_errors=True)
        _stop_forkserver()


def _wait_gone(processes: list[Any], seconds: float = 10.0) -> bool:
    """Wait until ``processes`` have ended, killing those left after ``seconds``; whether
    all ended.

    Waits on their sentinels, not with ``join``, which the pool's own thread may be
    doing at the same time.
    """
    sentinels = [p.sentinel for p in processes]
    deadline = time.monotonic() + seconds
    while sentinels and time.monotonic() < deadline:
        ready = multiprocessing.connection.wait(sentinels, deadline - time.monotonic())
        sentinels = [s for s in sentinels if s not in ready]
    for process in processes:
        if process.sentinel in sentinels:
            process.kill()
    if sentinels:
        ready = multiprocessing.connection.wait(sentinels, seconds)
        sentinels = [s for s in sentinels if s not in ready]
    return not sentinels


def _stop_forkserver() -> None:
    """Stop this process's forkserver, so that the next pool starts one with its own
    preloads and environment, and none outlives the sweep (a private call of
    ``multiprocessing.forkserver``; skipped where it does not exist)."""
    from multiprocessing import forkserver

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if stop is not None:
        stop()


class DaskExecutor(Executor):
    """A Dask cluster: the scheduler at ``scheduler``, or a local cluster on 127.0.0.1.

    Tasks lost with a worker are recomputed by Dask on another worker; a task whose
    workers died twice (the local cluster's limit) comes back as :class:`WorkerLost`.
    With no worker for ``worker_timeout`` seconds the executor raises
    :class:`ExecutorError`.
    """

    name = "dask"

    def __init__(
        self,
        workers: int | None = None,
        scheduler: str | None = None,
        worker_timeout: float = NO_WORKER_SECONDS,
    ) -> None:
        import dask
        from distributed import Client, LocalCluster

        super().__init__(workers)
        self.cluster = None
        self.worker_timeout = worker_timeout
        self._fixed = workers is not None
        self._checked = 0.0
        self._alone_since: float | None = None
        if scheduler:
            self.client = Client(scheduler, set_as_default=False)
            if not self._fixed:
                self.workers = max(1, self._cluster_threads())
            return
        with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
            self.cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.CRITICAL,
            )
        self.client = Client(self.cluster, set_as_default=False)

    def _cluster_threads(self) -> int:
        try:
            info = self.client.scheduler_info(n_workers=-1)
        except TypeError:  # older distributed: no n_workers keyword
            info = self.client.scheduler_info()
        return sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())

    def capacity(self) -> int:
        """Threads of the cluster's workers now (an adaptive cluster grows and shrinks)."""
        if not self._fixed and time.monotonic() - self._checked > 2.0:
            self._checked = time.monotonic()
            self.workers = max(1, self._cluster_threads())
        return self.workers

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        """Send ``fn(*args)`` to the cluster."""
        return self.client.submit(fn, *args, pure=False)

    def _wait_any(self, futures: list[Any], timeout: float) -> list[Any]:
        from distributed import wait

        try:
            with self.client.as_current():
                done, _ = wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            self._check_workers()
            return []
        return list(done)

    def _check_workers(self) -> None:
        """Raise :class:`ExecutorError` once the cluster has had no worker for too long."""
        if self._cluster_threads() > 0:
            self._alone_since = None
            return
        now = time.monotonic()
        self._alone_since = self._alone_since or now
        if now - self._alone_since >= self.worker_timeout:
            raise ExecutorError(
                f"no Dask worker for {self.worker_timeout:g} s; stopped "
                "(run the same command again when the cluster has workers)"
            )

    def _lost(self, error: BaseException) -> WorkerLost | None:
        if type(error).__name__ == "KilledWorker":
            return WorkerLost({}, "its Dask worker died twice")
        return None

    def shutdown(self, cancel: bool = False) -> None:
        """Close the client (and the local cluster, if this executor started one).

        A worker that a crashing run killed may still be restarting as the cluster
        closes; distributed then asserts that it "can only join a started process", or
        waits for that worker for ever. The runs are all in by then, so the close waits
        a moment and is tried again, each time for at most ``CLOSE_SECONDS``; if it
        still fails, the cluster's event loop is stopped and its worker processes killed.
        """
        self.client.close()
        if self.cluster is None:
            return
        for _ in range(2):
            try:
                self.cluster.close(timeout=CLOSE_SECONDS)
                return
            except AssertionError:
                time.sleep(CLOSE_RETRY_SECONDS)
            except Exception as error:  # a timeout, or the cluster broke as it closed
                log.warning("the local Dask cluster did not close (%s); killing its workers", error)
                break
        self._kill_workers()

    def worker_pids(self) -> list[int]:
        """Process ids of the local cluster's worker processes now (none for a scheduler)."""
        pids = []
        for nanny in getattr(self.cluster, "workers", {}).values():
            process = getattr(getattr(nanny, "process", None), "process", None)
            pid = getattr(process, "pid", None)
            if pid:
                pids.append(int(pid))
        return pids

    def _kill_workers(self) -> None:
        """Stop the local cluster's event loop (its nannies restart no worker then), and
        kill its worker processes: those it had, and any a nanny started meanwhile."""
        pids = set(self.worker_pids())
        with contextlib.suppress(Exception):
            self.cluster._loop_runner.stop()  # type: ignore[union-attr]
        for pid in pids | set(self.worker_pids()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def scheduler_problem(address: str, timeout: float = 5.0) -> str | None:
    """Why the Dask scheduler at ``address`` (``tcp://HOST:PORT``) cannot be reached, or None."""
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls") or not parts.hostname:
        return f"expected tcp://HOST:PORT, got {address!r}"
    try:
        port = parts.port or 8786
    except ValueError:
        return f"bad port in {address!r}"
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return None
    except OSError as err:
        return f"cannot reach {parts.hostname}:{port} ({err.strerror or err})"


def check_executor(name: str) -> None:
    """Raise :class:`~sim.errors.InputError` naming ``--executor`` for an unknown executor."""
    if name not in EXECUTORS:
        raise InputError(
            "--executor", None, f"unknown executor {name!r} (one of {', '.join(EXECUTORS)})"
        )


def check_options(
    executor: str,
    workers: int | None,
    scheduler: str | None,
    worker_timeout: float = NO_WORKER_SECONDS,
) -> None:
    """Check a sweep's executor, workers, scheduler and worker timeout before anything is
    written."""
    check_executor(executor)
    if workers is not None and (isinstance(workers, bool) or not 1 <= int(workers) <= 100_000):
        raise InputError("--workers", None, f"expected a positive number, got {workers!r}")
    if not (math.isfinite(worker_timeout) and worker_timeout > 0):
        raise InputError(
            "--worker-timeout",
            None,
            f"expected a positive number of seconds, got {worker_timeout:g}",
        )
    if scheduler and executor != "dask":
        raise InputError("--scheduler", None, "applies to --executor dask only")
    if executor == "dask":
        with needs_extra("--executor dask", "cluster"):
            import dask  # noqa: F401
            import distributed  # noqa: F401
    if scheduler:
        problem = scheduler_problem(scheduler)
        if problem:
            raise InputError("--scheduler", None, problem)


def make_executor(
    name: str,
    workers: int | None = None,
    scheduler: str | None = None,
    preload: Iterable[str] = (),
    worker_timeout: float = NO_WORKER_SECONDS,
) -> Executor:
    """An executor by name: ``serial``, ``processes`` or ``dask``."""
    check_executor(name)
    if name == "serial":
        return SerialExecutor()
    if name == "processes":
        return ProcessExecutor(workers, preload=preload)
    return DaskExecutor(workers, scheduler=scheduler, worker_timeout=worker_timeout)
