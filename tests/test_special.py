"""Special assistance 专项救助 (issue 12): the rules' hand-computed cases, the parameters' checks,
the engine's programmes on hand-built households, and a standard increase raising the cost of
special assistance through the caseload."""

from __future__ import annotations

import inspect
from pathlib import Path

import pandas as pd
import pytest
import yaml

from simulation.engine.outputs import PROGRAMMES, SPECIAL_PROGRAMMES
from simulation.errors import InputError
from simulation.policy import load_policy
from simulation.population import generate, load_profile
from simulation.rules import special
from tests.test_engine import model, population

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "special" / "cases.yaml").read_text(
    encoding="utf-8"))["cases"]
OFF = {f"{p}.enabled": {"2018-01-01": False} for p in
       ("medical", "education", "housing", "disability", "employment_assistance", "funeral_waiver")}


def test_every_programme_has_cases_citing_a_seed_clause():
    functions = {c["function"] for c in CASES}
    for name in ("premium_subsidy", "medical_aid", "education_payment", "rent_subsidy",
                 "renovation_probability", "disability_living", "disability_care",
                 "placement_cost", "funeral_waiver"):
        assert name in functions
    for case in CASES:
        assert case["clause"].startswith("seed ") and case["computation"], case["id"]
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case):
    s = special.pack_special(load_policy(case["locality"]).at(f"{case['month']}-01"))
    function = getattr(special, case["function"])
    # the parameter vector is the last argument of the rules that read parameters
    takes_s = "s" in inspect.signature(function.py_func).parameters
    result = function(*case["args"], *([s] if takes_s else []))
    expected = case["expect"]
    if isinstance(expected, list):
        assert list(result) == pytest.approx(expected, abs=1e-9), case["computation"]
    else:
        assert result == pytest.approx(expected, abs=1e-9), case["computation"]


def test_a_missing_parameter_names_its_path():
    params = dict(load_policy("qijiang").at("2024-06-01"))
    del params["housing.renovation.grant"]
    with pytest.raises(InputError, match="housing.renovation.grant"):
        special.pack_special(params)


def test_a_bad_value_names_file_field_and_value():
    with pytest.raises(Exception, match=r"medical\.assistance\.rate_dibao.*1\.7"):
        load_policy("qijiang", reforms=[{"medical.assistance.rate_dibao": {"2024-01-01": 1.7}}])


def test_each_programme_is_a_row_with_its_own_components():
    names = [p[0] for p in PROGRAMMES]
    assert set(SPECIAL_PROGRAMMES) <= set(names)
    for name, _, _, comps, _ in PROGRAMMES:
        if name in SPECIAL_PROGRAMMES:
            assert comps, name


def _dibao_household():
    """An urban dibao household: a parent with a grade 1-2 disability, a primary pupil of 8 and
    a registered-unemployed adult able to work, all without income."""
    return [dict(age=45, disability="severe", labour_ability="none"),
            dict(age=8, labour_ability="none"),
            dict(age=30, registered_unemployed=True)]


def test_engine_pays_each_programme_to_a_dibao_household_by_hand():
    """Weight 10, September 2024 (qijiang = national amounts): premium 3 × 0.8 × 400 ÷ 12 = 80;
    primary pupil 1,000 ÷ 2 = 500; rent 300 × 0.05 = 15; disability living 100 (grades 1-2)
    and care 90; placements 1 × 0.01 × (800 + 400) × 12 = 144; each × 10."""
    m = model(population([_dibao_household()]), start="2024-09", months=1)
    m.run_for(1)
    rows = m.result().monthly.groupby("programme").sum(numeric_only=True)
    assert rows.loc["dibao", "persons"] == pytest.approx(30.0)
    assert rows.loc["medical", "payment_premium"] == pytest.approx(800.0)
    assert rows.loc["medical", "persons"] == pytest.approx(30.0)
    assert rows.loc["education", "payment_compulsory"] == pytest.approx(5000.0)
    assert rows.loc["education", "persons"] == pytest.approx(10.0)
    assert rows.loc["housing", "payment_rent"] == pytest.approx(150.0)
    assert rows.loc["disability_living", "payment"] == pytest.approx(1000.0)
    assert rows.loc["disability_care", "payment"] == pytest.approx(900.0)
    assert rows.loc["employment_assistance", "payment"] == pytest.approx(1440.0)
    assert rows.loc["employment_assistance", "cases"] == pytest.approx(0.1)


def test_no_education_outside_the_school_calendar_and_nothing_when_switched_off():
    m = model(population([_dibao_household()]), start="2024-10", months=1)
    m.run_for(1)
    rows = m.result().monthly.groupby("programme").sum(numeric_only=True)
    assert rows.loc["education", "payment"] == 0.0
    off = model(population([_dibao_household()]), start="2024-09", months=1, reforms=[OFF])
    off.run_for(1)
    rows = off.result().monthly.groupby("programme").sum(numeric_only=True)
    assert rows.loc[list(SPECIAL_PROGRAMMES), ["payment", "persons", "households"]].abs().sum().sum() == 0


