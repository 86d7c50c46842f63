"""The monthly processes of the engine, as two fused numba kernels over households.

Each month runs these named processes in this order (households in parallel, chunk by chunk):

Kernel 1, every household (:func:`persons_kernel`):
  1. ``demography``   ageing (birthdays spread over the year), deaths by age (Gompertz-Makeham,
                      raised for the severely disabled and seriously ill), births into free slots;
                      a tekun person's death pays the funeral subsidy 丧葬补贴 (``tekun.funeral_months``
                      × the basic living standard, qijiang §2) once and ends that person's support.
  2. ``health``       disability onset and progression (some severe onsets leave the person
                      paralysed), serious illness onset and recovery, loss of self-care; in old
                      age, loss of labour ability and of the legal supporter (the tekun inflow;
                      ``supporter_loss`` rural, ``supporter_loss_urban`` urban);
  3. ``jobs``         jobs lost and found (working ages, by labour ability); past the working ages
                      (``work_age_max``, the generator's) work and labour ability end;
  4. ``income``       persistent AR(1) and transitory log-earnings shocks of the employed, wages
                      growing with the area's NBS income path; transfers and support raised with
                      it each January, residents' pensions with the central minimum
                      (``economy.monthly_inputs``); basic pension from 60;
  5. ``expenditure``  rigid medical spending while seriously ill; education costs in September;
  6. ``assessment``   the rules' household calculator (``simulation.rules.entitlement.
                      assess_household``) on a household's current circumstances, where a
                      temporary-assistance or application draw needs it and the income screen
                      does not rule it out (finished after each chunk's loop);
  7. ``temporary``    temporary assistance 临时救助: urgent type (``temporary.urgent.amount``) and
                      expenditure type for illness and education (a multiple of the urban standard,
                      boshan §3) for low-income, hardship and assisted households;
  8. ``applications`` eligible non-recipients apply with probability ``take_up`` (rural; urban
                      × ``take_up_urban_ratio``; with a tekun member ``take_up_tekun`` and its
                      urban ratio), raised by active discovery 主动发现 and, during an expansion
                      campaign 应保尽保, by ``campaign_take_up_multiple`` (near-poor applicants
                      then accepted in error with ``campaign_inclusion``); in a public emergency
                      (``temporary.applicant_advance``) an applicant gets
                      ``temporary.applicant_months`` of the urban standard first (jiaohe §15).

Between the kernels the township offices (Mesa agents) decide how many queued applications they
can decide this month (oldest first, within their capacity).

Kernel 2, households in a programme or queue (:func:`programme_kernel`):
  9. ``decisions``    offices decide queued applications: enrolment if the rules say so; days to
                      decision are recorded against ``admin.decision_deadline_days``;
 10. ``reviews``      on the locality's calendar by review class (``dibao.review.months.A/B/C``,
                      ``tekun.review.months``, qijiang §4), and when a household reports a major
                      change between reviews (probability ``report_change``): the payment is
                      recomputed; between them it does not change. ``verification``: a review
                      of an inclusion error 错保 (enrolled with income the office does not see)
                      finds it with the month's detection rate (method mix, campaign) and it
                      leaves (``exits_verification``);
 11. ``gradual_exit`` 渐退: a household found above the standard but below
                      ``dibao.gradual_exit.ceiling_multiple`` × the standard keeps
                      ``payment_schedule`` shares of its last benefit for ``months``
                      (``months_disabled`` with a disabled member), then leaves if still above;
                      qualifying again ends the exit; at or above the ceiling it leaves at once;
 12. ``employment_subsidy`` a registered-unemployed member who finds work gives the household the
                      month's dibao cut (``rules.employment``; also off dibao or in gradual exit)
                      for ``dibao.employment_subsidy.months`` from the review (qijiang §8);
 13. ``price_linkage`` 物价联动: when CPI (or food CPI) year-on-year reaches its trigger, recipients
                      get the standard × the rate, at least ``price_linkage.floor``, per person;
 14. ``payments``     the month's payments and counts, summed by township × area.

Every random draw is keyed (``rng``): the same seed gives the same shocks to every household and
month in a baseline and a reform; the rules stay pure.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from collections.abc import Mapping  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from numba import njit, prange  # noqa: E402
from numba.core import types  # noqa: E402
from numba.core.extending import intrinsic  # noqa: E402

from simulation.engine import _cache  # noqa: E402
from simulation.engine.behaviour import B  # noqa: E402
from simulation.engine.economy import (  # noqa: E402
    D_CAMPAIGN,
    D_OTHER,
    D_PENSION_60,
    D_PENSION_DELTA,
    D_WAGE,
)
from simulation.engine.rng import key_hash, sub_key, to_approx_normal, to_uniform  # noqa: E402
from simulation.errors import InputError  # noqa: E402
from simulation.population.columns import (  # noqa: E402
    DISABILITY_MILD,
    DISABILITY_NONE,
    DISABILITY_SEVERE,
    LABOUR_FULL,
    LABOUR_NONE,
    LABOUR_PARTIAL,
    SELF_CARE_UNABLE,
)
from simulation.rules.employment import employment_subsidy  # noqa: E402
from simulation.rules.entitlement import (  # noqa: E402
    N_PERSON_OUTPUTS,
    O_ASSETS_OK,
    O_DIBAO_AMOUNT,
    O_DIBAO_ELIGIBLE,
    O_DIBAO_GAP,
    O_DIBAO_SIZE,
    O_HARDSHIP,
    O_LOW_INCOME,
    O_PER_CAPITA,
    O_REVIEW_CLASS,
    O_SINGLE_AMOUNT,
    O_SINGLE_PERSONS,
    O_STANDARD,
    O_SUPP_FIXED,
    O_TEKUN_BASIC,
    O_TEKUN_CARE,
    O_TEKUN_PERSONS,
    assess_household_detail,
)
from simulation.rules.gradual_exit import (  # noqa: E402
    gradual_exit_months,
    gradual_exit_payment,
    gradual_exit_share,  # noqa: F401 - re-exported for outputs.trace
    requalified_month_payment,
)
from simulation.rules.income import counted_income  # noqa: E402
from simulation.rules.params import (  # noqa: E402
    P_ASSET_LIMIT_MONTHS,
    P_EMPLOYMENT_COST_DEDUCTION,
    P_MINOR_AGE,
    P_PENSION_EXCLUDED,
    P_SINGLE_ENABLED,
    P_SINGLE_INCOME_MULTIPLE,
    P_STANDARD,
    P_TEKUN_BASIS,
    P_TEKUN_ELDERLY_AGE,
)
from simulation.rules.price_linkage import price_subsidy, triggering_rate  # noqa: E402
from simulation.rules.rerate import rerated_gap, rerated_single, rerated_supplement  # noqa: E402
from simulation.rules.tekun import tekun_basic, tekun_care, tekun_eligible  # noqa: E402
from simulation.rules.temporary import (  # noqa: E402
    applicant_amount,
    education_amount,
    illness_amount,
    instalments,
    urgent_amount_by_severity,
)

# numba kernels below are cached by the hash of everything they compile in (_cache.py)
_PREVIOUS_CACHE = _cache.begin()

# Behaviour vector slots (numba reads module-level integers as constants).
BI_DISABILITY_ONSET_60 = B["disability_onset_60"]
BI_DISABILITY_ONSET_SLOPE = B["disability_onset_slope"]
BI_DISABILITY_SEVERE_RATE = B["disability_severe_rate"]
BI_DISCOVERY = B["discovery"]
BI_EDUCATION_COST_PROB = B["education_cost_prob"]
BI_FERTILITY = B["fertility"]
BI_FERTILITY_AGE_MAX = B["fertility_age_max"]
BI_FERTILITY_AGE_MIN = B["fertility_age_min"]
BI_DISABILITY_ONSET_AGE_MIN = B["disability_onset_age_min"]
BI_ILLNESS_DOUBLING_YEARS = B["illness_doubling_years"]
BI_SELF_CARE_LOSS_AGE = B["self_care_loss_age"]
BI_STUDENT_AGE_MIN = B["student_age_min"]
BI_STUDENT_AGE_MAX = B["student_age_max"]
BI_ILLNESS_COST_MULTIPLE = B["illness_cost_multiple"]
BI_ILLNESS_ONSET = B["illness_onset"]
BI_ILLNESS_RECOVERY = B["illness_recovery"]
BI_INCOME_RHO = B["income_rho"]
BI_INCOME_SD_PERSISTENT = B["income_sd_persistent"]
BI_INCOME_SD_TRANSITORY = B["income_sd_transitory"]
BI_INCOME_SMOOTHING_MONTHS = B["income_smoothing_months"]
BI_JOB_FIND = B["job_find"]
BI_JOB_FIND_PARTIAL_FACTOR = B["job_find_partial_factor"]
BI_JOB_LOSS = B["job_loss"]
BI_MAJOR_CHANGE_SHARE = B["major_change_share"]
BI_MORTALITY_DISABLED_MULTIPLE = B["mortality_disabled_multiple"]
BI_MORTALITY_GOMPERTZ_A = B["mortality_gompertz_a"]
BI_MORTALITY_GOMPERTZ_B = B["mortality_gompertz_b"]
BI_MORTALITY_ILL_MULTIPLE = B["mortality_ill_multiple"]
BI_MORTALITY_MAKEHAM = B["mortality_makeham"]
BI_PARALYSIS_SHARE = B["paralysis_share"]
BI_PENSION_AT_60 = B["pension_at_60"]
BI_PROCESSING_DAYS_MAX = B["processing_days_max"]
BI_PROCESSING_DAYS_MIN = B["processing_days_min"]
BI_REPORT_CHANGE = B["report_change"]
BI_SELF_CARE_DECLINE = B["self_care_decline"]
BI_TAKE_UP = B["take_up"]
BI_TAKE_UP_URBAN_RATIO = B["take_up_urban_ratio"]
BI_TAKE_UP_TEKUN = B["take_up_tekun"]
BI_TAKE_UP_TEKUN_URBAN_RATIO = B["take_up_tekun_urban_ratio"]
BI_LABOUR_LOSS_AGE = B["labour_loss_age"]
BI_LABOUR_LOSS_ELDERLY = B["labour_loss_elderly"]
BI_SUPPORTER_LOSS = B["supporter_loss"]
BI_SUPPORTER_LOSS_URBAN = B["supporter_loss_urban"]
BI_TEMPORARY_TAKE_UP = B["temporary_take_up"]
BI_URGENT_RATE = B["urgent_rate"]
BI_WORK_AGE_MAX = B["work_age_max"]
BI_WORK_AGE_MIN = B["work_age_min"]
BI_INCLUSION_MULTIPLE = B["inclusion_income_multiple"]
BI_CAMPAIGN_TAKE_UP = B["campaign_take_up_multiple"]
BI_CAMPAIGN_INCLUSION = B["campaign_inclusion"]

# ---- household states -------------------------------------------------------------------------
ST_NONE, ST_PENDING, ST_ENROLLED, ST_EXIT, ST_GONE = 0, 1, 2, 3, 4

# ---- trace event codes (one per household and month; the last event of the month wins) -------
EVENTS = (
    "", "applied", "approved", "denied", "reviewed", "reported", "exit_started", "exit_ended",
    "requalified", "left_income", "left_other", "household_died", "temporary", "funeral",
    "birth", "death", "left_verified",
)
(EV_NONE, EV_APPLIED, EV_APPROVED, EV_DENIED, EV_REVIEWED, EV_REPORTED, EV_EXIT_STARTED,
 EV_EXIT_ENDED, EV_REQUALIFIED, EV_LEFT_INCOME, EV_LEFT_OTHER, EV_HH_DIED, EV_TEMPORARY,
 EV_FUNERAL, EV_BIRTH, EV_DEATH, EV_LEFT_VERIFIED) = range(len(EVENTS))

# ---- engine parameters (packed from Params once per period) ------------------------------------
# The legal formulas' parameters (gradual exit, temporary assistance, price linkage) are the
# rules' pack_params slots; these are the engine's calendar and bookkeeping parameters.
E_REVIEW_MASK = 0  # + class A, B, C, T: bit m-1 set if reviewed in m
E_EMP_ENABLED = E_REVIEW_MASK + 4
E_EMP_MONTHS = E_EMP_ENABLED + 1
E_FUNERAL_MONTHS = E_EMP_MONTHS + 1
E_DEADLINE_DAYS = E_FUNERAL_MONTHS + 1  # calendar days
N_ENGINE_PARAMS = E_DEADLINE_DAYS + 1


def _month_mask(months: Any, path: str) -> float:
    mask = 0
    for m in months:
        if not 1 <= int(m) <= 12:
            raise InputError("parameters", path, f"month {m!r} outside 1..12")
        mask |= 1 << (int(m) - 1)
    return float(mask)


def pack_engine_params(params: Mapping[str, Any]) -> np.ndarray:
    """The engine's own parameters (review calendar, funeral and employment subsidy, decision
    deadline) as a float64 vector ``E_*``; the gradual-exit, temporary-assistance and
    price-linkage parameters are in the rules' ``pack_params`` vector."""
    def get(path: str) -> Any:
        try:
            return params[path]
        except KeyError:
            raise InputError("parameters", path, "missing parameter") from None

    e = np.zeros(N_ENGINE_PARAMS, dtype=np.float64)
    for k, cls in enumerate(("A", "B", "C")):
        path = f"dibao.review.months.{cls}"
        e[E_REVIEW_MASK + k] = _month_mask(get(path), path)
    e[E_REVIEW_MASK + 3] = _month_mask(get("tekun.review.months"), "tekun.review.months")
    e[E_EMP_ENABLED] = float(bool(get("dibao.employment_subsidy.enabled")))
    e[E_EMP_MONTHS] = float(get("dibao.employment_subsidy.months"))
    e[E_FUNERAL_MONTHS] = float(get("tekun.funeral_months"))
    days = float(get("admin.decision_deadline_days"))
    basis = get("admin.deadline_basis")
    if basis not in ("working", "calendar"):
        raise InputError("parameters", "admin.deadline_basis", f"unknown value {basis!r}")
    # working days → calendar days: five working days a week (holidays ignored)
    e[E_DEADLINE_DAYS] = days * 7.0 / 5.0 if basis == "working" else days
    return e


