"""The parameter catalogue (参数目录): every policy parameter path, its kind, unit and constraints.

This module is the single source of truth for which parameters exist; docs/contracts.md §1 lists
the same paths for readers. The loader (`loader.py`) validates every YAML value and every reform
against these specs, and `check_value` is the one place where a value's kind is checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Kinds and the unit each kind accepts when the spec does not name a more specific one.
KINDS = (
    "amount",
    "share",
    "multiple",
    "months",
    "age",
    "count",
    "bool",
    "enum",
    "month_list",
    "share_list",
    "multiple_list",
    "rate",
)


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One catalogue entry.

    Attributes:
        path: dotted parameter path, e.g. ``dibao.standard.urban``.
        kind: one of `KINDS`.
        unit: the unit string a YAML file must give for this path.
        description: one line, with the Chinese term.
        at_least_one: for ``multiple``: the rule needs a multiple >= 1.
        choices: for ``enum``: the allowed strings.
        descending: for ``share_list``: the list must be strictly descending.
        max_value: optional upper bound (inclusive) beyond the kind's own bound.
    """

    path: str
    kind: str
    unit: str
    description: str
    at_least_one: bool = False
    choices: tuple[str, ...] = ()
    descending: bool = False
    max_value: float | None = None


def _p(path: str, kind: str, unit: str, description: str, **kw: object) -> ParamSpec:
    return ParamSpec(path, kind, unit, description, **kw)  # type: ignore[arg-type]


_YMP = "yuan/person/month"
_SUPP = ("elderly", "minor", "disabled", "multi_disabled", "severe")
_SUPP_ZH = {
    "elderly": "elderly 70+ 高龄老人",
    "minor": "minors 未成年人",
    "disabled": "disabled persons 残疾人",
    "multi_disabled": "households with several disabled 一户多残",
    "severe": "severely disabled / seriously ill 重残重病",
}
_SERVICES = {
    "haircut": "haircut 理发",
    "laundry": "laundry 洗衣",
    "cleaning": "cleaning 打扫卫生",
    "necessities": "daily necessities 生活用品配送",
}

