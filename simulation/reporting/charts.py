"""Charts (图表) with Chinese or English labels: cost, bands, coverage, cap, staffing, calibration.

Each function takes a small tidy table (built by :mod:`simulation.reporting.tables` or the admin
and scenario layers) and returns a :class:`matplotlib.figure.Figure`; none touches pyplot's global
figure list, so charts can be drawn from threads and widgets. ``lang="zh"`` (default) uses a CJK
font set up by :func:`simulation.reporting.fonts.use_cjk_font`; ``lang="en"`` draws English labels.
"""

from __future__ import annotations

import math
import struct
import threading
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.collections import PolyCollection
from matplotlib.colors import is_color_like
from matplotlib.figure import Figure
from matplotlib.font_manager import fontManager, get_font
from matplotlib.ticker import FuncFormatter, MaxNLocator, ScalarFormatter

from simulation.reporting.fonts import use_cjk_font
from simulation.reporting.labels import (
    LABELS,
    Lang,
    check_lang,
    component_label,
    label,
    money_unit,
    number,
)
from simulation.reporting.tables import TableError, require_columns

FIGSIZE = (8.0, 4.2)


def name(key: object, lang: Lang, names: Mapping[str, str] | None = None) -> str:
    """Label for a programme/component/series key: ``names`` first, then :data:`LABELS`, then
    ``<programme>.<part>`` components; other keys (township ids, variant names) as text."""
    if names and key in names:
        return names[key]  # type: ignore[index]
    if isinstance(key, str):
        if key in LABELS:
            return label(key, lang)
        return component_label(key, lang) or key
    return str(key)


def _colours(n: int) -> list:
    """Distinct colours for ``n`` stacked series (tab10, or tab20 beyond ten)."""
    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


_REUSE = threading.local()  # per thread: the figure handed to the next new_figure (see reusing)


@contextmanager
def reusing(fig: Figure | None) -> Iterator[None]:
    """Within the block, this thread's next :func:`new_figure` of the same size and number of
    axes returns ``fig`` with its data cleared (:func:`_clear_for_reuse`) instead of a new figure.

    Creating a figure, its axes and their ticks is a third of drawing a small chart; the
    explorer redraws the same six charts on every change. Only for charts that set every axes
    property they use on each draw (limits, ticks, labels, formatters, legend), as the explorer's
    do (``tests/test_charts_explorer.py`` compares a chart drawn into a used figure with a fresh
    one, pixel for pixel): state such as an inverted axis or a categorical axis's categories
    stays from the figure's last chart."""
    _REUSE.figure = fig
    try:
        yield
    finally:
        _REUSE.figure = None


def _clear_for_reuse(fig: Figure) -> None:
    """Remove a figure's data artists, legends and containers, restart the colour cycles and
    the data limits, and put back the layout engine and dpi of a new figure."""
    for ax in fig.axes:
        for container in list(ax.containers):
            container.remove()
        for artist in [*ax.lines, *ax.patches, *ax.texts, *ax.collections, *ax.images]:
            artist.remove()
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
        ax.set_prop_cycle(None)
        ax.relim()
        ax.set_autoscale_on(True)
        ax._request_autoscale_view()
        # back in the layout at its grid position, as a new axes starts (a kept layout set by
        # set_position takes it out; constrained layout from another start differs in the last bit)
        ax.set_in_layout(True)
        ax.set_subplotspec(ax.get_subplotspec())
    fig.set_layout_engine("constrained")
    fig.set_dpi(matplotlib.rcParams["figure.dpi"])  # what Figure() takes