# ---- accumulator columns: one row per township × area, summed over households (weighted) ----
ACC_COLUMNS = (
    # dibao 低保 (household payment other than single-person inclusion)
    "dibao_households", "dibao_persons", "dibao_pay_gap", "dibao_pay_supplement",
    "dibao_pay_gradual_exit", "dibao_entries", "dibao_exits_income", "dibao_exits_gradual_end",
    "dibao_exits_death", "dibao_exits_other", "dibao_reviews", "dibao_in_exit",
    # single-person inclusion 单人户
    "single_households", "single_persons", "single_pay", "single_entries", "single_exits_income",
    "single_exits_death", "single_exits_other",
    # tekun 特困
    "tekun_households", "tekun_persons", "tekun_pay_basic", "tekun_pay_care", "tekun_entries",
    "tekun_exits_income", "tekun_exits_death", "tekun_exits_aged_out", "tekun_exits_other",
    "tekun_reviews",
    # temporary assistance 临时救助
    "temporary_cases", "temporary_pay_urgent", "temporary_pay_illness",
    "temporary_pay_education", "temporary_pay_applicant",
    # price linkage, employment subsidy, funeral
    "price_persons", "price_pay", "employment_households", "employment_pay",
    "funeral_persons", "funeral_pay",
    # offices
    "applications", "pending", "decisions", "approvals", "days_sum", "decisions_late",
    "reports",
    # demography (weighted)
    "persons", "births", "deaths", "births_blocked", "households_alive", "households_died",
    # unweighted counts for the conservation checks
    "n_persons_start", "n_births", "n_deaths", "n_persons_end", "n_households_start",
    "n_households_died", "n_households_end", "n_negative_payments",
    # every payment of the month, summed once per household (checked against the components)
    "total_pay",
    # dibao recipients whose unseen income a review found (inclusion error ended, 核查退出)
    "dibao_exits_verification",
    # urgent aid of the month above the township's reserve fund (boshan §3; model.py)
    "temporary_reserve_exceeded",
)
A = {name: i for i, name in enumerate(ACC_COLUMNS)}
N_ACC = len(ACC_COLUMNS)
(A_D_HH, A_D_PERSONS, A_D_GAP, A_D_SUPP, A_D_EXITPAY, A_D_ENTRIES, A_D_EX_INCOME, A_D_EX_GEND,
 A_D_EX_DEATH, A_D_EX_OTHER, A_D_REVIEWS, A_D_IN_EXIT,
 A_S_HH, A_S_PERSONS, A_S_PAY, A_S_ENTRIES, A_S_EX_INCOME, A_S_EX_DEATH, A_S_EX_OTHER,
 A_T_HH, A_T_PERSONS, A_T_BASIC, A_T_CARE, A_T_ENTRIES, A_T_EX_INCOME, A_T_EX_DEATH,
 A_T_EX_AGED, A_T_EX_OTHER, A_T_REVIEWS,
 A_TMP_CASES, A_TMP_URGENT, A_TMP_ILLNESS, A_TMP_EDU, A_TMP_APPLICANT,
 A_PL_PERSONS, A_PL_PAY, A_ES_HH, A_ES_PAY, A_F_PERSONS, A_F_PAY,
 A_APPLICATIONS, A_PENDING, A_DECISIONS, A_APPROVALS, A_DAYS_SUM, A_LATE, A_REPORTS,
 A_PERSONS, A_BIRTHS, A_DEATHS, A_BIRTHS_BLOCKED, A_HH_ALIVE, A_HH_DIED,
 U_PERSONS_START, U_BIRTHS, U_DEATHS, U_PERSONS_END, U_HH_START, U_HH_DIED, U_HH_END,
 U_NEGATIVE, A_TOTAL_PAY, A_D_EX_VERIFY, A_TMP_RESERVE_EXCEEDED) = range(N_ACC)

#: Queue ages tracked per township (months waited; the last bin holds older applications).
QUEUE_AGES = 13
#: Days-to-decision histogram: one-day bins, the last bin holds longer waits.
DAY_BINS = 400

# ---- key streams inside a household key (sub-key index; K_URGENT_MULT and K_QUEUE are reserved:
# renumbering would change every later draw) ----
K_BIRTH, K_URGENT, K_URGENT_MULT, K_EDU, K_EDU_MULT, K_APPLY, K_APPLY_DAY, K_ILL_TAKE, \
    K_ILL_MULT, K_REPORT, K_QUEUE, K_PROC_DAYS, K_VERIFY, K_ERROR, K_SEEN = range(15)
STREAM_HOUSEHOLD = 101
STREAM_PERSON = 102
STREAM_INITIAL = 103
STREAM_QUEUE = 104


@njit(cache=True)
def hazard_tables(b: np.ndarray) -> np.ndarray:
    """Monthly probabilities by year of age (0..120): death, disability onset, illness onset."""
    t = np.zeros((3, 121), dtype=np.float64)
    for age in range(121):
        m = b[BI_MORTALITY_MAKEHAM] + b[BI_MORTALITY_GOMPERTZ_A] * np.exp(
            b[BI_MORTALITY_GOMPERTZ_B] * age)
        t[0, age] = 1.0 - np.exp(-m / 12.0)
        onset = 0.0
        if age >= b[BI_DISABILITY_ONSET_AGE_MIN]:
            onset = b[BI_DISABILITY_ONSET_60] * np.exp(b[BI_DISABILITY_ONSET_SLOPE] * (age - 60))
        t[1, age] = 1.0 - np.exp(-min(onset, 5.0) / 12.0)
        ill = b[BI_ILLNESS_ONSET] * 2.0 ** ((age - 50) / b[BI_ILLNESS_DOUBLING_YEARS])
        t[2, age] = 1.0 - np.exp(-min(ill, 5.0) / 12.0)
    return t


