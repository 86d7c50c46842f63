"""The explorer's logic without the engine: settings, policy changes, admin costs, headline, caching."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simulation.admin.parameters import load_admin_parameters
from simulation.reporting.explorer import (
    CHARTS,
    DPI,
    Explorer,
    ExplorerError,
    ExplorerSettings,
    RunTables,
    _table_key,
    admin_costs,
    build_view,
    headline_html,
)

PARAMS = {
    "staffing.minimum": 2, "staffing.small_threshold": 1000, "staffing.annual_cost": 60_000.0,
    "services.cap_share": 0.02, "services.cap_counts": "all", "services.subsidy_funded_share": 0.5,
    "services.unit_cost.haircut": 20.0, "services.frequency.haircut": 1.0,
    "services.unit_cost.laundry": 15.0, "services.frequency.laundry": 2.0,
    "services.unit_cost.cleaning": 50.0, "services.frequency.cleaning": 4.0,
    "services.unit_cost.necessities": 120.0, "services.frequency.necessities": 0.5,
}
PACKAGE = 20 + 30 + 200 + 60  # yuan/person/month

@pytest.fixture(autouse=True)
def _stop_chart_workers():
    """Each test's explorers stop their chart worker processes when the test ends."""
    yield
    import gc

    from simulation.reporting.explorer import Explorer
    for obj in gc.get_objects():
        if isinstance(obj, Explorer):
            obj.close()



def run_tables(recipients: tuple[float, float], payment: float, months: int = 12,
               standard_change: float = 0.0) -> RunTables:
    index = pd.period_range("2025-01", periods=months, freq="M")
    persons = pd.DataFrame({"dibao": [float(sum(recipients))] * months}, index=index)
    rec = pd.DataFrame({0: [recipients[0]] * months, 1: [recipients[1]] * months}, index=index)
    annual = pd.DataFrame({"dibao": [payment * months]}, index=pd.Index([2025], name="year"))
    params = {**PARAMS, "dibao.standard.urban": 800.0 + standard_change, "dibao.standard.rural": 650.0 + standard_change}
    return RunTables(annual, persons, rec, pd.Series({0: 2.0, 1: 3.0}), tuple([params] * months),
                     pd.Series(40.0, index=index), pd.Series(sum(recipients) / 2, index=index))


def test_settings_are_checked_naming_the_field() -> None:
    with pytest.raises(ExplorerError, match="review='weekly'"):
        ExplorerSettings("qijiang", review="weekly").check()
    with pytest.raises(ExplorerError, match="take_up_scale=-1"):
        ExplorerSettings("qijiang", take_up_scale=-1).check()
    with pytest.raises(ExplorerError, match="staffing_ratio=3"):
        ExplorerSettings("qijiang", staffing_ratio=3).check()


def test_levers_become_scenario_changes() -> None:
    s = ExplorerSettings("qijiang", standard_change=30, exit_months=12, review="half_yearly")
    changes = s.changes("2025-01")
    assert changes["dibao.standard.urban"] == {"from": "2025-01-01", "add": 30.0}
    assert changes["dibao.standard.rural"] == {"from": "2025-01-01", "add": 30.0}
    assert changes["dibao.gradual_exit.months"] == {"2025-01-01": 12}
    assert changes["dibao.review.months.B"] == {"2025-01-01": [3, 9]}
    assert "dibao.gradual_exit.ceiling_multiple" not in changes
    assert ExplorerSettings("qijiang").changes("2025-01") == {}
    pct = ExplorerSettings("qijiang", standard_change=5, standard_unit="percent").changes("2025-01")
    assert pct["dibao.standard.rural"] == {"from": "2025-01-01", "scale": 1.05}
    with pytest.raises(ExplorerError, match="standard_unit='jiao'"):
        ExplorerSettings("qijiang", standard_unit="jiao").check()
    own = SimpleNamespace(take_up=0.004, discovery=0.5)
    assert ExplorerSettings("qijiang").behaviour(own) == {}
    assert ExplorerSettings("qijiang", take_up_scale=1.5, discovery_scale=2).behaviour(own) == {
        "take_up": pytest.approx(0.006), "discovery": 1.0}
    with pytest.raises(ExplorerError, match="discovery_scale=3.*above 1"):  # a monthly probability
        ExplorerSettings("qijiang", discovery_scale=3).behaviour(own)


