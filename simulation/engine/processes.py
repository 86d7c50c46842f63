"""The monthly processes of the engine, as two fused numba kernels over households.

Each month runs these named processes in this order (households in parallel, chunk by chunk).
Each process is a small ``@njit(inline="always")`` function of this module, named below in
brackets, called in this order from the kernels' household loop (:func:`_persons_chunks`,
:func:`_programme_chunks`: the loop body reads as this list). They take the state as records
(namedtuples of arrays): ``P`` the person slots (:data:`PersonRecord`), ``H`` the household
columns (:data:`HouseholdRecord`), ``W`` the engine's work arrays (:data:`Work`), ``m`` the
month (:data:`Month`) and ``r`` kernel 1's rates of the month (:data:`PersonsRates`); a new
column or rate is a new field of a record, not a new parameter of every kernel.

Kernel 1, every household (:func:`persons_kernel`); processes 1-5 member by member, on the
person's one uniform (the death, health and job events are consecutive intervals of it):
  1. ``demography``   [:func:`ageing`, :func:`death`, :func:`births`, :func:`household_counts`]
                      ageing (birthdays spread over the year), deaths by age (Gompertz-Makeham,
                      raised for the severely disabled and seriously ill), births into free slots;
                      a tekun person's death pays the funeral subsidy 丧葬补贴 (``tekun.funeral_months``
                      × the basic living standard, qijiang §2) once and ends that person's support.
  2. ``health``       [:func:`health`, :func:`paralysis_month`] disability onset and progression
                      (some severe onsets leave the person paralysed), serious illness onset and
                      recovery, loss of self-care; in old age, loss of labour ability and of the
                      legal supporter (the tekun inflow; ``supporter_loss`` rural,
                      ``supporter_loss_urban`` urban);
  3. ``jobs``         [:func:`jobs`] jobs lost and found (working ages, by labour ability); past
                      the working ages (``work_age_max``, the generator's) work and labour
                      ability end (in :func:`ageing`);
  4. ``income``       [:func:`indexation`, :func:`earnings`] persistent AR(1) and transitory
                      log-earnings shocks of the employed, wages growing with the area's NBS
                      income path; transfers and support raised with it each January, residents'
                      pensions with the central minimum (``economy.monthly_inputs``; applied
                      before the person's events); basic pension from 60 (in :func:`ageing`);
  5. ``expenditure``  [:func:`expenditure`] rigid medical spending while seriously ill;
                      education costs in September (drawn in :func:`temporary_events`);
  6. ``assessment``   [:func:`assessment`] the rules' household calculator (``simulation.rules.
                      entitlement.assess_household``) on a household's current circumstances,
                      where a temporary-assistance or application draw needs it and the income
                      screen does not rule it out (finished after each chunk's loop,
                      :func:`_assess_and_apply`);
  7. ``temporary``    [:func:`temporary_events` (the draws), :func:`temporary_assistance`]
                      temporary assistance 临时救助: urgent type (``temporary.urgent.amount`` by
                      the severity tiers, jiaohe §12) and expenditure type for illness and
                      education (a multiple of the urban standard, boshan §3) for low-income,
                      hardship and assisted households; ``instalments`` [:func:`instalment_start`]
                      分次发放: a large illness case is approved once and paid in
                      ``temporary.instalments.months`` parts, the later ones by
                      ``model._instalments`` before kernel 1 (jiaohe §12);
  8. ``applications`` [:func:`application_draw` (the draw and the income screen),
                      :func:`applications`] eligible non-recipients apply with probability
                      ``take_up`` (rural; urban × ``take_up_urban_ratio``; with a tekun member
                      ``take_up_tekun`` and its urban ratio), raised by active discovery 主动发现
                      and, during an expansion campaign 应保尽保, by ``campaign_take_up_multiple``
                      (near-poor applicants then accepted in error with ``campaign_inclusion``);
                      in a public emergency (``temporary.applicant_advance``) an applicant gets
                      ``temporary.applicant_months`` of the urban standard first (jiaohe §15).
  Ahead for kernel 2 [:func:`assessment_due`, :func:`assessment_ahead`, :func:`members_ahead`]:
                      for a household kernel 2 may assess (the queue, a review falling due or
                      waiting, a change report its draw would make, a gradual exit ending)
                      kernel 1 runs the rules' calculator, and for every household in a
                      programme or the queue counts the members special assistance pays on,
                      while their members are in the cache (:func:`prefetch_assessed` asks for
                      the columns only the calculator reads). Kernel 2 takes these results as
                      its own (:func:`reassessment`, :func:`special_assistance`); nothing
                      changes the members in between, so they are the same.

Between the kernels ``reserve``: each township's urgent aid of the month against its reserve fund
(``temporary.township_reserve``; the excess recorded, and cut without a refill, boshan §3;
``model._township_reserve``); then the township offices (Mesa agents) decide how many queued
applications they can decide this month (oldest first, within their capacity) and which share
of the reviews falling due they can do (counted by kernel 1 as it passes each household,
:func:`reviews_falling_due`).

Kernel 2, households in a programme or queue (:func:`programme_kernel`, over the lists kernel 1
makes of them, :func:`kernel_2_households`; a household that died out leaves every programme
first, :func:`died_out`; :func:`due` says what is due):
  9. ``decisions``    [:func:`decisions`] offices decide queued applications: enrolment if the
                      rules say so; days to decision are recorded against
                      ``admin.decision_deadline_days``;
 10. ``reviews``      [:func:`reviews` (:func:`review_tekun`, :func:`review_single`,
                      :func:`review_dibao`), :func:`report_draw`, :func:`reported_change`] on the
                      locality's calendar by review class (``dibao.review.months.A/B/C``,
                      ``tekun.review.months``, qijiang §4), and when a household reports a major
                      change between reviews (probability ``report_change``): the payment is
                      recomputed (:func:`reassessment`); between them only a change of
                      standards re-rates it (调标 [:func:`rerating`], ``rules.rerate``, with the
                      income found at the last decision). ``verification`` [:func:`verification`]:
                      a review of an inclusion error 错保 (enrolled with income the office does
                      not see) finds it with the month's detection rate (method mix, campaign)
                      and it leaves (``exits_verification``);
 11. ``gradual_exit`` [:func:`gradual_exit_start` at a review, :func:`gradual_exit` each month]
                      渐退: a household found above the standard but below
                      ``dibao.gradual_exit.ceiling_multiple`` × the standard keeps
                      ``payment_schedule`` shares of its last benefit for ``months``
                      (``months_disabled`` with a disabled member), then leaves if still above;
                      qualifying again ends the exit (that month paid as the exit's, the new gap
                      from the next, jiaohe §5; :func:`review_dibao`); at or above the ceiling it
                      leaves at once; re-rating comes just before it: new standards re-rate the
                      payments in force of households not decided or reviewed;
 12. ``employment_subsidy`` [:func:`employment_subsidy_start` at a review,
                      :func:`employment_subsidy_payment` each month] a registered-unemployed
                      member who finds work gives the household the month's dibao cut
                      (``rules.employment``; also off dibao, in the queue or in gradual exit) for
                      ``dibao.employment_subsidy.months`` from the review (qijiang §8);
 13. ``price_linkage`` [:func:`price_linkage`] 物价联动: when CPI (or food CPI) year-on-year
                      reaches its trigger, recipients get the standard × the rate, at least
                      ``price_linkage.floor``, per person;
 14. ``payments``     [:func:`programme_payments`, :func:`payments_total`] the month's payments
                      and counts, summed by township × area.
 15. ``special``      [:func:`special_assistance`] special assistance 专项救助 that follows the
                      caseload (``rules.special``): medical, education, housing, the disability
                      living subsidy and employment assistance for the persons covered; funeral
                      fee waivers in :func:`death`; the care subsidy and the low-income
                      extension from the yearly :func:`disability_year`.

Every random draw is keyed (``rng``): the same seed gives the same shocks to every household and
month in a baseline and a reform; the rules stay pure.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from collections import namedtuple  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from llvmlite import ir  # noqa: E402
from numba import njit, prange  # noqa: E402
from numba.core import cgutils, types  # noqa: E402
from numba.core.extending import intrinsic  # noqa: E402

from simulation.admin.offices import MONTH_DAYS, QUEUE_AGES, calendar_days  # noqa: E402
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
from simulation.rules.special import (  # noqa: E402
    S_DIS_ENABLED,
    S_EDU_ENABLED,
    S_EMP_AGE_MAX,
    S_EMP_ENABLED,
    S_FUN_ENABLED,
    S_HOUSE_ENABLED,
    S_HOUSE_GRANT,
    S_HOUSE_RENT_SHARE,
    S_MED_ENABLED,
    S_MED_IN_COST,
    S_MED_IN_RATE_ILL,
    S_MED_IN_RATE_OTHER,
    S_MED_IN_SIGMA,
    S_MED_LIMIT,
    S_MED_OUT_COST,
    S_MED_OUT_RATE_ILL,
    S_MED_OUT_RATE_OTHER,
    disability_living,
    education_month,
    education_payment,
    enrolment_share,
    funeral_waiver,
    medical_aid,
    medical_rate,
    placement_cost,
    placement_probability,
    premium_subsidy,
    renovation_probability,
    rent_subsidy,
    school_stage,
)
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


# ---- the kernels' records (numba takes a namedtuple of arrays and scalars as one argument) ----
#: The month's inputs, built by ``model.SimulationModel.step``: the seed, the month (``mkey``
#: absolute, ``t`` since the start, ``cal_month`` 1..12), behaviour ``b``, parameters ``p``
#: (``p_old`` last month's) and ``e`` (``E_*``), economic inputs ``dyn`` (``economy.D_*``),
#: hazards ``haz``, entry wages by area, CPI and food CPI year on year, the detection rate by
#: area, whether parameters changed, rigid spending is refreshed or payments re-rated, and the
#: threads' chunk order.
Month = namedtuple("Month", [
    "seed", "mkey", "t", "cal_month", "b", "p", "p_old", "e", "dyn", "haz", "entry_wage", "cpi",
    "food_cpi", "p_detect", "params_changed", "refresh_rigid", "rerate", "order", "n_threads",
    "s"])
#: The engine's own arrays, built once by ``model.SimulationModel``: chunks of households, each
#: household's slot capacity and the most of any, its packed members' bounds (what the rules
#: read), the rules' scratch and the accumulators per chunk, households deferred by kernel 1,
#: each chunk's buffers of person draws (:func:`draw_buffer_size`), an empty array for the
#: per-person results of the rules' calculator (not wanted) and the reviews falling due per
#: chunk × township (:func:`reviews_falling_due`); ``days_used[c]``: the day bins of chunk ``c``'s
#: histogram of days to decision written this month (the rest are zero: only these are cleared
#: and summed, not the whole chunks × groups × :data:`DAY_BINS`). ``ahead[c, k]``: the rules'
#: results for household ``ahead_h[c, k]`` (``k < ahead_n[c]``, in household order) that kernel 1
#: assessed for kernel 2 (:func:`assessment_ahead`); ``members_n[h]``: the members special
#: assistance counts, as kernel 1 left them (:func:`members_ahead`). ``active_h`` from
#: ``chunk_bounds[c]`` (``active_n[c]`` of them) and ``applied_h`` likewise: the chunk's
#: households kernel 2 goes through, as kernel 1 left them and the month's new applications
#: (:func:`kernel_2_households`).
Work = namedtuple("Work", [
    "chunk_bounds", "slot_cap", "max_members", "bounds", "scratch", "acc", "days_hist", "defer_h",
    "defer_bits", "draw_keys", "draw_u", "no_pout", "reviews_due", "days_used", "ahead",
    "ahead_h", "ahead_n", "members_n", "active_h", "active_n", "applied_h", "applied_n"])
#: The person slot columns (``state.PersonSlots``, same names and arrays), one record. Listed
#: here, not taken from the dataclass: the kernels' cache is keyed by this file's source, and a
#: cached kernel reads a record's fields by position.
PersonRecord = namedtuple("PersonRecord", [
    "age_y", "birth_m", "urban", "disability", "ill", "paralysed", "rare", "labour", "self_care",
    "employed", "wage", "perm", "earned", "pension", "other", "rigid_base", "rigid",
    "unemployed_reg", "supporter", "assets", "care_wish"])
#: The household columns (``state.Households``), one record (listed here as :data:`PersonRecord`).
HouseholdRecord = namedtuple("HouseholdRecord", [
    "household_id", "hh_start", "urban", "area", "township", "weight", "n_alive", "status",
    "review_class", "applied_month", "applied_day", "event", "paid_gap", "paid_supplement",
    "paid_supp_fixed", "paid_single", "paid_tekun_basic", "paid_tekun_care", "paid_dibao_n",
    "paid_single_n", "paid_tekun_n", "paid_pci", "exit_left", "exit_elapsed", "exit_base",
    "subsidy_left", "instalment_left", "instalment_amount", "subsidy_amount", "flags", "dirty",
    "hidden", "dibao_month", "med_used", "med_year", "renovated"])
#: The offices' plan of the month for kernel 2 (``model.SimulationModel.step`` from
#: ``simulation.admin.offices.office_month``), per township × queue cohort: the draw thresholds
#: before and after the month (an application with ``cut_lo < draw <= cut_hi`` is decided), the
#: day of the month the office reaches the cohort and the days per unit of draw within it; per
#: township the share of reviews done (falling due, waiting); the applications' own days; and
#: whether reviews beyond the hours wait (``admin.review_lag``).
Offices = namedtuple("Offices", ["cut_lo", "cut_hi", "base_day", "span_day", "review_share",
                                 "own_days", "lag"])
#: Kernel 1's rates and constants of the month (:func:`persons_rates`).
PersonsRates = namedtuple("PersonsRates", [
    "minor_age", "tekun_age", "deduction", "excluded", "work_min", "work_max", "rho", "sd_p",
    "sd_t", "trans_mean", "smooth", "pension_delta", "pension60", "q_loss", "q_find",
    "find_partial", "q_severe", "q_recover", "q_selfcare", "para_share", "mult_dis", "mult_ill",
    "q_birth_k", "fert_min", "fert_max", "selfcare_age", "student_min", "student_max",
    "ill_cost", "accept_error", "inclusion_multiple", "q_apply", "q_tekun", "labour_loss_age",
    "q_labour_loss", "q_supporter_loss", "q_supporter_loss_urban", "q_urgent", "q_edu",
    "q_ill_take", "funeral_months", "applicant_pay", "asset_limit_m", "screen_multiple",
    "bound", "funeral_waiver"])


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
    e[E_DEADLINE_DAYS] = calendar_days(float(get("admin.decision_deadline_days")),
                                       get("admin.deadline_basis"))
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
    # special assistance 专项救助 (rules.special; process 15); persons and cases weighted
    "medical_persons", "medical_pay_premium", "medical_pay_inpatient", "medical_pay_outpatient",
    "medical_cases", "medical_cases_inpatient",
    "education_persons", "education_pay_preschool", "education_pay_compulsory",
    "education_pay_senior", "education_pay_higher",
    "housing_households", "housing_pay_rent", "housing_pay_renovation", "housing_renovations",
    "disability_living_persons", "disability_pay_living", "disability_care_persons",
    "disability_pay_care",
    "placements", "placement_pay_post", "placement_pay_insurance",
    "funeral_waiver_persons", "funeral_waiver_pay",
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
 U_NEGATIVE, A_TOTAL_PAY, A_D_EX_VERIFY, A_TMP_RESERVE_EXCEEDED,
 A_MED_PERSONS, A_MED_PREMIUM, A_MED_INPATIENT, A_MED_OUTPATIENT, A_MED_CASES, A_MED_CASES_IN,
 A_EDU_PERSONS, A_EDU_PRESCHOOL, A_EDU_COMPULSORY, A_EDU_SENIOR, A_EDU_HIGHER,
 A_HOUSE_HH, A_HOUSE_RENT, A_HOUSE_RENOVATION, A_HOUSE_RENOVATIONS,
 A_DIS_LIVING_PERSONS, A_DIS_LIVING, A_DIS_CARE_PERSONS, A_DIS_CARE,
 A_PLACEMENTS, A_PLACE_POST, A_PLACE_INSURANCE, A_FW_PERSONS, A_FW_PAY) = range(N_ACC)

#: Queue ages tracked per township: ``simulation.admin.offices.QUEUE_AGES`` (imported above).
#: Days-to-decision histogram: one-day bins, the last bin holds longer waits.
DAY_BINS = 400

# ---- key streams inside a household key (sub-key index; K_URGENT_MULT, K_QUEUE and K_PROC_DAYS
# are reserved: renumbering would change every later draw; new streams go at the end) ----
K_BIRTH, K_URGENT, K_URGENT_MULT, K_EDU, K_EDU_MULT, K_APPLY, K_APPLY_DAY, K_ILL_TAKE, \
    K_ILL_MULT, K_REPORT, K_QUEUE, K_PROC_DAYS, K_VERIFY, K_ERROR, K_SEEN, K_MEDICAL, \
    K_MEDICAL_COST, K_RENOVATION, K_REVIEW_LAG = range(19)
#: ``H.flags`` bit: the household's review is waiting for the office (``admin.review_lag``).
FLAG_REVIEW_WAITING = 4
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
def _copy_person(P, src, dst):
    """Move the person in slot ``src`` into slot ``dst`` (every column of the record)."""
    P.age_y[dst] = P.age_y[src]
    P.birth_m[dst] = P.birth_m[src]
    P.disability[dst] = P.disability[src]
    P.ill[dst] = P.ill[src]
    P.paralysed[dst] = P.paralysed[src]
    P.rare[dst] = P.rare[src]
    P.labour[dst] = P.labour[src]
    P.self_care[dst] = P.self_care[src]
    P.employed[dst] = P.employed[src]
    P.wage[dst] = P.wage[src]
    P.perm[dst] = P.perm[src]
    P.earned[dst] = P.earned[src]
    P.pension[dst] = P.pension[src]
    P.other[dst] = P.other[src]
    P.rigid_base[dst] = P.rigid_base[src]
    P.rigid[dst] = P.rigid[src]
    P.unemployed_reg[dst] = P.unemployed_reg[src]
    P.supporter[dst] = P.supporter[src]
    P.assets[dst] = P.assets[src]
    P.care_wish[dst] = P.care_wish[src]
    P.urban[dst] = P.urban[src]


#: Households per block of person draws (the block's slots × 24 bytes stay in the L1/L2 cache).
DRAW_BLOCK = 256


def draw_buffer_size(hh_start: np.ndarray) -> int:
    """Slots in the largest block of :data:`DRAW_BLOCK` households (any start: a bound for the
    blocks of every chunk), the size of each chunk's buffers of person draws."""
    n = hh_start.shape[0] - 1
    ends = np.minimum(np.arange(n) + DRAW_BLOCK, n)
    return max(1, int((hh_start[ends] - hh_start[:-1]).max(initial=0)))


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