_SPECS: list[ParamSpec] = [
    # --- dibao 低保 ---
    _p("dibao.standard.urban", "amount", _YMP, "urban dibao standard 城市低保标准"),
    _p("dibao.standard.rural", "amount", _YMP, "rural dibao standard 农村低保标准"),
    _p(
        "dibao.standard.rule",
        "enum",
        "enum",
        "how standards are set 标准制定方式: dated schedule, or share of last year's consumption"
        " (boshan §1) or disposable income (jiaohe §3)",
        choices=("schedule", "consumption_share", "disposable_income_share"),
    ),
    _p(
        "dibao.standard.disposable_income_share.urban",
        "share",
        "share",
        "urban standard as share of last year's urban per-capita disposable income 与可支配收入挂钩",
    ),
    _p(
        "dibao.standard.disposable_income_share.rural",
        "share",
        "share",
        "rural standard as share of last year's rural per-capita disposable income 与可支配收入挂钩",
    ),
    _p(
        "dibao.standard.unification.enabled",
        "bool",
        "bool",
        "rural standard converges on the urban one 城乡低保标准统一 (boshan §1)",
    ),
    _p(
        "dibao.standard.unification.start_year",
        "count",
        "year",
        "unification: last January setting before convergence starts 统一起始年",
    ),
    _p(
        "dibao.standard.unification.target_year",
        "count",
        "year",
        "unification: year from whose January the standards are one 统一目标年",
    ),
    _p(
        "dibao.standard.consumption_share.urban",
        "share",
        "share",
        "urban standard as share of last year's urban per-capita consumption 城市人均消费支出比例",
    ),
    _p(
        "dibao.standard.consumption_share.rural",
        "share",
        "share",
        "rural standard as share of last year's rural per-capita consumption 农村人均消费支出比例",
    ),
    _p(
        "dibao.standard.consumption.urban",
        "amount",
        "yuan/person/year",
        "last year's urban per-capita consumption expenditure 城镇居民人均消费支出",
    ),
    _p(
        "dibao.standard.consumption.rural",
        "amount",
        "yuan/person/year",
        "last year's rural per-capita consumption expenditure 农村居民人均消费支出",
    ),
    _p(
        "dibao.asset_limit_months",
        "months",
        "months",
        "asset test: per-capita financial assets at most this many months of the standard 家庭财产限额",
    ),
    _p(
        "dibao.employment_cost_deduction",
        "share",
        "share",
        "share of earned income deducted as employment cost 必要就业成本扣减",
    ),
    _p(
        "dibao.basic_pension_excluded",
        "bool",
        "bool",
        "residents' basic pension not counted as income 基础养老金不计入",
    ),
    _p(
        "dibao.minimum_payment",
        "amount",
        "yuan/household/month",
        "minimum gap payment per household 补差额度最低标准",
    ),
    _p(
        "dibao.payment_mode",
        "enum",
        "enum",
        "payment mode 发放方式: gap 补差 or tiers 分档",
        choices=("gap", "tiers"),
    ),
    _p(
        "dibao.tiers.urban.shares",
        "share_list",
        "share of standard",
        "urban class payment per person as share of standard 城市分类施保 (全额/差额)",
    ),
    _p(
        "dibao.tiers.rural.shares",
        "share_list",
        "share of standard",
        "rural class payment per person as share of standard 农村分类施保 (一类…四类)",
    ),
    _p(
        "dibao.tiers.urban.gap_thresholds",
        "share_list",
        "share of standard",
        "urban class k if gap share >= threshold k 城市分类门槛 (interpretation)",
        descending=True,
    ),
    _p(
        "dibao.tiers.rural.gap_thresholds",
        "share_list",
        "share of standard",
        "rural class k if gap share >= threshold k 农村分类门槛 (interpretation)",
        descending=True,
    ),
    _p(
        "dibao.tiers.urban.gap_class",
        "count",
        "class",
        "urban class paid its own gap 差额 instead of a share (0 = none) 城市差额对象",
    ),
    _p(
        "dibao.tiers.rural.gap_class",
        "count",
        "class",
        "rural class paid its own gap 差额 instead of a share (0 = none)",
    ),
    _p(
        "dibao.tiers.at_least_gap",
        "bool",
        "bool",
        "tiers: no class pays a household less than its own gap 分档不低于差额 (interpretation)",
    ),
    _p(
        "dibao.tiers.max_above_gap",
        "share",
        "share of standard",
        "tiers: most a class pays per person above the household's gap 分档高于差额上限 (bounds the"
        " step at a class boundary; 1 = no bound)",
    ),
    _p("dibao.supplement.elderly_age", "age", "years", "age from which the elderly supplement applies 高龄"),
]
for _c in _SUPP:
    _SPECS.append(
        _p(
            f"dibao.supplement.{_c}.share",
            "share",
            "share of standard",
            f"supplement 分档增发 for {_SUPP_ZH[_c]}, share of the standard per person",
        )
    )
    _SPECS.append(
        _p(
            f"dibao.supplement.{_c}.amount",
            "amount",
            _YMP,
            f"supplement 分类增发 for {_SUPP_ZH[_c]}, fixed yuan per person",
        )
    )
