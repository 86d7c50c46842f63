"""Charts render Chinese and English labels with no missing glyph; tables sum the monthly table right.

The monthly tables here are small and hand-made, with the columns of docs/contracts.md §5.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from simulation.reporting import charts, tables
from simulation.reporting.fonts import find_cjk_family, use_cjk_font
from simulation.reporting.labels import LABELS, PART_LABELS, label, money_unit
from simulation.reporting.tables import TARGET_LABELS

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "charts"
CJK = re.compile(r"[\u4e00-\u9fff]")


@contextmanager
def glyphs_required() -> Iterator[None]:
    """Turn matplotlib's "Glyph ... missing from font(s)" warning into an error."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph .* missing")
        yield


def render(fig: Figure, name: str) -> bytes:
    """savefig with missing glyphs as errors; keep a copy under artifacts/ to look at."""
    with glyphs_required():
        png = charts.to_png(fig)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(png)
    return png


def monthly_table() -> pd.DataFrame:
    """Two townships × two areas × three programmes × 15 months (2024-01 .. 2025-03)."""
    rows = []
    for i, month in enumerate(pd.period_range("2024-01", "2025-03", freq="M")):
        for township in (0, 1):
            for area in ("urban", "rural"):
                for p, programme in enumerate(("dibao", "tekun", "temporary")):
                    persons = 100 * (p + 1) + township + i
                    rows.append({
                        "month": str(month), "township": township, "area": area,
                        "programme": programme, "persons": persons, "households": persons // 2,
                        "payment": 1000.0 * (p + 1), "payment_gap": 600.0 * (p + 1),
                        "payment_supplement": 400.0 * (p + 1), "entries": 1, "exits_income": 1,
                        "reviews": 3, "applications": 2, "pending": 1,
                        "days_to_decision_mean": 10.0, "days_to_decision_p90": 14.0,
                    })
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def monthly() -> pd.DataFrame:
    return monthly_table()


def test_a_cjk_font_is_installed_and_used() -> None:
    family = use_cjk_font()
    assert family in ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC")
    # per-glyph fallback needs the list in font.family itself
    assert list(matplotlib.rcParams["font.family"]) == ["sans-serif", family]


def test_glyph_check_can_fail_without_the_cjk_fallback() -> None:
    """The guard is real: with only DejaVu Sans, a Chinese title raises."""
    fig = Figure()
    fig.subplots().set_title("低保", family="DejaVu Sans")
    with pytest.raises(UserWarning, match="missing"), glyphs_required():
        charts.to_png(fig)


def test_annual_by_sums_months_of_each_year(monthly: pd.DataFrame) -> None:
    annual = tables.annual_by(monthly)
    # dibao: 1000 yuan × 2 townships × 2 areas × 12 months in 2024, × 3 months in 2025
    assert annual.loc[2024, "dibao"] == pytest.approx(1000 * 4 * 12)
    assert annual.loc[2025, "tekun"] == pytest.approx(2000 * 4 * 3)
    assert list(annual.index) == [2024, 2025]


def test_stock_by_year_takes_the_last_month_not_a_sum(monthly: pd.DataFrame) -> None:
    stock = tables.stock_by_year(monthly, value="persons")
    # December 2024 is month index 11: dibao persons 100 + township + 11, summed over 2 × 2
    assert stock.loc[2024, "dibao"] == (100 + 0 + 11) * 2 + (100 + 1 + 11) * 2
    assert stock.loc[2025, "dibao"] == (100 + 0 + 14) * 2 + (100 + 1 + 14) * 2


def test_annual_components(monthly: pd.DataFrame) -> None:
    comps = tables.annual_components(monthly)
    assert list(comps.columns) == ["gap", "supplement"]
    assert comps.loc[2024, "gap"] == pytest.approx(600 * 6 * 4 * 12)


def test_quantile_bands() -> None:
    per_rep = pd.DataFrame({"replication": np.repeat(np.arange(11), 2), "year": [2024, 2025] * 11,
                            "cost": np.concatenate([[r * 10.0, r * 20.0] for r in range(11)])})
    bands = tables.quantile_bands(per_rep, ["year"], "cost").set_index("year")
    assert bands.loc[2024, "p10"] == pytest.approx(10.0)
    assert bands.loc[2024, "p50"] == pytest.approx(50.0)
    assert bands.loc[2025, "p90"] == pytest.approx(180.0)
    assert bands.loc[2025, "replications"] == 11


