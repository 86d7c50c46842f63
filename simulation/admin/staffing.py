"""Township assistance staffing: the ratio rule and a workload-based office queue.

Two views a planner compares:

* the rule (qijiang 三(三) "镇（街）按辖区内社会救助对象人数的2—4‰确定，辖区内社会救助对象人数不足1000人的，
  按不低于2个人确定"): staff = ratio × recipients, at least ``minimum`` where a township has fewer
  than ``small_threshold`` recipients;
* the workload: applications, reviews and emergency cases in staff-hours against the hours the
  staff have, giving the backlog and the days to decision against the legal limit
  (lanzhou 二十一: 15 working days; jiaohe 15: 30 days; ``admin.decision_deadline_days``).

All functions are pure (arrays and scalars in, arrays out); nothing here draws random numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation.admin.parameters import WorkloadParameters


def required_staff(
    recipients: Any, ratio: float, minimum: int, small_threshold: int
) -> np.ndarray:
    """Staff a township needs under the ratio rule (staffing 人员配备, qijiang 三(三)).

    ``ceil(ratio × recipients)``; a township with fewer than ``small_threshold`` recipients gets at
    least ``minimum`` (the seed says "不低于2个人"). Rounding up is an interpretation: a headcount is
    whole and the rule sets a floor. A township with no recipients still has the minimum, since the
    office exists.

    Args:
        recipients: assistance recipients (persons) per township, array-like, >= 0.
        ratio: staff per recipient (0.002–0.004 in the seed).
        minimum: least staff in a small township (2).
        small_threshold: recipients below which the minimum applies (1000).
    """
    rec = np.asarray(recipients, dtype=float)
    if np.any(~np.isfinite(rec)) or np.any(rec < 0):
        bad = rec[~np.isfinite(rec) | (rec < 0)]
        raise ValueError(f"recipients must be finite and >= 0; got {bad[:5].tolist()}")
    if not 0 < ratio < 1:
        raise ValueError(f"staffing ratio must be in (0, 1); got {ratio!r}")
    # round before ceil so that 0.002 × 1500 = 3.0000000000000004 stays 3
    staff = np.ceil(np.round(rec * ratio, 9)).astype(np.int64)
    small = rec < small_threshold
    staff[small] = np.maximum(staff[small], int(minimum))
    return staff


def staffing_rule_table(
    recipients_by_township: pd.Series,
    ratios: Sequence[float],
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """Required staff and their cost per township for each ratio (one row per ratio × township).

    Args:
        recipients_by_township: recipients (persons) indexed by township.
        ratios: staffing ratios to compare (e.g. 0.002, 0.003, 0.004).
        params: policy parameters with ``staffing.minimum``, ``staffing.small_threshold`` and
            ``staffing.annual_cost`` (yuan per staff member per year).

    Returns columns ``ratio, township, recipients, staff, staff_cost`` (yuan/year).
    """
    frames = []
    for ratio in ratios:
        staff = required_staff(
            recipients_by_township.to_numpy(),
            float(ratio),
            int(params["staffing.minimum"]),
            int(params["staffing.small_threshold"]),
        )
        frames.append(
            pd.DataFrame(
                {
                    "ratio": float(ratio),
                    "township": recipients_by_township.index.to_numpy(),
                    "recipients": recipients_by_township.to_numpy(dtype=float),
                    "staff": staff,
                    "staff_cost": staff * float(params["staffing.annual_cost"]),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def default_ratios(params: Mapping[str, Any]) -> tuple[float, float, float]:
    """The low, middle and high ratios of the seed range (2‰, 3‰, 4‰ from ``staffing.ratio_*``)."""
    lo, hi = float(params["staffing.ratio_min"]), float(params["staffing.ratio_max"])
    return lo, round((lo + hi) / 2, 12), hi


def task_hours(
    applications: Any, reviews: Any, emergencies: Any, workload: WorkloadParameters
) -> tuple[np.ndarray, np.ndarray]:
    """Staff-hours of work arriving: (decision work, other work).

    Decision work is applications (the clock of the legal limit runs on them); other work is
    reviews (mix of data check, renewal and home visit by ``review_method_share``) and emergency
    cases. Arrays broadcast (e.g. months × townships).
    """
    apps = np.asarray(applications, dtype=float) * workload.hours_per_task["application"]
    other = (
        np.asarray(reviews, dtype=float) * workload.hours_per_review
        + np.asarray(emergencies, dtype=float) * workload.hours_per_task["emergency"]
    )
    return apps, other


@dataclass(frozen=True)
class QueueResult:
    """Office queue per month × township (arrays of shape (months, townships))."""

    backlog_hours: np.ndarray  # decision work left at month end, staff-hours
    backlog_applications: np.ndarray  # applications left at month end
    days_to_decision: np.ndarray  # mean days from application to decision, in the deadline basis
    utilisation: np.ndarray  # share of casework hours used


def office_queue(
    applications: np.ndarray,
    reviews: np.ndarray,
    emergencies: np.ndarray,
    staff: np.ndarray,
    workload: WorkloadParameters,
    deadline_basis: str = "working",
) -> QueueResult:
    """Run the township offices' work month by month for a given staffing.

    Emergency cases come first (paid within 24 hours, boshan 3); emergency work a month cannot
    finish carries to the next month, still first. Scheduled reviews get the time they need but
    at most ``workload.review_share_max`` of what is left (interpretation: legal deadlines first); reviews that do not fit
    are treated as postponed to the next review date, and ``utilisation`` shows the pressure. The
    rest decides applications in arrival order (first in, first out), and undecided work carries.

    Days to decision: applications arrive evenly within their month; the work of the month's
    middle applicant is finished when cumulative decided work reaches the work queued up to it
    (decided work is spread evenly within a month). Work still open at the end of the horizon is
    finished at the mean decision capacity of the last three months. The applicant's own
    handling (one person, ``hours_per_task.application``) is added.

    Args:
        applications, reviews, emergencies: counts per month × township (weighted to population).
        staff: staff per township (shape (townships,) or (months, townships)).
        workload: hours per task and working time.
        deadline_basis: ``working`` or ``calendar`` — the days in which the result is counted.
    """
    if deadline_basis not in ("working", "calendar"):
        raise ValueError(f"deadline_basis must be 'working' or 'calendar'; got {deadline_basis!r}")
    apps = np.atleast_2d(np.asarray(applications, dtype=float))
    revs = np.atleast_2d(np.asarray(reviews, dtype=float))
    emer = np.atleast_2d(np.asarray(emergencies, dtype=float))
    if not apps.shape == revs.shape == emer.shape:
        raise ValueError(f"task arrays differ in shape: {apps.shape}, {revs.shape}, {emer.shape}")
    months, towns = apps.shape
    capacity = np.broadcast_to(
        np.asarray(staff, dtype=float) * workload.casework_hours_per_staff_month, (months, towns)
    )
    app_hours, _ = task_hours(apps, 0.0, 0.0, workload)
    review_hours = revs * workload.hours_per_review
    emergency_hours = emer * workload.hours_per_task["emergency"]
    days = workload.working_days_per_month if deadline_basis == "working" else workload.calendar_days_per_month
    # one person works an application through: its own handling time in days of the basis
    own_days = workload.hours_per_task["application"] / (
        workload.hours_per_working_day * workload.casework_share
    )
    if deadline_basis == "calendar":
        own_days *= workload.calendar_days_per_month / workload.working_days_per_month

    backlog = np.zeros(towns)
    emergency_backlog = np.zeros(towns)
    decided = np.zeros((months, towns))
    decision_capacity = np.zeros((months, towns))
    out_backlog = np.zeros((months, towns))
    out_util = np.zeros((months, towns))
    for t in range(months):
        cap = capacity[t]
        urgent = emergency_backlog + emergency_hours[t]
        served = np.minimum(urgent, cap)
        emergency_backlog = urgent - served
        left = cap - served
        review_time = np.minimum(review_hours[t], workload.review_share_max * left)
        decision_capacity[t] = left - review_time
        decided[t] = np.minimum(backlog + app_hours[t], decision_capacity[t])
        backlog = backlog + app_hours[t] - decided[t]
        out_backlog[t] = backlog
        with np.errstate(divide="ignore", invalid="ignore"):
            out_util[t] = np.where(cap > 0, (served + review_time + decided[t]) / cap, 1.0)

    # departure time (in months from the start) of the middle applicant of each month
    done_end = np.cumsum(decided, axis=0)  # cumulative decided work at each month's end
    # FIFO: the middle applicant is decided when all work that arrived before it is done
    target = np.cumsum(app_hours, axis=0) - 0.5 * app_hours
    tail_rate = decision_capacity[-3:].mean(axis=0)
    wait_months = np.zeros((months, towns))
    for j in range(towns):
        k = np.searchsorted(done_end[:, j], target[:, j] - 1e-9)  # first month that reaches it
        inside = k < months
        kk = np.minimum(k, months - 1)
        before = np.where(kk > 0, done_end[np.maximum(kk - 1, 0), j], 0.0)
        step = decided[kk, j]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(step > 0, (target[:, j] - before) / step, 0.0)
            beyond = np.where(tail_rate[j] > 0, (target[:, j] - done_end[-1, j]) / tail_rate[j], np.inf)
        finish = np.where(inside, kk + np.clip(frac, 0.0, 1.0), months + beyond)
        wait_months[:, j] = np.maximum(finish - (np.arange(months) + 0.5), 0.0)
    out_wait = np.where(app_hours > 0, wait_months * days + own_days, 0.0)
    return QueueResult(
        backlog_hours=out_backlog,
        backlog_applications=out_backlog / workload.hours_per_task["application"],
        days_to_decision=out_wait,
        utilisation=out_util,
    )
