"""Benchmark of the scenario layer: executors, a scenario run end to end, tables, results, Excel.

Prints figures (seconds, runs per second, MB); asserts nothing. Usage:

    .venv/bin/python benchmarks/bench_scenarios.py [--households 5000] [--months 36] [--replications 2]

Figures are noisy when other work shares the machine's two cores; each executor's line gives the
share of the time the vCPUs had work that the host took (steal, ``benchmarks/machine.py``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from machine import Steal, machine_line  # benchmarks/machine.py

from simulation.scenarios.excel import write_excel
from simulation.scenarios.executors import make_executor
from simulation.scenarios.results import new_run_id, write_results
from simulation.scenarios.runner import assemble, build_policy, run_task, tasks_for
from simulation.scenarios.scenario import DEFAULT_SCENARIO, load_scenario


def folder_mb(path: Path) -> float:
    """Size of a folder's files in MB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=5000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    sc = load_scenario(DEFAULT_SCENARIO).with_changes(
        households=args.households, months=args.months, replications=args.replications)
    tasks = tasks_for(sc)
    print(f"scenario {sc.name}: {sc.localities[0]}, {args.households} households, {args.months} months, "
          f"{len(tasks)} engine runs ({len(sc.variants)} variants × {args.replications} replications)")

    t = time.perf_counter()
    run_task(tasks[0])  # warm-up: numba compilation, population generation
    print(f"first run (includes numba compilation and population generation): {time.perf_counter() - t:.2f} s")

    timings = {}
    results = {}
    everything = Steal.start()
    for kind in ("serial", "process", "dask"):
        t = time.perf_counter()
        steal = Steal.start()
        with make_executor(kind, workers=args.workers) as ex:
            started = time.perf_counter()
            results[kind] = ex.map(run_task, tasks)
        total = time.perf_counter() - t
        timings[kind] = total
        print(f"executor {kind:<8}: {total:6.2f} s total ({started - t:4.2f} s start-up), "
              f"{len(tasks) / total:5.2f} runs/s, "
              f"{args.households * args.months * len(tasks) / total / 1e6:6.2f} M household-months/s; "
              f"steal {steal.share():.0%}")
    same = all(
        a.monthly.equals(b.monthly) for kind in ("process", "dask")
        for a, b in zip(results["serial"], results[kind], strict=True))
    print(f"monthly tables identical across executors: {same}")
    print(f"machine: {machine_line(everything.share())}")

    policies = {(v.name, loc): build_policy(sc, v, loc) for loc in sc.localities for v in sc.variants}
    t = time.perf_counter()
    res = assemble(sc, results["serial"], policies)
    print(f"assemble tables: {time.perf_counter() - t:.2f} s ({len(res.tables)} tables, "
          f"{sum(len(x) for x in res.tables.values()):,} rows)")
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        path = write_results(tmp, new_run_id(sc.name), res.tables, res.manifest)
        print(f"write results (Parquet + manifest, atomic): {time.perf_counter() - t:.2f} s, {folder_mb(path):.2f} MB")
        t = time.perf_counter()
        xlsx = write_excel(res.tables, res.manifest, Path(tmp) / "out.xlsx")
        print(f"write Excel: {time.perf_counter() - t:.2f} s, {xlsx.stat().st_size / 1e6:.2f} MB")
    print()
    print(res.summary_text())


if __name__ == "__main__":
    main()