def test_admin_costs_follow_the_ratio_rule_and_the_package() -> None:
    admin = load_admin_parameters()
    costs, cap, staff_end, offices = admin_costs(run_tables((500.0, 1500.0), 1e5), 0.003, 0.1, admin)
    assert offices is None  # no engine offices table: the ratio rule alone
    # township 0: 1.5 -> at least 2 (fewer than 1,000 recipients); township 1: ceil(4.5) = 5
    assert staff_end.tolist() == [2.0, 5.0]
    assert costs.loc[2025, "staff"] == pytest.approx(7 * 60_000.0)
    assert costs.loc[2025, "purchased_services"] == pytest.approx(2000 * 0.1 * PACKAGE * 12)
    assert cap.loc[0, "services_cost"] == pytest.approx(2000 * 0.1 * PACKAGE * 12)
    assert cap.loc[0, "cap"] > 0


def test_view_headline_compares_with_the_baseline() -> None:
    admin = load_admin_parameters()
    base = run_tables((500.0, 1500.0), 1e5)
    reform = run_tables((600.0, 1800.0), 1.3e5, standard_change=20.0)
    view = build_view(ExplorerSettings("qijiang", standard_change=20), base, reform, 0.1, admin,
                      sample=(3000, 200_000.0))
    h = view.headline
    extra_payments = (1.3e5 - 1e5) * 12
    extra_services = (2400 - 2000) * 0.1 * PACKAGE * 12
    extra_staff = (2 + 6 - 7) * 60_000.0  # township 1: ceil(5.4) = 6
    assert h["extra_per_year"] == pytest.approx(extra_payments + extra_services + extra_staff)
    assert h["cost_per_yuan"] == pytest.approx(h["extra_per_year"] / 20)
    assert h["recipients_end"] == 2400
    assert list(view.staff.columns) == ["staff_current", "staff_selected"]
    # the baseline is drawn beside the reform: its total cost per year and its recipients
    assert view.baseline_annual.loc[2025] == pytest.approx(view.annual_cost.loc[2025].sum() - extra_payments
                                                            - extra_services - extra_staff)
    assert view.baseline_persons.iloc[-1] == 2000
    assert h["temporary_cases_per_month"] == 40
    # 1,200 recipient households of 200,000 in a sample of 3,000: p = 0.006, SE = sqrt(0.994 / 18)
    assert h["relative_error"] == pytest.approx(math.sqrt(0.994 / 18))
    assert "样本偏小" in headline_html(h, "zh") and "3,000 (200,000)" in headline_html(h, "zh")
    # a percentage of the standard: the headline's increase is read from the policies
    pct = build_view(ExplorerSettings("qijiang", standard_change=2, standard_unit="percent"), base,
                     run_tables((600.0, 1800.0), 1.3e5, standard_change=14.5), 0.1, admin).headline
    assert pct["standard_increase"] == pytest.approx(14.5) and pct["cost_per_yuan"] == pytest.approx(
        pct["extra_per_year"] / 14.5)
    no_change = build_view(ExplorerSettings("qijiang"), base, base, 0.1, admin).headline
    assert no_change["extra_per_year"] == 0 and math.isnan(no_change["cost_per_yuan"])


def test_headline_html_has_the_numbers_in_both_languages() -> None:
    headline = {"cost_per_year": 2.5e8, "extra_per_year": 1.2e7, "cost_per_yuan": 4.0e5,
                "recipients_end": 56_000.0, "cap_headroom_first_year": -1.0e6, "staff_required_end": 180.0}
    zh = headline_html(headline, "zh")
    assert "年均支出" in zh and "25,000.0 万元" in zh and "+1,200.0 万元" in zh and "56,000 (0) 人" in zh
    en = headline_html(headline, "en")
    assert "Cost per year" in en and "250.0 million yuan" in en and "400,000 yuan" in en


def test_chart_cache_key_follows_the_content() -> None:
    a = pd.DataFrame({"x": [1.0, 2.0]}, index=[2025, 2026])
    assert _table_key(a) == _table_key(a.copy())
    assert _table_key(a) != _table_key(a.assign(x=[1.0, 2.5]))


def test_levers_at_the_locality_value_are_not_a_reform() -> None:
    explorer = Explorer(households=100, months=12)
    own = explorer.defaults("qijiang")
    assert own.exit_months is not None and own.take_up_scale == 1.0
    normal = explorer.normalised(replace(own, standard_change=0.0))
    assert normal.changes(explorer.start) == {} and explorer.behaviour(normal) == {}
    assert set(explorer.behaviour(replace(own, take_up_scale=2.0))) == {"take_up"}
    moved = explorer.normalised(replace(own, exit_months=own.exit_months + 6))
    assert moved.changes(explorer.start)["dibao.gradual_exit.months"] == {"2025-01-01": own.exit_months + 6}
    assert np.isclose(explorer.defaults("jiaohe").staffing_ratio, 0.003)


