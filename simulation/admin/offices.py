"""The township office's month (镇街社会救助经办): the one office model of the toolkit.

The engine's Mesa agents (:class:`simulation.engine.model.TownshipOffice`, one per township) call
:func:`office_month` every month, and the scenario tables replay the same function on the
engine's recorded work for other staffing levels (:func:`replay`); no other code computes staff
hours, queues or days to decision.

A month of one office, in hours of casework:

* capacity: (staff + purchased posts) × ``admin.casework_hours`` + purchased casework hours
  (qijiang §15-16, lanzhou §十七-十八, §二十四) + the hours village assistants 协理员 take off the
  office (qijiang 三(三), boshan 二(三)), at most ``admin.assistants.task_share`` of the month's
  application and review hours (intake and visits);
* urgent temporary cases and reported changes come first;
* reviews due (data matching, renewal, home visit in the locality's mix
  ``verification.method_share.*``; qijiang §4, jiaohe §19) take at most
  ``admin.review_share_max`` of what is left; with ``admin.review_lag`` a review that does not fit
  waits, oldest first, and the household's payment stays unchanged until it is done;
* applications are decided oldest first with the rest; each brings the applicants the rules will
  deny (``admin.ineligible_applicants``: the one window takes every applicant, qijiang §18), the
  democratic appraisal of a disputed case and the public notice (qijiang §20, jiaohe §19, lanzhou
  §二十一); hours left over go to waiting reviews.

Queue: applications are kept by cohort (months waited, :data:`QUEUE_AGES` bins, the last holding
older ones). Within a cohort the office takes applications in the order of a keyed draw (the
engine's ``processes.queue_draw``): the households decided by now are those whose draw is at most
the cohort's cumulative threshold ``cut``. Within the month the office works through the queue at
an even rate, so an application's place gives the day it is taken up. Days to decision (calendar
days) = the wait from the day of application to that day + its own time (its hours at
``admin.hours_per_day`` in working days, :func:`calendar_days`) + the public notice
(``admin.notice_days``).

Pure functions of arrays and scalars; nothing here draws random numbers. The month itself is one
numba kernel (``_office_core``, its sums numpy's to the bit), which :func:`replay` runs over a
whole offices table in one call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from simulation import _numba_cache
from simulation.admin.staffing import required_staff
from simulation.errors import InputError

#: Cohorts tracked (months waited; the last bin holds older applications). The engine's kernel
#: reads the same constant.
QUEUE_AGES = 25
#: Calendar days of a month in the engine (an application's day in its month is 0..29).
MONTH_DAYS = 30.4
#: Applications arrive evenly over days 0..29 of their month (the engine's ``applied_day``).
ARRIVAL_DAYS = 30.0
#: A threshold above every draw (draws are in [0, 1)): the whole cohort is decided.
ALL = 2.0
#: Points per axis of the grid over (place in the month, day of application) on which the
#: office computes its mean days to decision and share decided late.
_GRID = 24
#: The review methods of the office model, in the order of :func:`review_mix`.
REVIEW_METHODS = ("data_matching", "renewal", "home_visit")


def calendar_days(days: float, basis: str = "working") -> float:
    """Calendar days of ``days`` counted on ``basis`` (``admin.deadline_basis``): ``"working"``
    days are × 7/5 (five working days a week, public holidays ignored; lanzhou §二十一's 15
    working days are 21 calendar days), ``"calendar"`` days stay as they are. The toolkit's one
    conversion: the office's own time, its deadline and the engine's deadline all use it.
    Raises :class:`~simulation.errors.InputError` on another basis."""
    if basis == "working":
        return days * 7.0 / 5.0
    if basis == "calendar":
        return days
    raise InputError("parameters", "admin.deadline_basis", f"unknown value {basis!r}")


#: Slots of the packed parameters (:attr:`OfficeParameters.packed`) and of the month's figures
#: the office kernel writes (:data:`FIGURES` names them).
(K_H_APP, K_H_REVIEW, K_H_REPORT, K_H_TEMPORARY, K_REVIEW_SHARE_MAX, K_REVIEW_LAG,
 K_ASSISTANTS_PER_VILLAGE, K_ASSISTANT_HOURS, K_ASSISTANT_TASK_SHARE, K_PURCHASED_HOURS,
 K_PURCHASED_POSTS, K_CASEWORK_HOURS, K_OWN_DAYS, K_DEADLINE_DAYS) = range(14)
N_PACKED = 14
(F_ASSISTANTS, F_CAPACITY, F_HOURS_USED, F_QUEUE, F_DECIDED, F_BACKLOG, F_BACKLOG_HOURS,
 F_REVIEWS_DUE, F_REVIEWS_DONE, F_REVIEWS_LATE, F_REVIEWS_MISSED, F_DAYS_MEAN, F_LATE,
 F_SHARE_NEW, F_SHARE_OLD) = range(15)
N_FIGURES = 15


@dataclass(frozen=True)
class OfficeParameters:
    """One month's parameters of the office model (from the policy in force; see the module)."""

    casework_hours: float
    hours_per_day: float
    notice_days: float
    hours_application: float
    hours_appraisal: float
    hours_notice: float
    hours_review: float  # mean of the three methods in the locality's mix
    hours_report: float
    hours_temporary: float
    ineligible_applicants: float
    disputed_share: float
    review_share_max: float
    review_lag: bool
    assistants_per_village: float
    assistant_hours: float
    assistant_task_share: float
    purchased_hours: float
    hour_cost: float  # yuan/hour (the planner's cost of the hours bought)
    purchased_posts: float
    deadline_days: float  # calendar days

    @property
    def hours_per_application(self) -> float:
        """Office hours one eligible applicant brings: its own intake and check, those of the
        applicants the rules will deny, the appraisal when disputed, the public notice."""
        return (self.hours_application * (1.0 + self.ineligible_applicants)
                + self.disputed_share * self.hours_appraisal + self.hours_notice)

    @property
    def own_days(self) -> float:
        """Calendar days an application takes once taken up: its own hours in working days
        (:func:`calendar_days`) and the public notice (calendar days)."""
        own = self.hours_application + self.disputed_share * self.hours_appraisal + self.hours_notice
        return calendar_days(own / self.hours_per_day, "working") + self.notice_days

    @cached_property
    def packed(self) -> np.ndarray:
        """The parameters the office kernel reads, as an array (slots ``K_*``), made once per
        parameter set: every office of a month shares it."""
        out = np.empty(N_PACKED)
        out[K_H_APP] = self.hours_per_application
        out[K_H_REVIEW] = self.hours_review
        out[K_H_REPORT] = self.hours_report
        out[K_H_TEMPORARY] = self.hours_temporary
        out[K_REVIEW_SHARE_MAX] = self.review_share_max
        out[K_REVIEW_LAG] = 1.0 if self.review_lag else 0.0
        out[K_ASSISTANTS_PER_VILLAGE] = self.assistants_per_village
        out[K_ASSISTANT_HOURS] = self.assistant_hours
        out[K_ASSISTANT_TASK_SHARE] = self.assistant_task_share
        out[K_PURCHASED_HOURS] = self.purchased_hours
        out[K_PURCHASED_POSTS] = self.purchased_posts
        out[K_CASEWORK_HOURS] = self.casework_hours
        out[K_OWN_DAYS] = self.own_days
        out[K_DEADLINE_DAYS] = self.deadline_days
        return out


