"""Counted income 计入收入 of a person (yuan/month): the income the means test counts."""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def counted_income(earned: float, pension: float, other: float,
                   deduction: float, pension_excluded: bool, imputed: bool = False) -> float:
    """Counted income: earned × (1 − employment-cost deduction) + other + pension unless excluded.

    - employment cost 就业成本: ``dibao.employment_cost_deduction`` of earned income is deducted
      (kaizhou §二(一)1: 30 %; lanzhou §十: "deduct necessary employment costs", rate a parameter),
      except where the earnings are imputed at the local minimum wage (``imputed``; kaizhou
      §二(一)1 （按务工地最低工资标准核算的除外）): an imputed wage is no actual cost of work.
    - residents' basic pension 基础养老金 is not counted when ``dibao.basic_pension_excluded``
      (kaizhou §二(一)3: 基础养老金不计入低保家庭、特困人员收入).
    """
    income = earned * (1.0 if imputed else 1.0 - deduction) + other
    if not pension_excluded:
        income += pension
    return income