def test_bad_month_is_named(monthly: pd.DataFrame) -> None:
    bad = monthly.copy()
    bad.loc[5, "month"] = "2024-13"
    with pytest.raises(tables.TableError, match="2024-13"):
        tables.annual_by(bad)


def test_missing_column_and_nan_are_named(monthly: pd.DataFrame) -> None:
    with pytest.raises(tables.TableError, match=r"missing column\(s\) \['payment'\]"):
        tables.annual_by(monthly.drop(columns="payment"))
    bad = monthly.copy()
    bad.loc[7, "payment"] = np.nan
    with pytest.raises(tables.TableError, match="'payment'.*first at row 7"):
        tables.annual_by(bad)


def test_money_units() -> None:
    assert money_unit(3.2e9, "zh") == (1e8, "亿元")
    assert money_unit(5.0e6, "zh") == (1e4, "万元")
    assert money_unit(5.0e6, "en") == (1e3, "thousand yuan")
    assert money_unit(5.0e7, "en") == (1e6, "million yuan")
    with pytest.raises(ValueError, match="'fr'"):
        money_unit(1.0, "fr")  # type: ignore[arg-type]


def test_every_chinese_label_has_an_english_one() -> None:
    for key, (zh, en) in {**LABELS, **PART_LABELS, **TARGET_LABELS}.items():
        assert CJK.search(zh), key
        assert not CJK.search(en), key


def test_cost_components_and_named_series_get_labels() -> None:
    assert charts.name("dibao.gap", "zh") == "低保·补差"
    assert charts.name("tekun.care", "en") == "Tekun support: care"
    assert charts.name("dibao.unknown_part", "zh") == "dibao.unknown_part"
    assert charts.name("plus_50", "zh", {"plus_50": "低保标准提高50元"}) == "低保标准提高50元"
    assert charts.name(7, "zh") == "7"


