"""Special assistance 专项救助 that follows the caseload: medical, education, housing, disability
two subsidies, employment assistance and funeral fee waivers.

The seeds attach these to recipients of dibao 低保 and tekun 特困 (seed-coverage rows 29, 46–47,
73–77): a household that a standard increase brings into dibao also draws them. Each programme
is a group of dated parameters (``medical.*``, ``education.*``, ``housing.*``, ``disability.*``,
``employment_assistance.*``, ``funeral_waiver.*``) with its own switch ``<group>.enabled``,
packed by :func:`pack_special` into a float64 vector ``s`` (slots ``S_*``) that the engine's
programme kernel reads. One legal concept per function below; the engine makes the draws and
counts the persons (``engine.processes.special_assistance``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numba import njit

from simulation.errors import InputError

#: The programmes (rows of the engine's monthly table, engine.outputs.PROGRAMMES), in order.
PROGRAMMES = ("medical", "education", "housing", "disability_living", "disability_care",
              "employment_assistance", "funeral_waiver")

# ---- slots of the special-assistance vector ``s`` ----------------------------------------------
S_MED_ENABLED = 0
S_MED_CONTRIBUTION = 1  # residents' medical insurance individual contribution, yuan/person/year
S_MED_PREMIUM_TEKUN = 2  # share of the contribution paid for a tekun person (or orphan)
S_MED_PREMIUM_DIBAO = 3  # share paid for a dibao person
S_MED_IN_RATE_ILL = 4  # inpatient cases per seriously ill covered person per year
S_MED_IN_RATE_OTHER = 5  # inpatient cases per other covered person per year
S_MED_IN_COST = 6  # mean post-insurance personal burden per inpatient case, yuan
S_MED_IN_SIGMA = 7  # sd of the log of that burden
S_MED_OUT_RATE_ILL = 8  # outpatient assistance cases per seriously ill person per year
S_MED_OUT_RATE_OTHER = 9
S_MED_OUT_COST = 10  # mean post-insurance outpatient burden per case, yuan
S_MED_RATE_TEKUN = 11  # assistance rate (share of the burden) for tekun persons
S_MED_RATE_DIBAO = 12
S_MED_LIMIT = 13  # annual assistance limit, yuan/person/year
S_EDU_ENABLED = 14
S_EDU_PRESCHOOL = 15  # yuan/student/year, ages 3-5
S_EDU_PRIMARY = 16  # ages 6-11
S_EDU_JUNIOR = 17  # ages 12-14
S_EDU_SENIOR = 18  # ages 15-17
S_EDU_HIGHER = 19  # ages 18-21
S_EDU_ENROL_PRESCHOOL = 20  # share of the age group in school
S_EDU_ENROL_SENIOR = 21
S_EDU_ENROL_HIGHER = 22
S_EDU_MONTHS = 23  # bit m-1: a payment month (school calendar)
S_EDU_N_MONTHS = 24  # number of payment months a year
S_HOUSE_ENABLED = 25
S_HOUSE_RENT = 26  # urban rent subsidy, yuan/household/month
S_HOUSE_RENT_SHARE = 27  # share of urban recipient households housed by a rent subsidy
S_HOUSE_GRANT = 28  # rural dangerous-house renovation grant, yuan/household (once)
S_HOUSE_RATE = 29  # share of rural recipient households renovated a year (the queue)
S_DIS_ENABLED = 30
S_DIS_LIVING_SEVERE = 31  # living subsidy, grades 1-2, yuan/person/month
S_DIS_LIVING_MILD = 32  # grades 3-4
S_DIS_LOW_INCOME = 33  # 1.0: living subsidy extended to low-income families (qijiang §10)
S_DIS_CARE = 34  # care subsidy of the severely disabled, yuan/person/month
S_EMP_ENABLED = 35
S_EMP_RATE = 36  # placements per registered-unemployed member of a dibao household per month
S_EMP_POST = 37  # public-welfare post subsidy, yuan/month
S_EMP_INSURANCE = 38  # social-insurance subsidy, yuan/month
S_EMP_MONTHS = 39  # months paid per placement
S_FUN_ENABLED = 40
S_FUN_AMOUNT = 41  # basic funeral services waived per death, yuan
S_EMP_AGE_MAX = 42  # oldest age placed in a post, years
N_SPECIAL = 43

#: School stages (ages in completed years, first and last) in slot order S_EDU_PRESCHOOL..HIGHER.
STAGE_AGES = ((3, 5), (6, 11), (12, 14), (15, 17), (18, 21))
STAGES = ("preschool", "primary", "junior", "senior", "higher")

#: Parameter paths of each programme and their slot (switch first); packed together.
GROUPS: dict[str, tuple[tuple[str, int], ...]] = {
    "medical": (
        ("medical.enabled", S_MED_ENABLED),
        ("medical.premium.contribution", S_MED_CONTRIBUTION),
        ("medical.premium.share_tekun", S_MED_PREMIUM_TEKUN),
        ("medical.premium.share_dibao", S_MED_PREMIUM_DIBAO),
        ("medical.inpatient.rate_ill", S_MED_IN_RATE_ILL),
        ("medical.inpatient.rate_other", S_MED_IN_RATE_OTHER),
        ("medical.inpatient.cost_mean", S_MED_IN_COST),
        ("medical.inpatient.cost_sigma", S_MED_IN_SIGMA),
        ("medical.outpatient.rate_ill", S_MED_OUT_RATE_ILL),
        ("medical.outpatient.rate_other", S_MED_OUT_RATE_OTHER),
        ("medical.outpatient.cost_mean", S_MED_OUT_COST),
        ("medical.assistance.rate_tekun", S_MED_RATE_TEKUN),
        ("medical.assistance.rate_dibao", S_MED_RATE_DIBAO),
        ("medical.assistance.annual_limit", S_MED_LIMIT),
    ),
    "education": (
        ("education.enabled", S_EDU_ENABLED),
        ("education.preschool", S_EDU_PRESCHOOL),
        ("education.primary", S_EDU_PRIMARY),
        ("education.junior", S_EDU_JUNIOR),
        ("education.senior", S_EDU_SENIOR),
        ("education.higher", S_EDU_HIGHER),
        ("education.enrolment.preschool", S_EDU_ENROL_PRESCHOOL),
        ("education.enrolment.senior", S_EDU_ENROL_SENIOR),
        ("education.enrolment.higher", S_EDU_ENROL_HIGHER),
        ("education.payment_months", S_EDU_MONTHS),
    ),
    "housing": (
        ("housing.enabled", S_HOUSE_ENABLED),
        ("housing.rent.amount", S_HOUSE_RENT),
        ("housing.rent.share", S_HOUSE_RENT_SHARE),
        ("housing.renovation.grant", S_HOUSE_GRANT),
        ("housing.renovation.rate", S_HOUSE_RATE),
    ),
    "disability": (
        ("disability.enabled", S_DIS_ENABLED),
        ("disability.living.severe", S_DIS_LIVING_SEVERE),
        ("disability.living.mild", S_DIS_LIVING_MILD),
        ("disability.living.low_income", S_DIS_LOW_INCOME),
        ("disability.care.amount", S_DIS_CARE),
    ),
    "employment_assistance": (
        ("employment_assistance.enabled", S_EMP_ENABLED),
        ("employment_assistance.placement_rate", S_EMP_RATE),
        ("employment_assistance.post_subsidy", S_EMP_POST),
        ("employment_assistance.insurance_subsidy", S_EMP_INSURANCE),
        ("employment_assistance.months", S_EMP_MONTHS),
        ("employment_assistance.age_max", S_EMP_AGE_MAX),
    ),
    "funeral_waiver": (
        ("funeral_waiver.enabled", S_FUN_ENABLED),
        ("funeral_waiver.amount", S_FUN_AMOUNT),
    ),
}


def pack_special(params: Mapping[str, Any]) -> np.ndarray:
    """The special-assistance parameters as the vector ``s`` (slots ``S_*``).

    Every path of :data:`GROUPS` is required (the national file gives them all); a missing one
    raises :class:`InputError` naming it. A switched-off programme's amounts are packed too, but
    the engine pays nothing for it. Booleans become 0.0/1.0; ``education.payment_months`` a bit
    mask (and its count).
    """
    s = np.zeros(N_SPECIAL, dtype=np.float64)
    for group, paths in GROUPS.items():
        for path, slot in paths:
            if path not in params:
                raise InputError("parameters", path, f"missing parameter ({group} assistance)")
            value = params[path]
            if path == "education.payment_months":
                mask = 0
                for month in value:
                    mask |= 1 << (int(month) - 1)
                s[slot] = float(mask)
                s[S_EDU_N_MONTHS] = float(len(value))
            elif isinstance(value, bool):
                s[slot] = float(value)
            else:
                s[slot] = float(value)
    return s


# ---- medical assistance 医疗救助 ----------------------------------------------------------------
@njit(cache=True)
def premium_subsidy(n_tekun: int, n_dibao: int, s) -> float:
    """Premium subsidy 资助参保 of the residents' medical insurance, yuan per month.

    jiaohe §7 对参加城乡居民基本医疗保险的特困人员、孤儿实行全额补贴，低保对象等其他人员按规定实行定额补贴;
    qijiang §5 分类实施参保缴费资助: a tekun person's individual contribution
    (``medical.premium.contribution``, yuan/year) × ``share_tekun`` (1 = full), a dibao person's
    × ``share_dibao``; a twelfth of the year's subsidy each month a person is covered.
    """
    return s[S_MED_CONTRIBUTION] * (n_tekun * s[S_MED_PREMIUM_TEKUN]
                                    + n_dibao * s[S_MED_PREMIUM_DIBAO]) / 12.0


@njit(cache=True)
def medical_aid(burden: float, rate: float, used: float, limit: float) -> float:
    """Post-insurance medical assistance 医疗费用救助 for one case, yuan.

    lanzhou §七 对重点救助对象发生的政策范围内住院医疗费用，经基本医保、大病保险报销后的个人负担费用，在年度救助限额内按比例及时给予救助:
    ``rate`` × the personal burden left after insurance, within what is left of the year's
    limit (``limit`` − ``used``, never negative).
    """
    left = limit - used
    if left <= 0.0:
        return 0.0
    aid = rate * burden
    return aid if aid < left else left


@njit(cache=True)
def medical_rate(n_tekun: int, n_dibao: int, s) -> float:
    """The household's assistance rate: the tekun rate if it has tekun persons, else dibao's.

    jiaohe §7, lanzhou §七 按比例: the rate is set by class of recipient
    (``medical.assistance.rate_tekun``, ``rate_dibao``).
    """
    if n_tekun > 0:
        return s[S_MED_RATE_TEKUN]
    if n_dibao > 0:
        return s[S_MED_RATE_DIBAO]
    return 0.0


# ---- education assistance 教育救助 --------------------------------------------------------------
@njit(cache=True)
def education_payment(stage: int, cal_month: int, s) -> float:
    """Education assistance for one student of a dibao or tekun household in ``cal_month``, yuan.

    qijiang §6 对低保、特困家庭学生，在学前教育阶段实施保教费、生活费资助；在义务教育阶段落实“两免一补”；…普通高中阶段实施学费、国家助学金资助;
    jiaohe §8, lanzhou §八, boshan §2 (all fees waived, plus a living allowance by stage): the
    stage's yearly amount (``education.<stage>``, ``STAGES`` order) paid in equal parts in the
    school calendar's payment months (``education.payment_months``; 0 in other months).
    """
    if not education_month(cal_month, s):
        return 0.0
    return s[S_EDU_PRESCHOOL + stage] / s[S_EDU_N_MONTHS]


@njit(cache=True)
def education_month(cal_month: int, s) -> bool:
    """Whether ``cal_month`` is a payment month of the school calendar
    (``education.payment_months``)."""
    return (int(s[S_EDU_MONTHS]) >> (cal_month - 1)) & 1 == 1 and s[S_EDU_N_MONTHS] > 0.0


@njit(cache=True)
def school_stage(age: int) -> int:
    """School stage of a person by age (``STAGES`` index; -1 outside school ages)."""
    if age < 3 or age > 21:
        return -1
    if age <= 5:
        return 0
    if age <= 11:
        return 1
    if age <= 14:
        return 2
    if age <= 17:
        return 3
    return 4


@njit(cache=True)
def enrolment_share(stage: int, s) -> float:
    """Share of the stage's age group in school (compulsory stages: all)."""
    if stage == 0:
        return s[S_EDU_ENROL_PRESCHOOL]
    if stage == 3:
        return s[S_EDU_ENROL_SENIOR]
    if stage == 4:
        return s[S_EDU_ENROL_HIGHER]
    return 1.0