@pytest.mark.slow
def test_explorer_shows_days_to_decision_by_township_at_the_chosen_ratio() -> None:
    """The township offices (issue 13): both runs staffed at the slider's ratio in the engine, so
    the queue reaches the households (late reviews keep old payments, applicants wait); fewer
    staff never decide faster, the staff chart keeps the locality's own rule beside the ratio's,
    and the table names the day basis."""
    from simulation.reporting.explorer import offices_html

    explorer = Explorer(households=3000, months=12, chart_worker=False)
    own = explorer.defaults("qijiang")
    low = explorer.compute(replace(own, standard_change=10.0, staffing_ratio=0.002))
    high = explorer.compute(replace(own, standard_change=10.0, staffing_ratio=0.004))
    assert low.offices is not None and len(low.offices) > 1
    assert list(low.offices.index) == list(high.offices.index)  # township names, as the staff chart
    assert (low.offices["staff"] <= high.offices["staff"]).all()
    days = pd.concat([low.offices["days_to_decision"], high.offices["days_to_decision"]], axis=1).dropna()
    assert not days.empty and (days.iloc[:, 0] >= days.iloc[:, 1] - 1e-9).all()
    # one office model: the runs' own offices are the table's, at each ratio
    runs = {(key[3], bool(key[4])): run for key, run in explorer._runs.items() if key[0] == "run"}
    assert set(runs) == {(0.002, False), (0.002, True), (0.004, False), (0.004, True)}
    for ratio, view in ((0.002, low), (0.004, high)):
        engine = runs[ratio, True].offices
        end = engine[engine["month"] == engine["month"].max()].set_index("township_name")["staff"]
        assert end.reindex(view.staff.index).tolist() == view.staff["staff_selected"].tolist()
    # the admin tables take the run's own offices, as a replay at the ratio gives them
    from simulation.admin.parameters import load_admin_parameters
    from simulation.reporting.explorer import admin_costs

    admin = load_admin_parameters()
    own_table = admin_costs(runs[0.002, True], 0.002, 0.1, admin)
    replayed = admin_costs(runs[0.002, True], 0.002 * (1 + 1e-12), 0.1, admin)  # not the run's: replay
    pd.testing.assert_frame_equal(own_table[0], replayed[0], rtol=1e-12)
    pd.testing.assert_frame_equal(own_table[3], replayed[3], rtol=1e-12)
    pd.testing.assert_series_equal(own_table[2], replayed[2])
    # the locality's own rule (2‰) on each run's recipients
    assert (low.staff["staff_current"] == low.staff["staff_selected"]).all()
    assert (high.staff["staff_current"] < high.staff["staff_selected"]).any()
    # the queue's feedback: at 2‰ more reviews wait, and the payments of both runs move with it
    assert runs[0.002, False].offices["reviews_late"].sum() > runs[0.004, False].offices["reviews_late"].sum()
    assert runs[0.002, False].annual.to_numpy().sum() != runs[0.004, False].annual.to_numpy().sum()
    html = offices_html(low.offices, 0.002, "zh")
    assert "2‰" in html and "日历日" in html and str(low.offices.index[0]) in html
    assert "calendar days" in offices_html(low.offices, 0.002, "en")


def test_cache_evicts_each_kind_on_its_own() -> None:
    """Chart images (six per prefetched setting) never push the engine runs out of the cache."""
    from simulation.reporting.explorer import CACHE_LIMITS

    explorer = Explorer(households=10, months=1, chart_worker=False)
    explorer._cached(("run", "baseline"), lambda: "kept")
    for i in range(CACHE_LIMITS["png"] + 5):
        explorer._cached(("png", i), lambda i=i: i)
    assert explorer._runs[("run", "baseline")] == "kept"
    images = [k for k in explorer._runs if k[0] == "png"]
    assert len(images) == CACHE_LIMITS["png"] and images[0] == ("png", 5)  # the oldest went first