@njit(cache=True)
def event_bounds(haz: np.ndarray, b: np.ndarray, tekun_age: float) -> np.ndarray:
    """Upper bounds, by employment (0, 1) and year of age, of the summed monthly probabilities
    of every person event drawn from the person's one uniform (death, disability, illness,
    self-care, labour ability, supporter, job loss or finding). A draw at or above the bound
    changes nothing, so the kernel skips the chain of tests for it: the same results, far fewer
    branches (most persons have no event in a month)."""
    q_severe = 1.0 - np.exp(-b[BI_DISABILITY_SEVERE_RATE] / 12.0)
    q_find = max(b[BI_JOB_FIND], b[BI_JOB_FIND] * b[BI_JOB_FIND_PARTIAL_FACTOR])
    out = np.empty((2, 121), dtype=np.float64)
    for age in range(121):
        x = haz[0, age] * max(1.0, b[BI_MORTALITY_DISABLED_MULTIPLE]) * max(
            1.0, b[BI_MORTALITY_ILL_MULTIPLE])
        x += max(haz[1, age], q_severe) + max(haz[2, age], b[BI_ILLNESS_RECOVERY])
        x += b[BI_SELF_CARE_DECLINE]
        if age >= b[BI_LABOUR_LOSS_AGE]:
            x += b[BI_LABOUR_LOSS_ELDERLY]
        if age >= tekun_age:
            x += max(b[BI_SUPPORTER_LOSS], b[BI_SUPPORTER_LOSS_URBAN])
        x_idle = x
        x_employed = x
        if b[BI_WORK_AGE_MIN] <= age <= b[BI_WORK_AGE_MAX]:
            x_idle += q_find
            x_employed += b[BI_JOB_LOSS]
        # a margin far above rounding: the kernel sums the same terms in another order
        out[0, age] = x_idle * (1.0 + 1e-9)
        out[1, age] = x_employed * (1.0 + 1e-9)
    return out


@njit(cache=True)
def queue_draw(seed, h, applied_month):
    """The keyed place of household ``h``'s application in its cohort (fixed for the
    application): an office reaching a cohort part-way decides the lowest draws first."""
    return to_uniform(key_hash(seed, STREAM_QUEUE, h, applied_month))


@njit(cache=True)
def queue_draws(seed, positions, applied_month):
    """:func:`queue_draw` for many households (the offices' planning, in Python)."""
    out = np.empty(positions.shape[0])
    for i in range(positions.shape[0]):
        out[i] = queue_draw(seed, positions[i], applied_month[positions[i]])
    return out


@njit(cache=True, inline="always")
def _copy_person(src, dst, age_y, birth_m, disability, ill, paralysed, rare, labour, self_care,
                 employed, wage, perm, earned, pension, other, rigid_base, rigid, unemp,
                 supporter, assets, care_wish, urban_p):
    age_y[dst] = age_y[src]
    birth_m[dst] = birth_m[src]
    disability[dst] = disability[src]
    ill[dst] = ill[src]
    paralysed[dst] = paralysed[src]
    rare[dst] = rare[src]
    labour[dst] = labour[src]
    self_care[dst] = self_care[src]
    employed[dst] = employed[src]
    wage[dst] = wage[src]
    perm[dst] = perm[src]
    earned[dst] = earned[src]
    pension[dst] = pension[src]
    other[dst] = other[src]
    rigid_base[dst] = rigid_base[src]
    rigid[dst] = rigid[src]
    unemp[dst] = unemp[src]
    supporter[dst] = supporter[src]
    assets[dst] = assets[src]
    care_wish[dst] = care_wish[src]
    urban_p[dst] = urban_p[src]


#: Households per block of person draws (the block's slots × 24 bytes stay in the L1/L2 cache).
DRAW_BLOCK = 256


@njit(cache=True)
def person_draws(seed, mkey, lo, hi, keys, u):
    """The keys of slots ``lo..hi-1`` in month ``mkey``, at ``[slot - lo]``, and the uniform
    from each that decides the person's events; the income shocks are drawn from the key only
    for the employed (:func:`income_shocks`)."""
    for i in range(hi - lo):
        pkey = key_hash(seed, STREAM_PERSON, lo + i, mkey)
        keys[i] = pkey
        u[i] = to_uniform(pkey)


@njit(cache=True, inline="always")
def income_shocks(pkey):
    """The two income shocks (persistent, transitory) of a person's month key."""
    return to_approx_normal(sub_key(pkey, 0)), to_approx_normal(sub_key(pkey, 1))


@njit(cache=True, inline="always")
def _count_ages(s0, n, age_y, lo, hi):
    """How many of the household's ``n`` members (from slot ``s0``) are aged ``lo..hi``."""
    k = 0
    for j in range(s0, s0 + n):
        k += (age_y[j] >= lo) & (age_y[j] <= hi)
    return k


@njit(cache=True, inline="always")
def _income_screen(s0, n, earned, pension, other, labour, supporter, deduction, excluded):
    """The household's summed counted income and whether a member could be tekun (no labour
    ability, no supporter, no counted income): the screen before the rules' calculator."""
    ci_sum = 0.0
    maybe_tekun = False
    for j in range(s0, s0 + n):
        ci = counted_income(earned[j], pension[j], other[j], deduction, excluded)
        ci_sum += ci
        maybe_tekun |= (labour[j] == LABOUR_NONE) & (supporter[j] == 0) & (ci == 0.0)
    return ci_sum, maybe_tekun


@intrinsic
def _next_chunk(typingctx, counter):
    """Atomically ``counter[0] += 1``, returning the value before (the next chunk's place)."""
    sig = types.int64(counter)

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.atomic_rmw("add", array.data, context.get_constant(types.int64, 1),
                                  "monotonic")

    return sig, codegen


@njit(cache=True, inline="always")
def _supported(status: int) -> bool:
    return status == ST_ENROLLED or status == ST_EXIT