def _all_charts(monthly: pd.DataFrame, lang: str) -> dict[str, Figure]:
    annual = tables.annual_by(monthly)
    persons = tables.monthly_by(monthly, value="persons")
    per_rep = pd.DataFrame({"replication": np.repeat(np.arange(20), 3), "year": [2024, 2025, 2026] * 20,
                            "series": "reform", "extra": np.linspace(1e6, 3e6, 60)})
    bands = tables.quantile_bands(per_rep, ["series", "year"], "extra")
    cap = pd.DataFrame({"year": [2024, 2025], "services_cost": [1.5e6, 2.4e6], "cap": [2.0e6, 2.1e6]})
    staff = pd.DataFrame({"staff_current": [2, 3], "staff_ratio_2": [2, 2], "staff_ratio_2.5": [2, 3],
                          "staff_ratio_4": [3, 4], "staff_needed": [2.5, 3.4]},
                         index=pd.Index(["古南街道", "文龙街道"], name="township"))
    offices = pd.DataFrame({"backlog": [4, 12], "days_to_decision": [9.0, 17.5],
                            "days_to_decision_p90": [13.0, 25.0]}, index=[0, 1])
    comparison = pd.DataFrame({"item": [label("dibao", lang), label("tekun", lang)],
                               "model": [110.0, 95.0], "published": [100.0, 100.0]})
    demand = pd.DataFrame({"haircut": [1e4, 5e3], "cleaning": [4e4, 2e4]},
                          index=["self_care", "partial"])
    return {
        "cost": charts.cost_chart(annual, lang),
        "components": charts.cost_chart(tables.annual_components(monthly), lang),
        "band": charts.band_chart(bands, lang, series="series"),
        "coverage": charts.coverage_chart(persons, lang),
        "cap": charts.cap_chart(cap, lang),
        "staffing": charts.staffing_chart(staff, lang),
        "backlog": charts.backlog_chart(offices, lang, deadline_days=15),
        "calibration": charts.calibration_chart(comparison, lang),
        "demand": charts.demand_chart(demand, lang),
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_renders_without_a_missing_glyph(monthly: pd.DataFrame, lang: str) -> None:
    for chart_name, fig in _all_charts(monthly, lang).items():
        png = render(fig, f"{chart_name}_{lang}")
        assert png.startswith(b"\x89PNG") and len(png) > 5000, chart_name
        texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
        has_cjk = any(CJK.search(t) for t in texts)
        if lang == "zh":
            assert has_cjk, f"{chart_name}: no Chinese label in {texts[:10]}"
        elif chart_name != "staffing":  # staffing has Chinese township names by design
            assert not has_cjk, f"{chart_name}: Chinese text in an English chart: {texts[:10]}"


def test_chinese_title_is_drawn_with_the_cjk_font(monthly: pd.DataFrame) -> None:
    fig = charts.cost_chart(tables.annual_by(monthly), "zh")
    title = fig.axes[0].title
    assert title.get_text() == "救助资金支出（按项目）"
    assert find_cjk_family() in title.get_fontfamily()


def test_cap_chart_marks_headroom_and_excess() -> None:
    cap = pd.DataFrame({"year": [2024, 2025], "services_cost": [1.5e6, 2.4e6], "cap": [2.0e6, 2.1e6]})
    fig = charts.cap_chart(cap, "en")
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert notes == ["Headroom 500", "Over the cap 300"]  # thousand yuan


def test_chart_errors_name_the_table() -> None:
    with pytest.raises(tables.TableError, match="cap_chart: missing column"):
        charts.cap_chart(pd.DataFrame({"year": [2024]}), "zh")
    with pytest.raises(tables.TableError, match="staffing_chart: unknown column 'staff_total'"):
        charts.staffing_chart(pd.DataFrame({"staff_total": [1.0]}), "zh")
    with pytest.raises(tables.TableError, match=r"no model value for \['x'\]"):
        charts.calibration_chart(pd.DataFrame({"item": ["x"], "model": [np.nan], "published": [1.0]}), "en")
    with pytest.raises(tables.TableError, match="cost_chart: table is empty"):
        charts.cost_chart(pd.DataFrame(), "zh")
    with pytest.raises(ValueError, match="lang must be one of"):
        charts.cost_chart(pd.DataFrame({"dibao": [1.0]}, index=[2024]), "de")  # type: ignore[arg-type]


def test_to_png_keeps_one_renderer_per_size_and_gives_savefig_pixels() -> None:
    """The shared renderer (charts._SharedRendererCanvas) is sized in whole pixels as matplotlib
    sizes its own: a height of 509.99999 px (8 × 5.1 in at 100 dpi) is 510 rows, not 509."""
    import io

    from PIL import Image

    def figure() -> Figure:
        fig, (ax,) = charts.new_figure("en", figsize=(8.0, 0.45 * 8 + 1.5))
        ax.plot([0, 1], [0, 1], label="x")
        ax.legend()
        return fig

    first, again = charts.to_png(figure(), dpi=100), charts.to_png(figure(), dpi=100)
    assert first == again  # the kept renderer is cleared before each draw
    saved = io.BytesIO()
    figure().savefig(saved, format="png", dpi=100)
    ours, theirs = Image.open(io.BytesIO(first)), Image.open(saved)
    assert ours.size == theirs.size == (800, 510)
    assert np.array_equal(np.asarray(ours.convert("RGBA")), np.asarray(theirs.convert("RGBA")))


def test_to_png_text_caches_give_savefig_pixels() -> None:
    """The shared renderer keeps fonts' height metrics, strings' glyphs and glyphs' bitmaps by
    sub-pixel offset (charts._TextCachingRendererAgg); drawn from its caches, Chinese and Latin
    text, rotated and at other sizes and places, is matplotlib's own pixels."""
    import io

    from PIL import Image

    def figure(shift: float) -> Figure:
        fig, (ax,) = charts.new_figure("zh")
        ax.plot([0, 1, 2], [0, 1 + shift, 3], label="低保 dibao")
        ax.set_xticks([0, 1, 2], ["二〇二五年", "2026", "特困 tekun"], rotation=30)
        ax.annotate(f"{1234.5 + shift:,.1f} 万元", (1, 1 + shift), fontsize=8)
        ax.set_title("支出 cost", fontsize=11 + shift)
        ax.set_ylabel("万元 / 年")
        ax.legend(fontsize=8)
        return fig

    for shift in (0.0, 0.37, 0.0, 1.71):  # the second time round from the caches
        saved = io.BytesIO()
        figure(shift).savefig(saved, format="png", dpi=110)
        ours = Image.open(io.BytesIO(charts.to_png(figure(shift), dpi=110)))
        assert np.array_equal(np.asarray(ours.convert("RGBA")), np.asarray(Image.open(saved).convert("RGBA")))


def test_bars_are_the_picture_of_matplotlib_bars() -> None:
    """charts.bars draws what ax.bar draws, pixel for pixel: stacked, below zero, a colour per
    bar, a bar that is not finite left out, with their legend entries."""
    import io

    from PIL import Image

    x = np.arange(4.0)
    layers = [np.array([1.3, 2.7, np.nan, 3.1]), np.array([-0.5, 0.8, 0.4, 2.2])]

    def figure(fast: bool) -> bytes:
        fig, (ax,) = charts.new_figure("zh")
        bottom = np.zeros(4)
        for k, values in enumerate(layers):
            colour = ["tab:red", "tab:blue", "tab:green", "tab:blue"] if k else "#2E7D32"
            draw = charts.bars if fast else (lambda ax, *a, **kw: ax.bar(*a, **kw))
            draw(ax, x + 0.1 * k, values, width=0.6, bottom=bottom, color=colour, label=f"层 {k}")
            bottom = bottom + np.nan_to_num(values)
        ax.legend()
        return charts.to_png(fig, dpi=110)

    ours, theirs = (np.asarray(Image.open(io.BytesIO(figure(fast)))) for fast in (True, False))
    assert np.array_equal(ours, theirs)


def test_text_caches_follow_a_change_of_font() -> None:
    """A change of the font settings between two figures (which font 'sans-serif' means) is
    drawn in the new font, not from the shared renderer's caches of the old one."""
    import io

    import matplotlib
    from PIL import Image

    def png() -> bytes:
        fig, (ax,) = charts.new_figure("en")
        ax.set_title("Cost 2025")
        return charts.to_png(fig, dpi=100)

    before = png()
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Serif"]}):
        charts.use_cjk_font(required=False)
        serif = png()
        saved = io.BytesIO()
        fig, (ax,) = charts.new_figure("en")
        ax.set_title("Cost 2025")
        fig.savefig(saved, format="png", dpi=100)
    assert serif != before
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(serif)).convert("RGBA")),
                          np.asarray(Image.open(saved).convert("RGBA")))


