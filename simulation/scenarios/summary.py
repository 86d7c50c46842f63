"""Tables a scenario reports, computed from the engine's monthly tables (docs/contracts.md §5).

Input: the concatenated monthly tables of every run, with the run keys ``variant``,
``replication`` and ``locality`` added. Money is yuan per month in the engine table, so a year's
cost is the sum over its months; persons and households are stocks, so a year's figure is the mean
over its months. Bands are P10/P50/P90 over replications; a reform's difference from the baseline
is taken replication by replication (the runs share their random draws), then banded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

RUN_KEYS = ["variant", "replication", "locality"]
#: Columns a monthly table must have for the cost and coverage tables.
REQUIRED = ["month", "township", "area", "programme", "persons", "households", "payment"]
#: Programmes whose recipients are assistance recipients (社会救助对象) for staffing and coverage.
RECIPIENT_PROGRAMMES = ("dibao", "single_inclusion", "tekun")
QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}


class SummaryError(ValueError):
    """A monthly table that lacks what a summary needs; names the table and the columns."""


def check_monthly(monthly: pd.DataFrame, source: str = "monthly") -> None:
    """Raise SummaryError naming missing columns or non-finite payments."""
    missing = [c for c in REQUIRED + RUN_KEYS if c not in monthly.columns]
    if missing:
        raise SummaryError(f"{source}: missing column(s) {missing}")
    pay = pd.to_numeric(monthly["payment"], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(pay))
    if bad.size:
        raise SummaryError(f"{source}: column 'payment' has {bad.size} missing/non-numeric value(s), "
                           f"first at row {monthly.index[bad[0]]!r} (value {monthly['payment'].iloc[bad[0]]!r})")


def _year(month: pd.Series) -> pd.Series:
    return pd.Series(pd.PeriodIndex(month.astype(str), freq="M").year, index=month.index, name="year")


def component_names(programme: pd.Series, part: str) -> pd.Series:
    """``<programme>.<part>``, or just ``<programme>`` when the part only repeats its name
    (``single_inclusion`` / ``single``, ``funeral`` / ``funeral``, ``price_linkage`` / ``price``)."""
    prog = programme.astype(str)
    same = prog.map(lambda p: p == part or p.startswith(part + "_"))
    return prog.where(same, prog + "." + part)


def cost_components(monthly: pd.DataFrame) -> pd.DataFrame:
    """Long table of cost by component: run keys, month, year, township, area, component, cost.

    A programme's ``payment_<part>`` columns split it (e.g. dibao gap and supplements, tekun basic
    and care) into components named ``<programme>.<part>``; whatever of ``payment`` the parts do
    not cover stays as ``<programme>`` so that components always add up to the total.
    """
    check_monthly(monthly)
    parts = [c for c in monthly.columns if c.startswith("payment_")]
    keys = RUN_KEYS + ["month", "township", "area", "programme"]
    base = monthly[keys].copy()
    base["year"] = _year(monthly["month"])
    frames = []
    covered = np.zeros(len(monthly))
    for col in parts:
        vals = pd.to_numeric(monthly[col], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        covered += vals
        f = base.copy()
        f["component"] = component_names(monthly["programme"], col[len("payment_"):])
        f["cost"] = vals
        frames.append(f[vals != 0])
    rest = monthly["payment"].to_numpy(dtype=float) - covered
    f = base.copy()
    f["component"] = monthly["programme"].astype(str)
    f["cost"] = rest
    frames.append(f[np.abs(rest) > 1e-6 * np.maximum(1.0, np.abs(monthly["payment"].to_numpy(dtype=float)))])
    out = pd.concat(frames, ignore_index=True)
    return out[RUN_KEYS + ["month", "year", "township", "area", "programme", "component", "cost"]]


def add_admin_costs(components: pd.DataFrame, admin: pd.DataFrame) -> pd.DataFrame:
    """Append purchased-services and staff costs (rows with the same columns) to the components."""
    if admin.empty:
        return components
    cols = list(components.columns)
    missing = [c for c in cols if c not in admin.columns]
    if missing:
        raise SummaryError(f"admin costs: missing column(s) {missing}")
    return pd.concat([components, admin[cols]], ignore_index=True)


def cost_by(components: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Sum cost (yuan) by run keys and ``by`` (e.g. ``["year", "component"]``)."""
    return components.groupby(RUN_KEYS + list(by), as_index=False, observed=True)["cost"].sum()