def review_mix(params: Mapping[str, Any]) -> dict[str, float]:
    """The locality's shares of reviews by method 核查方式 (qijiang §4: 续保申请、平台核查、入户调查),
    in :data:`REVIEW_METHODS` order: ``verification.method_share.data_matching`` and
    ``.home_visit`` from the policy, renewal on the household's own declaration the rest; they
    sum to 1. The office's hours per review (:func:`office_parameters`) and the engine's
    detection rate (``engine.economy.detection_rate``) both weigh the methods by this mix.
    Raises :class:`~simulation.errors.InputError` when the two shares add up to more than 1."""
    data = float(params["verification.method_share.data_matching"])
    visit = float(params["verification.method_share.home_visit"])
    if data + visit > 1.0 + 1e-9:
        raise InputError("policy", "verification.method_share",
                         f"data matching {data} + home visit {visit} above 1")
    return {"data_matching": data, "renewal": max(0.0, 1.0 - data - visit), "home_visit": visit}


def review_hours(params: Mapping[str, Any]) -> dict[str, float]:
    """Office hours a review takes by method, in :data:`REVIEW_METHODS` order
    (``admin.hours.review_<method>``)."""
    return {m: float(params[f"admin.hours.review_{m}"]) for m in REVIEW_METHODS}


def office_parameters(params: Mapping[str, Any]) -> OfficeParameters:
    """The office model's parameters from a policy's parameters in force (``Params``)."""
    mix = review_mix(params)
    hours = review_hours(params)
    days = float(params["admin.decision_deadline_days"])
    return OfficeParameters(
        casework_hours=float(params["admin.casework_hours"]),
        hours_per_day=float(params["admin.hours_per_day"]),
        notice_days=float(params["admin.notice_days"]),
        hours_application=float(params["admin.hours.application"]),
        hours_appraisal=float(params["admin.hours.appraisal"]),
        hours_notice=float(params["admin.hours.notice"]),
        hours_review=(mix["data_matching"] * hours["data_matching"] + mix["renewal"] * hours["renewal"]
                      + mix["home_visit"] * hours["home_visit"]),
        hours_report=float(params["admin.hours.reported_change"]),
        hours_temporary=float(params["admin.hours.temporary"]),
        ineligible_applicants=float(params["admin.ineligible_applicants"]),
        disputed_share=float(params["admin.disputed_share"]),
        review_share_max=float(params["admin.review_share_max"]),
        review_lag=bool(params["admin.review_lag"]),
        assistants_per_village=float(params["admin.assistants.per_village"]),
        assistant_hours=float(params["admin.assistants.hours"]),
        assistant_task_share=float(params["admin.assistants.task_share"]),
        purchased_hours=float(params["admin.purchased.hours"]),
        hour_cost=float(params["admin.purchased.hour_cost"]),
        purchased_posts=float(params["admin.purchased.posts"]),
        deadline_days=calendar_days(days, params["admin.deadline_basis"]),
    )