def test_baselines_are_kept_within_their_own_limit() -> None:
    """Baselines (about 9 MB each at 100,000 households) have a limit of their own: many of them
    evict the oldest baseline, never a reform's run (a run key whose policy changes are empty is a
    baseline, :meth:`Explorer._run_key`)."""
    from simulation.reporting.explorer import CACHE_LIMITS

    explorer = Explorer(households=10, months=1, chart_worker=False)
    own = explorer.defaults("qijiang")
    baseline = explorer._run_key(own, "baseline")
    reform = explorer._run_key(replace(own, standard_change=10.0), "explorer")
    assert baseline[-1] == () and reform[-1] != ()
    explorer._cached(reform, lambda: "reform")
    for i in range(CACHE_LIMITS["baseline"] + 3):
        explorer._cached(("run", "qijiang", (("take_up", i),), 0.003, ()), lambda i=i: i)
    baselines = [k for k in explorer._runs if k[0] == "run" and k[-1] == ()]
    assert len(baselines) == CACHE_LIMITS["baseline"] and baselines[0][2] == (("take_up", 3),)
    assert explorer._runs[reform] == "reform"


def _runs(explorer: Explorer) -> int:
    return sum(1 for key in explorer._runs if key[0] == "run")


@pytest.mark.slow
def test_prefetch_fills_the_cache_and_gives_way_to_a_foreground_compute() -> None:
    explorer = Explorer(households=400, months=6)
    own = explorer.defaults("qijiang")
    explorer.compute(own)
    assert _runs(explorer) == 1  # the baseline; no reform at the locality's own values
    explorer.prefetch([replace(own, standard_change=10.0)]).join()
    assert _runs(explorer) == 2
    prefetched = explorer.compute(replace(own, standard_change=10.0))
    assert _runs(explorer) == 2  # served from the prefetch, no engine run
    fresh = Explorer(households=400, months=6).compute(replace(own, standard_change=10.0))
    assert pd.Series(prefetched.headline).equals(pd.Series(fresh.headline))

    # a foreground compute started during a prefetch wins; the result is the same as without it
    thread = explorer.prefetch([replace(own, standard_change=20.0), replace(own, standard_change=30.0)])
    view = explorer.compute(replace(own, exit_months=12))
    thread.join(timeout=120)
    assert not thread.is_alive()
    alone = Explorer(households=400, months=6).compute(replace(own, exit_months=12))
    assert pd.Series(view.headline).equals(pd.Series(alone.headline))


@pytest.mark.slow
def test_widget_prefetches_the_next_slider_step_and_redraws_from_it() -> None:
    from simulation.reporting.explorer import ExplorerWidget

    explorer = Explorer(households=400, months=6)
    threads = []
    prefetch = explorer.prefetch

    def keep(candidates, **options):  # type: ignore[no-untyped-def]
        threads.append(prefetch(candidates, **options))
        return threads[-1]

    explorer.prefetch = keep  # type: ignore[method-assign]
    widget = ExplorerWidget(explorer, explorer.defaults("qijiang"))  # first redraw, then a prefetch
    assert widget.redraws == 1 and widget.headline.value.startswith("<table")
    assert [s.standard_change for s in widget.neighbours(widget.settings())] == [10, -10]
    assert [s.review for s in widget.alternatives(widget.settings())] == ["yearly", "half_yearly", "quarterly"]
    own = widget.settings()
    further = widget.further(own)
    # the standard slider 2-4 steps either way, then one step either way on the gradual exit's
    assert [s.standard_change for s in further[:6]] == [20, -20, 30, -30, 40, -40]
    months, ceiling = own.exit_months, own.exit_ceiling
    assert [(s.exit_months, s.exit_ceiling) for s in further[6:]] == [
        (months + 1, ceiling), (months - 1, ceiling),
        (months, round(ceiling + 0.1, 6)), (months, round(ceiling - 0.1, 6))]
    assert not set(further) & set(widget.neighbours(widget.settings()))
    for thread in threads:  # two slider steps, three review schedules, then the further positions
        thread.join(timeout=300)
    # the runs of every setting seen: its reform, and its baseline where the setting changes it
    # (take-up, discovery, the staffing ratio of the offices)
    settings = [explorer.normalised(s) for s in [own, *widget.neighbours(own), *widget.alternatives(own), *further]]
    expected = len({explorer._run_key(s, "baseline") for s in settings}
                   | {explorer._run_key(s, "explorer") for s in settings if s.changes(explorer.start)})
    assert expected == 1 + 2 + 3 + 10 and _runs(explorer) == expected
    explorer.prefetch = lambda candidates, **options: None  # type: ignore[method-assign] # count only these redraws
    deadline = time.monotonic() + 120
    widget.controls["standard_change"].value = 10  # as the slider would; redraw after the debounce
    while widget.redraws < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert widget.redraws == 2
    assert _runs(explorer) == expected  # the +10 reform came from the prefetch: no engine run
    assert "+" in widget.headline.value and "data-redraws='2'" in widget.status.value
    # the slider moved up, so the next prefetch tries +20 first
    assert [s.standard_change for s in widget.neighbours(widget.settings())][:1] == [20]
    widget.controls["standard_change"].value = 0
    widget.controls["review"].value = "quarterly"  # a dropdown choice, prefetched from the first view
    while widget.redraws < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert widget.redraws == 3 and _runs(explorer) == expected
    widget.controls["review"].value = own.review
    widget.controls["standard_change"].value = 40  # a drag of four steps: prefetched from the first view
    while widget.redraws < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert widget.redraws == 4 and _runs(explorer) == expected