def test_a_title_placed_at_the_top_is_where_matplotlib_would_put_it() -> None:
    """charts._set_title skips matplotlib's search for a title position where the y labels
    cannot carry an offset: the same pixels as ax.set_title, and with a formatter that writes
    '1e6' beside the axis the search is still made (the title moves clear of it)."""
    from matplotlib.ticker import FuncFormatter

    def png(formatter: object, ours: bool) -> bytes:
        fig, (ax,) = charts.new_figure("zh")
        ax.plot([0, 1, 2], [3.0e6, 3.0e6 + 40, 3.0e6 + 90])
        if formatter is not None:
            ax.yaxis.set_major_formatter(formatter)
        title = "救助资金支出（按项目）" * 4  # wide enough to meet an offset text at the top left
        charts._set_title(ax, title) if ours else ax.set_title(title)
        return charts.to_png(fig, dpi=100)

    for formatter in (FuncFormatter(lambda v, _pos: f"{v:,.0f}"), charts._PlainFormatter(), None):
        assert png(formatter, ours=True) == png(formatter, ours=False)


def test_bars_take_one_colour_given_as_a_tuple_of_components() -> None:
    """An RGBA tuple (what charts._colours gives) is one colour, even when it has as many
    components as there are bars and a bar is left out."""
    fig, (ax,) = charts.new_figure("en")
    colour = (0.1, 0.2, 0.3, 1.0)
    collection = charts.bars(ax, np.arange(4.0), np.array([1.0, np.nan, 2.0, 3.0]), width=0.6, color=colour)
    assert len(collection.get_paths()) == 3
    assert np.allclose(collection.get_facecolors(), [colour])
