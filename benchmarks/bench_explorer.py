"""Time the explorer's redraw: what one control change costs with 100,000 households × 36 months.

Drives the real widget (``ExplorerWidget``, no browser): each step sets a control as a user
would and waits for the redraw that the widget's timer starts: after ``READY_DEBOUNCE_SECONDS``
for a setting whose engine runs are in the cache, after ``DEBOUNCE_SECONDS`` of stillness for one
that needs runs (the widget starts them at the change, ``Explorer.begin``, so they go on during
the debounce). It prints the time from the change to the redraw's end (what the user waits) and
the redraw's own time after the debounce. Between steps the user looks at
the charts while the widget prefetches (engine runs and their charts): the neighbouring positions
of the slider moved last, the review dropdown's other choices, then two to four steps either way
on that slider and one step of the standard and gradual-exit sliders (``ExplorerWidget.further``;
the neighbours run and drawn one by one, the rest all run first, then drawn). The benchmark
waits for that prefetch, as a user reading the charts would give it time, or with ``--look S``
goes on after S seconds, as a quicker user would (the prefetch gives way). Each step's kind is
what happened: ``prefetched`` (no engine run: the setting was prefetched), ``cached`` (seen
before), ``run prefetched`` (its engine runs were prefetched, its charts not yet: drawn now) or
``cold`` (a jump of a slider beyond what was prefetched: a fresh engine run of the reform, its
household tally and distribution against the baseline kept in memory, and every chart drawn
now). Beside each redraw: when its numbers and tables were on screen (the charts come after
them). Under each
step its time by stage (``Explorer.timings``): policy, engine set-up, engine months, household
tally, engine result, run tables, distribution, view tables, charts (wall time of drawing them,
some in the chart worker process), and the CPU seconds of the redraw (this process, every thread,
plus the chart worker): on a machine shared with other work the wall time grows with the load,
the CPU time much less, so it tells what a redraw costs on two idle cores (between CPU / 2 and CPU).
The last column is the steal share during the redraw: of the time the vCPUs had work, how much
the hypervisor gave to others (``benchmarks/machine.py``).

Usage: .venv/bin/python benchmarks/bench_explorer.py [--households 100000] [--months 36]
       [--locality qijiang] [--look SECONDS]
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from typing import Any

from machine import Steal, core_clock_ghz, machine_line  # benchmarks/machine.py

from simulation.reporting.explorer import DEBOUNCE_SECONDS, Explorer, ExplorerWidget

try:  # the explorer of a reference tree may predate it
    from simulation.reporting.explorer import READY_DEBOUNCE_SECONDS
except ImportError:
    READY_DEBOUNCE_SECONDS = DEBOUNCE_SECONDS


def main() -> None:
    """Run the steps and print each redraw's time, then the medians by kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--locality", default="qijiang")
    parser.add_argument("--look", type=float, default=None,
                        help="seconds the user looks at each redraw before the next change "
                             "(default: until the prefetch is done)")
    args = parser.parse_args()

    everything = Steal.start()
    explorer = Explorer(households=args.households, months=args.months)
    threads: list[threading.Thread] = []
    prefetch = explorer.prefetch

    def keep(candidates: list[Any], **options: Any) -> threading.Thread:
        thread = prefetch(candidates, **options)
        threads.append(thread)
        return thread

    explorer.prefetch = keep  # type: ignore[method-assign]
    began = time.perf_counter()
    widget = ExplorerWidget(explorer, explorer.defaults(args.locality))  # the first view
    first = time.perf_counter() - began
    steps = [
        ("standard +10 yuan", "standard_change", 10, "prefetched"),
        ("standard +20 yuan", "standard_change", 20, "prefetched"),
        ("staffing ratio 3‰ -> 4‰", "staffing_ratio", 4.0, "cold"),
        ("staffing ratio 4‰ -> 3.5‰", "staffing_ratio", 3.5, "prefetched"),
        ("gradual-exit months 6 -> 12", "exit_months", 12, "cold"),
        ("review: half-yearly", "review", "half_yearly", "prefetched"),
        ("gradual-exit months 12 -> 13", "exit_months", 13, "prefetched"),
        ("take-up ×1.0 -> ×1.5", "take_up_scale", 1.5, "cold"),
        ("standard back to +10", "standard_change", 10, "prefetched"),
        ("standard +10 -> +40 (a drag of three steps)", "standard_change", 40, "prefetched"),
        ("standard +40 -> 0 (a drag of four steps)", "standard_change", 0, "prefetched"),
        ("exit ceiling 1.5 -> 2.5", "exit_ceiling", 2.5, "cold"),
        ("standard in %: 0%", "standard_unit", "percent", "cached"),
        ("standard +1%", "standard_change", 1, "prefetched"),
    ]
    print(f"explorer redraw, {args.households:,} households × {args.months} months, {args.locality}; "
          f"debounce before each redraw (in 'from change', not in 'redraw'): {DEBOUNCE_SECONDS:.2f} s, "
          f"{READY_DEBOUNCE_SECONDS:.2f} s where the engine runs are in the cache; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; core clock "
          f"{core_clock_ghz():.2f} GHz")
    print(f"{'first view (population, baseline run, charts)':<48}{'':>14}{first:>9.2f}")
    print(f"{'change':<48}{'kind':>14}{'from change s':>14}{'redraw s':>9}{'numbers s':>10}{'cpu s':>7}"
          f"{'engine runs':>13}"
          f"{'prefetch s' if args.look is None else 'looked s':>12}{'steal':>7}")
    times: dict[str, list[float]] = {}
    totals: dict[str, dict[str, list[float]]] = {}
    cpus: dict[str, list[float]] = {}
    numbers: dict[str, list[float]] = {}  # until the numbers and tables were shown (charts after)
    waits: dict[str, list[float]] = {}  # from the change to the redraw's end (the debounce included)
    done = threading.Event()
    widget.on_redraw = lambda view: done.set()
    for name, control, value, kind in steps:
        waited = time.perf_counter()
        if args.look is None:
            for thread in threads:  # the user reads the charts while the neighbours are prefetched
                thread.join()
        else:  # the user looks this long; the prefetch gives way to the change
            time.sleep(args.look)
        threads.clear()
        waited = time.perf_counter() - waited
        before = {key for key in explorer._runs if key[0] == "run"}
        done.clear()
        cpu = time.process_time()
        steal = Steal.start()
        changed = time.perf_counter()
        widget.controls[control].value = value  # the redraw follows the debounce, in its timer's thread
        if not done.wait(timeout=900):
            raise SystemExit(f"no redraw within 900 s of the change {name!r}")
        from_change = time.perf_counter() - changed
        stolen = steal.share()
        if widget._timer is not None:  # the redraw's end: it starts the prefetch after on_redraw
            widget._timer.join()
        cpu = time.process_time() - cpu + explorer.timings.get("worker cpu", 0.0)
        # engine runs of the redraw: its run keys new to the cache (a prefetch that was ending
        # may add others, and evict old ones)
        shown = explorer.normalised(widget.settings())
        mine = {explorer._run_key(shown, "baseline"), explorer._run_key(shown, "explorer")}
        runs = len(({key for key in explorer._runs if key[0] == "run"} - before) & mine)
        # the kind is what happened, not what was expected
        if runs:
            kind = "cold"
        elif "charts" in explorer.timings:
            kind = "run prefetched"  # the engine runs were in the cache; the charts drawn now
        elif kind == "cold":
            kind = "prefetched"
        cpus.setdefault(kind, []).append(cpu)
        times.setdefault(kind, []).append(float(widget.last_seconds or 0.0))
        numbers.setdefault(kind, []).append(float(widget.numbers_seconds or 0.0))
        waits.setdefault(kind, []).append(from_change)
        print(f"{name:<48}{kind:>14}{from_change:>14.2f}{widget.last_seconds:>9.2f}"
              f"{widget.numbers_seconds:>10.2f}{cpu:>7.2f}{runs:>13}{waited:>12.2f}{stolen:>7.0%}")
        stages = {k: v for k, v in explorer.timings.items() if v >= 0.005 and k != "charts in the worker"}
        for k, v in stages.items():
            totals.setdefault(kind, {}).setdefault(k, []).append(v)
        if stages:
            # the stages' sum against the wait from the change: the debounce overlaps the work
            work = sum(v for k, v in stages.items() if k != "worker cpu")
            print("    " + " · ".join(f"{k} {v:.2f}" for k, v in stages.items()) + f" = {work:.2f} s of work")
    for kind, values in times.items():
        values.sort()
        cpu = sorted(cpus[kind])
        shown = sorted(numbers[kind])
        wait = sorted(waits[kind])
        print(f"{kind}: from the change a median {wait[len(wait) // 2]:.2f} s, max {wait[-1]:.2f} s "
              f"(the debounce included); the redraw after it a median "
              f"{values[len(values) // 2]:.2f} s, max {values[-1]:.2f} s; numbers and tables shown after a median "
              f"{shown[len(shown) // 2]:.2f} s; CPU median {cpu[len(cpu) // 2]:.2f} s, max {cpu[-1]:.2f} s")
    for kind, stages in totals.items():
        print(f"{kind}, median by stage: " + " · ".join(
            f"{k} {sorted(v)[len(v) // 2]:.2f}" for k, v in stages.items()))
    print(f"over the whole benchmark: {machine_line(everything.share())}")


if __name__ == "__main__":
    main()
