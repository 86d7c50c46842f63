"""numba's worker threads, each kept on a CPU of its own (Linux).

The kernels run one task per worker thread, and each worker takes chunks from a shared counter
(``processes.py``). On these machines Linux often woke both workers on the CPU of the thread that
woke them and moved one away only milliseconds later: at one million households a month's
programme kernel (8 ms on two threads) then ran on one CPU in about one month in four, its CPU
time equal to its wall time, and the whole benchmark lost about 6 % (engine README, Speed). With
worker ``k`` allowed only on CPU ``k`` of the process's CPUs, the two run apart from the first
microsecond. What a kernel computes does not depend on which thread or CPU runs a chunk.

Pinning suits a process that has the CPUs to itself (one large run, the explorer's engine). A
pool's worker processes share the CPUs with each other: pinned, the threads of two workers
queue on the same CPUs while another sits idle (the default scenario, 5,000 households × 36
months in two workers: 16.8-17.9 s pinned against 15.6-15.7 s not). The scenario pool's workers
therefore run unpinned (:func:`leave_unpinned`).

``SIMULATION_PIN_THREADS=0`` leaves the placement to the operating system.
"""

from __future__ import annotations

import ctypes
import os
import threading

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.core.extending import intrinsic

#: Environment variable: ``0`` (or ``false``, ``no``, ``off``) turns pinning off.
ENV = "SIMULATION_PIN_THREADS"

_pinned_in: int | None = None  # the process (pid) whose workers were pinned


@intrinsic
def _gettid(typingctx):  # noqa: ARG001 (numba's signature)
    """The calling thread's kernel thread id (glibc's ``gettid``)."""
    sig = types.int64()

    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), []),
                                            "gettid")
        return builder.sext(builder.call(fn, []), ir.IntType(64))

    return sig, codegen


@njit(parallel=True, cache=True)
def _worker_ids(out):
    """Each worker's thread id, one parallel iteration per worker (the workqueue layer gives
    each worker one equal share of the iterations)."""
    for i in prange(out.shape[0]):
        out[i] = _gettid()


def _enabled() -> bool:
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def pin_workers() -> bool:
    """Pin numba's worker thread ``k`` to the ``k``-th CPU the process may use (modulo their
    number), once per process (a forked or spawned process pins its own). Returns whether the
    workers are pinned.

    Nothing is done (False) where the operating system has no thread affinity or no ``gettid``,
    with one CPU or one worker, with ``SIMULATION_PIN_THREADS=0``, or if the workers cannot be
    told apart (another threading layer that does not give each worker one iteration).
    """
    global _pinned_in
    if _pinned_in == os.getpid():
        return True
    if not _enabled() or not hasattr(os, "sched_setaffinity"):
        return False
    try:
        ctypes.CDLL(None).gettid  # noqa: B018 (glibc >= 2.30; the kernel below calls it)
    except (AttributeError, OSError):
        return False
    cpus = sorted(os.sched_getaffinity(0))
    n_workers = numba.config.NUMBA_NUM_THREADS
    if len(cpus) < 2 or n_workers < 2:
        return False
    in_use = numba.get_num_threads()
    numba.set_num_threads(n_workers)
    try:
        tids = np.zeros(n_workers, np.int64)
        _worker_ids(tids)
    finally:
        numba.set_num_threads(in_use)
    # distinct threads of this process, none of them the caller's (the main thread stays free)
    ids = set(tids.tolist())
    tasks = {int(t) for t in os.listdir("/proc/self/task")}
    if len(ids) != n_workers or not ids <= tasks or threading.get_native_id() in ids:
        return False
    for k, tid in enumerate(tids.tolist()):
        os.sched_setaffinity(tid, {cpus[k % len(cpus)]})
    _pinned_in = os.getpid()
    return True


def leave_unpinned() -> None:
    """In this process (a pool's worker), leave numba's threads to the operating system
    (``SIMULATION_PIN_THREADS=0``): the pool's processes share the CPUs."""
    os.environ[ENV] = "0"
