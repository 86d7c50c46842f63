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

Pure functions of arrays and scalars; nothing here draws random numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

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


def _days_stats(age: int, base: float, length: float, own: float, deadline: float) -> tuple[float, float]:
    """Mean days to decision and share late of a piece of cohort ``age`` taken up evenly between
    days ``base`` and ``base + length`` of the month, applications made evenly over their month."""
    pos = base + length * (np.arange(_GRID) + 0.5) / _GRID
    day = ARRIVAL_DAYS * (np.arange(_GRID) + 0.5) / _GRID
    days = np.maximum(age * MONTH_DAYS + pos[:, None] - day[None, :], 0.0) + own
    return float(days.mean()), float((days > deadline).mean())


def office_month(state: OfficeState, work: OfficeWork, staff: float, p: OfficeParameters
                 ) -> tuple[OfficeState, OfficeMonth]:
    """One month of one township office (see the module docstring). Returns the state for the
    next month and the month's figures; ``state`` is not changed."""
    # age the cohorts: last month's cohort k is this month's k + 1; the oldest bin keeps the
    # older ones (their threshold: the lower of the two, an approximation past two years)
    queue = np.empty(QUEUE_AGES)
    cut = np.empty(QUEUE_AGES)
    queue[1:] = state.queue[:-1]
    cut[1:] = state.cut[:-1]
    queue[-1] += state.queue[-1]
    if state.queue[-1] > 0.0:
        cut[-1] = min(cut[-1], state.cut[-1]) if state.queue[-2] > 0.0 else state.cut[-1]
    queue[0] = work.applications
    cut[0] = 0.0
    h_app = p.hours_per_application
    assistants = work.villages * p.assistants_per_village
    app_demand = float(queue.sum()) * h_app
    reviews_due = state.overdue + work.reviews_due
    review_demand = reviews_due * p.hours_review
    staff_hours = ((staff + p.purchased_posts * work.townships) * p.casework_hours
                   + p.purchased_hours * work.townships)
    assist = min(assistants * p.assistant_hours,
                 p.assistant_task_share * (app_demand + review_demand))
    capacity = staff_hours + assist
    left = max(capacity - work.temporary * p.hours_temporary - work.reports * p.hours_report, 0.0)
    review_first = min(review_demand, p.review_share_max * left) if p.review_lag else review_demand
    app_cap = max(left - review_first, 0.0)
    rate = app_cap / MONTH_DAYS  # application hours a day
    cut_lo = cut.copy()
    cut_hi = cut.copy()
    base = np.zeros(QUEUE_AGES)
    span = np.zeros(QUEUE_AGES)
    remaining = app_cap
    decided = 0.0
    days_sum = 0.0
    late = 0.0
    used = 0.0
    for age in range(QUEUE_AGES - 1, -1, -1):  # oldest first
        n = queue[age]
        if n <= 0.0:
            continue
        take = min(n, remaining / h_app) if h_app > 0 else n
        if take <= 0.0:
            break
        hours = take * h_app
        base[age] = used / rate if rate > 0 else 0.0
        length = hours / rate if rate > 0 else 0.0
        if take >= n * (1.0 - 1e-12):
            cut_hi[age] = ALL
            share = 1.0
        else:
            # the undecided part of the cohort is spread evenly over draws above ``cut``
            share = take / n
            cut_hi[age] = cut[age] + (1.0 - cut[age]) * share
        width = cut_hi[age] - cut[age] if cut_hi[age] < ALL else 1.0 - cut[age]
        span[age] = length / width if width > 0 else 0.0
        mean, late_share = _days_stats(age, base[age], length, p.own_days, p.deadline_days)
        days_sum += take * mean
        late += take * late_share
        decided += take
        queue[age] = n - take
        used += hours
        remaining -= hours
    # hours left over go to waiting reviews (with the lag); the oldest reviews are done first
    if p.review_lag:
        review_done_h = min(review_demand, review_first + max(remaining, 0.0))
    else:
        review_done_h = review_demand
    done = review_done_h / p.hours_review if p.hours_review > 0 else reviews_due
    done = min(done, reviews_due)
    share_old = min(1.0, done / state.overdue) if state.overdue > 0 else 1.0
    share_new = (min(1.0, max(0.0, done - state.overdue) / work.reviews_due)
                 if work.reviews_due > 0 else 1.0)
    if done >= reviews_due * (1.0 - 1e-12):
        share_old = share_new = 1.0
    overdue = reviews_due - done if share_new < 1.0 or share_old < 1.0 else 0.0
    new_cut = np.where(cut_hi >= ALL, 0.0, cut_hi)
    new_queue = np.where(cut_hi >= ALL, 0.0, queue)
    backlog = float(new_queue.sum())
    first = min(capacity, work.temporary * p.hours_temporary + work.reports * p.hours_report)
    hours_used = first + used + review_done_h  # above capacity without the lag: overtime
    month = OfficeMonth(
        staff=float(staff), assistants=float(assistants), capacity=capacity,
        hours_used=hours_used,
        queue=float(queue.sum() + decided), decided=decided, backlog=backlog,
        backlog_hours=backlog * h_app, reviews_due=reviews_due, reviews_done=done,
        reviews_late=overdue, reviews_missed=work.reviews_due * (1.0 - share_new),
        days_mean=days_sum / decided if decided > 0 else float("nan"),
        late=late, cut_lo=cut_lo, cut_hi=cut_hi, base_day=base, span_day=span,
        review_share=(share_new, share_old), own_days=p.own_days)
    return OfficeState(new_queue, new_cut, overdue), month