def new_figure(lang: Lang, ncols: int = 1, figsize: tuple[float, float] = FIGSIZE) -> tuple[Figure, list[Axes]]:
    """A constrained-layout figure with ``ncols`` axes, fonts set for ``lang`` (or the figure
    handed to :func:`reusing`, cleared, when it has that size and number of axes)."""
    check_lang(lang)
    # English charts may still carry Chinese names (townships), so use the CJK font when present.
    use_cjk_font(required=lang == "zh")
    kept = getattr(_REUSE, "figure", None)
    if (kept is not None and len(kept.axes) == ncols and tuple(kept.get_size_inches()) == tuple(figsize)
            and not (kept.texts or kept.legends or kept._suptitle)):
        _REUSE.figure = None  # one chart per figure
        _clear_for_reuse(kept)
        return kept, list(kept.axes)
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def bars(ax: Axes, x: np.ndarray, height: np.ndarray, *, width: float, color: Any,
         bottom: np.ndarray | None = None, label: str | None = None) -> PolyCollection:
    """Vertical bars centred on ``x`` as one collection: the picture of ``ax.bar`` (the same
    pixels, legend entry included; ``tests/test_charts.py``), a tenth of its time. In a legend
    the bars come where they were drawn among the other artists (``ax.bar``'s came after them).

    ``ax.bar`` makes one patch per bar and updates the data limits patch by patch, walking each
    outline's Bézier segments: a quarter of drawing the explorer's charts. ``color``: one colour
    or one per bar. A bar whose height or bottom is not finite is not drawn, as with ``ax.bar``."""
    x = np.asarray(x, dtype=float)
    height = np.asarray(height, dtype=float)
    base = np.zeros_like(height) if bottom is None else np.broadcast_to(np.asarray(bottom, dtype=float), height.shape)
    drawn = np.isfinite(x) & np.isfinite(height) & np.isfinite(base)
    if not drawn.all() and not is_color_like(color):  # one colour per bar: those drawn
        color = [c for c, keep in zip(color, drawn, strict=True) if keep]
    x, height, base = x[drawn], height[drawn], base[drawn]
    left, right, top = x - width / 2, x + width / 2, base + height
    corners = np.stack([np.stack(pair, axis=1) for pair in ((left, base), (left, top), (right, top), (right, base))], axis=1)
    collection = PolyCollection(corners, closed=True, facecolors=color, edgecolors="none", linewidths=0,
                                label=label)
    # as ax.bar: autoscaling adds no margin beyond the bars' bottoms
    collection.sticky_edges.y.extend(base.tolist())
    ax.add_collection(collection, autolim=True)
    return collection


class _PlainFormatter(ScalarFormatter):
    """ScalarFormatter's tick labels with no offset or power of ten written beside the axis."""

    def __init__(self) -> None:
        super().__init__(useOffset=False)
        self.set_scientific(False)


def _set_title(ax: Axes, text: str) -> None:
    """The chart's title, at the top of the axes.

    Matplotlib moves a title clear of top ticks and of the y axis's offset text (its "1e6"),
    measuring every tick label again at each draw: a tenth of drawing an explorer chart. These
    charts have no top ticks, and where the y labels cannot carry an offset (a function
    formatter, or :class:`_PlainFormatter`) the title is placed at the top, where the search
    would leave it (the same pixels)."""
    plain = isinstance(ax.yaxis.get_major_formatter(), FuncFormatter | _PlainFormatter)
    ax.set_title(text, y=1.0 if plain and ax.xaxis.get_ticks_position() == "bottom" else None)


def _money_axis(ax: Axes, largest: float, lang: Lang, per: str = "") -> float:
    """Scale the y axis to a readable money unit; returns the divisor used."""
    divisor, unit = money_unit(largest, lang)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v / divisor:,.10g}"))
    ax.set_ylabel(f"{unit}{per}")
    return divisor


#: Legend entries that fit in one column beside a chart of :data:`FIGSIZE` at font size 9.
LEGEND_ROWS = 16