@dataclass
class OfficeState:
    """What an office carries from month to month: its queue and the reviews waiting."""

    queue: np.ndarray = field(default_factory=lambda: np.zeros(QUEUE_AGES))  # applications by cohort
    cut: np.ndarray = field(default_factory=lambda: np.zeros(QUEUE_AGES))  # draw threshold by cohort
    overdue: float = 0.0  # reviews waiting from earlier months (households)


@dataclass(frozen=True)
class OfficeWork:
    """The work arriving at one office in a month (weighted households or cases)."""

    applications: float  # new applications (eligible applicants; the denied come with them)
    reviews_due: float  # reviews falling due this month (not already waiting)
    reports: float  # reported changes to handle
    temporary: float  # temporary-assistance cases
    villages: float  # villages (communities) of the township
    townships: float = 1.0  # townships the office stands for (a pooled sample's office: all)


@dataclass(frozen=True)
class OfficeMonth:
    """One office's month: what it decided and reviewed, and what the kernel needs."""

    staff: float
    assistants: float
    capacity: float  # hours
    hours_used: float
    queue: float  # applications waiting at the start of the month, new ones included
    decided: float
    backlog: float  # applications still waiting at the end
    backlog_hours: float
    reviews_due: float  # waiting from before + falling due
    reviews_done: float
    reviews_late: float  # waiting past their month at its end, a stock (wait, payment unchanged)
    reviews_missed: float  # of this month's falling due, not done in it: each late review once
    days_mean: float  # mean calendar days to decision of this month's decisions
    late: float  # decisions past the deadline (weighted)
    cut_lo: np.ndarray  # per cohort: draw threshold before the month
    cut_hi: np.ndarray  # per cohort: after it (decided: lo < draw <= hi)
    base_day: np.ndarray  # per cohort: day of the month the office reaches it
    span_day: np.ndarray  # per cohort: days per unit of draw within it
    review_share: tuple[float, float]  # share done of (falling due, waiting) reviews
    own_days: float


# The office's month is a numba kernel (:func:`_office_core`): the engine's offices call it every
# month and :func:`replay` runs a whole table through it in one call (per row in Python it was
# most of the scenario tables' time). Its sums are numpy's (:func:`_sum`), so it gives the bits
# the numpy code it replaced gave.
_PREVIOUS_CACHE = _numba_cache.begin(_numba_cache.cache_dir("admin", ("admin/offices.py",)))



