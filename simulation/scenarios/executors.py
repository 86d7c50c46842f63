"""Pluggable executors for replications, sweeps and shards: serial, local processes, Dask.

The same task function runs on any of them and results come back in task order, so a sweep gives
the same numbers serially, on local processes or on a Dask cluster (the engine's draws are keyed
by seed, household and month, not by worker). Local processes are the default; Dask starts a
``LocalCluster`` unless given the address of an existing scheduler (``tcp://host:8786``).
A tqdm progress bar on stderr shows long runs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any, Protocol

from tqdm.auto import tqdm

KINDS = ("serial", "process", "dask")


class Executor(Protocol):
    """Runs ``fn(task)`` for every task; returns results in task order."""

    name: str

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], *, progress: bool = False,
            desc: str = "runs") -> list[Any]:
        """Results of ``fn`` over ``tasks`` in task order."""
        ...

    def close(self) -> None:
        """Release workers."""
        ...


def _bar(total: int, progress: bool, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, unit="run", disable=not progress, leave=False)


class SerialExecutor:
    """Runs tasks one after the other in this process (debugging, tiny runs)."""

    name = "serial"

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], *, progress: bool = False,
            desc: str = "runs") -> list[Any]:
        """Results of ``fn`` over ``tasks`` in task order."""
        out = []
        with _bar(len(tasks), progress, desc) as bar:
            for task in tasks:
                out.append(fn(task))
                bar.update(1)
        return out

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProcessExecutor:
    """Local worker processes (``concurrent.futures.ProcessPoolExecutor``); the default.

    ``start_method`` is a multiprocessing start method; ``forkserver`` (default) is safe when the
    parent already runs numba or Dask threads.
    """

    name = "process"

    def __init__(self, workers: int | None = None, start_method: str = "forkserver") -> None:
        self.workers = workers or min(os.cpu_count() or 1, 4)
        self.start_method = start_method
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], *, progress: bool = False,
            desc: str = "runs") -> list[Any]:
        """Results of ``fn`` over ``tasks`` in task order; the first task error is re-raised."""
        if len(tasks) <= 1 or self.workers == 1:
            return SerialExecutor().map(fn, tasks, progress=progress, desc=desc)
        if self._pool is None:
            # forkserver, not fork: forking a process whose numba or Dask threads are running can
            # leave a worker deadlocked or dead (BrokenProcessPool). The server preloads the
            # runner (numpy, numba kernels from the cache) once, single-threaded, and each worker
            # forks from it.
            ctx = multiprocessing.get_context(self.start_method)
            if self.start_method == "forkserver":
                ctx.set_forkserver_preload(["simulation.scenarios.runner"])
            # the workers share the CPUs: their numba threads are not pinned (imported here, not
            # at the top: this module stays free of the engine until a pool runs it)
            from simulation.engine.threads import leave_unpinned

            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                             initializer=leave_unpinned)
        futures: dict[Future[Any], int] = {self._pool.submit(fn, t): i for i, t in enumerate(tasks)}
        out: list[Any] = [None] * len(tasks)
        try:
            with _bar(len(tasks), progress, desc) as bar:
                for fut in as_completed(futures):
                    out[futures[fut]] = fut.result()
                    bar.update(1)
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
        return out

    def close(self) -> None:
        """Shut the pool down."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskExecutor:
    """Dask distributed: a LocalCluster by default, or an existing cluster at ``address``.

    Args:
        address: scheduler address (e.g. ``tcp://10.0.0.5:8786``); None starts a LocalCluster.
        workers: LocalCluster worker processes (one thread each, since the engine uses numba).
    """

    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        from dask.distributed import Client, LocalCluster

        self._cluster = None
        if address:
            self._client = Client(address)
        else:
            self._cluster = LocalCluster(
                n_workers=workers or min(os.cpu_count() or 1, 4),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self._client = Client(self._cluster)
            # the local workers share the CPUs: their numba threads are not pinned
            from simulation.engine.threads import leave_unpinned

            self._client.run(leave_unpinned)

    @property
    def client(self) -> Any:
        """The dask.distributed Client."""
        return self._client

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], *, progress: bool = False,
            desc: str = "runs") -> list[Any]:
        """Results of ``fn`` over ``tasks`` in task order; the first task error is re-raised."""
        from dask.distributed import as_completed as dask_completed

        futures = self._client.map(fn, list(tasks), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        out: list[Any] = [None] * len(futures)
        try:
            with _bar(len(futures), progress, desc) as bar:
                for fut in dask_completed(futures):
                    out[index[fut.key]] = fut.result()
                    bar.update(1)
        except BaseException:
            self._client.cancel(futures)
            raise
        return out

    def close(self) -> None:
        """Close the client and the LocalCluster it started (an external cluster is left running)."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_executor(kind: str = "process", workers: int | None = None,
                  address: str | None = None) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """An executor by name: ``serial``, ``process`` (default) or ``dask``."""
    if kind == "serial":
        return SerialExecutor()
    if kind == "process":
        return ProcessExecutor(workers)
    if kind == "dask":
        return DaskExecutor(address=address, workers=workers)
    raise ValueError(f"unknown executor {kind!r}; choose one of {', '.join(KINDS)}")


def kernels_cached() -> bool:
    """Whether the engine's numba kernels of this source are in their on-disk cache (beside the
    package, so a fresh install finds them after its first run)."""
    from pathlib import Path

    from simulation.engine._cache import CACHE_DIR

    return any(Path(CACHE_DIR).rglob("*.nbi"))


def warm_kernels(locality: str, start: str, progress: bool = True) -> bool:
    """Compile the engine's kernels once, here, before workers start (each worker would compile
    them again, for minutes); a tiny run of ``locality`` covers every monthly process. Returns
    whether a compile ran (False when the cache already held them)."""
    if kernels_cached():
        return False
    from simulation.engine import run
    from simulation.policy import load_policy
    from simulation.population import generate, load_profile
    from simulation.reporting.progress import clock
    from simulation.scenarios.scenario import policy_of

    with clock("compiling the simulation kernels, once (cached for later runs)", progress):
        pop = generate(load_profile(locality), n_households=200, seed=1)
        run(pop, load_policy(policy_of(locality)), start=start, months=13, seed=1)
    return True
