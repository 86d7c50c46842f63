"""Price linkage 物价联动: temporary price subsidies to recipients when prices rise.

All seeds adopt the linkage mechanism 物价上涨挂钩联动机制 (policy digest §6); trigger and amount
follow the national rule 发改价格〔2021〕1553号 (statistics.md §4).
"""

from __future__ import annotations

from numba import njit

from simulation.rules.params import P_PL_CPI_TRIGGER, P_PL_FLOOR, P_PL_FOOD_CPI_TRIGGER


@njit(cache=True)
def triggering_rate(cpi: float, food_cpi: float, p) -> float:
    """The year-on-year price rise that triggers the linkage this month (share; 0 = not triggered).

    statistics.md §4: triggered when CPI year-on-year reaches ``price_linkage.cpi_trigger``
    (3.5 %) or food CPI reaches ``price_linkage.food_cpi_trigger`` (6 %); the payment follows the
    triggering rate, the larger one when both trigger.
    """
    rate = 0.0
    if cpi >= p[P_PL_CPI_TRIGGER]:
        rate = cpi
    if food_cpi >= p[P_PL_FOOD_CPI_TRIGGER] and food_cpi > rate:
        rate = food_cpi
    return rate


@njit(cache=True)
def price_subsidy(standard: float, rate: float, p) -> float:
    """Price subsidy per recipient (yuan/person/month) 价格临时补贴.

    statistics.md §4: the monthly dibao standard × the triggering rate, at least the local floor
    ``price_linkage.floor`` (10–30 yuan); 0 when the linkage is not triggered (``rate`` 0).
    """
    if rate <= 0.0:
        return 0.0
    return max(standard * rate, p[P_PL_FLOOR])