@njit(cache=True)
def _block(a: np.ndarray, lo: int, n: int) -> float:
    """numpy's pairwise sum of ``a[lo:lo + n]`` for ``n`` up to 128: under 8 elements one by one,
    else in eight partial sums."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = lo + 8
    end = lo + n - (n % 8)
    while i < end:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        res += a[i]
        i += 1
    return res


@njit(cache=True)
def _sum(a: np.ndarray) -> float:
    """``a.sum()`` of a contiguous float64 array as numpy computes it, to the bit: its identity
    0.0 plus the pairwise sum, which above 128 elements adds the sums of two halves (the first
    rounded down to a multiple of 8). The recursion is walked with a stack (a recursive numba
    function loaded from the cache crashed)."""
    lo_s = np.empty(64, dtype=np.int64)
    n_s = np.empty(64, dtype=np.int64)
    step_s = np.empty(64, dtype=np.int64)  # 0: to split, 1: left half summed, 2: both
    values = np.empty(64)
    lo_s[0], n_s[0], step_s[0] = 0, a.shape[0], 0
    top, n_values = 1, 0
    while top > 0:
        i = top - 1
        lo, n = lo_s[i], n_s[i]
        if n <= 128:
            values[n_values] = _block(a, lo, n)
            n_values += 1
            top -= 1
            continue
        half = n // 2
        half -= half % 8
        if step_s[i] == 2:  # both halves summed: left + right
            values[n_values - 2] = values[n_values - 2] + values[n_values - 1]
            n_values -= 1
            top -= 1
            continue
        step_s[i] += 1
        lo_s[top] = lo if step_s[i] == 1 else lo + half
        n_s[top] = half if step_s[i] == 1 else n - half
        step_s[top] = 0
        top += 1
    return 0.0 + values[0]


@njit(cache=True)
def _days_stats(age: int, base: float, length: float, own: float, deadline: float,
                days: np.ndarray) -> tuple[float, float]:
    """Mean days to decision and share late of a piece of cohort ``age`` taken up evenly between
    days ``base`` and ``base + length`` of the month, applications made evenly over their month
    (on a :data:`_GRID` × :data:`_GRID` grid; ``days`` is its scratch)."""
    late = 0
    for i in range(_GRID):
        pos = base + length * (i + 0.5) / _GRID
        start = age * MONTH_DAYS + pos
        for j in range(_GRID):
            x = start - ARRIVAL_DAYS * (j + 0.5) / _GRID
            d = (x if x >= 0.0 or x != x else 0.0) + own  # np.maximum(x, 0.0)
            days[i * _GRID + j] = d
            late += d > deadline
    n = _GRID * _GRID
    return _sum(days[:n]) / n, late / n


@njit(cache=True)
def _office_core(queue_prev: np.ndarray, cut_prev: np.ndarray, overdue_prev: float,
                 work: np.ndarray, staff: float, p: np.ndarray, queue: np.ndarray, cut: np.ndarray,
                 cut_lo: np.ndarray, cut_hi: np.ndarray, base: np.ndarray, span: np.ndarray,
                 f: np.ndarray, days: np.ndarray) -> None:
    """One month of one office (:func:`office_month`) on arrays. ``work``: applications,
    reviews falling due, reports, temporary cases, villages, townships; ``p``:
    :attr:`OfficeParameters.packed`.
    Writes the next month's ``queue`` and ``cut``, the cohorts' ``cut_lo``, ``cut_hi``, ``base``
    and ``span``, and the figures ``f`` (slots ``F_*``). Python's ``min(a, b)`` is written
    ``b if b < a else a`` and ``max(a, b)`` ``b if b > a else a``: the same value in every case."""
    applications, reviews_new, reports, temporary, villages, townships = (
        work[0], work[1], work[2], work[3], work[4], work[5])
    # age the cohorts: last month's cohort k is this month's k + 1; the oldest bin keeps the
    # older ones (their threshold: the lower of the two, an approximation past two years)
    last = QUEUE_AGES - 1
    for k in range(1, QUEUE_AGES):
        queue[k] = queue_prev[k - 1]
        cut[k] = cut_prev[k - 1]
    queue[last] += queue_prev[last]
    if queue_prev[last] > 0.0:
        if queue_prev[last - 1] > 0.0:
            cut[last] = cut_prev[last] if cut_prev[last] < cut[last] else cut[last]
        else:
            cut[last] = cut_prev[last]
    queue[0] = applications
    cut[0] = 0.0
    h_app = p[K_H_APP]
    assistants = villages * p[K_ASSISTANTS_PER_VILLAGE]
    app_demand = _sum(queue) * h_app
    reviews_due = overdue_prev + reviews_new
    review_demand = reviews_due * p[K_H_REVIEW]
    staff_hours = ((staff + p[K_PURCHASED_POSTS] * townships) * p[K_CASEWORK_HOURS]
                   + p[K_PURCHASED_HOURS] * townships)
    a1 = assistants * p[K_ASSISTANT_HOURS]
    a2 = p[K_ASSISTANT_TASK_SHARE] * (app_demand + review_demand)
    assist = a2 if a2 < a1 else a1
    capacity = staff_hours + assist
    v = capacity - temporary * p[K_H_TEMPORARY] - reports * p[K_H_REPORT]
    left = 0.0 if 0.0 > v else v
    lag = p[K_REVIEW_LAG] != 0.0
    review_first = review_demand
    if lag:
        r = p[K_REVIEW_SHARE_MAX] * left
        review_first = r if r < review_demand else review_demand
    v = left - review_first
    app_cap = 0.0 if 0.0 > v else v
    rate = app_cap / MONTH_DAYS  # application hours a day
    for k in range(QUEUE_AGES):
        cut_lo[k] = cut[k]
        cut_hi[k] = cut[k]
        base[k] = 0.0
        span[k] = 0.0
    remaining = app_cap
    decided = 0.0
    days_sum = 0.0
    late = 0.0
    used = 0.0
    for age in range(QUEUE_AGES - 1, -1, -1):  # oldest first
        n = queue[age]
        if n <= 0.0:
            continue
        take = n
        if h_app > 0:
            b = remaining / h_app
            take = b if b < n else n
        if take <= 0.0:
            break
        hours = take * h_app
        base[age] = used / rate if rate > 0 else 0.0
        length = hours / rate if rate > 0 else 0.0
        if take >= n * (1.0 - 1e-12):
            cut_hi[age] = ALL
        else:
            # the undecided part of the cohort is spread evenly over draws above ``cut``
            share = take / n
            cut_hi[age] = cut[age] + (1.0 - cut[age]) * share
        width = cut_hi[age] - cut[age] if cut_hi[age] < ALL else 1.0 - cut[age]
        span[age] = length / width if width > 0 else 0.0
        mean, late_share = _days_stats(age, base[age], length, p[K_OWN_DAYS], p[K_DEADLINE_DAYS], days)
        days_sum += take * mean
        late += take * late_share
        decided += take
        queue[age] = n - take
        used += hours
        remaining -= hours
    # hours left over go to waiting reviews (with the lag); the oldest reviews are done first
    review_done_h = review_demand
    if lag:
        s = review_first + (0.0 if 0.0 > remaining else remaining)
        review_done_h = s if s < review_demand else review_demand
    done = review_done_h / p[K_H_REVIEW] if p[K_H_REVIEW] > 0 else reviews_due
    done = reviews_due if reviews_due < done else done
    share_old = 1.0
    if overdue_prev > 0:
        x = done / overdue_prev
        share_old = x if x < 1.0 else 1.0
    share_new = 1.0
    if reviews_new > 0:
        y = done - overdue_prev
        y = y if y > 0.0 else 0.0
        z = y / reviews_new
        share_new = z if z < 1.0 else 1.0
    if done >= reviews_due * (1.0 - 1e-12):
        share_old = 1.0
        share_new = 1.0
    overdue = reviews_due - done if share_new < 1.0 or share_old < 1.0 else 0.0
    waiting = _sum(queue)  # before the decided cohorts leave the queue
    for k in range(QUEUE_AGES):
        if cut_hi[k] >= ALL:
            queue[k] = 0.0
            cut[k] = 0.0
        else:
            cut[k] = cut_hi[k]
    backlog = _sum(queue)
    t = temporary * p[K_H_TEMPORARY] + reports * p[K_H_REPORT]
    first = t if t < capacity else capacity
    f[F_ASSISTANTS] = assistants
    f[F_CAPACITY] = capacity
    f[F_HOURS_USED] = first + used + review_done_h  # above capacity without the lag: overtime
    f[F_QUEUE] = waiting + decided
    f[F_DECIDED] = decided
    f[F_BACKLOG] = backlog
    f[F_BACKLOG_HOURS] = backlog * h_app
    f[F_REVIEWS_DUE] = reviews_due
    f[F_REVIEWS_DONE] = done
    f[F_REVIEWS_LATE] = overdue
    f[F_REVIEWS_MISSED] = reviews_new * (1.0 - share_new)
    f[F_DAYS_MEAN] = days_sum / decided if decided > 0 else np.nan
    f[F_LATE] = late
    f[F_SHARE_NEW] = share_new
    f[F_SHARE_OLD] = share_old


def office_month(state: OfficeState, work: OfficeWork, staff: float, p: OfficeParameters
                 ) -> tuple[OfficeState, OfficeMonth]:
    """One month of one township office (see the module docstring). Returns the state for the
    next month and the month's figures; ``state`` is not changed."""
    queue, cut = np.empty(QUEUE_AGES), np.empty(QUEUE_AGES)
    cut_lo, cut_hi = np.empty(QUEUE_AGES), np.empty(QUEUE_AGES)
    base, span = np.empty(QUEUE_AGES), np.empty(QUEUE_AGES)
    f = np.empty(N_FIGURES)
    w = np.array([work.applications, work.reviews_due, work.reports, work.temporary,
                  work.villages, work.townships], dtype=np.float64)
    _office_core(state.queue, state.cut, float(state.overdue), w, float(staff), p.packed, queue, cut,
                 cut_lo, cut_hi, base, span, f, np.empty(_GRID * _GRID))
    month = OfficeMonth(
        staff=float(staff), **{name: float(f[slot]) for _, name, slot in FIGURES}, cut_lo=cut_lo,
        cut_hi=cut_hi, base_day=base, span_day=span,
        review_share=(float(f[F_SHARE_NEW]), float(f[F_SHARE_OLD])), own_days=p.own_days)
    return OfficeState(queue, cut, float(f[F_REVIEWS_LATE])), month


