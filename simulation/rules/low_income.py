"""Low-income families 低收入家庭 and expenditure-type hardship 支出型困难."""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def low_income(per_capita_income: float, standard: float, multiple: float,
               assets_passed: bool) -> bool:
    """Low-income family: per-capita income at or above the standard and below multiple × standard.

    jiaohe §1: 高于当地低保标准，但低于低保标准 2 倍，且财产状况符合低保对象财产认定条件;
    qijiang §1 and kaizhou: 1.5 ×. Interpretation: exactly at the standard (not dibao-eligible)
    counts as low income, so the two groups meet without a gap.
    """
    return assets_passed and standard <= per_capita_income < multiple * standard


@njit(cache=True)
def expenditure_hardship(per_capita_income: float, rigid_per_capita: float, standard: float,
                         income_multiple: float, disposable_income_year: float) -> bool:
    """Expenditure-type hardship 支出型困难 (jiaohe §1).

    Per-capita income at least ``income_multiple`` × standard (2 倍(含): inclusive), below last
    year's per-capita disposable income ÷ 12, and per-capita income after rigid medical,
    education and care spending below the standard.
    """
    return (income_multiple * standard <= per_capita_income < disposable_income_year / 12.0
            and per_capita_income - rigid_per_capita < standard)
