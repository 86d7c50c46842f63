"""Tekun 特困人员救助供养 (extreme-poverty support): eligibility and monthly amount per person."""

from __future__ import annotations

from numba import njit

from simulation.population.columns import DISABILITY_NONE, LABOUR_NONE
from simulation.rules.params import P_STANDARD, P_TEKUN_BASIS, P_TEKUN_CARE, P_TEKUN_MULTIPLE


@njit(cache=True)
def tekun_eligible(age: int, disability: int, labour_ability: int, has_supporter: bool,
                   own_counted_income: float, own_assets: float, asset_limit: float,
                   elderly_age: float, minor_age: float) -> bool:
    """Tekun eligibility 特困认定 of one person.

    National 特困人员认定办法 and all seeds: no labour ability, no source of income, no legal
    supporter able to support, and elderly (``tekun.elderly_age``, 60), disabled or a minor —
    minors covered to 18 (jiaohe §4, lanzhou §四: 16 → 18 周岁, ``tekun.minor_age``).
    Interpretations: "no income" = own counted income exactly 0 (so an excluded basic pension
    does not disqualify); "disabled" = any grade; own financial assets within the asset limit
    (jiaohe §4 applies the 24-month limit to tekun too).
    """
    if labour_ability != LABOUR_NONE or has_supporter or own_counted_income > 0.0:
        return False
    if own_assets > asset_limit:
        return False
    return age >= elderly_age or age < minor_age or disability != DISABILITY_NONE


@njit(cache=True)
def tekun_basic(area: int, setting: int, p) -> float:
    """Basic living standard 基本生活标准 (yuan/person/month): multiple × the basis dibao standard.

    qijiang §3: ≥ 1.3 × urban standard; jiaohe §3: dispersed 1.3 ×, centralised 2 × the local
    standard; boshan §1: ≥ 1.5 × urban (urban), 1.3 × rural (rural). ``tekun.basis.<area>`` says
    which standard (urban or rural) the multiple ``tekun.multiple.<setting>.<area>`` applies to.
    """
    basis = int(p[P_TEKUN_BASIS + area])
    return p[P_TEKUN_MULTIPLE + 2 * setting + area] * p[P_STANDARD + basis]


@njit(cache=True)
def tekun_care(self_care: int, p) -> float:
    """Care standard 照料护理标准 by self-care ability (able / partial / unable), yuan/person/month.

    Every seed requires tiered care 分档照料护理 (qijiang §3, kaizhou §二(一)2); amounts are
    parameters ``tekun.care.{self_care,partial,full}``.
    """
    return p[P_TEKUN_CARE + self_care]
