"""The dynamic rules the engine calls: gradual exit 渐退, temporary assistance 临时救助 and price
linkage 物价联动 (hand-computed values), and their packing into the rules' parameter vector."""

from __future__ import annotations

import math

import pytest

from simulation.errors import InputError
from simulation.policy import load_policy
from simulation.rules.gradual_exit import (
    gradual_exit_months,
    gradual_exit_payment,
    gradual_exit_share,
)
from simulation.rules.params import N_ASSESS_PARAMS, P_GE_SCHEDULE, pack_params
from simulation.rules.price_linkage import price_subsidy, triggering_rate
from simulation.rules.temporary import (
    applicant_amount,
    education_amount,
    illness_amount,
    urgent_amount,
)


def _calculator_params() -> dict:
    """A full policy's parameters without the dynamic groups, urban standard 800, rural 600."""
    dynamic = ("dibao.gradual_exit.", "temporary.", "price_linkage.")
    params = {k: v for k, v in load_policy("jiaohe").at("2024-06-01").items()
              if not k.startswith(dynamic)}
    params.update({"dibao.standard.rule": "schedule", "dibao.standard.urban": 800.0,
                   "dibao.standard.rural": 600.0})
    return params


ASSESS = _calculator_params()
JIAOHE_LIKE = {
    "dibao.gradual_exit.enabled": True, "dibao.gradual_exit.ceiling_multiple": 2.0,
    "dibao.gradual_exit.months": 18, "dibao.gradual_exit.months_disabled": 24,
    "dibao.gradual_exit.employed_only": False,
    "dibao.gradual_exit.payment_schedule": (0.75, 0.5),
    "temporary.urgent.amount": 1500.0, "temporary.illness.multiple_min": 3.0,
    "temporary.illness.multiple_max": 12.0, "temporary.education.multiple_min": 3.0,
    "temporary.education.multiple_max": 6.0, "temporary.applicant_months": 1.0,
    "temporary.applicant_advance": True, "temporary.urgent.tier_shares": (1.0,),
    "temporary.urgent.tier_factors": (1.0,), "temporary.instalments.months": 1,
    "temporary.instalments.threshold": 6.0,
    "price_linkage.cpi_trigger": 0.035, "price_linkage.food_cpi_trigger": 0.06,
    "price_linkage.floor": 10.0,
}
P = pack_params({**ASSESS, **JIAOHE_LIKE})


def packed(**changes):
    return pack_params({**ASSESS, **JIAOHE_LIKE,
                        **{k.replace("__", "."): v for k, v in changes.items()}})


# ---- gradual exit (jiaohe §5; qijiang §1; lanzhou §十) ----------------------------------------

def test_gradual_exit_months_between_standard_and_ceiling():
    # standard 800, ceiling 2 × = 1600
    assert gradual_exit_months(900.0, 800.0, True, False, False, P) == 18
    assert gradual_exit_months(900.0, 800.0, True, False, True, P) == 24  # disabled member
    assert gradual_exit_months(1599.99, 800.0, True, False, False, P) == 18
    assert gradual_exit_months(1600.0, 800.0, True, False, False, P) == 0  # at the ceiling
    assert gradual_exit_months(799.0, 800.0, True, False, False, P) == 0  # still eligible
    assert gradual_exit_months(900.0, 800.0, False, False, False, P) == 0  # assets fail


def test_gradual_exit_qijiang_ceiling_and_lanzhou_employed_only():
    qijiang = packed(dibao__gradual_exit__ceiling_multiple=1.5, dibao__gradual_exit__months=6,
                     dibao__gradual_exit__months_disabled=6,
                     dibao__gradual_exit__payment_schedule=(1.0,))
    assert gradual_exit_months(1199.0, 800.0, True, False, False, qijiang) == 6
    assert gradual_exit_months(1200.0, 800.0, True, False, False, qijiang) == 0
    lanzhou = packed(dibao__gradual_exit__employed_only=True, dibao__gradual_exit__months=6)
    assert gradual_exit_months(900.0, 800.0, True, False, False, lanzhou) == 0
    assert gradual_exit_months(900.0, 800.0, True, True, False, lanzhou) == 6
    off = packed(dibao__gradual_exit__enabled=False)
    assert gradual_exit_months(900.0, 800.0, True, True, True, off) == 0


