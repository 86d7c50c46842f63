"""Gradual exit 渐退: a dibao household whose income rises above the standard keeps part of its
benefit for a while before it leaves (policy digest §1)."""

from __future__ import annotations

from numba import njit

from simulation.rules.params import (
    P_GE_CEILING,
    P_GE_EMPLOYED_ONLY,
    P_GE_ENABLED,
    P_GE_MONTHS,
    P_GE_MONTHS_DISABLED,
    P_GE_SCHEDULE,
    P_GE_SCHEDULE_N,
)


@njit(cache=True)
def gradual_exit_months(per_capita_income: float, standard: float, assets_ok: bool,
                        any_employed: bool, any_disabled: bool, p) -> int:
    """Months of gradual exit 渐退 for a recipient found above the standard (0 = leave at once).

    qijiang §1, kaizhou §二(一)1: above the standard but below 1.5 × → 6 months; jiaohe §5: below
    2 × → 18 months, 24 with a disabled member; lanzhou §十: employed members, up to 6 months
    (``dibao.gradual_exit.employed_only``). At or above ``dibao.gradual_exit.ceiling_multiple`` ×
    the standard, failing the asset test, or below the standard (still eligible: no exit), 0.
    """
    if p[P_GE_ENABLED] == 0.0 or not assets_ok:
        return 0
    if per_capita_income < standard or per_capita_income >= p[P_GE_CEILING] * standard:
        return 0
    if p[P_GE_EMPLOYED_ONLY] != 0.0 and not any_employed:
        return 0
    return int(p[P_GE_MONTHS_DISABLED] if any_disabled else p[P_GE_MONTHS])


@njit(cache=True)
def gradual_exit_share(elapsed: int, p) -> float:
    """Share of the last benefit paid in month ``elapsed`` (0-based) of a gradual exit 渐退.

    ``dibao.gradual_exit.payment_schedule`` gives the share for exit year 1, 2, …; the last share
    holds after the schedule ends. jiaohe §5: the benefit falls by 25 % a year (0.75, 0.50);
    qijiang §1, kaizhou §二(一)1 and lanzhou §十 keep the benefit (1.0). No schedule: 1.0.
    """
    n = int(p[P_GE_SCHEDULE_N])
    if n == 0:
        return 1.0
    year = elapsed // 12
    if year >= n:
        year = n - 1
    return p[P_GE_SCHEDULE + year]


@njit(cache=True)
def gradual_exit_payment(elapsed: int, last_benefit: float, p) -> float:
    """Dibao paid (yuan/household/month) in month ``elapsed`` (0-based) of a gradual exit 渐退:
    the schedule's share (:func:`gradual_exit_share`) of the last benefit before the exit
    (jiaohe §5; qijiang §1)."""
    return gradual_exit_share(elapsed, p) * last_benefit


@njit(cache=True)
def requalified_month_payment(elapsed: int, last_benefit: float, p) -> float:
    """Dibao paid in the month of the review that finds a household in gradual exit eligible again.

    jiaohe §5 渐退期间重新符合低保条件的，自审核之月下月起终止“渐退”，按照重新核定后的家庭收入给予差额救助:
    the exit ends from the month after the review, so the review month still pays the exit
    amount (:func:`gradual_exit_payment` of month ``elapsed``); the new gap is paid from the next.
    """
    return gradual_exit_payment(elapsed, last_benefit, p)
