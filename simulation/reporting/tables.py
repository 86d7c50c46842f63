"""Tables for charts and reports, computed from the engine's monthly table (docs/contracts.md §5).

Money in the monthly table is yuan per month, weighted to the locality's population; the tables
here sum it to years (yuan per year) or keep months. Persons and households are stocks: a year's
figure is the December (last month present) value, not a sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulation.scenarios.summary import month_index


class TableError(ValueError):
    """A table handed to the reporting layer lacks a column or holds a bad value."""


def require_columns(df: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    """Raise :class:`TableError` naming ``source`` and every missing column."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise TableError(
            f"{source}: missing column(s) {missing}; present: {list(df.columns)}"
        )


def month_periods(values: pd.Series, source: str = "monthly") -> pd.PeriodIndex:
    """The ``month`` column as monthly periods; a value that is not a month raises, naming it."""
    if isinstance(values.dtype, pd.PeriodDtype):
        return pd.PeriodIndex(values).asfreq("M")
    try:
        return month_index(values)
    except (ValueError, TypeError) as exc:
        bad = next((v for v in values if pd.isna(pd.to_datetime(str(v), errors="coerce"))), None)
        raise TableError(f"{source}: column 'month' holds {bad!r}, which is not a month") from exc


def _numeric(df: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """Column as float; NaN or non-numbers raise, naming the first bad row."""
    try:
        values = pd.to_numeric(df[column], errors="raise").to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise TableError(f"{source}: column {column!r} is not numeric ({exc})") from exc
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        row = df.index[bad[0]]
        raise TableError(
            f"{source}: column {column!r} has {bad.size} missing/infinite value(s), first at row {row!r}"
        )
    return values


def monthly_by(
    monthly: pd.DataFrame, value: str = "payment", by: str = "programme", source: str = "monthly"
) -> pd.DataFrame:
    """Sum ``value`` over townships and areas: index month (Period), one column per ``by`` value."""
    require_columns(monthly, ["month", by, value], source)
    frame = pd.DataFrame(
        {"month": month_periods(monthly["month"], source), by: monthly[by].to_numpy(),
         value: _numeric(monthly, value, source)}
    )
    # what pivot_table(aggfunc="sum", fill_value=0.0) gives, the same sums, in half its time
    table = frame.groupby(["month", by])[value].sum().unstack(by, fill_value=0.0)
    table.columns.name = by
    return table.sort_index()


def annual_by(
    monthly: pd.DataFrame, value: str = "payment", by: str = "programme", source: str = "monthly",
    how: str = "sum",
) -> pd.DataFrame:
    """Yuan per year: ``value`` summed over months of each calendar year, one column per ``by``.

    ``how="last"`` takes the last month present in each year instead (for stocks).
    """
    table = monthly_by(monthly, value, by, source)
    return table.groupby(pd.Index(table.index.year, name="year")).agg(how)


def stock_by_year(
    monthly: pd.DataFrame, value: str = "persons", by: str = "programme", source: str = "monthly"
) -> pd.DataFrame:
    """A stock (persons, households) at the last month present in each year, one column per ``by``."""
    return annual_by(monthly, value, by, source, how="last")


def payment_components(monthly: pd.DataFrame) -> list[str]:
    """The ``payment_<component>`` columns of a monthly table, in table order."""
    return [c for c in monthly.columns if c.startswith("payment_")]


def annual_components(monthly: pd.DataFrame, source: str = "monthly") -> pd.DataFrame:
    """Yuan per year by payment component (the ``payment_<component>`` columns), index year."""
    comps = payment_components(monthly)
    if not comps:
        raise TableError(f"{source}: no payment_<component> columns; present: {list(monthly.columns)}")
    require_columns(monthly, ["month"], source)
    frame = pd.DataFrame({c.removeprefix("payment_"): _numeric(monthly, c, source) for c in comps})
    frame.index = pd.Index(month_periods(monthly["month"], source).year, name="year")
    return frame.groupby(level="year").sum()


def quantile_bands(
    per_replication: pd.DataFrame,
    keys: Sequence[str],
    value: str,
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    source: str = "replications",
) -> pd.DataFrame:
    """P10/P50/P90 (or other quantiles) of ``value`` across replications, per ``keys``.

    ``per_replication`` has one row per replication × keys (e.g. replication, year). Returns one
    row per keys with columns ``p10``, ``p50``, ``p90`` (named by percent).
    """
    require_columns(per_replication, [*keys, value], source)
    for q in quantiles:
        if not 0.0 <= q <= 1.0:
            raise TableError(f"{source}: quantile {q!r} is outside 0..1")
    values = per_replication[[*keys]].copy()
    values[value] = _numeric(per_replication, value, source)
    grouped = values.groupby(list(keys))[value]
    out = pd.DataFrame({f"p{round(q * 100)}": grouped.quantile(q) for q in quantiles})
    out["replications"] = grouped.size()
    return out.reset_index()


# --- tables for the notebooks (purchased services, staffing, calibration) ------------------------

#: self-care value of a person -> care tier label key (labels.LABELS)
CARE_TIERS: dict[str, str] = {"partial": "partial", "unable": "full"}
"""``self_care`` value -> care tier label of the tables and charts."""


def care_need(population: Any, policy: Any, month: str) -> pd.DataFrame:
    """Recipients needing the purchased-service package, by care tier, at ``month`` (weighted persons).

    Who needs it is :func:`simulation.admin.services.care_needs` (dispersed tekun persons and dibao
    members or persons included alone who partly or fully cannot look after themselves; lanzhou
    二(二)), the same selection the scenario runner prices. Returns index tier (``partial``,
    ``full``) and a ``persons`` column; ``attrs["care_share"]`` is their share of all recipients.
    """
    from simulation.admin.services import care_needs

    require_columns(population.persons, ["household_id", "self_care", "care_wish"], "population.persons")
    needs = care_needs(population, policy, month)
    tier = needs["tier"].map(CARE_TIERS)
    counts = needs["weight"].groupby(tier).sum().reindex(list(CARE_TIERS.values()), fill_value=0.0)
    out = pd.DataFrame({"persons": counts.astype(float)})
    out.index.name = "care_tier"
    total = sum(needs.attrs["recipients"].values())
    out.attrs["care_share"] = float(counts.sum()) / total if total > 0 else 0.0
    return out


def care_tier_demand(population: Any, policy: Any, month: str) -> pd.DataFrame:
    """Purchased-service demand (yuan per year) by care tier among recipients at ``month``.

    :func:`care_need` plus one column per service item: persons × unit cost × times per month × 12
    (``services.unit_cost.*``, ``services.frequency.*``).
    """
    from simulation.admin.services import SERVICE_ITEMS

    params = policy.at(f"{month}-01")
    out = care_need(population, policy, month)
    for item in SERVICE_ITEMS:
        per_person = float(params[f"services.unit_cost.{item}"]) * float(params[f"services.frequency.{item}"])
        out[item] = out["persons"] * per_person * 12.0
    return out


def staffing_by_township(staffing_rule: pd.DataFrame, offices: pd.DataFrame, params_at: Any,
                         tolerance: float = 0.05) -> pd.DataFrame:
    """Staff per township (by name): by the ratio rule in the last month, and the least staff
    with which the township's work is done in time (``simulation.admin.offices.staff_needed``:
    the office model replayed on the engine's recorded work, at most ``tolerance`` of it late).

    ``staffing_rule``: the scenario table (month, ratio, township_name, staff; first variant and
    replication used); ``offices``: one engine run's offices table; ``params_at``: month →
    policy parameters in force. Columns ``staff_ratio_<‰>`` (e.g. ``staff_ratio_3``) and
    ``staff_needed``.
    """
    from simulation.admin.offices import staff_needed

    require_columns(staffing_rule, ["month", "ratio", "township_name", "staff"], "staffing_rule")
    rule = staffing_rule
    for key in ("variant", "replication", "locality"):
        if key in rule.columns:
            rule = rule[rule[key] == rule[key].iloc[0]]
    rule = rule[rule["month"].astype(str) == str(rule["month"].astype(str).max())]
    out = rule.pivot_table(index="township_name", columns="ratio", values="staff", aggfunc="sum", sort=False)
    out.columns = [f"staff_ratio_{round(r * 1000, 6):g}" for r in out.columns]
    out["staff_needed"] = staff_needed(offices, params_at, tolerance).reindex(out.index)
    out.index.name = "township"
    return out


def offices_by_township(offices: pd.DataFrame) -> pd.DataFrame:
    """An offices table (the engine's, or ``simulation.admin.offices.replay`` of it) summed up per
    township over the horizon, in the order of the table: staff in the last month, mean days to
    decision (weighted by the month's decisions; NaN for a township that decided nothing), the
    share of decisions made after the deadline, the applications waiting at the end, the reviews
    overdue at the end (``reviews_late`` is a month's stock of reviews waiting past their month,
    so it is read in the last month, not summed) and the deadline (calendar days, as the days to
    decision).
    """
    require_columns(offices, ["month", "township_name", "staff", "decided", "days_to_decision",
                              "decisions_late", "backlog", "reviews_late", "deadline_days"], "offices")
    o = offices.assign(month=offices["month"].astype(str))
    decided = _numeric(o, "decided", "offices")
    days = pd.to_numeric(o["days_to_decision"], errors="raise").to_numpy(float)
    o = o.assign(days_x=np.where(decided > 0, days, 0.0) * decided)
    last = o[o["month"] == o["month"].max()].set_index("township_name")
    g = o.groupby("township_name", sort=False)
    sums = g[["decided", "days_x", "decisions_late"]].sum()
    made = sums["decided"].where(sums["decided"] > 0)
    out = pd.DataFrame({
        "staff": last["staff"].reindex(sums.index),
        "days_to_decision": sums["days_x"] / made,
        "late_share": sums["decisions_late"] / made,
        "backlog_end": last["backlog"].reindex(sums.index),
        "reviews_late": last["reviews_late"].reindex(sums.index),
        "deadline_days": g["deadline_days"].last(),
    })
    out.index.name = "township"
    return out


def township_queue(monthly: pd.DataFrame, offices: pd.DataFrame | None = None) -> pd.DataFrame:
    """Backlog and days to decision per township over the horizon.

    Days come from the engine's monthly table (``days_to_decision_mean`` / ``_p90``), averaged
    with the month's ``decisions`` as weights; a row without decisions has no days (the engine
    writes NaN there) and so no weight, while a row with decisions and no days is an error. The
    P90 column is the decision-weighted mean of the monthly P90s; both are NaN for a township
    that decided nothing. The backlog is the mean of the engine's offices table when given, else of
    the ``pending`` applications.
    """
    require_columns(monthly, ["month", "township", "decisions", "days_to_decision_mean"], "monthly")
    m = monthly
    if "variant" in m.columns:
        m = m[m["variant"] == m["variant"].iloc[0]]
    weights = _numeric(m, "decisions", "monthly")
    decided = weights > 0
    frame = pd.DataFrame({"township": m["township"].to_numpy(), "w": weights})
    columns = {"days_to_decision": "days_to_decision_mean", "days_to_decision_p90": "days_to_decision_p90"}
    for name, column in columns.items():
        if column not in m.columns:
            continue
        days = pd.to_numeric(m[column], errors="raise").to_numpy(dtype=float)
        bad = np.flatnonzero(decided & ~np.isfinite(days))
        if bad.size:
            raise TableError(f"monthly: column {column!r} is missing where decisions > 0, first at row "
                             f"{m.index[bad[0]]!r}")
        frame[name] = np.where(decided, days, 0.0) * weights
    sums = frame.groupby("township").sum()
    w = sums.pop("w").where(lambda x: x > 0)
    out = sums.div(w, axis=0)  # NaN where a township decided nothing over the horizon
    if offices is not None and "backlog" in offices.columns:
        o = offices[offices["variant"] == offices["variant"].iloc[0]] if "variant" in offices.columns else offices
        out["backlog"] = o.groupby("township")["backlog"].mean().reindex(out.index, fill_value=0.0)
    else:
        require_columns(m, ["pending"], "monthly")
        out["backlog"] = m.groupby(["township", "month"])["pending"].sum().groupby(level=0).mean().reindex(
            out.index, fill_value=0.0)
    return out


#: calibration target -> (Chinese, English) label
TARGET_LABELS: dict[str, tuple[str, str]] = {
    "dibao_persons.urban": ("城市低保人数", "Urban dibao persons"),
    "dibao_households.urban": ("城市低保户数", "Urban dibao households"),
    "dibao_persons.rural": ("农村低保人数", "Rural dibao persons"),
    "dibao_households.rural": ("农村低保户数", "Rural dibao households"),
    "tekun_persons.urban": ("城市特困人数", "Urban tekun persons"),
    "tekun_persons.rural": ("农村特困人数", "Rural tekun persons"),
    "dibao_payment_share.urban": ("城市低保人均补助÷标准", "Urban dibao payment ÷ standard"),
    "dibao_payment_share.rural": ("农村低保人均补助÷标准", "Rural dibao payment ÷ standard"),
    "disabled_assisted_persons": ("困难残疾人生活补贴人数", "Disabled persons with the living subsidy"),
}


def engine_targets(monthly: pd.DataFrame, month: str, standards: Mapping[str, float]) -> dict[str, float]:
    """The calibration targets measured on an engine run at ``month`` (YYYY-MM).

    Dibao counts include single-person inclusions (they are dibao recipients); the payment share
    is dibao payment per dibao person ÷ the standard of the area (``standards``: urban, rural).
    """
    require_columns(monthly, ["month", "area", "programme", "persons", "households", "payment"], "monthly")
    at = monthly[month_periods(monthly["month"], "monthly") == pd.Period(month, "M")]
    if at.empty:
        raise TableError(f"monthly: no rows for month {month!r}")
    out: dict[str, float] = {}
    for area in ("urban", "rural"):
        a = at[at["area"] == area]
        dibao = a[a["programme"].isin(["dibao", "single_inclusion"])]
        persons = float(dibao["persons"].sum())
        out[f"dibao_persons.{area}"] = persons
        out[f"dibao_households.{area}"] = float(dibao["households"].sum())
        out[f"tekun_persons.{area}"] = float(a.loc[a["programme"] == "tekun", "persons"].sum())
        out[f"dibao_payment_share.{area}"] = (
            float(dibao["payment"].sum()) / persons / float(standards[area]) if persons else float("nan"))
    return out


def bulletin_comparison(static_report: pd.DataFrame, engine: Mapping[str, float],
                        targets: Mapping[str, float]) -> pd.DataFrame:
    """Published figures beside the calculator (static) and the engine run, one row per target.

    ``static_report``: ``simulation.population.calibrate.report_table`` output (index target name,
    column ``simulated``). Columns: ``target_name, label_zh, label_en, published, static, model``
    (``model`` = engine) and ``gap_pct`` (engine vs published).
    """
    require_columns(static_report, ["simulated"], "static_report")
    rows = []
    for name, published in targets.items():
        zh, en = TARGET_LABELS.get(name, (name, name))
        model = float(engine[name]) if name in engine else float("nan")
        rows.append({"target_name": name, "label_zh": zh, "label_en": en, "published": float(published),
                     "static": float(static_report.loc[name, "simulated"]), "model": model,
                     "gap_pct": 100.0 * (model - published) / published})
    return pd.DataFrame(rows)


def staffing_planner(offices: pd.DataFrame, params_at: Any, ratio: float, purchased_hours: float,
                     cap: pd.Series | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The planner's view of one engine run's offices with the staff of ``ratio`` and
    ``purchased_hours`` casework hours bought per township and month (the one office model,
    ``simulation.admin.offices.replay``): per township (by name) mean days to decision
    (calendar), the backlog at the end, decisions late and reviews that missed their month (each
    once); and lines saying the totals against the limit, the locality's review-method mix with
    each method's hours and the mean hours a review and, with ``cap``
    (a ``services_cap`` row), the cap headroom before and after the purchase (as the locality
    counts purchases)."""
    from simulation.admin.offices import (
        REVIEW_METHODS,
        office_parameters,
        replay,
        review_hours,
        review_mix,
    )

    run = replay(offices, params_at, ratio=ratio, purchased_hours=purchased_hours)
    run = run.assign(days_x=run["days_to_decision"].fillna(0.0) * run["decided"])
    last = run["month"] == run["month"].max()
    g = run.groupby("township_name", sort=False)
    decided = g["decided"].sum()
    town = pd.DataFrame({"days_to_decision": g["days_x"].sum() / decided.where(decided > 0),
                         "backlog": run[last].set_index("township_name")["backlog"],
                         "decisions_late": g["decisions_late"].sum(), "reviews_late": g["reviews_missed"].sum()})
    town.index.name = "township"
    first_month = str(run["month"].min())
    params = params_at(first_month)
    p = office_parameters(params)
    total = float(run["decided"].sum())
    lines = [f"staff {run[last]['staff'].sum():,.0f} at {ratio * 1000:g}‰ + {purchased_hours:,.0f} hours bought per "
             f"township a month: mean days to decision "
             f"{float(run['days_x'].sum()) / total if total else float('nan'):.1f} calendar days (limit "
             f"{p.deadline_days:.0f}: {params['admin.decision_deadline_days']} {params['admin.deadline_basis']} days), "
             f"decided late {float(run['decisions_late'].sum()) / total if total else 0.0:.1%}, "
             f"backlog at the end {float(run[last]['backlog'].sum()):,.0f}, reviews that missed their month "
             f"{float(run['reviews_missed'].sum()):,.0f}"]
    lines.append("(the office model replayed on the engine run's recorded work: its households and their "
                 "payments as that run had them; a scenario's staffing.ratios run the engine at each ratio)")
    mix, hours = review_mix(params), review_hours(params)
    lines.append("reviews by " + ", ".join(f"{m.replace('_', ' ')} {mix[m]:.0%} ({hours[m]:g} h)" for m in REVIEW_METHODS)
                 + f" (the locality's verification.method_share.*): {p.hours_review:.2f} office hours a review")
    if cap is not None:
        bought = purchased_hours * p.hour_cost * 12 * float(run[last]["townships"].sum())
        share = 1.0 if cap["cap_counts"] == "all" else float(params["services.subsidy_funded_share"])
        lines.append(f"casework bought {bought / 1e4:,.0f} 万元 a year; cap headroom {cap['headroom'] / 1e4:,.0f} → "
                     f"{(cap['headroom'] - share * bought) / 1e4:,.0f} 万元")
    return town, lines


def show_staffing_planner(offices: pd.DataFrame, params_at: Any, ratio: float, purchased_hours: float,
                          lang: str = "zh", cap: pd.Series | None = None) -> None:
    """Draw :func:`staffing_planner` in a notebook: backlog and days by township against the
    limit (calendar days), the lines, the table."""
    from IPython.display import display

    from simulation.admin.offices import office_parameters
    from simulation.reporting import charts

    town, lines = staffing_planner(offices, params_at, ratio, purchased_hours, cap)
    deadline = office_parameters(params_at(str(offices["month"].min()))).deadline_days
    charts.show(charts.backlog_chart(town, lang, deadline_days=deadline))  # type: ignore[arg-type]
    print("\n".join(lines))
    display(town.round(1))
