"""Review classes 分类管理 (A/B/C) that set how often a dibao household is reviewed."""

from __future__ import annotations

from numba import njit

from simulation.population.columns import DISABILITY_SEVERE, LABOUR_FULL, LABOUR_PARTIAL
from simulation.rules.params import P_REVIEW_YEARLY_CLASSES

CLASS_A, CLASS_B, CLASS_C, CLASS_TEKUN = 0, 1, 2, 3
REVIEW_CLASSES = ("A", "B", "C", "T")

CAPACITY_NONE, CAPACITY_PARTIAL, CAPACITY_FULL = 0, 1, 2


@njit(cache=True)
def work_capacity(age: int, labour_ability: int, disability: int, serious_illness: bool,
                  minor_age: float, elderly_age: float) -> int:
    """Work capacity of one member: none, partial or full (``CAPACITY_*``).

    Interpretation (digest §4): only working-age members (``tekun.minor_age`` ≤ age <
    ``tekun.elderly_age``) who are neither severely disabled nor seriously ill can work;
    their capacity is their labour ability.
    """
    if age < minor_age or age >= elderly_age:
        return CAPACITY_NONE
    if disability == DISABILITY_SEVERE or serious_illness:
        return CAPACITY_NONE
    if labour_ability == LABOUR_FULL:
        return CAPACITY_FULL
    if labour_ability == LABOUR_PARTIAL:
        return CAPACITY_PARTIAL
    return CAPACITY_NONE


@njit(cache=True)
def review_class(max_capacity: int, tekun_only: bool) -> int:
    """Review class from the household's highest member work capacity.

    qijiang §4: tekun and class-A households (little change expected) yearly in March; class B
    and C (unstable income, members able to work) in March and September; lanzhou §六 similar.
    Interpretation: A = no member able to work, B = partial capacity only, C = a member with full
    capacity; a household whose only support is tekun is reviewed as tekun (``T``).
    """
    if tekun_only:
        return CLASS_TEKUN
    if max_capacity == CAPACITY_FULL:
        return CLASS_C
    if max_capacity == CAPACITY_PARTIAL:
        return CLASS_B
    return CLASS_A


@njit(cache=True)
def review_class_by_payment(tier: int, area: int, p) -> int:
    """Review class from the household's payment class 分档 (``dibao.review.basis: payment_class``).

    lanzhou §六 对特困人员、城市低保全额对象、农村低保一二类对象家庭每年核查一次;对城市低保差额对象、
    农村低保三四类对象家庭每半年核查一次: classes 1..``dibao.review.yearly_classes.<area>`` are
    reviewed yearly (on the class-A months), later classes every six months (class-C months).
    """
    if tier <= p[P_REVIEW_YEARLY_CLASSES + area]:
        return CLASS_A
    return CLASS_C
