"""Excel workbook for the finance bureau (财政局), written with xlsxwriter.

The first sheet answers the question in Chinese and English: what the reform is, what it costs
and what it adds per year and for the whole horizon, in 万元 with P10–P90 — the run's one figure
(``headline``, summary.py) — with a native chart of the extra cost and its band. The other sheets
give cost and extra cost by component, distribution, coverage, purchased services against the
cap, staffing and decisions, and the parameters with unit, reference and the rows the reform
changed marked. Money is in 万元, persons and households whole, years as years, ratios in ‰,
shares in %; every sheet has widths that fit its content, frozen headings, and prints landscape,
one page wide, with its headings repeated. Values, not formulas (a formula reads back as 0 in
viewers that do not recalculate). The file is written beside its target and renamed into place,
so a failed export leaves any earlier file untouched.
"""

from __future__ import annotations

import os
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.scenarios import summary as S

#: Column headings: name -> (Chinese, English).
HEADINGS: dict[str, tuple[str, str]] = {
    "variant": ("方案", "Variant"), "year": ("年度", "Year"), "period": ("期间", "Period"),
    "component": ("支出项目", "Component"), "programme": ("项目", "Programme"), "locality": ("地区", "Locality"),
    "mean": ("均值", "Mean"), "p10": ("P10", "P10"), "p50": ("中位数 P50", "Median P50"), "p90": ("P90", "P90"),
    "replications": ("重复次数", "Replications"), "ratio": ("配备比例", "Staff ratio"),
    "staff_mean": ("平均人数", "Staff (mean)"), "backlog_max": ("最大积压(件)", "Max backlog (applications)"),
    "days_mean": ("平均办理天数", "Mean days to decision"), "days_max": ("最长办理天数", "Max days to decision"),
    "share_within_limit": ("按时办结的乡镇月占比", "Township-months deciding within the limit"),
    "deadline_days": ("法定时限(天)", "Legal limit (days)"), "persons_needing_care": ("需照料人数", "Persons needing care"),
    "cost": ("支出(万元)", "Cost (10,000 yuan)"), "cap": ("上限(万元)", "Cap (10,000 yuan)"),
    "shortfall": ("缺口(正)/余量(负)(万元)", "Shortfall (+) / headroom (−)"),
    "affordable_coverage": ("上限可覆盖比例", "Share of package the cap affords"),
    "parameter": ("参数", "Parameter"), "description": ("说明", "Meaning"), "unit": ("单位", "Unit"),
    "reference": ("依据", "Reference"), "changed": ("改革调整", "Changed by the reform"),
    "backlog_mean": ("平均积压(件)", "Mean backlog (cases)"), "decisions": ("决定数", "Decisions"),
    "decisions_late": ("超时决定数", "Late decisions"), "days_to_decision_mean": ("平均办理天数", "Mean days to decision"),
    "late_share": ("超时比例", "Share decided late"), "township": ("乡镇", "Township"),
    "recipients": ("救助对象(人)", "Recipients (persons)"), "staff": ("所需人员(人)", "Staff required"),
    "staff_cost": ("人员经费(万元/年)", "Staff cost (10,000 yuan/year)"),
    "group": ("人群", "Group"), "category": ("类别", "Category"), "side": ("受益/受损", "Gain or loss"),
    "households": ("户数", "Households"), "persons": ("人数", "Persons"),
    "mean_change": ("户均变化(元/月)", "Mean change per household (yuan/month)"),
    "standard_increase_weighted": ("标准平均提高(元/人/月)", "Mean standard increase (yuan/person/month)"),
    "extra_cost_per_year": ("年增支(万元)", "Extra cost per year (10,000 yuan)"),
    "cost_per_yuan_of_standard": ("标准每提高1元年增支(万元)", "Extra per year per yuan of standard"),
    "cost_p50": ("支出 中位数", "Cost P50"), "cost_p10": ("支出 P10", "Cost P10"), "cost_p90": ("支出 P90", "Cost P90"),
    "extra_p50": ("增支 中位数", "Extra P50"), "extra_p10": ("增支 P10", "Extra P10"), "extra_p90": ("增支 P90", "Extra P90"),
    "base_p50": ("基线 中位数", "Baseline P50"), "base_p10": ("基线 P10", "Baseline P10"),
    "base_p90": ("基线 P90", "Baseline P90"),
    "decile": ("收入十分位", "Income decile"), "population": ("人群", "Population"),
    "winners": ("受益户", "Winners (households)"), "losers": ("受损户", "Losers (households)"),
    "unchanged": ("不变户", "Unchanged (households)"), "change_total": ("全期变化合计(万元)", "Total change over the horizon (10,000 yuan)"),
    "mean_change_all": ("户均变化(元/月)", "Mean change (yuan/month)"), "line": ("贫困线", "Poverty line"),
    "headcount_before": ("改革前人数", "Persons below, before"), "headcount_after": ("改革后人数", "Persons below, after"),
    "gap_before": ("改革前缺口(万元/月)", "Gap before (10,000 yuan/month)"),
    "gap_after": ("改革后缺口(万元/月)", "Gap after (10,000 yuan/month)"),
    "rate_before": ("改革前比例", "Rate before"), "rate_after": ("改革后比例", "Rate after"),
    "losers_fewer_months": ("受损:领取月数减少", "Losers: paid for fewer months"),
    "losers_lower_amount": ("受损:金额减少", "Losers: paid less while paid"),
    "line_value": ("贫困线(元/人/月)", "Line (yuan/person/month)"),
    "extra_share_p50": ("占增支比例(中位数)", "Share of the extra cost (median)"),
    "payments_vs_own": ("救助金变化(万元/年)", "Change in benefit payments (10,000 yuan/year)"),
    "extra_vs_own": ("合计变化(万元/年)", "Total change (10,000 yuan/year)"),
    "offices_from": ("测算方式", "Offices from"),
    "reviews_late": ("未按月复核(户次)", "Reviews missing their month"),
    "reviews_fell_due": ("应复核(户次)", "Reviews falling due"),
    "reviews_late_share": ("未按月复核比例", "Share of reviews missing their month"),
}
#: How each column is written (overridable per table): money columns hold yuan and are shown in 万元.
KINDS: dict[str, str] = {
    "year": "year", "replications": "int", "cost": "wan", "cap": "wan", "shortfall": "wan",
    "affordable_coverage": "percent", "ratio": "permille", "staff_mean": "int", "backlog_max": "int",
    "days_mean": "days", "days_max": "days", "share_within_limit": "percent", "deadline_days": "int",
    "persons_needing_care": "int", "backlog_mean": "int", "decisions": "int", "decisions_late": "int",
    "days_to_decision_mean": "days", "late_share": "percent", "recipients": "int", "staff": "int",
    "staff_cost": "wan", "households": "int", "persons": "int", "mean_change": "yuan",
    "standard_increase_weighted": "yuan", "extra_cost_per_year": "wan", "cost_per_yuan_of_standard": "wan",
    "winners": "int", "losers": "int", "unchanged": "int", "change_total": "wan", "mean_change_all": "yuan",
    "headcount_before": "int", "headcount_after": "int", "gap_before": "wan", "gap_after": "wan",
    "rate_before": "percent", "rate_after": "percent", "decile": "int", "losers_fewer_months": "int",
    "losers_lower_amount": "int", "line_value": "yuan", "payments_vs_own": "wan", "extra_vs_own": "wan",
    "reviews_late": "int", "reviews_fell_due": "int", "reviews_late_share": "percent",
    **{f"{v}_{q}": "wan" for v in ("cost", "extra", "base") for q in ("p10", "p50", "p90")},
}
#: Category values shown in words (coverage gaps, groups, gains and losses).
VALUE_LABELS: dict[str, str] = {
    "eligible_not_applied": "符合条件未申请 Eligible, not applied",
    "eligible_waiting": "符合条件待审批 Eligible, waiting for a decision",
    "receiving_gradual_exit": "渐退期内 Receiving in gradual exit",
    "receiving_until_review": "待复核仍获救助 Receiving until the next review",
    "all": "全部 All", "elderly": "有老年人(60+) With an elderly member", "children": "有未成年人 With a child",
    "disabled": "有残疾人 With a disabled member", "gain": "受益 Gain", "loss": "受损 Loss",
    "recipients": "实际受助户 Actual recipients", "households": "全部家庭 All households",
    "dibao_standard": "低保标准 Dibao standard", "relative": "相对贫困线 Relative line",
    S.FROM_ENGINE: "按该比例运行模型 Engine run at this ratio",
    S.FROM_REPLAY: "按本方案运行结果重算(救助金不变) Replay of the variant's own run (payments as run)",
}
NUMBER_FORMATS = {"wan": "#,##0.0", "int": "#,##0", "year": "0", "percent": "0.0%", "permille": '0.0"‰"',
                  "days": "#,##0.0", "yuan": "#,##0.0", "number": "#,##0.00"}