def test_household_tally_equals_the_summary_of_a_full_trace() -> None:
    """The explorer's tally gives what distribution.household_summary reads from a trace of every
    household (the same run, followed both ways)."""
    from simulation.engine import SimulationModel
    from simulation.policy import load_policy
    from simulation.population import generate, load_profile
    from simulation.reporting.explorer import HouseholdTally
    from simulation.scenarios.distribution import household_summary

    population = generate(load_profile("qijiang"), n_households=600, seed=3)
    ids = population.households["household_id"].to_numpy()
    policy = load_policy("qijiang", reforms=[{"dibao.standard.urban": {"2025-03-01": {
        "value": 1200, "reference": "assumption: a test raise"}}}])
    model = SimulationModel(population, policy, "2025-01", 8, 5, trace=ids)
    tally = HouseholdTally(model)
    for _ in range(8):
        model.run_for(1)
        tally.record()
    weights = population.households.set_index("household_id")["weight"]
    got = tally.summary(weights)
    want = household_summary(model.result().trace, weights)
    assert list(got.columns) == list(want.columns)
    assert got.index.equals(want.index)
    assert (want["paid_mean"] > 0).sum() > 20 and (want["months_paid"] < 8).any()  # something to compare
    for column in want.columns:
        np.testing.assert_allclose(got[column].to_numpy(float), want[column].to_numpy(float), rtol=1e-12,
                                   equal_nan=True, err_msg=column)


@pytest.mark.slow
def test_explorer_distribution_adds_up_to_the_extra_cost_and_is_shown() -> None:
    from simulation.reporting.explorer import CHARTS, distribution_html
    from simulation.scenarios.distribution import DECILE_COLUMNS, POVERTY_COLUMNS

    explorer = Explorer(households=1500, months=12)
    own = explorer.defaults("qijiang")
    view = explorer.compute(replace(own, standard_change=40.0))
    assert list(view.deciles.columns) == DECILE_COLUMNS and list(view.poverty.columns) == POVERTY_COLUMNS
    # the deciles of all households add up to the reform's extra cost of dibao, single and tekun
    setting = explorer.normalised(replace(own, standard_change=40.0))
    base, reform = (explorer._engine_run(setting, v) for v in ("baseline", "explorer"))
    paid = ["dibao", "single_inclusion", "tekun"]
    extra = reform.annual.reindex(columns=paid).fillna(0).to_numpy().sum() - base.annual.reindex(
        columns=paid).fillna(0).to_numpy().sum()
    households = view.deciles[view.deciles["population"] == "households"]
    assert extra > 0 and np.isclose(households["change_total"].sum(), extra, rtol=1e-7)
    assert households["winners"].sum() > 0
    # a higher standard: fewer persons below it after than before
    line = view.poverty.set_index("line").loc["dibao_standard"]
    assert line["headcount_after"] < line["headcount_before"]
    zh = explorer.distribution_html(view)
    assert "受益户" in zh and "低保标准" in zh and "相对贫困线（收入中位数的 50%" in zh
    en = distribution_html(view.deciles, view.poverty, 0.4, "en")
    assert "Winners" in en and "Relative line (40% of median income" in en
    assert set(CHARTS) >= {"deciles", "winners"}
    for chart in ("deciles", "winners"):
        png, legend = explorer.drawn(view, chart)
        assert png.startswith(b"\x89PNG") and legend
    # no reform: nobody gains or loses, poverty the same before and after
    still = explorer.compute(own)
    assert still.deciles[["winners", "losers"]].to_numpy().sum() == 0
    assert (still.poverty["headcount_before"] == still.poverty["headcount_after"]).all()