def bands(table: pd.DataFrame, by: Sequence[str], value: str) -> pd.DataFrame:
    """P10/P50/P90 (and mean) of ``value`` over replications, by variant and ``by``.

    Rows first summed over localities (a sharded run adds up), then quantiles over replications.
    """
    summed = table.groupby(["variant", "replication", *by], as_index=False, observed=True)[value].sum()
    g = summed.groupby(["variant", *by], observed=True)[value]
    out = g.mean().rename("mean").to_frame()
    for name, q in QUANTILES.items():
        out[name] = g.quantile(q)
    out["replications"] = g.count()
    return out.reset_index()


def differences(table: pd.DataFrame, by: Sequence[str], value: str, baseline: str) -> pd.DataFrame:
    """Each reform minus the baseline, replication by replication (same draws), by ``by``."""
    keys = ["replication", "locality", *by]
    summed = table.groupby(["variant", *keys], as_index=False, observed=True)[value].sum()
    base = summed[summed["variant"] == baseline].drop(columns="variant")
    rest = summed[summed["variant"] != baseline]
    merged = rest.merge(base, on=keys, how="left", suffixes=("", "_baseline"))
    merged[value] = merged[value] - merged[f"{value}_baseline"].fillna(0.0)
    return merged.drop(columns=f"{value}_baseline")


def coverage(monthly: pd.DataFrame, population_persons: pd.DataFrame) -> pd.DataFrame:
    """Recipients per month and programme, with their share of the resident population.

    ``population_persons``: run keys plus ``persons`` (the weighted resident population). Extra
    columns of the engine table that describe gaps (``pending`` = applied and waiting,
    ``eligible_not_receiving``, ``receiving_not_eligible`` when present) are summed alongside.
    """
    check_monthly(monthly)
    extra = [c for c in ("pending", "in_gradual_exit", "eligible_not_receiving", "receiving_not_eligible",
                         "entries", "applications", "decisions", "decisions_late", "reviews")
             if c in monthly.columns]
    extra += [c for c in monthly.columns if c.startswith("exits_")]
    cov = monthly.groupby(RUN_KEYS + ["month", "programme"], as_index=False, observed=True)[
        ["persons", "households", *extra]].sum()
    cov = cov.merge(population_persons[RUN_KEYS + ["persons"]].rename(columns={"persons": "population"}),
                    on=RUN_KEYS, how="left")
    cov["share_of_population"] = cov["persons"] / cov["population"]
    return cov


def recipients_by_township(monthly: pd.DataFrame,
                           programmes: Sequence[str] = RECIPIENT_PROGRAMMES) -> pd.DataFrame:
    """Assistance recipients (persons) per run, month and township, over the given programmes."""
    sel = monthly[monthly["programme"].isin(programmes)]
    return sel.groupby(RUN_KEYS + ["month", "township"], as_index=False, observed=True)["persons"].sum()


def stock_by_year(table: pd.DataFrame, value: str, by: Sequence[str]) -> pd.DataFrame:
    """Yearly mean of a monthly stock (persons, staff) by run keys, year and ``by``."""
    t = table.copy()
    t["year"] = _year(t["month"])
    per_month = t.groupby(RUN_KEYS + ["month", "year", *by], as_index=False, observed=True)[value].sum()
    return per_month.groupby(RUN_KEYS + ["year", *by], as_index=False, observed=True)[value].mean()