def test_a_non_recipient_gets_only_the_care_subsidy():
    """The care subsidy is not means-tested (national rule); the rest follow the caseload."""
    rich = [dict(age=45, disability="severe", labour_ability="none", other_income=20000.0)]
    m = model(population([rich]), start="2024-09", months=1)
    m.run_for(1)
    rows = m.result().monthly.groupby("programme").sum(numeric_only=True)
    assert rows.loc["dibao", "persons"] == 0.0
    assert rows.loc["disability_care", "payment"] == pytest.approx(900.0)
    others = [p for p in SPECIAL_PROGRAMMES if p != "disability_care"]
    assert rows.loc[others, "payment"].sum() == 0.0


def test_low_income_extension_pays_the_living_subsidy_outside_dibao():
    """qijiang §10 extension: a disabled person in a low-income family (income between the
    standard and 1.5 × it) gets the living subsidy only when the switch is on."""
    std = float(load_policy("qijiang").at("2024-09-01")["dibao.standard.urban"])
    near = [dict(age=45, disability="mild", labour_ability="none", other_income=1.2 * std)]
    on = {"disability.living.low_income": {"2018-01-01": True}}
    paid = {}
    for name, reforms in (("off", None), ("on", [on])):
        m = model(population([near]), start="2024-09", months=1, reforms=reforms)
        m.run_for(1)
        rows = m.result().monthly.groupby("programme").sum(numeric_only=True)
        assert rows.loc["dibao", "persons"] == 0.0
        paid[name] = rows.loc["disability_living", "payment"]
    assert paid == {"off": 0.0, "on": pytest.approx(600.0)}  # 60 (grades 3-4) × weight 10


def _run(reforms, months=24):
    from simulation.engine import run

    pop = generate(load_profile("qijiang"), 3000, seed=2)
    policy = load_policy("qijiang", reforms=reforms)
    return run(pop, policy, start="2025-01", months=months, seed=3).monthly


def test_a_standard_increase_raises_special_assistance_through_the_caseload():
    """+20% on both dibao standards from 2025-01: more dibao persons, so more persons with a
    premium subsidy and more special-assistance cost; the care subsidy (not means-tested) is
    unchanged; with special assistance off, every existing row is identical."""
    raise_ = {}
    std = load_policy("qijiang").at("2025-01-01")
    for area in ("urban", "rural"):
        raise_[f"dibao.standard.{area}"] = {"2025-01-01": round(1.2 * float(
            std[f"dibao.standard.{area}"]), 1)}
    base, reform = _run(None), _run([raise_])
    by = {k: t.groupby("programme")[["persons", "payment"]].sum() for k, t in
          (("base", base), ("reform", reform))}
    assert by["reform"].loc["dibao", "persons"] > by["base"].loc["dibao", "persons"]
    assert by["reform"].loc["medical", "persons"] > by["base"].loc["medical", "persons"]
    special_cost = {k: v.loc[list(SPECIAL_PROGRAMMES), "payment"].sum() for k, v in by.items()}
    assert special_cost["reform"] > special_cost["base"] * 1.02
    assert by["reform"].loc["disability_care", "payment"] == pytest.approx(
        by["base"].loc["disability_care", "payment"])
    off = _run([OFF])
    existing = ~base["programme"].isin(SPECIAL_PROGRAMMES)
    cols = [c for c in base.columns if c not in ("cases", "cases_inpatient")]
    pd.testing.assert_frame_equal(base.loc[existing, cols], off.loc[existing, cols],
                                  check_exact=True)
    assert off.loc[~existing, "payment"].sum() == 0.0


def test_the_trajectory_check_prints_the_2021_special_assistance_figures_against_the_bulletin():
    """A national table of twelve months with 100 persons covered by medical assistance, 10
    inpatient cases at 1,074 and 105 outpatient cases at 83 (cases per person 1.15) and the
    disability counts of December: the 'check' rows pass, and the ratios are simulated ÷
    published."""
    from simulation.engine.trajectory import special_report

    rows = []
    for k in range(12):
        month = f"2021-{k + 1:02d}"
        rows.append((month, "medical", "urban", dict(
            persons=100.0, cases=115.0 / 12, cases_inpatient=10.0 / 12,
            payment_inpatient=1074.0 * 10 / 12, payment_outpatient=83.0 * 105 / 12,
            payment_premium=0.0, payment=(1074.0 * 10 + 83.0 * 105) / 12)))
        for programme, persons in (("disability_living", 11941.0), ("disability_care", 15032.0)):
            rows.append((month, programme, "urban", dict(persons=persons)))
    table = pd.DataFrame([r[3] for r in rows], index=pd.MultiIndex.from_tuples(
        [r[:3] for r in rows], names=["month", "programme", "area"])).fillna(0.0)
    rep = special_report(table)
    assert rep.loc["medical_cases_per_person 2021", "simulated"] == pytest.approx(1.15)
    assert rep.loc["medical_inpatient_per_case 2021", "ratio"] == pytest.approx(1.0)
    assert rep.loc["medical_outpatient_per_case 2021", "ratio"] == pytest.approx(1.0)
    assert rep.loc["disability_care_persons 2021", "simulated"] == pytest.approx(15032.0)
    assert rep.loc["medical_premium_persons 2021", "simulated"] == pytest.approx(100.0)
    checks = rep[rep["kind"] == "check"]
    assert len(checks) == 3 and checks["pass"].all()