def test_a_chart_laid_out_again_from_the_layout_of_the_same_texts_is_the_same_image() -> None:
    from simulation.reporting.explorer import _layout_key

    explorer = Explorer(households=100, months=12)
    view = SimpleNamespace(annual_cost=pd.DataFrame({"dibao": [3.0e7, 3.2e7]}, index=pd.Index([2025, 2026])),
                           baseline_annual=pd.Series([2.9e7, 3.0e7], index=[2025, 2026]))
    explorer._chart_inputs = lambda v: {"cost": (v.annual_cost, v.baseline_annual)}  # type: ignore[method-assign]
    first = explorer.png(view, "cost")  # constrained layout; the layout is kept
    assert len(explorer._layouts) == 1
    explorer._runs.clear()  # forget the image, not the layout
    assert explorer.png(view, "cost") == first
    # other tick labels: a layout of its own
    bigger = SimpleNamespace(annual_cost=view.annual_cost * 40, baseline_annual=view.baseline_annual * 40)
    explorer.png(bigger, "cost")
    assert len(explorer._layouts) == 2
    fig = explorer._draw("cost", bigger.annual_cost, bigger.baseline_annual)
    assert _layout_key(fig) != _layout_key(explorer._draw("cost", view.annual_cost, view.baseline_annual))


def _explorer_chart_tables(scale: float, towns: int, months: int, columns: tuple[str, ...]) -> dict[str, tuple]:
    """Inputs of every explorer chart; ``scale`` moves the numbers, the rest the tables' shape."""
    years = pd.Index([2025, 2026, 2027], name="year")
    annual = pd.DataFrame({c: np.array([3.0e7, 3.2e7, 2.9e7]) * scale / (k + 1) for k, c in enumerate(columns)},
                          index=years)
    index = pd.period_range("2025-01", periods=months, freq="M")
    persons = pd.DataFrame({c: np.linspace(900, 1200, months) * scale / (k + 1) for k, c in enumerate(columns)},
                           index=index)
    rows = []
    for population in ("recipients", "households"):
        for d in range(1, 11):
            rows.append({"population": population, "decile": d, "households": 1000.0 * d,
                         "winners": 50.0 * d * scale, "losers_fewer_months": 3.0 * (11 - d),
                         "losers_lower_amount": 2.0 * d, "mean_change": (5.5 - d) * scale})
    deciles = pd.DataFrame(rows)
    cap = pd.DataFrame({"year": years, "services_cost": np.array([2.0e6, 2.6e6, 1.9e6]) * scale,
                        "cap": [2.4e6, 2.3e6, 2.2e6]})
    staff = pd.DataFrame({"staff_current": np.arange(towns) % 4 + 1.0,
                          "staff_selected": np.arange(towns) % 3 * scale + 2.0},
                         index=pd.Index([f"镇{i}" for i in range(towns)], name="township"))
    return {"cost": (annual, annual.sum(axis=1) * 0.9), "coverage": (persons, persons.sum(axis=1) * 1.1),
            "deciles": (deciles, None), "winners": (deciles, None), "cap": (cap, None), "staffing": (staff, None)}


def test_a_chart_drawn_into_a_used_figure_is_the_image_of_a_new_figure() -> None:
    """render_chart draws into a figure kept from an earlier draw (charts.reusing); the image must
    be that of a new figure, pixel for pixel, whatever the earlier chart's numbers and shape."""
    from simulation.reporting import charts
    from simulation.reporting.explorer import CHARTS, DPI, draw_chart

    first = _explorer_chart_tables(1.0, 25, 36, ("dibao", "tekun", "staff"))
    for second in (_explorer_chart_tables(3.7, 25, 36, ("dibao", "tekun", "staff")),
                   _explorer_chart_tables(0.4, 6, 13, ("dibao", "single_inclusion"))):
        for chart in CHARTS:
            used = draw_chart(chart, *first[chart], "zh")
            charts.to_png(used, dpi=DPI)
            # then drawn again with its layout kept, as render_chart does (out of the layout engine)
            positions = [ax.get_position().bounds for ax in used.axes]
            used.set_layout_engine("none")
            for ax, position in zip(used.axes, positions, strict=True):
                ax.set_position(position)
            charts.to_png(used, dpi=DPI)
            with charts.reusing(used):
                again = draw_chart(chart, *second[chart], "zh")
            assert again is used, chart
            fresh = charts.to_png(draw_chart(chart, *second[chart], "zh"), dpi=DPI)
            assert charts.to_png(again, dpi=DPI) == fresh, chart