_SPECS += [
    _p("dibao.single_person.enabled", "bool", "bool", "single-person inclusion 单人户纳入低保"),
    _p(
        "dibao.single_person.income_multiple",
        "multiple",
        "× standard",
        "single-person inclusion: family per-capita income ceiling 单人户收入上限",
        at_least_one=True,
    ),
    _p(
        "dibao.single_person.paralysed_months",
        "months",
        "months",
        "single-person inclusion: qualifying paralysis duration 瘫痪时长",
    ),
    _p(
        "dibao.single_person.benefit_rule",
        "enum",
        "enum",
        "single-person benefit rule 单人保待遇: own gap or share of standard",
        choices=("own_gap", "share_of_standard"),
    ),
    _p(
        "dibao.single_person.benefit_share",
        "share",
        "share of standard",
        "single-person benefit as share of standard 单人保按标准比例",
    ),
    _p("dibao.gradual_exit.enabled", "bool", "bool", "gradual exit 渐退"),
    _p(
        "dibao.gradual_exit.ceiling_multiple",
        "multiple",
        "× standard",
        "gradual exit: exit at once at or above this multiple 渐退上限",
        at_least_one=True,
    ),
    _p("dibao.gradual_exit.months", "months", "months", "gradual exit period 渐退期"),
    _p(
        "dibao.gradual_exit.months_disabled",
        "months",
        "months",
        "gradual exit period, households with a disabled member 有残疾人家庭渐退期",
    ),
    _p(
        "dibao.gradual_exit.payment_schedule",
        "share_list",
        "share of last benefit",
        "gradual exit: share of last benefit paid in exit year 1, 2, … 渐退逐年减发",
    ),
    _p(
        "dibao.gradual_exit.employed_only",
        "bool",
        "bool",
        "gradual exit only for households with an employed member 就业渐退",
    ),
    _p(
        "dibao.review.basis",
        "enum",
        "enum",
        "what sets a dibao household's review calendar 核查频次依据: work capacity A/B/C (qijiang §4)"
        " or payment class (lanzhou §六)",
        choices=("work_capacity", "payment_class"),
    ),
    _p(
        "dibao.review.yearly_classes.urban",
        "count",
        "class",
        "payment basis: urban classes 1..k reviewed yearly (class A months), the rest half-yearly"
        " (class C months) 城市全额对象每年核查",
    ),
    _p(
        "dibao.review.yearly_classes.rural",
        "count",
        "class",
        "payment basis: rural classes 1..k reviewed yearly (class A months), the rest half-yearly"
        " (class C months) 农村一二类对象每年核查",
    ),
    _p("dibao.review.months.A", "month_list", "month of year", "review months, class A A类家庭核查"),
    _p("dibao.review.months.B", "month_list", "month of year", "review months, class B B类家庭核查"),
    _p("dibao.review.months.C", "month_list", "month of year", "review months, class C C类家庭核查"),
    _p("dibao.employment_subsidy.enabled", "bool", "bool", "employment subsidy 就业补贴 (渐退期)"),
    _p(
        "dibao.employment_subsidy.months",
        "months",
        "months",
        "employment subsidy duration 就业补贴期限",
    ),
    # --- low income 低收入 and expenditure hardship 支出型困难 ---
    _p(
        "low_income.multiple",
        "multiple",
        "× standard",
        "low-income ceiling 低收入家庭收入上限",
        at_least_one=True,
    ),
    _p(
        "expenditure_hardship.income_multiple",
        "multiple",
        "× standard",
        "expenditure-type hardship income lower bound 支出型困难收入下限",
        at_least_one=True,
    ),
    _p(
        "expenditure_hardship.disposable_income.urban",
        "amount",
        "yuan/person/year",
        "last year's urban per-capita disposable income 城镇居民人均可支配收入",
    ),
    _p(
        "expenditure_hardship.disposable_income.rural",
        "amount",
        "yuan/person/year",
        "last year's rural per-capita disposable income 农村居民人均可支配收入",
    ),
    # --- tekun 特困 ---
    _p("tekun.elderly_age", "age", "years", "tekun elderly age 特困老年人年龄"),
    _p("tekun.minor_age", "age", "years", "tekun minors covered below this age 特困未成年人年龄"),
    _p(
        "tekun.basis.urban",
        "enum",
        "enum",
        "standard the urban tekun multiple applies to 特困标准基数 (城市)",
        choices=("urban", "rural"),
    ),
    _p(
        "tekun.basis.rural",
        "enum",
        "enum",
        "standard the rural tekun multiple applies to 特困标准基数 (农村)",
        choices=("urban", "rural"),
    ),
]
for _setting, _zh in (("dispersed", "分散供养"), ("centralised", "集中供养")):
    for _area in ("urban", "rural"):
        _SPECS.append(
            _p(
                f"tekun.multiple.{_setting}.{_area}",
                "multiple",
                "× standard",
                f"tekun basic living standard 特困基本生活标准, {_setting} {_zh}, {_area}",
                at_least_one=True,
            )
        )
