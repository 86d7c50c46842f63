"""Scenario tables from hand-made monthly tables, atomic results with a manifest, and Excel."""

from __future__ import annotations

import os

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scenarios.fixtures import PARAMS, monthly_table, outputs, policies, scenario

from simulation.scenarios import summary as S
from simulation.scenarios.excel import SHEETS, write_excel
from simulation.scenarios.results import (
    ResultsError,
    list_results,
    read_results,
    write_results,
)
from simulation.scenarios.runner import OFFICE_COMPONENTS, assemble


@pytest.fixture(scope="module")
def result():
    return assemble(scenario(), outputs(), policies())


def test_components_add_up_to_the_payment():
    m = monthly_table("baseline", 0, months=3)
    comp = S.cost_components(m)
    assert comp["cost"].sum() == pytest.approx(m["payment"].sum())
    dib = comp[comp["programme"] == "dibao"].groupby("component")["cost"].sum()
    assert set(dib.index) == {"dibao.gap", "dibao.supplement"}
    assert dib["dibao.gap"] == pytest.approx(4 * dib["dibao.supplement"])
    # a programme without parts stays whole
    assert set(comp[comp["programme"] == "temporary"]["component"]) == {"temporary"}


def test_missing_column_and_bad_payment_are_named():
    m = monthly_table("baseline", 0, months=1)
    with pytest.raises(S.SummaryError, match=r"missing column\(s\) \['persons'\]"):
        S.cost_components(m.drop(columns="persons"))
    m.loc[5, "payment"] = np.nan
    with pytest.raises(S.SummaryError, match="'payment'.*row 5"):
        S.cost_components(m)


def test_budget_includes_admin_costs_and_years_sum_months(result):
    cy = result.tables["cost_year_component"]
    assert {"staff", "purchased_services", "dibao.gap", "tekun.care", "funeral"} <= set(cy["component"])
    monthly = result.tables["monthly"]
    b0 = monthly[(monthly["variant"] == "baseline") & (monthly["replication"] == 0)]
    prog_2025 = b0[b0["month"].str.startswith("2025")]["payment"].sum()
    c = cy[(cy["variant"] == "baseline") & (cy["replication"] == 0) & (cy["year"] == 2025)]
    admin = [*OFFICE_COMPONENTS, "purchased_services"]
    assert c[~c["component"].isin(admin)]["cost"].sum() == pytest.approx(prog_2025)
    # staff at ratio_min (2‰) with 96,000 yuan a year: the offices' staff month by month, costed
    rule = result.tables["staffing_rule"]
    r = rule[(rule["variant"] == "baseline") & (rule["replication"] == 0) & (rule["year"] == 2025)
             & (rule["ratio"] == 0.002)]
    assert c[c["component"] == "staff"]["cost"].sum() == pytest.approx(r["staff_cost"].sum())
    # village assistants: 18 villages × 3 townships × one each at the allowance, every month
    assistants = c[c["component"] == "assistants"]["cost"].sum()
    assert assistants == pytest.approx(18 * 3 * 12 * float(PARAMS["admin.assistants.annual_cost"]) / 12)


def test_difference_is_paired_by_replication(result):
    cy = result.tables["cost_year_component"]
    diff = result.tables["difference_year_component"]
    for rep in range(3):
        tot = cy[cy["replication"] == rep].groupby("variant")["cost"].sum()
        d = diff[diff["replication"] == rep]["cost"].sum()
        assert d == pytest.approx(tot["plus5"] - tot["baseline"])


def test_bands_are_ordered_and_cover_replications(result):
    b = result.tables["cost_total_bands"]
    assert (b["replications"] == 3).all()
    assert (b["p10"] <= b["p50"]).all() and (b["p50"] <= b["p90"]).all() and (b["p10"] < b["p90"]).all()
    cpy = result.tables["cost_per_yuan"]
    # standard +37.5 urban, +30.5 rural: positive cost per yuan, the weighting is between the two
    assert ((cpy["standard_increase_weighted"] > 30.5) & (cpy["standard_increase_weighted"] < 37.5)).all()
    assert (cpy["cost_per_yuan_of_standard"] > 0).all()


def test_coverage_shares_and_cap(result):
    cov = result.tables["coverage_month"]
    assert np.allclose(cov["share_of_population"], cov["persons"] / 1_000_000.0)
    cap = result.tables["services_cap"]
    assert np.allclose(cap["cap"], cap["cap_base"] * 0.02)
    assert np.allclose(cap["headroom"], cap["cap"] - cap["counted_cost"])
    assert np.allclose(cap["counted_cost"], cap["cost"])  # cap_counts "all" (jiaohe §17)
    assert (~cap["cap_base_is_estimate"]).all()


