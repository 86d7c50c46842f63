"""The household entitlement calculator: one row per household for a policy and a month.

Layers:

- scalar rule kernels, one legal concept each (:mod:`~simulation.rules.income`,
  :mod:`~simulation.rules.dibao`, :mod:`~simulation.rules.tekun`,
  :mod:`~simulation.rules.low_income`, :mod:`~simulation.rules.review`);
- :func:`assess_household` (numba) applies them to one household's persons
  ``hh_start[h]:hh_start[h + 1]`` of a :class:`~simulation.population.columns.PersonArrays` and
  writes one row of the output matrix;
- :func:`assess_arrays` runs it over all (or a subset of) households in parallel (``prange``) and
  returns a float64 matrix ``out[household, O_*]`` — the engine calls this every month, reusing
  ``out``, with parameters packed once per month by :func:`~simulation.rules.params.pack_params`;
- :func:`assess` is the pandas wrapper: validates a person table, resolves the policy for the
  month and labels the result (codes → strings).

Documented choices (interpretations, see the rule docstrings for the clauses):

- A tekun person is not also counted in dibao: tekun persons are removed from the dibao unit
  (size, income, rigid spending and work capacity); the remaining members form the dibao
  household (``dibao_size``). A household of tekun persons only has no dibao unit.
- The asset test is per capita over the whole household (family property), at most
  ``dibao.asset_limit_months`` × the standard; tekun persons also pass it on their own assets.
- Exactly at the standard is not dibao-eligible; it is low income.
- ``reason`` is the primary decision; ``dibao_reason``, ``single_inclusion_reason`` and
  ``tekun_reason`` give the reason for each decision.
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Any

# numba's OpenMP threads spin after a parallel loop and starve numpy (engineering notes).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from numba import njit, prange  # noqa: E402

from simulation.population.columns import PersonArrays, validate_persons  # noqa: E402
from simulation.rules.dibao import (  # noqa: E402
    asset_test,
    dibao_eligible,
    gap_payment,
    single_person_benefit,
    single_person_candidate,
    single_person_family_test,
    supplement,
    tier_class,
    tier_payment,
)
from simulation.rules.income import counted_income  # noqa: E402
from simulation.rules.low_income import expenditure_hardship, low_income  # noqa: E402
from simulation.rules.params import (  # noqa: E402
    MODE_GAP,
    P_ASSET_LIMIT_MONTHS,
    P_DISPOSABLE_INCOME,
    P_EMPLOYMENT_COST_DEDUCTION,
    P_HARDSHIP_MULTIPLE,
    P_LOW_INCOME_MULTIPLE,
    P_MINIMUM_PAYMENT,
    P_MINOR_AGE,
    P_PAYMENT_MODE,
    P_PENSION_EXCLUDED,
    P_REVIEW_BASIS,
    P_SINGLE_ENABLED,
    P_SINGLE_INCOME_MULTIPLE,
    P_STANDARD,
    P_SUPP_AMOUNT,
    P_SUPP_ELDERLY_AGE,
    P_TEKUN_ELDERLY_AGE,
    REVIEW_BY_PAYMENT_CLASS,
    SUPPLEMENTS,
    pack_params,
    resolve_params,
)
from simulation.rules.review import (  # noqa: E402
    REVIEW_CLASSES,
    review_class,
    review_class_by_payment,
    work_capacity,
)
from simulation.rules.tekun import tekun_basic, tekun_care, tekun_eligible  # noqa: E402

#: Output matrix columns, in order; ``O_<NAME>`` is the column index of ``name``.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "size", "dibao_size", "urban", "earned_income", "employment_cost_deduction",
    "pension_excluded", "counted_income", "per_capita_income", "rigid_per_capita",
    "assets_per_capita", "asset_test_passed", "dibao_standard", "dibao_eligible", "dibao_gap",
    "dibao_supplement_elderly", "dibao_supplement_minor", "dibao_supplement_disabled",
    "dibao_supplement_multi_disabled", "dibao_supplement_severe", "dibao_amount", "dibao_tier",
    "single_inclusion_persons", "single_inclusion_amount", "tekun_persons", "tekun_basic",
    "tekun_care", "tekun_amount", "total_amount", "low_income", "expenditure_hardship",
    "review_class", "reason", "dibao_reason", "single_inclusion_reason", "tekun_reason",
    "dibao_supplement_fixed",
)
(O_SIZE, O_DIBAO_SIZE, O_URBAN, O_EARNED, O_DEDUCTION, O_PENSION_EXCLUDED, O_COUNTED,
 O_PER_CAPITA, O_RIGID_PC, O_ASSETS_PC, O_ASSETS_OK, O_STANDARD, O_DIBAO_ELIGIBLE, O_DIBAO_GAP,
 O_SUPP, _O_SUPP_MINOR, _O_SUPP_DISABLED, _O_SUPP_MULTI, _O_SUPP_SEVERE, O_DIBAO_AMOUNT,
 O_DIBAO_TIER, O_SINGLE_PERSONS, O_SINGLE_AMOUNT, O_TEKUN_PERSONS, O_TEKUN_BASIC, O_TEKUN_CARE,
 O_TEKUN_AMOUNT, O_TOTAL, O_LOW_INCOME, O_HARDSHIP, O_REVIEW_CLASS, O_REASON, O_DIBAO_REASON,
 O_SINGLE_REASON, O_TEKUN_REASON, O_SUPP_FIXED) = range(len(OUTPUT_COLUMNS))
N_OUTPUTS = len(OUTPUT_COLUMNS)

#: Reason codes: ``REASONS[code]``.
REASONS: tuple[str, ...] = (
    "NONE", "DIBAO_GAP", "MIN_PAYMENT", "DIBAO_TIER", "ABOVE_STANDARD", "ASSETS_OVER_LIMIT",
    "SINGLE_INCLUSION", "TEKUN", "LOW_INCOME", "EXPENDITURE_HARDSHIP", "ALL_MEMBERS_TEKUN",
    "NOT_APPLICABLE", "NO_QUALIFYING_MEMBER", "INCOME_OVER_MULTIPLE", "POLICY_DISABLED",
    "NO_ELIGIBLE_MEMBER",
)
(R_NONE, R_DIBAO_GAP, R_MIN_PAYMENT, R_DIBAO_TIER, R_ABOVE_STANDARD, R_ASSETS_OVER_LIMIT,
 R_SINGLE_INCLUSION, R_TEKUN, R_LOW_INCOME, R_HARDSHIP, R_ALL_TEKUN, R_NOT_APPLICABLE,
 R_NO_QUALIFYING, R_INCOME_OVER_MULTIPLE, R_POLICY_DISABLED, R_NO_ELIGIBLE) = range(len(REASONS))

#: Per-person output columns (``assess_persons``); ``PO_<NAME>`` is the column index.
PERSON_OUTPUT_COLUMNS: tuple[str, ...] = (
    "counted_income", "tekun", "tekun_amount", "supplement_category", "supplement_amount",
    "single_inclusion", "single_inclusion_amount",
)
(PO_COUNTED, PO_TEKUN, PO_TEKUN_AMOUNT, PO_SUPP_CATEGORY, PO_SUPP_AMOUNT, PO_SINGLE,
 PO_SINGLE_AMOUNT) = range(len(PERSON_OUTPUT_COLUMNS))
N_PERSON_OUTPUTS = len(PERSON_OUTPUT_COLUMNS)
# Passed when per-person results are not wanted (a 0-row matrix: nothing is written).
_NO_PERSON_OUT = np.zeros((0, N_PERSON_OUTPUTS))

_BOOL_OUTPUTS = ("urban", "asset_test_passed", "dibao_eligible", "low_income",
                 "expenditure_hardship")
_INT_OUTPUTS = ("size", "dibao_size", "dibao_tier", "single_inclusion_persons", "tekun_persons")
_REASON_OUTPUTS = ("reason", "dibao_reason", "single_inclusion_reason", "tekun_reason")


@njit(cache=True)
def assess_household(h, row, hh_start, age, urban, disability, serious_illness,
                     paralysed_months, rare_disease, labour_ability, self_care, earned_income,
                     basic_pension, other_income, rigid_expenditure, has_supporter,
                     financial_assets, care_wish, p, out):
    """Assess household ``h`` (persons ``hh_start[h]:hh_start[h+1]``) into ``out[row, :]``.

    Reads only ``hh_start[h]`` and ``hh_start[h + 1]``, so a caller may pass any array holding a
    household's start and end at those two positions.
    """
    assess_household_detail(h, row, hh_start, age, urban, disability, serious_illness,
                            paralysed_months, rare_disease, labour_ability, self_care,
                            earned_income, basic_pension, other_income, rigid_expenditure,
                            has_supporter, financial_assets, care_wish, p, out, _NO_PERSON_OUT)


@njit(cache=True)
def assess_household_detail(h, row, hh_start, age, urban, disability, serious_illness,
                            paralysed_months, rare_disease, labour_ability, self_care,
                            earned_income, basic_pension, other_income, rigid_expenditure,
                            has_supporter, financial_assets, care_wish, p, out, pout,
                            earned_imputed=None):
    """:func:`assess_household`, also writing per-person results to ``pout[j, PO_*]`` for each
    person ``j`` of the household when ``pout`` has rows (who is tekun, included alone, paid a
    supplement, and how much). ``earned_imputed``: per person, earnings imputed at the minimum
    wage (kaizhou §二(一)1, no deduction); omitted (the engine), none are."""
    persons_out = pout.shape[0] > 0
    s = hh_start[h]
    e = hh_start[h + 1]
    area = 0 if urban[s] else 1
    standard = p[P_STANDARD + area]
    deduction = p[P_EMPLOYMENT_COST_DEDUCTION]
    excluded = p[P_PENSION_EXCLUDED] != 0.0
    elderly_age = p[P_SUPP_ELDERLY_AGE]
    minor_age = p[P_MINOR_AGE]
    tekun_age = p[P_TEKUN_ELDERLY_AGE]
    asset_limit = p[P_ASSET_LIMIT_MONTHS] * standard

    # Pass 1: income, assets, tekun persons, work capacity of the dibao unit.
    earned = 0.0
    deducted = 0.0
    pension_out = 0.0
    counted = 0.0
    rigid = 0.0
    assets = 0.0
    n_disabled = 0
    n_tekun = 0
    t_basic = 0.0
    t_care = 0.0
    capacity = 0
    for j in range(s, e):
        imputed = False
        if earned_imputed is not None:
            imputed = earned_imputed[j]
        ci = counted_income(earned_income[j], basic_pension[j], other_income[j], deduction,
                            excluded, imputed)
        earned += earned_income[j]
        if not imputed:
            deducted += earned_income[j] * deduction
        if excluded:
            pension_out += basic_pension[j]
        assets += financial_assets[j]
        if disability[j] != 0:
            n_disabled += 1
        if persons_out:
            for k in range(N_PERSON_OUTPUTS):
                pout[j, k] = 0.0
            pout[j, PO_COUNTED] = ci
            pout[j, PO_SUPP_CATEGORY] = -1.0
        if tekun_eligible(age[j], disability[j], labour_ability[j], has_supporter[j], ci,
                          financial_assets[j], asset_limit, tekun_age, minor_age):
            n_tekun += 1
            basic = tekun_basic(area, care_wish[j], p)
            care = tekun_care(self_care[j], p)
            t_basic += basic
            t_care += care
            if persons_out:
                pout[j, PO_TEKUN] = 1.0
                pout[j, PO_TEKUN_AMOUNT] = basic + care
        else:
            counted += ci
            rigid += rigid_expenditure[j]
            cap = work_capacity(age[j], labour_ability[j], disability[j], serious_illness[j],
                                minor_age, tekun_age)
            if cap > capacity:
                capacity = cap
    size = e - s
    n_dibao = size - n_tekun
    pc = counted / n_dibao if n_dibao > 0 else 0.0
    rigid_pc = rigid / n_dibao if n_dibao > 0 else 0.0
    assets_pc = assets / size
    assets_ok = asset_test(assets_pc, standard, p[P_ASSET_LIMIT_MONTHS])

    # Columns not written on every path start at zero (the rest are always written below).
    for k in range(5):
        out[row, O_SUPP + k] = 0.0
    out[row, O_DIBAO_TIER] = 0.0
    out[row, O_DIBAO_GAP] = 0.0
    out[row, O_SUPP_FIXED] = 0.0
    out[row, O_SIZE] = size
    out[row, O_DIBAO_SIZE] = n_dibao
    out[row, O_URBAN] = 1.0 if urban[s] else 0.0
    out[row, O_EARNED] = earned
    out[row, O_DEDUCTION] = deducted
    out[row, O_PENSION_EXCLUDED] = pension_out
    out[row, O_COUNTED] = counted
    out[row, O_PER_CAPITA] = pc
    out[row, O_RIGID_PC] = rigid_pc
    out[row, O_ASSETS_PC] = assets_pc
    out[row, O_ASSETS_OK] = 1.0 if assets_ok else 0.0
    out[row, O_STANDARD] = standard

    # Dibao for the non-tekun members.
    eligible = n_dibao > 0 and dibao_eligible(pc, standard, assets_ok)
    dibao_amount = 0.0
    if eligible:
        if p[P_PAYMENT_MODE] == MODE_GAP:
            gap, raised = gap_payment(standard, pc, n_dibao, p[P_MINIMUM_PAYMENT])
            out[row, O_DIBAO_REASON] = R_MIN_PAYMENT if raised else R_DIBAO_GAP
        else:
            share = (standard - pc) / standard
            tier = tier_class(share, p, area)
            gap = tier_payment(tier, share, standard, n_dibao, p, area)
            out[row, O_DIBAO_TIER] = tier
            out[row, O_DIBAO_REASON] = R_DIBAO_TIER
        out[row, O_DIBAO_GAP] = gap
        dibao_amount = gap
    elif n_dibao == 0:
        out[row, O_DIBAO_REASON] = R_ALL_TEKUN
    elif not assets_ok:
        out[row, O_DIBAO_REASON] = R_ASSETS_OVER_LIMIT
    else:
        out[row, O_DIBAO_REASON] = R_ABOVE_STANDARD

    # Single-person inclusion is only for families that are not dibao-eligible.
    single_family = False
    if eligible:
        out[row, O_SINGLE_REASON] = R_NOT_APPLICABLE
    elif n_dibao == 0:
        out[row, O_SINGLE_REASON] = R_ALL_TEKUN
    elif p[P_SINGLE_ENABLED] == 0.0:
        out[row, O_SINGLE_REASON] = R_POLICY_DISABLED
    elif not assets_ok:
        out[row, O_SINGLE_REASON] = R_ASSETS_OVER_LIMIT
    elif not single_person_family_test(pc, standard, p[P_SINGLE_INCOME_MULTIPLE], assets_ok):
        out[row, O_SINGLE_REASON] = R_INCOME_OVER_MULTIPLE
    else:
        single_family = True
        out[row, O_SINGLE_REASON] = R_NO_QUALIFYING

    # Pass 2 (only when needed): supplements of dibao members, single-person inclusions.
    n_single = 0
    single_amount = 0.0
    if eligible or single_family:
        for j in range(s, e):
            imputed = False
            if earned_imputed is not None:
                imputed = earned_imputed[j]
            ci = counted_income(earned_income[j], basic_pension[j], other_income[j], deduction,
                                excluded, imputed)
            if tekun_eligible(age[j], disability[j], labour_ability[j], has_supporter[j], ci,
                              financial_assets[j], asset_limit, tekun_age, minor_age):
                continue
            if eligible:
                cat, amount = supplement(age[j], disability[j], serious_illness[j], n_disabled,
                                         elderly_age, minor_age, standard, p)
                if cat >= 0:
                    out[row, O_SUPP + cat] += amount
                    # the fixed yuan part does not move with the standard (re-rating, rerate.py)
                    out[row, O_SUPP_FIXED] += p[P_SUPP_AMOUNT + cat]
                    dibao_amount += amount
                    if persons_out:
                        pout[j, PO_SUPP_CATEGORY] = cat
                        pout[j, PO_SUPP_AMOUNT] = amount
            elif single_person_candidate(disability[j], serious_illness[j],
                                         paralysed_months[j], rare_disease[j], p):
                benefit = single_person_benefit(standard, ci, p)
                if benefit > 0.0:
                    n_single += 1
                    single_amount += benefit
                    if persons_out:
                        pout[j, PO_SINGLE] = 1.0
                        pout[j, PO_SINGLE_AMOUNT] = benefit
    if n_single > 0:
        out[row, O_SINGLE_REASON] = R_SINGLE_INCLUSION
    out[row, O_DIBAO_ELIGIBLE] = 1.0 if eligible else 0.0
    out[row, O_DIBAO_AMOUNT] = dibao_amount
    out[row, O_SINGLE_PERSONS] = n_single
    out[row, O_SINGLE_AMOUNT] = single_amount

    out[row, O_TEKUN_PERSONS] = n_tekun
    out[row, O_TEKUN_BASIC] = t_basic
    out[row, O_TEKUN_CARE] = t_care
    out[row, O_TEKUN_AMOUNT] = t_basic + t_care
    out[row, O_TEKUN_REASON] = R_TEKUN if n_tekun > 0 else R_NO_ELIGIBLE
    out[row, O_TOTAL] = dibao_amount + single_amount + t_basic + t_care

    is_low = n_dibao > 0 and low_income(pc, standard, p[P_LOW_INCOME_MULTIPLE], assets_ok)
    hardship = n_dibao > 0 and expenditure_hardship(
        pc, rigid_pc, standard, p[P_HARDSHIP_MULTIPLE], p[P_DISPOSABLE_INCOME + area])
    out[row, O_LOW_INCOME] = 1.0 if is_low else 0.0
    out[row, O_HARDSHIP] = 1.0 if hardship else 0.0
    if eligible and p[P_PAYMENT_MODE] != MODE_GAP and p[P_REVIEW_BASIS] == REVIEW_BY_PAYMENT_CLASS:
        out[row, O_REVIEW_CLASS] = review_class_by_payment(int(out[row, O_DIBAO_TIER]), area, p)
    else:
        out[row, O_REVIEW_CLASS] = review_class(capacity, n_tekun > 0 and not eligible
                                                and n_single == 0)

    # Primary reason: the decision that pays, else why nothing is paid.
    if eligible:
        reason = out[row, O_DIBAO_REASON]
    elif n_single > 0:
        reason = R_SINGLE_INCLUSION
    elif n_tekun > 0:
        reason = R_TEKUN
    elif not assets_ok:
        reason = R_ASSETS_OVER_LIMIT
    elif is_low:
        reason = R_LOW_INCOME
    elif hardship:
        reason = R_HARDSHIP
    else:
        reason = R_ABOVE_STANDARD
    out[row, O_REASON] = reason


@njit(parallel=True, cache=True)
def _assess_kernel(households, hh_start, age, urban, disability, serious_illness,
                   paralysed_months, rare_disease, labour_ability, self_care, earned_income,
                   basic_pension, other_income, rigid_expenditure, has_supporter,
                   financial_assets, care_wish, p, out, pout, earned_imputed):
    for r in prange(households.shape[0]):
        assess_household_detail(households[r], r, hh_start, age, urban, disability,
                                serious_illness, paralysed_months, rare_disease, labour_ability,
                                self_care, earned_income, basic_pension, other_income,
                                rigid_expenditure, has_supporter, financial_assets, care_wish, p,
                                out, pout, earned_imputed)


def assess_arrays(persons: PersonArrays, packed: np.ndarray,
                  households: np.ndarray | None = None,
                  out: np.ndarray | None = None,
                  person_out: np.ndarray | None = None) -> np.ndarray:
    """Assess households of ``persons`` with packed parameters; returns ``out[r, O_*]`` (float64).

    ``packed`` comes from :func:`~simulation.rules.params.pack_params` (once per month).
    ``households``: positions (0..n_households-1, int64) to assess, default all; row ``r`` of the
    result belongs to ``households[r]``. ``out``: a preallocated C-contiguous float64 buffer of
    at least ``(len(households), N_OUTPUTS)`` to reuse across months (allocation is slow here).
    Codes in the result: booleans 0/1, ``review_class`` indexes ``REVIEW_CLASSES``, reasons index
    ``REASONS``, ``dibao_tier`` is 0 in gap mode. ``person_out``: optional float64
    ``(n_persons, N_PERSON_OUTPUTS)`` matrix receiving per-person results (``PO_*``, rows in the
    sorted person order) for the assessed households' persons.
    """
    if person_out is None:
        person_out = _NO_PERSON_OUT
    elif person_out.shape != (persons.n_persons, N_PERSON_OUTPUTS) or person_out.dtype != np.float64:
        raise ValueError(f"person_out must be float64 with shape ({persons.n_persons}, "
                         f"{N_PERSON_OUTPUTS}), got {person_out.dtype} {person_out.shape}")
    if households is None:
        households = np.arange(persons.n_households, dtype=np.int64)
    else:
        households = np.ascontiguousarray(households, dtype=np.int64)
        if households.size and (households.min() < 0 or households.max() >= persons.n_households):
            raise IndexError(f"household positions must be in 0..{persons.n_households - 1}")
    n = households.shape[0]
    if out is None:
        out = np.empty((n, N_OUTPUTS), dtype=np.float64)
    elif out.shape[0] < n or out.shape[1] != N_OUTPUTS or out.dtype != np.float64:
        raise ValueError(f"out must be float64 with shape (>= {n}, {N_OUTPUTS}), got "
                         f"{out.dtype} {out.shape}")
    if packed.dtype != np.float64:
        raise ValueError("packed parameters must be float64 (use pack_params)")
    imputed = persons.earned_imputed
    if imputed is None:
        imputed = np.zeros(persons.n_persons, dtype=np.bool_)
    _assess_kernel(households, persons.hh_start, persons.age, persons.urban, persons.disability,
                   persons.serious_illness, persons.paralysed_months, persons.rare_disease,
                   persons.labour_ability, persons.self_care, persons.earned_income,
                   persons.basic_pension, persons.other_income, persons.rigid_expenditure,
                   persons.has_supporter, persons.financial_assets, persons.care_wish, packed,
                   out, person_out, imputed)
    return out[:n]


def label_outputs(result: np.ndarray, household_ids: np.ndarray) -> pd.DataFrame:
    """Turn an :func:`assess_arrays` matrix into the labelled table of :func:`assess` (a copy)."""
    columns: dict[str, Any] = {}
    for k, name in enumerate(OUTPUT_COLUMNS):
        values = result[:, k]
        if name in _BOOL_OUTPUTS:
            columns[name] = values != 0.0
        elif name in _INT_OUTPUTS:
            columns[name] = values.astype(np.int64)
        elif name in _REASON_OUTPUTS or name == "review_class":
            # Categoricals from codes: fast, and the categories list every possible code.
            labels = REVIEW_CLASSES if name == "review_class" else REASONS
            columns[name] = pd.Categorical.from_codes(values.astype(np.int8), categories=list(labels))
        else:
            columns[name] = values.copy()
    return pd.DataFrame(columns, index=pd.Index(household_ids, name="household_id"))


def assess(persons: pd.DataFrame | PersonArrays, policy_or_params: Any,
           month: str | _dt.date = "2024-06-01", source: str = "persons") -> pd.DataFrame:
    """Entitlements of every household for a policy and a month (one row per household).

    ``persons``: a person table (docs/contracts.md §2; validated, errors name the column and
    rows) or :class:`PersonArrays`. ``policy_or_params``: a ``Policy`` (its parameters at the
    first day of ``month`` are used) or a ``Params`` mapping. Columns: ``OUTPUT_COLUMNS``, money in
    yuan per month; index ``household_id``.
    """
    arrays = persons if isinstance(persons, PersonArrays) else validate_persons(persons, source)
    packed = pack_params(resolve_params(policy_or_params, month))
    return label_outputs(assess_arrays(arrays, packed), arrays.household_ids)


def assess_persons(persons: pd.DataFrame | PersonArrays, policy_or_params: Any,
                   month: str | _dt.date = "2024-06-01", source: str = "persons") -> pd.DataFrame:
    """Per-person results: who is tekun, who is included alone 单人户, who gets which supplement.

    One row per person in the input's order and index (for :class:`PersonArrays`, sorted order),
    columns ``household_id`` and ``PERSON_OUTPUT_COLUMNS``: ``counted_income``, ``tekun`` (bool),
    ``tekun_amount``, ``supplement_category`` (``elderly`` … ``severe`` or ``""``),
    ``supplement_amount``, ``single_inclusion`` (bool), ``single_inclusion_amount`` (yuan/month).
    """
    is_frame = not isinstance(persons, PersonArrays)
    arrays = validate_persons(persons, source) if is_frame else persons
    packed = pack_params(resolve_params(policy_or_params, month))
    pout = np.empty((arrays.n_persons, N_PERSON_OUTPUTS), dtype=np.float64)
    assess_arrays(arrays, packed, person_out=pout)
    table = pd.DataFrame(pout, columns=list(PERSON_OUTPUT_COLUMNS))
    table.insert(0, "household_id", np.repeat(arrays.household_ids, arrays.household_size()))
    for name in ("tekun", "single_inclusion"):
        table[name] = table[name].to_numpy() != 0.0
    labels = np.asarray(SUPPLEMENTS + ("",), dtype=object)  # code -1 -> ""
    table["supplement_category"] = labels[table["supplement_category"].to_numpy().astype(np.int64)]
    if is_frame:  # back to the input's row order and index
        back = np.empty_like(arrays.row)
        back[arrays.row] = np.arange(arrays.n_persons)
        table = table.iloc[back]
        table.index = persons.index
    return table


_SHOWN = (
    ("size", "size"), ("urban", "urban"), ("per_capita_income", "pc income"),
    ("dibao_standard", "standard"), ("dibao_gap", "gap"), ("supplements", "supplements"),
    ("dibao_amount", "dibao"), ("single_inclusion_amount", "single"),
    ("tekun_amount", "tekun"), ("total_amount", "total"), ("low_income", "low inc"),
    ("review_class", "review"), ("reason", "reason"),
)


def format_assessment(table: pd.DataFrame) -> str:
    """A readable text table of an :func:`assess` result (yuan per month), with a total line."""
    shown = table.copy()
    shown["supplements"] = shown[[f"dibao_supplement_{c}" for c in SUPPLEMENTS]].sum(axis=1)
    shown = shown[[c for c, _ in _SHOWN]].rename(columns=dict(_SHOWN))
    shown["urban"] = np.where(table["urban"], "urban", "rural")
    shown["low inc"] = np.where(table["low_income"], "yes", "")
    text = shown.to_string(float_format=lambda v: f"{v:,.2f}")
    total = table["total_amount"].sum()
    return (f"{text}\n\n{len(table)} households, {int(table['size'].sum())} persons; "
            f"total {total:,.2f} yuan/month (dibao {table['dibao_amount'].sum():,.2f}, "
            f"single-person {table['single_inclusion_amount'].sum():,.2f}, "
            f"tekun {table['tekun_amount'].sum():,.2f})")