for _tier, _zh in (("self_care", "生活自理"), ("partial", "部分失能"), ("full", "完全失能")):
    _SPECS.append(_p(f"tekun.care.{_tier}", "amount", _YMP, f"tekun care standard 照料护理标准, {_zh}"))
_SPECS += [
    _p(
        "tekun.funeral_months",
        "months",
        "months",
        "funeral subsidy in months of the basic living standard 丧葬补助",
    ),
    _p("tekun.review.months", "month_list", "month of year", "tekun review months 特困人员核查"),
    # --- temporary assistance 临时救助 ---
    _p("temporary.urgent.amount", "amount", "yuan/case", "urgent-type payment per case 急难型临时救助"),
    _p(
        "temporary.urgent.tier_shares",
        "share_list",
        "share",
        "urgent type: share of cases in each severity tier, least severe first 急难程度分档 (sum 1)",
    ),
    _p(
        "temporary.urgent.tier_factors",
        "multiple_list",
        "× average urgent amount",
        "urgent type: each severity tier's payment as a multiple of temporary.urgent.amount 分档救助标准",
    ),
    _p(
        "temporary.illness.multiple_min",
        "multiple",
        "× monthly urban standard",
        "major illness assistance, lower multiple 支出型 (大病) 下限",
    ),
    _p(
        "temporary.illness.multiple_max",
        "multiple",
        "× monthly urban standard",
        "major illness assistance, upper multiple 支出型 (大病) 上限",
    ),
    _p(
        "temporary.education.multiple_min",
        "multiple",
        "× monthly urban standard",
        "education assistance, lower multiple 支出型 (教育) 下限",
    ),
    _p(
        "temporary.education.multiple_max",
        "multiple",
        "× monthly urban standard",
        "education assistance, upper multiple 支出型 (教育) 上限",
    ),
    _p(
        "temporary.applicant_months",
        "months",
        "months",
        "months of urban standard paid to waiting applicants 先行救助",
    ),
    _p(
        "temporary.applicant_advance",
        "bool",
        "bool",
        "advance to dibao/tekun applicants in a public emergency 突发公共事件先行救助 (jiaohe §15)",
    ),
    _p(
        "temporary.instalments.months",
        "months",
        "months",
        "large expenditure-type cases paid in this many monthly parts 一次审批、分次发放 (1 = at once)",
    ),
    _p(
        "temporary.instalments.threshold",
        "multiple",
        "× monthly urban standard",
        "a case of at least this amount is paid in instalments 分次发放门槛",
    ),
    _p("temporary.township_reserve", "amount", "yuan/township", "township reserve fund 乡镇备用金"),
    _p(
        "temporary.reserve_refilled",
        "bool",
        "bool",
        "the county refills a township's reserve as it is used 备用金按需核定 (else urgent aid stops at it)",
    ),
    # --- price linkage 物价联动 ---
    _p("price_linkage.cpi_trigger", "share", "share", "CPI trigger 物价联动启动条件 (CPI)"),
    _p(
        "price_linkage.food_cpi_trigger",
        "share",
        "share",
        "food CPI trigger 物价联动启动条件 (食品CPI)",
    ),
    _p("price_linkage.floor", "amount", _YMP, "price subsidy floor per person 价格临时补贴最低额"),
    # --- purchased services 政府购买服务 and staffing 人员配备 ---
    _p(
        "services.cap_share",
        "share",
        "share",
        "purchased services cap, share of central+provincial funds 购买服务比例上限",
    ),
]
for _s, _zh in _SERVICES.items():
    _SPECS.append(_p(f"services.unit_cost.{_s}", "amount", "yuan/visit", f"unit cost, {_zh} 单价"))