# ---- housing assistance 住房救助 ----------------------------------------------------------------
@njit(cache=True)
def rent_subsidy(urban: bool, s) -> float:
    """Urban rent subsidy 租赁补贴, expected yuan per recipient household and month.

    qijiang §7 对符合住房保障条件的城镇低保家庭、分散供养的特困人员…采取实物配租或租赁补贴的方式实施住房救助;
    jiaohe §9, lanzhou §九: ``housing.rent.amount`` for the share ``housing.rent.share`` of
    urban recipient households with a housing difficulty housed this way (the rest in public
    rental housing in kind, or without difficulty); 0 in rural areas.
    """
    if not urban:
        return 0.0
    return s[S_HOUSE_RENT] * s[S_HOUSE_RENT_SHARE]


@njit(cache=True)
def renovation_probability(s) -> float:
    """Monthly chance that a rural recipient household's dangerous house is renovated (the queue).

    qijiang §7 …低保户等重点对象…及时纳入农村危房改造范围，落实改造补助资金; lanzhou §九 对农村住房救助对象优先实施危房改造:
    ``housing.renovation.rate`` of the households not yet renovated a year, a twelfth a month;
    the grant (``housing.renovation.grant``) is paid once in the month of renovation.
    """
    return s[S_HOUSE_RATE] / 12.0