@njit(cache=True)
def _replay_rows(first: np.ndarray, work: np.ndarray, staff: np.ndarray, packed: np.ndarray,
                 figures: np.ndarray) -> None:
    """:func:`_office_core` row after row (``first[i]``: the row starts a township's months,
    with an empty queue); each row's figures into ``figures[i]``."""
    queue_prev, cut_prev = np.zeros(QUEUE_AGES), np.zeros(QUEUE_AGES)
    queue, cut = np.empty(QUEUE_AGES), np.empty(QUEUE_AGES)
    cut_lo, cut_hi = np.empty(QUEUE_AGES), np.empty(QUEUE_AGES)
    base, span = np.empty(QUEUE_AGES), np.empty(QUEUE_AGES)
    days = np.empty(_GRID * _GRID)
    overdue = 0.0
    for i in range(work.shape[0]):
        if first[i]:
            queue_prev[:] = 0.0
            cut_prev[:] = 0.0
            overdue = 0.0
        _office_core(queue_prev, cut_prev, overdue, work[i], staff[i], packed[i], queue, cut,
                     cut_lo, cut_hi, base, span, figures[i], days)
        queue_prev[:] = queue
        cut_prev[:] = cut
        overdue = figures[i, F_REVIEWS_LATE]


_numba_cache.end(_PREVIOUS_CACHE)