@njit(parallel=True, cache=True, error_model="numpy")
def persons_kernel(seed, mkey, t, cal_month, b, p, e, dyn, haz, entry_wage,
                   chunk_bounds, slot_start, slot_cap, bounds, n_alive, hh_urban, township,
                   weight, status, applied_month, applied_day, paid_tekun_n, paid_tekun_basic,
                   paid_tekun_care, flags,
                   age_y, birth_m, disability, ill, paralysed, rare, labour, self_care, employed,
                   wage, perm, earned, pension, other, rigid_base, rigid, unemp, supporter,
                   assets, care_wish, urban_p,
                   scratch, acc, event, defer_h, defer_bits, order, n_threads, refresh_rigid,
                   max_members, dirty, hidden, instalment_left, instalment_amount):
    """Kernel 1 (processes 1-8) for every household, chunk by chunk; see the module docstring.

    ``rigid`` (rigid spending: the person's own plus the illness cost while seriously ill) is
    kept up to date where illness starts or ends; ``refresh_rigid`` recomputes it for everyone
    (the first month, and whenever the parameters changed: the illness cost is a multiple of the
    standard).
    ``max_members``: the most slots of any household (``slot_cap.max()``). ``dirty[h]`` is set
    when anything the rules read about the household changes (a birthday, an event, income, a
    birth or death, months paralysed): the programme kernel skips the report check of a household
    whose circumstances are those of its last assessment.

    ``flags`` per household, bits: 1 = a registered-unemployed member found work (employment
    subsidy), 2..: count of tekun minors aged out since the last review (bits 8..15).

    ``dyn``: this month's economic inputs (``economy.D_*``): the wage index by area, the yearly
    raise of transfers and support, the pension increase and the new pensioners' amount, and
    whether an expansion campaign 应保尽保 is in force: then eligible households apply at
    ``campaign_take_up_multiple`` × their rates, and a near-poor household that applies is
    accepted in error with probability ``campaign_inclusion`` (``hidden[h] = 2`` until decided).
    """
    n_chunks = chunk_bounds.shape[0] - 1
    no_pout = np.zeros((0, N_PERSON_OUTPUTS))  # per-person results not wanted
    minor_age = p[P_MINOR_AGE]
    tekun_age = p[P_TEKUN_ELDERLY_AGE]
    deduction = p[P_EMPLOYMENT_COST_DEDUCTION]
    excluded = p[P_PENSION_EXCLUDED] != 0.0
    work_min = b[BI_WORK_AGE_MIN]
    work_max = b[BI_WORK_AGE_MAX]
    rho = b[BI_INCOME_RHO]
    sd_p = b[BI_INCOME_SD_PERSISTENT]
    sd_t = b[BI_INCOME_SD_TRANSITORY]
    trans_mean = -0.5 * sd_t * sd_t
    smooth = 1.0 / max(1.0, b[BI_INCOME_SMOOTHING_MONTHS])
    pension_delta = dyn[D_PENSION_DELTA]
    q_loss = b[BI_JOB_LOSS]
    q_find = b[BI_JOB_FIND]
    find_partial = b[BI_JOB_FIND_PARTIAL_FACTOR]
    q_severe = 1.0 - np.exp(-b[BI_DISABILITY_SEVERE_RATE] / 12.0)
    q_recover = b[BI_ILLNESS_RECOVERY]
    q_selfcare = b[BI_SELF_CARE_DECLINE]
    para_share = b[BI_PARALYSIS_SHARE]
    mult_dis = b[BI_MORTALITY_DISABLED_MULTIPLE]
    mult_ill = b[BI_MORTALITY_ILL_MULTIPLE]
    q_birth_person = 1.0 - np.exp(-b[BI_FERTILITY] / 2.0 / 12.0)
    # probability of a birth with k members of fertile age (a table: no power per household)
    q_birth_k = np.empty(max_members + 1)
    for k in range(max_members + 1):
        q_birth_k[k] = 1.0 - (1.0 - q_birth_person) ** k
    fert_min = b[BI_FERTILITY_AGE_MIN]
    fert_max = b[BI_FERTILITY_AGE_MAX]
    selfcare_age = b[BI_SELF_CARE_LOSS_AGE]
    student_min = b[BI_STUDENT_AGE_MIN]
    student_max = b[BI_STUDENT_AGE_MAX]
    ill_cost = b[BI_ILLNESS_COST_MULTIPLE] * p[P_STANDARD]
    pension60 = dyn[D_PENSION_60]
    # monthly application probabilities by area (index 0 urban, 1 rural): take_up is the rural
    # rate and urban households apply at take_up_urban_ratio × it (likewise with a tekun
    # member); active discovery finds eligible non-applicants on top
    discovery = b[BI_DISCOVERY]
    campaign = dyn[D_CAMPAIGN] != 0.0
    boost = b[BI_CAMPAIGN_TAKE_UP] if campaign else 1.0
    accept_error = b[BI_CAMPAIGN_INCLUSION] if campaign else 0.0
    inclusion_multiple = b[BI_INCLUSION_MULTIPLE]
    q_apply_by_area = np.empty(2)
    q_tekun_by_area = np.empty(2)
    for ar in range(2):
        ratio = b[BI_TAKE_UP_URBAN_RATIO] if ar == 0 else 1.0
        ratio_tekun = b[BI_TAKE_UP_TEKUN_URBAN_RATIO] if ar == 0 else 1.0
        # an expansion campaign multiplies the whole monthly rate (own applications and
        # active discovery)
        q_apply_by_area[ar] = min(1.0, boost * (1.0 - (1.0 - min(1.0, b[BI_TAKE_UP] * ratio)) * (
            1.0 - discovery)))
        q_tekun_by_area[ar] = min(1.0, boost * (1.0 - (1.0 - min(
            1.0, b[BI_TAKE_UP_TEKUN] * ratio_tekun)) * (1.0 - discovery)))
    labour_loss_age = b[BI_LABOUR_LOSS_AGE]
    q_labour_loss = b[BI_LABOUR_LOSS_ELDERLY]
    q_supporter_loss = b[BI_SUPPORTER_LOSS]
    q_supporter_loss_urban = b[BI_SUPPORTER_LOSS_URBAN]
    q_urgent = b[BI_URGENT_RATE]
    q_edu = b[BI_EDUCATION_COST_PROB]
    q_ill_take = b[BI_TEMPORARY_TAKE_UP]
    funeral_months = e[E_FUNERAL_MONTHS]
    applicant_pay = applicant_amount(p)
    asset_limit_m = p[P_ASSET_LIMIT_MONTHS]
    screen_multiple = 1.0
    if p[P_SINGLE_ENABLED] != 0.0:
        screen_multiple = max(screen_multiple, p[P_SINGLE_INCOME_MULTIPLE])
    if accept_error > 0.0:  # near-poor applicants may be accepted in error
        screen_multiple = max(screen_multiple, inclusion_multiple)
    bound = event_bounds(haz, b, tekun_age)
    # dynamic scheduling: each of numba's threads takes the next chunk (in ``order``) from a
    # shared counter, so a thread slowed by other work on the machine takes fewer; what a
    # chunk computes does not depend on which thread takes it
    counter = np.zeros(1, dtype=np.int64)
    for _ in prange(min(n_threads, n_chunks)):
        ci = _next_chunk(counter)
        while ci < n_chunks:
            c = order[ci]
            h_end = chunk_bounds[c + 1]
            a = acc[c]
            sc = scratch[c]
            n_defer = chunk_bounds[c]  # the chunk's households deferred to processes 6-8
            # the persons' draws are made block by block of households, in a loop of their own
            # (vectorised; the buffers stay in cache): the same keyed values as draw by draw
            cap = 1
            for hb in range(chunk_bounds[c], h_end, DRAW_BLOCK):
                cap = max(cap, slot_start[min(hb + DRAW_BLOCK, h_end)] - slot_start[hb])
            k_buf = np.empty(cap, dtype=np.uint64)
            u_buf = np.empty(cap)
            base = 0
            for h in range(chunk_bounds[c], h_end):
                if (h - chunk_bounds[c]) % DRAW_BLOCK == 0:
                    base = slot_start[h]
                    person_draws(seed, mkey, base, slot_start[min(h + DRAW_BLOCK, h_end)], k_buf,
                                 u_buf)
                st = status[h]
                if st == ST_GONE:
                    continue
                g = township[h] * 2 + (1 - hh_urban[h])
                w = weight[h]
                s0 = slot_start[h]
                n = n_alive[h]
                a[g, U_PERSONS_START] += n
                a[g, U_HH_START] += 1.0
                hkey = key_hash(seed, STREAM_HOUSEHOLD, h, mkey)
                area = 1 - hh_urban[h]
                std = p[P_STANDARD + area]
                asset_limit = asset_limit_m * std
                # nominal wage growth since the start of the run; transfers and support are
                # raised with incomes once a year (economy.monthly_inputs)
                growth_t = dyn[D_WAGE + area]
                other_factor = dyn[D_OTHER + area]
                ev = EV_NONE
                ill_onset = 0
                deaths = 0
                changed = False
                # -- persons: ageing, deaths, health, jobs, income, expenditure ------------------
                j = s0
                while j < s0 + n:
                    ju = np.uint64(j)  # unsigned: no negative-index wraparound per access
                    jb = np.uint64(j - base)  # the slot's place in the block's draws
                    if birth_m[ju] == cal_month and age_y[ju] < 120:
                        changed = True
                        age_y[ju] += 1
                        ay = age_y[ju]
                        if ay == minor_age:
                            if labour[ju] == LABOUR_NONE and disability[ju] == DISABILITY_NONE:
                                labour[ju] = LABOUR_FULL
                            if paid_tekun_n[h] > 0 and supporter[ju] == 0:
                                flags[h] += 256  # a tekun minor may have aged out (checked at review)
                        if ay == 60 and pension[ju] == 0.0:
                            pension[ju] = pension60
                        if ay == work_max + 1:
                            # past the working ages no one works and labour ability ends, as
                            # in the population generator (no job cliff at the start of a run)
                            employed[ju] = 0
                            labour[ju] = LABOUR_NONE
                    if other_factor != 1.0 and other[ju] > 0.0:
                        other[ju] *= other_factor
                        changed = True
                    if pension_delta != 0.0 and pension[ju] > 0.0:
                        pension[ju] += pension_delta
                        changed = True
                    ay = age_y[ju]
                    u = u_buf[jb]
                    # one uniform decides every event below by cumulative intervals; at or above
                    # the bound no event can happen and only the months paralysed move on
                    if u >= bound[employed[ju], ay]:
                        if paralysed[ju] > 0 and paralysed[ju] < 32000:
                            paralysed[ju] += 1
                            changed = True
                    else:
                        changed = True
                        qd = haz[0, ay]
                        if disability[ju] == DISABILITY_SEVERE:
                            qd *= mult_dis
                        if ill[ju]:
                            qd *= mult_ill
                        if u < qd:
                            # death: a tekun person's death pays the funeral subsidy once (qijiang §2)
                            deaths += 1
                            ev = EV_DEATH
                            if paid_tekun_n[h] > 0 and _supported(st):
                                ci = counted_income(earned[ju], pension[ju], other[ju], deduction, excluded)
                                if tekun_eligible(ay, disability[ju], labour[ju], supporter[ju] != 0, ci,
                                                  assets[ju], asset_limit, tekun_age, minor_age):
                                    basic = tekun_basic(area, care_wish[ju], p)
                                    care = tekun_care(self_care[ju], p)
                                    a[g, A_F_PERSONS] += w
                                    a[g, A_F_PAY] += w * funeral_months * basic
                                    a[g, A_TOTAL_PAY] += w * funeral_months * basic
                                    a[g, A_T_EX_DEATH] += w
                                    paid_tekun_n[h] -= 1
                                    paid_tekun_basic[h] = max(0.0, paid_tekun_basic[h] - basic)
                                    paid_tekun_care[h] = max(0.0, paid_tekun_care[h] - care)
                                    ev = EV_FUNERAL
                            # swap-remove: the last member moves into this slot (members stay packed)
                            last = s0 + n - 1
                            if last != j:
                                _copy_person(last, j, age_y, birth_m, disability, ill, paralysed, rare,
                                             labour, self_care, employed, wage, perm, earned, pension,
                                             other, rigid_base, rigid, unemp, supporter, assets,
                                             care_wish, urban_p)
                            n -= 1
                            continue  # the moved member is processed in this slot next
                        cum = qd
                        # disability onset / progression (a share of severe onsets: paralysis)
                        if disability[ju] == DISABILITY_NONE:
                            qo = haz[1, ay]
                            if u < cum + qo:
                                disability[ju] = DISABILITY_MILD
                                if labour[ju] == LABOUR_FULL:
                                    labour[ju] = LABOUR_PARTIAL
                            cum += qo
                        elif disability[ju] == DISABILITY_MILD:
                            if u < cum + q_severe:
                                disability[ju] = DISABILITY_SEVERE
                                labour[ju] = LABOUR_NONE
                                if employed[ju]:
                                    employed[ju] = 0
                                if (u - cum) < q_severe * para_share and paralysed[ju] == 0:
                                    paralysed[ju] = 1
                            cum += q_severe
                        if paralysed[ju] > 0 and paralysed[ju] < 32000:
                            paralysed[ju] += 1
                        # serious illness onset / recovery
                        if ill[ju]:
                            if u >= cum and u < cum + q_recover:
                                ill[ju] = False
                                rigid[ju] = rigid_base[ju] + 0.0
                            cum += q_recover
                        else:
                            qi = haz[2, ay]
                            if u >= cum and u < cum + qi:
                                ill[ju] = True
                                rigid[ju] = rigid_base[ju] + ill_cost
                                ill_onset += 1
                                if employed[ju]:
                                    employed[ju] = 0
                            cum += qi
                        # loss of self-care (very old or severely disabled)
                        if (ay >= selfcare_age or disability[ju] == DISABILITY_SEVERE) and self_care[ju] < SELF_CARE_UNABLE:
                            if u >= cum and u < cum + q_selfcare:
                                self_care[ju] += 1
                            cum += q_selfcare
                        # old age: loss of labour ability (the way into tekun for the elderly alone)
                        if ay >= labour_loss_age and labour[ju] != LABOUR_NONE:
                            if u >= cum and u < cum + q_labour_loss:
                                labour[ju] = LABOUR_NONE
                                employed[ju] = 0
                            cum += q_labour_loss
                        # old age: the legal supporter dies, moves or can no longer support, and
                        # the support received ends (other income); with no labour ability and no
                        # income the person is tekun. Urban and rural rates differ (urban elders
                        # mostly keep a pension, so fewer lose their whole income with it)
                        if ay >= tekun_age and supporter[ju]:
                            q_sl = q_supporter_loss_urban if urban_p[ju] else q_supporter_loss
                            if u >= cum and u < cum + q_sl:
                                supporter[ju] = False
                                other[ju] = 0.0
                            cum += q_sl
                        # jobs
                        if ay >= work_min and ay <= work_max:
                            if employed[ju]:
                                if u >= cum and u < cum + q_loss:
                                    employed[ju] = 0
                                    unemp[ju] = True
                                cum += q_loss
                            elif labour[ju] != LABOUR_NONE and not ill[ju]:
                                qf = q_find if labour[ju] == LABOUR_FULL else q_find * find_partial
                                if u >= cum and u < cum + qf:
                                    employed[ju] = 1
                                    if wage[ju] <= 0.0:
                                        wage[ju] = entry_wage[area]
                                    if unemp[ju]:
                                        flags[h] |= 1
                                        unemp[ju] = False
                                cum += qf
                    # income: persistent AR(1) + transitory log shocks (mean-preserving)
                    # the means test counts average income over recent months (national 审核确认办法):
                    # ``earned`` is an exponential average of this month's earnings
                    # (an income of 0 without a job stays 0: nothing to update)
                    if employed[ju]:
                        changed = True
                        z0, z = income_shocks(k_buf[jb])
                        perm[ju] = rho * perm[ju] + sd_p * z0
                        current = wage[ju] * growth_t * np.exp(perm[ju] + sd_t * z + trans_mean)
                        earned[ju] += smooth * (current - earned[ju])
                    elif earned[ju] != 0.0:
                        changed = True
                        earned[ju] += smooth * (0.0 - earned[ju])
                    if refresh_rigid:
                        rigid[ju] = rigid_base[ju] + (ill_cost if ill[ju] else 0.0)
                    j += 1
                a[g, U_DEATHS] += deaths
                a[g, A_DEATHS] += w * deaths
                # -- births into a free slot -----------------------------------------------------
                # The household-level sums below (members of fertile age, students, counted
                # income, a possible tekun member) are taken only when a draw needs them: the
                # draw first, against the most it could need (same draws, same results; most
                # household-months need none of them)
                u_birth = to_uniform(sub_key(hkey, K_BIRTH))
                n_fert = 0
                if n > 0 and u_birth < q_birth_k[n]:
                    n_fert = _count_ages(s0, n, age_y, fert_min, fert_max)
                if n_fert > 0 and n > 0:
                    qb = q_birth_k[n_fert]
                    if u_birth < qb:
                        if n < slot_cap[h]:
                            k = s0 + n
                            src = s0  # urban, area flags from any member
                            urban_p[k] = urban_p[src]
                            age_y[k] = 0
                            birth_m[k] = cal_month
                            disability[k] = DISABILITY_NONE
                            ill[k] = False
                            paralysed[k] = 0
                            rare[k] = False
                            labour[k] = LABOUR_NONE
                            self_care[k] = 0
                            employed[k] = 0
                            wage[k] = 0.0
                            perm[k] = 0.0
                            earned[k] = 0.0
                            pension[k] = 0.0
                            other[k] = 0.0
                            rigid_base[k] = 0.0
                            rigid[k] = 0.0
                            unemp[k] = False
                            supporter[k] = True
                            assets[k] = 0.0
                            care_wish[k] = 0
                            n += 1
                            a[g, U_BIRTHS] += 1.0
                            a[g, A_BIRTHS] += w
                            ev = EV_BIRTH
                        else:
                            a[g, A_BIRTHS_BLOCKED] += w
                if changed or n != n_alive[h]:
                    dirty[h] = 1
                n_alive[h] = n
                bounds[2 * h + 1] = s0 + n
                a[g, U_PERSONS_END] += n
                a[g, A_PERSONS] += w * n
                if n == 0:
                    # the household has died out: every programme ends by death
                    a[g, U_HH_DIED] += 1.0
                    a[g, A_HH_DIED] += w
                    if _supported(st):
                        flags[h] |= 2  # programme kernel records the exits by death
                    else:
                        status[h] = ST_GONE
                    event[h] = EV_HH_DIED
                    continue
                a[g, U_HH_END] += 1.0
                a[g, A_HH_ALIVE] += w
                # -- temporary-assistance events (drawn for every household: keyed, cheap) --------
                urgent_hit = to_uniform(sub_key(hkey, K_URGENT)) < q_urgent
                ill_hit = ill_onset > 0 and to_uniform(sub_key(hkey, K_ILL_TAKE)) < q_ill_take
                edu_hit = (cal_month == 9 and to_uniform(sub_key(hkey, K_EDU)) < q_edu
                           and _count_ages(s0, n, age_y, student_min, student_max) > 0)
                # -- assessment by the rules, only where it can matter -------------------------
                # A household whose per-capita counted income is at or above every income line
                # (standard, single-inclusion multiple) and that has no possible tekun member cannot
                # be eligible: the rules are not called for it unless a temporary-assistance event
                # needs the low-income and hardship tests. Enrolled households are reassessed by
                # the programme kernel. The application draw comes first: a household that would
                # not apply this month even if eligible needs no assessment for it.
                u_apply = to_uniform(sub_key(hkey, K_APPLY))
                # (the tekun rate only matters where a member could be tekun: same results)
                apply_hit = False
                screen_pass = False
                if st == ST_NONE and (u_apply < q_apply_by_area[area]
                                      or u_apply < q_tekun_by_area[area]):
                    ci_sum, maybe_tekun = _income_screen(s0, n, earned, pension, other, labour,
                                                         supporter, deduction, excluded)
                    apply_hit = (u_apply < q_apply_by_area[area]
                                 or (maybe_tekun and u_apply < q_tekun_by_area[area]))
                    screen_pass = maybe_tekun or ci_sum < screen_multiple * std * n
                event[h] = ev
                if (apply_hit and screen_pass) or urgent_hit or ill_hit or edu_hit:
                    # rare (well under 1 % of households a month): finished after the chunk's
                    # loop, which keeps the rules' calculator out of this loop's code
                    defer_h[n_defer] = h
                    defer_bits[n_defer] = ((1 if urgent_hit else 0) | (2 if ill_hit else 0)
                                           | (4 if edu_hit else 0)
                                           | (8 if (apply_hit and screen_pass) else 0))
                    n_defer += 1
            for k in range(chunk_bounds[c], n_defer):
                _assess_and_apply(defer_h[k], defer_bits[k], c, t, seed, mkey, sc, a, p, scratch, no_pout,
                                  q_apply_by_area, q_tekun_by_area, applicant_pay,
                                  bounds, township, hh_urban, weight, status, applied_month,
                                  applied_day, event, age_y, urban_p, disability, ill, paralysed,
                                  rare, labour, self_care, earned, pension, other, rigid, supporter,
                                  assets, care_wish, hidden, accept_error, inclusion_multiple,
                                  instalment_left, instalment_amount)
            ci = _next_chunk(counter)
    return 0