# ---- disability two subsidies 残疾人两项补贴 ----------------------------------------------------
@njit(cache=True)
def disability_living(n_severe: int, n_mild: int, s) -> float:
    """Living subsidy of disabled persons in hardship 困难残疾人生活补贴, yuan/month.

    qijiang §10 稳步提高残疾人“两项补贴”标准; jiaohe §11 落实困难残疾人生活补贴; lanzhou §十二: paid to
    the disabled members of a dibao household (grades 1-2 ``disability.living.severe``, 3-4
    ``disability.living.mild``); to low-income families only when
    ``disability.living.low_income`` extends it (qijiang §10 条件成熟时…延伸至低收入家庭).
    """
    return n_severe * s[S_DIS_LIVING_SEVERE] + n_mild * s[S_DIS_LIVING_MILD]


@njit(cache=True)
def disability_care(n_severe: int, s) -> float:
    """Care subsidy of the severely disabled 重度残疾人护理补贴, yuan/month.

    jiaohe §11 落实…重度残疾人护理补贴制度; lanzhou §十二 残疾人两项补贴: ``disability.care.amount`` for
    each person with a grade 1-2 disability, whatever the household's income (national rule,
    国发〔2015〕52号).
    """
    return n_severe * s[S_DIS_CARE]


# ---- employment assistance 就业救助 ------------------------------------------------------------
@njit(cache=True)
def placement_cost(s) -> tuple[float, float]:
    """Cost of one placement in a public-welfare post 公益性岗位: (post subsidy, social-insurance
    subsidy), yuan.

    qijiang §8 及时为符合条件的救助对象落实…社会保险补贴、公益性岗位补贴; lanzhou §十, jiaohe §10: the post
    subsidy and the social-insurance subsidy (``employment_assistance.post_subsidy``,
    ``insurance_subsidy``, yuan/month) for ``employment_assistance.months``, booked at placement.
    """
    return s[S_EMP_POST] * s[S_EMP_MONTHS], s[S_EMP_INSURANCE] * s[S_EMP_MONTHS]


@njit(cache=True)
def placement_probability(s) -> float:
    """Monthly chance that a registered-unemployed working-age member of a dibao household is
    placed in a public-welfare post (qijiang §8 公益性岗位过渡安置; ``placement_rate``)."""
    return s[S_EMP_RATE]


# ---- funeral fee waivers 基本殡葬服务费减免 ----------------------------------------------------
@njit(cache=True)
def funeral_waiver(deaths: int, s) -> float:
    """Basic funeral services waived 减免基本殡葬服务费用, yuan.

    qijiang §10 对生活困难群众减免其遗体接运、暂存、火化、骨灰寄存等基本殡葬服务费用; jiaohe §11
    为其减免相关费用; lanzhou §十二 基本殡葬(火化)免费服务: ``funeral_waiver.amount`` for each death
    in a dibao or tekun household (on top of tekun's own funeral subsidy).
    """
    return deaths * s[S_FUN_AMOUNT]