@intrinsic
def _prefetch(typingctx, array, index):
    """Ask the CPU to fetch the cache line of ``array[index]`` (LLVM's ``prefetch``: a hint,
    no effect on any value)."""
    sig = types.void(array, index)

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        ary = context.make_array(array_type)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, array_type, ary, [args[1]])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
            "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])  # read, keep
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, inline="always")
def prefetch_assessed(P, s0):
    """The first cache line of each person column the rules' calculator reads and kernel 1's
    member loop does not (without an event), for a household in a programme or the queue, which
    kernel 1 may assess ahead once its members are done (:func:`assessment_ahead`): fetched
    while the members are processed, not waited for then."""
    _prefetch(P.assets, s0)
    _prefetch(P.pension, s0)
    _prefetch(P.other, s0)
    _prefetch(P.rigid, s0)
    _prefetch(P.supporter, s0)
    _prefetch(P.care_wish, s0)
    _prefetch(P.self_care, s0)
    _prefetch(P.rare, s0)
    _prefetch(P.labour, s0)


@njit(cache=True, inline="always")
def prefetch_members(P, s0):
    """The first cache line of every person column the rules' calculator reads, for a household
    kernel 1 finishes after the chunk's loop (its members have left the nearest caches by then):
    asked for one household ahead."""
    prefetch_assessed(P, s0)
    _prefetch(P.age_y, s0)
    _prefetch(P.urban, s0)
    _prefetch(P.disability, s0)
    _prefetch(P.ill, s0)
    _prefetch(P.paralysed, s0)
    _prefetch(P.earned, s0)


@njit(cache=True, inline="always")
def _supported(status: int) -> bool:
    return status == ST_ENROLLED or status == ST_EXIT


@njit(cache=True, inline="always")
def _assess(h, c, P, W, p, no_pout):
    """The rules' calculator on household ``h``'s members; results in ``W.scratch[c]``."""
    assess_household_detail(2 * h, c, W.bounds, P.age_y, P.urban, P.disability, P.ill,
                            P.paralysed, P.rare, P.labour, P.self_care, P.earned, P.pension,
                            P.other, P.rigid, P.supporter, P.assets, P.care_wish, p, W.scratch,
                            no_pout)


# ---- kernel 1: the persons' month --------------------------------------------------------------

@njit(cache=True)
def persons_rates(m, max_members):
    """Kernel 1's rates and constants of the month (:data:`PersonsRates`), from the behaviour
    ``m.b``, the parameters ``m.p`` and ``m.e`` and the month's economic inputs ``m.dyn``."""
    b = m.b
    p = m.p
    sd_t = b[BI_INCOME_SD_TRANSITORY]
    q_birth_person = 1.0 - np.exp(-b[BI_FERTILITY] / 2.0 / 12.0)
    # probability of a birth with k members of fertile age (a table: no power per household)
    q_birth_k = np.empty(max_members + 1)
    for k in range(max_members + 1):
        q_birth_k[k] = 1.0 - (1.0 - q_birth_person) ** k
    # monthly application probabilities by area (index 0 urban, 1 rural): take_up is the rural
    # rate and urban households apply at take_up_urban_ratio × it (likewise with a tekun
    # member); active discovery finds eligible non-applicants on top
    discovery = b[BI_DISCOVERY]
    campaign = m.dyn[D_CAMPAIGN] != 0.0
    boost = b[BI_CAMPAIGN_TAKE_UP] if campaign else 1.0
    accept_error = b[BI_CAMPAIGN_INCLUSION] if campaign else 0.0
    inclusion_multiple = b[BI_INCLUSION_MULTIPLE]
    q_apply = np.empty(2)
    q_tekun = np.empty(2)
    for ar in range(2):
        ratio = b[BI_TAKE_UP_URBAN_RATIO] if ar == 0 else 1.0
        ratio_tekun = b[BI_TAKE_UP_TEKUN_URBAN_RATIO] if ar == 0 else 1.0
        # an expansion campaign multiplies the whole monthly rate (own applications and
        # active discovery)
        q_apply[ar] = min(1.0, boost * (1.0 - (1.0 - min(1.0, b[BI_TAKE_UP] * ratio)) * (
            1.0 - discovery)))
        q_tekun[ar] = min(1.0, boost * (1.0 - (1.0 - min(
            1.0, b[BI_TAKE_UP_TEKUN] * ratio_tekun)) * (1.0 - discovery)))
    screen_multiple = 1.0
    if p[P_SINGLE_ENABLED] != 0.0:
        screen_multiple = max(screen_multiple, p[P_SINGLE_INCOME_MULTIPLE])
    if accept_error > 0.0:  # near-poor applicants may be accepted in error
        screen_multiple = max(screen_multiple, inclusion_multiple)
    tekun_age = p[P_TEKUN_ELDERLY_AGE]
    # basic funeral services waived per recipient's death (0: off)
    waiver = funeral_waiver(1, m.s) if m.s[S_FUN_ENABLED] != 0.0 else 0.0
    return PersonsRates(
        p[P_MINOR_AGE], tekun_age, p[P_EMPLOYMENT_COST_DEDUCTION], p[P_PENSION_EXCLUDED] != 0.0,
        b[BI_WORK_AGE_MIN], b[BI_WORK_AGE_MAX], b[BI_INCOME_RHO], b[BI_INCOME_SD_PERSISTENT],
        sd_t, -0.5 * sd_t * sd_t, 1.0 / max(1.0, b[BI_INCOME_SMOOTHING_MONTHS]),
        m.dyn[D_PENSION_DELTA], m.dyn[D_PENSION_60], b[BI_JOB_LOSS], b[BI_JOB_FIND],
        b[BI_JOB_FIND_PARTIAL_FACTOR], 1.0 - np.exp(-b[BI_DISABILITY_SEVERE_RATE] / 12.0),
        b[BI_ILLNESS_RECOVERY], b[BI_SELF_CARE_DECLINE], b[BI_PARALYSIS_SHARE],
        b[BI_MORTALITY_DISABLED_MULTIPLE], b[BI_MORTALITY_ILL_MULTIPLE], q_birth_k,
        b[BI_FERTILITY_AGE_MIN], b[BI_FERTILITY_AGE_MAX], b[BI_SELF_CARE_LOSS_AGE],
        b[BI_STUDENT_AGE_MIN], b[BI_STUDENT_AGE_MAX], b[BI_ILLNESS_COST_MULTIPLE] * p[P_STANDARD],
        accept_error, inclusion_multiple, q_apply, q_tekun, b[BI_LABOUR_LOSS_AGE],
        b[BI_LABOUR_LOSS_ELDERLY], b[BI_SUPPORTER_LOSS], b[BI_SUPPORTER_LOSS_URBAN],
        b[BI_URGENT_RATE], b[BI_EDUCATION_COST_PROB], b[BI_TEMPORARY_TAKE_UP],
        m.e[E_FUNERAL_MONTHS], applicant_amount(p), p[P_ASSET_LIMIT_MONTHS], screen_multiple,
        event_bounds(m.haz, b, tekun_age), waiver)