@njit(cache=True, inline="always")
def _temporary_case(a, g, w, column, amount):
    """Count one temporary-assistance case paying ``amount`` in ``column`` (weighted)."""
    a[g, A_TMP_CASES] += w
    a[g, column] += w * amount
    a[g, A_TOTAL_PAY] += w * amount


@njit(cache=True, inline="always")
def _pay_single_and_tekun(h, sc, n_single, n_tekun, paid_single, paid_single_n, paid_tekun_basic,
                          paid_tekun_care, paid_tekun_n):
    """Put in force the single-person and tekun payments the rules found (in ``sc``)."""
    paid_single[h] = sc[O_SINGLE_AMOUNT]
    paid_single_n[h] = n_single
    paid_tekun_basic[h] = sc[O_TEKUN_BASIC]
    paid_tekun_care[h] = sc[O_TEKUN_CARE]
    paid_tekun_n[h] = n_tekun


@njit(cache=True, inline="always")
def _count_recipients(a, g, w, households_column, persons_column, persons):
    """Count a recipient household and its ``persons`` (weighted)."""
    a[g, households_column] += w
    a[g, persons_column] += w * persons


@njit(cache=True, error_model="numpy")
def _assess_and_apply(h, bits, c, t, seed, mkey, sc, a, p, scratch, no_pout, q_apply_by_area,
                      q_tekun_by_area, applicant_pay, bounds, township, hh_urban,
                      weight, status, applied_month, applied_day, event, age_y, urban_p,
                      disability, ill, paralysed, rare, labour, self_care, earned, pension,
                      other, rigid, supporter, assets, care_wish, hidden, accept_error,
                      inclusion_multiple, instalment_left, instalment_amount):
    """Processes 6-8 (assessment, temporary assistance, applications) for a household of the
    persons kernel that has a temporary-assistance event or would apply (``bits``: 1 urgent,
    2 illness, 4 education, 8 applies and passes the income screen). During an expansion
    campaign a near-poor applicant eligible for nothing is accepted in error with probability
    ``accept_error`` (``hidden[h] = 2``: enrolled at its decision as an inclusion error)."""
    st = status[h]
    g = township[h] * 2 + (1 - hh_urban[h])
    w = weight[h]
    area = 1 - hh_urban[h]
    hkey = key_hash(seed, STREAM_HOUSEHOLD, h, mkey)
    ev = event[h]
    eligible_any = False
    needy = _supported(st)
    if not needy:
        assess_household_detail(2 * h, c, bounds, age_y, urban_p, disability, ill, paralysed,
                                rare, labour, self_care, earned, pension, other, rigid,
                                supporter, assets, care_wish, p, scratch, no_pout)
        eligible_any = (sc[O_DIBAO_ELIGIBLE] != 0.0 or sc[O_SINGLE_PERSONS] > 0
                        or sc[O_TEKUN_PERSONS] > 0)
        needy = eligible_any or sc[O_LOW_INCOME] != 0.0 or sc[O_HARDSHIP] != 0.0
    # -- temporary assistance ---------------------------------------------------------------
    if needy:
        if bits & 1:
            # the draw places the case's severity among the tiers (jiaohe §12)
            _temporary_case(a, g, w, A_TMP_URGENT, urgent_amount_by_severity(
                to_uniform(sub_key(hkey, K_URGENT_MULT)), p))
            ev = EV_TEMPORARY
        if bits & 2:
            # the draw places the case's cost within the legal range (boshan §3); a large case
            # is approved once and paid in parts (jiaohe §12), the rest by model._instalments
            amount = illness_amount(to_uniform(sub_key(hkey, K_ILL_MULT)), p)
            parts = instalments(amount, p)
            _temporary_case(a, g, w, A_TMP_ILLNESS, amount / parts)
            if parts > 1:
                instalment_left[h] = parts - 1
                instalment_amount[h] = amount / parts
            ev = EV_TEMPORARY
        if bits & 4:
            _temporary_case(a, g, w, A_TMP_EDU,
                            education_amount(to_uniform(sub_key(hkey, K_EDU_MULT)), p))
            ev = EV_TEMPORARY
    # -- applications by eligible non-recipients --------------------------------------------
    in_error = (st == ST_NONE and not eligible_any and accept_error > 0.0 and (bits & 8) != 0
                and sc[O_PER_CAPITA] < inclusion_multiple * sc[O_STANDARD]
                and to_uniform(sub_key(hkey, K_ERROR)) < accept_error)
    if st == ST_NONE and (eligible_any or in_error):
        u_apply = to_uniform(sub_key(hkey, K_APPLY))
        qa = q_tekun_by_area[area] if sc[O_TEKUN_PERSONS] > 0 else q_apply_by_area[area]
        if u_apply < qa:
            if in_error:
                hidden[h] = 2
            status[h] = ST_PENDING
            applied_month[h] = t
            applied_day[h] = int(to_uniform(sub_key(hkey, K_APPLY_DAY)) * 30.0)
            a[g, A_APPLICATIONS] += w
            ev = EV_APPLIED
            if applicant_pay > 0.0:
                # jiaohe §15: applicants may get a month of the urban standard first
                _temporary_case(a, g, w, A_TMP_APPLICANT, applicant_pay)
    event[h] = ev


