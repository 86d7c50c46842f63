"""Excel workbook for the finance bureau (财政局): summary, cost with bands, coverage, cap, staffing,
parameters, with Chinese and English headings.

Written with xlsxwriter; totals are written as values (a formula reads back as 0 in viewers that
do not recalculate); sheet names stay within Excel's 31 characters. The file is written beside
its target and renamed into place, so a failed export leaves any earlier file untouched.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.scenarios import summary as S

#: Column headings: name -> (Chinese, English).
HEADINGS: dict[str, tuple[str, str]] = {
    "variant": ("方案", "Variant"), "year": ("年度", "Year"), "component": ("支出项目", "Component"),
    "mean": ("均值", "Mean"), "p10": ("P10", "P10"), "p50": ("中位数 P50", "Median P50"),
    "p90": ("P90", "P90"), "replications": ("重复次数", "Replications"),
    "programme": ("项目", "Programme"), "ratio": ("配备比例", "Staff ratio"),
    "staff_mean": ("平均人数", "Staff (mean)"), "backlog_max": ("最大积压申请", "Max backlog (applications)"),
    "days_mean": ("平均办理天数", "Mean days to decision"), "days_max": ("最长办理天数", "Max days to decision"),
    "share_within_limit": ("时限内乡镇占比", "Share of townships within limit"),
    "deadline_days": ("法定时限(天)", "Legal limit (days)"), "locality": ("地区", "Locality"),
    "replication": ("重复", "Replication"), "persons_needing_care": ("需照料人数", "Persons needing care"),
    "cost": ("费用(元)", "Cost (yuan)"), "cap_base": ("中央和省级资金(元)", "Central + provincial funds (yuan)"),
    "cap_base_is_estimate": ("是否估算", "Base is an estimate"), "cap_base_label": ("资金来源说明", "How the base was set"),
    "cap_share": ("上限比例", "Cap share"), "cap": ("上限(元)", "Cap (yuan)"),
    "headroom": ("余量(负为缺口)(元)", "Headroom (negative = shortfall) (yuan)"),
    "affordable_coverage": ("上限可覆盖比例", "Share of package the cap affords"),
    "affordable_persons": ("上限可覆盖人数", "Persons the cap affords"), "months": ("月数", "Months"),
    "package_cost_per_person_month": ("每人每月服务包费用(元)", "Package cost per person-month (yuan)"),
    "parameter": ("参数", "Parameter"), "value_at_start": ("期初取值", "Value at start"),
    "item": ("项目", "Item"), "value": ("取值", "Value"),
    "backlog_mean": ("平均积压(件)", "Mean backlog (cases)"), "decisions": ("决定数", "Decisions"),
    "decisions_late": ("超时决定数", "Late decisions"), "days_to_decision_mean": ("平均办理天数", "Mean days to decision"),
    "late_share": ("超时比例", "Share decided late"),
    "township": ("乡镇", "Township"), "recipients": ("救助对象人数", "Recipients (persons)"),
    "staff": ("所需人员", "Staff required"), "staff_cost": ("人员经费(元/年)", "Staff cost (yuan/year)"),
    "group": ("人群", "Group"), "category": ("类别", "Category"), "side": ("受益/受损", "Gain or loss"), "households": ("户数", "Households"),
    "persons": ("人数", "Persons"), "mean_change": ("户均变化(元/月)", "Mean change per household (yuan/month)"),
    "standard_increase_weighted": ("标准平均提高(元/人/月)", "Mean standard increase (yuan/person/month)"),
    "extra_cost_per_year": ("年增支出(元)", "Extra cost per year (yuan)"),
    "cost_per_yuan_of_standard": ("标准每提高1元的年支出(元)", "Cost per year per yuan of standard"),
    "standard_increase_urban": ("城市标准提高", "Urban standard increase"),
    "standard_increase_rural": ("农村标准提高", "Rural standard increase"),
    "period": ("期间", "Period"),
    "cost_p50": ("支出 中位数(万元)", "Cost P50 (10,000 yuan)"), "cost_p10": ("支出 P10(万元)", "Cost P10"),
    "cost_p90": ("支出 P90(万元)", "Cost P90"),
    "extra_p50": ("增支 中位数(万元)", "Extra cost P50 (10,000 yuan)"), "extra_p10": ("增支 P10(万元)", "Extra P10"),
    "extra_p90": ("增支 P90(万元)", "Extra P90"),
}

def _bilingual(key: str) -> str:
    """'中文 English' for a programme or cost component from the reporting layer's labels
    (simulation.reporting.labels, one table for charts and workbooks); the key when unknown."""
    from simulation.reporting.labels import LABELS, component_label

    if key in LABELS:
        zh, en = LABELS[key]
        return f"{zh} {en}"
    zh_c, en_c = component_label(key, "zh"), component_label(key, "en")
    return f"{zh_c} {en_c}" if zh_c and en_c else key


SHEETS = {
    "summary": "摘要 Summary", "cost": "成本 Cost by year", "difference": "差额 Reform vs baseline",
    "coverage": "覆盖 Coverage", "cap": "服务上限 Services cap", "staffing": "人员 Staffing",
    "queue": "办理时限 Decisions", "parameters": "参数 Parameters",
}


def _write_table(ws: Any, fmt: Mapping[str, Any], df: pd.DataFrame, row: int, title: str | None = None) -> int:
    """Write a table with two heading rows (Chinese, English); return the next free row."""
    if title:
        ws.write(row, 0, title, fmt["title"])
        row += 1
    for j, col in enumerate(df.columns):
        zh, en = HEADINGS.get(col, (col, col))
        ws.write(row, j, zh, fmt["head"])
        ws.write(row + 1, j, en, fmt["head"])
        ws.set_column(j, j, max(12, min(40, len(en) + 2)))
    row += 2
    for rec in df.itertuples(index=False):
        for j, v in enumerate(rec):
            if isinstance(v, bool):
                ws.write_boolean(row, j, v)
            elif isinstance(v, int | float) and not isinstance(v, bool):
                if pd.isna(v) or v in (float("inf"), float("-inf")):
                    ws.write_string(row, j, "n/a" if pd.isna(v) else "∞")
                else:
                    ws.write_number(row, j, float(v), fmt["num"])
            elif hasattr(v, "item"):
                ws.write(row, j, v.item(), fmt["num"])
            else:
                ws.write_string(row, j, str(v))
        row += 1
    return row + 1


def _with_totals(components: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Component bands with a total row per variant and year taken from ``totals`` (the band of
    each replication's total: component quantiles do not add up to the total's quantiles)."""
    cols = ["variant", "year", "component", "mean", "p10", "p50", "p90"]
    out = pd.concat([components.assign(order=0), totals.assign(component="total", order=1)], ignore_index=True)
    out = out.sort_values(["variant", "year", "order"], kind="stable")[cols]
    return out.assign(component=out["component"].map(_bilingual))


