"""Executors: serial, a process pool and Dask, behind one ``concurrent.futures``-style face.

Every executor offers ``submit(fn, *args) -> future`` and :meth:`Executor.imap_unordered`,
which keeps a bounded number of tasks in flight and yields each task's result (or the
error that kept it from running) as it completes. A task's result never depends on
the executor that ran it.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import signal
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sim.errors import InputError

EXECUTORS: tuple[str, ...] = ("serial", "processes", "dask")


class ExecutorError(RuntimeError):
    """A task could not be run (its worker died, the cluster went away)."""


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
    def _wait_any(self, futures: list[Any]) -> list[Any]:
        """Block until at least one of ``futures`` is done; return the done ones."""

    def _recover(self, error: BaseException) -> bool:
        """Make the executor usable again after ``error``; False when it cannot."""
        return False

    def capacity(self) -> int:
        """Tasks that can run at once now."""
        return self.workers

    @abstractmethod
    def shutdown(self, cancel: bool = False) -> None:
        """Release the workers."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(cancel=exc[0] is not None)

    def imap_unordered(
        self,
        fn: Callable[[Any], Any],
        items: Iterable[Any],
        max_in_flight: int | None = None,
        attempts: int = 3,
    ) -> Iterator[tuple[Any, Any, BaseException | None]]:
        """Run ``fn(item)`` for every item; yield ``(item, result, error)`` as they finish.

        At most ``max_in_flight`` tasks (default twice the workers) are pending at once,
        so memory stays bounded. A task lost with its worker is sent again, up to
        ``attempts`` times; then it is yielded with an :class:`ExecutorError`.
        """
        source = iter(items)
        pending: dict[Any, tuple[Any, int]] = {}
        retry: list[tuple[Any, int]] = []
        exhausted = False
        while True:
            limit = max_in_flight or 2 * self.capacity()
            while len(pending) < limit and (retry or not exhausted):
                if retry:
                    item, tries = retry.pop()
                else:
                    try:
                        item, tries = next(source), 0
                    except StopIteration:
                        exhausted = True
                        break
                pending[self.submit(fn, item)] = (item, tries)
            if not pending:
                return
            for future in self._wait_any(list(pending)):
                item, tries = pending.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool as error:
                    lost = [(item, tries), *pending.values()]
                    pending.clear()
                    if not self._recover(error):
                        raise ExecutorError(f"worker pool failed: {error}") from error
                    for lost_item, lost_tries in lost:
                        if lost_tries + 1 < attempts:
                            retry.append((lost_item, lost_tries + 1))
                        else:
                            yield lost_item, None, ExecutorError("its worker process died")
                    break
                except Exception as error:
                    yield item, None, error
                else:
                    yield item, result, None


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the sweep process, which stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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

    def _wait_any(self, futures: list[Any]) -> list[Any]:
        return futures

    def shutdown(self, cancel: bool = False) -> None:
        """Nothing to release."""

    def imap_unordered(
        self,
        fn: Callable[[Any], Any],
        items: Iterable[Any],
        max_in_flight: int | None = None,
        attempts: int = 3,
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
    """A pool of worker processes (forkserver start) on this machine."""

    name = "processes"

    def __init__(self, workers: int | None = None, preload: Iterable[str] = ()) -> None:
        super().__init__(workers)
        self.preload = list(preload)
        self._pool = self._start()

    def _start(self) -> cf.ProcessPoolExecutor:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if self.preload and context.get_start_method() == "forkserver":
            context.set_forkserver_preload(self.preload)
        return cf.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_ignore_interrupts
        )

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> cf.Future:
        """Send ``fn(*args)`` to a worker."""
        return self._pool.submit(fn, *args)

    def _wait_any(self, futures: list[Any]) -> list[Any]:
        done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def _recover(self, error: BaseException) -> bool:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._start()
        return True

    def shutdown(self, cancel: bool = False) -> None:
        """Stop the workers (cancelling queued tasks when ``cancel``)."""
        self._pool.shutdown(wait=True, cancel_futures=cancel)


class DaskExecutor(Executor):
    """A Dask cluster: the scheduler at ``scheduler``, or a local cluster on 127.0.0.1.

    Tasks lost with a worker are recomputed by Dask on another worker.
    """

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        from distributed import Client, LocalCluster

        super().__init__(workers)
        self.cluster = None
        self._fixed = workers is not None
        self._checked = 0.0
        if scheduler:
            self.client = Client(scheduler, set_as_default=False)
            if not self._fixed:
                self.workers = self._cluster_threads()
        else:
            self.cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster, set_as_default=False)

    def _cluster_threads(self) -> int:
        try:
            info = self.client.scheduler_info(n_workers=-1)
        except TypeError:  # older distributed: no n_workers keyword
            info = self.client.scheduler_info()
        return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def capacity(self) -> int:
        """Threads of the cluster's workers now (an adaptive cluster grows and shrinks)."""
        if not self._fixed and time.monotonic() - self._checked > 2.0:
            self._checked = time.monotonic()
            self.workers = self._cluster_threads()
        return self.workers

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        """Send ``fn(*args)`` to the cluster."""
        return self.client.submit(fn, *args, pure=False)

    def _wait_any(self, futures: list[Any]) -> list[Any]:
        from distributed import wait

        with self.client.as_current():
            done, _ = wait(futures, return_when="FIRST_COMPLETED")
        return list(done)

    def shutdown(self, cancel: bool = False) -> None:
        """Close the client (and the local cluster, if this executor started one)."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


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


def check_options(executor: str, workers: int | None, scheduler: str | None) -> None:
    """Check a sweep's executor, workers and scheduler before anything is written."""
    check_executor(executor)
    if workers is not None and (isinstance(workers, bool) or not 1 <= int(workers) <= 100_000):
        raise InputError("--workers", None, f"expected a positive number, got {workers!r}")
    if scheduler and executor != "dask":
        raise InputError("--scheduler", None, "applies to --executor dask only")
    if scheduler:
        problem = scheduler_problem(scheduler)
        if problem:
            raise InputError("--scheduler", None, problem)


def make_executor(
    name: str,
    workers: int | None = None,
    scheduler: str | None = None,
    preload: Iterable[str] = (),
) -> Executor:
    """An executor by name: ``serial``, ``processes`` or ``dask``."""
    check_executor(name)
    if name == "serial":
        return SerialExecutor()
    if name == "processes":
        return ProcessExecutor(workers, preload=preload)
    return DaskExecutor(workers, scheduler=scheduler)