def test_gradual_exit_schedule_falls_by_year_and_holds_the_last_share():
    # jiaohe §5: 75 % of the last benefit in exit year 1, 50 % in year 2 (and after)
    assert gradual_exit_share(0, P) == 0.75
    assert gradual_exit_share(11, P) == 0.75
    assert gradual_exit_share(12, P) == 0.5
    assert gradual_exit_share(30, P) == 0.5
    assert gradual_exit_payment(0, 1000.0, P) == 750.0
    assert gradual_exit_payment(17, 1000.0, P) == 500.0


def test_gradual_exit_schedule_too_long_names_the_path():
    with pytest.raises(InputError, match="payment_schedule"):
        packed(dibao__gradual_exit__payment_schedule=(0.9,) * 7)


# ---- temporary assistance (boshan §3; jiaohe §15) -------------------------------------------

def test_temporary_amounts_are_multiples_of_the_urban_standard():
    assert urgent_amount(P) == 1500.0
    # illness 3–12 × the urban standard 800: 2,400 .. 9,600; the middle 6,000
    assert illness_amount(0.0, P) == pytest.approx(2400.0)
    assert illness_amount(0.5, P) == pytest.approx(6000.0)
    assert illness_amount(1.0, P) == pytest.approx(9600.0)
    # education 3–6 ×: 2,400 .. 4,800
    assert education_amount(0.25, P) == pytest.approx(3000.0)
    assert education_amount(1.0, P) == pytest.approx(4800.0)
    # jiaohe §15: one month of the urban standard (800), rural households too
    assert applicant_amount(P) == 800.0
    assert applicant_amount(packed(temporary__applicant_months=0.0)) == 0.0
    # jiaohe §15 is a public-emergency measure (可): nothing unless the advance is switched on
    assert applicant_amount(packed(temporary__applicant_advance=False)) == 0.0


def test_temporary_multiple_min_above_max_names_the_path():
    with pytest.raises(InputError, match="temporary.illness.multiple_min"):
        packed(temporary__illness__multiple_min=13.0)


# ---- price linkage (statistics.md §4) --------------------------------------------------------

def test_price_linkage_trigger_and_payment():
    assert triggering_rate(0.034, 0.059, P) == 0.0
    assert triggering_rate(0.035, 0.02, P) == 0.035
    assert triggering_rate(0.04, 0.07, P) == 0.07  # both trigger: the larger rate
    assert triggering_rate(0.05, 0.06, P) == 0.06
    assert triggering_rate(0.05, 0.03, P) == 0.05
    # standard × rate, at least the floor of 10 yuan
    assert price_subsidy(800.0, 0.04, P) == pytest.approx(32.0)
    assert price_subsidy(200.0, 0.04, P) == 10.0  # 8 yuan raised to the floor
    assert price_subsidy(800.0, 0.0, P) == 0.0  # not triggered: nothing, not the floor


# ---- packing --------------------------------------------------------------------------------

def test_dynamic_slots_come_from_a_full_policy_and_are_required_by_the_engine():
    p = pack_params(load_policy("jiaohe").at("2024-06-01"), require_dynamic=True)
    assert not any(math.isnan(x) for x in p)
    assert tuple(p[P_GE_SCHEDULE:P_GE_SCHEDULE + 2]) == (0.75, 0.5)
    calculator_only = pack_params(ASSESS)  # the calculator does not need the dynamic rules
    assert all(math.isnan(x) for x in calculator_only[N_ASSESS_PARAMS:])
    with pytest.raises(InputError, match="dibao.gradual_exit.enabled"):
        pack_params(ASSESS, require_dynamic=True)
    half = {**ASSESS, **JIAOHE_LIKE}
    del half["price_linkage.floor"]
    with pytest.raises(InputError, match="price_linkage.floor"):
        pack_params(half)


# ---- re-rating 调标 (qijiang §3), employment subsidy (qijiang §8), requalifying (jiaohe §5) ----

