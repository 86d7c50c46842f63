"""Benchmark of the household entitlement calculator: persons per second for 1 million persons.

Prints, for about 1 million persons of the locality's generated population (simulation.population)
and for a synthetic stress table where most households are eligible (seeded, sizes 1-5):
- kernel: ``assess_arrays`` on ``PersonArrays`` with a reused output buffer (what the engine calls
  each month), best of 5 runs after a warm-up;
- subset: the kernel on a random 10 % of households (the engine's monthly reassessments);
- full: ``assess`` on the pandas person table (validation + kernel + labelled DataFrame).

Usage: .venv/bin/python benchmarks/bench_calculator.py [n_persons] [policy locality]
Without a locality argument the profile and parameters are qijiang's (June 2024).
"""

from __future__ import annotations

import sys
import time

import numba
import numpy as np
import pandas as pd

from simulation.population.columns import COLUMN_NAMES, validate_persons
from simulation.rules import assess, assess_arrays, pack_params
from simulation.rules.entitlement import N_OUTPUTS, O_DIBAO_ELIGIBLE


def synthetic_persons(n_persons: int, seed: int = 1) -> pd.DataFrame:
    """A random person table of about ``n_persons`` persons (not calibrated: for timing only)."""
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 6, n_persons)  # more households than needed; cut at n_persons
    hh = np.repeat(np.arange(size.size), size)[:n_persons]
    size = size[: hh[-1] + 1]
    n = hh.size
    urban = rng.random(size.size) < 0.55
    return pd.DataFrame({
        "household_id": hh, "age": rng.integers(0, 95, n), "urban": urban[hh],
        "disability": pd.Categorical.from_codes(rng.choice(3, n, p=[0.85, 0.1, 0.05]),
                                                ["none", "mild", "severe"]),
        "serious_illness": rng.random(n) < 0.05,
        "paralysed_months": rng.integers(0, 12, n) * (rng.random(n) < 0.02),
        "rare_disease": rng.random(n) < 0.005,
        "labour_ability": pd.Categorical.from_codes(rng.choice(3, n, p=[0.55, 0.2, 0.25]),
                                                    ["full", "partial", "none"]),
        "self_care": pd.Categorical.from_codes(rng.choice(3, n, p=[0.85, 0.1, 0.05]),
                                               ["able", "partial", "unable"]),
        "earned_income": rng.exponential(900, n) * (rng.random(n) < 0.5),
        "basic_pension": rng.exponential(150, n) * (rng.random(n) < 0.25),
        "other_income": rng.exponential(100, n) * (rng.random(n) < 0.3),
        "rigid_expenditure": rng.exponential(300, n) * (rng.random(n) < 0.15),
        "registered_unemployed": rng.random(n) < 0.04, "has_supporter": rng.random(n) < 0.7,
        "financial_assets": rng.exponential(10000, n),
        "care_wish": pd.Categorical.from_codes(rng.choice(2, n), ["dispersed", "centralised"]),
    })


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run(label: str, df: pd.DataFrame, params) -> None:
    """Time validation, the kernel (all and 10 % of households) and the pandas wrapper."""
    t0 = time.perf_counter()
    arrays = validate_persons(df)
    t_validate = time.perf_counter() - t0
    n, n_hh = arrays.n_persons, arrays.n_households
    packed = pack_params(params)
    out = np.empty((n_hh, N_OUTPUTS))
    t0 = time.perf_counter()
    result = assess_arrays(arrays, packed, out=out)  # compile or load the cache
    t_first = time.perf_counter() - t0
    eligible = result[:, O_DIBAO_ELIGIBLE].mean()
    t_kernel = best_of(lambda: assess_arrays(arrays, packed, out=out), 5)
    numba.set_num_threads(1)
    t_kernel1 = best_of(lambda: assess_arrays(arrays, packed, out=out), 5)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    subset = np.sort(np.random.default_rng(2).choice(n_hh, n_hh // 10, replace=False))
    t_subset = best_of(lambda: assess_arrays(arrays, packed, households=subset, out=out), 5)
    t_full = best_of(lambda: assess(df, params), 2)
    print(f"{label}: {n:,} persons, {n_hh:,} households, {eligible:.1%} dibao-eligible")
    print(f"  first call (compile/cache load): {t_first:.2f} s")
    print(f"  kernel assess_arrays, all threads ({numba.config.NUMBA_NUM_THREADS}): {t_kernel * 1e3:.1f} ms"
          f" = {n / t_kernel / 1e6:.1f} M persons/s, {n_hh / t_kernel / 1e6:.1f} M households/s")
    print(f"  kernel assess_arrays, 1 thread:  {t_kernel1 * 1e3:.1f} ms = {n / t_kernel1 / 1e6:.1f} M persons/s")
    print(f"  kernel on 10% of households:     {t_subset * 1e3:.1f} ms")
    print(f"  validate_persons (pandas):       {t_validate:.2f} s = {n / t_validate / 1e6:.2f} M persons/s")
    print(f"  assess (validate+kernel+labels): {t_full:.2f} s = {n / t_full / 1e6:.2f} M persons/s")


def main() -> None:
    n_persons = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    locality = sys.argv[2] if len(sys.argv) > 2 else "qijiang"
    from simulation.policy import load_policy
    from simulation.population import generate, load_profile

    params = load_policy(locality).at("2024-06-01")
    t0 = time.perf_counter()
    profile = load_profile(locality)
    probe = generate(profile, n_households=2000, seed=1)
    pop = generate(profile, n_households=round(n_persons * 2000 / len(probe.persons)), seed=1)
    print(f"generated {locality} population in {time.perf_counter() - t0:.1f} s; "
          f"pack_params {best_of(lambda: pack_params(params), 5) * 1e6:.0f} us")
    columns = [c for c in pop.persons.columns if c in COLUMN_NAMES]
    run(f"{locality} generated population", pop.persons[columns], params)
    run("synthetic stress table (most households eligible)", synthetic_persons(n_persons), params)


if __name__ == "__main__":
    main()