def test_widget_status_shows_how_far_a_cold_change_has_got() -> None:
    """A fresh engine run reports its months in the status line (every six months and at the
    end), naming the run; a prefetch does not; the line ends with the redraw's time."""
    from simulation.reporting.explorer import ExplorerWidget

    explorer = Explorer(households=400, months=12, chart_worker=False)
    prefetch = explorer.prefetch
    explorer.prefetch = lambda candidates, **options: None  # type: ignore[method-assign,assignment,return-value]
    # the runs in the redraw's own thread (a run begun at the change reports only the months
    # after the redraw has started: a test of its own below)
    explorer.begin = lambda settings: None  # type: ignore[method-assign,assignment,return-value]
    widget = ExplorerWidget(explorer, explorer.defaults("qijiang"))  # the first view
    seen: list[str] = []
    widget.status.observe(lambda change: seen.append(change["new"]), names="value")

    def change(control: str, value: object) -> list[str]:
        seen.clear()
        widget.controls[control].value = value
        widget._timer.cancel()  # type: ignore[union-attr] # redraw now, not after the debounce
        widget.redraw()
        assert "绘制图表……" in seen and "data-redraws=" in seen[-1]
        return [v for v in seen if "第" in v]

    # take-up changes the baseline (rerun); no policy change, so no reform run
    assert change("take_up_scale", 1.5) == ["计算中……基线：第 6/12 月", "计算中……基线：第 12/12 月"]
    assert change("exit_months", 12) == ["计算中……调整方案：第 6/12 月", "计算中……调整方案：第 12/12 月"]
    assert explorer.on_month is None  # only during a foreground compute
    seen.clear()
    prefetch([replace(widget.settings(), exit_months=13)]).join(timeout=120)
    assert seen == []  # a prefetch runs the engine without a word in the status line


def computing(explorer: Explorer) -> None:
    """Wait until a foreground compute holds the explorer (it has read its setting)."""
    deadline = time.monotonic() + 60
    while not explorer._lock.locked():
        assert time.monotonic() < deadline, "no compute started"
        time.sleep(0.005)


def test_a_change_begins_its_engine_runs_before_the_debounce_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """The widget starts a change's engine runs at once (``Explorer.begin``): they are in the
    cache before the debounce's redraw, which runs the engine no more and keeps their stage
    times; a setting already in the cache is redrawn at once; a change replaced by the next one
    stops, and its run is not kept."""
    import simulation.reporting.explorer as module
    from simulation.reporting.explorer import ExplorerWidget

    monkeypatch.setattr(module, "DEBOUNCE_SECONDS", 600.0)  # the test redraws by itself
    explorer = Explorer(households=400, months=12, chart_worker=False)
    explorer.prefetch = lambda candidates, **options: None  # type: ignore[method-assign,assignment,return-value]
    widget = ExplorerWidget(explorer, explorer.defaults("qijiang"))  # the first view

    def runs() -> set[tuple]:
        return {key for key in explorer._runs if key[0] == "run"}

    widget.controls["standard_change"].value = 10
    begun = explorer._begun
    assert begun is not None and begun[0].standard_change == 10
    begun[1].join(timeout=120)
    assert widget.redraws == 1  # nothing redrawn yet, the runs done
    assert explorer._run_key(begun[0], "explorer") in runs()
    before = runs()
    widget._timer.cancel()  # type: ignore[union-attr]
    widget.redraw()
    assert widget.redraws == 2 and runs() == before  # no engine run in the redraw
    assert explorer.timings["engine months"] > 0.0 and "charts" in explorer.timings
    assert explorer._begun is None
    # a redraw that starts while the begun run is still going waits for it: one engine run
    import simulation.engine as engine

    made: list[int] = []

    class Counted(engine.SimulationModel):  # type: ignore[misc,name-defined]
        def __init__(self, *args: object, **kwargs: object) -> None:
            made.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(engine, "SimulationModel", Counted)
    with explorer._engine_lock:  # the begun run waits here until the redraw has started
        widget.controls["standard_change"].value = 40
        widget._timer.cancel()  # type: ignore[union-attr]
        redraw = threading.Thread(target=widget.redraw)
        redraw.start()
        computing(explorer)
    redraw.join(timeout=120)
    assert widget.redraws == 3 and len(made) == 1
    # a change during a redraw that waits for its begun run: the redraw ends (its setting run
    # in the foreground), and the new setting's begun run goes on
    with explorer._engine_lock:
        widget.controls["standard_change"].value = 50
        widget._timer.cancel()  # type: ignore[union-attr]
        redraw = threading.Thread(target=widget.redraw)
        redraw.start()
        computing(explorer)  # the redraw has read its setting (50) and waits for its begun run
        widget.controls["standard_change"].value = 60
        widget._timer.cancel()  # type: ignore[union-attr]
        later = explorer._begun
    redraw.join(timeout=120)
    assert later is not None and explorer._begun is later
    later[1].join(timeout=120)
    assert explorer._run_key(later[0], "explorer") in runs()
    # a setting whose runs are in the cache is redrawn at once, without the debounce
    redraws, shown = widget.redraws, []
    widget.on_redraw = lambda view: shown.append(view.settings.standard_change)
    widget.controls["standard_change"].value = 10
    widget._timer.join(timeout=120)  # type: ignore[union-attr] # a short timer, not 600 s
    assert widget.redraws == redraws + 1 and shown == [10.0]
    assert "engine months" not in explorer.timings
    # two changes in a row: the first one's run gives way before its first month
    with explorer._engine_lock:  # (the first begun run waits here until the second change)
        widget.controls["standard_change"].value = 20
        first = explorer._begun
        widget.controls["standard_change"].value = 30
    assert first is not None
    first[1].join(timeout=120)
    explorer._begun[1].join(timeout=120)  # type: ignore[index]
    keys = runs()
    assert explorer._run_key(first[0], "explorer") not in keys
    assert explorer._run_key(explorer.normalised(widget.settings()), "explorer") in keys
    widget._timer.cancel()  # type: ignore[union-attr]