def headline_sheet_table(head: pd.DataFrame) -> pd.DataFrame:
    """The headline table (summary.headline) in 万元 with one column per figure."""
    out = head[["variant", "period"]].copy()
    for value in ("cost", "extra"):
        for name in ("p50", "p10", "p90"):
            out[f"{value}_{name}"] = head[f"{value}_{name}"] / 1e4
    return out


def write_excel(tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any], path: str | Path) -> Path:
    """Write the workbook; return its path. Raises KeyError naming a table that is missing."""
    import xlsxwriter

    path = Path(path)
    for name in ("cost_year_bands", "coverage_year_bands", "staffing_year_bands", "staffing_queue_summary", "parameters"):
        if name not in tables:
            raise KeyError(f"results lack table {name!r} needed for the Excel export")
    tables = S.with_headline(tables, S.baseline_of(manifest))
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp.xlsx")
    wb = xlsxwriter.Workbook(str(tmp))
    try:
        fmt = {"title": wb.add_format({"bold": True, "font_size": 13}),
               "head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
               "num": wb.add_format({"num_format": "#,##0.00"})}
        assert all(len(s) <= 31 for s in SHEETS.values())

        # summary: facts and total cost per variant and year (values, not formulas)
        ws = wb.add_worksheet(SHEETS["summary"])
        facts = pd.DataFrame([
            ("情景 Scenario", manifest.get("scenario")), ("地区 Localities", ", ".join(manifest.get("localities", []))),
            ("起始月 Start", manifest.get("start")), ("月数 Months", manifest.get("months")),
            ("人口 Population (households, seed)", str(manifest.get("population"))),
            ("随机种子 Seed", manifest.get("seed")), ("重复次数 Replications", manifest.get("replications")),
            ("方案 Variants", ", ".join(f"{v['name']} {v.get('label_zh', '')}".strip() for v in manifest.get("variants", []))),
            ("政策哈希 Policy hashes", "; ".join(":".join(map(str, h)) for h in manifest.get("policy_hashes", []))),
            ("服务上限基数 Cap base", str(manifest.get("cap_base"))),
            ("软件版本 Package version", manifest.get("package_version", "")),
            ("运行编号 Run id", manifest.get("run_id", "")),
        ], columns=["item", "value"]).astype({"value": str})
        row = _write_table(ws, fmt, facts, 0, "情景摘要 Scenario summary")
        row = _write_table(ws, fmt, headline_sheet_table(tables["headline"]), row,
                           "支出与增支(万元), 中位数及P10–P90 Cost and extra cost (10,000 yuan), P50 and P10–P90")
        if "cost_per_yuan" in tables and not tables["cost_per_yuan"].empty:
            cpy = tables["cost_per_yuan"].groupby(["variant"], as_index=False)[
                ["standard_increase_urban", "standard_increase_rural", "standard_increase_weighted",
                 "extra_cost_per_year", "cost_per_yuan_of_standard"]].median()
            _write_table(ws, fmt, cpy, row, "标准每提高1元的成本(中位数) Cost per yuan of standard increase (median)")
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 60)

        # cost by component and year with bands, totals as values
        cost = _with_totals(tables["cost_year_bands"], S.year_bands(tables["headline"], "cost"))
        ws = wb.add_worksheet(SHEETS["cost"])
        _write_table(ws, fmt, cost, 0, "分项目年度支出(元)及P10–P90区间 Cost by component and year (yuan), P10–P90 "
                                       "(total: band of each replication's total)")
        if "difference_year_component_bands" in tables:
            d = _with_totals(tables["difference_year_component_bands"], tables["difference_year_bands"])
            ws = wb.add_worksheet(SHEETS["difference"])
            _write_table(ws, fmt, d, 0, "改革与基线之差(元)及P10–P90区间 Reform minus baseline by component (yuan), "
                                        "P10–P90 (total: band of each replication's total difference)")

        cov = tables["coverage_year_bands"]
        cov = cov.assign(programme=cov["programme"].map(_bilingual))
        ws = wb.add_worksheet(SHEETS["coverage"])
        row = _write_table(ws, fmt, cov[["variant", "year", "programme", "mean", "p10", "p50", "p90"]], 0,
                           "救助对象人数(年均) Recipients, persons (yearly mean)")
        if "coverage_gaps_year_bands" in tables:
            gb = tables["coverage_gaps_year_bands"]
            row = _write_table(ws, fmt, gb[["variant", "year", "group", "category", "mean", "p10", "p50", "p90"]], row,
                               "覆盖缺口(户, 月均): 符合条件未获救助(未申请/待审批)与不再符合仍获救助(渐退/待复核) "
                               "Coverage gaps (households, monthly mean): eligible not receiving (not applied, "
                               "waiting) and receiving not eligible (gradual exit, until review)")
        if "gains_losses" in tables:
            gl = tables["gains_losses"]
            _write_table(ws, fmt, gl[["variant", "locality", "group", "side", "households", "persons", "mean_change"]],
                         row, "改革受益与受损(首月, 静态测算) Who gains and who loses (first month, static calculator)")

        if "services_cap" in tables:
            cap = tables["services_cap"].groupby(["variant", "year"], as_index=False).agg(
                months=("months", "first"), persons_needing_care=("persons_needing_care", "median"),
                package_cost_per_person_month=("package_cost_per_person_month", "first"),
                cost=("cost", "median"), cap_base=("cap_base", "median"), cap_share=("cap_share", "first"),
                cap=("cap", "median"), headroom=("headroom", "median"),
                affordable_coverage=("affordable_coverage", "median"),
                affordable_persons=("affordable_persons", "median"),
                cap_base_is_estimate=("cap_base_is_estimate", "any"), cap_base_label=("cap_base_label", "first"))
            ws = wb.add_worksheet(SHEETS["cap"])
            _write_table(ws, fmt, cap, 0, "购买服务与2%上限(中位数) Purchased services and the 2% cap (median)")

        ws = wb.add_worksheet(SHEETS["staffing"])
        st = tables["staffing_year_bands"][["variant", "year", "ratio", "mean", "p10", "p50", "p90"]]
        row = _write_table(ws, fmt, st, 0, "按比例配备的乡镇工作人员(人) Township staff by the ratio rule (persons)")
        if "staffing_township_year" in tables:
            _write_table(ws, fmt, tables["staffing_township_year"], row,
                         "分乡镇: 救助对象、所需人员与人员经费(年, 中位数) By township: recipients, staff "
                         "and staff cost (yearly, median)")
        ws = wb.add_worksheet(SHEETS["queue"])
        row = _write_table(ws, fmt, tables["staffing_queue_summary"], 0,
                     "各配备水平下的积压与办理天数 Backlog and days to decision under each staffing level")

        if "engine_decisions" in tables:
            _write_table(ws, fmt, tables["engine_decisions"], row,
                         "模型乡镇经办机构(按最低比例配备) Engine's township offices (staffed at staffing.ratio_min)")

        ws = wb.add_worksheet(SHEETS["parameters"])
        _write_table(ws, fmt, tables["parameters"], 0, "所用政策参数(期初) Policy parameters used (at start)")
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