def _side_legend(ax: Axes) -> None:
    """The legend to the right of the axes, in as many columns as its entries need to fit the
    chart's height (a cost chart with every special-assistance and office component has 20 and
    more: one column ran off the bottom of the figure)."""
    n = len(ax.get_legend_handles_labels()[1])
    ncol = max(1, -(-n // LEGEND_ROWS))
    ax.legend(fontsize=9 if ncol == 1 else 8, loc="upper left", bbox_to_anchor=(1.0, 1.0), ncol=ncol,
              columnspacing=0.8)


def _nonempty(df: pd.DataFrame, source: str) -> None:
    if df.empty:
        raise TableError(f"{source}: table is empty, nothing to draw")


def cost_chart(annual: pd.DataFrame, lang: Lang = "zh", title: str | None = None,
               baseline: pd.Series | None = None) -> Figure:
    """Stacked bars of spending per year by programme or component.

    ``annual``: index year, one column per programme/component, yuan per year (e.g.
    :func:`simulation.reporting.tables.annual_by`). Total written above each bar. ``baseline``
    (index year, yuan per year): the baseline's total drawn as a line over the bars, and each
    bar's difference from it written under its total.
    """
    _nonempty(annual, "cost_chart")
    fig, (ax,) = new_figure(lang)
    x = np.arange(len(annual.index))
    bottom = np.zeros(len(x))
    for column, colour in zip(annual.columns, _colours(len(annual.columns)), strict=True):
        values = annual[column].to_numpy(dtype=float)
        bars(ax, x, values, bottom=bottom, label=name(column, lang), width=0.6, color=colour)
        bottom += values
    base = None if baseline is None else baseline.reindex(annual.index).fillna(0.0).to_numpy(float)
    top = bottom if base is None else np.maximum(bottom, base)
    divisor = _money_axis(ax, float(top.max()), lang, "/年" if lang == "zh" else " per year")
    if base is not None:
        ax.plot(x, base, color="black", linestyle="--", marker="D", linewidth=1.8, label=label("baseline_total", lang))
    for i, (xi, total) in enumerate(zip(x, bottom, strict=True)):
        text = number(total / divisor)
        if base is not None:
            text += f"\n({(total - base[i]) / divisor:+,.1f})"
        ax.annotate(text, (xi, top[i]), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=9)
    ax.set_ylim(0, float(top.max()) * 1.2 if top.max() > 0 else 1.0)
    ax.set_xticks(x, [str(i) for i in annual.index])
    ax.set_xlabel(label("year", lang))
    _set_title(ax, title or label("cost_title", lang))
    _side_legend(ax)
    return fig


def band_chart(
    bands: pd.DataFrame, lang: Lang = "zh", x: str = "year", series: str | None = None,
    title: str | None = None, names: Mapping[str, str] | None = None,
    totals: Mapping[str, tuple[str, float, float, float]] | None = None,
) -> Figure:
    """Median line with a shaded P10–P90 band, one line per ``series`` value if given; each
    median is written beside its point (one decimal, in the axis unit).

    ``bands``: columns ``x``, ``p10``, ``p50``, ``p90`` (yuan), e.g. from
    :func:`simulation.reporting.tables.quantile_bands`; ``names`` maps series values to labels
    (e.g. a reform's ``label_zh``); ``totals`` maps a series value (or ``""`` without series) to
    (period, P50, P10, P90) of the whole horizon, added to its legend entry.
    """
    require_columns(bands, [x, "p10", "p50", "p90", *([series] if series else [])], "band_chart")
    _nonempty(bands, "band_chart")
    fig, (ax,) = new_figure(lang)
    groups = bands.groupby(series, sort=False) if series else [(None, bands)]
    divisor, unit = money_unit(float(bands[["p10", "p50", "p90"]].abs().max().max()), lang)
    for key, part in groups:
        part = part.sort_values(x)
        xs = part[x].astype(str).to_numpy()
        line_label = base_label = name(key, lang, names) if key is not None else label("median", lang)
        total = (totals or {}).get("" if key is None else key)
        if total is not None:
            period, p50, p10, p90 = total
            line_label += (f" ({period}{'合计' if lang == 'zh' else ' total'} {p50 / divisor:,.1f} "
                           f"[{p10 / divisor:,.1f}–{p90 / divisor:,.1f}] {unit})")
        ys = part["p50"].to_numpy(float)
        (line,) = ax.plot(xs, ys, marker="o", label=line_label)
        for xi, yi in zip(xs, ys, strict=True):
            ax.annotate(f"{yi / divisor:,.1f}", (xi, yi), xytext=(0, 6), textcoords="offset points",
                        ha="center", va="bottom", fontsize=9)
        ax.fill_between(xs, part["p10"].to_numpy(float), part["p90"].to_numpy(float),
                        color=line.get_color(), alpha=0.2,
                        label=f"{base_label} {label('band', lang)}")
    _money_axis(ax, float(bands[["p10", "p50", "p90"]].abs().max().max()), lang, "/年" if lang == "zh" else " per year")
    ax.set_xlabel(name(x, lang))
    _set_title(ax, title or label("extra_cost_title", lang))
    ax.legend(fontsize=8, loc="upper left")
    return fig


def decile_chart(deciles: pd.DataFrame, lang: Lang = "zh", title: str | None = None) -> Figure:
    """Mean change per household (yuan/month) by income decile: bars for actual recipients and
    for all households (``deciles``: decile, population, mean_change; one variant)."""
    require_columns(deciles, ["decile", "population", "mean_change"], "decile_chart")
    _nonempty(deciles, "decile_chart")
    fig, (ax,) = new_figure(lang)
    x = np.arange(1, 11)
    for k, (population, colour) in enumerate((("recipients", "#2E75B6"), ("households", "#A5A5A5"))):
        part = deciles[deciles["population"] == population].set_index("decile")["mean_change"].reindex(x, fill_value=0.0)
        values = part.to_numpy(float)
        bars(ax, x + (k - 0.5) * 0.4, values, width=0.4, color=colour,
             label=label("all_households" if population == "households" else population, lang))
        for xi, v in zip(x + (k - 0.5) * 0.4, values, strict=True):
            if abs(v) >= 0.05:
                ax.annotate(f"{v:+,.1f}", (xi, v), xytext=(0, 2 if v >= 0 else -10), textcoords="offset points",
                            ha="center", fontsize=8)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, [str(i) for i in x])
    ax.set_xlabel(label("decile", lang))
    ax.set_ylabel(label("mean_change", lang))
    ax.yaxis.set_major_formatter(_PlainFormatter())
    _set_title(ax, title or label("decile_title", lang))
    ax.legend(fontsize=9, loc="upper right")
    return fig


def winners_chart(deciles: pd.DataFrame, lang: Lang = "zh", title: str | None = None) -> Figure:
    """Winners (up) and losers (down, split by why they lose) among actual recipients by income
    decile, in households; each bar's share of all households of its decile written on it.

    ``deciles``: one variant of :func:`simulation.scenarios.distribution.distribution_tables`'s
    decile table (population, decile, households, winners, losers_fewer_months,
    losers_lower_amount)."""
    require_columns(deciles, ["decile", "population", "households", "winners", "losers_fewer_months",
                              "losers_lower_amount"], "winners_chart")
    _nonempty(deciles, "winners_chart")
    fig, (ax,) = new_figure(lang)
    x = np.arange(1, 11)

    def part(population: str, column: str) -> np.ndarray:
        frame = deciles[deciles["population"] == population].set_index("decile")
        return frame[column].reindex(x, fill_value=0.0).to_numpy(float)

    everyone = part("households", "households")
    win = part("recipients", "winners")
    fewer, lower = part("recipients", "losers_fewer_months"), part("recipients", "losers_lower_amount")
    bars(ax, x, win, width=0.6, color="#2E7D32", label=label("winners", lang))
    bars(ax, x, -fewer, width=0.6, color="#C62828", label=label("losers_fewer_months", lang))
    bars(ax, x, -lower, bottom=-fewer, width=0.6, color="#EF9A9A", label=label("losers_lower_amount", lang))
    share = np.where(everyone > 0, 1.0 / np.where(everyone > 0, everyone, 1.0), 0.0)
    for xi, up, down, s in zip(x, win, fewer + lower, share, strict=True):
        # the share of all households of the decile: how much of the decile the change reaches
        if up > 0:
            ax.annotate(f"{up * s:.1%}", (xi, up), xytext=(0, 2), textcoords="offset points", ha="center", fontsize=8)
        if down > 0:
            ax.annotate(f"{down * s:.1%}", (xi, -down), xytext=(0, -10), textcoords="offset points",
                        ha="center", fontsize=8)
    top = max(float(win.max()), 1.0)
    # room below for the losers and their labels, not a mirror of the winners' scale
    ax.set_ylim(-max(float((fewer + lower).max()) * 1.35, top * 0.1), top * 1.2)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{abs(v):,.0f}"))
    ax.set_xticks(x, [str(i) for i in x])
    ax.set_xlabel(label("decile", lang))
    ax.set_ylabel(label("households", lang))
    _set_title(ax, title or label("winners_title", lang))
    _side_legend(ax)
    return fig


def coverage_chart(persons: pd.DataFrame, lang: Lang = "zh", title: str | None = None,
                   baseline: pd.Series | None = None) -> Figure:
    """Persons assisted per month by programme: index month, one column per programme.

    ``baseline`` (index month, persons): the baseline's total, drawn dashed beside the total of
    the columns."""
    _nonempty(persons, "coverage_chart")
    fig, (ax,) = new_figure(lang)
    # months at positions 0..n-1 labelled as a categorical axis of the month strings labels them
    # (the same picture): strings as x make matplotlib try to parse each one as a date, per line
    # and draw, a fifth of this chart's time
    months = [str(m) for m in persons.index]
    xs = np.arange(len(months), dtype=float)
    for column, colour in zip(persons.columns, _colours(len(persons.columns)), strict=True):
        ax.plot(xs, persons[column].to_numpy(float), label=name(column, lang), color=colour)
    if baseline is not None:
        ax.plot(xs, persons.sum(axis=1).to_numpy(float), color="black", linewidth=2, label=label("reform_total", lang))
        ax.plot(xs, baseline.reindex(persons.index).to_numpy(float), color="black", linestyle="--", linewidth=1.8,
                label=label("baseline_total", lang))
    ax.xaxis.set_major_locator(MaxNLocator(8))
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda v, _pos: months[round(v)] if 0 <= round(v) < len(months) else ""))
    ax.set_ylabel(label("persons", lang))
    ax.set_xlabel(label("month", lang))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    _set_title(ax, title or label("coverage_title", lang))
    _side_legend(ax)
    return fig