@njit(cache=True, inline="always")
def _employment_subsidy_month(a, g, w, h, dibao_now, subsidy_left, subsidy_amount):
    """Pay one month of the employment subsidy (the rules' cut against ``dibao_now``), counted
    in its own columns and in the month's total."""
    pay = employment_subsidy(subsidy_amount[h], dibao_now)
    if pay > 0.0:
        a[g, A_ES_HH] += w
        a[g, A_ES_PAY] += w * pay
        a[g, A_TOTAL_PAY] += w * pay
    subsidy_left[h] -= 1


@njit(cache=True, inline="always")
def _review_due(cls: int, cal_month: int, e) -> bool:
    mask = int(e[E_REVIEW_MASK + cls])
    return (mask >> (cal_month - 1)) & 1 == 1


@njit(cache=True, error_model="numpy")
def rerate_household(h, area, pci, p, p_old, paid_gap, paid_supp, paid_supp_fixed, paid_single,
                     paid_single_n, paid_tekun_basic, paid_dibao_n):
    """Re-rate an enrolled household's payment for new parameters, without a review (调标):
    the rules of ``rules/rerate.py`` with the income found at the last decision; fixed yuan
    add-ons and care standards wait for the next review."""
    std = p[P_STANDARD + area]
    old = p_old[P_STANDARD + area]
    if paid_dibao_n[h] > 0:
        paid_gap[h] = rerated_gap(pci, paid_dibao_n[h], std, p, area)
        paid_supp[h] = rerated_supplement(paid_supp[h], paid_supp_fixed[h], old, std)
    paid_single[h] = rerated_single(paid_single[h], paid_single_n[h], old, std, p)
    basis = int(p[P_TEKUN_BASIS + area])
    old_basis = p_old[P_STANDARD + basis]
    if old_basis > 0.0:
        paid_tekun_basic[h] = paid_tekun_basic[h] * p[P_STANDARD + basis] / old_basis


