"""Tables a scenario reports, computed from the engine's monthly tables (docs/contracts.md §5).

Input: the concatenated monthly tables of every run, with the run keys ``variant``,
``replication`` and ``locality`` added. Money is yuan per month in the engine table, so a year's
cost is the sum over its months; persons and households are stocks, so a year's figure is the mean
over its months. Bands are P10/P50/P90 over replications; a reform's difference from the baseline
is taken replication by replication (the runs share their random draws), then banded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from simulation.rules.special import PROGRAMMES as SPECIAL

RUN_KEYS = ["variant", "replication", "locality"]
#: ``offices_from`` of a staffing row (``runner._staffing_tables``): the offices of an engine run
#: staffed at the ratio (with the queue's feedback on payments), or the office model replayed on
#: the work of the variant's own run with the ratio's staff (its payments as that run had them).
FROM_ENGINE = "engine run at this ratio"
FROM_REPLAY = "replay of the variant's own run (payments as run)"
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


def month_index(month: pd.Series) -> pd.PeriodIndex:
    """A month column (``YYYY-MM`` strings, dates or periods) as monthly periods, the distinct
    values parsed once: a scenario's monthly table has over a million rows and 36 months, and
    pandas parses a ``PeriodIndex`` of strings row by row (18 s for 1.3 million). A value that is
    not a month raises ``ValueError`` (``reporting.tables.month_periods`` names it)."""
    codes, months = pd.factorize(month.astype(str))
    return pd.PeriodIndex(pd.to_datetime(pd.Series(months, name=month.name), format="mixed"), freq="M")[codes]


def month_years(month: pd.Series) -> pd.Series:
    """The calendar year of each month (:func:`month_index`), named ``year``."""
    return pd.Series(np.asarray(month_index(month).year, dtype=np.int64), index=month.index, name="year")


def component_names(programme: pd.Series, part: str) -> pd.Series:
    """``<programme>.<part>``, or just ``<programme>`` when the part only repeats its name
    (``single_inclusion`` / ``single``, ``funeral`` / ``funeral``, ``price_linkage`` / ``price``).
    Named once per distinct programme, not per row."""
    prog = programme.astype(str)
    codes, names = pd.factorize(prog)  # no missing values after astype(str): no code -1
    named = [p if p == part or p.startswith(part + "_") else f"{p}.{part}" for p in names]
    # the names in the column's own dtype, then taken per row (an array of the column's dtype
    # built from one Python string per row was most of the time)
    return pd.Series(pd.array(named, dtype=prog.dtype).take(codes), index=prog.index, name=prog.name)


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
    base["year"] = month_years(monthly["month"])
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
    t["year"] = month_years(t["month"])
    per_month = t.groupby(RUN_KEYS + ["month", "year", *by], as_index=False, observed=True)[value].sum()
    return per_month.groupby(RUN_KEYS + ["year", *by], as_index=False, observed=True)[value].mean()


# --- cost by programme group: special assistance beside dibao and tekun ------------------------

#: Programme groups of the summary (programmes of the monthly table): special assistance 专项救助
#: (engine.outputs.SPECIAL_PROGRAMMES) beside the basic assistance it follows.
SPECIAL_PROGRAMMES = SPECIAL
PROGRAMME_GROUPS: dict[str, tuple[str, ...]] = {
    "dibao": ("dibao", "single_inclusion"),
    "tekun": ("tekun", "funeral"),
    "temporary": ("temporary",),
    "special": SPECIAL_PROGRAMMES,
    **{p: (p,) for p in SPECIAL_PROGRAMMES},
}


def group_bands(components: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Cost and extra cost over the whole horizon by programme group (:data:`PROGRAMME_GROUPS`):
    per replication summed, the reform's extra cost taken against the baseline in the same
    replication, then P10/P50/P90 over replications; ``extra_share_p50``: the median over
    replications of the group's share of the reform's whole extra cost (every component)."""
    per = components.groupby(["variant", "replication", "programme"], as_index=False,
                             observed=True)["cost"].sum()
    total = per.groupby(["variant", "replication"], as_index=False)["cost"].sum()
    total = total.merge(total[total["variant"] == baseline][["replication", "cost"]],
                        on="replication", suffixes=("", "_base"))
    total["extra_total"] = total["cost"] - total["cost_base"]
    rows = []
    for group, progs in PROGRAMME_GROUPS.items():
        g = per[per["programme"].isin(progs)].groupby(["variant", "replication"])["cost"].sum()
        g = g.reindex(pd.MultiIndex.from_frame(total[["variant", "replication"]]), fill_value=0.0)
        frame = total[["variant", "replication", "extra_total"]].assign(cost=g.to_numpy(), group=group)
        base = frame[frame["variant"] == baseline].set_index("replication")["cost"]
        frame["extra"] = frame["cost"] - frame["replication"].map(base).fillna(0.0)
        rows.append(frame)
    frame = pd.concat(rows, ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["share"] = np.where(frame["extra_total"] != 0, frame["extra"] / frame["extra_total"],
                                  np.nan)
    g = frame.groupby(["variant", "group"], sort=False)
    out = pd.DataFrame({f"{v}_{name}": g[v].quantile(q) for v in ("cost", "extra")
                        for name, q in QUANTILES.items()})
    out["extra_share_p50"] = g["share"].median()
    out["replications"] = g.size()
    return out.reset_index()


# --- the headline: cost and extra cost per year and for the whole horizon ----------------------

#: Replications drawn in the bootstrap that gives the Monte Carlo error of a band's quantiles.
BOOTSTRAP_DRAWS = 2000


def horizon_label(years: Sequence[int]) -> str:
    """The whole horizon's period label, e.g. ``2025–2027`` (one year: that year)."""
    lo, hi = min(years), max(years)
    return str(lo) if lo == hi else f"{lo}–{hi}"


def period_costs(cost_year: pd.DataFrame) -> pd.DataFrame:
    """Cost per variant, replication and period: each year (``"2025"``) and the whole horizon
    (:func:`horizon_label`), summed over every other key (components, localities) first."""
    per = cost_year.groupby(["variant", "replication", "year"], as_index=False, observed=True)["cost"].sum()
    years = per["year"].unique().tolist()
    whole = per.groupby(["variant", "replication"], as_index=False, sort=False)["cost"].sum().assign(
        period=horizon_label(years))
    per = per.assign(period=per["year"].astype(str)).drop(columns="year")
    # a one-year horizon is its year: no second row of the same period
    parts = [per, whole] if len(years) > 1 else [per]
    return pd.concat(parts, ignore_index=True)[["variant", "replication", "period", "cost"]]


def add_extra(per: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """``extra`` = cost minus the reference's cost in the same replication and period (the same
    population and draws). ``reference``: replication, period, cost (one variant)."""
    if reference.empty:
        raise SummaryError("cost table: no rows of the reference variant to take the difference from")
    ref = reference[["replication", "period", "cost"]].rename(columns={"cost": "reference"})
    out = per.merge(ref, on=["replication", "period"], how="left")
    out["extra"] = out["cost"] - out["reference"]
    return out.drop(columns="reference")[["variant", "replication", "period", "cost", "extra"]]


def replication_totals(cost_year: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Cost and extra cost per variant, replication and period, summed before any quantile.

    ``cost_year``: run keys, ``year`` and ``cost`` (yuan). ``extra`` is the variant's cost minus
    the baseline's in the same replication; the baseline's extra is 0.
    """
    per = period_costs(cost_year)
    return add_extra(per, per[per["variant"] == baseline])


def quantile_error(values: np.ndarray, q: float, draws: int = BOOTSTRAP_DRAWS) -> float:
    """Monte Carlo standard error of the ``q`` quantile of ``values`` (bootstrap over them).

    The generator's seed is fixed so that the same replications give the same error.
    """
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return float("nan")
    rng = np.random.default_rng(0)
    picks = values[rng.integers(0, values.size, size=(draws, values.size))]
    return float(np.quantile(picks, q, axis=1).std(ddof=1))


def headline(totals: pd.DataFrame) -> pd.DataFrame:
    """P10/P50/P90 and mean of cost and extra cost per variant and period, from
    :func:`replication_totals`, with the Monte Carlo standard error of each P10 and P90.

    The one table every output shows (summary, ``compare``, workbook, charts, notebooks).
    """
    rows = []
    for (variant, period), grp in totals.groupby(["variant", "period"], sort=False):
        row: dict[str, object] = {"variant": variant, "period": period, "replications": len(grp)}
        for value in ("cost", "extra"):
            v = grp[value].to_numpy(dtype=float)
            row[f"{value}_mean"] = float(v.mean())
            for name, q in QUANTILES.items():
                row[f"{value}_{name}"] = float(np.quantile(v, q))
            for name in ("p10", "p90"):
                row[f"{value}_{name}_se"] = quantile_error(v, QUANTILES[name])
        rows.append(row)
    out = pd.DataFrame(rows)
    # years first, then the whole horizon; variants in the scenario's order
    out["_whole"] = out["period"].str.len() > 4
    out = out.sort_values(["_whole", "period"], kind="stable").drop(columns="_whole")
    order = {v: i for i, v in enumerate(totals["variant"].unique())}
    return out.sort_values("variant", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def wan(yuan: float) -> str:
    """Yuan as 万元 (10,000 yuan) with one decimal and thousands separators."""
    return f"{yuan / 1e4:,.1f}"


def band_text(p50: float, p10: float, p90: float) -> str:
    """'P50 [P10–P90]' in 万元 with one decimal (the form every text output uses)."""
    return f"{wan(p50)} [{wan(p10)}–{wan(p90)}]"


def headline_text(head: pd.DataFrame, value: str) -> pd.DataFrame:
    """The headline's ``value`` (``cost`` or ``extra``) as 'P50 [P10–P90]' 万元 text: one row per
    variant, one column per period (for notebooks; the same text as the terminal summary)."""
    cells = head.assign(text=[band_text(getattr(r, f"{value}_p50"), getattr(r, f"{value}_p10"),
                                        getattr(r, f"{value}_p90")) for r in head.itertuples(index=False)])
    out = cells.pivot(index="variant", columns="period", values="text")
    out = out.reindex(index=list(dict.fromkeys(head["variant"])), columns=list(dict.fromkeys(head["period"])))
    out.columns.name = "万元: P50 [P10–P90]"
    return out


def year_bands(table: pd.DataFrame, value: str) -> pd.DataFrame:
    """The headline's yearly rows as a band table (variant, year, mean, p10, p50, p90,
    replications) of ``value`` (``cost`` or ``extra``), for charts and the older table names."""
    years = table[table["period"].str.len() == 4]
    out = years[["variant", "replications"]].assign(year=years["period"].astype(int))
    for name in ("mean", "p10", "p50", "p90"):
        out[name] = years[f"{value}_{name}"].to_numpy()
    return out[["variant", "year", "mean", "p10", "p50", "p90", "replications"]].reset_index(drop=True)


def with_headline(tables: Mapping[str, pd.DataFrame], baseline: str) -> dict[str, pd.DataFrame]:
    """The tables with ``replication_totals`` and ``headline``, computed from
    ``cost_year_component`` for results written before those tables existed."""
    out = dict(tables)
    if "replication_totals" not in out:
        out["replication_totals"] = replication_totals(out["cost_year_component"], baseline)
    if "headline" not in out:
        out["headline"] = headline(out["replication_totals"])
    return out


def baseline_of(manifest: Mapping[str, object]) -> str:
    """The baseline variant's name recorded in a run's manifest (its first variant)."""
    variants = manifest.get("variants") or [{}]
    return str(variants[0].get("name", "baseline"))  # type: ignore[index, union-attr]
