"""How many replications give a stable P10–P90 band? Prints the Monte Carlo error of the band.

Runs a scenario (default: data/scenarios/default.yaml) with many replications — each its own
population seed and engine seed — and, for smaller replication counts R, the standard deviation
of the P10 and P90 of the whole-horizon extra cost over bootstrap samples of R of them: the error
a run with R replications carries on its band. The default replications of the scenarios rest
on its output (README, "Bands").

    .venv/bin/python scripts/band_stability.py --replications 40
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from simulation.scenarios import summary as S
from simulation.scenarios.executors import make_executor
from simulation.scenarios.runner import run_scenario
from simulation.scenarios.scenario import DEFAULT_SCENARIO, load_scenario


def main() -> None:
    """Run the scenario once with many replications and print the band's error per R."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", nargs="?", default=str(DEFAULT_SCENARIO))
    ap.add_argument("--replications", type=int, default=40)
    ap.add_argument("--draws", type=int, default=4000, help="bootstrap samples per R")
    args = ap.parse_args()
    sc = load_scenario(args.scenario).with_changes(replications=args.replications)
    began = time.perf_counter()
    with make_executor("process", 2) as ex:
        result = run_scenario(sc, executor=ex, progress=True, write=False)
    totals = result.tables["replication_totals"]
    horizon = totals["period"].iloc[-1]
    rng = np.random.default_rng(0)
    print(f"{sc.name}: {args.replications} replications of {sc.households} households, "
          f"{sc.months} months, in {time.perf_counter() - began:.0f} s")
    for variant in [v.name for v in sc.reforms]:
        extra = totals[(totals["variant"] == variant) & (totals["period"] == horizon)]["extra"].to_numpy()
        p10, p50, p90 = np.quantile(extra, [0.1, 0.5, 0.9])
        print(f"\n{variant}, extra cost {horizon} (万元): P50 {S.wan(p50)}, P10 {S.wan(p10)}, P90 {S.wan(p90)}, "
              f"sd over replications {S.wan(extra.std(ddof=1))}")
        print(f"{'R':>4} {'error of P10':>14} {'error of P90':>14} {'as % of P10–P90 width':>24}")
        for r in (3, 5, 10, 15, 20, 30, 40):
            if r > extra.size:
                break
            picks = extra[rng.integers(0, extra.size, size=(args.draws, r))]
            e10 = np.quantile(picks, 0.1, axis=1).std(ddof=1)
            e90 = np.quantile(picks, 0.9, axis=1).std(ddof=1)
            print(f"{r:>4} {S.wan(e10):>14} {S.wan(e90):>14} {100 * max(e10, e90) / (p90 - p10):>23.0f}%")


if __name__ == "__main__":
    main()