for _s, _zh in _SERVICES.items():
    _SPECS.append(
        _p(
            f"services.frequency.{_s}",
            "multiple",
            "times/month",
            f"frequency, {_zh} 服务频次",
            max_value=31.0,  # at most daily
        )
    )
_SPECS += [
    _p("staffing.ratio_min", "share", "staff/recipient", "township staff ratio, lower 配备比例下限"),
    _p("staffing.ratio_max", "share", "staff/recipient", "township staff ratio, upper 配备比例上限"),
    _p("staffing.minimum", "count", "staff", "minimum staff in small townships 最低配备人数"),
    _p(
        "staffing.small_threshold",
        "count",
        "recipients",
        "recipients below which the minimum applies 小乡镇门槛",
    ),
    _p("staffing.annual_cost", "amount", "yuan/staff/year", "annual cost per staff member 人员经费"),
    _p("admin.decision_deadline_days", "count", "days", "decision deadline 审核确认时限"),
    _p(
        "admin.deadline_basis",
        "enum",
        "enum",
        "deadline counted in working or calendar days 工作日/自然日",
        choices=("working", "calendar"),
    ),
    # --- the township offices' work (simulation.admin.offices; seed-coverage rows 55, 84-95) ---
    _p("admin.casework_hours", "amount", "hours/staff/month",
       "casework hours a staff member has a month 每人每月经办工时", max_value=744.0),
    _p("admin.hours_per_day", "amount", "hours/day", "working hours a day 每日工时", max_value=24.0),
    _p("admin.notice_days", "count", "days", "public notice period, calendar days 张榜公示期"),
    _p("admin.hours.application", "amount", "hours/task", "intake and check of one application 受理审核"),
    _p("admin.hours.appraisal", "amount", "hours/task", "democratic appraisal of a disputed case 民主评议"),
    _p("admin.hours.notice", "amount", "hours/task", "public notice of a decision 张榜公示"),
    _p("admin.hours.review_data_matching", "amount", "hours/task", "review by data matching 信息比对核查"),
    _p("admin.hours.review_renewal", "amount", "hours/task", "review by renewal declaration 续保申请"),
    _p("admin.hours.review_home_visit", "amount", "hours/task", "review with a home visit 入户调查"),
    _p("admin.hours.reported_change", "amount", "hours/task", "a reported change acted on 变更核查"),
    _p("admin.hours.temporary", "amount", "hours/task", "an urgent temporary-assistance case 临时救助"),
    _p("admin.ineligible_applicants", "multiple", "applicants/applicant",
       "applicants the rules deny per eligible applicant (one-window intake) 一门受理"),
    _p("admin.disputed_share", "share", "share", "share of applications disputed 有争议申请比例"),
    _p("admin.review_share_max", "share", "share",
       "most of the casework hours left after urgent work that reviews take first 核查时间上限"),
    _p("admin.review_lag", "bool", "bool",
       "reviews beyond the offices' hours wait and the payment stays until done 核查延迟"),
    _p("admin.assistants.per_village", "amount", "assistants/village",
       "village assistance assistants 社会救助协理员", max_value=10.0),
    _p("admin.assistants.hours", "amount", "hours/assistant/month",
       "assistance hours an assistant takes off the township office 协理员工时", max_value=744.0),
    _p("admin.assistants.task_share", "share", "share",
       "share of application and review hours assistants can do (intake, visits) 协理员可承担比例"),
    _p("admin.assistants.annual_cost", "amount", "yuan/assistant/year", "assistant allowance 协理员补贴"),
    _p("admin.purchased.hours", "amount", "hours/township/month",
       "casework and survey hours bought per township 购买事务性服务工时"),
    _p("admin.purchased.hour_cost", "amount", "yuan/hour", "price of a bought casework hour 购买服务单价"),
    _p("admin.purchased.posts", "count", "posts/township", "staff posts bought per township 购买岗位"),
    _p("admin.purchased.post_cost", "amount", "yuan/post/year", "price of a bought post 购买岗位经费"),
    _p("services.cap_counts", "enum", "enum",
       "purchases the 2% cap counts: all, or the part paid from subsidy funds 2%上限口径",
       choices=("all", "subsidy_funded")),
    _p("services.subsidy_funded_share", "share", "share",
       "share of purchases paid from the assistance subsidy funds 从救助补助资金列支比例"),
    # --- the engine's dated inputs: incomes, pensions, verification ---
    _p(
        "economy.income_growth.urban",
        "share",
        "share/year",
        "urban income growth after the last published year 城镇居民收入增长（预测假设）",
    ),
    _p(
        "economy.income_growth.rural",
        "share",
        "share/year",
        "rural income growth after the last published year 农村居民收入增长（预测假设）",
    ),
    _p(
        "pension.basic_minimum",
        "amount",
        _YMP,
        "central minimum of the residents' basic pension 城乡居民基础养老金最低标准",
    ),
    _p(
        "dibao.expansion_campaign",
        "bool",
        "bool",
        "expansion campaign in force 应保尽保/兜底保障",
    ),
    _p(
        "verification.campaign",
        "bool",
        "bool",
        "rectification campaign in force 低保专项治理",
    ),
    _p(
        "verification.method_share.data_matching",
        "share",
        "share",
        "share of reviews by data matching 信息比对",
    ),
    _p(
        "verification.method_share.home_visit",
        "share",
        "share",
        "share of reviews with a home visit 入户调查",
    ),
]

