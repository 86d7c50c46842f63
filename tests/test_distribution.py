"""Distribution: winners and losers by income decile, poverty before and after; deciles add up."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from simulation.scenarios.distribution import distribution_tables, income_deciles
from simulation.scenarios.excel import SHEETS, write_excel
from simulation.scenarios.executors import make_executor
from simulation.scenarios.increase import parse_increase, with_increases
from simulation.scenarios.runner import run_scenario
from simulation.scenarios.scenario import load_scenario


@pytest.fixture(scope="module")
def result():
    sc = with_increases(load_scenario(), [parse_increase("10%")]).with_changes(
        households=1500, months=6, replications=2, coverage_gaps=False)
    with make_executor("serial") as ex:
        return run_scenario(sc, executor=ex, write=False, relative_line=0.4)


def test_deciles_add_up_to_the_total_difference(result):
    d = result.tables["distribution_deciles"]
    everyone = d[d["population"] == "households"]
    assert sorted(everyone["decile"]) == list(range(1, 11))
    m = result.tables["monthly"]
    paid = m[m["programme"].isin(["dibao", "single_inclusion", "tekun"])]
    per = paid.groupby(["variant", "replication"])["payment"].sum().unstack("variant")
    total = float((per["standard_plus_10pct"] - per["baseline"]).mean())
    assert total > 0
    assert everyone["change_total"].sum() == pytest.approx(total, rel=1e-6)
    # recipients are the households paid in either run: their change is all of it
    assert d[d["population"] == "recipients"]["change_total"].sum() == pytest.approx(total, rel=1e-6)
    # winners + losers + unchanged = households, in every decile
    assert np.allclose(everyone[["winners", "losers", "unchanged"]].sum(axis=1), everyone["households"])


def test_poverty_before_and_after_and_in_every_output(result, tmp_path):
    p = result.tables["distribution_poverty"].set_index("line")
    assert set(p.index) == {"dibao_standard", "relative"}
    assert (p["headcount_after"] <= p["headcount_before"] + 1e-6).all()  # a higher standard lifts, never sinks
    assert (p["gap_after"] <= p["gap_before"] + 1e-6).all()
    assert np.isfinite(p["line_value"]).all()
    text = result.summary_text()
    assert "mean change by income decile" in text and "relative line (40% of median)" in text
    path = write_excel(result.tables, result.manifest, tmp_path / "b.xlsx")
    rows = list(openpyxl.load_workbook(path)[SHEETS["distribution"]].iter_rows(values_only=True))
    assert rows[2][:3] == ("Variant", "Population", "Income decile")
    assert any(r[1] == "实际受助户 Actual recipients" for r in rows)


def test_income_deciles_weight_persons():
    income = np.array([1.0, 2.0, 3.0, 4.0])
    assert list(income_deciles(income, np.array([1.0, 1.0, 1.0, 1.0]))) == [1, 3, 6, 8]
    # one heavy poor household fills the first half of the persons
    assert list(income_deciles(income, np.array([3.0, 1.0, 1.0, 1.0]))) == [1, 6, 7, 9]


def _summary(paid: list[float], months_paid: list[int], income: list[float]) -> pd.DataFrame:
    n = len(paid)
    return pd.DataFrame({"paid_mean": paid, "months_paid": months_paid, "months": [12] * n,
                         "persons_start": [2.0] * n, "income_start": income, "persons_end": [2.0] * n,
                         "income_end": income, "paid_end": [p * 2 for p in paid], "standard_end": [500.0] * n,
                         "weight": [10.0] * n}, index=pd.Index(range(n), name="household_id"))


def test_winners_losers_and_why_a_household_loses():
    base = _summary([100.0, 100.0, 0.0, 0.0], [12, 12, 0, 0], [100.0, 200.0, 900.0, 1000.0])
    reform = _summary([150.0, 50.0, 0.0, 0.0], [12, 6, 0, 0], [100.0, 200.0, 900.0, 1000.0])
    d, p = distribution_tables([("baseline", 0, "x", base), ("reform", 0, "x", reform)], "baseline", 0.5)
    rec = d[d["population"] == "recipients"]
    assert rec["households"].sum() == 20 and rec["winners"].sum() == 10 and rec["losers"].sum() == 10
    assert rec["losers_fewer_months"].sum() == 10 and rec["losers_lower_amount"].sum() == 0
    assert d[d["population"] == "households"]["change_total"].sum() == pytest.approx(10 * (50 - 50) * 12)
    std = p.set_index("line").loc["dibao_standard"]
    # before: 100 + 100 = 200 and 200 + 100 = 300 per person are below 500; after the same two
    assert std["headcount_before"] == 40 and std["headcount_after"] == 40
    assert std["gap_before"] == pytest.approx(10 * 2 * (300 + 200))
    assert std["gap_after"] == pytest.approx(10 * 2 * (250 + 250))


def test_decile_chart_draws_both_populations_in_chinese(result):
    from simulation.reporting import charts

    d = result.tables["distribution_deciles"]
    fig = charts.decile_chart(d, "zh")
    ax = fig.axes[0]
    assert sum(len(c.get_paths()) for c in ax.collections) == 20 and "收入十分位" in ax.get_xlabel()
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"实际受助户", "全部家庭"}
