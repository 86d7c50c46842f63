"""Chart and table labels in Chinese and English (标签), and money units.

Every visible word of a chart comes from :data:`LABELS` through :func:`label`, so a chart in
``lang="zh"`` and in ``lang="en"`` differ only in this table.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

#: key -> (Chinese, English)
LABELS: dict[str, tuple[str, str]] = {
    # programmes (the `programme` column of the monthly table, docs/contracts.md §5)
    "dibao": ("低保", "Dibao"),
    "single_inclusion": ("单人户施保", "Single-person dibao"),
    "tekun": ("特困供养", "Tekun support"),
    "temporary": ("临时救助", "Temporary assistance"),
    "price_linkage": ("价格临时补贴", "Price-linkage subsidy"),
    "employment_subsidy": ("就业渐退补贴", "Employment subsidy"),
    "funeral": ("丧葬补助", "Funeral subsidy"),
    # special assistance 专项救助 (rules.special)
    "special": ("专项救助", "Special assistance"),
    "medical": ("医疗救助", "Medical assistance"),
    "education": ("教育救助", "Education assistance"),
    "housing": ("住房救助", "Housing assistance"),
    "disability_living": ("困难残疾人生活补贴", "Disability living subsidy"),
    "disability_care": ("重度残疾人护理补贴", "Severe-disability care subsidy"),
    "employment_assistance": ("就业救助", "Employment assistance"),
    "funeral_waiver": ("殡葬费减免", "Funeral fee waiver"),
    "services": ("购买服务", "Purchased services"),
    "purchased_services": ("购买服务", "Purchased services"),
    "staff": ("经办人员经费", "Staff cost"),
    "assistants": ("社会救助协理员补贴", "Village assistants"),
    "purchased_casework": ("购买事务性服务", "Purchased casework"),
    "purchased_posts": ("购买服务岗位", "Purchased posts"),
    "total": ("合计", "Total"),
    # areas
    "urban": ("城市", "Urban"),
    "rural": ("农村", "Rural"),
    # scenario series
    "baseline": ("基准方案", "Baseline"),
    "reform": ("改革方案", "Reform"),
    "difference": ("增加额", "Difference"),
    "median": ("中位数", "Median"),
    "band": ("P10–P90 区间", "P10–P90 band"),
    # axes and titles
    "year": ("年份", "Year"),
    "month": ("月份", "Month"),
    "township": ("乡镇（街道）", "Township"),
    "persons": ("人数", "Persons"),
    "households": ("户数", "Households"),
    "staff_count": ("工作人员（人）", "Staff"),
    "days": ("天", "Days"),
    "cost_title": ("救助资金支出（按项目）", "Assistance spending by programme"),
    "extra_cost_title": ("提标增支（P10–P90）", "Extra cost of the standard increase (P10–P90)"),
    "decile": ("收入十分位（1 = 最低）", "Income decile (1 = poorest)"),
    "baseline_total": ("基线合计", "Baseline total"),
    "reform_total": ("改革后合计", "Reform total"),
    "mean_change": ("户均月变化（元）", "Mean change per household (yuan/month)"),
    "recipients": ("实际受助户", "Actual recipients"),
    "all_households": ("全部家庭", "All households"),
    "decile_title": ("按收入十分位的户均变化", "Mean change by income decile"),
    "winners": ("受益户", "Winners"),
    "losers_fewer_months": ("受损户：领取月数减少", "Losers: paid for fewer months"),
    "losers_lower_amount": ("受损户：领取金额减少", "Losers: paid less while paid"),
    "winners_title": ("受益户与受损户（实际受助户，按收入十分位）",
                      "Winners and losers among actual recipients, by income decile"),
    "coverage_title": ("救助对象人数", "Persons assisted"),
    "cap_title": ("购买服务支出与 2% 上限", "Purchased services against the 2% cap"),
    "cap": ("2% 上限", "2% cap"),
    "headroom": ("剩余额度", "Headroom"),
    "over_cap": ("超出上限", "Over the cap"),
    "staffing_title": ("乡镇经办人员需求", "Township staff required"),
    "staff_current": ("现有人员", "Current staff"),
    "staff_selected": ("按所选比例配备", "At the selected ratio"),
    "staff_ratio": ("按 {}‰ 配备", "At {}‰"),  # template: the ratio in per mille
    "staff_needed": ("按时办结与复核所需", "Needed to decide and review in time"),
    "backlog_title": ("待办积压与审批天数", "Backlog and days to decision"),
    "backlog": ("积压件数", "Backlog (cases)"),
    "days_to_decision": ("平均审批天数", "Mean days to decision"),
    "days_to_decision_p90": ("审批天数 P90", "Days to decision, P90"),
    "deadline": ("办理时限", "Deadline"),
    "calibration_title": ("模型与 2021 年统计公报对比", "Model against the 2021 bulletin"),
    "model": ("模型", "Model"),
    "published": ("公报", "Published"),
    "ratio_model_published": ("模型 ÷ 公报", "Model ÷ published"),
    "care_tier": ("照料等级", "Care tier"),
    "self_care": ("生活自理", "Self-care"),
    "partial": ("部分失能", "Partly unable"),
    "full": ("完全失能", "Fully unable"),
    "demand_title": ("购买服务需求（按照料等级）", "Service demand by care tier"),
    "haircut": ("理发", "Haircut"),
    "laundry": ("洗衣", "Laundry"),
    "cleaning": ("清洁", "Cleaning"),
    "necessities": ("生活用品", "Necessities"),
}

#: parts of a programme's payment (``payment_<part>`` columns; cost components ``<programme>.<part>``)
PART_LABELS: dict[str, tuple[str, str]] = {
    "gap": ("补差", "gap"),
    "supplement": ("分档增发", "supplements"),
    "gradual_exit": ("渐退", "gradual exit"),
    "basic": ("基本生活", "basic living"),
    "care": ("照料护理", "care"),
    "urgent": ("急难型", "urgent"),
    "illness": ("大病", "illness"),
    "education": ("教育", "education"),
    "applicant": ("申请期间", "while applying"),
    "premium": ("资助参保", "premium subsidy"),
    "inpatient": ("住院救助", "inpatient"),
    "outpatient": ("门诊救助", "outpatient"),
    "preschool": ("学前教育", "pre-school"),
    "compulsory": ("义务教育", "compulsory"),
    "senior": ("高中阶段", "senior secondary"),
    "higher": ("高等教育", "higher education"),
    "rent": ("租赁补贴", "rent subsidy"),
    "renovation": ("危房改造", "house renovation"),
    "welfare_post": ("公益性岗位补贴", "public-welfare post"),
    "insurance_subsidy": ("社会保险补贴", "social-insurance subsidy"),
}

#: money units: (divisor, unit), largest first
_MONEY_UNITS_ZH: tuple[tuple[float, str], ...] = ((1e8, "亿元"), (1e4, "万元"), (1.0, "元"))
_MONEY_UNITS_EN: tuple[tuple[float, str], ...] = (
    (1e9, "billion yuan"),
    (1e6, "million yuan"),
    (1e3, "thousand yuan"),
    (1.0, "yuan"),
)


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if it is ``"zh"`` or ``"en"``; raise ``ValueError`` naming it otherwise."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return lang  # type: ignore[return-value]


def number(value: float) -> str:
    """A number for a chart annotation: thousands separators, no exponent, 3–4 significant digits."""
    size = abs(value)
    return f"{value:,.0f}" if size >= 100 else f"{value:,.1f}" if size >= 10 else f"{value:,.2f}"


def component_label(key: str, lang: Lang = "zh") -> str | None:
    """Label of a cost component ``<programme>.<part>`` (e.g. 低保·补差), or None if unknown."""
    programme, _, part = key.partition(".")
    if programme not in LABELS or part not in PART_LABELS:
        return None
    zh, en = PART_LABELS[part]
    return f"{label(programme, lang)}·{zh}" if lang == "zh" else f"{label(programme, lang)}: {en}"


def label(key: str, lang: Lang = "zh") -> str:
    """The label for ``key`` in ``lang``; unknown keys raise ``KeyError`` naming the key."""
    check_lang(lang)
    try:
        zh, en = LABELS[key]
    except KeyError:
        raise KeyError(f"no chart label for {key!r}; add it to simulation.reporting.labels.LABELS") from None
    return zh if lang == "zh" else en


def money_unit(largest: float, lang: Lang = "zh") -> tuple[float, str]:
    """Divisor and unit name that show ``largest`` (yuan) with a few digits before the point.

    Chinese finance tables count in 万元 and 亿元; English ones in thousand / million / billion yuan.
    """
    check_lang(lang)
    size = abs(float(largest))
    units = _MONEY_UNITS_ZH if lang == "zh" else _MONEY_UNITS_EN
    # the smallest unit (yuan) always matches, so next() cannot fail
    return next((d, name) for d, name in units if size >= d * 10 or d == 1.0)