def test_staffing_queue_improves_with_the_ratio(result):
    qs = result.tables["staffing_queue_summary"].set_index(["variant", "ratio"]).sort_index()
    base = qs.loc["baseline"]
    assert list(base["staff_mean"]) == sorted(base["staff_mean"])
    assert list(base["days_mean"]) == sorted(base["days_mean"], reverse=True)
    assert base["days_mean"].iloc[0] > base["days_mean"].iloc[-1]  # the fixture's offices feel it
    # township-months that decided anything, within the limit (at most 5% of their decisions late)
    assert list(base["share_within_limit"]) == sorted(base["share_within_limit"]) and base["share_within_limit"].iloc[-1] > 0
    # reviews not done in the month they fell due, of those falling due: fewer with more staff
    assert list(base["reviews_late_share"]) == sorted(base["reviews_late_share"], reverse=True)
    assert ((base["reviews_late_share"] >= 0) & (base["reviews_late_share"] <= 1)).all()
    month = result.tables["staffing_queue"]
    assert (month["share_townships_within_limit"] * month["townships_deciding"]).to_numpy() == pytest.approx(
        month["townships_within_limit"].to_numpy())
    # the verdict says how sure it is, per variant, on every ratio's row
    v = result.tables["staffing_verdict"]
    assert set(v["answer"]) <= {"yes", "no", "cannot tell"} and v["verdict"].str.len().min() > 20
    assert (v["replications"] == 3).all()
    town = result.tables["staffing_township"]
    assert town["township_name"].str.startswith("town ").all()
    names = result.tables["cost_year_township"].set_index("township")["township_name"]
    assert names[-1].iloc[0] == "locality" and set(names[names.index >= 0]) == {"town 1", "town 2", "town 3"}


def test_results_are_written_atomically_and_read_back(tmp_path, result):
    path = write_results(tmp_path, "run-a", result.tables, result.manifest)
    stored = read_results(path)
    assert stored.manifest["policy_hashes"] and stored.manifest["seed"] == 1
    assert stored.manifest["package_version"] and stored.manifest["run_id"] == "run-a"
    pd.testing.assert_frame_equal(stored.tables["cost_total_bands"], result.tables["cost_total_bands"])
    with pytest.raises(ResultsError, match="never overwritten"):
        write_results(tmp_path, "run-a", result.tables, result.manifest)


def test_failed_write_leaves_nothing_and_keeps_earlier_results(tmp_path, result):
    first = write_results(tmp_path, "run-a", {"t": result.tables["cost_total_bands"]}, {"n": 1})
    before = {p: p.stat().st_mtime_ns for p in first.iterdir()}
    bad = {"good": result.tables["cost_total_bands"], "bad": "not a table"}
    with pytest.raises(ResultsError, match="'bad'"):
        write_results(tmp_path, "run-b", bad, {"n": 2})
    assert sorted(os.listdir(tmp_path)) == ["run-a"]
    assert {p: p.stat().st_mtime_ns for p in first.iterdir()} == before
    assert list_results(tmp_path) == [first]


def test_excel_has_bilingual_headings_totals_as_values(tmp_path, result):
    path = write_excel(result.tables, {**result.manifest, "run_id": "x"}, tmp_path / "out.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SHEETS[k] for k in ("summary", "cost", "difference", "coverage", "cap",
                                                 "staffing", "queue", "parameters", "chart_data")]
    assert all(len(n) <= 31 for n in wb.sheetnames)
    ws = wb[SHEETS["cost"]]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:3] == ("方案", "年度", "支出项目") and rows[2][:3] == ("Variant", "Year", "Component")
    body = [r for r in rows[3:] if r[0] == "基线 Baseline" and r[1] == 2025]
    total = [r for r in body if r[2] == "合计 Total"][0]
    assert isinstance(total[3], float)  # a value, not a formula
    # the total is the band of each replication's total (万元), not a sum of component quantiles
    bands = result.tables["cost_total_bands"].set_index(["variant", "year"])
    assert total[3] == pytest.approx(bands.loc[("baseline", 2025), "p50"] / 1e4)
    cap = list(wb[SHEETS["cap"]].iter_rows(values_only=True))
    assert cap[1][0] == "方案" and "Cap (10,000 yuan)" in cap[2]
    assert not list(tmp_path.glob(".*tmp*"))