# --- special assistance 专项救助 (rules.special): each programme has its switch ---
_YPY = "yuan/person/year"
_SPECIAL_SWITCHES = {
    "medical": "medical assistance 医疗救助", "education": "education assistance 教育救助",
    "housing": "housing assistance 住房救助", "disability": "disability two subsidies 残疾人两项补贴",
    "employment_assistance": "employment assistance 就业救助",
    "funeral_waiver": "basic funeral fee waiver 基本殡葬服务费减免",
}
_SPECS += [_p(f"{_k}.enabled", "bool", "bool", f"{_zh} paid") for _k, _zh in _SPECIAL_SWITCHES.items()]
_STAGES = {  # stage: (what is paid, ages, enrolment rate's name or None for compulsory stages)
    "preschool": ("fees and living allowance 学前教育保教费、生活费资助", "3-5", "毛入园率"),
    "primary": ("living allowance 义务教育“一补”", "6-11", None),
    "junior": ("living allowance 义务教育“一补”", "12-14", None),
    "senior": ("fee waiver and national grant 高中阶段免学费、国家助学金", "15-17", "毛入学率"),
    "higher": ("national grant 高等教育国家助学金", "18-21", "毛入学率"),
}
for _k, (_what, _ages, _enrol) in _STAGES.items():
    _SPECS.append(_p(f"education.{_k}", "amount", "yuan/student/year", f"{_k}: {_what} (ages {_ages})"))
    if _enrol:
        _SPECS.append(_p(f"education.enrolment.{_k}", "share", "share", f"{_k} enrolment {_enrol}"))
