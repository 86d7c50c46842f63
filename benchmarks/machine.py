"""What the machine did while a benchmark ran: the hypervisor's steal time and the core clock.

The machines here are virtual CPUs on a shared host. On 2026-12-03, with one engine thread
running on an otherwise idle two-vCPU machine, ``vmstat 1`` showed 13-18 % of the machine's
time as ``st``: the host ran other work on the engine's vCPU. Such runs took 1.2-1.9 times
longer on the wall clock than in CPU time. The process's CPU time does not count stolen time;
wall time does. So a wall-time figure can change by tens of percent from one minute to the next
with no change in the code. The benchmarks print, beside their figures:

- the **steal share**: of the time the vCPUs had work during the run, how much the hypervisor
  gave to others (``/proc/stat``: steal / (busy + steal), every vCPU);
- the **core clock**: a loop of dependent integer steps of two cycles each (an add and an xor;
  the shift runs beside the add), best of 40 runs of 1 ms (a run the host interrupts is slow;
  not all 40 are). A clock that stays the same while a run gets slower means the host's load
  slowed it (a busy sibling thread on the same physical core, shared caches), not the
  frequency.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

_CLOCK_STEPS = 1_000_000  # about 1 ms: short enough that some runs are not interrupted


def _chain(n: int, x: int) -> int:
    for i in range(n):
        x = (x + i) ^ (x >> 1)  # each step waits for the last: add, then xor (2 cycles)
    return x


def core_clock_ghz() -> float:
    """The core clock in GHz, from the best of 40 runs (1 ms each) of a chain of dependent steps.

    numba is imported here, not with this module: the engine chooses numba's threading layer
    before numba is first imported (``simulation.engine``)."""
    from numba import njit

    chain = njit(_chain)
    chain(10, 1)
    best = float("inf")
    for _ in range(40):
        began = time.perf_counter()
        chain(_CLOCK_STEPS, 1)
        best = min(best, time.perf_counter() - began)
    return 2 * _CLOCK_STEPS / best / 1e9


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, steal) jiffies of every vCPU since boot (``/proc/stat``); (0, 0) where absent."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return 0, 0
    if len(fields) < 8:
        return 0, 0
    # user nice system idle iowait irq softirq steal ...; guest time is counted in user
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return user + nice + system + irq + softirq, steal


@dataclass
class Steal:
    """The hypervisor's steal over an interval: call :meth:`share` at its end."""

    jiffies: tuple[int, int]

    @classmethod
    def start(cls) -> Steal:
        """Begin measuring now."""
        return cls(_cpu_jiffies())

    def share(self) -> float:
        """Since :meth:`start`, the share of the time the vCPUs had work to run that the
        hypervisor gave to others: steal / (busy + steal), every vCPU (0-1)."""
        busy, steal = _cpu_jiffies()
        stolen = steal - self.jiffies[1]
        wanted = busy - self.jiffies[0] + stolen
        return stolen / wanted if wanted > 0 else 0.0


def machine_line(steal: float, clock: float | None = None) -> str:
    """One line for a benchmark's output: steal share, core clock and load average."""
    clock_text = f"; core clock {clock:.2f} GHz" if clock is not None else ""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"the hypervisor took {steal:.0%} of the time the {os.cpu_count()} vCPUs had work "
            f"(steal / (busy + steal), /proc/stat){clock_text}; load average {load}")
