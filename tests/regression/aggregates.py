"""Expected aggregate outputs of the engine, checked in as a regression test (the PSL
Tax-Calculator practice): any change to the rules, the policy files, the population generator,
the behaviour parameters or the engine that moves a yearly aggregate fails
``tests/test_regression.py`` until the expected file is regenerated on purpose.

Regenerate (and commit the file with the reason for the change)::

    .venv/bin/python -m tests.regression.aggregates --write

Without ``--write`` it prints the current aggregates against the expected ones.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

#: The expected file, next to this module.
EXPECTED = Path(__file__).with_name("expected_aggregates.csv")
#: Fixed run: every profile, this many households, population seed, engine seed, months.
N_HOUSEHOLDS = 4_000
POPULATION_SEED = 11
ENGINE_SEED = 7
MONTHS = 24
#: The yearly aggregates compared (per profile, programme and year).
COLUMNS = ("persons_mean", "households_mean", "payment_total", "entries", "exits")
#: Relative tolerance: chunked float sums may round differently, nothing else may move.
RTOL = 1e-6


def compute() -> pd.DataFrame:
    """The yearly aggregates of the fixed run for every locality profile (sorted rows)."""
    from simulation.engine import run
    from simulation.policy import load_policy
    from simulation.population import generate, load_profile
    from simulation.population.profiles import list_profiles

    rows = []
    for name in list_profiles():
        profile = load_profile(name)
        policy = load_policy(profile.policy)
        pop = generate(profile, N_HOUSEHOLDS, seed=POPULATION_SEED)
        start = profile.target_date[:7]
        monthly = run(pop, policy, start=start, months=MONTHS, seed=ENGINE_SEED).monthly
        # year k = months 12(k-1) .. 12k-1 of the run (not calendar years: the start varies)
        months = sorted(monthly["month"].unique())
        index = {m: i for i, m in enumerate(months)}
        monthly = monthly.assign(year=monthly["month"].map(index) // 12 + 1)
        by_month = monthly.groupby(["programme", "year", "month"])[
            ["persons", "households", "payment", "entries", "exits_income", "exits_gradual_end",
             "exits_death", "exits_aged_out", "exits_other"]].sum()
        by_year = by_month.groupby(level=["programme", "year"])
        table = pd.DataFrame({
            "persons_mean": by_year["persons"].mean(),
            "households_mean": by_year["households"].mean(),
            "payment_total": by_year["payment"].sum(),
            "entries": by_year["entries"].sum(),
            "exits": by_year[["exits_income", "exits_gradual_end", "exits_death",
                              "exits_aged_out", "exits_other"]].sum().sum(axis=1),
        }).reset_index()
        table.insert(0, "locality", name)
        rows.append(table)
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["locality", "programme", "year"]).reset_index(drop=True)


def load_expected() -> pd.DataFrame:
    """The checked-in expected aggregates."""
    return pd.read_csv(EXPECTED, comment="#")


def compare(current: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    """Rows where an aggregate moved beyond :data:`RTOL` (or a row appeared or vanished), with
    both values and the change in %."""
    keys = ["locality", "programme", "year"]
    merged = expected.merge(current, on=keys, how="outer", suffixes=("_expected", "_now"),
                            indicator=True)
    problems = []
    for _, row in merged.iterrows():
        if row["_merge"] != "both":
            problems.append({**{k: row[k] for k in keys}, "column": "(row)",
                             "expected": None, "now": None, "change_pct": None,
                             "note": "only in expected" if row["_merge"] == "left_only"
                             else "only in current"})
            continue
        for col in COLUMNS:
            e, n = float(row[f"{col}_expected"]), float(row[f"{col}_now"])
            if abs(n - e) > RTOL * max(abs(e), 1.0):
                problems.append({**{k: row[k] for k in keys}, "column": col, "expected": e,
                                 "now": n, "change_pct": 100 * (n - e) / e if e else None,
                                 "note": ""})
    return pd.DataFrame(problems)


def main(argv: list[str] | None = None) -> int:
    """Print the aggregates against the expected file; ``--write`` replaces the file."""
    ap = argparse.ArgumentParser(description="Engine regression aggregates")
    ap.add_argument("--write", action="store_true", help="replace the expected file")
    args = ap.parse_args(argv)
    current = compute()
    if args.write:
        header = (f"# Expected yearly aggregates: every profile, {N_HOUSEHOLDS} households "
                  f"(population seed {POPULATION_SEED}), engine seed {ENGINE_SEED}, {MONTHS} "
                  "months from the profile's target month (year k = run months 12(k-1)..12k-1).\n# Regenerate with "
                  "`python -m tests.regression.aggregates --write` and say why in the commit.\n")
        EXPECTED.write_text(header + current.to_csv(index=False, float_format="%.6f"),
                            encoding="utf-8")
        print(f"written {len(current)} rows to {EXPECTED}")
        return 0
    diff = compare(current, load_expected())
    pd.set_option("display.width", 160)
    print("no aggregate moved" if diff.empty else diff.to_string(index=False))
    return 0 if diff.empty else 1


if __name__ == "__main__":
    sys.exit(main())