def cap_chart(cap: pd.DataFrame, lang: Lang = "zh", title: str | None = None) -> Figure:
    """Purchased-services cost against the 2% cap per year, headroom written on each bar.

    ``cap``: columns ``year``, ``services_cost``, ``cap`` (yuan per year).
    """
    require_columns(cap, ["year", "services_cost", "cap"], "cap_chart")
    _nonempty(cap, "cap_chart")
    fig, (ax,) = new_figure(lang)
    x = np.arange(len(cap))
    cost = cap["services_cost"].to_numpy(float)
    limit = cap["cap"].to_numpy(float)
    over = cost > limit
    bars(ax, x, cost, width=0.6, color=list(np.where(over, "tab:red", "tab:blue")), label=label("services", lang))
    ax.hlines(limit, x - 0.4, x + 0.4, colors="black", linestyles="--", linewidth=2, label=label("cap", lang))
    divisor = _money_axis(ax, float(max(cost.max(), limit.max())), lang, "/年" if lang == "zh" else " per year")
    for xi, c, lim in zip(x, cost, limit, strict=True):
        key = "over_cap" if c > lim else "headroom"
        ax.annotate(f"{label(key, lang)} {number(abs(lim - c) / divisor)}", (xi, max(c, lim)),
                    xytext=(0, 4), textcoords="offset points", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, cap["year"].astype(str).tolist())
    ax.set_xlabel(label("year", lang))
    ax.set_ylim(0, max(cost.max(), limit.max()) * 1.18)
    _set_title(ax, title or label("cap_title", lang))
    ax.legend(fontsize=9, loc="lower right")
    return fig


