"""Parameters packed for the numba kernels.

The rules read parameters from a :class:`simulation.policy.Params` mapping (dotted paths, see
docs/contracts.md §1). Numba kernels cannot take a mapping, so :func:`pack_params` builds, once per
month, a float64 vector ``p`` whose slots are named by the integer constants below (``P_*``).
Enumerations enter as codes (``MODE_*``, ``BENEFIT_*``, ``AREA_*``), booleans as 0.0/1.0, lists
(tier shares and thresholds) as ``MAX_TIERS`` slots per area plus a count. Urban/rural pairs are
adjacent so a kernel reads ``p[P_STANDARD + area]`` with ``area`` 0 (urban) or 1 (rural).

The effective dibao standard is resolved here (:func:`dibao_standard`): the dated value, a share
of last year's consumption (boshan §1, lanzhou §五) or of disposable income (jiaohe §3), with the
rural standard converging on the urban one where the locality unifies them (boshan §1).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

import numpy as np

from simulation.errors import InputError

AREA_URBAN, AREA_RURAL = 0, 1
AREAS = ("urban", "rural")
MODE_GAP, MODE_TIERS = 0, 1
REVIEW_BY_WORK_CAPACITY, REVIEW_BY_PAYMENT_CLASS = 0, 1
BENEFIT_OWN_GAP, BENEFIT_SHARE = 0, 1
SETTING_DISPERSED, SETTING_CENTRALISED = 0, 1
MAX_TIERS = 8

#: Supplement categories in order of precedence when two give the same amount (last wins ties).
SUPPLEMENTS = ("elderly", "minor", "disabled", "multi_disabled", "severe")
SUPP_ELDERLY, SUPP_MINOR, SUPP_DISABLED, SUPP_MULTI_DISABLED, SUPP_SEVERE = range(5)

P_STANDARD = 0  # + area: effective dibao standard, yuan/person/month
P_ASSET_LIMIT_MONTHS = 2
P_EMPLOYMENT_COST_DEDUCTION = 3
P_PENSION_EXCLUDED = 4
P_MINIMUM_PAYMENT = 5
P_PAYMENT_MODE = 6
P_SUPP_ELDERLY_AGE = 7
P_MINOR_AGE = 8  # tekun.minor_age: below this age a person is a minor (18 in all seeds)
P_SUPP_SHARE = 9  # + category (5 slots)
P_SUPP_AMOUNT = 14  # + category (5 slots)
P_SINGLE_ENABLED = 19
P_SINGLE_INCOME_MULTIPLE = 20
P_SINGLE_PARALYSED_MONTHS = 21
P_SINGLE_RULE = 22
P_SINGLE_SHARE = 23
P_LOW_INCOME_MULTIPLE = 24
P_HARDSHIP_MULTIPLE = 25
P_DISPOSABLE_INCOME = 26  # + area, yuan/person/year
P_TEKUN_ELDERLY_AGE = 28
P_TEKUN_BASIS = 29  # + area: AREA_* code of the standard the multiple applies to
P_TEKUN_MULTIPLE = 31  # + setting * 2 + area
P_TEKUN_CARE = 35  # + self-care code (able, partial, unable)
P_TIER_COUNT = 38  # + area
P_TIER_SHARES = 40  # + area * MAX_TIERS + k
P_TIER_THRESHOLDS = P_TIER_SHARES + 2 * MAX_TIERS  # + area * MAX_TIERS + k
#: Slots the household calculator (``entitlement.assess_household``) reads: a change in any of them
#: changes what the rules pay now (the engine re-rates 调标 on such a change).
P_TIER_GAP_CLASS = P_TIER_THRESHOLDS + 2 * MAX_TIERS  # + area: class paid its own gap (0 = none)
P_TIER_AT_LEAST_GAP = P_TIER_GAP_CLASS + 2  # 1.0: no class pays less than the household's gap
P_TIER_MAX_ABOVE_GAP = P_TIER_AT_LEAST_GAP + 1  # share of standard a class may pay above the gap
P_REVIEW_BASIS = P_TIER_MAX_ABOVE_GAP + 1  # REVIEW_BY_* code
P_REVIEW_YEARLY_CLASSES = P_REVIEW_BASIS + 1  # + area: payment classes 1..k reviewed yearly
N_ASSESS_PARAMS = P_REVIEW_YEARLY_CLASSES + 2
# Dynamic rules (gradual exit 渐退, temporary assistance 临时救助, price linkage 物价联动): read by
# the engine through the kernels of gradual_exit.py, temporary.py and price_linkage.py.
MAX_SCHEDULE = 6  # years of a gradual-exit payment schedule
P_GE_ENABLED = N_ASSESS_PARAMS
P_GE_CEILING = P_GE_ENABLED + 1  # × standard
P_GE_MONTHS = P_GE_CEILING + 1
P_GE_MONTHS_DISABLED = P_GE_MONTHS + 1
P_GE_EMPLOYED_ONLY = P_GE_MONTHS_DISABLED + 1
P_GE_SCHEDULE_N = P_GE_EMPLOYED_ONLY + 1
P_GE_SCHEDULE = P_GE_SCHEDULE_N + 1  # + exit year (MAX_SCHEDULE slots), share of last benefit
P_TMP_URGENT = P_GE_SCHEDULE + MAX_SCHEDULE  # yuan/case
P_TMP_ILLNESS_MIN = P_TMP_URGENT + 1  # × monthly urban standard
P_TMP_ILLNESS_MAX = P_TMP_ILLNESS_MIN + 1
P_TMP_EDUCATION_MIN = P_TMP_ILLNESS_MAX + 1
P_TMP_EDUCATION_MAX = P_TMP_EDUCATION_MIN + 1
P_TMP_APPLICANT_MONTHS = P_TMP_EDUCATION_MAX + 1
P_TMP_URGENT_TIERS = P_TMP_APPLICANT_MONTHS + 1  # number of severity tiers
P_TMP_URGENT_CUM = P_TMP_URGENT_TIERS + 1  # + tier: cumulative share of cases (MAX_TIERS slots)
P_TMP_URGENT_FACTOR = P_TMP_URGENT_CUM + MAX_TIERS  # + tier: × temporary.urgent.amount
P_TMP_INSTALMENT_MONTHS = P_TMP_URGENT_FACTOR + MAX_TIERS  # payments of a large case
P_TMP_INSTALMENT_THRESHOLD = P_TMP_INSTALMENT_MONTHS + 1  # × monthly urban standard
P_PL_CPI_TRIGGER = P_TMP_INSTALMENT_THRESHOLD + 1  # share (year-on-year)
P_PL_FOOD_CPI_TRIGGER = P_PL_CPI_TRIGGER + 1
P_PL_FLOOR = P_PL_FOOD_CPI_TRIGGER + 1  # yuan/person/month
N_PARAMS = P_PL_FLOOR + 1

#: Parameter paths of the dynamic rules, by group (packed together or not at all).
DYNAMIC_GROUPS = {
    "gradual_exit": ("dibao.gradual_exit.enabled", "dibao.gradual_exit.ceiling_multiple",
                     "dibao.gradual_exit.months", "dibao.gradual_exit.months_disabled",
                     "dibao.gradual_exit.employed_only", "dibao.gradual_exit.payment_schedule"),
    "temporary": ("temporary.urgent.amount", "temporary.illness.multiple_min",
                  "temporary.illness.multiple_max", "temporary.education.multiple_min",
                  "temporary.education.multiple_max", "temporary.applicant_months",
                  "temporary.applicant_advance", "temporary.urgent.tier_shares",
                  "temporary.urgent.tier_factors", "temporary.instalments.months",
                  "temporary.instalments.threshold"),
    "price_linkage": ("price_linkage.cpi_trigger", "price_linkage.food_cpi_trigger",
                      "price_linkage.floor"),
}


def _get(params: Mapping[str, Any], path: str) -> Any:
    try:
        return params[path]
    except KeyError:
        raise InputError("parameters", path, "missing parameter") from None


def _enum(params: Mapping[str, Any], path: str, allowed: tuple[str, ...]) -> int:
    value = _get(params, path)
    if value not in allowed:
        raise InputError("parameters", path, f"unknown value {value!r} (allowed: {allowed})")
    return allowed.index(value)


STANDARD_RULES = ("schedule", "consumption_share", "disposable_income_share")


def _rule_standard(params: Mapping[str, Any], area: str) -> tuple[float, str]:
    """The standard of ``area`` by ``dibao.standard.rule``, before unification, and how it was set."""
    rule = _get(params, "dibao.standard.rule") if "dibao.standard.rule" in params else "schedule"
    if rule == "schedule":
        value = float(_get(params, f"dibao.standard.{area}"))
        return value, f"{value:,.2f} (dated schedule)"
    if rule == "consumption_share":
        # boshan §1; lanzhou §五 from 2024 (interpretation in its policy file)
        share = float(_get(params, f"dibao.standard.consumption_share.{area}"))
        base = float(_get(params, f"dibao.standard.consumption.{area}"))
        label = "last year's per-capita consumption"
    elif rule == "disposable_income_share":
        # jiaohe §3 与城乡居民人均可支配收入挂钩
        share = float(_get(params, f"dibao.standard.disposable_income_share.{area}"))
        base = float(_get(params, f"expenditure_hardship.disposable_income.{area}"))
        label = "last year's per-capita disposable income"
    else:
        raise InputError("parameters", "dibao.standard.rule",
                         f"unknown value {rule!r} (allowed: {STANDARD_RULES})")
    value = share * base / 12.0
    return value, f"{value:,.2f} = {share:g} × {base:,.0f} ({label}) ÷ 12"


def unification_progress(params: Mapping[str, Any], year: int | None) -> float:
    """Share of the way from the rural standard to the urban one in ``year`` (0 = none, 1 = one).

    boshan §1 力争“十四五”末实现全区城乡低保标准统一: with ``dibao.standard.unification.enabled``
    the gap closes in equal yearly steps from ``start_year`` (0) to ``target_year`` (1), set each
    January. ``year`` None (a period before every dated change) is before the path starts.
    """
    if not params.get("dibao.standard.unification.enabled", False) or year is None:
        return 0.0
    start = int(_get(params, "dibao.standard.unification.start_year"))
    target = int(_get(params, "dibao.standard.unification.target_year"))
    if year >= target:
        return 1.0
    if year <= start:
        return 0.0
    return (year - start) / (target - start)


def _params_year(params: Mapping[str, Any]) -> int | None:
    valid_from = getattr(params, "valid_from", None)
    return valid_from.year if valid_from is not None else None


def dibao_standard(params: Mapping[str, Any], area: str) -> float:
    """Effective dibao standard 低保标准 (yuan/person/month) for ``area`` (``urban``/``rural``).

    ``dibao.standard.rule``: ``schedule`` → the dated ``dibao.standard.<area>``;
    ``consumption_share`` (boshan §1; lanzhou §五) → ``dibao.standard.consumption_share.<area>``
    × ``dibao.standard.consumption.<area>`` (last year's yuan/person/year) ÷ 12;
    ``disposable_income_share`` (jiaohe §3) → ``dibao.standard.disposable_income_share.<area>``
    × ``expenditure_hardship.disposable_income.<area>`` ÷ 12. The input figures are dated each
    January, so a rule-driven standard is recomputed then. With unification (boshan §1) the rural
    standard moves toward the urban one (:func:`unification_progress`, year of the period).
    """
    return standard_derivation(params, area)[0]


def standard_derivation(params: Mapping[str, Any], area: str) -> tuple[float, str]:
    """The standard of ``area`` (:func:`dibao_standard`) and one line saying how it was set."""
    value, how = _rule_standard(params, area)
    if area == "rural":
        progress = unification_progress(params, _params_year(params))
        if progress > 0.0:
            urban, _ = _rule_standard(params, "urban")
            own = value
            value = own + (urban - own) * progress
            how = (f"{value:,.2f} = {own:,.2f} + {progress:.2f} × ({urban:,.2f} − {own:,.2f}) "
                   f"(urban–rural unification; own rule {how})")
    return value, how


def standards_text(params: Mapping[str, Any]) -> str:
    """How the month's dibao standards were set, one line per area (printed by ``assess``)."""
    rule = params.get("dibao.standard.rule", "schedule")
    lines = [f"dibao standard ({rule}, yuan/person/month):"]
    for area in AREAS:
        lines.append(f"  {area}: {standard_derivation(params, area)[1]}")
    return "\n".join(lines)


def _pack_dynamic(params: Mapping[str, Any], p: np.ndarray, require: bool) -> None:
    """Fill the slots of the dynamic rules (gradual exit, temporary assistance, price linkage).

    A group whose paths are all absent is left NaN unless ``require`` (the engine needs them); a
    group with some paths present and some absent is an error either way.
    """
    p[N_ASSESS_PARAMS:] = np.nan
    for group, paths in DYNAMIC_GROUPS.items():
        present = [path in params for path in paths]
        if not any(present) and not require:
            continue
        if not all(present):
            missing = paths[present.index(False)]
            raise InputError("parameters", missing, f"missing parameter ({group} rules)")
    if "dibao.gradual_exit.enabled" in params:
        p[P_GE_ENABLED] = float(bool(_get(params, "dibao.gradual_exit.enabled")))
        p[P_GE_CEILING] = float(_get(params, "dibao.gradual_exit.ceiling_multiple"))
        p[P_GE_MONTHS] = float(_get(params, "dibao.gradual_exit.months"))
        p[P_GE_MONTHS_DISABLED] = float(_get(params, "dibao.gradual_exit.months_disabled"))
        p[P_GE_EMPLOYED_ONLY] = float(bool(_get(params, "dibao.gradual_exit.employed_only")))
        schedule = tuple(_get(params, "dibao.gradual_exit.payment_schedule"))
        if p[P_GE_ENABLED] and not 1 <= len(schedule) <= MAX_SCHEDULE:
            raise InputError("parameters", "dibao.gradual_exit.payment_schedule",
                             f"needs 1..{MAX_SCHEDULE} yearly shares, got {schedule!r}")
        p[P_GE_SCHEDULE_N] = min(len(schedule), MAX_SCHEDULE)
        p[P_GE_SCHEDULE:P_GE_SCHEDULE + MAX_SCHEDULE] = 0.0
        for k, share in enumerate(schedule[:MAX_SCHEDULE]):
            p[P_GE_SCHEDULE + k] = float(share)
    if "temporary.urgent.amount" in params:
        p[P_TMP_URGENT] = float(_get(params, "temporary.urgent.amount"))
        for slot, name in ((P_TMP_ILLNESS_MIN, "illness"), (P_TMP_EDUCATION_MIN, "education")):
            low = float(_get(params, f"temporary.{name}.multiple_min"))
            high = float(_get(params, f"temporary.{name}.multiple_max"))
            if low > high:
                raise InputError("parameters", f"temporary.{name}.multiple_min",
                                 f"{low} above temporary.{name}.multiple_max {high}")
            p[slot], p[slot + 1] = low, high
        shares = tuple(_get(params, "temporary.urgent.tier_shares"))
        factors = tuple(_get(params, "temporary.urgent.tier_factors"))
        if len(shares) != len(factors) or not 1 <= len(shares) <= MAX_TIERS \
                or abs(sum(shares) - 1.0) > 1e-6:
            raise InputError("parameters", "temporary.urgent.tier_shares",
                             f"needs 1..{MAX_TIERS} shares summing to 1 and as many tier_factors; "
                             f"got {shares!r} and {factors!r}")
        p[P_TMP_URGENT_TIERS] = len(shares)
        p[P_TMP_URGENT_CUM:P_TMP_URGENT_CUM + MAX_TIERS] = 1.0
        p[P_TMP_URGENT_CUM:P_TMP_URGENT_CUM + len(shares)] = np.cumsum(shares)
        p[P_TMP_URGENT_FACTOR:P_TMP_URGENT_FACTOR + MAX_TIERS] = 0.0
        p[P_TMP_URGENT_FACTOR:P_TMP_URGENT_FACTOR + len(factors)] = factors
        p[P_TMP_INSTALMENT_MONTHS] = float(_get(params, "temporary.instalments.months"))
        p[P_TMP_INSTALMENT_THRESHOLD] = float(_get(params, "temporary.instalments.threshold"))
        # jiaohe §15 sits under public emergencies and says 可 (may): paid only when declared
        advance = bool(_get(params, "temporary.applicant_advance"))
        p[P_TMP_APPLICANT_MONTHS] = float(_get(params, "temporary.applicant_months")) if advance else 0.0
    if "price_linkage.cpi_trigger" in params:
        p[P_PL_CPI_TRIGGER] = float(_get(params, "price_linkage.cpi_trigger"))
        p[P_PL_FOOD_CPI_TRIGGER] = float(_get(params, "price_linkage.food_cpi_trigger"))
        p[P_PL_FLOOR] = float(_get(params, "price_linkage.floor"))


def pack_params(params: Mapping[str, Any], require_dynamic: bool = False) -> np.ndarray:
    """Pack a ``Params`` mapping into the float64 vector the kernels read (slots ``P_*``).

    Slots below ``N_ASSESS_PARAMS`` are the household calculator's; the slots of the dynamic rules
    (``DYNAMIC_GROUPS``) are packed when their paths are present (a full policy always has them),
    left NaN when a group is wholly absent, and required with ``require_dynamic`` (the engine).
    Raises :class:`InputError` naming the parameter path when one is missing or an enum value is
    unknown, or when tier shares and thresholds differ in length in ``tiers`` mode.
    """
    p = np.zeros(N_PARAMS, dtype=np.float64)
    for a, area in enumerate(AREAS):
        p[P_STANDARD + a] = dibao_standard(params, area)
        p[P_DISPOSABLE_INCOME + a] = float(_get(params, f"expenditure_hardship.disposable_income.{area}"))
        p[P_TEKUN_BASIS + a] = _enum(params, f"tekun.basis.{area}", AREAS)
        for s, setting in enumerate(("dispersed", "centralised")):
            p[P_TEKUN_MULTIPLE + 2 * s + a] = float(_get(params, f"tekun.multiple.{setting}.{area}"))
    p[P_ASSET_LIMIT_MONTHS] = float(_get(params, "dibao.asset_limit_months"))
    p[P_EMPLOYMENT_COST_DEDUCTION] = float(_get(params, "dibao.employment_cost_deduction"))
    p[P_PENSION_EXCLUDED] = float(bool(_get(params, "dibao.basic_pension_excluded")))
    p[P_MINIMUM_PAYMENT] = float(_get(params, "dibao.minimum_payment"))
    p[P_PAYMENT_MODE] = _enum(params, "dibao.payment_mode", ("gap", "tiers"))
    p[P_SUPP_ELDERLY_AGE] = float(_get(params, "dibao.supplement.elderly_age"))
    p[P_MINOR_AGE] = float(_get(params, "tekun.minor_age"))
    for c, name in enumerate(SUPPLEMENTS):
        p[P_SUPP_SHARE + c] = float(_get(params, f"dibao.supplement.{name}.share"))
        p[P_SUPP_AMOUNT + c] = float(_get(params, f"dibao.supplement.{name}.amount"))
    p[P_SINGLE_ENABLED] = float(bool(_get(params, "dibao.single_person.enabled")))
    p[P_SINGLE_INCOME_MULTIPLE] = float(_get(params, "dibao.single_person.income_multiple"))
    p[P_SINGLE_PARALYSED_MONTHS] = float(_get(params, "dibao.single_person.paralysed_months"))
    p[P_SINGLE_RULE] = _enum(params, "dibao.single_person.benefit_rule",
                             ("own_gap", "share_of_standard"))
    p[P_SINGLE_SHARE] = float(_get(params, "dibao.single_person.benefit_share"))
    p[P_LOW_INCOME_MULTIPLE] = float(_get(params, "low_income.multiple"))
    p[P_HARDSHIP_MULTIPLE] = float(_get(params, "expenditure_hardship.income_multiple"))
    p[P_TEKUN_ELDERLY_AGE] = float(_get(params, "tekun.elderly_age"))
    for k, tier in enumerate(("self_care", "partial", "full")):
        p[P_TEKUN_CARE + k] = float(_get(params, f"tekun.care.{tier}"))
    p[P_TIER_AT_LEAST_GAP] = float(bool(_get(params, "dibao.tiers.at_least_gap")))
    p[P_TIER_MAX_ABOVE_GAP] = float(_get(params, "dibao.tiers.max_above_gap"))
    p[P_REVIEW_BASIS] = _enum(params, "dibao.review.basis", ("work_capacity", "payment_class"))
    for a, area in enumerate(AREAS):
        p[P_REVIEW_YEARLY_CLASSES + a] = float(_get(params, f"dibao.review.yearly_classes.{area}"))
    if p[P_PAYMENT_MODE] == MODE_TIERS:
        for a, area in enumerate(AREAS):
            shares = tuple(_get(params, f"dibao.tiers.{area}.shares"))
            thresholds = tuple(_get(params, f"dibao.tiers.{area}.gap_thresholds"))
            if not shares or len(shares) != len(thresholds) or len(shares) > MAX_TIERS:
                raise InputError(
                    "parameters", f"dibao.tiers.{area}.shares",
                    f"tiers mode needs 1..{MAX_TIERS} shares and as many gap_thresholds; got "
                    f"{len(shares)} shares and {len(thresholds)} thresholds")
            p[P_TIER_COUNT + a] = len(shares)
            gap_class = int(_get(params, f"dibao.tiers.{area}.gap_class"))
            if gap_class > len(shares):
                raise InputError(
                    "parameters", f"dibao.tiers.{area}.gap_class",
                    f"class {gap_class} does not exist: there are {len(shares)} classes")
            p[P_TIER_GAP_CLASS + a] = gap_class
            for k, (share, threshold) in enumerate(zip(shares, thresholds, strict=True)):
                p[P_TIER_SHARES + a * MAX_TIERS + k] = float(share)
                p[P_TIER_THRESHOLDS + a * MAX_TIERS + k] = float(threshold)
    _pack_dynamic(params, p, require_dynamic)
    return p


def month_date(month: str | _dt.date) -> str:
    """``"2024-06"``, ``"2024-06-01"`` or a date → ``"2024-06-01"`` (first day of the month)."""
    if isinstance(month, _dt.date):
        return month.replace(day=1).isoformat()
    text = str(month)
    try:
        parsed = _dt.date.fromisoformat(text if len(text) > 7 else text + "-01")
    except ValueError:
        raise InputError("arguments", "month", f"expected YYYY-MM or YYYY-MM-DD, got {text!r}") from None
    return parsed.replace(day=1).isoformat()


def resolve_params(policy_or_params: Any, month: str | _dt.date) -> Mapping[str, Any]:
    """The ``Params`` in force: ``policy.at(first day of month)`` for a Policy, else the mapping."""
    if hasattr(policy_or_params, "at"):
        return policy_or_params.at(month_date(month))
    if isinstance(policy_or_params, Mapping):
        return policy_or_params
    raise InputError("arguments", "policy_or_params",
                     f"expected a Policy or a Params mapping, got {type(policy_or_params).__name__}")
