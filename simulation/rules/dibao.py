"""Dibao 低保 (minimum living guarantee): asset test, gap payment, tiers, supplements, single inclusion.

Scalar numba kernels; the household calculator (:mod:`simulation.rules.entitlement`) calls them.
Interpretation stated once here: a household whose per-capita counted income is exactly at the
standard is NOT eligible (all seeds: income "below" 低于 the standard).
"""

from __future__ import annotations

from numba import njit

from simulation.population.columns import DISABILITY_NONE, DISABILITY_SEVERE
from simulation.rules.params import (
    BENEFIT_OWN_GAP,
    MAX_TIERS,
    P_SINGLE_PARALYSED_MONTHS,
    P_SINGLE_RULE,
    P_SINGLE_SHARE,
    P_SUPP_AMOUNT,
    P_SUPP_SHARE,
    P_TIER_AT_LEAST_GAP,
    P_TIER_COUNT,
    P_TIER_GAP_CLASS,
    P_TIER_MAX_ABOVE_GAP,
    P_TIER_SHARES,
    P_TIER_THRESHOLDS,
    SUPP_DISABLED,
    SUPP_ELDERLY,
    SUPP_MINOR,
    SUPP_MULTI_DISABLED,
)


@njit(cache=True)
def asset_test(assets_per_capita: float, standard: float, limit_months: float) -> bool:
    """Asset test 财产认定: per-capita financial assets at most ``limit_months`` × the standard.

    jiaohe §4: cash, deposits, securities and claims per capita 不超过当地 24 个月低保标准
    (the same limit for dibao, tekun and low-income families). At the limit passes.
    """
    return assets_per_capita <= limit_months * standard


@njit(cache=True)
def dibao_eligible(per_capita_income: float, standard: float, assets_passed: bool) -> bool:
    """Dibao eligibility 低保认定: per-capita counted income strictly below the standard, assets pass.

    All seeds (e.g. qijiang §1, jiaohe §5). Exactly at the standard is not eligible.
    """
    return assets_passed and per_capita_income < standard


@njit(cache=True)
def gap_payment(standard: float, per_capita_income: float, size: int,
                minimum: float) -> tuple[float, bool]:
    """Gap payment 补差: (standard − per-capita income) × size, raised to the minimum payment.

    jiaohe §5: 根据家庭成员人均收入与低保标准的实际差额发放低保金，设定补差额度最低标准;
    qijiang §3 补差发放. Returns (amount, raised_to_minimum). A positive gap below
    ``dibao.minimum_payment`` is raised to it.
    """
    gap = (standard - per_capita_income) * size
    if gap <= 0.0:
        return 0.0, False
    if gap < minimum:
        return minimum, True
    return gap, False


@njit(cache=True)
def tier_class(gap_share: float, p, area: int) -> int:
    """Payment class 分档 (1-based) of a household from its gap share (gap ÷ standard per person).

    lanzhou §四 按分档或差额的方式发放; §六 rural classes 一类…四类, urban 全额/差额; qijiang §3
    探索分档发放. Interpretation: the household is in the first class k whose threshold
    ``dibao.tiers.<area>.gap_thresholds[k]`` its gap share reaches; below every threshold it is
    in the last class.
    """
    n = int(p[P_TIER_COUNT + area])
    for k in range(n):
        if gap_share >= p[P_TIER_THRESHOLDS + area * MAX_TIERS + k]:
            return k + 1
    return n


@njit(cache=True)
def tier_payment(tier: int, gap_share: float, standard: float, size: int, p, area: int) -> float:
    """Payment in tiers mode: share of the standard for the class × standard × size (lanzhou §四).

    The class ``dibao.tiers.<area>.gap_class`` (lanzhou §六 城市低保差额对象) is paid its own gap
    instead: gap share × standard × size.
    """
    if tier == int(p[P_TIER_GAP_CLASS + area]):
        return gap_share * standard * size
    return tier_share(p[P_TIER_SHARES + area * MAX_TIERS + tier - 1], gap_share, p) * standard * size


