"""Temporary assistance 临时救助: amounts per case (policy digest §5).

Whether a case happens (an emergency, an illness, school fees) and where in the legal range its
cost falls are drawn by the engine; these kernels turn that into the legal amount.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.rules.params import (
    P_STANDARD,
    P_TMP_APPLICANT_MONTHS,
    P_TMP_EDUCATION_MIN,
    P_TMP_ILLNESS_MIN,
    P_TMP_INSTALMENT_MONTHS,
    P_TMP_INSTALMENT_THRESHOLD,
    P_TMP_URGENT,
    P_TMP_URGENT_CUM,
    P_TMP_URGENT_FACTOR,
    P_TMP_URGENT_TIERS,
)


@njit(cache=True)
def urgent_amount(p) -> float:
    """Urgent-type 急难型 payment per case (yuan): ``temporary.urgent.amount``.

    qijiang §11, kaizhou, lanzhou §十三: "small amount first", paperwork afterwards; boshan §3:
    within 24 hours. The amount is the locality's average urgent payment.
    """
    return p[P_TMP_URGENT]


@njit(cache=True)
def urgent_amount_by_severity(severity: float, p) -> float:
    """Urgent-type 急难型 payment (yuan) of a case whose severity places it at ``severity`` in [0, 1).

    jiaohe §12 根据急难程度分档设定救助标准: tier k holds the cases between the cumulative
    ``temporary.urgent.tier_shares`` (least severe first) and pays ``tier_factors[k]`` ×
    ``temporary.urgent.amount``. One tier with factor 1 (the national default) is the average.
    """
    n = int(p[P_TMP_URGENT_TIERS])
    for k in range(n):
        if severity < p[P_TMP_URGENT_CUM + k]:
            return p[P_TMP_URGENT_FACTOR + k] * p[P_TMP_URGENT]
    return p[P_TMP_URGENT_FACTOR + n - 1] * p[P_TMP_URGENT]


@njit(cache=True)
def _multiple_of_urban_standard(slot: int, position: float, p) -> float:
    # a multiple between the slot's minimum and maximum, × the monthly urban standard
    low = p[slot]
    return (low + (p[slot + 1] - low) * position) * p[P_STANDARD]


@njit(cache=True)
def illness_amount(position: float, p) -> float:
    """Expenditure-type 支出型 payment for a major illness (yuan per case).

    boshan §3: 3–12 × the monthly urban dibao standard (``temporary.illness.multiple_min`` ..
    ``multiple_max``); ``position`` in [0, 1] places the case's cost within that range.
    """
    return _multiple_of_urban_standard(P_TMP_ILLNESS_MIN, position, p)


@njit(cache=True)
def education_amount(position: float, p) -> float:
    """Expenditure-type 支出型 payment for heavy education costs (yuan per case).

    boshan §3: 3–6 × the monthly urban dibao standard (``temporary.education.multiple_min`` ..
    ``multiple_max``); ``position`` in [0, 1] places the case's cost within that range.
    """
    return _multiple_of_urban_standard(P_TMP_EDUCATION_MIN, position, p)


@njit(cache=True)
def applicant_amount(p) -> float:
    """Emergency aid to a dibao or tekun applicant while the application is decided (yuan).

    jiaohe §15 (under 做好突发公共事件困难群众急难救助工作; 可 = may): one month of the urban dibao
    standard first, the decision within 30 days; ``temporary.applicant_months`` × the urban
    standard while ``temporary.applicant_advance`` is on (an emergency scenario), else 0.
    """
    return p[P_TMP_APPLICANT_MONTHS] * p[P_STANDARD]


@njit(cache=True)
def instalments(amount: float, p) -> int:
    """Monthly payments of an expenditure-type case: one approval, several payments.

    jiaohe §12 对…的，可采取“一次审批、分次发放”方式予以救助; kaizhou 二(三)2 “一次审批、分阶段救助”;
    lanzhou §十三: a case of at least ``temporary.instalments.threshold`` × the monthly urban
    standard is paid in ``temporary.instalments.months`` equal monthly parts (1 = at once).
    """
    months = int(p[P_TMP_INSTALMENT_MONTHS])
    if months > 1 and amount >= p[P_TMP_INSTALMENT_THRESHOLD] * p[P_STANDARD]:
        return months
    return 1


def township_reserve(demand: np.ndarray, reserve: float,
                     refilled: bool) -> tuple[np.ndarray, np.ndarray]:
    """Urgent aid a township pays in a month from its reserve fund 临时救助备用金, and the excess.

    boshan §3 镇（街道）设立5万元以上临时救助储备金; qijiang §11 强化镇（街）临时救助备用金制度;
    jiaohe §19 按需核定乡镇（街道）备用金额度. ``demand``: each township's urgent aid of the month
    (urgent cases and applicant advances, yuan); ``reserve``: ``temporary.township_reserve``,
    topped up to its level each month. With ``temporary.reserve_refilled`` the county refills it
    as it is used and all is paid; without, a township pays at most its reserve. Returns
    (paid, exceeded): the excess over the reserve, reported whether or not it was paid.
    """
    demand = np.asarray(demand, dtype=np.float64)
    exceeded = np.maximum(demand - reserve, 0.0)
    paid = demand if refilled else np.minimum(demand, reserve)
    return paid, exceeded
