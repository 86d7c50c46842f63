"""Re-rating 调标: what an enrolled household is paid when the standard changes between reviews.

qijiang §3 适时调整城乡低保保障标准，并按时足额发放到位: a new standard is paid from its date, but
between reviews nothing new is learnt about the household (qijiang §4: the benefit is not changed
between reviews). So only what the policy defines from the standard moves with it: the gap (or
tier) is recomputed from the per-capita income found at the last decision, parts defined as a
share of the standard scale with it, and fixed yuan amounts (Chongqing's add-ons
``dibao.supplement.*.amount``, tekun care standards) stay as they are until the next review.
"""

from __future__ import annotations

from numba import njit

from simulation.rules.dibao import gap_payment, tier_class, tier_payment
from simulation.rules.params import (
    BENEFIT_OWN_GAP,
    MODE_GAP,
    P_MINIMUM_PAYMENT,
    P_PAYMENT_MODE,
    P_SINGLE_RULE,
)


@njit(cache=True)
def rerated_gap(per_capita_income: float, size: int, standard: float, p, area: int) -> float:
    """Gap (or tier) payment at the new ``standard`` from the income found at the last decision.

    qijiang §3 补差发放 with the new standard; in tiers mode the class is found again from the
    new gap share (lanzhou §四). At or above a lowered standard: 0 until the review decides.
    """
    if per_capita_income >= standard or size <= 0:
        return 0.0
    if p[P_PAYMENT_MODE] == MODE_GAP:
        gap, _ = gap_payment(standard, per_capita_income, size, p[P_MINIMUM_PAYMENT])
        return gap
    share = (standard - per_capita_income) / standard
    return tier_payment(tier_class(share, p, area), share, standard, size, p, area)


@njit(cache=True)
def rerated_supplement(paid: float, paid_fixed: float, old_standard: float,
                       new_standard: float) -> float:
    """Key-person supplements 分档增发 after a standard change: the part defined as a share of the
    standard (jiaohe §5: 50 %, 55 %, 60 % of the standard) moves with it, the fixed yuan part
    (``paid_fixed``: Chongqing's add-ons of 60, 100 … yuan) does not."""
    share_part = paid - paid_fixed
    if old_standard > 0.0:
        share_part *= new_standard / old_standard
    return paid_fixed + share_part


@njit(cache=True)
def rerated_single(paid: float, persons: int, old_standard: float, new_standard: float,
                   p) -> float:
    """Single-person inclusion 单人户 payment after a standard change.

    ``own_gap`` (interpretation for qijiang, kaizhou): each person's gap is standard − own income,
    so the household's payment moves by persons × (new − old) standard, never below 0 (exact for
    a rise, where every gap stays positive). ``share_of_standard`` (jiaohe §5, 60 %): in
    proportion to the standard.
    """
    if persons <= 0:
        return 0.0
    if p[P_SINGLE_RULE] == BENEFIT_OWN_GAP:
        value = paid + persons * (new_standard - old_standard)
        return value if value > 0.0 else 0.0
    if old_standard <= 0.0:
        return paid
    return paid * new_standard / old_standard