#: Columns of the engine's offices table that :func:`replay` reads (the work of each month).
WORK_COLUMNS = ("applications", "reviews_falling_due", "reports_handled", "temporary_cases",
                "villages", "recipients", "townships")


#: The offices table's figure columns after ``staff`` (:func:`month_row`, :func:`replay`): column,
#: :class:`OfficeMonth` field and the kernel's figure slot, one list for the engine's table and
#: the replay's.
FIGURES = (("assistants", "assistants", F_ASSISTANTS), ("capacity_hours", "capacity", F_CAPACITY),
           ("hours_used", "hours_used", F_HOURS_USED), ("queue", "queue", F_QUEUE),
           ("decided", "decided", F_DECIDED), ("backlog", "backlog", F_BACKLOG),
           ("backlog_hours", "backlog_hours", F_BACKLOG_HOURS), ("reviews_due", "reviews_due", F_REVIEWS_DUE),
           ("reviews_done", "reviews_done", F_REVIEWS_DONE), ("reviews_late", "reviews_late", F_REVIEWS_LATE),
           ("reviews_missed", "reviews_missed", F_REVIEWS_MISSED),
           ("days_to_decision", "days_mean", F_DAYS_MEAN), ("decisions_late", "late", F_LATE))


def month_row(month: OfficeMonth) -> dict[str, float]:
    """The figures of an office month as one row of the offices table."""
    return {"staff": month.staff, **{column: getattr(month, name) for column, name, _ in FIGURES}}


