"""Who gains and who loses, by income decile, and poverty before and after a reform.

From the engine's household trace (every household traced), so that "recipients" are households
actually paid in the simulation, not households the rules would pay: per household the mean
monthly payment of dibao, single-person inclusion and tekun over the horizon (``paid_dibao``,
``paid_single``, ``paid_tekun``; weighted, they are the monthly table's payments of those
programmes), its per-capita income at the start, and its state in the last month.

Tables (means over replications, summed over localities; a reform against the baseline of the
same replication, i.e. the same population and draws):

* ``distribution_deciles``: per reform, population (``recipients``: paid in the baseline or the
  reform at some month; ``households``: all) and income decile (persons-weighted deciles of the
  start's per-capita income; 1 = poorest): households, winners, losers and unchanged (a change of
  more than :data:`THRESHOLD` yuan/month), losers who are paid for fewer months and losers paid
  less while paid, the mean change per household (yuan/month) and the total change over the
  horizon (yuan). The deciles of ``households`` add up to the reform's extra cost of these
  programmes.
* ``distribution_poverty``: per reform and line — the household's dibao standard (the baseline's)
  and a relative line (a share of the persons-weighted median per-capita income after transfers
  in the baseline) — persons below it and the gap (yuan/month) in the last month, before (baseline)
  and after (reform).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Trace columns of the payments per household, and the programmes they belong to.
PAID = {"paid_dibao": "dibao", "paid_single": "single_inclusion", "paid_tekun": "tekun"}
#: A change smaller than this (yuan/month) counts as no change.
THRESHOLD = 0.5
#: Default relative poverty line: share of the median per-capita income after transfers.
RELATIVE_LINE = 0.5
DECILE_COLUMNS = ["variant", "population", "decile", "households", "winners", "losers", "unchanged",
                  "losers_fewer_months", "losers_lower_amount", "mean_change", "change_total"]
POVERTY_COLUMNS = ["variant", "line", "line_value", "persons", "headcount_before", "headcount_after",
                   "rate_before", "rate_after", "gap_before", "gap_after"]


def household_summary(trace: pd.DataFrame, weights: pd.Series) -> pd.DataFrame:
    """Per household of a traced engine run (index household_id): weight, persons and per-capita
    income at the start, mean monthly payment and months paid over the horizon, and in the last
    month persons, per-capita income, payment and dibao standard."""
    t = trace.assign(paid=trace[list(PAID)].sum(axis=1))
    months = t["month"].astype(str)
    first, last = months.min(), months.max()
    g = t.groupby("household_id")
    out = pd.DataFrame({"paid_mean": g["paid"].mean(),
                        "months_paid": (t["paid"] > 0).groupby(t["household_id"]).sum().astype(np.int64),
                        "months": g["paid"].size()})
    start = t[months == first].set_index("household_id")
    end = t[months == last].set_index("household_id")
    out["persons_start"] = start["persons"].reindex(out.index).astype(float)
    out["income_start"] = start["per_capita_income"].reindex(out.index).astype(float)
    out["persons_end"] = end["persons"].reindex(out.index).astype(float)
    out["income_end"] = end["per_capita_income"].reindex(out.index).astype(float)
    out["paid_end"] = end["paid"].reindex(out.index).astype(float)
    out["standard_end"] = end["dibao_standard"].reindex(out.index).astype(float)
    out["weight"] = weights.reindex(out.index).astype(float)
    return out


def income_deciles(income: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Decile 1..10 of each household's per-capita income, by ``weight`` (persons × household
    weight): a household's decile is where the weight below it falls."""
    order = np.argsort(income, kind="stable")
    cum = np.cumsum(weight[order]) - weight[order]
    total = weight.sum()
    dec = np.empty(income.size, dtype=int)
    dec[order] = np.minimum(10, np.floor(10 * cum / total).astype(int) + 1) if total > 0 else 1
    return dec


def _weighted_median(values: np.ndarray, weight: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weight[order])
    return float(values[order][np.searchsorted(cum, 0.5 * cum[-1])]) if cum.size and cum[-1] > 0 else float("nan")


def _decile_rows(base: pd.DataFrame, reform: pd.DataFrame, variant: str) -> list[dict[str, Any]]:
    b = base
    r = reform.reindex(b.index)
    w = b["weight"].to_numpy(float)
    change = (r["paid_mean"] - b["paid_mean"]).to_numpy(float)
    months = b["months"].to_numpy(float)
    decile = income_deciles(b["income_start"].to_numpy(float), w * b["persons_start"].to_numpy(float))
    paid = (b["paid_mean"].to_numpy(float) > 0) | (r["paid_mean"].to_numpy(float) > 0)
    fewer = r["months_paid"].to_numpy(float) < b["months_paid"].to_numpy(float)
    rows = []
    for population, member in (("recipients", paid), ("households", np.ones(w.size, bool))):
        # the members grouped by decile, each group in household order: a group's slice holds the
        # elements a mask of its decile selects, in the same order (the same sums, to the last
        # bit), and twenty masks over every household are one sort of small integers
        index = np.flatnonzero(member)
        index = index[np.argsort(decile[index], kind="stable")]
        bounds = np.searchsorted(decile[index], np.arange(1, 12))
        for d in range(1, 11):
            sel = index[bounds[d - 1]:bounds[d]]
            ws, c = w[sel], change[sel]
            lose = c < -THRESHOLD
            rows.append({
                "variant": variant, "population": population, "decile": d, "households": ws.sum(),
                "winners": ws[c > THRESHOLD].sum(), "losers": ws[lose].sum(),
                "unchanged": ws[np.abs(c) <= THRESHOLD].sum(),
                "losers_fewer_months": ws[lose & fewer[sel]].sum(),
                "losers_lower_amount": ws[lose & ~fewer[sel]].sum(),
                "change_weighted": (ws * c).sum(), "change_total": (ws * c * months[sel]).sum()})
    return rows