@njit(cache=True)
def tier_share(class_share: float, gap_share: float, p) -> float:
    """Share of the standard per person that a class pays a household with this gap share.

    lanzhou §四 按分档或差额的方式按时发放低保金: the seed and statistics.md give the class amounts
    (Gansu rural 一类…四类), not who is in a class. Interpretation (parameters): with
    ``dibao.tiers.at_least_gap`` no class pays less than the household's own gap (a dibao
    household is guaranteed its gap, all seeds), and a class pays at most
    ``dibao.tiers.max_above_gap`` of the standard above the gap, so the payment is within
    [gap, gap + bound] and no step at a class boundary exceeds the bound.
    """
    share = class_share
    cap = gap_share + p[P_TIER_MAX_ABOVE_GAP]
    if share > cap:
        share = cap
    if p[P_TIER_AT_LEAST_GAP] != 0.0 and share < gap_share:
        share = gap_share
    return share


@njit(cache=True)
def supplement(age: int, disability: int, serious_illness: bool, household_disabled: int,
               elderly_age: float, minor_age: float, standard: float, p) -> tuple[int, float]:
    """Key-person supplement 分档增发 of one dibao member: (category, yuan/month); (-1, 0) if none.

    jiaohe §5: elderly 70+ and minors 50 %; 一户多残人员 55 %; 重度残疾人、重病患者及老残一体人员
    60 % of the standard; 按最高比例增发，不重复增发 — the highest category only. A category pays
    ``share × standard + amount`` (Chongqing's add-ons are amounts). Interpretations: minor =
    age below ``tekun.minor_age``; 一户多残人员 = a disabled member of a household with two or more
    disabled persons; 老残一体 = aged ``elderly_age``+ and disabled (any grade). Ties go to the
    more severe category.
    """
    best_cat = -1
    best = 0.0
    disabled = disability != DISABILITY_NONE
    elderly = age >= elderly_age
    for cat in range(5):
        if cat == SUPP_ELDERLY:
            applies = elderly
        elif cat == SUPP_MINOR:
            applies = age < minor_age
        elif cat == SUPP_DISABLED:
            applies = disabled
        elif cat == SUPP_MULTI_DISABLED:
            applies = disabled and household_disabled >= 2
        else:
            applies = (disability == DISABILITY_SEVERE or serious_illness
                       or (elderly and disabled))
        if applies:
            value = p[P_SUPP_SHARE + cat] * standard + p[P_SUPP_AMOUNT + cat]
            if value > 0.0 and value >= best:
                best = value
                best_cat = cat
    return best_cat, best


@njit(cache=True)
def single_person_candidate(disability: int, serious_illness: bool, paralysed_months: int,
                            rare_disease: bool, p) -> bool:
    """Whether a person may be enrolled alone 参照“单人户”纳入低保.

    qijiang §1: 瘫痪 6 个月以上人员、重残人员、重病患者、罕见病种患者; kaizhou §二(二)3 and
    lanzhou §四: 重残、重病. Paralysis counts from ``dibao.single_person.paralysed_months``.
    """
    return (disability == DISABILITY_SEVERE or serious_illness or rare_disease
            or paralysed_months >= p[P_SINGLE_PARALYSED_MONTHS])


@njit(cache=True)
def single_person_family_test(per_capita_income: float, standard: float,
                              income_multiple: float, assets_passed: bool) -> bool:
    """Family test for single-person inclusion: a low-income family 低收入家庭.

    qijiang §1: 家庭人均月收入高于低保标准，但低于低保标准 1.5 倍，且财产符合相关规定. The caller
    applies it only to households that are not dibao-eligible.
    """
    return assets_passed and per_capita_income < income_multiple * standard


@njit(cache=True)
def single_person_benefit(standard: float, own_income: float, p) -> float:
    """Monthly benefit of a person enrolled alone.

    ``share_of_standard``: jiaohe §5 pays 当地重病重残人员增发补助金标准 (60 % of the standard);
    ``own_gap`` (interpretation for qijiang, kaizhou): a one-person household with own counted
    income, standard − own income, 0 when not positive.
    """
    if p[P_SINGLE_RULE] == BENEFIT_OWN_GAP:
        gap = standard - own_income
        return gap if gap > 0.0 else 0.0
    return p[P_SINGLE_SHARE] * standard