def rule_staff(recipients: Any, townships: Any, staff: Any, ratio: float,
               params: Mapping[str, Any]) -> np.ndarray:
    """Staff by the ratio rule (qijiang 三(三): ``required_staff``) for one month's offices of an
    engine run, given their ``recipients``, ``townships`` held and the engine's own ``staff``
    (at ``params``' ``staffing.ratio_min``). A pooled sample's office holds several townships and
    its staff were summed township by township: they scale with the ratio."""
    recipients = np.asarray(recipients, dtype=float)
    townships = np.asarray(townships)
    out = np.asarray(staff, dtype=float).copy()
    single = townships == 1
    out[single] = required_staff(recipients[single], float(ratio), int(params["staffing.minimum"]),
                                 int(params["staffing.small_threshold"]))
    out[~single] = out[~single] * ratio / float(params["staffing.ratio_min"])
    return out


def replay(offices: pd.DataFrame, params_at: Any, ratio: float | None = None,
           purchased_hours: float | None = None, staff: Mapping[Any, float] | None = None
           ) -> pd.DataFrame:
    """The offices of one engine run again month by month with other staff, through
    :func:`office_month` on the work the engine recorded (``WORK_COLUMNS``).

    ``offices``: one run's offices table (month, township, the work columns); ``params_at``:
    month (``YYYY-MM``) → the policy's parameters in force; ``ratio``: staff by the rule at this
    ratio of each month's recipients (None: the engine's own ``staff`` column); ``purchased_hours``:
    casework hours bought per township and month instead of ``admin.purchased.hours``;
    ``staff``: a township's own staff number (by township label or name), overriding the rule.

    With the engine's own staff and parameters the result is the engine's offices table: the
    same function on the same work. With other staff it leaves out the queue's feedback on the
    households (who is waiting does not apply again; a late review keeps the old payment).
    """
    # columns as arrays, rows in township order (as they first appear), months in order within
    # each: the explorer replays on every staffing change, and pandas' per-row access was most of it
    months = offices["month"].astype(str).to_numpy()
    town_codes, _ = pd.factorize(offices["township"], sort=False)
    order = np.lexsort((months, town_codes))
    col = {c: offices[c].to_numpy()[order]
           for c in ("month", "township", "township_name", "staff", *WORK_COLUMNS)}
    months = months[order]
    cache: dict[str, tuple[Mapping[str, Any], OfficeParameters]] = {}
    for month_key in dict.fromkeys(months):
        params = params_at(month_key)
        p = office_parameters(params)
        if purchased_hours is not None:
            p = _with(p, purchased_hours=float(purchased_hours))
        cache[month_key] = (params, p)
    n_staff = col["staff"].astype(float)
    if ratio is not None:
        # staff by the rule at the ratio, month by month (one call per month)
        for month_key, (params, _p) in cache.items():
            rows_m = months == month_key
            n_staff[rows_m] = rule_staff(col["recipients"][rows_m], col["townships"][rows_m],
                                         col["staff"][rows_m], float(ratio), params)
    if staff is not None:
        for i in range(len(months)):
            own = staff.get(col["township"][i], staff.get(col["township_name"][i]))
            if own is not None:
                n_staff[i] = float(own)
    n = len(months)
    if n == 0:
        return pd.DataFrame([])
    first = np.ones(n, dtype=np.bool_)
    first[1:] = col["township"][1:] != col["township"][:-1]  # the next township's office
    work = np.column_stack([col[c].astype(np.float64) for c in (
        "applications", "reviews_falling_due", "reports_handled", "temporary_cases", "villages",
        "townships")])
    packed = np.stack([cache[m][1].packed for m in months])
    figures = np.empty((n, N_FIGURES))
    _replay_rows(first, work, n_staff.astype(np.float64), packed, figures)
    # the columns passed through as Python values (as the rows of a table built row by row had
    # them: the same dtypes), then the month's figures (month_row's columns, in its order)
    out = {c: col[c].tolist() for c in ("month", "township", "township_name", "townships", "recipients",
                                         "applications", "reviews_falling_due")}
    out["deadline_days"] = packed[:, K_DEADLINE_DAYS]
    out["staff"] = n_staff.astype(np.float64)
    for column, _, slot in FIGURES:
        out[column] = figures[:, slot]
    return pd.DataFrame(out)