SHEETS = {
    "summary": "答复 Answer", "cost": "支出 Cost", "difference": "增支 Extra cost",
    "distribution": "分配 Distribution", "coverage": "覆盖 Coverage", "cap": "服务上限 Services cap",
    "staffing": "人员 Staffing", "queue": "办理时限 Decisions", "parameters": "参数 Parameters",
    "chart_data": "图表数据 Chart data",
}
#: Widest column (characters); longer text wraps.
MAX_WIDTH = 60
#: Heading cells wrap beyond this width.
HEAD_WIDTH = 18
#: Row height (points) per line of wrapped text (CJK glyphs are taller than the default 15).
LINE_HEIGHT = 16


def _lines(text: str, width: int) -> int:
    """Lines a text wraps to in a column ``width`` characters wide."""
    return max(1, -(-text_width(text) // max(width, 1)))


def _bilingual(key: str) -> str:
    """'中文 English' for a programme or cost component from the reporting layer's labels
    (simulation.reporting.labels, one table for charts and workbooks); the key when unknown."""
    from simulation.reporting.labels import LABELS, component_label

    if key in LABELS:
        zh, en = LABELS[key]
        return f"{zh} {en}"
    zh_c, en_c = component_label(key, "zh"), component_label(key, "en")
    return f"{zh_c} {en_c}" if zh_c and en_c else key


def text_width(value: object) -> int:
    """Columns a value takes on screen: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def _month_words(day: str) -> tuple[str, str]:
    y, m = int(day[:4]), int(day[5:7])
    return f"{y}年{m}月", pd.Timestamp(year=y, month=m, day=1).strftime("%B %Y")


def describe_changes(changes: Mapping[str, Any]) -> tuple[str, str]:
    """A reform's changes in words (Chinese, English), e.g. 城乡低保标准自2025年1月起提高5%."""
    from simulation.policy.schema import CATALOGUE

    def words(spec: Any) -> tuple[str, str]:
        if isinstance(spec, Mapping) and "from" in spec:
            zh_from, en_from = _month_words(str(spec["from"]))
            if "scale" in spec:
                pct = (float(spec["scale"]) - 1.0) * 100.0
                return (f"自{zh_from}起{'提高' if pct >= 0 else '降低'}{abs(pct):g}%",
                        f"{pct:+g}% from {en_from}")
            add = float(spec.get("add", 0.0))
            return (f"自{zh_from}起每人每月{'提高' if add >= 0 else '降低'}{abs(add):g}元",
                    f"{add:+g} yuan/person/month from {en_from}")
        if isinstance(spec, Mapping):
            items = sorted((str(k), v.get("value", v) if isinstance(v, Mapping) else v) for k, v in spec.items())
            return ("；".join(f"{_month_words(d)[0]}起为{v}" for d, v in items),
                    "; ".join(f"{v} from {_month_words(d)[1]}" for d, v in items))
        return str(spec), str(spec)

    zh_parts, en_parts = [], []
    standards = [f"dibao.standard.{a}" for a in ("urban", "rural")]
    rest = dict(changes)
    if all(p in rest for p in standards) and rest[standards[0]] == rest[standards[1]]:
        zh, en = words(rest.pop(standards[0]))
        rest.pop(standards[1])
        zh_parts.append(f"城乡低保标准{zh}")
        en_parts.append(f"urban and rural dibao standards {en}")
    for path, spec in rest.items():
        zh, en = words(spec)
        meaning = CATALOGUE[path].description if path in CATALOGUE else path
        zh_parts.append(f"{meaning}（{path}）{zh}")
        en_parts.append(f"{path} {en}")
    return ("；".join(zh_parts) or "现行政策", "; ".join(en_parts) or "current policy")


def variant_names(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Display name per variant: Chinese label (or the changes in words) and English words."""
    out = {}
    for i, v in enumerate(manifest.get("variants", [])):
        if i == 0:
            out[v["name"]] = "基线 Baseline"
            continue
        zh, en = describe_changes(v.get("changes") or {})
        short = en.replace("urban and rural dibao standards ", "").split(" from ")[0]
        out[v["name"]] = f"{v.get('label_zh') or zh} {short}"
    return out


class _Writer:
    """Formats, widths and print set-up shared by the sheets of one workbook."""

    def __init__(self, wb: Any, names: Mapping[str, str]) -> None:
        self.wb, self.names = wb, names
        self.fmt = {
            "title": wb.add_format({"bold": True, "font_size": 14}),
            "subtitle": wb.add_format({"bold": True, "font_size": 11}),
            "head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                   "valign": "top"}),
            "text": wb.add_format({"valign": "top"}),
            "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
            "note": wb.add_format({"italic": True, "font_color": "#555555"}),
            "mark": wb.add_format({"bg_color": "#FFF2CC", "valign": "top", "text_wrap": True}),
            "key": wb.add_format({"bold": True, "font_size": 12, "font_color": "#1F4E79"}),
        }
        for kind, code in NUMBER_FORMATS.items():
            self.fmt[kind] = wb.add_format({"num_format": code, "valign": "top"})
            self.fmt[f"{kind}_mark"] = wb.add_format({"num_format": code, "bg_color": "#FFF2CC", "valign": "top"})
        self.widths: dict[str, dict[int, int]] = {}
        self.header_rows: dict[str, tuple[int, int]] = {}

    def sheet(self, key: str) -> Any:
        ws = self.wb.add_worksheet(SHEETS[key])
        self.widths[ws.name] = {}
        return ws

    def fit(self, ws: Any, col: int, width: int) -> None:
        w = self.widths[ws.name]
        w[col] = max(w.get(col, 8), min(width + 2, MAX_WIDTH))

    def note(self, ws: Any, row: int, text: str) -> int:
        ws.write_string(row, 0, text, self.fmt["note"])
        return row + 1

    def table(self, ws: Any, df: pd.DataFrame, row: int, title: str | None = None,
              kinds: Mapping[str, str] | None = None, mark: str | None = None,
              widths: Mapping[str, int] | None = None) -> int:
        """Two heading rows (Chinese, English) and the values; returns the next free row.

        ``kinds`` overrides :data:`KINDS` per column; ``mark`` names a boolean column whose true
        rows are highlighted (written as 是 yes / blank); ``widths`` fixes a column's width (its
        longer texts wrap, and their rows are made tall enough)."""
        kinds = {**KINDS, **(kinds or {})}
        limit = {j: (widths or {}).get(col, MAX_WIDTH) for j, col in enumerate(df.columns)}
        if title:
            ws.write_string(row, 0, title, self.fmt["subtitle"])
            row += 1
        for k, lang in enumerate((0, 1)):
            lines = 1
            for j, col in enumerate(df.columns):
                text = HEADINGS.get(col, (col, col))[lang]
                ws.write_string(row + k, j, text, self.fmt["head"])
                self.fit(ws, j, min(text_width(text), HEAD_WIDTH))
                lines = max(lines, _lines(text, HEAD_WIDTH))
            if lines > 1:
                ws.set_row(row + k, LINE_HEIGHT * lines)
        self.header_rows.setdefault(ws.name, (row, row + 1))
        row += 2
        marked = df[mark].to_numpy(dtype=bool) if mark else None
        for i, rec in enumerate(df.itertuples(index=False)):
            lines = 1
            suffix = "_mark" if marked is not None and marked[i] else ""
            for j, (col, v) in enumerate(zip(df.columns, rec, strict=True)):
                kind = kinds.get(col, "text")
                if col == mark:
                    text = "是 yes" if v else ""
                    ws.write_string(row, j, text, self.fmt["mark" if suffix else "text"])
                    self.fit(ws, j, text_width(text))
                elif isinstance(v, bool | str) or kind == "text" or v is None or (isinstance(v, float) and pd.isna(v)):
                    text = ("是 yes" if v else "否 no") if isinstance(v, bool) else "" if v is None or (
                        isinstance(v, float) and pd.isna(v)) else self.names.get(str(v), VALUE_LABELS.get(str(v), _bilingual(str(v))))
                    wraps = text_width(text) > limit[j] - 2
                    ws.write_string(row, j, text, self.fmt["mark" if suffix else ("wrap" if wraps else "text")])
                    self.fit(ws, j, min(text_width(text), limit[j] - 2))
                    lines = max(lines, _lines(text, limit[j] - 2))
                else:
                    x = float(v)
                    if x in (float("inf"), float("-inf")):
                        ws.write_string(row, j, "∞", self.fmt["text"])
                        continue
                    x = x / 1e4 if kind == "wan" else x * 1000 if kind == "permille" else x
                    ws.write_number(row, j, round(x) if kind in ("int", "year") else x, self.fmt[kind + suffix])
                    self.fit(ws, j, len(_shown(x, kind)))
            if lines > 1:
                ws.set_row(row, LINE_HEIGHT * lines)
            row += 1
        return row + 1

    def finish(self, ws: Any, landscape: bool = True) -> None:
        """Widths, frozen headings and print set-up (A4 landscape, one page wide, headings repeated)."""
        for col, width in self.widths[ws.name].items():
            ws.set_column(col, col, width)
        first, last = self.header_rows.get(ws.name, (0, 0))
        if ws.name != SHEETS["summary"]:
            ws.freeze_panes(last + 1, 0)
            ws.repeat_rows(first, last)
        if landscape:
            ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer(f"&L{ws.name}&R&P / &N")


def _shown(x: float, kind: str) -> str:
    """How a number looks in its format (for the column width)."""
    if kind in ("int", "year"):
        return f"{x:,.0f}" if kind == "int" else f"{x:.0f}"
    if kind == "percent":
        return f"{100 * x:,.1f}%"
    if kind == "permille":
        return f"{x:,.1f}‰"
    return f"{x:,.1f}"


def _answer(w: _Writer, tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any], baseline: str) -> None:
    """The first sheet: the question answered in Chinese and English, with the extra-cost chart."""
    ws = w.sheet("summary")
    head = tables["headline"]
    variants = manifest.get("variants", [])
    locality = ", ".join(manifest.get("localities", []))
    name_zh = manifest.get("locality_name_zh") or locality
    reforms = [v for v in variants[1:]]
    periods = list(dict.fromkeys(head["period"]))
    whole = periods[-1]
    row = 0
    ws.write_string(row, 0, f"{name_zh} 社会救助改革支出测算", w.fmt["title"])
    ws.write_string(row + 1, 0, f"{locality}: what the reform costs, {whole}", w.fmt["subtitle"])
    row += 3
    start, months = str(manifest.get("start")), int(manifest.get("months") or 0)
    zh_start, en_start = _month_words(f"{start}-01")
    reps = int(head["replications"].max())
    facts = [("测算期 Horizon", f"{zh_start}起{months}个月 {months} months from {en_start} ({whole})"),
             ("重复次数 Replications", f"{reps}次,每次抽取新的人口样本与随机数 {reps}, each with its own population "
                                      "sample and random draws"),
             ("样本 Sample", f"{(manifest.get('population') or {}).get('households') or 'profile'} 户 households "
                            "(按权数推算至全域 weighted to the whole locality)")]
    for k, v in enumerate(reforms):
        zh, en = describe_changes(v.get("changes") or {})
        facts.insert(k, ("改革内容 Reform" if len(reforms) == 1 else f"改革{k + 1} Reform {k + 1}",
                         f"{zh}。{en[:1].upper() + en[1:]}."))
    for label, text in facts:
        ws.write_string(row, 0, label, w.fmt["subtitle"])
        ws.write_string(row, 1, text, w.fmt["text"])
        row += 1
    row += 1
    by = head.set_index(["variant", "period"])
    for v in reforms:
        r = by.loc[(v["name"], whole)]
        zh_key = (f"{v.get('label_zh') or v['name']}：{whole}合计增支 {S.wan(r['extra_p50'])} 万元"
                  f"（P10–P90：{S.wan(r['extra_p10'])}–{S.wan(r['extra_p90'])} 万元）")
        en_key = (f"Extra cost {whole}: {S.wan(r['extra_p50'])} × 10,000 yuan "
                  f"(P10–P90 {S.wan(r['extra_p10'])}–{S.wan(r['extra_p90'])})")
        ws.write_string(row, 0, zh_key, w.fmt["key"])
        ws.write_string(row + 1, 0, en_key, w.fmt["key"])
        row += 3
    first_table = row
    for v in reforms:
        part = head[head["variant"] == v["name"]].set_index("period")
        base = head[head["variant"] == baseline].set_index("period").reindex(part.index)
        t = pd.DataFrame({"period": part.index,
                          **{f"base_{q}": base[f"cost_{q}"].to_numpy() for q in ("p50", "p10", "p90")},
                          **{f"cost_{q}": part[f"cost_{q}"].to_numpy() for q in ("p50", "p10", "p90")},
                          **{f"extra_{q}": part[f"extra_{q}"].to_numpy() for q in ("p50", "p10", "p90")}})
        row = w.table(ws, t, row, f"{v.get('label_zh') or v['name']}：年度与{whole}合计(万元) "
                                  f"Per year and for {whole} (10,000 yuan)")
        r = by.loc[(v["name"], whole)]
        row = w.note(ws, row - 1, f"P10/P90 的蒙特卡洛误差 Monte Carlo error of the band ({whole}): "
                                  f"P10 ± {S.wan(r['extra_p10_se'])}, P90 ± {S.wan(r['extra_p90_se'])} 万元") + 1
    if not reforms:
        t = head[["period", "cost_p50", "cost_p10", "cost_p90"]]
        row = w.table(ws, t, row, "支出(万元) Cost (10,000 yuan)")
    row = w.note(ws, row, "每次重复中改革与基线使用同一人口与同一随机数,增支逐次相减后按年与全期加总,再取分位数。"
                          "Each replication runs the reform and the baseline on the same population and draws; "
                          "the extra cost is taken per replication, summed, then banded.")
    if "services_cap" in tables and bool(tables["services_cap"]["cap_base_is_estimate"].any()):
        row = w.note(ws, row, "购买服务2%上限的资金基数为估算值 The base of the 2% services cap is an ESTIMATE.")
    row = w.note(ws, row, f"运行编号 Run: {manifest.get('run_id', '')}  {manifest.get('created_utc', '')}  "
                    f"socsim {manifest.get('package_version', '')}".strip())
    # the long text cells of this sheet spill right; fixed widths keep the table readable
    w.widths[ws.name][0] = max(w.widths[ws.name].get(0, 0), 24)
    w.header_rows[ws.name] = (first_table, first_table + 2)
    for k, (v, d, first, last) in enumerate(_chart_layout(tables, reforms, baseline)):
        # below the tables, per reform its extra cost and its cost side by side: the page stays
        # as wide as the table
        ws.insert_chart(row + 2 + 19 * k, 0, _extra_chart(w, v, first, last))
        ws.insert_chart(row + 2 + 19 * k, 5, _cost_chart(w, v, first, last, _axis_floor(d)))
    if len(reforms) > 1:  # a printed page holds a reform's two charts whole
        ws.set_h_pagebreaks([row + 1 + 19 * k for k in range(1, len(reforms))])
    w.finish(ws)


def _chart_rows(tables: Mapping[str, pd.DataFrame], variant: str, baseline: str) -> pd.DataFrame:
    """Yearly chart data of one reform in 万元: baseline and reform cost (P50, P10, P90), and the
    extra cost's P10, band width and P50."""
    head = tables["headline"]
    years = head[head["period"].str.len() == 4]
    r = years[years["variant"] == variant].set_index("period")
    b = years[years["variant"] == baseline].set_index("period").reindex(r.index)
    return pd.DataFrame({
        "year": r.index.astype(int),
        **{f"base_{q}": b[f"cost_{q}"].to_numpy() / 1e4 for q in ("p50", "p10", "p90")},
        **{f"reform_{q}": r[f"cost_{q}"].to_numpy() / 1e4 for q in ("p50", "p10", "p90")},
        "extra_p10": r["extra_p10"].to_numpy() / 1e4, "extra_width": (r["extra_p90"] - r["extra_p10"]).to_numpy() / 1e4,
        "extra_p50": r["extra_p50"].to_numpy() / 1e4})


CHART_HEADS = ["年度 Year", "基线 Baseline P50", "基线 P10", "基线 P90", "改革 Reform P50", "改革 P10",
               "改革 P90", "增支 P10", "带宽 P90−P10", "增支 Extra P50"]


def _chart_layout(tables: Mapping[str, pd.DataFrame], reforms: Sequence[Mapping[str, Any]],
                  baseline: str) -> list[tuple[Mapping[str, Any], pd.DataFrame, int, int]]:
    """Per reform: its chart data and the first and last data rows on the chart-data sheet."""
    out, start = [], 0
    for v in reforms:
        d = _chart_rows(tables, v["name"], baseline)
        out.append((v, d, start + 2, start + 1 + len(d)))
        start += len(d) + 4
    return out


def _ref(first: int, last: int, col: int) -> list:
    return [SHEETS["chart_data"], first, col, last, col]


def _extra_chart(w: _Writer, v: Mapping[str, Any], first: int, last: int) -> Any:
    """Extra cost per year: the P50 line (values written on it) on a shaded P10–P90 band."""
    band = w.wb.add_chart({"type": "area", "subtype": "stacked"})
    band.add_series({"name": "P10", "categories": _ref(first, last, 0), "values": _ref(first, last, 7),
                     "fill": {"none": True}, "border": {"none": True}})
    band.add_series({"name": "P10–P90", "categories": _ref(first, last, 0), "values": _ref(first, last, 8),
                     "fill": {"color": "#9DC3E6", "transparency": 40}, "border": {"none": True}})
    line = w.wb.add_chart({"type": "line"})
    line.add_series({"name": "增支 Extra cost P50", "categories": _ref(first, last, 0), "values": _ref(first, last, 9),
                     "marker": {"type": "circle"}, "line": {"color": "#1F4E79", "width": 2.25},
                     "data_labels": {"value": True, "position": "above", "num_format": "#,##0.0"}})
    band.combine(line)
    band.set_title({"name": f"{v.get('label_zh') or v['name']} 年度增支 Extra cost per year (万元)",
                    "name_font": {"size": 11}})
    band.set_y_axis({"name": "万元 10,000 yuan", "num_format": "#,##0"})
    band.set_x_axis({"name": "年度 Year"})
    band.set_legend({"position": "bottom", "delete_series": [0]})
    band.set_size({"width": 500, "height": 330})
    return band


def _axis_floor(d: pd.DataFrame) -> float:
    """A round lower end for the cost chart's axis below every P10 (the lines sit in the top
    tenth of an axis from 0, their band unreadable): 90% of the lowest, to two significant digits."""
    import math

    low = 0.9 * float(d[["base_p10", "reform_p10"]].min().min())
    if not math.isfinite(low) or low <= 0:
        return 0.0
    step = 10 ** (math.floor(math.log10(low)) - 1)
    return math.floor(low / step) * step


def _cost_chart(w: _Writer, v: Mapping[str, Any], first: int, last: int, floor: float = 0.0) -> Any:
    """Cost per year of the baseline and the reform: each a P50 line with its P10 and P90 as
    dashed lines of the same colour, on an axis from ``floor`` (万元).

    The band is drawn as series of its own, not as custom error bars: LibreOffice does not draw
    the custom error bars of an xlsx chart (seen in the render of ``tests/test_workbook.py``),
    and a finance bureau may open the file in either."""
    chart = w.wb.add_chart({"type": "line"})
    reform = f"{v.get('label_zh') or v['name']}"
    for name, col, colour in (("基线 Baseline", 1, "#7F7F7F"), (reform, 4, "#2E75B6")):
        chart.add_series({"name": f"{name} P50", "categories": _ref(first, last, 0), "values": _ref(first, last, col),
                          "line": {"color": colour, "width": 2.25}, "marker": {"type": "circle", "size": 6,
                                                                               "fill": {"color": colour},
                                                                               "border": {"color": colour}}})
        for q, offset in (("P10", 1), ("P90", 2)):
            chart.add_series({"name": f"{name} {q}", "categories": _ref(first, last, 0),
                              "values": _ref(first, last, col + offset),
                              "line": {"color": colour, "width": 1.25, "dash_type": "dash"},
                              "marker": {"type": "none"}})
    chart.set_title({"name": f"{reform} 年度支出及P10–P90 Cost per year (万元)", "name_font": {"size": 11}})
    chart.set_y_axis({"name": "万元 10,000 yuan", "num_format": "#,##0", "min": floor})
    chart.set_x_axis({"name": "年度 Year"})
    chart.set_legend({"position": "bottom", "font": {"size": 8}})
    chart.set_size({"width": 500, "height": 330})
    return chart


def _chart_data_sheet(w: _Writer, layout: Sequence[tuple[Mapping[str, Any], pd.DataFrame, int, int]]) -> None:
    """The numbers behind the charts (万元), one block per reform, at the rows the charts name."""
    ws = w.sheet("chart_data")
    for v, d, first, _last in layout:
        ws.write_string(first - 2, 0, f"{v.get('label_zh') or v['name']} (万元 10,000 yuan)", w.fmt["subtitle"])
        for j, h in enumerate(CHART_HEADS):
            ws.write_string(first - 1, j, h, w.fmt["head"])
            w.fit(ws, j, text_width(h))
        for i, rec in enumerate(d.itertuples(index=False)):
            for j, x in enumerate(rec):
                ws.write_number(first + i, j, float(x), w.fmt["year" if j == 0 else "wan"])
                w.fit(ws, j, len(_shown(float(x), "year" if j == 0 else "wan")))
    w.header_rows[ws.name] = (1, 1)
    w.finish(ws)


def write_excel(tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any], path: str | Path) -> Path:
    """Write the workbook; return its path. Raises KeyError naming a table that is missing."""
    import xlsxwriter

    path = Path(path)
    for name in ("cost_year_bands", "coverage_year_bands", "staffing_year_bands", "staffing_queue_summary",
                 "parameters"):
        if name not in tables:
            raise KeyError(f"results lack table {name!r} needed for the Excel export")
    baseline = S.baseline_of(manifest)
    tables = S.with_headline(tables, baseline)
    assert all(len(s) <= 31 for s in SHEETS.values())
    manifest = {**manifest, "locality_name_zh": manifest.get("locality_name_zh") or _name_zh(manifest)}
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), {"nan_inf_to_errors": False})
    try:
        w = _Writer(wb, variant_names(manifest))
        _answer(w, tables, manifest, baseline)
        reforms = list(manifest.get("variants", []))[1:]
        _sheets(w, tables, manifest, baseline, reforms)
        wb.close()
        os.replace(tmp, path)
    except BaseException:
        try:
            wb.close()
        except Exception:  # noqa: BLE001 - already failing; the original error matters
            pass
        tmp.unlink(missing_ok=True)
        raise
    return path