@njit(cache=True, inline="always")
def ageing(P, H, h, ju, cal_month, r) -> bool:
    """Process 1, demography: the birthday of the person in slot ``ju`` if it falls this month
    (the minor age gives labour ability and may end a tekun minor's support, checked at review;
    a basic pension from 60; past the working ages work and labour ability end). True if aged."""
    if P.birth_m[ju] == cal_month and P.age_y[ju] < 120:
        P.age_y[ju] += 1
        ay = P.age_y[ju]
        if ay == r.minor_age:
            if P.labour[ju] == LABOUR_NONE and P.disability[ju] == DISABILITY_NONE:
                P.labour[ju] = LABOUR_FULL
            if H.paid_tekun_n[h] > 0 and P.supporter[ju] == 0:
                H.flags[h] += 256  # a tekun minor may have aged out (checked at review)
        if ay == 60 and P.pension[ju] == 0.0:
            P.pension[ju] = r.pension60
        if ay == r.work_max + 1:
            # past the working ages no one works and labour ability ends, as
            # in the population generator (no job cliff at the start of a run)
            P.employed[ju] = 0
            P.labour[ju] = LABOUR_NONE
        return True
    return False


@njit(cache=True, inline="always")
def indexation(P, ju, other_factor, pension_delta) -> bool:
    """Process 4, income (first part): transfers and support raised with incomes each January
    (``other_factor``), residents' pensions by the central minimum's increase. True if any."""
    changed = False
    if other_factor != 1.0 and P.other[ju] > 0.0:
        P.other[ju] *= other_factor
        changed = True
    if pension_delta != 0.0 and P.pension[ju] > 0.0:
        P.pension[ju] += pension_delta
        changed = True
    return changed


@njit(cache=True, inline="always")
def paralysis_month(P, ju) -> bool:
    """A paralysed person's months paralysed move on (capped). True if they did."""
    if P.paralysed[ju] > 0 and P.paralysed[ju] < 32000:
        P.paralysed[ju] += 1
        return True
    return False


@njit(cache=True, inline="always")
def death(P, H, h, j, ju, s0, n, u, ay, st, area, g, w, a, haz, p, r, ev):
    """Process 1, demography: the person in slot ``j`` dies if ``u`` is below the death hazard
    (raised for the severely disabled and seriously ill). A tekun person's death pays the funeral
    subsidy once (qijiang §2) and ends that support; the household's last member moves into the
    freed slot. Returns (died, the hazard: the start of the next event's interval, event)."""
    qd = haz[0, ay]
    if P.disability[ju] == DISABILITY_SEVERE:
        qd *= r.mult_dis
    if P.ill[ju]:
        qd *= r.mult_ill
    if u >= qd:
        return False, qd, ev
    ev = EV_DEATH
    if r.funeral_waiver > 0.0 and _supported(st) and (
            H.paid_dibao_n[h] > 0 or H.paid_single_n[h] > 0 or H.paid_tekun_n[h] > 0):
        # basic funeral services waived for a recipient household's member (qijiang §10)
        a[g, A_FW_PERSONS] += w
        a[g, A_FW_PAY] += w * r.funeral_waiver
        a[g, A_TOTAL_PAY] += w * r.funeral_waiver
    if H.paid_tekun_n[h] > 0 and _supported(st):
        ci = counted_income(P.earned[ju], P.pension[ju], P.other[ju], r.deduction, r.excluded)
        asset_limit = r.asset_limit_m * p[P_STANDARD + area]
        if tekun_eligible(ay, P.disability[ju], P.labour[ju], P.supporter[ju] != 0, ci,
                          P.assets[ju], asset_limit, r.tekun_age, r.minor_age):
            basic = tekun_basic(area, P.care_wish[ju], p)
            care = tekun_care(P.self_care[ju], p)
            a[g, A_F_PERSONS] += w
            a[g, A_F_PAY] += w * r.funeral_months * basic
            a[g, A_TOTAL_PAY] += w * r.funeral_months * basic
            a[g, A_T_EX_DEATH] += w
            H.paid_tekun_n[h] -= 1
            H.paid_tekun_basic[h] = max(0.0, H.paid_tekun_basic[h] - basic)
            H.paid_tekun_care[h] = max(0.0, H.paid_tekun_care[h] - care)
            ev = EV_FUNERAL
    # swap-remove: the last member moves into this slot (members stay packed)
    last = s0 + n - 1
    if last != j:
        _copy_person(P, last, j)
    return True, qd, ev


@njit(cache=True, inline="always")
def health(P, ju, ay, u, cum, haz, r):
    """Process 2, health, on the person's uniform ``u`` from ``cum`` on: disability onset and
    progression (a share of severe onsets: paralysis), months paralysed, serious illness onset
    and recovery (rigid spending follows), loss of self-care; in old age loss of labour ability
    and of the legal supporter (the tekun inflow). Returns (``cum`` after them, illness onsets)."""
    ill_onset = 0
    # disability onset / progression (a share of severe onsets: paralysis)
    if P.disability[ju] == DISABILITY_NONE:
        qo = haz[1, ay]
        if u < cum + qo:
            P.disability[ju] = DISABILITY_MILD
            if P.labour[ju] == LABOUR_FULL:
                P.labour[ju] = LABOUR_PARTIAL
        cum += qo
    elif P.disability[ju] == DISABILITY_MILD:
        if u < cum + r.q_severe:
            P.disability[ju] = DISABILITY_SEVERE
            P.labour[ju] = LABOUR_NONE
            if P.employed[ju]:
                P.employed[ju] = 0
            if (u - cum) < r.q_severe * r.para_share and P.paralysed[ju] == 0:
                P.paralysed[ju] = 1
        cum += r.q_severe
    if P.paralysed[ju] > 0 and P.paralysed[ju] < 32000:
        P.paralysed[ju] += 1
    # serious illness onset / recovery
    if P.ill[ju]:
        if u >= cum and u < cum + r.q_recover:
            P.ill[ju] = False
            P.rigid[ju] = P.rigid_base[ju] + 0.0
        cum += r.q_recover
    else:
        qi = haz[2, ay]
        if u >= cum and u < cum + qi:
            P.ill[ju] = True
            P.rigid[ju] = P.rigid_base[ju] + r.ill_cost
            ill_onset += 1
            if P.employed[ju]:
                P.employed[ju] = 0
        cum += qi
    # loss of self-care (very old or severely disabled)
    if (ay >= r.selfcare_age or P.disability[ju] == DISABILITY_SEVERE) \
            and P.self_care[ju] < SELF_CARE_UNABLE:
        if u >= cum and u < cum + r.q_selfcare:
            P.self_care[ju] += 1
        cum += r.q_selfcare
    # old age: loss of labour ability (the way into tekun for the elderly alone)
    if ay >= r.labour_loss_age and P.labour[ju] != LABOUR_NONE:
        if u >= cum and u < cum + r.q_labour_loss:
            P.labour[ju] = LABOUR_NONE
            P.employed[ju] = 0
        cum += r.q_labour_loss
    # old age: the legal supporter dies, moves or can no longer support, and the support
    # received ends (other income); with no labour ability and no income the person is tekun.
    # Urban and rural rates differ (urban elders mostly keep a pension, so fewer lose their
    # whole income with it)
    if ay >= r.tekun_age and P.supporter[ju]:
        q_sl = r.q_supporter_loss_urban if P.urban[ju] else r.q_supporter_loss
        if u >= cum and u < cum + q_sl:
            P.supporter[ju] = False
            P.other[ju] = 0.0
        cum += q_sl
    return cum, ill_onset


@njit(cache=True, inline="always")
def jobs(P, H, h, ju, ay, u, cum, entry_wage, r):
    """Process 3, jobs, on the person's uniform ``u`` from ``cum`` on (working ages): a job lost
    (registered unemployed) or found (by labour ability, not while seriously ill; a
    registered-unemployed member who finds work marks the employment subsidy, flag bit 0)."""
    if ay >= r.work_min and ay <= r.work_max:
        if P.employed[ju]:
            if u >= cum and u < cum + r.q_loss:
                P.employed[ju] = 0
                P.unemployed_reg[ju] = True
        elif P.labour[ju] != LABOUR_NONE and not P.ill[ju]:
            qf = r.q_find if P.labour[ju] == LABOUR_FULL else r.q_find * r.find_partial
            if u >= cum and u < cum + qf:
                P.employed[ju] = 1
                if P.wage[ju] <= 0.0:
                    P.wage[ju] = entry_wage
                if P.unemployed_reg[ju]:
                    H.flags[h] |= 1
                    P.unemployed_reg[ju] = False


@njit(cache=True, inline="always")
def earnings(P, ju, pkey, growth_t, r) -> bool:
    """Process 4, income: persistent AR(1) + transitory log shocks (mean-preserving) of the
    employed, wages growing by ``growth_t`` since the start; the means test counts average income
    over recent months (national 审核确认办法): ``earned`` is an exponential average of this
    month's earnings (an income of 0 without a job stays 0). True if it changed."""
    if P.employed[ju]:
        z0, z = income_shocks(pkey)
        P.perm[ju] = r.rho * P.perm[ju] + r.sd_p * z0
        current = P.wage[ju] * growth_t * np.exp(P.perm[ju] + r.sd_t * z + r.trans_mean)
        P.earned[ju] += r.smooth * (current - P.earned[ju])
        return True
    if P.earned[ju] != 0.0:
        P.earned[ju] += r.smooth * (0.0 - P.earned[ju])
        return True
    return False


@njit(cache=True, inline="always")
def expenditure(P, ju, refresh_rigid, r):
    """Process 5, expenditure: rigid spending is the person's own plus the illness cost while
    seriously ill, kept where illness starts or ends (:func:`health`) and recomputed for everyone
    when ``refresh_rigid`` (the illness cost is a multiple of the standard). Education costs
    come with temporary assistance (:func:`temporary_events`)."""
    if refresh_rigid:
        P.rigid[ju] = P.rigid_base[ju] + (r.ill_cost if P.ill[ju] else 0.0)


@njit(cache=True, inline="always")
def births(P, H, W, h, s0, n, hkey, cal_month, g, w, a, r, ev):
    """Process 1, demography: a birth into a free slot of the household (a birth with no free
    slot is counted, ``births_blocked``). The draw first, against the most it could need: the
    members of fertile age are counted only then. Returns (members, event)."""
    u_birth = to_uniform(sub_key(hkey, K_BIRTH))
    n_fert = 0
    if n > 0 and u_birth < r.q_birth_k[n]:
        n_fert = _count_ages(s0, n, P.age_y, r.fert_min, r.fert_max)
    if n_fert > 0 and n > 0:
        qb = r.q_birth_k[n_fert]
        if u_birth < qb:
            if n < W.slot_cap[h]:
                k = s0 + n
                src = s0  # urban, area flags from any member
                P.urban[k] = P.urban[src]
                P.age_y[k] = 0
                P.birth_m[k] = cal_month
                P.disability[k] = DISABILITY_NONE
                P.ill[k] = False
                P.paralysed[k] = 0
                P.rare[k] = False
                P.labour[k] = LABOUR_NONE
                P.self_care[k] = 0
                P.employed[k] = 0
                P.wage[k] = 0.0
                P.perm[k] = 0.0
                P.earned[k] = 0.0
                P.pension[k] = 0.0
                P.other[k] = 0.0
                P.rigid_base[k] = 0.0
                P.rigid[k] = 0.0
                P.unemployed_reg[k] = False
                P.supporter[k] = True
                P.assets[k] = 0.0
                P.care_wish[k] = 0
                n += 1
                a[g, U_BIRTHS] += 1.0
                a[g, A_BIRTHS] += w
                ev = EV_BIRTH
            else:
                a[g, A_BIRTHS_BLOCKED] += w
    return n, ev