STAFF_SERIES: tuple[str, ...] = ("staff_current", "staff_selected", "staff_needed")


def staff_label(column: str, lang: Lang) -> str:
    """Label of a staffing column: :data:`STAFF_SERIES` or ``staff_ratio_<‰>`` (any ratio)."""
    if column in STAFF_SERIES:
        return label(column, lang)
    permille = column.removeprefix("staff_ratio_")
    if permille != column:
        try:
            value = float(permille)
        except ValueError:
            pass
        else:
            return label("staff_ratio", lang).format(f"{value:g}")
    raise TableError(f"staffing_chart: unknown column {column!r}; expected {list(STAFF_SERIES)} "
                     "or staff_ratio_<per mille>")


def staffing_chart(staff: pd.DataFrame, lang: Lang = "zh", title: str | None = None) -> Figure:
    """Grouped bars of staff by township: current, required by ratio (2‰/3‰/4‰ …) and by workload.

    ``staff``: index township, columns among :data:`STAFF_SERIES` and ``staff_ratio_<‰>`` (e.g.
    ``staff_ratio_3``, ``staff_ratio_2.5``), in the order drawn; another column raises.
    """
    present = list(staff.columns)
    names = [staff_label(c, lang) for c in present]
    if not present:
        raise TableError("staffing_chart: no staff columns")
    _nonempty(staff, "staffing_chart")
    # the same size as the other charts, so that its text is as large beside them; many
    # townships turn their labels instead of widening the figure
    fig, (ax,) = new_figure(lang)
    x = np.arange(len(staff))
    width = 0.8 / len(present)
    for i, (column, series_name, colour) in enumerate(zip(present, names, _colours(len(present)), strict=True)):
        bars(ax, x + (i - (len(present) - 1) / 2) * width, staff[column].to_numpy(float), width=width,
             color=colour, label=series_name)
    ax.set_xticks(x, [str(t) for t in staff.index], rotation=90 if len(staff) > 12 else 0,
                  fontsize=8 if len(staff) > 20 else None)
    ax.set_xlabel(label("township", lang))
    ax.set_ylabel(label("staff_count", lang))
    ax.yaxis.set_major_formatter(_PlainFormatter())
    _set_title(ax, title or label("staffing_title", lang))
    _side_legend(ax)
    return fig