def _name_zh(manifest: Mapping[str, Any]) -> str:
    """The localities' Chinese names from their policy files (ids when a file cannot be read)."""
    from simulation.policy import load_policy
    from simulation.scenarios.scenario import policy_of

    names = []
    for loc in manifest.get("localities", []):
        try:
            names.append(str(load_policy(policy_of(loc)).name_zh or loc))
        except Exception:  # noqa: BLE001 - a hand-made test locality has no policy file
            names.append(str(loc))
    return "、".join(names)


def _with_totals(components: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Component bands with a total row per variant and year taken from ``totals`` (the band of
    each replication's total: component quantiles do not add up to the total's quantiles)."""
    cols = ["variant", "year", "component", "p50", "p10", "p90", "mean"]
    out = pd.concat([components.assign(order=0), totals.assign(component="total", order=1)], ignore_index=True)
    out = out.sort_values(["variant", "year", "order"], kind="stable")[cols]
    return out.assign(component=out["component"].map(lambda c: "合计 Total" if c == "total" else _bilingual(c)))


def _sheets(w: _Writer, tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any], baseline: str,
            reforms: Sequence[Mapping[str, Any]]) -> None:
    """Every sheet after the first."""
    money = {c: "wan" for c in ("mean", "p10", "p50", "p90")}
    persons = {c: "int" for c in ("mean", "p10", "p50", "p90")}

    ws = w.sheet("cost")
    row = w.table(ws, _with_totals(tables["cost_year_bands"], S.year_bands(tables["headline"], "cost")), 0,
                  "分项目年度支出(万元)及P10–P90 Cost by component and year (10,000 yuan), P10–P90 "
                  "(合计: 每次重复合计后的分位数 total: band of each replication's total)", money)
    if "cost_group_bands" in tables:
        # special assistance 专项救助 beside dibao and tekun: horizon totals per replication
        g = tables["cost_group_bands"]
        cols = ["variant", "group"] + [f"{v}_{q}" for v in ("cost", "extra") for q in ("p50", "p10", "p90")]
        w.table(ws, g[cols + ["extra_share_p50"]], ws.dim_rowmax + 2,
                "按项目组的全期支出与增支(万元) Cost and extra cost by programme group over the horizon "
                "(10,000 yuan); special = 专项救助 special assistance (medical, education, housing, disability "
                "subsidies, employment assistance, funeral fee waivers)", {"extra_share_p50": "percent"})
    w.finish(ws)

    if "difference_year_component_bands" in tables:
        ws = w.sheet("difference")
        w.table(ws, _with_totals(tables["difference_year_component_bands"], tables["difference_year_bands"]), 0,
                "分项目年度增支(万元)及P10–P90 Extra cost by component and year (10,000 yuan), P10–P90 "
                "(合计: 每次重复增支合计后的分位数 total: band of each replication's total difference)", money)
        cpy = tables.get("cost_per_yuan")
        if cpy is not None and not cpy.empty:
            c = cpy.groupby("variant", as_index=False, sort=False)[
                ["standard_increase_weighted", "extra_cost_per_year", "cost_per_yuan_of_standard"]].median()
            w.table(ws, c, ws.dim_rowmax + 2, "标准每提高1元的年增支(中位数) Extra cost per yuan of standard (median)")
        w.finish(ws)

    if "distribution_deciles" in tables:
        _distribution_sheet(w, tables)

    ws = w.sheet("coverage")
    cov = tables["coverage_year_bands"]
    row = w.table(ws, cov[["variant", "year", "programme", "p50", "p10", "p90"]], 0,
                  "救助对象人数(年均) Recipients, persons (yearly mean)", persons)
    if "coverage_gaps_year_bands" in tables:
        gb = tables["coverage_gaps_year_bands"]
        row = w.table(ws, gb[["variant", "year", "group", "category", "p50", "p10", "p90"]], row,
                      "覆盖缺口(户, 月均) Coverage gaps (households, monthly mean)", persons)
    w.finish(ws)

    if "services_cap" in tables:
        from simulation.scenarios.runner import services_summary

        ws = w.sheet("cap")
        cap = services_summary(tables["services_cap"])
        w.table(ws, cap[["variant", "year", "persons_needing_care", "cost", "cap", "shortfall", "affordable_coverage"]],
                0, "购买服务与2%上限(重复均值; 缺口=支出−上限) Purchased services and the 2% cap "
                   "(mean over replications; shortfall = cost − cap)")
        label = str(tables["services_cap"]["cap_base_label"].iloc[0]) if "cap_base_label" in tables["services_cap"] else ""
        w.note(ws, ws.dim_rowmax + 1, f"资金基数 Cap base: {label}")
        w.finish(ws)

    ws = w.sheet("staffing")
    st = tables["staffing_year_bands"][["variant", "year", "ratio", "p50", "p10", "p90"]]
    row = w.table(ws, st, 0, "按比例配备的乡镇工作人员(人) Township staff by the ratio rule (persons)", persons)
    if "staffing_township_year" in tables:
        town = tables["staffing_township_year"]
        last = town[town["year"] == town["year"].max()]
        w.table(ws, last, row, f"分乡镇: 救助对象、所需人员与人员经费({int(town['year'].max())}年, 中位数) "
                               f"By township: recipients, staff and staff cost ({int(town['year'].max())}, median)")
    if "staffing_cost" in tables:
        from simulation.scenarios.runner import staffing_cost_summary

        w.table(ws, staffing_cost_summary(tables["staffing_cost"]), ws.dim_rowmax + 2,
                "各配备水平每年的人员经费与救助金变化(相对本方案配备, 元, 中位数) Each ratio a year: staff cost and "
                "the change in benefit payments against the variant's own staffing (yuan, median)", money)
    w.finish(ws)

    ws = w.sheet("queue")
    row = w.table(ws, tables["staffing_queue_summary"], 0,
                  "各配备水平下的积压与办理天数 Backlog and days to decision under each staffing level")
    if "engine_decisions" in tables:
        w.table(ws, tables["engine_decisions"], row,
                "模型中逐户办理结果(按本方案配备) Households the engine decided at the variant's own staffing "
                "(each sampled application whole; the table above gives the expected days)")
    w.finish(ws)

    _parameters_sheet(w, tables["parameters"], baseline)
    if reforms:
        _chart_data_sheet(w, _chart_layout(tables, reforms, baseline))


def _parameters_sheet(w: _Writer, params: pd.DataFrame, baseline: str) -> None:
    """Parameters at the start: one row per locality and path, one value column per variant; rows
    a reform changed are highlighted."""
    ws = w.sheet("parameters")
    if "unit" not in params.columns:  # results written before units and references were kept
        w.table(ws, params, 0, "所用政策参数(期初) Policy parameters used (at start)")
        w.finish(ws)
        return
    base = params[params["variant"] == baseline]
    wide = base[["locality", "parameter", "description", "unit", "value_at_start", "reference"]].rename(
        columns={"value_at_start": baseline})
    changed = pd.Series(False, index=wide.index)
    for variant, grp in params[params["variant"] != baseline].groupby("variant", sort=False):
        g = grp.set_index(["locality", "parameter"])
        key = list(zip(wide["locality"], wide["parameter"], strict=True))
        wide[variant] = g["value_at_start"].reindex(key).to_numpy()
        changed |= g["changed"].reindex(key).fillna(False).to_numpy(dtype=bool)
        refs = g["reference"].reindex(key).to_numpy()
        sel = g["changed"].reindex(key).fillna(False).to_numpy(dtype=bool)
        wide.loc[sel, "reference"] = [f"{b} | {variant}: {r}" for b, r in zip(wide.loc[sel, "reference"], refs[sel],
                                                                             strict=True)]
    wide["changed"] = changed.to_numpy()
    # a reform's reference names its scenario file: relative to the project, not this machine
    root = str(Path(__file__).resolve().parents[2]) + os.sep
    wide["reference"] = wide["reference"].astype(str).str.replace(root, "", regex=False)
    wide = pd.concat([wide[wide["changed"]], wide[~wide["changed"]]])  # the reform's rows first
    for name in wide.columns:
        if name not in HEADINGS:
            HEADINGS.setdefault(name, (w.names.get(name, name), name))
    w.table(ws, wide, 0, "所用政策参数(期初; 黄色为改革调整) Policy parameters at the start (yellow: changed by the reform)",
            mark="changed", widths={"description": 44, "reference": MAX_WIDTH,
                                    **{c: 16 for c in wide.columns if c == baseline or c in w.names}})
    w.finish(ws)


def _distribution_sheet(w: _Writer, tables: Mapping[str, pd.DataFrame]) -> None:
    """Winners and losers by income decile and the poverty measures before and after."""
    ws = w.sheet("distribution")
    row = w.table(ws, tables["distribution_deciles"], 0,
                  "按收入十分位: 受益与受损户、户均月变化(模型全期平均, 重复均值) By income decile: winners, losers "
                  "and the mean monthly change (engine, horizon average, mean over replications)")
    if "distribution_poverty" in tables:
        w.table(ws, tables["distribution_poverty"], row,
                "贫困人数与缺口(期末月): 低保标准与相对贫困线, 改革前后 Poverty headcount and gap below the dibao "
                "standard and a relative line, last month, before and after", kinds={"persons": "int"})
    w.finish(ws)