@njit(cache=True, inline="always")
def household_counts(H, W, h, s0, n, changed, st, g, w, a) -> bool:
    """The household's members after demography (``dirty`` when anything the rules read
    changed), counted; a household that died out ends every programme by death (the programme
    kernel records the exits). Returns whether the household is still alive."""
    if changed or n != H.n_alive[h]:
        H.dirty[h] = 1
    H.n_alive[h] = n
    # ``h`` is unsigned (kernel 1): a plain int literal would make numba's index a float
    W.bounds[np.uint64(2) * h + np.uint64(1)] = s0 + n
    a[g, U_PERSONS_END] += n
    a[g, A_PERSONS] += w * n
    if n == 0:
        a[g, U_HH_DIED] += 1.0
        a[g, A_HH_DIED] += w
        if _supported(st):
            H.flags[h] |= 2  # programme kernel records the exits by death
        else:
            H.status[h] = ST_GONE
        H.event[h] = EV_HH_DIED
        return False
    a[g, U_HH_END] += 1.0
    a[g, A_HH_ALIVE] += w
    return True


@njit(cache=True, inline="always")
def temporary_events(P, hkey, s0, n, ill_onset, cal_month, r):
    """Process 7, temporary assistance (the draws, for every household: keyed, cheap): an
    urgent event, an illness onset taken up, an education cost in September with a student.
    Returns the bits of :func:`_assess_and_apply` (1 urgent, 2 illness, 4 education)."""
    urgent_hit = to_uniform(sub_key(hkey, K_URGENT)) < r.q_urgent
    ill_hit = ill_onset > 0 and to_uniform(sub_key(hkey, K_ILL_TAKE)) < r.q_ill_take
    edu_hit = (cal_month == 9 and to_uniform(sub_key(hkey, K_EDU)) < r.q_edu
               and _count_ages(s0, n, P.age_y, r.student_min, r.student_max) > 0)
    return (1 if urgent_hit else 0) | (2 if ill_hit else 0) | (4 if edu_hit else 0)


@njit(cache=True, inline="always")
def application_draw(P, hkey, st, s0, n, std, area, r) -> bool:
    """Process 8, applications (the draw): a non-recipient that would apply this month if
    eligible and passes the income screen. A household whose per-capita counted income is at or
    above every income line (standard, single-inclusion multiple) with no possible tekun member
    cannot be eligible, and the rules' calculator is not called for it; the application draw
    comes first (the tekun rate only matters where a member could be tekun: same results)."""
    u_apply = to_uniform(sub_key(hkey, K_APPLY))
    if st == ST_NONE and (u_apply < r.q_apply[area] or u_apply < r.q_tekun[area]):
        ci_sum, maybe_tekun = _income_screen(s0, n, P.earned, P.pension, P.other, P.labour,
                                             P.supporter, r.deduction, r.excluded)
        apply_hit = (u_apply < r.q_apply[area]
                     or (maybe_tekun and u_apply < r.q_tekun[area]))
        screen_pass = maybe_tekun or ci_sum < r.screen_multiple * std * n
        return apply_hit and screen_pass
    return False


@njit(cache=True, inline="always")
def reviews_falling_due(H, W, h, c, st, w, m):
    """The offices' reviews of the month (for their plan between the kernels): the weight of a
    recipient whose review falls due this month on its class's calendar and is not already
    waiting, summed per chunk × township in ``W.reviews_due``. Counted here as kernel 1 passes
    each living household, rather than by a pass of its own over every household after it:
    kernel 1 changes none of what it reads (a recipient's status, review class and waiting
    flag), so the sums are the same."""
    if _supported(st) and (H.flags[h] & FLAG_REVIEW_WAITING) == 0 \
            and _review_due(H.review_class[h], m.cal_month, m.e):
        W.reviews_due[c, H.township[h]] += w


@njit(cache=True, inline="always")
def assessment_due(H, h, st, hkey, m, q_report) -> bool:
    """Whether kernel 2 may need the rules' calculator on the household this month: a queued
    application (the office may reach it), a review falling due or waiting, a change report
    drawn (:func:`report_draw`'s test) or a gradual exit ending. A superset of what kernel 2
    assesses (a review the office has no hours for is not done): kernel 1 reads none of this
    after it and kernel 2 changes none of it before the household's assessment."""
    if st == ST_PENDING:
        return True
    if not _supported(st):
        return False
    if _review_due(H.review_class[h], m.cal_month, m.e) \
            or (H.flags[h] & FLAG_REVIEW_WAITING) != 0:
        return True
    if st == ST_EXIT and H.exit_left[h] <= 0:
        return True
    return (H.hidden[h] == 0 and (st != ST_ENROLLED or H.dirty[h] != 0 or m.params_changed)
            and to_uniform(sub_key(hkey, K_REPORT)) < q_report)


@njit(cache=True, error_model="numpy")
def assessment_ahead(h, c, p, P, W, no_pout):
    """The rules' calculator on household ``h`` as kernel 1 passes it (its members done), for
    kernel 2 (:func:`reassessment`), into the chunk's next row of ``W.ahead``; none when the
    rows are full (kernel 2 then assesses it itself). The household's members are in the cache
    here; when kernel 2 reaches it they are not, and the calculator's reads of a dozen person
    columns wait on memory. The results are the same: the rules read only the household's
    members and the parameters, which nothing changes in between. A separate function, not
    inlined: the calculator's code stays out of kernel 1's loop."""
    k = W.ahead_n[c]
    if k >= W.ahead_h.shape[1]:
        return
    assess_household_detail(2 * h, k, W.bounds, P.age_y, P.urban, P.disability, P.ill,
                            P.paralysed, P.rare, P.labour, P.self_care, P.earned, P.pension,
                            P.other, P.rigid, P.supporter, P.assets, P.care_wish, p, W.ahead[c],
                            no_pout)
    W.ahead_h[c, k] = h
    W.ahead_n[c] = k + 1


@njit(cache=True, inline="always")
def special_enabled(s) -> bool:
    """Whether any special-assistance programme of process 15 is on."""
    return (s[S_MED_ENABLED] != 0.0 or s[S_EDU_ENABLED] != 0.0 or s[S_HOUSE_ENABLED] != 0.0
            or s[S_DIS_ENABLED] != 0.0 or s[S_EMP_ENABLED] != 0.0)


@njit(cache=True, inline="always")
def placement_ages(m):
    """The ages employment assistance places: the behaviour's working ages (as the jobs
    process) up to the policy's age limit (``employment_assistance.age_max``)."""
    return m.b[BI_WORK_AGE_MIN], min(m.b[BI_WORK_AGE_MAX], m.s[S_EMP_AGE_MAX])


@njit(cache=True, inline="always")
def member_counts(P, s0, n, work_ages):
    """The household's members special assistance pays on (:func:`special_assistance`): the
    seriously ill, the severely and the mildly disabled, and the registered unemployed of
    working age (``work_ages``) able to work and not employed."""
    n_ill = 0
    n_severe = 0
    n_mild = 0
    n_unemp = 0
    for j in range(s0, s0 + n):
        ju = np.uint64(j)
        if P.ill[ju]:
            n_ill += 1
        d = P.disability[ju]
        if d == DISABILITY_SEVERE:
            n_severe += 1
        elif d == DISABILITY_MILD:
            n_mild += 1
        ay = P.age_y[ju]
        if (P.unemployed_reg[ju] and not P.employed[ju] and P.labour[ju] != LABOUR_NONE
                and work_ages[0] <= ay <= work_ages[1]):
            n_unemp += 1
    return n_ill, n_severe, n_mild, n_unemp


@njit(cache=True, inline="always")
def members_ahead(P, W, h, s0, n, mkey, work_ages):
    """Kernel 1's :func:`member_counts` of a household in a programme or the queue, its members
    in the cache, for kernel 2 (nothing changes them in between): packed with the month in
    ``W.members_n[h]`` (8 bits a count; a household of 256 or more, or every household when
    ``members_n`` is empty, is counted by kernel 2)."""
    if n < 256 and W.members_n.shape[0] > 0:
        n_ill, n_severe, n_mild, n_unemp = member_counts(P, s0, n, work_ages)
        W.members_n[h] = (mkey << 32) | n_ill | (n_severe << 8) | (n_mild << 16) | (
            n_unemp << 24)


@njit(cache=True, inline="always")
def _in_kernel_2(H, h) -> bool:
    """Whether kernel 2 goes through the household: in a programme or the queue (a recipient
    household that died out too: its exits are recorded there), or off dibao with an employment
    subsidy still paid."""
    st = H.status[h]
    return st != ST_GONE and (st != ST_NONE or H.subsidy_left[h] > 0)


@njit(cache=True, inline="always")
def kernel_2_households(W, c, i, j):
    """The next household of chunk ``c`` for kernel 2, in household order: the lists kernel 1
    made (``active_h``: those :func:`_in_kernel_2` as it left them; ``applied_h``: the month's
    applications, queued after) merged, from places ``i`` and ``j``; a household in both (off
    dibao with a subsidy, applying again) once. Returns (household or -1, i, j). Kernel 1 changes
    nothing else that :func:`_in_kernel_2` reads, so these are the households it finds in the
    chunk: kernel 2 need not read every household's status."""
    start = W.chunk_bounds[c]
    n_i = start + W.active_n[c]
    n_j = start + W.applied_n[c]
    if i < n_i and (j >= n_j or W.active_h[i] <= W.applied_h[j]):
        h = W.active_h[i]
        if j < n_j and W.applied_h[j] == h:
            j += 1
        return h, i + 1, j
    if j < n_j:
        return W.applied_h[j], i, j + 1
    return -1, i, j


@njit(parallel=True, cache=True, error_model="numpy")
def persons_kernel(m, r, P, H, W):
    """Kernel 1 (processes 1-8) for every household, chunk by chunk; see the module docstring.

    ``m``: the month (:data:`Month`); ``r``: its rates (:func:`persons_rates`, made by the
    caller: numba's parallel loop rebuilds a namedtuple argument, not one made in the kernel);
    ``P``, ``H``: the person slots and household columns (:data:`PersonRecord`,
    :data:`HouseholdRecord`); ``W``: the work arrays (:data:`Work`).

    ``rigid`` is kept up to date where illness starts or ends; ``m.refresh_rigid`` recomputes it
    for everyone (the first month, and whenever the parameters changed). ``H.dirty[h]`` is set
    when anything the rules read about the household changes (a birthday, an event, income, a
    birth or death, months paralysed): the programme kernel skips the report check of a
    household whose circumstances are those of its last assessment.

    ``H.flags`` per household, bits: 1 = a registered-unemployed member found work (employment
    subsidy), 2 = died out, 8..15: count of tekun minors aged out since the last review.

    ``m.dyn``: this month's economic inputs (``economy.D_*``): the wage index by area, the
    yearly raise of transfers and support, the pension increase and the new pensioners' amount,
    and whether an expansion campaign 应保尽保 is in force: then eligible households apply at
    ``campaign_take_up_multiple`` × their rates, and a near-poor household that applies is
    accepted in error with probability ``campaign_inclusion`` (``hidden[h] = 2`` until decided).
    """
    n_chunks = W.chunk_bounds.shape[0] - 1
    # dynamic scheduling: each of numba's threads takes the next chunk (in ``m.order``) from a
    # shared counter, so a thread slowed by other work on the machine takes fewer; what a
    # chunk computes does not depend on which thread takes it
    counter = np.zeros(1, dtype=np.int64)
    for _ in prange(min(m.n_threads, n_chunks)):
        _persons_chunks(counter, m, r, P, H, W)
    return 0


