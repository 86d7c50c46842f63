"""The engine's dated economic inputs, month by month: income growth, pension uprating and the
strength of verification.

Everything here is read from the policy (dated, referenced values in ``data/policies``) and the
behaviour; the kernels get one small vector per month (:func:`monthly_inputs`, slots ``D_*``):

- **incomes** 收入增长: wages grow with the area's per-capita disposable income (NBS, the policy's
  ``expenditure_hardship.disposable_income.<area>``, the figure of year Y in force from 1 January
  of Y+1), interpolated between mid-year points; past the last published figure they grow at
  ``economy.income_growth.<area>`` (the user's projection assumption). Transfers and support
  received (``other`` income) are raised by the same index once a year, in January.
- **pensions** 养老金调整: every residents' basic pension in payment rises by each increase of the
  central minimum (``pension.basic_minimum``) in the month it takes effect; a person reaching 60
  gets ``behaviour.pension_at_60`` plus the increases since the run began.
- **expansion campaign** 应保尽保 (``dibao.expansion_campaign``, 2020): eligible households apply
  at ``campaign_take_up_multiple`` × their rates and near-poor applicants are accepted in error
  with probability ``campaign_inclusion`` (simplified procedures);
- **verification** 核查: the probability that a review finds a recipient's unseen income, by the
  campaign in force (``verification.campaign``: ``detect_campaign``, in rural areas
  ``detect_campaign_rural`` since the 2018-2020 rectification was of rural dibao; else
  ``detect_routine``)
  and the locality's mix of review methods (data matching; home visit and declaration at
  ``detect_home_visit_ratio`` and ``detect_declaration_ratio`` of its rate).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from simulation.admin.offices import review_mix
from simulation.errors import InputError

#: Slots of the monthly input vector.
D_WAGE = 0  # + area (0 urban, 1 rural): wage index relative to the run's first month
D_OTHER = 2  # + area: factor applied to transfers and support this month (1.0: none)
D_PENSION_DELTA = 4  # yuan/month added to every residents' pension in payment this month
D_PENSION_60 = 5  # pension of a person reaching 60 this month
D_DETECT = 6  # + area: probability that a review finds unseen income (the method mix applied)
D_CAMPAIGN = 8  # 1.0 while an expansion campaign 应保尽保 is in force (dibao.expansion_campaign)
N_DYN = 9

AREAS = ("urban", "rural")
INCOME_PATH = "expenditure_hardship.disposable_income.{}"
GROWTH_PATH = "economy.income_growth.{}"


def _first_of_month(months: int) -> dt.date:
    return dt.date(months // 12, months % 12 + 1, 1)


def annual_income(policy: Any, area: str, year: int) -> float:
    """Per-capita disposable income of ``area`` in calendar ``year`` (yuan/year).

    The published figure of year Y is the policy's value starting on 1 January of Y+1. Past the
    last published year the income grows at ``economy.income_growth.<area>`` of each year;
    before the first, it is the first figure deflated at that rate.
    """
    published = {e.start.year - 1: float(e.value) for e in policy.schedule(INCOME_PATH.format(area))
                 if e.start.month == 1 and e.start.day == 1}
    if not published:
        raise InputError("policy", INCOME_PATH.format(area), "no yearly figure (dated 1 January)")
    if year in published:
        return published[year]
    first, last = min(published), max(published)
    if year < first:
        g = float(policy.value(GROWTH_PATH.format(area), dt.date(first + 1, 1, 1)))
        return published[first] / (1.0 + g) ** (first - year)
    value = published[last]
    for y in range(last + 1, year + 1):
        value *= 1.0 + float(policy.value(GROWTH_PATH.format(area), dt.date(y, 1, 1)))
    return value


def income_index(policy: Any, area: str, month: dt.date) -> float:
    """Income level of ``area`` in ``month`` (yuan/year): the yearly figures placed at mid-year,
    interpolated geometrically month by month."""
    x = month.year + (month.month - 0.5) / 12.0 - 0.5  # years after the middle of year 0
    y0 = math.floor(x)
    frac = x - y0
    a = annual_income(policy, area, y0)
    b = annual_income(policy, area, y0 + 1)
    return a * (b / a) ** frac


def detection_rate(params: Any, behaviour: Any, area: str = "urban") -> float:
    """Probability that a review finds a recipient's unseen income in ``area`` under
    ``params``."""
    if params["verification.campaign"]:
        base = behaviour.detect_campaign_rural if area == "rural" else behaviour.detect_campaign
    else:
        base = behaviour.detect_routine
    mix = review_mix(params)
    found = (mix["data_matching"] + mix["home_visit"] * behaviour.detect_home_visit_ratio
             + mix["renewal"] * behaviour.detect_declaration_ratio)
    return float(min(1.0, base * found))


def monthly_inputs(policy: Any, behaviour: Any, start: dt.date, months: int) -> np.ndarray:
    """The ``(months, N_DYN)`` input vectors of a run from ``start`` (first of a month)."""
    out = np.zeros((months, N_DYN), dtype=np.float64)
    k0 = start.year * 12 + start.month - 1
    base = [income_index(policy, a, start) for a in AREAS]
    last_raise = list(base)  # the income level when transfers were last raised
    minimum0 = float(policy.value("pension.basic_minimum", start))
    previous_minimum = minimum0
    for t in range(months):
        day = _first_of_month(k0 + t)
        params = policy.at(day)
        for i, area in enumerate(AREAS):
            level = income_index(policy, area, day)
            out[t, D_WAGE + i] = level / base[i]
            out[t, D_OTHER + i] = 1.0
            if t > 0 and day.month == 1:
                out[t, D_OTHER + i] = level / last_raise[i]
                last_raise[i] = level
        minimum = float(params["pension.basic_minimum"])
        out[t, D_PENSION_DELTA] = minimum - previous_minimum if t > 0 else 0.0
        previous_minimum = minimum
        out[t, D_PENSION_60] = behaviour.pension_at_60 + (minimum - minimum0)
        for i, area in enumerate(AREAS):
            out[t, D_DETECT + i] = detection_rate(params, behaviour, area)
        out[t, D_CAMPAIGN] = 1.0 if params["dibao.expansion_campaign"] else 0.0
    return out
