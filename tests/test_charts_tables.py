"""The notebook tables on hand-made inputs: staffing by township, office queue, bulletin comparison."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulation.reporting import tables
from simulation.reporting.tables import (
    TableError,
    bulletin_comparison,
    engine_targets,
    offices_by_township,
    staffing_by_township,
    township_queue,
)


def monthly_rows() -> pd.DataFrame:
    rows = []
    for month in ("2025-01", "2025-02"):
        for township in (0, 1):
            for programme in ("dibao", "temporary"):
                rows.append({"month": month, "township": township, "area": "urban", "programme": programme,
                             "persons": 100.0, "households": 50.0, "payment": 1e4,
                             "applications": 10.0 if programme == "dibao" else 0.0,
                             "reviews": 20.0 if programme == "dibao" else 0.0,
                             "entries": 4.0 if programme == "temporary" else 1.0,
                             "decisions": 8.0 * (township + 1) if programme == "dibao" else 0.0,
                             "days_to_decision_mean": (10.0 if month == "2025-01" else 20.0)
                             if programme == "dibao" else np.nan,
                             "days_to_decision_p90": 30.0 if programme == "dibao" else np.nan,
                             "pending": 3.0 * (township + 1)})
    return pd.DataFrame(rows)


def test_staffing_by_township_rule_and_the_staff_the_office_model_needs() -> None:
    from simulation.admin.offices import late_share, office_parameters, replay
    from simulation.policy import load_policy

    rule = pd.DataFrame({"month": ["2025-02"] * 4 + ["2025-01"] * 2, "ratio": [0.002, 0.004] * 3,
                         "township_name": ["street 1", "street 1", "town 1", "town 1", "street 1", "street 1"],
                         "staff": [2, 3, 4, 7, 99, 99]})
    policy = load_policy("qijiang")
    p = office_parameters(policy.at("2025-01-01"))
    # each township: a month of three staff's work in applications, every month
    apps = 3 * p.casework_hours / p.hours_per_application
    offices = pd.DataFrame({
        "month": ["2025-01", "2025-02"] * 2, "township": [0, 0, 1, 1],
        "township_name": ["street 1", "street 1", "town 1", "town 1"], "townships": 1,
        "recipients": 500.0, "staff": 2.0, "applications": [apps, apps, 2 * apps, 2 * apps],
        "reviews_falling_due": 0.0, "reports_handled": 0.0, "temporary_cases": 0.0, "villages": 0.0})
    params_at = lambda m: policy.at(f"{m}-01")  # noqa: E731
    staff = staffing_by_township(rule, offices, params_at)
    assert staff.loc["street 1", "staff_ratio_2"] == 2 and staff.loc["town 1", "staff_ratio_4"] == 7  # last month only
    # the least staff with at most 5% of the work late: three for three staff's work, six for six
    needed = staff["staff_needed"]
    for town, n in needed.items():
        grp = offices[offices["township_name"] == town]
        late = [late_share(replay(grp, params_at, staff={grp["township"].iloc[0]: k}), 0.0) for k in (n - 1, n)]
        assert late[1] <= 0.05 < late[0]
    assert needed["street 1"] < needed["town 1"]


def test_township_queue_weights_days_by_decisions_and_skips_months_without_any() -> None:
    queue = township_queue(monthly_rows())
    assert queue.loc[0, "days_to_decision"] == pytest.approx(15.0)  # (8×10 + 8×20) / 16
    assert queue.loc[1, "days_to_decision_p90"] == pytest.approx(30.0)
    assert queue.loc[1, "backlog"] == pytest.approx(12.0)  # pending 6 per row, 2 rows a month
    quiet = monthly_rows()
    quiet.loc[quiet["township"] == 1, "decisions"] = 0.0
    assert math.isnan(township_queue(quiet).loc[1, "days_to_decision"])  # no decisions: no days
    offices = pd.DataFrame({"month": ["2025-01", "2025-02"] * 2, "township": [0, 0, 1, 1],
                            "backlog": [1.0, 3.0, 5.0, 7.0]})
    assert township_queue(monthly_rows(), offices).loc[1, "backlog"] == pytest.approx(6.0)


def test_township_queue_names_missing_days_where_decisions_were_made() -> None:
    bad = monthly_rows()
    bad.loc[0, "days_to_decision_mean"] = np.nan
    with pytest.raises(TableError, match="'days_to_decision_mean' is missing where decisions > 0, first at row 0"):
        township_queue(bad)


def test_offices_by_township_weights_days_by_decisions_and_takes_the_last_month() -> None:
    offices = pd.DataFrame({
        "month": ["2025-01", "2025-02", "2025-01", "2025-02"],
        "township_name": ["古南街道", "古南街道", "东溪镇", "东溪镇"],
        "staff": [3.0, 4.0, 2.0, 2.0], "decided": [10.0, 30.0, 0.0, 0.0],
        "days_to_decision": [20.0, 40.0, np.nan, np.nan], "decisions_late": [0.0, 6.0, 0.0, 0.0],
        "backlog": [5.0, 1.0, 2.0, 3.0], "reviews_late": [1.0, 2.0, 0.0, 4.0],
        "deadline_days": [30.0] * 4,
    })
    out = offices_by_township(offices)
    assert out.index.tolist() == ["古南街道", "东溪镇"]  # the table's order
    town = out.loc["古南街道"]
    assert town["days_to_decision"] == pytest.approx((10 * 20 + 30 * 40) / 40)  # weighted by decisions
    assert town["late_share"] == pytest.approx(6 / 40)
    assert (town["staff"], town["backlog_end"], town["reviews_late"]) == (4.0, 1.0, 2.0)  # the last month's
    assert math.isnan(out.loc["东溪镇", "days_to_decision"])  # decided nothing: no days
    assert out.loc["东溪镇", "reviews_late"] == 4.0  # a stock: overdue at the end, not summed over months


def test_engine_targets_and_bulletin_comparison() -> None:
    m = monthly_rows()
    m.loc[m["programme"] == "temporary", "programme"] = "tekun"
    got = engine_targets(m, "2025-02", {"urban": 500.0, "rural": 400.0})
    assert got["dibao_persons.urban"] == 200.0 and got["tekun_persons.urban"] == 200.0
    assert got["dibao_payment_share.urban"] == pytest.approx(2e4 / 200 / 500)
    assert math.isnan(got["dibao_payment_share.rural"])
    static = pd.DataFrame({"simulated": [150.0]}, index=["dibao_persons.urban"])
    table = bulletin_comparison(static, got, {"dibao_persons.urban": 250.0})
    row = table.iloc[0]
    assert (row["label_zh"], row["published"], row["static"], row["model"]) == ("城市低保人数", 250.0, 150.0, 200.0)
    assert row["gap_pct"] == pytest.approx(-20.0)
    with pytest.raises(TableError, match="no rows for month '2030-01'"):
        engine_targets(m, "2030-01", {"urban": 1.0, "rural": 1.0})


def test_care_tier_demand_prices_the_package_for_recipients_needing_care() -> None:
    from simulation.admin.services import package_cost_per_person_month
    from simulation.policy import load_policy
    from simulation.population import generate, load_profile
    from simulation.reporting.tables import care_tier_demand

    policy = load_policy("qijiang")
    population = generate(load_profile("qijiang"), n_households=1500, seed=3)
    demand = care_tier_demand(population, policy, "2025-01")
    assert list(demand.index) == ["partial", "full"]
    assert 0.0 < demand.attrs["care_share"] < 1.0
    assert demand["persons"].sum() > 0
    yearly = demand.drop(columns="persons").sum(axis=1)
    per_person = package_cost_per_person_month(policy.at("2025-01-01")) * 12
    assert np.allclose(yearly, demand["persons"] * per_person)


def test_monthly_by_is_the_pivot_of_the_monthly_table() -> None:
    """monthly_by sums a value by month and programme (or township): the pivot table with zeros
    where a month has no row of a programme, the same sums to the last bit."""
    rng = np.random.default_rng(3)
    n = 600
    monthly = pd.DataFrame({
        "month": rng.choice(["2025-01", "2025-02", "2025-03", "2026-01"], n),
        "programme": rng.choice(["dibao", "tekun", "temporary"], n),
        "township": rng.integers(0, 7, n).astype(np.int32),
        "payment": rng.lognormal(5.0, 2.0, n)})
    monthly = monthly[~((monthly["month"] == "2025-02") & (monthly["programme"] == "tekun"))]
    for by in ("programme", "township"):
        frame = monthly.assign(month=tables.month_periods(monthly["month"]))
        expected = frame.pivot_table(index="month", columns=by, values="payment", aggfunc="sum", fill_value=0.0)
        expected.columns.name = by
        pd.testing.assert_frame_equal(tables.monthly_by(monthly, by=by), expected.sort_index(), check_exact=True)
    assert tables.monthly_by(monthly).loc[pd.Period("2025-02", "M"), "tekun"] == 0.0
