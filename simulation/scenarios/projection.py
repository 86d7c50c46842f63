"""A baseline projection 基线预测: the national or a locality's engine run from a past date to a
chosen end, with the user's dated inputs, printed as stocks and flows by year.

``python -m simulation project [--profile china_2018] [--end 2027-12] [--inputs inputs.yaml]
[--households N] [--seed S] [--csv out.csv]``

The run starts at the profile's cross-section (``calibration_targets.date``: end-February 2018
for ``china_2018``, end-2021 for the localities) and carries it month by month with the policy's
dated standards, incomes and pensions. Past the published data the policy holds its last values
(standards) or grows at its stated assumptions (``economy.income_growth.<area>``); an inputs file
changes any of them:

```yaml
policy:                       # dated values of any policy path (a reform, docs/contracts.md §1)
  dibao.standard.urban: {"2022-07-01": 752.3}
  economy.income_growth.urban: {"2025-01-01": 0.045}
cpi: 0.02                     # year-on-year CPI: one number, or {"2024-01": {cpi: .., food_cpi: ..}}
behaviour: {}                 # engine behaviour overrides (data/behaviour/defaults.yaml names)
```

What was fitted and what was not: the china_2018 behaviour is fitted to the published points
2018–2021 (``simulation.engine.trajectory``); every year after 2021 is a projection that no
published figure checks. Published points within the run are printed beside the simulation.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.engine.model import parse_month, run
from simulation.engine.outputs import EXITS
from simulation.errors import InputError
from simulation.loading import load_yaml
from simulation.policy import load_policy
from simulation.population import generate, load_profile

INPUT_KEYS = {"policy", "cpi", "behaviour"}


def read_inputs(path: str | Path | None) -> dict[str, Any]:
    """The inputs file (empty without one); unknown keys and wrong types name the field."""
    if path is None:
        return {}
    raw = load_yaml(path, "projection inputs file")  # encoding, syntax and size guards
    unknown = set(raw) - INPUT_KEYS
    if unknown:
        raise InputError(str(path), sorted(unknown)[0],
                         f"unknown key (expected: {', '.join(sorted(INPUT_KEYS))})")
    for key in ("policy", "behaviour"):
        if key in raw and not isinstance(raw[key], Mapping):
            raise InputError(str(path), key, "expected a mapping")
    cpi = raw.get("cpi")
    if isinstance(cpi, Mapping):
        rows = {str(k): v for k, v in cpi.items()}
        for k, v in rows.items():
            if not isinstance(v, Mapping) or {"cpi", "food_cpi"} - set(v):
                raise InputError(str(path), f"cpi.{k}", "expected {cpi: ..., food_cpi: ...}")
        raw = {**raw, "cpi": pd.DataFrame.from_dict(rows, orient="index")}
    return dict(raw)


def yearly(monthly: pd.DataFrame) -> pd.DataFrame:
    """Year-end persons, yearly payments (yuan) and flows by programme and area."""
    m = monthly.assign(year=monthly["month"].astype(str).str[:4],
                       exits=monthly[list(EXITS)].sum(axis=1))
    by = m.groupby(["year", "month", "programme", "area"], sort=True)[
        ["persons", "households", "payment", "entries", "exits", "exits_verification"]].sum()
    last = by.reset_index().groupby(["year", "programme", "area"]).tail(1).set_index(
        ["year", "programme", "area"])[["month", "persons"]]
    flows = by.groupby(level=["year", "programme", "area"])[
        ["households", "payment", "entries", "exits", "exits_verification"]].sum()
    out = last.join(flows).rename(columns={"persons": "persons_end", "month": "last_month"})
    return out.reset_index()


def dibao_flows(monthly: pd.DataFrame) -> pd.DataFrame:
    """Dibao entries and exits by reason, per year and area (persons' households, weighted):
    where a rise or fall of the stock comes from."""
    d = monthly[monthly.programme == "dibao"].assign(year=monthly["month"].astype(str).str[:4])
    cols = ["entries", *EXITS]
    out = d.groupby(["year", "area"])[cols].sum()
    out["net"] = out["entries"] - out[list(EXITS)].sum(axis=1)
    return out.drop(columns=[c for c in EXITS if (out[c] == 0).all()])


def summary_table(table: pd.DataFrame, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """The printed table: one row per year; dibao and tekun persons at the year's last month
    (millions or thousands as fits), payments in 100 million yuan (亿元), temporary cases."""
    rows = []
    for year, g in table.groupby("year"):
        row: dict[str, Any] = {"year": year, "to": g["last_month"].iloc[0]}
        for programme, area in (("dibao", "urban"), ("dibao", "rural"),
                                ("tekun", "urban"), ("tekun", "rural")):
            sel = g[(g.programme == programme) & (g.area == area)]
            row[f"{programme} {area}"] = float(sel["persons_end"].sum())
        d = g[g.programme == "dibao"]
        row["dibao entries"] = float(d["entries"].sum())
        row["dibao exits"] = float(d["exits"].sum())
        row["of which verification"] = float(d["exits_verification"].sum())
        t = g[g.programme == "temporary"]
        row["temporary cases"] = float(t["households"].sum())
        row["payments 亿元"] = float(g["payment"].sum()) / 1e8
        rows.append(row)
    out = pd.DataFrame(rows).set_index("year")
    if published is not None and not published.empty:
        out = out.join(published, how="left")
    return out


def published_points(start: str, end: str) -> pd.DataFrame:
    """Published year-end dibao stocks within the run (statistics.md §6), by year."""
    from simulation.engine.trajectory import load_trajectory

    pts = load_trajectory().points
    pts = pts[(pts.kind == "stock") & pts.target.str.startswith("dibao")
              & (pts.period >= start) & (pts.period <= end) & pts.period.str.endswith("-12")]
    if pts.empty:
        return pd.DataFrame()
    wide = pts.assign(year=pts.period.str[:4],
                      col="published " + pts.target.str.replace("dibao_persons.", "dibao ",
                                                                regex=False))
    return wide.pivot(index="year", columns="col", values="value")


def project(profile_id: str = "china_2018", end: str = "2027-12", inputs: Mapping[str, Any] | None = None,
            households: int = 50_000, seed: int = 1, progress: bool = True) -> pd.DataFrame:
    """Run the profile's baseline from its cross-section to ``end``; the monthly table."""
    inputs = dict(inputs or {})
    profile = load_profile(profile_id)
    start = parse_month(str(profile.target_date))
    stop = parse_month(end, "end")
    months = (stop.year - start.year) * 12 + stop.month - start.month + 1
    if months < 1:
        raise InputError("arguments", "end", f"{end} is before the profile's start {start:%Y-%m}")
    if households < 1:
        raise InputError("arguments", "households", f"expected a positive number, got {households}")
    reforms = [inputs["policy"]] if inputs.get("policy") else None
    policy = load_policy(profile.policy, reforms=reforms)
    sample = profile.calibration.get("sample") or {}
    pop = generate(profile, households, seed=int(sample.get("seed", 1)))
    result = run(pop, policy, start=start, months=months, seed=seed,
                 behaviour=inputs.get("behaviour") or None, cpi=inputs.get("cpi"),
                 progress=progress)
    return result.monthly


def main(argv: Sequence[str] | None = None) -> int:
    """Command line (``python -m simulation project ...``)."""
    ap = argparse.ArgumentParser(prog="socsim project", description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="china_2018",
                    help="locality profile whose cross-section starts the run (default china_2018)")
    ap.add_argument("--end", default="2027-12", help="last month, YYYY-MM (default 2027-12)")
    ap.add_argument("--inputs", help="dated inputs YAML (policy, cpi, behaviour)")
    ap.add_argument("--households", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--csv", help="also write the yearly table here")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    inputs = read_inputs(args.inputs)
    monthly = project(args.profile, args.end, inputs, args.households, args.seed,
                      not args.no_progress)
    table = yearly(monthly)
    first = str(monthly["month"].iloc[0])[:7]
    out = summary_table(table, published_points(first, args.end)
                        if args.profile == "china_2018" else None)
    pd.set_option("display.width", 220)
    pd.set_option("display.float_format", lambda v: f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}")
    print(f"baseline projection: {args.profile} from {first} to {args.end}, {args.households} "
          f"households, engine seed {args.seed}; persons at the year's last month")
    print(out.to_string())
    print("fitted to the published points to end-2021 (simulation.engine.trajectory); "
          "later years are a projection under the policy's and the inputs' assumptions")
    print("\ndibao households entering and leaving, by reason (where the stock's movement comes "
          "from):")
    print(dibao_flows(monthly).to_string())
    if args.csv:
        out.to_csv(args.csv)
        print(f"csv: {args.csv}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
