"""Unit tests of the scalar rule kernels and of the array calculator's invariants.

The parameter dict here is test input for pure-rule tests only (not a source of policy values);
the policy-file cases are in tests/cases/*.yaml (tests/test_rules_cases.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.errors import InputError
from simulation.policy import load_policy
from simulation.population.columns import validate_persons
from simulation.rules import OUTPUT_COLUMNS, assess, assess_arrays, label_outputs, pack_params
from simulation.rules.dibao import (
    asset_test,
    dibao_eligible,
    gap_payment,
    single_person_benefit,
    supplement,
    tier_class,
    tier_payment,
)
from simulation.rules.income import counted_income
from simulation.rules.low_income import expenditure_hardship, low_income
from simulation.rules.params import P_TEKUN_CARE, SUPP_ELDERLY, SUPP_MULTI_DISABLED, SUPP_SEVERE
from simulation.rules.review import (
    CLASS_A,
    CLASS_B,
    CLASS_C,
    CLASS_TEKUN,
    review_class,
    work_capacity,
)
from simulation.rules.tekun import tekun_basic, tekun_eligible

SUPP = {"elderly": 0.5, "minor": 0.5, "disabled": 0.0, "multi_disabled": 0.55, "severe": 0.6}
PARAMS = {
    "dibao.standard.rule": "schedule", "dibao.standard.urban": 800.0, "dibao.standard.rural": 600.0,
    "dibao.asset_limit_months": 24, "dibao.employment_cost_deduction": 0.3,
    "dibao.basic_pension_excluded": True, "dibao.minimum_payment": 30.0,
    "dibao.payment_mode": "gap", "dibao.supplement.elderly_age": 70,
    **{f"dibao.supplement.{c}.share": s for c, s in SUPP.items()},
    **{f"dibao.supplement.{c}.amount": 0.0 for c in SUPP},
    "dibao.single_person.enabled": True, "dibao.single_person.income_multiple": 1.5,
    "dibao.single_person.paralysed_months": 6, "dibao.single_person.benefit_rule": "own_gap",
    "dibao.single_person.benefit_share": 0.6, "low_income.multiple": 1.5,
    "expenditure_hardship.income_multiple": 2.0,
    "expenditure_hardship.disposable_income.urban": 48000.0,
    "expenditure_hardship.disposable_income.rural": 19200.0,
    "tekun.elderly_age": 60, "tekun.minor_age": 18, "tekun.basis.urban": "urban",
    "tekun.basis.rural": "rural", "tekun.multiple.dispersed.urban": 1.3,
    "tekun.multiple.dispersed.rural": 1.3, "tekun.multiple.centralised.urban": 2.0,
    "tekun.multiple.centralised.rural": 2.0, "tekun.care.self_care": 100.0,
    "tekun.care.partial": 300.0, "tekun.care.full": 500.0,
    "dibao.tiers.at_least_gap": False, "dibao.tiers.max_above_gap": 1.0,
    "dibao.review.basis": "work_capacity", "dibao.review.yearly_classes.urban": 1,
    "dibao.review.yearly_classes.rural": 2,
}
P = pack_params(PARAMS)


def test_counted_income_deduction_and_pension():
    assert counted_income(1000.0, 200.0, 50.0, 0.3, True) == pytest.approx(750.0)
    assert counted_income(1000.0, 200.0, 50.0, 0.0, False) == pytest.approx(1250.0)


def test_asset_test_boundary():
    assert asset_test(24 * 800.0, 800.0, 24.0)
    assert not asset_test(24 * 800.0 + 0.01, 800.0, 24.0)


def test_dibao_eligible_strictly_below_standard():
    assert dibao_eligible(799.99, 800.0, True)
    assert not dibao_eligible(800.0, 800.0, True)
    assert not dibao_eligible(100.0, 800.0, False)


def test_gap_payment_and_minimum():
    assert gap_payment(800.0, 500.0, 3, 30.0) == (900.0, False)
    assert gap_payment(800.0, 790.0, 2, 30.0) == (30.0, True)
    assert gap_payment(800.0, 800.0, 2, 30.0) == (0.0, False)


def test_supplement_highest_only_and_categories():
    # 72-year-old, severely disabled: elderly 400 vs severe 480 -> severe only.
    assert supplement(72, 2, False, 1, 70.0, 18.0, 800.0, P) == (SUPP_SEVERE, pytest.approx(480.0))
    assert supplement(70, 0, False, 0, 70.0, 18.0, 800.0, P) == (SUPP_ELDERLY, pytest.approx(400.0))
    assert supplement(69, 0, False, 0, 70.0, 18.0, 800.0, P)[0] == -1
    # mildly disabled member of a household with two disabled persons: 55 %.
    assert supplement(40, 1, False, 2, 70.0, 18.0, 800.0, P) == (SUPP_MULTI_DISABLED,
                                                                  pytest.approx(440.0))
    # elderly and (mildly) disabled 老残一体 counts as severe.
    assert supplement(75, 1, False, 1, 70.0, 18.0, 800.0, P)[0] == SUPP_SEVERE


def test_tier_class_first_threshold_reached():
    params = dict(PARAMS, **{"dibao.payment_mode": "tiers",
                             "dibao.tiers.urban.shares": (1.0, 0.6, 0.2),
                             "dibao.tiers.urban.gap_thresholds": (0.9, 0.5, 0.0),
                             "dibao.tiers.rural.shares": (1.0,),
                             "dibao.tiers.rural.gap_thresholds": (0.0,),
                             "dibao.tiers.urban.gap_class": 3, "dibao.tiers.rural.gap_class": 0})
    p = pack_params(params)
    assert tier_class(0.95, p, 0) == 1
    assert tier_class(0.9, p, 0) == 1
    assert tier_class(0.5, p, 0) == 2
    assert tier_class(0.1, p, 0) == 3
    assert tier_class(0.1, p, 1) == 1
    # shares for classes 1-2; class 3 is the gap class: its own gap (lanzhou §六 差额)
    assert tier_payment(1, 0.95, 700.0, 2, p, 0) == pytest.approx(1400.0)
    assert tier_payment(2, 0.5, 700.0, 2, p, 0) == pytest.approx(840.0)
    assert tier_payment(3, 0.1, 700.0, 2, p, 0) == pytest.approx(140.0)
    assert tier_payment(1, 0.1, 400.0, 1, p, 1) == pytest.approx(400.0)
    with pytest.raises(InputError, match="gap_class"):
        pack_params(dict(params, **{"dibao.tiers.urban.gap_class": 4}))


def test_single_person_benefit_rules():
    assert single_person_benefit(800.0, 300.0, P) == pytest.approx(500.0)
    assert single_person_benefit(800.0, 900.0, P) == 0.0
    p = pack_params(dict(PARAMS, **{"dibao.single_person.benefit_rule": "share_of_standard"}))
    assert single_person_benefit(800.0, 900.0, p) == pytest.approx(480.0)


def test_tekun_eligibility_and_basic():
    limit = 24 * 800.0
    assert tekun_eligible(65, 0, 2, False, 0.0, 0.0, limit, 60.0, 18.0)
    assert tekun_eligible(17, 0, 2, False, 0.0, 0.0, limit, 60.0, 18.0)  # minor to 18
    assert not tekun_eligible(18, 0, 2, False, 0.0, 0.0, limit, 60.0, 18.0)
    assert tekun_eligible(40, 1, 2, False, 0.0, 0.0, limit, 60.0, 18.0)  # disabled
    assert not tekun_eligible(65, 0, 2, True, 0.0, 0.0, limit, 60.0, 18.0)  # supporter
    assert not tekun_eligible(65, 0, 2, False, 0.01, 0.0, limit, 60.0, 18.0)  # income
    assert not tekun_eligible(65, 0, 1, False, 0.0, 0.0, limit, 60.0, 18.0)  # partial labour
    assert not tekun_eligible(65, 0, 2, False, 0.0, limit + 1, limit, 60.0, 18.0)  # assets
    assert tekun_basic(0, 0, P) == pytest.approx(1040.0)
    assert tekun_basic(1, 1, P) == pytest.approx(1200.0)
    assert P[P_TEKUN_CARE + 2] == 500.0


def test_low_income_and_hardship_boundaries():
    assert low_income(800.0, 800.0, 1.5, True)
    assert not low_income(1200.0, 800.0, 1.5, True)
    assert not low_income(1000.0, 800.0, 1.5, False)
    assert expenditure_hardship(1600.0, 900.0, 800.0, 2.0, 48000.0)  # 2x inclusive
    assert not expenditure_hardship(1600.0, 800.0, 800.0, 2.0, 48000.0)  # after rigid = standard
    assert not expenditure_hardship(4000.0, 3500.0, 800.0, 2.0, 48000.0)  # at disposable/12


def test_review_classes():
    assert work_capacity(40, 0, 0, False, 18.0, 60.0) == 2
    assert work_capacity(40, 0, 2, False, 18.0, 60.0) == 0
    assert work_capacity(65, 0, 0, False, 18.0, 60.0) == 0
    assert work_capacity(40, 1, 0, False, 18.0, 60.0) == 1
    assert review_class(2, False) == CLASS_C
    assert review_class(1, False) == CLASS_B
    assert review_class(0, False) == CLASS_A
    assert review_class(0, True) == CLASS_TEKUN


def random_persons(n_households: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 6, n_households)
    hh = np.repeat(np.arange(n_households), size)
    n = hh.size
    urban = rng.random(n_households) < 0.5
    return pd.DataFrame({
        "household_id": hh, "age": rng.integers(0, 95, n), "urban": urban[hh],
        "disability": rng.choice(["none", "mild", "severe"], n, p=[0.8, 0.1, 0.1]),
        "serious_illness": rng.random(n) < 0.08, "paralysed_months": rng.integers(0, 10, n) * (rng.random(n) < 0.05),
        "rare_disease": rng.random(n) < 0.01,
        "labour_ability": rng.choice(["full", "partial", "none"], n, p=[0.5, 0.2, 0.3]),
        "self_care": rng.choice(["able", "partial", "unable"], n, p=[0.8, 0.15, 0.05]),
        "earned_income": rng.exponential(900, n) * (rng.random(n) < 0.5),
        "basic_pension": rng.exponential(100, n) * (rng.random(n) < 0.3),
        "other_income": rng.exponential(100, n) * (rng.random(n) < 0.3),
        "rigid_expenditure": rng.exponential(1500, n) * (rng.random(n) < 0.2),
        "registered_unemployed": rng.random(n) < 0.05, "has_supporter": rng.random(n) < 0.6,
        "financial_assets": rng.exponential(8000, n), "care_wish": rng.choice(["dispersed", "centralised"], n),
    })


def test_invariants_on_random_households():
    t = assess(random_persons(3000, 1), PARAMS)
    supp = t[[c for c in OUTPUT_COLUMNS if c.startswith("dibao_supplement_")]].sum(axis=1)
    assert np.allclose(t["dibao_amount"], t["dibao_gap"] + supp)
    assert np.allclose(t["total_amount"], t["dibao_amount"] + t["single_inclusion_amount"] + t["tekun_amount"])
    eligible = (t["dibao_size"] > 0) & (t["per_capita_income"] < t["dibao_standard"]) & t["asset_test_passed"]
    assert (t["dibao_eligible"] == eligible).all()
    assert not (t["dibao_eligible"] & (t["single_inclusion_persons"] > 0)).any()
    assert (t.loc[t["dibao_eligible"], "dibao_gap"] >= 30.0).all()  # minimum payment
    assert (t.loc[~t["dibao_eligible"], "dibao_amount"] == 0).all()
    assert (t["size"] == t["dibao_size"] + t["tekun_persons"]).all()
    assert (t.loc[t["low_income"], "per_capita_income"] >= t.loc[t["low_income"], "dibao_standard"]).all()
    # every outcome occurs in this sample, so the invariants above are not vacuous
    for col in ("dibao_eligible", "low_income", "expenditure_hardship"):
        assert t[col].any(), col
    assert (t["single_inclusion_persons"] > 0).any() and (t["tekun_persons"] > 0).any()
    assert set(t["review_class"]) == {"A", "B", "C", "T"}


def test_subset_and_reused_buffer_match_full_run():
    arrays = validate_persons(random_persons(500, 2))
    full = assess_arrays(arrays, P)
    subset = np.array([499, 3, 250, 3], dtype=np.int64)
    out = np.full((10, full.shape[1]), np.nan)
    part = assess_arrays(arrays, P, households=subset, out=out)
    np.testing.assert_array_equal(part, full[subset])
    table = label_outputs(part, arrays.household_ids[subset])
    assert list(table.index) == [499, 3, 250, 3]
    with pytest.raises(IndexError):
        assess_arrays(arrays, P, households=np.array([500]))


def test_input_row_order_does_not_matter():
    df = random_persons(200, 3)
    a = assess(df, PARAMS)
    b = assess(df.sample(frac=1.0, random_state=4), PARAMS)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("locality", ["qijiang", "jiaohe", "kaizhou", "boshan", "lanzhou_xinqu"])
def test_example_households_show_each_rule(locality):
    from simulation.policy import load_policy
    from simulation.rules import example_persons, format_assessment
    from simulation.rules.examples import load_examples

    persons, info = load_examples()
    assert len(info) == 8 and all(v["title"] and v["explains"] for v in info.values())
    table = assess(example_persons(), load_policy(locality), "2024-06")
    dibao = "DIBAO_TIER" if locality == "lanzhou_xinqu" else "DIBAO_GAP"
    assert list(table["reason"]) == [dibao, dibao, "TEKUN", "SINGLE_INCLUSION",
                                     "ASSETS_OVER_LIMIT", dibao, "LOW_INCOME",
                                     "EXPENDITURE_HARDSHIP"]
    text = format_assessment(table)
    assert "8 households, 18 persons" in text


def test_contracts_person_table_is_generated_from_columns():
    from pathlib import Path

    from simulation.population.columns import columns_markdown

    root = Path(__file__).parents[1]
    for doc in ("docs/contracts.md", "README.md"):
        text = (root / doc).read_text(encoding="utf-8")
        assert columns_markdown() in text, f"{doc}: person table differs from columns.py"


def test_person_results_add_up_to_household_results_in_input_order():
    from simulation.rules import assess_persons

    df = random_persons(800, 5).sample(frac=1.0, random_state=6)
    people = assess_persons(df, PARAMS)
    assert list(people.index) == list(df.index)
    assert (people["household_id"].to_numpy() == df["household_id"].to_numpy()).all()
    households = assess(df, PARAMS)
    sums = people.groupby("household_id")[["tekun", "tekun_amount", "supplement_amount",
                                           "single_inclusion", "single_inclusion_amount"]].sum()
    assert (sums["tekun"] == households["tekun_persons"]).all()
    assert np.allclose(sums["tekun_amount"], households["tekun_amount"])
    supp = households[[c for c in OUTPUT_COLUMNS if c.startswith("dibao_supplement_")]].sum(axis=1)
    assert np.allclose(sums["supplement_amount"], supp)
    assert (sums["single_inclusion"] == households["single_inclusion_persons"]).all()
    assert np.allclose(sums["single_inclusion_amount"], households["single_inclusion_amount"])
    assert people["single_inclusion"].any() and people["tekun"].any()


def test_lanzhou_classes_never_pay_below_the_gap_and_bound_the_step_at_a_boundary():
    # seed-coverage row 12 (lanzhou §四): gap shares on a fine grid with Lanzhou's 2023 classes
    params = load_policy("lanzhou_xinqu").at("2023-06-01")
    p = pack_params(params)
    bound = float(params["dibao.tiers.max_above_gap"])
    std = float(params["dibao.standard.rural"])
    shares = np.linspace(0.0005, 1.0, 20000)
    paid = np.array([tier_payment(tier_class(g, p, 1), g, std, 1, p, 1) for g in shares]) / std
    assert (paid >= shares - 1e-12).all()
    assert (paid <= shares + bound + 1e-12).all()
    assert np.abs(np.diff(paid)).max() <= bound + 1e-3


def test_imputed_earnings_are_counted_without_the_employment_cost_deduction():
    # seed-coverage row 4 (kaizhou 二(一)1 按务工地最低工资标准核算的除外)
    assert counted_income(1000.0, 0.0, 50.0, 0.3, True, True) == pytest.approx(1050.0)
    assert counted_income(1000.0, 0.0, 50.0, 0.3, True, False) == pytest.approx(750.0)