# The kernels' threads run a function of their own, compiled without numba's reference counts
# (``_nrt=False``): numba's parallel loop loses writes made through a namedtuple's fields in its
# body (numba 0.68), and every read of a record's array in a called function counts a reference
# atomically, which made the month 20 times slower on two threads. These functions allocate
# nothing (their buffers are in ``Work``).
@njit(cache=True, error_model="numpy", _nrt=False)
def _persons_chunks(counter, m, r, P, H, W):
    """One thread's part of :func:`persons_kernel`: the next chunk from ``counter`` until none
    is left."""
    chunk_bounds = W.chunk_bounds
    slot_start = H.hh_start
    n_chunks = chunk_bounds.shape[0] - 1
    no_pout = W.no_pout  # per-person results not wanted
    q_report = m.b[BI_REPORT_CHANGE]
    special_on = special_enabled(m.s)
    r_work = placement_ages(m)
    ci = _next_chunk(counter)
    while ci < n_chunks:
        c = m.order[ci]
        h_end = chunk_bounds[c + 1]
        a = W.acc[c]
        n_defer = chunk_bounds[c]  # the chunk's households deferred to processes 6-8
        n_active = chunk_bounds[c]  # the chunk's households for kernel 2
        W.ahead_n[c] = 0
        # the persons' draws are made block by block of households, in a loop of their own
        # (vectorised; the buffers stay in cache): the same keyed values as draw by draw
        k_buf = W.draw_keys[c]
        u_buf = W.draw_u[c]
        base = 0
        for hs in range(chunk_bounds[c], h_end):
            # unsigned: no negative-index wraparound on each of the household's columns
            h = np.uint64(hs)
            if (hs - chunk_bounds[c]) % DRAW_BLOCK == 0:
                base = slot_start[h]
                person_draws(m.seed, m.mkey, base, slot_start[min(hs + DRAW_BLOCK, h_end)],
                             k_buf, u_buf)
            st = H.status[h]
            if st == ST_GONE:
                continue
            g = H.township[h] * 2 + (1 - H.urban[h])
            w = H.weight[h]
            s0 = slot_start[h]
            n = H.n_alive[h]
            if st != ST_NONE:
                prefetch_assessed(P, np.uint64(s0))
            a[g, U_PERSONS_START] += n
            a[g, U_HH_START] += 1.0
            hkey = key_hash(m.seed, STREAM_HOUSEHOLD, h, m.mkey)
            area = 1 - H.urban[h]
            # nominal wage growth since the start of the run; transfers and support are
            # raised with incomes once a year (economy.monthly_inputs)
            growth_t = m.dyn[D_WAGE + area]
            other_factor = m.dyn[D_OTHER + area]
            ev = EV_NONE
            ill_onset = 0
            deaths = 0
            changed = False
            # -- each member: processes 1-5 on the person's one uniform ------------------
            j = s0
            while j < s0 + n:
                ju = np.uint64(j)  # unsigned: no negative-index wraparound per access
                jb = np.uint64(j - base)  # the slot's place in the block's draws
                changed |= ageing(P, H, h, ju, m.cal_month, r)
                changed |= indexation(P, ju, other_factor, r.pension_delta)
                ay = P.age_y[ju]
                u = u_buf[jb]
                # one uniform decides every event by cumulative intervals; at or above the
                # bound no event can happen and only the months paralysed move on
                if u >= r.bound[P.employed[ju], np.uint64(ay)]:
                    changed |= paralysis_month(P, ju)
                else:
                    changed = True
                    died, cum, ev = death(P, H, h, j, ju, s0, n, u, ay, st, area, g, w, a,
                                          m.haz, m.p, r, ev)
                    if died:
                        deaths += 1
                        n -= 1
                        continue  # the moved member is processed in this slot next
                    cum, onset = health(P, ju, ay, u, cum, m.haz, r)
                    ill_onset += onset
                    jobs(P, H, h, ju, ay, u, cum, m.entry_wage[area], r)
                changed |= earnings(P, ju, k_buf[jb], growth_t, r)
                expenditure(P, ju, m.refresh_rigid, r)
                j += 1
            a[g, U_DEATHS] += deaths
            a[g, A_DEATHS] += w * deaths
            n, ev = births(P, H, W, h, s0, n, hkey, m.cal_month, g, w, a, r, ev)
            alive = household_counts(H, W, h, s0, n, changed, st, g, w, a)
            if _in_kernel_2(H, h):
                W.active_h[n_active] = hs
                n_active += 1
            if not alive:
                continue
            reviews_falling_due(H, W, h, c, st, w, m)
            if special_on and st != ST_NONE:
                members_ahead(P, W, h, s0, n, m.mkey, r_work)
            # -- processes 6-8: the draws here, the rare rest after the chunk's loop -----
            bits = temporary_events(P, hkey, s0, n, ill_onset, m.cal_month, r)
            if application_draw(P, hkey, st, s0, n, m.p[P_STANDARD + area], area, r):
                bits |= 8
            if assessment_due(H, h, st, hkey, m, q_report):
                # kernel 2 may assess it: assessed now, while its members are in the cache
                assessment_ahead(hs, c, m.p, P, W, no_pout)
            H.event[h] = ev
            if bits != 0:
                # rare (about 1 % of households a month): finished after the chunk's loop,
                # which keeps the rules' calculator out of this loop's code
                W.defer_h[n_defer] = hs
                W.defer_bits[n_defer] = bits
                n_defer += 1
        n_applied = chunk_bounds[c]
        for k in range(chunk_bounds[c], n_defer):
            if k + 1 < n_defer:
                prefetch_members(P, np.uint64(slot_start[W.defer_h[k + 1]]))
            hd = W.defer_h[k]
            before = H.status[hd]
            _assess_and_apply(hd, W.defer_bits[k], c, m, r, P, H, W, no_pout)
            if H.status[hd] != before:  # an application: queued now, for kernel 2
                W.applied_h[n_applied] = hd
                n_applied += 1
        W.active_n[c] = n_active - chunk_bounds[c]
        W.applied_n[c] = n_applied - chunk_bounds[c]
        ci = _next_chunk(counter)


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


@njit(cache=True, inline="always")
def assessment(h, c, st, P, W, p, no_pout):
    """Process 6, assessment: the rules' calculator on a non-recipient's current circumstances
    (results in ``W.scratch[c]``). Returns (eligible for a programme, needy: eligible, low-income
    or in hardship; a recipient is needy without an assessment)."""
    if _supported(st):
        return False, True
    _assess(h, c, P, W, p, no_pout)
    sc = W.scratch[c]
    eligible_any = (sc[O_DIBAO_ELIGIBLE] != 0.0 or sc[O_SINGLE_PERSONS] > 0
                    or sc[O_TEKUN_PERSONS] > 0)
    return eligible_any, eligible_any or sc[O_LOW_INCOME] != 0.0 or sc[O_HARDSHIP] != 0.0


@njit(cache=True, inline="always")
def temporary_assistance(H, h, bits, needy, hkey, g, w, a, p, ev):
    """Process 7, temporary assistance 临时救助 for a needy household with an event (``bits``):
    urgent type (the draw places the case's severity among the tiers, jiaohe §12), expenditure
    type for illness and education (the draw places the case's cost within the legal range,
    boshan §3). Returns the event."""
    if needy:
        if bits & 1:
            _temporary_case(a, g, w, A_TMP_URGENT, urgent_amount_by_severity(
                to_uniform(sub_key(hkey, K_URGENT_MULT)), p))
            ev = EV_TEMPORARY
        if bits & 2:
            amount = illness_amount(to_uniform(sub_key(hkey, K_ILL_MULT)), p)
            instalment_start(H, h, amount, g, w, a, p)
            ev = EV_TEMPORARY
        if bits & 4:
            _temporary_case(a, g, w, A_TMP_EDU,
                            education_amount(to_uniform(sub_key(hkey, K_EDU_MULT)), p))
            ev = EV_TEMPORARY
    return ev


@njit(cache=True, inline="always")
def instalment_start(H, h, amount, g, w, a, p):
    """Process 7, instalments 分次发放: a large illness case is approved once and paid in parts
    (jiaohe §12); the first part now, the rest in the months after (``model._instalments``)."""
    parts = instalments(amount, p)
    _temporary_case(a, g, w, A_TMP_ILLNESS, amount / parts)
    if parts > 1:
        H.instalment_left[h] = parts - 1
        H.instalment_amount[h] = amount / parts


@njit(cache=True, inline="always")
def applications(H, h, bits, st, eligible_any, sc, hkey, t, area, g, w, a, r, ev):
    """Process 8, applications by eligible non-recipients (the tekun rate with a tekun member);
    during an expansion campaign a near-poor applicant eligible for nothing is accepted in error
    with probability ``r.accept_error`` (``hidden[h] = 2``: enrolled at its decision as an
    inclusion error). In a public emergency (``temporary.applicant_advance``) an applicant gets
    a month of the urban standard first (jiaohe §15).
    Returns the event."""
    in_error = (st == ST_NONE and not eligible_any and r.accept_error > 0.0 and (bits & 8) != 0
                and sc[O_PER_CAPITA] < r.inclusion_multiple * sc[O_STANDARD]
                and to_uniform(sub_key(hkey, K_ERROR)) < r.accept_error)
    if st == ST_NONE and (eligible_any or in_error):
        u_apply = to_uniform(sub_key(hkey, K_APPLY))
        qa = r.q_tekun[area] if sc[O_TEKUN_PERSONS] > 0 else r.q_apply[area]
        if u_apply < qa:
            if in_error:
                H.hidden[h] = 2
            H.status[h] = ST_PENDING
            H.applied_month[h] = t
            H.applied_day[h] = int(to_uniform(sub_key(hkey, K_APPLY_DAY)) * 30.0)
            a[g, A_APPLICATIONS] += w
            ev = EV_APPLIED
            if r.applicant_pay > 0.0:
                _temporary_case(a, g, w, A_TMP_APPLICANT, r.applicant_pay)
    return ev


@njit(cache=True, error_model="numpy")
def _assess_and_apply(h, bits, c, m, r, P, H, W, no_pout):
    """Processes 6-8 (assessment, temporary assistance, applications) for a household of the
    persons kernel that has a temporary-assistance event or would apply (``bits``: 1 urgent,
    2 illness, 4 education, 8 applies and passes the income screen)."""
    st = H.status[h]
    g = H.township[h] * 2 + (1 - H.urban[h])
    w = H.weight[h]
    area = 1 - H.urban[h]
    a = W.acc[c]
    hkey = key_hash(m.seed, STREAM_HOUSEHOLD, h, m.mkey)
    ev = H.event[h]
    eligible_any, needy = assessment(h, c, st, P, W, m.p, no_pout)
    ev = temporary_assistance(H, h, bits, needy, hkey, g, w, a, m.p, ev)
    ev = applications(H, h, bits, st, eligible_any, W.scratch[c], hkey, m.t, area, g, w, a, r,
                      ev)
    H.event[h] = ev


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


@njit(cache=True, inline="always")
def _rerate(H, h, area, pci, p, p_old):
    """:func:`rerate_household` on the household record's payment columns."""
    rerate_household(h, area, pci, p, p_old, H.paid_gap, H.paid_supplement, H.paid_supp_fixed,
                     H.paid_single, H.paid_single_n, H.paid_tekun_basic, H.paid_dibao_n)


# ---- kernel 2: the programmes' month -----------------------------------------------------------

@njit(cache=True, inline="always")
def died_out(H, h, st, g, w, a):
    """A household that died out (kernel 1): every programme it received ends by death."""
    if st != ST_PENDING:
        if H.paid_dibao_n[h] > 0:
            a[g, A_D_EX_DEATH] += w
        if H.paid_single_n[h] > 0:
            a[g, A_S_EX_DEATH] += w
        if H.paid_tekun_n[h] > 0:
            a[g, A_T_EX_DEATH] += w
    H.status[h] = ST_GONE


@njit(cache=True, inline="always")
def _in_force(H, h, st, p):
    """The household's monthly payment in force before this month's decisions (in a gradual
    exit: the last benefit before it) and its dibao part (gap, supplements and single-person
    payment; in a gradual exit: this month's share), which the employment subsidy's cut is
    measured from (qijiang §8)."""
    old_total = (H.paid_gap[h] + H.paid_supplement[h] + H.paid_single[h]
                 + H.paid_tekun_basic[h] + H.paid_tekun_care[h])
    old_dibao = H.paid_gap[h] + H.paid_supplement[h] + H.paid_single[h]
    if st == ST_EXIT:
        old_total = (H.exit_base[h] + H.paid_single[h] + H.paid_tekun_basic[h]
                     + H.paid_tekun_care[h])
        old_dibao = gradual_exit_payment(H.exit_elapsed[h], H.exit_base[h], p) + H.paid_single[h]
    return old_total, old_dibao


@njit(cache=True, inline="always")
def due(H, h, st, m, F):
    """Processes 9-10, what is due this month: a queued application the office reaches (its
    keyed draw is within its cohort's threshold this month, ``F.cut_hi``) is decided; a
    recipient is reviewed on the calendar of its review class, or because its review is
    waiting from an earlier month. Returns (decide, review, still waiting in the queue)."""
    if st == ST_PENDING:
        age_q = m.t - H.applied_month[h]
        if age_q >= QUEUE_AGES:
            age_q = QUEUE_AGES - 1
        if queue_draw(m.seed, h, H.applied_month[h]) <= F.cut_hi[H.township[h], age_q]:
            return True, False, False
        return False, False, True
    return False, (_review_due(H.review_class[h], m.cal_month, m.e)
                   or (H.flags[h] & FLAG_REVIEW_WAITING) != 0), False


