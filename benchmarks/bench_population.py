"""Benchmark: generate 1 million households (persons and households tables) and print the time
and peak memory. Target (issue 3): at most 10 s on 2 cores.

Usage: python benchmarks/bench_population.py [locality] [n_households]
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc

from simulation.population import generate, load_profile


def main() -> None:
    """Run the benchmark and print the figures."""
    locality = sys.argv[1] if len(sys.argv) > 1 else "china_2021"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    profile = load_profile(locality)
    generate(profile, 10_000, seed=1)  # warm-up: imports and first-call costs
    tracemalloc.start()
    t0 = time.perf_counter()
    pop = generate(profile, n, seed=1)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"locality {locality}: {n:,} households, {len(pop.persons):,} persons")
    print(f"generate: {elapsed:.2f} s ({n / elapsed / 1e6:.2f} M households/s)")
    print(f"peak traced memory: {peak / 2**20:.0f} MiB; peak RSS of the process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
