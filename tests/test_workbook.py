"""The bureau's workbook: read back (formats, widths, print set-up, charts, marked parameters) and
rendered to PDF by LibreOffice headless (pages, no ``###``).

The PDF and its pages as PNG go to ``artifacts/`` (not committed) to be looked at. Without
LibreOffice the render test skips locally but fails in CI (``CI=true``), where
``scripts/bootstrap.sh --system`` installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from scenarios.fixtures import policies, run_output, scenario

from simulation.scenarios.excel import SHEETS, describe_changes, text_width, write_excel
from simulation.scenarios.runner import assemble
from simulation.scenarios.summary import wan

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    outs = []
    for r in range(4):
        outs.append(run_output("baseline", r, 1.0 + 0.02 * r, months=36))
        outs.append(run_output("plus5", r, (1.0 + 0.02 * r) * (1.05 + 0.01 * r), months=36))
    res = assemble(scenario(replications=4, months=36, cap_base={2025: 5e7, 2026: 5.2e7, 2027: 5.4e7}), outs,
                   policies())
    path = write_excel(res.tables, {**res.manifest, "run_id": "test-run"},
                       tmp_path_factory.mktemp("book") / "bureau.xlsx")
    return res, path


def test_first_sheet_answers_in_chinese_and_english(book):
    res, path = book
    ws = openpyxl.load_workbook(path)[SHEETS["summary"]]
    text = "\n".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None)
    whole = res.tables["headline"].set_index(["variant", "period"]).loc[("plus5", "2025–2027")]
    assert f"2025–2027合计增支 {wan(whole['extra_p50'])} 万元" in text
    assert f"Extra cost 2025–2027: {wan(whole['extra_p50'])} × 10,000 yuan" in text
    assert "城市低保标准" in text or "urban dibao standard" in text  # the reform in words, not a code name
    assert "{" not in text and "hash" not in text.lower()  # no Python dicts, no hashes


def test_formats_widths_frozen_headings_and_print_setup(book):
    _, path = book
    wb = openpyxl.load_workbook(path)
    cost = wb[SHEETS["cost"]]
    years = [c for c in cost["B"][3:] if isinstance(c.value, int)]
    assert years and all(c.number_format == "0" and 2025 <= c.value <= 2027 for c in years)
    money = [c for c in cost["D"][3:] if isinstance(c.value, float)]
    assert money and all(c.number_format == "#,##0.0" for c in money)
    staff = wb[SHEETS["staffing"]]
    first_table = staff["C"][3:][: [c.value for c in staff["C"][3:]].index(None)]
    ratios = [c for c in first_table if isinstance(c.value, int | float)]
    assert ratios and all(c.number_format == '0.0"‰"' for c in ratios) and {2.0, 3.0, 4.0} <= {c.value for c in ratios}
    persons = [c for c in staff["D"][3:3 + len(first_table)] if isinstance(c.value, int | float)]
    assert persons and all(c.number_format == "#,##0" and float(c.value).is_integer() for c in persons)
    # what each ratio costs a year: staff and the change in payments, in 万元, and where it comes from
    rows = [list(row) for row in staff.iter_rows(min_row=1)]
    head = next(i for i, row in enumerate(rows) if any(c.value == "Change in benefit payments (10,000 yuan/year)"
                                                       for c in row))
    col = next(c.column_letter for c in rows[head] if c.value == "Change in benefit payments (10,000 yuan/year)")
    body = [c for c in staff[col][head + 1:] if isinstance(c.value, int | float)]
    assert body and all(c.number_format == "#,##0.0" for c in body)
    assert any(str(c.value).startswith("按本方案运行结果重算") for row in rows[head:] for c in row)  # a replay says so
    cap = wb[SHEETS["cap"]]
    assert any(c.number_format == "0.0%" for row in cap.iter_rows(min_row=4) for c in row)
    for ws in wb:
        assert ws.page_setup.orientation == "landscape", ws.title
        # fitToWidth absent means 1 (OOXML default)
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1), ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title
        if ws.title != SHEETS["summary"]:
            assert ws.freeze_panes is not None and ws.print_title_rows, ws.title
        # every number fits its column (no ### on screen)
        for row in ws.iter_rows(min_row=1):
            for c in row:
                if isinstance(c.value, float | int) and not isinstance(c.value, bool):
                    width = ws.column_dimensions[c.column_letter].width
                    assert width >= len(f"{c.value:,.1f}"), (ws.title, c.coordinate, c.value, width)


def test_native_charts_with_bands(book):
    _, path = book
    with zipfile.ZipFile(path) as z:
        charts = [z.read(n).decode() for n in z.namelist() if re.match(r"xl/charts/chart\d+\.xml", n)]
    assert len(charts) == 2
    extra = next(c for c in charts if "<c:areaChart>" in c)
    assert "<c:lineChart>" in extra and "增支" in extra  # a P50 line on a P10–P90 band
    cost = next(c for c in charts if "<c:areaChart>" not in c)
    # P10 and P90 as dashed line series of their own beside each P50 (LibreOffice draws no custom
    # error bars), for the baseline and the reform; no error bars left
    assert "<c:lineChart>" in cost and "<c:errBars>" not in cost
    names = re.findall(r"<c:ser><c:idx val=\"\d+\"/><c:order val=\"\d+\"/><c:tx><c:v>([^<]*)</c:v>", cost)
    assert len(names) == 6 and {n.split()[-1] for n in names} == {"P10", "P50", "P90"}, names
    assert cost.count('<a:prstDash val="dash"/>') == 4
    # the chart-data sheet: per year P10 <= P50 <= P90 for the baseline and the reform
    rows = [r for r in openpyxl.load_workbook(path)[SHEETS["chart_data"]].iter_rows(values_only=True)
            if isinstance(r[0], int | float)]
    assert rows and all(r[2] <= r[1] <= r[3] and r[5] <= r[4] <= r[6] for r in rows), rows


def test_parameters_have_unit_and_reference_and_marked_changes(book):
    _, path = book
    ws = openpyxl.load_workbook(path)[SHEETS["parameters"]]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[2]
    assert {"Unit", "Reference", "Changed by the reform", "Parameter"} <= set(head)
    col = {name: i for i, name in enumerate(head)}
    urban = next(r for r in rows[3:] if r[col["Parameter"]] == "dibao.standard.urban")
    rural = next(r for r in rows[3:] if r[col["Parameter"]] == "dibao.standard.rural")
    assert urban[col["Unit"]] == "yuan/person/month"
    assert urban[col["Changed by the reform"]] == "是 yes" and not rural[col["Changed by the reform"]]
    # the changed row is highlighted
    r = next(i for i, row in enumerate(rows, start=1) if row[col["Parameter"]] == "dibao.standard.urban")
    assert ws.cell(r, 1).fill.fgColor.rgb.endswith("FFF2CC")


def test_changes_in_words():
    zh, en = describe_changes({f"dibao.standard.{a}": {"from": "2025-01-01", "scale": 1.05} for a in ("urban", "rural")})
    assert zh == "城乡低保标准自2025年1月起提高5%" and en == "urban and rural dibao standards +5% from January 2025"
    zh, en = describe_changes({f"dibao.standard.{a}": {"from": "2025-01-01", "add": 50} for a in ("urban", "rural")})
    assert "每人每月提高50元" in zh and "+50 yuan/person/month" in en
    assert text_width("低保 ab") == 7


def test_rendered_by_libreoffice_without_hashes_on_few_pages(book, tmp_path):
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if not soffice or not pdftotext:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice or poppler-utils missing in CI: scripts/bootstrap.sh --system installs them")
        pytest.skip("LibreOffice (libreoffice-calc-nogui) or poppler-utils not installed")
    _, path = book
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "bureau.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "###" not in text
    assert "2025–2027合计增支" in text.split("\f")[0]  # the answer is on the first page
    assert pages <= 16, pages  # 53 pages before the print set-up
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "workbook-test.pdf")
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-l", "3", str(pdf), str(ARTIFACTS / "workbook-test-page")],
                       check=True, timeout=120)