@njit(cache=True, inline="always")
def review_capacity(H, h, review, hkey, F):
    """Process 10, the office's hours for reviews: with ``admin.review_lag`` a review due is
    done with the township's share of reviews done this month (waiting ones at their own
    share; keyed draw); one not done waits (``FLAG_REVIEW_WAITING``) and the payment stays
    unchanged until it is done. With every review done (share 1) nothing is drawn."""
    if not review or not F.lag:
        return review
    waiting = (H.flags[h] & FLAG_REVIEW_WAITING) != 0
    share = F.review_share[H.township[h], 1 if waiting else 0]
    if share >= 1.0 or to_uniform(sub_key(hkey, K_REVIEW_LAG)) < share:
        if waiting:
            H.flags[h] &= ~FLAG_REVIEW_WAITING  # done now (also when verification takes it)
        return True
    H.flags[h] |= FLAG_REVIEW_WAITING
    return False


@njit(cache=True, inline="always")
def report_draw(H, h, st, decide, review, hkey, q_report, params_changed) -> bool:
    """Process 10, reported changes (the draw): between reviews a household may report a change.
    A recipient whose circumstances are those of its last assessment (``dirty`` clear,
    parameters unchanged) would find no change; an inclusion error does not report its unseen
    income. The draw comes first: only a household that would report needs an assessment."""
    report_hit = False
    if not decide and not review:
        report_hit = to_uniform(sub_key(hkey, K_REPORT)) < q_report
    if params_changed:
        H.dirty[h] = 1
    if report_hit and st == ST_ENROLLED and H.dirty[h] == 0:
        report_hit = False  # its last assessment saw the same circumstances
    if H.hidden[h] != 0:
        report_hit = False  # unseen income is not reported
    return report_hit


@njit(cache=True, inline="always")
def reassessment(P, H, W, h, c, k, p, no_pout):
    """The rules' calculator on the household's circumstances now (``dirty`` cleared), in
    ``W.scratch[c]``: kernel 1's results where it assessed the household ahead
    (:func:`assessment_ahead`; ``k`` is the place in the chunk's list reached so far), else
    computed here. Returns (dibao eligible, gap payment, supplements, single-person and tekun
    persons, the place reached)."""
    n_ahead = W.ahead_n[c]
    while k < n_ahead and W.ahead_h[c, k] < h:
        k += 1
    sc = W.scratch[c]
    if k < n_ahead and W.ahead_h[c, k] == h:
        row = W.ahead[c, k]
        for i in range(sc.shape[0]):
            sc[i] = row[i]
        k += 1
    else:
        _assess(h, c, P, W, p, no_pout)
    H.dirty[h] = 0
    return (sc[O_DIBAO_ELIGIBLE] != 0.0, sc[O_DIBAO_GAP], sc[O_DIBAO_AMOUNT] - sc[O_DIBAO_GAP],
            int(sc[O_SINGLE_PERSONS]), int(sc[O_TEKUN_PERSONS]), k)


@njit(cache=True, inline="always")
def verification(H, h, review, eligible, hkey, p_detect, area, g, w, a, ev):
    """Process 10, verification: the review of an inclusion error 错保 sees its true
    circumstances. Eligible now, it is an ordinary recipient; still above the line, the review
    finds the unseen income with the month's detection rate and the household leaves
    (``dibao_exits_verification``), else nothing changes. Returns (an ordinary review, event)."""
    if review and H.hidden[h] != 0:
        if eligible:
            H.hidden[h] = 0  # truly eligible now: an ordinary recipient
        else:
            # verification: the review finds the unseen income, or changes nothing
            review = False
            a[g, A_D_REVIEWS] += w
            if to_uniform(sub_key(hkey, K_VERIFY)) < p_detect[area]:
                a[g, A_D_EX_VERIFY] += w
                H.paid_dibao_n[h] = 0
                H.paid_gap[h] = 0.0
                H.paid_supplement[h] = 0.0
                H.hidden[h] = 0
                ev = EV_LEFT_VERIFIED
    return review, ev


@njit(cache=True, inline="always")
def reported_change(H, h, st, report_hit, eligible, sc, old_total, major, g, w, a) -> bool:
    """Process 10, reported changes: a reported change is acted on when it is major (qijiang
    §4): the payment moves by ``major_change_share`` or more, or the household qualifies again
    in a gradual exit or no longer qualifies."""
    if not report_hit:
        return False
    new_total = (sc[O_DIBAO_AMOUNT] + sc[O_SINGLE_AMOUNT] + sc[O_TEKUN_BASIC]
                 + sc[O_TEKUN_CARE])
    changed = abs(new_total - old_total) >= major * max(old_total, 1.0) or (
        st == ST_EXIT and eligible) or (H.paid_dibao_n[h] > 0 and not eligible
                                        and st == ST_ENROLLED)
    if changed:
        a[g, A_REPORTS] += w
    return changed


@njit(cache=True, inline="always")
def decisions(H, h, hist, used, hkey, eligible, new_gap, new_supp, new_single_n, new_tekun_n,
              sc, m, F, area, g, w, a, st, ev):
    """Process 9, decisions: the days to decision (calendar days: the wait from the day of
    application to the day the office takes it up, by its place in the queue, plus its own
    time and the public notice; ``simulation.admin.offices``) against
    ``admin.decision_deadline_days``; enrolment if the rules say so, or as an inclusion error
    for an applicant accepted in error (``hidden == 2``: the office sees a per-capita income
    drawn below the standard and is paid the gap the rules give for it).
    Returns (status, event)."""
    p = m.p
    waited = m.t - H.applied_month[h]
    age_q = waited if waited < QUEUE_AGES else QUEUE_AGES - 1
    town = H.township[h]
    place = F.base_day[town, age_q] + F.span_day[town, age_q] * (
        queue_draw(m.seed, h, H.applied_month[h]) - F.cut_lo[town, age_q])
    days = waited * MONTH_DAYS + place - H.applied_day[h]
    if days < 0.0:
        days = 0.0  # taken up on the day it arrives
    days += F.own_days[0]
    a[g, A_DECISIONS] += w
    a[g, A_DAYS_SUM] += w * days
    if days > m.e[E_DEADLINE_DAYS]:
        a[g, A_LATE] += w
    bin_ = int(days)
    if bin_ >= DAY_BINS:
        bin_ = DAY_BINS - 1
    hist[g, bin_] += w
    if bin_ >= used[0]:
        used[0] = bin_ + 1
    H.applied_month[h] = -1
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
        dibao_in_force(H, h, new_gap, new_supp, sc, int(sc[O_DIBAO_SIZE]) if eligible else 0)
        _pay_single_and_tekun(h, sc, new_single_n, new_tekun_n, H.paid_single, H.paid_single_n,
                              H.paid_tekun_basic, H.paid_tekun_care, H.paid_tekun_n)
        H.review_class[h] = int(sc[O_REVIEW_CLASS])
        H.flags[h] &= 2  # clear the job and aged-out markers
        H.hidden[h] = 0  # eligible after all: an ordinary recipient
    elif H.hidden[h] == 2:
        # accepted in error (expansion campaign): an inclusion error from now
        a[g, A_APPROVALS] += w
        a[g, A_D_ENTRIES] += w
        st = ST_ENROLLED
        ev = EV_APPROVED
        H.hidden[h] = 1
        H.paid_dibao_n[h] = H.n_alive[h]
        seen = to_uniform(sub_key(hkey, K_SEEN)) * p[P_STANDARD + area]
        H.paid_pci[h] = seen
        H.paid_supplement[h] = 0.0
        H.paid_supp_fixed[h] = 0.0
        H.paid_gap[h] = rerated_gap(seen, H.paid_dibao_n[h], p[P_STANDARD + area], p, area)
        H.review_class[h] = int(sc[O_REVIEW_CLASS])
    else:
        st = ST_NONE
        ev = EV_DENIED
    return st, ev


@njit(cache=True, inline="always")
def review_tekun(H, h, new_tekun_n, sc, g, w, a):
    """Process 10, reviews, tekun part: entries, exits (minors aged out, income, other) and
    the support in force."""
    if new_tekun_n > H.paid_tekun_n[h]:
        a[g, A_T_ENTRIES] += w * (new_tekun_n - H.paid_tekun_n[h])
    elif new_tekun_n < H.paid_tekun_n[h]:
        gone = H.paid_tekun_n[h] - new_tekun_n
        aged = H.flags[h] >> 8
        if aged > gone:
            aged = gone
        a[g, A_T_EX_AGED] += w * aged
        if gone > aged:
            if sc[O_DIBAO_ELIGIBLE] == 0.0 and sc[O_PER_CAPITA] >= sc[O_STANDARD]:
                a[g, A_T_EX_INCOME] += w * (gone - aged)
            else:
                a[g, A_T_EX_OTHER] += w * (gone - aged)
    H.paid_tekun_basic[h] = sc[O_TEKUN_BASIC]
    H.paid_tekun_care[h] = sc[O_TEKUN_CARE]
    H.paid_tekun_n[h] = new_tekun_n


@njit(cache=True, inline="always")
def review_single(H, h, new_single_n, eligible, sc, g, w, a):
    """Process 10, reviews, single-person inclusion part: entry, exit, the payment in force."""
    if new_single_n > 0 and H.paid_single_n[h] == 0:
        a[g, A_S_ENTRIES] += w
    elif new_single_n == 0 and H.paid_single_n[h] > 0:
        if sc[O_PER_CAPITA] >= sc[O_STANDARD] or eligible:
            a[g, A_S_EX_INCOME] += w
        else:
            a[g, A_S_EX_OTHER] += w
    H.paid_single[h] = sc[O_SINGLE_AMOUNT]
    H.paid_single_n[h] = new_single_n


@njit(cache=True, inline="always")
def gradual_exit_start(P, H, W, h, st, sc, g, w, a, p, ev):
    """Process 11, gradual exit 渐退 (its start, at a review that finds the household no longer
    eligible): below ``dibao.gradual_exit.ceiling_multiple`` × the standard it keeps the
    schedule's share of its last benefit for the locality's months (more with a disabled
    member); at or above the ceiling it leaves at once (also during an exit). Returns (status,
    event)."""
    any_emp = False
    any_dis = False
    for j in range(W.bounds[2 * h], W.bounds[2 * h + 1]):
        if P.employed[j]:
            any_emp = True
        if P.disability[j] != DISABILITY_NONE:
            any_dis = True
    assets_ok = sc[O_ASSETS_OK] != 0.0
    months = gradual_exit_months(sc[O_PER_CAPITA], sc[O_STANDARD], assets_ok, any_emp, any_dis,
                                 p)
    if st == ST_EXIT:
        if months == 0:  # at or above the ceiling now: leave at once
            a[g, A_D_EX_INCOME] += w
            H.paid_dibao_n[h] = 0
            H.exit_left[h] = 0
            st = ST_ENROLLED
            ev = EV_LEFT_INCOME
    elif H.paid_dibao_n[h] > 0:
        if months > 0:
            st = ST_EXIT
            H.exit_left[h] = months
            H.exit_elapsed[h] = 0
            H.exit_base[h] = H.paid_gap[h] + H.paid_supplement[h]
            ev = EV_EXIT_STARTED
        else:
            if sc[O_PER_CAPITA] >= sc[O_STANDARD]:
                a[g, A_D_EX_INCOME] += w
                ev = EV_LEFT_INCOME
            else:
                a[g, A_D_EX_OTHER] += w
                ev = EV_LEFT_OTHER
            H.paid_dibao_n[h] = 0
    return st, ev


@njit(cache=True, inline="always")
def review_dibao(P, H, W, h, st, eligible, new_gap, new_supp, sc, g, w, a, p, ev):
    """Process 10, reviews, dibao part: an eligible household's payment is recomputed (in a
    gradual exit it qualifies again, which ends the exit: this month it is paid
    ``requalified_month_payment``, the new gap from the next, jiaohe §5); otherwise a gradual
    exit starts or the household leaves (:func:`gradual_exit_start`). Returns (status, event,
    the requalified month's payment or -1)."""
    requal_pay = -1.0
    if eligible:
        if st == ST_EXIT:
            ev = EV_REQUALIFIED
            requal_pay = requalified_month_payment(H.exit_elapsed[h], H.exit_base[h], p)
        elif H.paid_dibao_n[h] == 0:
            a[g, A_D_ENTRIES] += w
        st = ST_ENROLLED
        dibao_in_force(H, h, new_gap, new_supp, sc, int(sc[O_DIBAO_SIZE]))
        H.exit_left[h] = 0
    else:
        st, ev = gradual_exit_start(P, H, W, h, st, sc, g, w, a, p, ev)
        if st == ST_ENROLLED and H.paid_dibao_n[h] == 0:
            H.paid_gap[h] = 0.0
            H.paid_supplement[h] = 0.0
    return st, ev, requal_pay