def test_care_demand_applies_each_group_share_to_its_programmes(result):
    care = result.tables["services_care"]
    m = result.tables["monthly"]
    one = m[(m["variant"] == "baseline") & (m["replication"] == 1) & (m["month"] == "2025-06")]
    by = one.groupby("programme")["persons"].sum()
    expected = 0.3 * by["tekun"] + 0.1 * (by["dibao"] + by["single_inclusion"])
    row = care[(care["variant"] == "baseline") & (care["replication"] == 1) & (care["month"] == "2025-06")]
    assert row["persons_needing_care"].iloc[0] == pytest.approx(expected)
    assert row["persons_tekun_unable"].iloc[0] == pytest.approx(0.1 * by["tekun"])
    assert row["persons_dibao_partial"].iloc[0] == pytest.approx(0.06 * (by["dibao"] + by["single_inclusion"]))


def test_coverage_gaps_from_a_hand_made_trace():
    from simulation.scenarios.runner import coverage_gaps

    trace = pd.DataFrame({
        "month": ["2025-01"] * 5,
        "household_id": [1, 2, 3, 4, 5],
        "status": ["none", "pending", "gradual_exit", "enrolled", "enrolled"],
        "persons": [2, 3, 1, 4, 2],
        "entitled_total": [300.0, 500.0, 0.0, 0.0, 800.0],
    })
    groups = pd.DataFrame({"elderly": [True, False, True, False, True], "children": False,
                           "disabled": [False, True, False, False, False], "all": True,
                           "weight": [10.0, 20.0, 30.0, 40.0, 50.0]}, index=[1, 2, 3, 4, 5])
    g = coverage_gaps(trace, groups).set_index(["group", "category"])
    assert g.loc[("all", "eligible_not_applied"), "households"] == 10
    assert g.loc[("all", "eligible_waiting"), "persons"] == 60
    assert g.loc[("all", "receiving_gradual_exit"), "households"] == 30
    assert g.loc[("all", "receiving_until_review"), "persons"] == 160  # household 5 is entitled
    assert g.loc[("elderly", "eligible_not_applied"), "households"] == 10
    assert ("elderly", "eligible_waiting") not in g.index
    assert g.loc[("disabled", "eligible_waiting"), "households"] == 20


def test_every_table_by_township_names_its_townships(result):
    """Township names (the engine offices') stand beside the index in every table by township."""
    by_town = {k: t for k, t in result.tables.items() if isinstance(t, pd.DataFrame) and "township" in t.columns}
    assert {"monthly", "cost_year_township", "staffing_township"} <= set(by_town)
    for key, t in by_town.items():
        assert "township_name" in t.columns, key
        named = t[t["township"].astype(str).isin({"1", "2", "3"})]
        assert named["township_name"].str.startswith("town ").all(), key


def test_years_and_component_names_are_those_of_each_row():
    """Worked out once per distinct value, they equal the row-by-row formulas."""
    months = pd.Series(["2025-01", "2025-12", "2026-03", "2025-01", "2027-07"] * 3)
    assert S.month_years(months).tolist() == [int(m[:4]) for m in months]
    programme = pd.Series(["dibao", "single_inclusion", "funeral", "price_linkage", "dibao"])
    for part in ("single", "funeral", "price", "gap"):
        expect = [p if p == part or p.startswith(part + "_") else f"{p}.{part}" for p in programme]
        assert S.component_names(programme, part).tolist() == expect


def test_a_ratios_cost_a_year_weighs_a_part_year_by_its_months():
    """staffing_cost_summary: yuan a year over the horizon (total × 12 ÷ months), staff the mean a
    month, localities summed: a horizon of July 2025 to December 2026 is 18 months, not 2 years."""
    from simulation.scenarios.runner import staffing_cost_summary

    rows = pd.DataFrame({"variant": "b", "replication": 0, "ratio": 0.003, "offices_from": S.FROM_ENGINE,
                         "year": [2025, 2026, 2025, 2026], "months": [6, 12, 6, 12],
                         "locality": ["x", "x", "y", "y"], "staff": [10.0, 13.0, 1.0, 1.0],
                         "staff_cost": [60.0, 120.0, 6.0, 12.0], "payments_vs_own": [6.0, 12.0, 0.0, 0.0],
                         "extra_vs_own": [66.0, 132.0, 6.0, 12.0]})
    s = staffing_cost_summary(rows).iloc[0]
    assert s["staff_cost"] == pytest.approx((180.0 + 18.0) * 12 / 18)
    assert s["payments_vs_own"] == pytest.approx(18.0 * 12 / 18)
    assert s["staff"] == pytest.approx((11.0 * 6 + 14.0 * 12) / 18)
    assert s["replications"] == 1 and s["offices_from"] == S.FROM_ENGINE