def backlog_chart(
    offices: pd.DataFrame, lang: Lang = "zh", deadline_days: float | None = None, title: str | None = None
) -> Figure:
    """Backlog (bars) and days to decision (points) by township, deadline as a dashed line.

    ``offices``: index township, columns ``backlog`` and ``days_to_decision`` (mean days), optional
    ``days_to_decision_p90``.
    """
    require_columns(offices, ["backlog", "days_to_decision"], "backlog_chart")
    _nonempty(offices, "backlog_chart")
    fig, (left, right) = new_figure(lang, ncols=2, figsize=(10.0, 4.2))
    x = np.arange(len(offices))
    ticks = [str(t) for t in offices.index]
    bars(left, x, offices["backlog"].to_numpy(float), width=0.8, color="tab:orange")
    left.set_ylabel(label("backlog", lang))
    right.plot(x, offices["days_to_decision"].to_numpy(float), "o", label=label("days_to_decision", lang))
    if "days_to_decision_p90" in offices.columns:
        right.plot(x, offices["days_to_decision_p90"].to_numpy(float), "v",
                   label=label("days_to_decision_p90", lang))
    if deadline_days is not None:
        right.axhline(deadline_days, color="red", linestyle="--", label=label("deadline", lang))
    right.set_ylabel(label("days", lang))
    right.legend(fontsize=8, loc="best")  # only in notebooks; the search is affordable here
    for ax in (left, right):
        ax.set_xticks(x, ticks, rotation=45 if len(ticks) > 12 else 0)
        ax.set_xlabel(label("township", lang))
    fig.suptitle(title or label("backlog_title", lang))
    return fig


def calibration_chart(comparison: pd.DataFrame, lang: Lang = "zh", title: str | None = None) -> Figure:
    """Model ÷ published for each calibration item (1 = exact), as horizontal bars.

    ``comparison``: columns ``item`` (label shown), ``model``, ``published``.
    """
    require_columns(comparison, ["item", "model", "published"], "calibration_chart")
    _nonempty(comparison, "calibration_chart")
    published = comparison["published"].to_numpy(float)
    if np.any(published == 0):
        bad = comparison.loc[published == 0, "item"].tolist()
        raise TableError(f"calibration_chart: published value is 0 for {bad}; a ratio needs a non-zero figure")
    model = comparison["model"].to_numpy(float)
    if not np.all(np.isfinite(model)):
        bad = comparison.loc[~np.isfinite(model), "item"].tolist()
        raise TableError(f"calibration_chart: no model value for {bad}; leave those rows out explicitly")
    ratio = model / published
    fig, (ax,) = new_figure(lang, figsize=(8.0, 0.45 * len(comparison) + 1.5))
    y = np.arange(len(comparison))
    ax.barh(y, ratio, color=np.where(np.abs(ratio - 1) <= 0.1, "tab:green", "tab:orange"))
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(y, comparison["item"].astype(str).tolist())
    ax.invert_yaxis()
    for yi, r in zip(y, ratio, strict=True):
        ax.annotate(f"{r:.2f}", (r, yi), va="center", ha="left", fontsize=8)
    ax.set_xlabel(label("ratio_model_published", lang))
    _set_title(ax, title or label("calibration_title", lang))
    return fig


def demand_chart(demand: pd.DataFrame, lang: Lang = "zh", title: str | None = None) -> Figure:
    """Stacked bars of purchased-service cost by care tier: index tier, one column per service."""
    _nonempty(demand, "demand_chart")
    fig, (ax,) = new_figure(lang)
    x = np.arange(len(demand))
    bottom = np.zeros(len(x))
    for column, colour in zip(demand.columns, _colours(len(demand.columns)), strict=True):
        values = demand[column].to_numpy(float)
        bars(ax, x, values, bottom=bottom, width=0.6, label=name(column, lang), color=colour)
        bottom += values
    _money_axis(ax, float(bottom.max()), lang, "/年" if lang == "zh" else " per year")
    ax.set_xticks(x, [name(t, lang) for t in demand.index])
    ax.set_xlabel(label("care_tier", lang))
    _set_title(ax, title or label("demand_title", lang))
    ax.legend(fontsize=8, loc="upper right")
    return fig


_RENDERERS = threading.local()  # per thread: {(width, height, dpi): RendererAgg}

