"""Benchmark: generate 1 million households (persons and households tables) and print the time
and peak memory. Target (issue 3): at most 10 s on 2 cores.

Usage: python benchmarks/bench_population.py [locality] [n_households]

The time is measured without tracing; a second run under tracemalloc gives the peak of
allocated memory (tracing slows it down, so its time is not reported).
"""

from __future__ import annotations

import os
import resource
import sys
import time
import tracemalloc

from machine import Steal, machine_line  # benchmarks/machine.py

from simulation.population import generate, load_profile


def main() -> None:
    """Run the benchmark and print the figures."""
    locality = sys.argv[1] if len(sys.argv) > 1 else "china_2021"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    profile = load_profile(locality)
    _ = generate(profile, 10_000, seed=1).persons  # warm-up: imports and first-call costs
    times = []
    steal = Steal.start()
    for seed in (1, 2):
        t0 = time.perf_counter()
        pop = generate(profile, n, seed=seed)
        t1 = time.perf_counter()
        persons = pop.persons
        t2 = time.perf_counter()
        times.append((t1 - t0, t2 - t1))
        del pop, persons
    stolen = steal.share()
    tracemalloc.start()
    pop = generate(profile, n, seed=1)
    _ = pop.persons
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"locality {locality}: {n:,} households, {pop.arrays.n_persons:,} persons; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for i, (gen, frame) in enumerate(times, 1):
        print(f"run {i}: generate {gen:.2f} s + person table {frame:.2f} s = {gen + frame:.2f} s "
              f"({n / (gen + frame) / 1e6:.2f} M households/s)")
    print(f"peak traced memory: {peak / 2**20:.0f} MiB; peak RSS of the process: {rss:.0f} MiB")
    print(f"during the two timed runs {machine_line(stolen)}")


if __name__ == "__main__":
    main()