@njit(parallel=True, cache=True, error_model="numpy")
def programme_kernel(seed, mkey, t, cal_month, b, p, e, cpi, food_cpi, cut_age, cut_draw,
                     chunk_bounds, slot_start, bounds, n_alive, hh_urban, township,
                     weight, status, applied_month, applied_day, review_class,
                     paid_gap, paid_supp, paid_supp_fixed, paid_single, paid_tekun_basic,
                     paid_tekun_care, paid_dibao_n, paid_single_n, paid_tekun_n, exit_left,
                     exit_elapsed,
                     exit_base, subsidy_left, subsidy_amount, flags, rerate, p_old, paid_pci,
                     age_y, urban_p, disability, ill, paralysed, rare, labour, self_care,
                     employed, earned, pension, other, rigid, supporter, assets, care_wish,
                     scratch, acc, days_hist, event, order, n_threads, dirty, params_changed,
                     hidden, p_detect):
    """Kernel 2 (processes 9-14) for households in a programme or the queue.

    A recipient's report check needs no assessment when nothing the rules read has changed since
    its last one (``dirty[h] == 0``, parameters unchanged): it would find no change again.

    ``hidden[h]``: the household is an inclusion error 错保 (enrolled above the line with income
    the office does not see). It reports no change; at each review the rules see its true
    circumstances: eligible now, it is an ordinary recipient; still above the line, the review
    finds the unseen income with probability ``p_detect[area]`` (verification; ``economy.
    detection_rate``) and the household leaves (``dibao_exits_verification``), else nothing
    changes.
    """
    n_chunks = chunk_bounds.shape[0] - 1
    no_pout = np.zeros((0, N_PERSON_OUTPUTS))  # per-person results not wanted
    q_report = b[BI_REPORT_CHANGE]
    major = b[BI_MAJOR_CHANGE_SHARE]
    deadline = e[E_DEADLINE_DAYS]
    # price linkage: the triggering year-on-year rate (national rule, statistics.md §4)
    rate = triggering_rate(cpi, food_cpi, p)
    # dynamic scheduling over the threads, as in persons_kernel
    counter = np.zeros(1, dtype=np.int64)
    for _ in prange(min(n_threads, n_chunks)):
        ci = _next_chunk(counter)
        while ci < n_chunks:
            c = order[ci]
            hist = days_hist[c]
            a = acc[c]
            sc = scratch[c]
            for h in range(chunk_bounds[c], chunk_bounds[c + 1]):
                st = status[h]
                if st == ST_GONE:
                    continue
                g = township[h] * 2 + (1 - hh_urban[h])
                w = weight[h]
                if st == ST_NONE:
                    # off dibao since the job: the whole benefit is the month's cut (qijiang §8)
                    if subsidy_left[h] > 0 and n_alive[h] > 0:
                        _employment_subsidy_month(a, g, w, h, 0.0, subsidy_left, subsidy_amount)
                    continue
                area = 1 - hh_urban[h]
                hkey = key_hash(seed, STREAM_HOUSEHOLD, h, mkey)
                ev = event[h]
                # -- a household that died out: every programme ends by death ------------------
                if n_alive[h] == 0:
                    if st != ST_PENDING:
                        if paid_dibao_n[h] > 0:
                            a[g, A_D_EX_DEATH] += w
                        if paid_single_n[h] > 0:
                            a[g, A_S_EX_DEATH] += w
                        if paid_tekun_n[h] > 0:
                            a[g, A_T_EX_DEATH] += w
                    status[h] = ST_GONE
                    continue
                old_total = (paid_gap[h] + paid_supp[h] + paid_single[h] + paid_tekun_basic[h]
                             + paid_tekun_care[h])
                # dibao in force before this month's decisions (employment subsidy, qijiang §8)
                old_dibao = paid_gap[h] + paid_supp[h] + paid_single[h]
                if st == ST_EXIT:
                    old_total = exit_base[h] + paid_single[h] + paid_tekun_basic[h] + paid_tekun_care[h]
                    old_dibao = (gradual_exit_payment(exit_elapsed[h], exit_base[h], p)
                                 + paid_single[h])
                requal_pay = -1.0  # >= 0: requalified in gradual exit this month (jiaohe §5)
                # -- which households act on a fresh assessment this month ---------------------
                decide = False
                review = False
                report = False
                if st == ST_PENDING:
                    age_q = t - applied_month[h]
                    if age_q >= QUEUE_AGES:
                        age_q = QUEUE_AGES - 1
                    ca = cut_age[township[h]]
                    if age_q > ca or (age_q == ca and queue_draw(seed, h, applied_month[h])
                                      <= cut_draw[township[h]]):
                        decide = True
                    else:
                        a[g, A_PENDING] += w
                        event[h] = ev
                        if subsidy_left[h] > 0:
                            _employment_subsidy_month(a, g, w, h, 0.0, subsidy_left,
                                                      subsidy_amount)
                        continue
                else:
                    cls = review_class[h]
                    review = _review_due(cls, cal_month, e)
                # the report draw first: only a household that would report a change (or is
                # decided, reviewed or at the end of its exit) needs a fresh assessment
                report_hit = False
                if not decide and not review:
                    report_hit = to_uniform(sub_key(hkey, K_REPORT)) < q_report
                if params_changed:
                    dirty[h] = 1
                if report_hit and st == ST_ENROLLED and dirty[h] == 0:
                    report_hit = False  # its last assessment saw the same circumstances
                if hidden[h] != 0:
                    report_hit = False  # unseen income is not reported
                eligible = False
                new_gap = 0.0
                new_supp = 0.0
                new_single_n = 0
                new_tekun_n = 0
                if decide or review or report_hit or (st == ST_EXIT and exit_left[h] <= 0):
                    assess_household_detail(2 * h, c, bounds, age_y, urban_p, disability, ill,
                                            paralysed, rare, labour, self_care, earned, pension,
                                            other, rigid, supporter, assets, care_wish, p, scratch,
                                            no_pout)
                    dirty[h] = 0
                    eligible = sc[O_DIBAO_ELIGIBLE] != 0.0
                    new_gap = sc[O_DIBAO_GAP]
                    new_supp = sc[O_DIBAO_AMOUNT] - sc[O_DIBAO_GAP]
                    new_single_n = int(sc[O_SINGLE_PERSONS])
                    new_tekun_n = int(sc[O_TEKUN_PERSONS])
                if review and hidden[h] != 0:
                    if eligible:
                        hidden[h] = 0  # truly eligible now: an ordinary recipient
                    else:
                        # verification: the review finds the unseen income, or changes nothing
                        review = False
                        a[g, A_D_REVIEWS] += w
                        if to_uniform(sub_key(hkey, K_VERIFY)) < p_detect[area]:
                            a[g, A_D_EX_VERIFY] += w
                            paid_dibao_n[h] = 0
                            paid_gap[h] = 0.0
                            paid_supp[h] = 0.0
                            hidden[h] = 0
                            ev = EV_LEFT_VERIFIED
                if report_hit:
                    # a major change between reviews is reported with a probability (qijiang §4)
                    new_total = (sc[O_DIBAO_AMOUNT] + sc[O_SINGLE_AMOUNT] + sc[O_TEKUN_BASIC]
                                 + sc[O_TEKUN_CARE])
                    changed = abs(new_total - old_total) >= major * max(old_total, 1.0) or (
                        st == ST_EXIT and eligible) or (paid_dibao_n[h] > 0 and not eligible
                                                        and st == ST_ENROLLED)
                    if changed:
                        report = True
                        a[g, A_REPORTS] += w
                if decide:
                    # days: the wait in the queue plus the office's own processing time
                    proc = b[BI_PROCESSING_DAYS_MIN] + (
                        b[BI_PROCESSING_DAYS_MAX] - b[BI_PROCESSING_DAYS_MIN]) * to_uniform(
                        sub_key(hkey, K_PROC_DAYS))
                    # decided in the month of application: ``proc`` days after it; later: the wait
                    # to the start of the month the office reaches it, then ``proc``
                    waited = t - applied_month[h]
                    days = proc if waited == 0 else waited * 30.4 - applied_day[h] + proc
                    if days < 1.0:
                        days = 1.0
                    a[g, A_DECISIONS] += w
                    a[g, A_DAYS_SUM] += w * days
                    if days > deadline:
                        a[g, A_LATE] += w
                    bin_ = int(days)
                    if bin_ >= DAY_BINS:
                        bin_ = DAY_BINS - 1
                    hist[g, bin_] += w
                    applied_month[h] = -1
                    if eligible or new_single_n > 0 or new_tekun_n > 0:
                        a[g, A_APPROVALS] += w
                        st = ST_ENROLLED
                        ev = EV_APPROVED
                        if eligible:
                            a[g, A_D_ENTRIES] += w
                        if new_single_n > 0:
                            a[g, A_S_ENTRIES] += w
                        if new_tekun_n > 0:
                            a[g, A_T_ENTRIES] += w
                        paid_gap[h] = new_gap
                        paid_supp[h] = new_supp
                        paid_supp_fixed[h] = sc[O_SUPP_FIXED]
                        paid_dibao_n[h] = int(sc[O_DIBAO_SIZE]) if eligible else 0
                        paid_pci[h] = sc[O_PER_CAPITA]
                        _pay_single_and_tekun(h, sc, new_single_n, new_tekun_n, paid_single,
                                              paid_single_n, paid_tekun_basic, paid_tekun_care,
                                              paid_tekun_n)
                        review_class[h] = int(sc[O_REVIEW_CLASS])
                        flags[h] &= 2  # clear the job and aged-out markers
                        hidden[h] = 0  # eligible after all: an ordinary recipient
                    elif hidden[h] == 2:
                        # accepted in error (expansion campaign): an inclusion error from now
                        a[g, A_APPROVALS] += w
                        a[g, A_D_ENTRIES] += w
                        st = ST_ENROLLED
                        ev = EV_APPROVED
                        hidden[h] = 1
                        paid_dibao_n[h] = n_alive[h]
                        seen = to_uniform(sub_key(hkey, K_SEEN)) * p[P_STANDARD + area]
                        paid_pci[h] = seen
                        paid_supp[h] = 0.0
                        paid_supp_fixed[h] = 0.0
                        paid_gap[h] = rerated_gap(seen, paid_dibao_n[h], p[P_STANDARD + area], p,
                                                  area)
                        review_class[h] = int(sc[O_REVIEW_CLASS])
                    else:
                        st = ST_NONE
                        ev = EV_DENIED
                elif review or report:
                    ev = EV_REVIEWED if review else EV_REPORTED
                    if paid_dibao_n[h] > 0 or st == ST_EXIT:
                        a[g, A_D_REVIEWS] += w
                    if paid_tekun_n[h] > 0:
                        a[g, A_T_REVIEWS] += w
                    # tekun part
                    if new_tekun_n > paid_tekun_n[h]:
                        a[g, A_T_ENTRIES] += w * (new_tekun_n - paid_tekun_n[h])
                    elif new_tekun_n < paid_tekun_n[h]:
                        gone = paid_tekun_n[h] - new_tekun_n
                        aged = flags[h] >> 8
                        if aged > gone:
                            aged = gone
                        a[g, A_T_EX_AGED] += w * aged
                        if gone > aged:
                            if sc[O_DIBAO_ELIGIBLE] == 0.0 and sc[O_PER_CAPITA] >= sc[O_STANDARD]:
                                a[g, A_T_EX_INCOME] += w * (gone - aged)
                            else:
                                a[g, A_T_EX_OTHER] += w * (gone - aged)
                    paid_tekun_basic[h] = sc[O_TEKUN_BASIC]
                    paid_tekun_care[h] = sc[O_TEKUN_CARE]
                    paid_tekun_n[h] = new_tekun_n
                    # single-person inclusion part
                    if new_single_n > 0 and paid_single_n[h] == 0:
                        a[g, A_S_ENTRIES] += w
                    elif new_single_n == 0 and paid_single_n[h] > 0:
                        if sc[O_PER_CAPITA] >= sc[O_STANDARD] or eligible:
                            a[g, A_S_EX_INCOME] += w
                        else:
                            a[g, A_S_EX_OTHER] += w
                    paid_single[h] = sc[O_SINGLE_AMOUNT]
                    paid_single_n[h] = new_single_n
                    # dibao part: recompute, start or end a gradual exit, or leave
                    if eligible:
                        if st == ST_EXIT:
                            ev = EV_REQUALIFIED
                            requal_pay = requalified_month_payment(exit_elapsed[h], exit_base[h],
                                                                   p)
                        elif paid_dibao_n[h] == 0:
                            a[g, A_D_ENTRIES] += w
                        st = ST_ENROLLED
                        paid_gap[h] = new_gap
                        paid_supp[h] = new_supp
                        paid_supp_fixed[h] = sc[O_SUPP_FIXED]
                        paid_dibao_n[h] = int(sc[O_DIBAO_SIZE])
                        paid_pci[h] = sc[O_PER_CAPITA]
                        exit_left[h] = 0
                    else:
                        any_emp = False
                        any_dis = False
                        for j in range(bounds[2 * h], bounds[2 * h + 1]):
                            if employed[j]:
                                any_emp = True
                            if disability[j] != DISABILITY_NONE:
                                any_dis = True
                        assets_ok = sc[O_ASSETS_OK] != 0.0
                        months = gradual_exit_months(sc[O_PER_CAPITA], sc[O_STANDARD], assets_ok,
                                                     any_emp, any_dis, p)
                        if st == ST_EXIT:
                            if months == 0:  # at or above the ceiling now: leave at once
                                a[g, A_D_EX_INCOME] += w
                                paid_dibao_n[h] = 0
                                exit_left[h] = 0
                                st = ST_ENROLLED
                                ev = EV_LEFT_INCOME
                        elif paid_dibao_n[h] > 0:
                            if months > 0:
                                st = ST_EXIT
                                exit_left[h] = months
                                exit_elapsed[h] = 0
                                exit_base[h] = paid_gap[h] + paid_supp[h]
                                ev = EV_EXIT_STARTED
                            else:
                                if sc[O_PER_CAPITA] >= sc[O_STANDARD]:
                                    a[g, A_D_EX_INCOME] += w
                                    ev = EV_LEFT_INCOME
                                else:
                                    a[g, A_D_EX_OTHER] += w
                                    ev = EV_LEFT_OTHER
                                paid_dibao_n[h] = 0
                        if st == ST_ENROLLED and paid_dibao_n[h] == 0:
                            paid_gap[h] = 0.0
                            paid_supp[h] = 0.0
                    review_class[h] = int(sc[O_REVIEW_CLASS])
                    # employment subsidy: a registered-unemployed member found work; from this
                    # review the month's dibao cut is paid, whether the household stays, goes
                    # into gradual exit or leaves (qijiang §8)
                    if (flags[h] & 1) and e[E_EMP_ENABLED] != 0.0 and old_dibao > 0.0:
                        subsidy_amount[h] = old_dibao
                        subsidy_left[h] = int(e[E_EMP_MONTHS])
                    flags[h] &= 2
                # -- gradual exit month: pay the schedule share, end when the months run out ---
                # -- standards changed this month (调标): re-rate the payment in force with the income
                # found at the last decision, so a new standard never reveals a new income
                if rerate and st == ST_ENROLLED and not (decide or review or report):
                    dirty[h] = 1  # payments re-rated without an assessment
                    rerate_household(h, area, paid_pci[h], p, p_old, paid_gap, paid_supp,
                                     paid_supp_fixed, paid_single, paid_single_n,
                                     paid_tekun_basic, paid_dibao_n)
                exit_pay = 0.0
                if st == ST_EXIT:
                    if exit_left[h] <= 0:
                        # end of the exit period: still above the standard → leave
                        if eligible:
                            st = ST_ENROLLED
                            paid_gap[h] = new_gap
                            paid_supp[h] = new_supp
                            paid_supp_fixed[h] = sc[O_SUPP_FIXED]
                            paid_dibao_n[h] = int(sc[O_DIBAO_SIZE])
                            paid_pci[h] = sc[O_PER_CAPITA]
                            ev = EV_REQUALIFIED
                        else:
                            a[g, A_D_EX_GEND] += w
                            paid_dibao_n[h] = 0
                            paid_gap[h] = 0.0
                            paid_supp[h] = 0.0
                            st = ST_ENROLLED
                            ev = EV_EXIT_ENDED
                    else:
                        exit_pay = gradual_exit_payment(exit_elapsed[h], exit_base[h], p)
                        exit_elapsed[h] += 1
                        exit_left[h] -= 1
                if st == ST_ENROLLED and paid_dibao_n[h] == 0 and paid_single_n[h] == 0 \
                        and paid_tekun_n[h] == 0:
                    st = ST_NONE
                status[h] = st
                event[h] = ev
                if st == ST_NONE or st == ST_PENDING:
                    if subsidy_left[h] > 0:
                        _employment_subsidy_month(a, g, w, h, 0.0, subsidy_left, subsidy_amount)
                    continue
                if requal_pay >= 0.0:
                    exit_pay = requal_pay  # the new gap is paid from next month
                # -- payments and counts -------------------------------------------------------
                hh_total = exit_pay + paid_single[h] + paid_tekun_basic[h] + paid_tekun_care[h]
                if st == ST_ENROLLED and requal_pay < 0.0:
                    hh_total += paid_gap[h] + paid_supp[h]
                if st == ST_EXIT or requal_pay >= 0.0:
                    _count_recipients(a, g, w, A_D_HH, A_D_PERSONS, paid_dibao_n[h])
                    a[g, A_D_EXITPAY] += w * exit_pay
                    a[g, A_D_IN_EXIT] += w
                elif paid_dibao_n[h] > 0:
                    _count_recipients(a, g, w, A_D_HH, A_D_PERSONS, paid_dibao_n[h])
                    a[g, A_D_GAP] += w * paid_gap[h]
                    a[g, A_D_SUPP] += w * paid_supp[h]
                if paid_single_n[h] > 0:
                    _count_recipients(a, g, w, A_S_HH, A_S_PERSONS, paid_single_n[h])
                    a[g, A_S_PAY] += w * paid_single[h]
                if paid_tekun_n[h] > 0:
                    _count_recipients(a, g, w, A_T_HH, A_T_PERSONS, paid_tekun_n[h])
                    a[g, A_T_BASIC] += w * paid_tekun_basic[h]
                    a[g, A_T_CARE] += w * paid_tekun_care[h]
                if subsidy_left[h] > 0:
                    dibao_now = exit_pay + paid_single[h]
                    if st == ST_ENROLLED and requal_pay < 0.0:
                        dibao_now += paid_gap[h] + paid_supp[h]
                    _employment_subsidy_month(a, g, w, h, dibao_now, subsidy_left, subsidy_amount)
                if rate > 0.0:
                    covered = paid_dibao_n[h] + paid_single_n[h] + paid_tekun_n[h]
                    per_person = price_subsidy(p[P_STANDARD + area], rate, p)
                    a[g, A_PL_PERSONS] += w * covered
                    a[g, A_PL_PAY] += w * covered * per_person
                    hh_total += covered * per_person
                a[g, A_TOTAL_PAY] += w * hh_total
                if (paid_gap[h] < 0.0 or paid_supp[h] < 0.0 or paid_single[h] < 0.0
                        or paid_tekun_basic[h] < 0.0 or paid_tekun_care[h] < 0.0 or exit_pay < 0.0
                        or subsidy_amount[h] < 0.0):
                    a[g, U_NEGATIVE] += 1.0
            ci = _next_chunk(counter)
    return 0