@njit(cache=True, inline="always")
def reviews(P, H, W, h, st, review, eligible, new_gap, new_supp, new_single_n, new_tekun_n, sc,
            g, w, a, p, ev):
    """Process 10, reviews (on the calendar) and acted-on reported changes: the payment of each
    programme is recomputed from the fresh assessment; between them it does not change.
    Returns (status, event, the month's payment of a household that requalified in a gradual
    exit or -1: :func:`review_dibao`)."""
    ev = EV_REVIEWED if review else EV_REPORTED
    if H.paid_dibao_n[h] > 0 or st == ST_EXIT:
        a[g, A_D_REVIEWS] += w
    if H.paid_tekun_n[h] > 0:
        a[g, A_T_REVIEWS] += w
    review_tekun(H, h, new_tekun_n, sc, g, w, a)
    review_single(H, h, new_single_n, eligible, sc, g, w, a)
    st, ev, requal_pay = review_dibao(P, H, W, h, st, eligible, new_gap, new_supp, sc, g, w, a,
                                      p, ev)
    H.review_class[h] = int(sc[O_REVIEW_CLASS])
    return st, ev, requal_pay


@njit(cache=True, inline="always")
def employment_subsidy_start(H, h, old_dibao, e):
    """Process 12, employment subsidy (at a review): when a registered-unemployed member found
    work (flag bit 0), from this review the month's dibao cut against ``old_dibao`` (the dibao
    in force before it) is paid for ``dibao.employment_subsidy.months``, whether the household
    stays, goes into gradual exit or leaves (qijiang §8; :func:`employment_subsidy_payment`)."""
    if (H.flags[h] & 1) and e[E_EMP_ENABLED] != 0.0 and old_dibao > 0.0:
        H.subsidy_amount[h] = old_dibao
        H.subsidy_left[h] = int(e[E_EMP_MONTHS])


@njit(cache=True, inline="always")
def rerating(H, h, area, p, p_old):
    """Re-rating 调标: when the standards changed this month, the payment in force of a
    household not decided or reviewed is re-rated with the income found at its last decision,
    so a new standard never reveals a new income."""
    H.dirty[h] = 1  # payments re-rated without an assessment
    _rerate(H, h, area, H.paid_pci[h], p, p_old)


@njit(cache=True, inline="always")
def gradual_exit(H, h, st, eligible, new_gap, new_supp, sc, p, g, w, a, ev):
    """Process 11, gradual exit 渐退 (the month): the schedule's share of the last benefit is
    paid while months are left; at the end the household qualifies again (assessed this month)
    or leaves. Returns (status, this month's exit payment, event)."""
    exit_pay = 0.0
    if st == ST_EXIT:
        if H.exit_left[h] <= 0:
            # end of the exit period: still above the standard → leave
            if eligible:
                st = ST_ENROLLED
                dibao_in_force(H, h, new_gap, new_supp, sc, int(sc[O_DIBAO_SIZE]))
                ev = EV_REQUALIFIED
            else:
                a[g, A_D_EX_GEND] += w
                H.paid_dibao_n[h] = 0
                H.paid_gap[h] = 0.0
                H.paid_supplement[h] = 0.0
                st = ST_ENROLLED
                ev = EV_EXIT_ENDED
        else:
            exit_pay = gradual_exit_payment(H.exit_elapsed[h], H.exit_base[h], p)
            H.exit_elapsed[h] += 1
            H.exit_left[h] -= 1
    return st, exit_pay, ev


@njit(cache=True, inline="always")
def programme_payments(H, h, st, exit_pay, requal_pay, g, w, a):
    """Process 14, payments: recipients and payments of dibao (or its gradual exit; a household
    that requalified in it this month is paid ``exit_pay``, the requalified month's payment, as
    in the exit), single-person inclusion and tekun, weighted. Returns the household's total so
    far."""
    hh_total = exit_pay + H.paid_single[h] + H.paid_tekun_basic[h] + H.paid_tekun_care[h]
    if st == ST_ENROLLED and requal_pay < 0.0:
        hh_total += H.paid_gap[h] + H.paid_supplement[h]
    if st == ST_EXIT or requal_pay >= 0.0:
        _count_recipients(a, g, w, A_D_HH, A_D_PERSONS, H.paid_dibao_n[h])
        a[g, A_D_EXITPAY] += w * exit_pay
        a[g, A_D_IN_EXIT] += w
    elif H.paid_dibao_n[h] > 0:
        _count_recipients(a, g, w, A_D_HH, A_D_PERSONS, H.paid_dibao_n[h])
        a[g, A_D_GAP] += w * H.paid_gap[h]
        a[g, A_D_SUPP] += w * H.paid_supplement[h]
    if H.paid_single_n[h] > 0:
        _count_recipients(a, g, w, A_S_HH, A_S_PERSONS, H.paid_single_n[h])
        a[g, A_S_PAY] += w * H.paid_single[h]
    if H.paid_tekun_n[h] > 0:
        _count_recipients(a, g, w, A_T_HH, A_T_PERSONS, H.paid_tekun_n[h])
        a[g, A_T_BASIC] += w * H.paid_tekun_basic[h]
        a[g, A_T_CARE] += w * H.paid_tekun_care[h]
    return hh_total


@njit(cache=True, inline="always")
def employment_subsidy_payment(H, h, dibao_now, g, w, a):
    """Process 12, employment subsidy (its month), while months are left: the cut of the dibao
    paid this month (``dibao_now``; 0 off dibao or in the queue) against the dibao before the
    job (``rules.employment``), counted in its own columns and in the month's total."""
    if H.subsidy_left[h] > 0:
        _employment_subsidy_month(a, g, w, h, dibao_now, H.subsidy_left, H.subsidy_amount)


@njit(cache=True, inline="always")
def dibao_in_force(H, h, gap, supplement, sc, persons):
    """Put in force the dibao the rules found (in ``sc``): gap, supplements (and their fixed
    part), persons covered and the per-capita income re-ratings start from."""
    H.paid_gap[h] = gap
    H.paid_supplement[h] = supplement
    H.paid_supp_fixed[h] = sc[O_SUPP_FIXED]
    H.paid_dibao_n[h] = persons
    H.paid_pci[h] = sc[O_PER_CAPITA]


@njit(cache=True, inline="always")
def dibao_month_paid(H, h, st, exit_pay, requal_pay):
    """The dibao (not single-person) payment of the household this month, as the accounts
    count it (the household trace reads it: a requalified month pays the exit amount)."""
    if st == ST_ENROLLED and requal_pay < 0.0:
        return exit_pay + (H.paid_gap[h] + H.paid_supplement[h])
    return exit_pay


@njit(cache=True, inline="always")
def dibao_paid(H, h, st, exit_pay, requal_pay):
    """The dibao paid to the household this month (gap and supplements, or the gradual-exit or
    requalified month's payment, and the single-person payment)."""
    dibao_now = exit_pay + H.paid_single[h]
    if st == ST_ENROLLED and requal_pay < 0.0:
        dibao_now += H.paid_gap[h] + H.paid_supplement[h]
    return dibao_now


@njit(cache=True, inline="always")
def price_linkage(H, h, hh_total, rate, std, p, g, w, a):
    """Process 13, price linkage 物价联动: with a triggering CPI rate every person covered gets
    the standard × the rate (at least the floor). Returns the household's total with it."""
    if rate > 0.0:
        covered = H.paid_dibao_n[h] + H.paid_single_n[h] + H.paid_tekun_n[h]
        per_person = price_subsidy(std, rate, p)
        a[g, A_PL_PERSONS] += w * covered
        a[g, A_PL_PAY] += w * covered * per_person
        hh_total += covered * per_person
    return hh_total


@njit(cache=True, inline="always")
def payments_total(H, h, hh_total, exit_pay, g, w, a):
    """Process 14, payments: every payment of the month summed once per household (checked
    against the components), and negative payments counted (an invariant)."""
    a[g, A_TOTAL_PAY] += w * hh_total
    if (H.paid_gap[h] < 0.0 or H.paid_supplement[h] < 0.0 or H.paid_single[h] < 0.0
            or H.paid_tekun_basic[h] < 0.0 or H.paid_tekun_care[h] < 0.0 or exit_pay < 0.0
            or H.subsidy_amount[h] < 0.0):
        a[g, U_NEGATIVE] += 1.0


@njit(cache=True, inline="always")
def special_assistance(P, H, W, h, s, mkey, hkey, work_ages, g, w, a, hh_total):
    """Process 15, special assistance 专项救助 that follows the caseload (``rules.special``):
    medical (premium subsidy, inpatient and outpatient assistance), education by school stage,
    housing (urban rent subsidy, rural dangerous-house renovation), the disability living
    subsidy, employment assistance and, in :func:`death`, funeral fee waivers, for the persons
    a dibao, single-person or tekun household has covered this month. With a dibao unit every
    member counts; otherwise only the single-person and tekun persons, taken to be the members
    with the attribute (a single-person or tekun person is the disabled, ill or minor one).
    Returns the household's total with it."""
    n_dibao = H.paid_dibao_n[h] + H.paid_single_n[h]
    n_tekun = H.paid_tekun_n[h]
    covered = n_dibao + n_tekun
    if covered <= 0:
        return hh_total
    whole = H.paid_dibao_n[h] > 0
    cal_month = mkey % 12 + 1
    s0 = H.hh_start[h]
    # the members' counts as kernel 1 left them (an applicant of this month: counted here)
    x = W.members_n[h] if W.members_n.shape[0] > 0 else 0
    if (x >> 32) == mkey:
        n_ill = x & 255
        n_severe = (x >> 8) & 255
        n_mild = (x >> 16) & 255
        n_unemp = (x >> 24) & 255
    else:
        n_ill, n_severe, n_mild, n_unemp = member_counts(P, s0, H.n_alive[h], work_ages)
    n_students = 0.0
    edu = 0.0
    edu_pre = 0.0
    edu_comp = 0.0
    edu_sen = 0.0
    edu_high = 0.0
    # education is paid in the school calendar's months only: no member's stage is looked at
    # in the other months (it would pay 0)
    edu_on = s[S_EDU_ENABLED] != 0.0 and education_month(cal_month, s)
    if edu_on:
        for j in range(s0, s0 + H.n_alive[h]):
            stage = school_stage(P.age_y[np.uint64(j)])
            if stage >= 0:
                share = enrolment_share(stage, s)
                n_students += share
                pay = share * education_payment(stage, cal_month, s)
                if stage == 0:
                    edu_pre += pay
                elif stage <= 2:
                    edu_comp += pay
                elif stage == 3:
                    edu_sen += pay
                else:
                    edu_high += pay
    if not whole:
        # only the single-person and tekun persons are covered: the members with the attribute
        n_ill = min(n_ill, covered)
        n_severe = min(n_severe, H.paid_single_n[h] + n_tekun)
        n_mild = min(n_mild, H.paid_single_n[h] + n_tekun - n_severe)
        n_unemp = 0
        if n_students > covered:
            scale = covered / n_students
            n_students = covered
            edu_pre *= scale
            edu_comp *= scale
            edu_sen *= scale
            edu_high *= scale
    total = 0.0
    if s[S_MED_ENABLED] != 0.0:
        year = mkey // 12
        if H.med_year[h] != year:
            H.med_year[h] = year
            H.med_used[h] = 0.0
        premium = premium_subsidy(n_tekun, n_dibao, s)
        rate = medical_rate(n_tekun, n_dibao, s)
        limit = s[S_MED_LIMIT] * covered
        others = covered - n_ill
        lam = (n_ill * s[S_MED_IN_RATE_ILL] + others * s[S_MED_IN_RATE_OTHER]) / 12.0
        inpatient = 0.0
        if to_uniform(sub_key(hkey, K_MEDICAL)) < 1.0 - np.exp(-lam):
            sigma = s[S_MED_IN_SIGMA]
            z = to_approx_normal(sub_key(hkey, K_MEDICAL_COST))
            burden = s[S_MED_IN_COST] * np.exp(sigma * z - 0.5 * sigma * sigma)
            inpatient = medical_aid(burden, rate, H.med_used[h], limit)
            a[g, A_MED_CASES_IN] += w
            a[g, A_MED_CASES] += w
        # outpatient: small and frequent, the expected cases and burden of the month
        cases_out = (n_ill * s[S_MED_OUT_RATE_ILL] + others * s[S_MED_OUT_RATE_OTHER]) / 12.0
        outpatient = medical_aid(cases_out * s[S_MED_OUT_COST], rate, H.med_used[h] + inpatient,
                                 limit)
        H.med_used[h] += inpatient + outpatient
        a[g, A_MED_CASES] += w * cases_out
        a[g, A_MED_PERSONS] += w * covered
        a[g, A_MED_PREMIUM] += w * premium
        a[g, A_MED_INPATIENT] += w * inpatient
        a[g, A_MED_OUTPATIENT] += w * outpatient
        total += premium + inpatient + outpatient
    if edu_on:
        edu = edu_pre + edu_comp + edu_sen + edu_high
        if edu > 0.0:
            a[g, A_EDU_PERSONS] += w * n_students
            a[g, A_EDU_PRESCHOOL] += w * edu_pre
            a[g, A_EDU_COMPULSORY] += w * edu_comp
            a[g, A_EDU_SENIOR] += w * edu_sen
            a[g, A_EDU_HIGHER] += w * edu_high
            total += edu
    if s[S_HOUSE_ENABLED] != 0.0:
        urban = H.urban[h] != 0
        rent = rent_subsidy(urban, s)
        if rent > 0.0:
            a[g, A_HOUSE_HH] += w * s[S_HOUSE_RENT_SHARE]  # the expected share paid rent
            a[g, A_HOUSE_RENT] += w * rent
            total += rent
        elif not urban and H.renovated[h] == 0 and to_uniform(
                sub_key(hkey, K_RENOVATION)) < renovation_probability(s):
            H.renovated[h] = 1
            a[g, A_HOUSE_HH] += w
            a[g, A_HOUSE_RENOVATIONS] += w
            a[g, A_HOUSE_RENOVATION] += w * s[S_HOUSE_GRANT]
            total += s[S_HOUSE_GRANT]
    if s[S_DIS_ENABLED] != 0.0 and n_dibao > 0 and n_severe + n_mild > 0:
        living = disability_living(n_severe, n_mild, s)
        a[g, A_DIS_LIVING_PERSONS] += w * (n_severe + n_mild)
        a[g, A_DIS_LIVING] += w * living
        total += living
    if s[S_EMP_ENABLED] != 0.0 and n_unemp > 0:
        # the expected placements of the month (no draw: a cost, not a change of jobs)
        placed = n_unemp * placement_probability(s)
        post, insurance = placement_cost(s)
        a[g, A_PLACEMENTS] += w * placed
        a[g, A_PLACE_POST] += w * placed * post
        a[g, A_PLACE_INSURANCE] += w * placed * insurance
        total += placed * (post + insurance)
    return hh_total + total


