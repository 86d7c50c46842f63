"""One extra-cost figure: computed once per replication and shown the same in every output."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scenarios.fixtures import policies, run_output, scenario

from simulation.cli import main
from simulation.reporting import charts
from simulation.scenarios import summary as S
from simulation.scenarios.excel import SHEETS, write_excel
from simulation.scenarios.results import write_results
from simulation.scenarios.runner import assemble, band_text


def _outputs_with_noise() -> list:
    """Replications whose reform effect differs, so that sums of quantiles and quantiles of
    sums disagree (the old tables' error)."""
    out = []
    for r in range(5):
        out.append(run_output("baseline", r, 1.0 + 0.03 * ((r * 7) % 5)))
        out.append(run_output("plus5", r, (1.0 + 0.03 * ((r * 7) % 5)) * (1.02 + 0.02 * ((r * 3) % 5))))
    return out


@pytest.fixture(scope="module")
def result():
    return assemble(scenario(replications=5), _outputs_with_noise(), policies())


def test_extra_cost_is_the_per_replication_difference_summed_before_quantiles(result):
    cy = result.tables["cost_year_component"]
    per = cy.groupby(["variant", "replication"])["cost"].sum().unstack("variant")
    extra = (per["plus5"] - per["baseline"]).to_numpy()
    head = result.tables["headline"].set_index(["variant", "period"])
    whole = head.loc[("plus5", "2025–2026")]
    for q, col in ((0.1, "extra_p10"), (0.5, "extra_p50"), (0.9, "extra_p90")):
        assert whole[col] == pytest.approx(np.quantile(extra, q))
    # and not the difference of the variants' medians (what `compare` used to print)
    assert whole["extra_p50"] != pytest.approx(np.median(per["plus5"]) - np.median(per["baseline"]))
    # totals: each replication summed over components, then quantiles
    assert head.loc[("baseline", "2025–2026"), "cost_p10"] == pytest.approx(np.quantile(per["baseline"], 0.1))
    yearly = cy[cy["year"] == 2025].groupby(["variant", "replication"])["cost"].sum().unstack("variant")
    assert head.loc[("plus5", "2025"), "extra_p90"] == pytest.approx(
        np.quantile(yearly["plus5"] - yearly["baseline"], 0.9))
    assert whole["extra_p10_se"] > 0


def test_the_same_extra_cost_appears_in_every_output(result, tmp_path, capsys):
    head = result.tables["headline"].set_index(["variant", "period"])
    whole, y2025 = head.loc[("plus5", "2025–2026")], head.loc[("plus5", "2025")]
    text = band_text(whole["extra_p50"], whole["extra_p10"], whole["extra_p90"])
    assert text in result.summary_text()

    path = write_results(tmp_path, "run", result.tables, result.manifest)
    assert main(["compare", str(path)]) == 0
    assert text in capsys.readouterr().out

    book = openpyxl.load_workbook(write_excel(result.tables, result.manifest, tmp_path / "b.xlsx"))
    cells = [c for ws in book for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, float)]
    for value in (whole["extra_p50"], whole["extra_p10"], whole["extra_p90"], y2025["extra_p50"]):
        assert any(abs(c - value / 1e4) < 1e-6 or abs(c - value) < 1e-3 for c in cells), value
    # the difference sheet's total row is the same figure (not a sum of component medians)
    diff_cells = [c for row in book[SHEETS["difference"]].iter_rows(values_only=True) for c in row
                  if isinstance(c, float)]
    assert any(abs(c - y2025["extra_p50"] / 1e4) < 1e-6 or abs(c - y2025["extra_p50"]) < 1e-3 for c in diff_cells)

    fig = charts.band_chart(result.tables["difference_year_bands"], "en", series="variant",
                            totals={"plus5": ("2025–2026", whole["extra_p50"], whole["extra_p10"], whole["extra_p90"])})
    ax = fig.axes[0]
    assert ax.lines[0].get_ydata()[0] == pytest.approx(y2025["extra_p50"])
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert ax.texts and f"{whole['extra_p50'] / 1e6:,.1f}" in legend  # million yuan in English


def test_services_shortfall_is_cost_minus_cap(result):
    text = result.summary_text()
    from simulation.scenarios.runner import services_summary

    cap = services_summary(result.tables["services_cap"])
    for r in cap.itertuples(index=False):
        assert r.shortfall == pytest.approx(r.cost - r.cap)
        assert f"cost {r.cost / 1e4:,.1f}, cap {r.cap / 1e4:,.1f}, shortfall {(r.cost - r.cap) / 1e4:,.1f}" in text


def test_results_without_a_headline_table_get_the_same_one(result):
    tables = {k: v for k, v in result.tables.items() if k not in ("headline", "replication_totals")}
    again = S.with_headline(tables, "baseline")["headline"]
    pd.testing.assert_frame_equal(again, result.tables["headline"])