#: matplotlib 3.11 draws text glyph by glyph in Python (``RendererAgg._draw_text_glyphs_and_boxes``);
#: earlier versions draw a string in one call, with nothing to keep
_GLYPH_BY_GLYPH = hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")
if _GLYPH_BY_GLYPH:
    from matplotlib.ft2font import RenderMode
#: entries a renderer's text caches keep before starting again (a few MB of small bitmaps)
_TEXT_CACHE_LIMIT = 20_000


_FONT_KEYS = tuple(k for k in matplotlib.rcParams if k.startswith("font."))


def _font_settings() -> tuple:
    """The ``font.*`` settings, which decide the font a text's properties resolve to."""
    rc = matplotlib.rcParams
    return tuple(str(rc[k]) for k in _FONT_KEYS)


class _TextCachingRendererAgg(RendererAgg):
    """An Agg renderer that keeps what matplotlib 3.11 works out again for every text it draws
    or measures, the same pixels as :class:`RendererAgg` (``tests/test_charts.py``):

    - each font's height metrics, which every text layout reads from the font's tables
      (``Text._get_layout`` asks the renderer first: ``_get_font_height_metrics``);
    - each string's glyphs and their places (the font's shaping, ``FT2Font._layout``);
    - each glyph's bitmap at each of the 64 × 64 sub-pixel offsets FreeType renders it at
      (a whole-pixel move of the outline moves its bitmap by as many pixels).

    The explorer redraws six charts whose labels, ticks and legends barely change; drawing and
    measuring their texts was about half of the drawing. One renderer serves one thread (the
    fonts are the thread's own: ``font_manager.get_font``). Keys hold copies of the font
    properties (mutable, hashed by value) and the glyph cache holds its font, so that an ``id``
    is not reused while it is a key. A change of the ``font.*`` settings (which font a family
    name means) takes a new renderer (:class:`_SharedRendererCanvas`)."""

    def __init__(self, width: float, height: float, dpi: float) -> None:
        super().__init__(width, height, dpi)
        self._heights: dict[tuple, tuple] = {}
        self._layouts: dict[tuple, tuple] = {}
        self._glyphs: dict[tuple, tuple] = {}

    def _get_font_height_metrics(self, prop: Any) -> tuple:
        """(ascent, descent, line gap) in pixels of ``prop``'s font, as ``Text._get_layout``
        computes them from the font's OS/2 or hhea table (``(None, None, None)`` without)."""
        key = (prop, self.dpi)
        hit = self._heights.get(key)
        if hit is None:
            font = get_font(fontManager._find_fonts_by_props(prop))
            hit = (None, None, None)
            for table_name, gap, ascent, descent in (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                                                     ("hhea", "lineGap", "ascent", "descent")):
                table = font.get_sfnt_table(table_name)
                if table is None:
                    continue
                scale = prop.get_size_in_points() * self.dpi / 72 / font.get_sfnt_table("head")["unitsPerEm"]
                hit = (table[ascent] * scale, -table[descent] * scale, table[gap] * scale)
                break
            self._heights[(prop.copy(), self.dpi)] = hit
        return hit

    def draw_text(self, gc: Any, x: float, y: float, s: str, prop: Any, angle: float,
                  ismath: Any = False, mtext: Any = None) -> None:
        if ismath or not _GLYPH_BY_GLYPH:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        flags = get_hinting_flag()
        if language is not None and not isinstance(language, str):
            language = tuple(language)  # a list of (sub-language, start, end)
        key = (s, prop, self.dpi, flags, features, language)
        glyphs = self._layouts.get(key)
        if glyphs is None:
            if len(self._layouts) >= _TEXT_CACHE_LIMIT:
                self._layouts.clear()
            size = prop.get_size_in_points()
            font = self._prepare_font(prop)
            glyphs = tuple((item.ft_object, size, item.glyph_index, item.x, item.y)
                           for item in font._layout(s, flags=flags, features=features, language=language))
            self._layouts[(s, prop.copy(), self.dpi, flags, features, language)] = glyphs
        self._draw_glyphs(gc, x, y, angle, glyphs, flags)
        return None

    def _draw_glyphs(self, gc: Any, x: float, y: float, angle: float, glyphs: tuple, flags: Any) -> None:
        """``RendererAgg._draw_text_glyphs_and_boxes`` for upright, unslanted glyphs and no
        boxes, each glyph's bitmap rendered once per sub-pixel offset."""
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        antialiased = gc.get_antialiased()
        height = self.height
        cache = self._glyphs
        for font, size, index, dx, dy in glyphs:  # dy is upwards
            # the glyph's origin in FreeType's 26.6 fixed point, y upwards (as matplotlib's)
            px = round(0x40 * (x + dx * cos - dy * sin))
            py = round(0x40 * (height - y + dx * sin + dy * cos))
            key = (id(font), size, self.dpi, index, angle, flags, antialiased, px & 63, py & 63)
            hit = cache.get(key)
            if hit is None:
                if len(cache) >= _TEXT_CACHE_LIMIT:
                    cache.clear()
                font.set_size(size, self.dpi)
                font._set_transform((0x10000 * np.array([[cos, -sin], [sin, cos]])).round().astype(int),
                                    [px & 63, py & 63])
                bitmap = font._render_glyph(index, flags, RenderMode.NORMAL if antialiased else RenderMode.MONO)
                buffer = np.array(bitmap.buffer)  # a copy: the font reuses its bitmap
                if not antialiased:
                    buffer *= 0xFF
                hit = cache[key] = (buffer, bitmap.left, bitmap.top, font)
            buffer, left, top, _ = hit
            # draw_text_image's y is downwards and the bitmap's bottom side
            self._renderer.draw_text_image(buffer, left + (px >> 6),
                                           int(height) - (top + (py >> 6)) + buffer.shape[0], 0, gc)


