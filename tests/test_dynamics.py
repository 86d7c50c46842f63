"""The engine's dynamics (issue 10): incomes of every source move, inclusion errors are found by
verification at a rate set by the review method, one labour model in the generator and the
engine, and the dated economic inputs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from simulation.engine import processes as pr
from simulation.engine.behaviour import Behaviour
from simulation.engine.economy import (
    D_DETECT,
    D_OTHER,
    D_PENSION_DELTA,
    D_WAGE,
    annual_income,
    income_index,
    monthly_inputs,
)
from simulation.engine.model import SimulationModel
from simulation.policy import load_policy
from simulation.population import generate, load_profile
from tests.test_engine import QUIET, dibao_rows, model, population


def test_income_path_follows_the_published_nbs_series_then_the_growth_assumption():
    policy = load_policy("national")
    assert annual_income(policy, "urban", 2018) == 39251
    assert annual_income(policy, "rural", 2021) == 18931
    last = max(e.start.year for e in policy.schedule("expenditure_hardship.disposable_income.urban")) - 1
    g = float(policy.value("economy.income_growth.urban", f"{last + 1}-01-01"))
    assert annual_income(policy, "urban", last + 1) == pytest.approx(
        annual_income(policy, "urban", last) * (1 + g))
    # mid-year of a published year is the year's figure; months in between interpolate
    assert income_index(policy, "urban", dt.date(2019, 7, 1)) == pytest.approx(
        42359 * (43834 / 42359) ** (0.5 / 12), rel=1e-9)
    a = income_index(policy, "rural", dt.date(2020, 3, 1))
    assert annual_income(policy, "rural", 2019) < a < annual_income(policy, "rural", 2020)


def test_a_user_growth_assumption_moves_the_projection_only_past_the_data():
    base = load_policy("national")
    faster = base.with_reforms({"economy.income_growth.urban": {"2018-01-01": 0.10}})
    assert annual_income(faster, "urban", 2021) == annual_income(base, "urban", 2021)
    assert annual_income(faster, "urban", 2030) > annual_income(base, "urban", 2030) * 1.3


def test_monthly_inputs_raise_transfers_in_january_and_pensions_on_their_date():
    policy = load_policy("national")
    b = Behaviour.defaults()
    dyn = monthly_inputs(policy, b, dt.date(2019, 10, 1), 12)
    assert dyn[0, D_WAGE] == 1.0 and dyn[-1, D_WAGE] > 1.04  # wages grow every month
    jan = 3  # 2020-01
    assert dyn[jan, D_OTHER] == pytest.approx(
        income_index(policy, "urban", dt.date(2020, 1, 1))
        / income_index(policy, "urban", dt.date(2019, 10, 1)))
    assert (np.delete(dyn[:, D_OTHER], jan) == 1.0).all()
    # the central minimum rose by 5 yuan in July 2020 (pension.basic_minimum)
    assert dyn[9, D_PENSION_DELTA] == 5.0 and dyn[:9, D_PENSION_DELTA].sum() == 0.0
    # verification: the campaign's rate until 2020, the routine rate after
    assert dyn[0, D_DETECT] > 0.0


def test_income_growth_reaches_non_earners_transfers_and_pensions():
    """A household without an earner: its transfers (support) rise each January with incomes,
    its pension with the central minimum; it was untouched before (only wages grew)."""
    pop = population([[dict(age=70, labour_ability="none", other_income=300.0,
                            basic_pension=100.0)]])
    m = model(pop, locality="qijiang", start="2021-11", months=10,
              behaviour={"pension_at_60": 150.0}, economy=True)
    slot = int(m.households.hh_start[0])
    m.run_for(2)  # November, December 2021: nothing moves
    assert float(m.persons.other[slot]) == pytest.approx(300.0)
    assert float(m.persons.pension[slot]) == pytest.approx(100.0)
    m.run_for(1)  # January 2022: transfers rise with incomes, the minimum by 5 yuan
    ratio = m.dyn[2, D_OTHER + 0]
    policy = load_policy("qijiang")
    assert ratio == pytest.approx(income_index(policy, "urban", dt.date(2022, 1, 1))
                                  / income_index(policy, "urban", dt.date(2021, 11, 1)))
    assert ratio > 1.005  # two months of urban income growth (about 7% a year)
    assert float(m.persons.other[slot]) == pytest.approx(300.0 * ratio, rel=1e-6)
    assert float(m.persons.pension[slot]) == pytest.approx(105.0)


def _hidden_model(data_matching: float, home_visit: float, months: int = 12):
    """400 single households whose income is above the line, every one enrolled as an
    inclusion error (qijiang: reviews in March and September)."""
    # every review on time whatever the office's hours: these tests are about verification
    reform = {"verification.method_share.data_matching": {"2021-01-01": data_matching},
              "verification.method_share.home_visit": {"2021-01-01": home_visit},
              "admin.review_lag": {"2021-01-01": False}}
    std = float(load_policy("qijiang").at("2024-01-01")["dibao.standard.urban"])
    pop = population([[dict(earned_income=1.5 * std / 0.7)] for _ in range(400)])
    b = Behaviour.defaults().with_overrides({**QUIET, "detect_routine": 0.5})
    m = SimulationModel(pop, load_policy("qijiang", reforms=[reform]), start="2024-01",
                        months=months, seed=3, behaviour=b, initial_enrolment=1.0)
    hh = m.households
    assert (hh.status == pr.ST_NONE).all()  # nobody is eligible
    hh.status[:] = pr.ST_ENROLLED
    hh.hidden[:] = 1
    hh.paid_dibao_n[:] = 1
    hh.paid_pci[:] = 0.5 * std
    hh.paid_gap[:] = 0.5 * std
    return m


def test_inclusion_errors_stay_until_a_review_finds_them_and_data_matching_finds_more():
    found = {}
    for name, dm, hv in (("data matching", 1.0, 0.0), ("declaration", 0.0, 0.0)):
        m = _hidden_model(dm, hv)
        assert int(m.households.hidden.sum()) == 400  # every one enrolled in error
        m.run_for(12)
        r = dibao_rows(m.result())
        # only the review months (March, September) find them; nothing else leaves
        by_month = r["exits_verification"]
        assert set(by_month[by_month > 0].index) <= {"2024-03", "2024-09"}
        assert (r["exits_income"] == 0).all() and (r["entries"] == 0).all()
        found[name] = float(by_month.sum()) / 10.0 / 400
    # 0.5 a review by data matching over two reviews: 75%; declaration at a tenth of it: ~10%
    assert found["data matching"] == pytest.approx(0.75, abs=0.07)
    assert found["declaration"] == pytest.approx(1 - 0.95 ** 2, abs=0.05)


def test_an_inclusion_error_whose_income_falls_below_the_line_is_an_ordinary_recipient():
    m = _hidden_model(0.0, 0.0, months=3)
    m.persons.wage[:] = 0.0  # everyone's income falls to nothing
    m.persons.earned[:] = 0.0
    m.run_for(3)  # the March review sees them eligible
    assert int(m.households.hidden.sum()) == 0
    r = dibao_rows(m.result())
    assert r.loc["2024-03", "households"] == pytest.approx(4000)


def test_no_job_cliff_past_the_old_working_age():
    """The generator gives partial labour ability and jobs at 60-69 and none from 70, the engine
    the same: those employed aged 65-69 are not dismissed at their next birthday."""
    pop = generate(load_profile("china_2021"), 20_000, seed=5)
    b = Behaviour.defaults().with_overrides({"job_loss": 0.0, "job_find_stationary": 0,
                                             "job_find": 0.0, "labour_loss_elderly": 0.0,
                                             "mortality_makeham": 0.0, "mortality_gompertz_a": 0.0})
    m = SimulationModel(pop, load_policy("national"), start="2022-01", months=12, seed=1,
                        behaviour=b)
    s = m.persons

    def employed_65_69() -> int:
        return int(((s.age_y >= 65) & (s.age_y <= 69) & (s.employed == 1)).sum())

    before = employed_65_69()
    assert before > 100
    over = int(((s.age_y > b.work_age_max) & (s.employed == 1)).sum())
    assert over == 0  # the generator's jobs end where the engine's working ages end
    m.run_for(12)
    # a year later only those who turned 70 have stopped (about a fifth of 65-69), not all
    assert employed_65_69() > 0.6 * before


def test_national_trajectory_check_passes_every_published_point(capsys):
    """``python -m simulation.engine.trajectory --check``: the stored china_2018 behaviour passes
    every published point of statistics.md §6 (dibao ±3%) and the 2021 tekun and temporary
    assistance figures (±5%); the exit code says so."""
    from simulation.engine import trajectory

    code = trajectory.main(["--check", "--households", "150000", "--seeds", "3"])
    out = capsys.readouterr().out
    assert "dibao_persons.urban 2019-12" in out and "temporary_yuan 2021" in out
    assert code == 0, out


def test_trajectory_report_fails_a_point_outside_its_tolerance():
    from simulation.engine.trajectory import load_trajectory, report

    tr = load_trajectory()
    sim = tr.points["value"].to_numpy().copy()
    rep = report(tr, sim)
    assert rep["pass"].all()
    sim[2] *= 1.031  # a dibao point 3.1% off
    rep = report(tr, sim)
    assert not rep["pass"].iloc[2] and rep["pass"].drop(rep.index[2]).all()
    assert (tr.points["reference"].str.startswith("statistics.md")).all()


def test_projection_prints_stocks_by_year_and_takes_dated_inputs(tmp_path, capsys):
    from simulation.scenarios.projection import main as project_main

    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("policy:\n  economy.income_growth.urban: {\"2018-01-01\": 0.08}\ncpi: 0.02\n",
                      encoding="utf-8")
    code = project_main(["--end", "2019-12", "--households", "3000", "--inputs", str(inputs),
                         "--no-progress", "--csv", str(tmp_path / "out.csv")])
    out = capsys.readouterr().out
    assert code == 0
    assert "2018" in out and "2019" in out and "published dibao urban" in out
    import pandas as pd

    table = pd.read_csv(tmp_path / "out.csv", index_col="year")
    assert list(table.index) == [2018, 2019]
    assert (table["dibao urban"] > 0).all() and "of which verification" in table


def test_projection_inputs_errors_name_the_field(tmp_path):
    from simulation.errors import InputError
    from simulation.scenarios.projection import read_inputs

    bad = tmp_path / "bad.yaml"
    bad.write_text("polcy: {}\n", encoding="utf-8")
    with pytest.raises(InputError, match="polcy"):
        read_inputs(bad)
    bad.write_text("cpi: {\"2024-01\": 0.03}\n", encoding="utf-8")
    with pytest.raises(InputError, match="cpi.2024-01"):
        read_inputs(bad)