@pytest.mark.slow
def test_prefetch_draws_the_first_candidates_at_once_and_the_rest_after_all_are_run() -> None:
    """``draw_first``: the first candidates are run and drawn one by one, the others all run
    before any of them is drawn; in the end every one is in the cache, runs and images."""
    explorer = Explorer(households=400, months=6, chart_worker=False)
    own = explorer.defaults("qijiang")
    explorer.compute(own)
    events: list[tuple[str, float]] = []
    engine_run, drawn = explorer._engine_run, explorer.drawn

    def run(settings, variant, generation=None):  # type: ignore[no-untyped-def]
        if variant == "explorer" and explorer._run_key(settings, variant) not in explorer._runs:
            events.append(("run", settings.standard_change))  # a run, not a look-up
        return engine_run(settings, variant, generation)

    def draw(view, chart, dpi=DPI):  # type: ignore[no-untyped-def]
        if chart == CHARTS[0]:
            events.append(("draw", view.settings.standard_change))
        return drawn(view, chart, dpi)

    explorer._engine_run, explorer.drawn = run, draw  # type: ignore[method-assign]
    candidates = [replace(own, standard_change=v) for v in (10.0, 20.0, 30.0)]
    explorer.prefetch(candidates, draw_first=1).join(timeout=300)
    assert events == [("run", 10.0), ("draw", 10.0), ("run", 20.0), ("run", 30.0),
                      ("draw", 20.0), ("draw", 30.0)]
    for settings in candidates:  # everything was kept: no engine run, no chart drawn again
        view = explorer.compute(settings)
        assert set(explorer.drawn_all(view)) == set(CHARTS)
        assert "engine months" not in explorer.timings and "charts" not in explorer.timings


def test_a_redraw_shares_its_charts_by_their_cost() -> None:
    """The worker process gets the charts that balance the two sides by each chart's last
    drawing time (the redraw waits for the slower side); before any is known, every other one."""
    explorer = Explorer(households=1000, chart_worker=False)
    missing = list(CHARTS)
    assert explorer._worker_share(missing) == missing[1::2]
    explorer._chart_cpu = {"cost": 0.07, "deciles": 0.07, "cap": 0.03, "coverage": 0.03, "winners": 0.03,
                           "staffing": 0.03}
    share = explorer._worker_share(missing)
    assert len(share) == 3 and ("cost" in share) != ("deciles" in share)  # the two costliest apart
    here = sum(explorer._chart_cpu[c] for c in missing if c not in share)
    assert here == pytest.approx(sum(explorer._chart_cpu[c] for c in share))
    assert explorer._worker_share(["cap"]) == []  # one chart: drawn here, nothing to wait for