def _poverty_rows(base: pd.DataFrame, reform: pd.DataFrame, variant: str, relative_line: float) -> list[dict[str, Any]]:
    # households still there in the last month (one that died out has no income or standard)
    alive = (base["persons_end"] > 0) & np.isfinite(base["income_end"]) & np.isfinite(base["standard_end"])
    base = base[alive]
    r = reform.reindex(base.index)
    w = base["weight"].to_numpy(float)
    rows = []

    def disposable(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        persons = frame["persons_end"].fillna(0.0).to_numpy(float)
        safe = np.where(persons > 0, persons, 1.0)
        income = frame["income_end"].fillna(0.0).to_numpy(float) + frame["paid_end"].fillna(0.0).to_numpy(float) / safe
        return income, persons

    before, persons = disposable(base)
    after, persons_after = disposable(r)
    wp = w * persons
    relative = relative_line * _weighted_median(before, wp)
    for line, value in (("dibao_standard", base["standard_end"].to_numpy(float)),
                        ("relative", np.full(w.size, relative))):
        shown = float(np.average(value, weights=wp)) if wp.sum() > 0 else float("nan")
        row = {"variant": variant, "line": line, "line_value": shown, "persons": wp.sum()}
        for name, inc, pers in (("before", before, persons), ("after", after, persons_after)):
            poor = inc < value
            row[f"headcount_{name}"] = (w * pers)[poor].sum()
            row[f"gap_{name}"] = (w * pers * (value - inc))[poor].sum()
        rows.append(row)
    return rows


def distribution_tables(summaries: Sequence[tuple[str, int, str, pd.DataFrame]], baseline: str,
                        relative_line: float = RELATIVE_LINE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The decile and poverty tables from (variant, replication, locality, household summary)."""
    by = {(v, r, loc): s for v, r, loc, s in summaries}
    deciles, poverty = [], []
    for (variant, rep, loc), s in by.items():
        base = by.get((baseline, rep, loc))
        if variant == baseline or base is None:
            continue
        keys = {"replication": rep, "locality": loc}
        deciles += [{**row, **keys} for row in _decile_rows(base, s, variant)]
        poverty += [{**row, **keys} for row in _poverty_rows(base, s, variant, relative_line)]
    if not deciles:
        return pd.DataFrame(columns=DECILE_COLUMNS), pd.DataFrame(columns=POVERTY_COLUMNS)
    d = pd.DataFrame(deciles)
    # sum over localities, then the mean over replications (linear: the deciles still add up)
    d = d.groupby(["variant", "replication", "population", "decile"], as_index=False, sort=False).sum(numeric_only=True)
    d = d.groupby(["variant", "population", "decile"], as_index=False, sort=False).mean(numeric_only=True)
    d["mean_change"] = np.where(d["households"] > 0, d["change_weighted"] / d["households"].where(d["households"] > 0, 1), 0.0)
    p = pd.DataFrame(poverty)
    p = p.groupby(["variant", "replication", "line"], as_index=False, sort=False).agg(
        line_value=("line_value", "mean"), persons=("persons", "sum"), headcount_before=("headcount_before", "sum"),
        headcount_after=("headcount_after", "sum"), gap_before=("gap_before", "sum"), gap_after=("gap_after", "sum"))
    p = p.groupby(["variant", "line"], as_index=False, sort=False).mean(numeric_only=True)
    p["rate_before"] = p["headcount_before"] / p["persons"]
    p["rate_after"] = p["headcount_after"] / p["persons"]
    return d[DECILE_COLUMNS], p[POVERTY_COLUMNS]


def distribution_lines(deciles: pd.DataFrame, poverty: pd.DataFrame, relative_line: float) -> list[str]:
    """The distribution for the terminal summary."""
    lines = ["Distribution (engine, every household; mean monthly payment over the horizon, reform minus baseline "
             "on the same draws; mean over replications)"]
    for variant, grp in deciles.groupby("variant", sort=False):
        for population, label in (("recipients", "actual recipients (paid in either run)"), ("households", "all households")):
            g = grp[grp["population"] == population]
            n, win, lose = g["households"].sum(), g["winners"].sum(), g["losers"].sum()
            mean = (g["mean_change"] * g["households"]).sum() / n if n > 0 else 0.0
            lines.append(f"  {variant}: {label}: {n:,.0f} households, {win:,.0f} gain, {lose:,.0f} lose "
                         f"({g['losers_fewer_months'].sum():,.0f} paid for fewer months, "
                         f"{g['losers_lower_amount'].sum():,.0f} paid less while paid), mean change {mean:+,.1f} yuan/month")
        h = grp[grp["population"] == "households"].sort_values("decile")
        lines.append(f"  {variant}: mean change by income decile (1 = poorest), yuan/month per household: "
                     + ", ".join(f"{int(r.decile)}: {r.mean_change:+,.1f}" for r in h.itertuples(index=False)))
    for r in poverty.itertuples(index=False):
        name = "dibao standard" if r.line == "dibao_standard" else f"relative line ({relative_line:.0%} of median)"
        lines.append(f"  {r.variant}: below the {name} ({r.line_value:,.0f} yuan/person/month), last month: "
                     f"{r.headcount_before:,.0f} → {r.headcount_after:,.0f} persons ({r.rate_before:.2%} → "
                     f"{r.rate_after:.2%}), gap {r.gap_before / 1e4:,.1f} → {r.gap_after / 1e4:,.1f} 万元/month")
    return lines