class _SharedRendererCanvas(FigureCanvasAgg):
    """An Agg canvas that draws with its thread's renderer of that size, kept from figure to
    figure. Matplotlib caches text extents by renderer (``Text._get_text_metrics_with_cache``):
    with a new renderer per figure every label is measured again, and shaping the CJK font's
    labels is a fifth of a chart's drawing. The renderer is cleared before each draw (the same
    pixels); one per thread, as a renderer is not shared between threads, and per font settings."""

    def get_renderer(self) -> RendererAgg:
        w, h = self.get_width_height(physical=True)  # whole pixels, as FigureCanvasAgg sizes it
        # the font settings too: this renderer's text caches and matplotlib's text extents
        # (cached by renderer) hold the fonts they resolved to
        key = (w, h, self.figure.dpi, _font_settings())
        kept = getattr(_RENDERERS, "by_size", None)
        if kept is None:
            kept = _RENDERERS.by_size = {}
        renderer = kept.get(key)
        if renderer is None:
            if len(kept) >= 8:  # a few sizes in use: keep the memory bounded (1.6 MB each)
                kept.clear()
            renderer = kept[key] = _TextCachingRendererAgg(w, h, self.figure.dpi)
        self.renderer, self._lastKey = renderer, key
        return renderer


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def encode_png(rgba: np.ndarray) -> bytes:
    """RGBA pixels (height × width × 4, uint8) as PNG bytes: 8-bit RGBA, every row unfiltered,
    zlib level 1.

    Pillow's encoder (``compress_level=1``) chooses a filter for each row, which costs more than
    the compression itself: 20 ms for one explorer chart, against 7 ms here for a tenth more bytes
    (the explorer's images never leave the machine). The same pixels, alpha included."""
    height, width, _ = rgba.shape
    rows = np.empty((height, width * 4 + 1), np.uint8)
    rows[:, 0] = 0  # filter type None
    rows[:, 1:] = rgba.reshape(height, width * 4)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits, RGBA, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows.data, 1)) + _png_chunk(b"IEND", b""))


def to_png(fig: Figure, dpi: int = 100) -> bytes:
    """Render a figure to PNG bytes (Agg), the same pixels as ``fig.savefig(dpi=dpi)``.

    Drawn once on an Agg canvas at ``dpi`` and encoded by :func:`encode_png`: ``savefig`` at a
    dpi other than the figure's lays the figure out and draws it more than once (a tenth to a
    sixth slower, and the explorer draws on every change). The canvas reuses its thread's
    renderer (:class:`_SharedRendererCanvas`)."""
    fig.set_dpi(dpi)
    canvas = _SharedRendererCanvas(fig)
    canvas.draw()
    return encode_png(np.asarray(canvas.buffer_rgba()))


def show(*figs: Figure) -> None:
    """Display figures in a notebook as PNG images (works without pyplot or a matplotlib backend)."""
    from IPython.display import Image, display

    for fig in figs:
        display(Image(to_png(fig)))


__all__: Sequence[str] = (
    "backlog_chart", "band_chart", "calibration_chart", "cap_chart", "cost_chart", "coverage_chart",
    "demand_chart", "new_figure", "reusing", "show", "staffing_chart", "to_png",
)