#: Columns of the engine's offices table that :func:`replay` reads (the work of each month).
WORK_COLUMNS = ("applications", "reviews_falling_due", "reports_handled", "temporary_cases",
                "villages", "recipients", "townships")


def month_row(month: OfficeMonth) -> dict[str, float]:
    """The figures of an office month as one row of the offices table."""
    return {"staff": month.staff, "assistants": month.assistants, "capacity_hours": month.capacity,
            "hours_used": month.hours_used, "queue": month.queue, "decided": month.decided,
            "backlog": month.backlog, "backlog_hours": month.backlog_hours,
            "reviews_due": month.reviews_due, "reviews_done": month.reviews_done,
            "reviews_late": month.reviews_late, "reviews_missed": month.reviews_missed,
            "days_to_decision": month.days_mean,
            "decisions_late": month.late}


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
    # the columns passed through as Python values (as itertuples gives them: the same dtypes)
    out = {c: col[c].tolist() for c in ("month", "township", "township_name", "townships", "recipients",
                                         "applications")}
    rows = []
    state = OfficeState()
    for i in range(len(months)):
        if i == 0 or col["township"][i] != col["township"][i - 1]:
            state = OfficeState()  # the next township's office
        params, p = cache[months[i]]
        work = OfficeWork(*(float(col[c][i]) for c in ("applications", "reviews_falling_due",
                                                        "reports_handled", "temporary_cases",
                                                        "villages", "townships")))
        state, month = office_month(state, work, float(n_staff[i]), p)
        rows.append({"month": out["month"][i], "township": out["township"][i],
                     "township_name": out["township_name"][i], "townships": out["townships"][i],
                     "recipients": out["recipients"][i], "applications": out["applications"][i],
                     "deadline_days": p.deadline_days, **month_row(month)})
    return pd.DataFrame(rows)


def late_share(replayed: pd.DataFrame, reviews_arrived: float) -> float:
    """Share of the horizon's work not done in time: applications decided late or still waiting
    at the end, and reviews still waiting at the end, over the applications and the
    ``reviews_arrived`` (falling due) of a replayed or engine offices table."""
    last = replayed["month"] == replayed["month"].max()
    arrived = float(replayed["applications"].sum()) + float(reviews_arrived)
    late = float(replayed["decisions_late"].sum() + replayed.loc[last, "backlog"].sum()
                 + replayed.loc[last, "reviews_late"].sum())
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