_SPECS += [
    _p("medical.premium.contribution", "amount", _YPY,
       "residents' medical insurance individual contribution 城乡居民医保个人缴费"),
    _p("medical.premium.share_tekun", "share", "share",
       "premium subsidy for tekun persons and orphans, share of the contribution 特困全额资助"),
    _p("medical.premium.share_dibao", "share", "share",
       "premium subsidy for dibao persons, share of the contribution 低保定额资助"),
    _p("medical.inpatient.rate_ill", "rate", "cases/person/year",
       "inpatient assistance cases of a seriously ill recipient 住院救助人次 (重病)"),
    _p("medical.inpatient.rate_other", "rate", "cases/person/year",
       "inpatient assistance cases of another recipient 住院救助人次"),
    _p("medical.inpatient.cost_mean", "amount", "yuan/case",
       "mean personal burden of an inpatient case after insurance 医保报销后个人负担"),
    _p("medical.inpatient.cost_sigma", "rate", "sd of log",
       "spread of that burden (sd of its logarithm)"),
    _p("medical.outpatient.rate_ill", "rate", "cases/person/year",
       "outpatient assistance cases of a seriously ill recipient 门诊救助人次 (慢特病)"),
    _p("medical.outpatient.rate_other", "rate", "cases/person/year",
       "outpatient assistance cases of another recipient 门诊救助人次"),
    _p("medical.outpatient.cost_mean", "amount", "yuan/case",
       "mean personal burden of an outpatient case after insurance"),
    _p("medical.assistance.rate_tekun", "share", "share", "assistance rate for tekun 特困救助比例"),
    _p("medical.assistance.rate_dibao", "share", "share", "assistance rate for dibao 低保救助比例"),
    _p("medical.assistance.annual_limit", "amount", _YPY, "annual assistance limit 年度救助限额"),
    _p("education.payment_months", "month_list", "month of year",
       "months education assistance is paid (school calendar, one part each) 按学期发放"),
    _p("housing.rent.amount", "amount", "yuan/household/month", "urban rent subsidy 租赁补贴"),
    _p("housing.rent.share", "share", "share",
       "share of urban recipient households paid a rent subsidy 租赁补贴覆盖率"),
    _p("housing.renovation.grant", "amount", "yuan/household",
       "rural dangerous-house renovation grant 农村危房改造补助 (once)"),
    _p("housing.renovation.rate", "share", "share/year",
       "share of rural recipient households renovated a year (the queue) 危房改造进度"),
    _p("disability.living.severe", "amount", _YMP,
       "living subsidy, grades 1-2 困难残疾人生活补贴 (一、二级)"),
    _p("disability.living.mild", "amount", _YMP,
       "living subsidy, grades 3-4 困难残疾人生活补贴 (三、四级)"),
    _p("disability.living.low_income", "bool", "bool",
       "living subsidy extended to low-income families 延伸至低收入家庭"),
    _p("disability.care.amount", "amount", _YMP, "care subsidy of the severely disabled 重度残疾人护理补贴"),
    _p("employment_assistance.placement_rate", "share", "share/month",
       "placements in public-welfare posts per registered-unemployed dibao member 公益性岗位安置"),
    _p("employment_assistance.post_subsidy", "amount", "yuan/month", "public-welfare post subsidy 公益性岗位补贴"),
    _p("employment_assistance.insurance_subsidy", "amount", "yuan/month",
       "social-insurance subsidy 社会保险补贴"),
    _p("employment_assistance.months", "months", "months", "months paid per placement"),
    _p("employment_assistance.age_max", "age", "years",
       "oldest age placed in a public-welfare post 公益性岗位安置年龄上限"),
    _p("funeral_waiver.amount", "amount", "yuan/death", "basic funeral services waived per death"),
]
CATALOGUE: dict[str, ParamSpec] = {}
for _spec in _SPECS:
    if _spec.path in CATALOGUE:  # a typo in this file must not silently shadow an entry
        raise RuntimeError(f"duplicate catalogue path {_spec.path}")
    if _spec.kind not in KINDS:
        raise RuntimeError(f"unknown kind {_spec.kind} for {_spec.path}")
    CATALOGUE[_spec.path] = _spec