def late_share(replayed: pd.DataFrame, reviews_arrived: float) -> float:
    """Share of the horizon's work not done in time: applications decided late or still waiting
    at the end, and reviews not done in the month they fell due (``reviews_missed``, each once:
    a review that waits is late too, and its payment stays as it was), over the applications and
    the ``reviews_arrived`` (falling due) of a replayed or engine offices table."""
    last = replayed["month"] == replayed["month"].max()
    arrived = float(replayed["applications"].sum()) + float(reviews_arrived)
    late = float(replayed["decisions_late"].sum() + replayed.loc[last, "backlog"].sum()
                 + replayed["reviews_missed"].sum())
    return late / arrived if arrived > 0 else 0.0


def staff_needed(offices: pd.DataFrame, params_at: Any, tolerance: float = 0.05,
                 most: int = 512) -> pd.Series:
    """Per township (by name): the least staff, the same every month, with which at most
    ``tolerance`` of its work is done late (:func:`late_share`), by :func:`replay` of an engine
    run's offices table; ``most`` if even that is not enough."""
    out = {}
    for town, grp in offices.groupby("township", sort=False):
        def late(n: int, grp: pd.DataFrame = grp, town: Any = town) -> float:
            return late_share(replay(grp, params_at, staff={town: float(n)}),
                              float(grp["reviews_falling_due"].sum()))
        lo, hi = -1, 1
        while late(hi) > tolerance and hi < most:
            lo, hi = hi, min(2 * hi, most)
        while hi - lo > 1:  # the least n with late(n) <= tolerance lies in (lo, hi]
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if late(mid) <= tolerance else (mid, hi)
        out[str(grp["township_name"].iloc[0])] = float(hi)
    return pd.Series(out, name="staff_needed", dtype=float)


def households_needed(recipients: Any, persons_per_household: float, population_households: float,
                      ratio: float, staff_error: float = 0.5) -> int:
    """Sample households needed for staffing answers township by township.

    A township's recipients (persons) are estimated from the sampled recipient households, each
    standing for ``w`` = population households ÷ sample households; their count is about Poisson,
    so the standard error of the recipients is ``sqrt(w × k × R)`` (``k`` persons per recipient
    household, ``R`` recipients) and that of the rule's staff ``ratio`` times it. The answer is
    good to ``staff_error`` staff (half a person: the rounding of the rule) in the largest
    township when ``w ≤ staff_error² / (ratio² × k × R_max)``; the households needed are
    population households ÷ that ``w`` (at most the population).
    """
    r_max = float(np.max(np.asarray(recipients, dtype=float), initial=0.0))
    if r_max <= 0 or ratio <= 0 or persons_per_household <= 0:
        return 0
    w_max = staff_error ** 2 / (ratio ** 2 * persons_per_household * r_max)
    return int(min(population_households, np.ceil(population_households / max(w_max, 1.0))))


def _with(p: OfficeParameters, **changes: float) -> OfficeParameters:
    from dataclasses import replace

    return replace(p, **changes)