@njit(parallel=True, cache=True, error_model="numpy")
def programme_kernel(m, P, H, W, F):
    """Kernel 2 (processes 9-14) for households in a programme or the queue.

    ``m``, ``P``, ``H``, ``W``: as :func:`persons_kernel`; ``F``: the offices' plan of the month
    (:data:`Offices`: how far each township's office reaches into its queue, its review share).

    A recipient's report check needs no assessment when nothing the rules read has changed since
    its last one (``dirty[h] == 0``, parameters unchanged): it would find no change again.

    ``hidden[h]``: the household is an inclusion error 错保 (enrolled above the line with income
    the office does not see). It reports no change; at each review the rules see its true
    circumstances (:func:`verification`).
    """
    n_chunks = W.chunk_bounds.shape[0] - 1
    # dynamic scheduling over the threads, as in persons_kernel
    counter = np.zeros(1, dtype=np.int64)
    for _ in prange(min(m.n_threads, n_chunks)):
        _programme_chunks(counter, m, P, H, W, F)
    return 0


@njit(cache=True, error_model="numpy", _nrt=False)
def _programme_chunks(counter, m, P, H, W, F):
    """One thread's part of :func:`programme_kernel` (as :func:`_persons_chunks`)."""
    chunk_bounds = W.chunk_bounds
    n_chunks = chunk_bounds.shape[0] - 1
    no_pout = W.no_pout  # per-person results not wanted
    q_report = m.b[BI_REPORT_CHANGE]
    major = m.b[BI_MAJOR_CHANGE_SHARE]
    p = m.p
    # price linkage: the triggering year-on-year rate (national rule, statistics.md §4)
    rate = triggering_rate(m.cpi, m.food_cpi, p)
    s = m.s
    special_on = special_enabled(s)
    r_work = placement_ages(m)
    ci = _next_chunk(counter)
    while ci < n_chunks:
        c = m.order[ci]
        hist = W.days_hist[c]
        # last month's days cleared (only the bins written: most days are under a few months)
        used = W.days_used[c:c + 1]
        for gg in range(hist.shape[0]):
            for d in range(used[0]):
                hist[gg, d] = 0.0
        used[0] = 0
        a = W.acc[c]
        sc = W.scratch[c]
        k_ahead = 0  # the place reached in kernel 1's assessments of the chunk
        # the chunk's households in a programme or the queue, as kernel 1 listed them (most
        # households are in none: kernel 2 does not pass them)
        i_active = chunk_bounds[c]
        i_applied = chunk_bounds[c]
        while True:
            h, i_active, i_applied = kernel_2_households(W, c, i_active, i_applied)
            if h < 0:
                break
            st = H.status[h]
            g = H.township[h] * 2 + (1 - H.urban[h])
            w = H.weight[h]
            if st == ST_NONE:
                # off dibao since the job: the whole benefit is the month's cut (qijiang §8)
                if H.n_alive[h] > 0:
                    employment_subsidy_payment(H, h, 0.0, g, w, a)
                continue
            area = 1 - H.urban[h]
            hkey = key_hash(m.seed, STREAM_HOUSEHOLD, h, m.mkey)
            ev = H.event[h]
            if H.n_alive[h] == 0:
                died_out(H, h, st, g, w, a)
                continue
            old_total, old_dibao = _in_force(H, h, st, p)
            decide, review, waiting = due(H, h, st, m, F)
            if waiting:
                a[g, A_PENDING] += w
                H.event[h] = ev
                employment_subsidy_payment(H, h, 0.0, g, w, a)
                continue
            review = review_capacity(H, h, review, hkey, F)
            report_hit = report_draw(H, h, st, decide, review, hkey, q_report,
                                     m.params_changed)
            # a fresh assessment where a decision, review, report or the end of a gradual
            # exit needs it
            eligible = False
            new_gap = 0.0
            new_supp = 0.0
            new_single_n = 0
            new_tekun_n = 0
            if decide or review or report_hit or (st == ST_EXIT and H.exit_left[h] <= 0):
                eligible, new_gap, new_supp, new_single_n, new_tekun_n, k_ahead = reassessment(
                    P, H, W, h, c, k_ahead, p, no_pout)
            review, ev = verification(H, h, review, eligible, hkey, m.p_detect, area, g, w,
                                      a, ev)
            report = reported_change(H, h, st, report_hit, eligible, sc, old_total, major,
                                     g, w, a)
            requal_pay = -1.0  # >= 0: requalified in gradual exit this month (jiaohe §5)
            if decide:
                st, ev = decisions(H, h, hist, used, hkey, eligible, new_gap, new_supp,
                                   new_single_n, new_tekun_n, sc, m, F, area, g, w, a, st, ev)
            elif review or report:
                st, ev, requal_pay = reviews(P, H, W, h, st, review, eligible, new_gap,
                                             new_supp, new_single_n, new_tekun_n, sc, g, w, a,
                                             p, ev)
                employment_subsidy_start(H, h, old_dibao, m.e)
                H.flags[h] &= 2  # the review has seen the job and aged-out markers
            if m.rerate and st == ST_ENROLLED and not (decide or review or report):
                rerating(H, h, area, p, m.p_old)
            st, exit_pay, ev = gradual_exit(H, h, st, eligible, new_gap, new_supp, sc, p, g,
                                            w, a, ev)
            if st == ST_ENROLLED and H.paid_dibao_n[h] == 0 and H.paid_single_n[h] == 0 \
                    and H.paid_tekun_n[h] == 0:
                st = ST_NONE  # nothing paid any more: out of every programme
            H.status[h] = st
            H.event[h] = ev
            if st == ST_NONE or st == ST_PENDING:
                H.dibao_month[h] = 0.0
                employment_subsidy_payment(H, h, 0.0, g, w, a)
                continue
            if requal_pay >= 0.0:
                exit_pay = requal_pay  # the new gap is paid from next month
            H.dibao_month[h] = dibao_month_paid(H, h, st, exit_pay, requal_pay)
            hh_total = programme_payments(H, h, st, exit_pay, requal_pay, g, w, a)
            employment_subsidy_payment(H, h, dibao_paid(H, h, st, exit_pay, requal_pay), g, w, a)
            hh_total = price_linkage(H, h, hh_total, rate, p[P_STANDARD + area], p, g, w, a)
            if special_on:
                hh_total = special_assistance(P, H, W, h, s, m.mkey, hkey, r_work, g, w, a,
                                              hh_total)
            payments_total(H, h, hh_total, exit_pay, g, w, a)
        ci = _next_chunk(counter)



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


@njit(parallel=True, cache=True, error_model="numpy")
def disability_year(p, low_income_on, chunk_bounds, bounds, status, paid_dibao_n, paid_single_n,
                    age_y, urban_p, disability, ill, paralysed, rare, labour, self_care, earned,
                    pension, other, rigid, supporter, assets, care_wish, scratch, care_n,
                    low_severe, low_mild):
    """The disability two subsidies' yearly determination 年度认定 (each January and at the start):
    ``care_n[h]`` the household's severely disabled persons (the care subsidy, not
    means-tested) and, with ``low_income_on`` (qijiang §10 extension), ``low_severe[h]``,
    ``low_mild[h]`` the disabled members of a household not paid dibao that the rules find a
    low-income family 低收入家庭 (its living subsidy). Paid monthly until the next determination
    (``model._disability_month``): counted once a year, not per person every month."""
    no_pout = np.zeros((0, N_PERSON_OUTPUTS))
    for c in prange(chunk_bounds.shape[0] - 1):
        for h in range(chunk_bounds[c], chunk_bounds[c + 1]):
            lo, hi = bounds[2 * h], bounds[2 * h + 1]
            severe = 0
            mild = 0
            for j in range(lo, hi):
                if disability[j] == DISABILITY_SEVERE:
                    severe += 1
                elif disability[j] == DISABILITY_MILD:
                    mild += 1
            care_n[h] = severe
            low_severe[h] = 0
            low_mild[h] = 0
            if not low_income_on or severe + mild == 0:
                continue
            if _supported(status[h]) and paid_dibao_n[h] + paid_single_n[h] > 0:
                continue  # paid through dibao (special_assistance)
            assess_household_detail(2 * h, c, bounds, age_y, urban_p, disability, ill,
                                    paralysed, rare, labour, self_care, earned, pension, other,
                                    rigid, supporter, assets, care_wish, p, scratch, no_pout)
            if scratch[c, O_LOW_INCOME] != 0.0:
                low_severe[h] = severe
                low_mild[h] = mild


@njit(cache=True)
def disability_groups(township, hh_urban, weight, care_n, low_severe, low_mild, out):
    """The year's determination (:func:`disability_year`) summed by township × area, weighted:
    ``out[0]`` the care subsidy's persons, ``out[1]``, ``out[2]`` the low-income extension's
    severely and mildly disabled. One pass in household order (the sums of ``np.bincount``
    over each weighted count, without its three temporary arrays of every household)."""
    out[:] = 0.0
    for h in range(weight.shape[0]):
        # most households have none: adding their zeros would leave the sums as they are (every
        # term is >= 0, the sums start at +0.0), and skipping them leaves the sums' chains of
        # dependent additions to the few that count
        if care_n[h] == 0 and low_severe[h] == 0 and low_mild[h] == 0:
            continue
        g = township[h] * 2 + (1 - hh_urban[h])
        w = weight[h]
        out[0, g] += w * care_n[h]
        out[1, g] += w * low_severe[h]
        out[2, g] += w * low_mild[h]

_cache.end(_PREVIOUS_CACHE)