# Pairs (low, high) that must hold on every date: low <= high.
ORDERED_PAIRS: tuple[tuple[str, str], ...] = (
    ("temporary.illness.multiple_min", "temporary.illness.multiple_max"),
    ("temporary.education.multiple_min", "temporary.education.multiple_max"),
    ("staffing.ratio_min", "staffing.ratio_max"),
    ("dibao.standard.unification.start_year", "dibao.standard.unification.target_year"),
)
# Lists that must have the same length on every date.
SAME_LENGTH: tuple[tuple[str, str], ...] = (
    ("temporary.urgent.tier_shares", "temporary.urgent.tier_factors"),
    ("dibao.tiers.urban.shares", "dibao.tiers.urban.gap_thresholds"),
    ("dibao.tiers.rural.shares", "dibao.tiers.rural.gap_thresholds"),
)


def _is_number(v: object) -> bool:
    # bool is an int subclass in Python; a YAML `true` must not pass as an amount.
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_value(spec: ParamSpec, value: object) -> tuple[object, str | None]:
    """Check one value against its spec.

    Returns ``(normalised_value, None)`` when valid (lists become tuples, so values are hashable
    and immutable) or ``(value, message)`` naming what is wrong. Nothing is clipped or coerced:
    an integer amount stays an int, a float stays a float.
    """
    k = spec.kind
    if k == "amount":
        if not _is_number(value):
            return value, "amount must be a number (yuan)"
        if value < 0:
            return value, "amount must not be negative"
    elif k == "share":
        if not _is_number(value):
            return value, "share must be a number between 0 and 1"
        if not 0 <= value <= 1:
            return value, "share must be between 0 and 1"
    elif k == "multiple":
        if not _is_number(value):
            return value, "multiple must be a number"
        if spec.at_least_one and value < 1:
            return value, "multiple must be at least 1 for this rule"
        if value <= 0:
            return value, "multiple must be above 0"
    elif k == "rate":
        if not _is_number(value):
            return value, "rate must be a number"
        if value < 0:
            return value, "rate must not be negative"
    elif k in ("months", "count"):
        if not _is_int(value):
            return value, f"{k} must be a whole number"
        if value < 0:
            return value, f"{k} must not be negative"
    elif k == "age":
        if not _is_int(value):
            return value, "age must be a whole number of years"
        if not 0 <= value <= 120:
            return value, "age must be between 0 and 120"
    elif k == "bool":
        if not isinstance(value, bool):
            return value, "must be true or false"
    elif k == "enum":
        if not isinstance(value, str) or value not in spec.choices:
            return value, f"must be one of {', '.join(spec.choices)}"
    elif k == "month_list":
        if not isinstance(value, list | tuple) or not value:
            return value, "must be a non-empty list of months 1..12"
        if not all(_is_int(m) and 1 <= m <= 12 for m in value):
            return value, "every month must be a whole number 1..12"
        if list(value) != sorted(set(value)):
            return value, "months must be ascending without repeats"
        return tuple(value), None
    elif k == "multiple_list":
        if not isinstance(value, list | tuple) or not value:
            return value, "must be a non-empty list of multiples"
        if not all(_is_number(m) and m > 0 for m in value):
            return value, "every multiple must be a number above 0"
        return tuple(value), None
    elif k == "share_list":
        if not isinstance(value, list | tuple) or not value:
            return value, "must be a non-empty list of shares"
        if not all(_is_number(s) and 0 <= s <= 1 for s in value):
            return value, "every share must be a number between 0 and 1"
        if spec.descending and any(a <= b for a, b in zip(value, value[1:], strict=False)):
            return value, "shares must be strictly descending"
        return tuple(value), None
    else:  # pragma: no cover - guarded at import
        return value, f"unknown kind {k}"
    if spec.max_value is not None and value > spec.max_value:  # type: ignore[operator]
        return value, f"must be at most {spec.max_value}"
    return value, None


def describe(path: str) -> str:
    """One line for a path: kind, unit and meaning (for error messages and docs)."""
    s = CATALOGUE[path]
    return f"{s.path} — {s.kind}, {s.unit} — {s.description}"
