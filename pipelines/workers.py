"""Runs CPU-heavy batches (extraction, cleaning, signatures) on worker processes.

Processes are forked from a fork server — a fresh, single-threaded process that has imported
the workers' modules once (`WORKER_MODULES`) — or started with `spawn` where there is none; never
forked from the caller (forking a process that runs Prefect's or boto3's threads deadlocks).
They are reused for the life of the calling process. In a worker, work runs on the main thread,
which is what lets `extract.time_limit` use SIGALRM.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

from pipelines.tempfiles import adopt_multiprocessing, alive

__all__ = ["WORKER_MODULES", "map_ordered", "prepare", "resolve_workers", "warm_up"]

A = TypeVar("A")
R = TypeVar("R")

_pools: dict[int, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()  # shards running in threads share the pool
_warm: set[int] = set()  # pools already told to import their module


def resolve_workers(workers: int) -> int:
    """0 means one worker per CPU core."""
    return workers if workers > 0 else (os.cpu_count() or 1)


def _pool(workers: int) -> ProcessPoolExecutor:
    with _pools_lock:
        if workers not in _pools:
            adopt_multiprocessing()  # the fork server's pymp-* directory, swept if we are killed
            _pools[workers] = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=_context(),
                initializer=_exit_with,
                initargs=(os.getpid(),),
            )
        return _pools[workers]


def _exit_with(parent: int) -> None:
    """In a worker: exit when the process that started the pool is gone. A run killed with
    kill -9 would otherwise leave its workers (children of the fork server, not of the run)
    waiting for work forever, holding memory and the run's output pipes."""

    def watch() -> None:
        while alive(parent):
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="contentpipe-parent-watch", daemon=True).start()


def _context() -> multiprocessing.context.BaseContext:
    # A fork server: a fresh process (started like `spawn`, so none of the caller's threads)
    # that imports the workers' modules once and forks each worker from itself, modules
    # loaded — one import instead of one per worker (~0.8 s of CPU each). Where there is
    # none (Windows), `spawn`.
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    # numpy's BLAS starts threads when imported, which a fork does not carry over: a BLAS call
    # in a worker could then wait for them forever (the workers make none; this keeps it so).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(WORKER_MODULES))
    return context


@atexit.register
def _shutdown() -> None:
    with _pools_lock:
        for pool in _pools.values():
            pool.shutdown(cancel_futures=True)
        _pools.clear()
        _warm.clear()


def map_ordered(fn: Callable[[A], R], items: Iterable[A], workers: int) -> Iterator[R]:
    """`map(fn, items)` on `workers` processes, in input order, with a bounded number of items
    in flight so memory stays flat whatever the input size. One worker runs inline."""
    if workers <= 1:
        yield from map(fn, items)
        return
    pool = _pool(workers)
    pending: deque[Future[R]] = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= workers * 2:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


# What the work of worker processes needs (`pipelines.process`, and the extractor it imports on
# first use: the parent process, which never extracts with workers, does not import it).
WORKER_MODULES = ("pipelines.process", "pipelines.extract")
# And what a worker needs that the fork server must not import, because importing it starts
# threads (pyarrow, with which a worker hands its batches back): each worker imports it itself.
_AFTER_FORK = ("pipelines.parquet",)


def warm_up(workers: int, modules: tuple[str, ...] = WORKER_MODULES + _AFTER_FORK) -> None:
    """Start the worker processes now, each importing `modules` (where their work lives),
    without waiting: their start overlaps the caller's own next steps instead of delaying its
    first batch. Once per pool: later calls return at once."""
    if workers <= 1:
        return
    with _pools_lock:
        if workers in _warm:
            return
        _warm.add(workers)
    pool = _pool(workers)

    def start() -> None:
        # A command that fails at once (a bad --out, say) shuts the pool down, or exits,
        # while this runs: then there is nothing left to warm, and nothing to report.
        with contextlib.suppress(RuntimeError):
            for _ in range(workers):
                pool.submit(_import, modules)

    # On a thread: starting a worker waits for the fork server to have imported the workers'
    # modules, which the caller's own imports can overlap.
    threading.Thread(target=start, name="contentpipe-warm-up", daemon=True).start()


def prepare(workers: int, fn: Callable[[], object]) -> None:
    """Run `fn` on the running workers now, once per worker as far as the pool spreads the
    calls, without waiting: while the caller works alone (publish learning templates, say),
    idle workers do what their next jobs would otherwise start with."""
    if workers <= 1 or workers not in _pools:
        return
    with contextlib.suppress(RuntimeError):  # shut down meanwhile: nothing left to prepare
        for _ in range(workers):
            _pools[workers].submit(fn)


def _import(modules: tuple[str, ...]) -> None:
    for module in modules:
        importlib.import_module(module)
