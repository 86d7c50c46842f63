"""Time the explorer's redraw: what one control change costs with 100,000 households × 36 months.

Runs the explorer's own path (``Explorer.compute`` then ``Explorer.pngs``, what the widget does
after its debounce) for a sequence of control changes and prints, per change: the engine runs,
compute seconds, chart seconds and the total. The widget adds its debounce delay
(``DEBOUNCE_SECONDS``) before a redraw starts; that wait is printed, not included. Steps marked
"prefetched" first let the explorer run the neighbouring slider position in the background, as
the widget does after each redraw while the user looks (the prefetch time is printed).

Usage: .venv/bin/python benchmarks/bench_explorer.py [--households 100000] [--months 36]
       [--locality qijiang]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from simulation.reporting.explorer import DEBOUNCE_SECONDS, Explorer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--locality", default="qijiang")
    args = parser.parse_args()

    explorer = Explorer(households=args.households, months=args.months)
    start = explorer.defaults(args.locality)
    steps = [
        ("first view (population, baseline run)", start),
        ("standard +10 yuan", replace(start, standard_change=10.0)),
        ("staffing ratio 3‰ -> 4‰", replace(start, standard_change=10.0, staffing_ratio=0.004)),
        ("gradual-exit months 6 -> 12", replace(start, standard_change=10.0, staffing_ratio=0.004, exit_months=12)),
        ("review: half-yearly", replace(start, standard_change=10.0, staffing_ratio=0.004, exit_months=12,
                                        review="half_yearly")),
        ("back to standard +10 (cached)", replace(start, standard_change=10.0)),
        ("standard +20 (prefetched)", replace(start, standard_change=20.0)),
    ]
    print(f"explorer redraw, {args.households:,} households × {args.months} months, {args.locality}; "
          f"debounce {DEBOUNCE_SECONDS:.2f} s before each redraw (not included)")
    print(f"{'change':<40}{'engine runs':>12}{'compute s':>11}{'charts s':>10}{'total s':>9}")
    redraws = []
    for name, settings in steps:
        if "prefetched" in name:
            began = time.perf_counter()
            explorer.prefetch([settings]).join()
            print(f"{'  (background prefetch while idle)':<40}{'':>12}{time.perf_counter() - began:>11.2f}")
        runs_before = sum(1 for k in explorer._runs if k[0] == "run")
        began = time.perf_counter()
        view = explorer.compute(settings)
        computed = time.perf_counter()
        explorer.pngs(view)
        done = time.perf_counter()
        runs = sum(1 for k in explorer._runs if k[0] == "run") - runs_before
        print(f"{name:<40}{runs:>12}{computed - began:>11.2f}{done - computed:>10.2f}{done - began:>9.2f}")
        if name != steps[0][0]:
            redraws.append(done - began)
    print(f"later changes: median {sorted(redraws)[len(redraws) // 2]:.2f} s, "
          f"max {max(redraws):.2f} s per redraw (+{DEBOUNCE_SECONDS:.2f} s debounce)")


if __name__ == "__main__":
    main()
