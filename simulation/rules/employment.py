"""Employment subsidy 低保就业补贴 (qijiang §8)."""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def employment_subsidy(benefit_before: float, benefit_now: float) -> float:
    """The month's employment subsidy (yuan/household): the dibao cut since the job was found.

    qijiang §8 对已就业的登记失业低保家庭人员，按其家庭当月核减低保金总额，给予不超过1年的低保就业补贴:
    ``benefit_before`` is the household's dibao (gap, supplements and single-person payments) in
    force before the review that found the job, ``benefit_now`` what it is paid this month: the
    new gap, a gradual-exit share 渐退 of it, or 0 once the job has lifted the household off
    dibao (then the whole benefit is the cut). Never negative. How many months: the engine
    (``dibao.employment_subsidy.months``, at most 12).
    """
    cut = benefit_before - benefit_now
    return cut if cut > 0.0 else 0.0