@njit(parallel=True, cache=True, error_model="numpy")
def initial_kernel(seed, p, e, share, share_tekun, chunk_bounds, bounds, township, hh_urban, weight, status,
                   review_class, paid_gap, paid_supp, paid_supp_fixed, paid_single, paid_tekun_basic,
                   paid_tekun_care, paid_dibao_n, paid_single_n, paid_tekun_n, age_y, urban_p,
                   disability, ill, paralysed, rare, labour, self_care, earned, pension, other,
                   rigid, supporter, assets, care_wish, scratch, paid_pci, candidate, multiple):
    """The stock of recipients at the start: each household the rules find eligible is enrolled
    with probability ``share[area]`` (``share_tekun`` when it has tekun persons; keyed draw), with the
    payment the rules give. ``candidate[h]`` is set for a household eligible for nothing whose
    per-capita counted income is below ``multiple`` × the standard: the near-poor among whom
    :func:`enrol_inclusion_errors` places the stock's inclusion errors."""
    n_chunks = chunk_bounds.shape[0] - 1
    no_pout = np.zeros((0, N_PERSON_OUTPUTS))  # per-person results not wanted
    for c in prange(n_chunks):
        for h in range(chunk_bounds[c], chunk_bounds[c + 1]):
            assess_household_detail(2 * h, c, bounds, age_y, urban_p, disability, ill, paralysed, rare,
                             labour, self_care, earned, pension, other, rigid, supporter,
                             assets, care_wish, p, scratch, no_pout)
            sc = scratch[c]
            review_class[h] = int(sc[O_REVIEW_CLASS])
            eligible = sc[O_DIBAO_ELIGIBLE] != 0.0
            n_single = int(sc[O_SINGLE_PERSONS])
            n_tekun = int(sc[O_TEKUN_PERSONS])
            if not (eligible or n_single > 0 or n_tekun > 0):
                if sc[O_PER_CAPITA] < multiple * sc[O_STANDARD]:
                    candidate[h] = 1
                continue
            if to_uniform(key_hash(seed, STREAM_INITIAL, h, 0)) >= (
                    share_tekun if n_tekun > 0 else share[1 - hh_urban[h]]):
                continue
            status[h] = ST_ENROLLED
            if eligible:
                paid_gap[h] = sc[O_DIBAO_GAP]
                paid_supp[h] = sc[O_DIBAO_AMOUNT] - sc[O_DIBAO_GAP]
                paid_supp_fixed[h] = sc[O_SUPP_FIXED]
                paid_dibao_n[h] = int(sc[O_DIBAO_SIZE])
                paid_pci[h] = sc[O_PER_CAPITA]
            _pay_single_and_tekun(h, sc, n_single, n_tekun, paid_single, paid_single_n,
                                  paid_tekun_basic, paid_tekun_care, paid_tekun_n)


@njit(parallel=True, cache=True, error_model="numpy")
def enrol_inclusion_errors(seed, p, q, chunk_bounds, bounds, hh_urban, status, candidate, hidden,
                           paid_gap, paid_dibao_n, paid_pci):
    """Enrol each candidate household (:func:`initial_kernel`) with probability ``q[area]`` as
    an inclusion error 错保 (``hidden``): the office sees a per-capita income drawn uniformly
    below the standard and pays the gap (or tier) the rules give for it (keyed draws)."""
    for c in prange(chunk_bounds.shape[0] - 1):
        for h in range(chunk_bounds[c], chunk_bounds[c + 1]):
            if candidate[h] == 0:
                continue
            area = 1 - hh_urban[h]
            if to_uniform(key_hash(seed, STREAM_INITIAL, h, 1)) >= q[area]:
                continue
            status[h] = ST_ENROLLED
            hidden[h] = 1
            paid_dibao_n[h] = bounds[2 * h + 1] - bounds[2 * h]
            seen = to_uniform(key_hash(seed, STREAM_INITIAL, h, 2)) * p[P_STANDARD + area]
            paid_pci[h] = seen
            paid_gap[h] = rerated_gap(seen, paid_dibao_n[h], p[P_STANDARD + area], p, area)


_cache.end(_PREVIOUS_CACHE)