def test_re_rating_moves_only_the_parts_defined_from_the_standard():
    from simulation.rules.rerate import rerated_gap, rerated_single, rerated_supplement

    # Chongqing add-on 60 yuan (fixed) stays 60 after +10 %; jiaohe's 50 % of 800 = 400 → 440
    assert rerated_supplement(60.0, 60.0, 600.0, 660.0) == pytest.approx(60.0)
    assert rerated_supplement(400.0, 0.0, 800.0, 880.0) == pytest.approx(440.0)
    assert rerated_supplement(460.0, 60.0, 800.0, 880.0) == pytest.approx(500.0)
    # own-gap single payments: two persons with own incomes 100 and 300 at standard 600:
    # 500 + 300 = 800 → 560 + 360 = 920 at 660 (not 800 × 1.1 = 880)
    own_gap = packed(dibao__single_person__benefit_rule="own_gap")
    assert rerated_single(800.0, 2, 600.0, 660.0, own_gap) == pytest.approx(920.0)
    assert rerated_single(480.0, 1, 800.0, 880.0, P) == pytest.approx(528.0)  # jiaohe 60 %
    # the gap from the income on file: (880 − 300) × 2 = 1160 (gap mode, urban slot)
    assert rerated_gap(300.0, 2, 880.0, P, 0) == pytest.approx(1160.0)
    assert rerated_gap(900.0, 2, 880.0, P, 0) == 0.0


def test_employment_subsidy_is_the_month_cut_of_the_dibao_benefit():
    from simulation.rules.employment import employment_subsidy

    assert employment_subsidy(735.0, 300.0) == pytest.approx(435.0)  # smaller gap
    assert employment_subsidy(735.0, 0.0) == pytest.approx(735.0)  # left dibao: all of it
    assert employment_subsidy(735.0, 735.0) == 0.0  # gradual exit at 100 %
    assert employment_subsidy(300.0, 400.0) == 0.0  # never negative


def test_requalified_review_month_still_pays_the_exit_amount():
    from simulation.rules.gradual_exit import requalified_month_payment

    # jiaohe: month 13 of the exit is in year 2 (50 %) of a last benefit of 500
    assert requalified_month_payment(13, 500.0, P) == pytest.approx(250.0)
    assert requalified_month_payment(0, 500.0, P) == pytest.approx(375.0)


def test_urgent_aid_tiers_by_severity():
    # seed-coverage row 59 (jiaohe §12 根据急难程度分档设定救助标准): Jiaohe's tiers 40/40/20 % of
    # cases at 0.5 / 1 / 2 × the urgent amount (national 700, an assumption fitted with the
    # published 1,154.9 a case of 2021)
    from simulation.rules.temporary import urgent_amount_by_severity

    p = pack_params(load_policy("jiaohe").at("2024-06-01"))
    amount = float(load_policy("jiaohe").value("temporary.urgent.amount", "2024-06-01"))
    assert amount == 700
    assert urgent_amount_by_severity(0.0, p) == pytest.approx(0.5 * amount)
    assert urgent_amount_by_severity(0.3999, p) == pytest.approx(0.5 * amount)
    assert urgent_amount_by_severity(0.4, p) == pytest.approx(amount)
    assert urgent_amount_by_severity(0.85, p) == pytest.approx(2 * amount)
    assert urgent_amount_by_severity(0.9999, p) == pytest.approx(2 * amount)
    assert urgent_amount_by_severity(0.9, P) == pytest.approx(1500.0)  # one tier: the average
    with pytest.raises(InputError, match="tier_shares"):
        packed(temporary__urgent__tier_shares=(0.5, 0.4), temporary__urgent__tier_factors=(1.0, 2.0))


def test_township_reserve_caps_urgent_aid_unless_refilled():
    # boshan §3: 50,000 yuan per township; demand 30,000 / 80,000 in two townships
    from simulation.rules.temporary import township_reserve

    paid, exceeded = township_reserve([30000.0, 80000.0], 50000.0, refilled=False)
    assert paid.tolist() == [30000.0, 50000.0] and exceeded.tolist() == [0.0, 30000.0]
    paid, exceeded = township_reserve([30000.0, 80000.0], 50000.0, refilled=True)
    assert paid.tolist() == [30000.0, 80000.0] and exceeded.tolist() == [0.0, 30000.0]


def test_large_cases_are_paid_in_instalments():
    # jiaohe §12 一次审批、分次发放: jiaohe pays cases of 6 × the urban standard or more in 3 parts
    from simulation.rules.temporary import instalments

    p = pack_params(load_policy("jiaohe").at("2024-06-01"))
    std = p[0]
    assert instalments(6 * std, p) == 3 and instalments(12 * std, p) == 3
    assert instalments(5.99 * std, p) == 1
    assert instalments(12 * std, pack_params(load_policy("boshan").at("2024-06-01"))) == 1
