"""The interactive explorer (政策模拟交互界面): change a policy lever, see cost, coverage, cap and staff.

The levers are those of the issue: locality, dibao standard change, gradual-exit (渐退) months and
ceiling, review frequency, take-up, active discovery (主动发现) and the staffing ratio. Each setting
is turned into a one-reform scenario (``simulation.scenarios``) run against the locality's own
policy as baseline, with the same behaviour and the same keyed draws, so the difference shown is
the reform's effect, not noise.

The distribution (winners and losers, mean change by income decile, poverty before and after)
comes from ``simulation.scenarios.distribution.distribution_tables``, fed by :class:`HouseholdTally`,
which follows every household of the run without the engine's per-row trace.

Speed: engine runs are cached by what changes them (the baseline by locality, behaviour and
staffing ratio, kept in memory with its household summary, so a policy change reruns only the
reform; the reform by every lever; both runs staff their township offices at the slider's ratio,
so that the queue's effect on payments is the ratio's), a chart
whose table did not change is not redrawn, a chart whose texts around the axes are unchanged
reuses its layout, the charts are drawn here and in a second process at the same time (shared by
each chart's last drawing time), the widget
redraws a setting whose engine runs are in the cache at once (:data:`READY_DEBOUNCE_SECONDS`) and
otherwise starts the runs at once (:meth:`Explorer.begin`) and redraws after the controls have
been still for :data:`DEBOUNCE_SECONDS` (the redraw finds the runs done or waits for them, so the
debounce costs no time), and while the user looks it runs the engine in the background
(:meth:`Explorer.prefetch`) for the neighbouring slider positions, the review dropdown's other
choices, then a drag's worth of steps on the slider moved last and a step of the gradual-exit
sliders (:meth:`ExplorerWidget.further`), giving way at once to a real change. The neighbours
are run and drawn one by one; the others are all run first and drawn after, since a redraw from a
run in the cache only draws its charts. :attr:`Explorer.timings` holds the last redraw's seconds
by stage (``benchmarks/bench_explorer.py`` prints them).

A change that needs a fresh engine run (a jump beyond what was prefetched: 0.5-0.6 s on a fast
quiet machine, 0.8-1 s when the baseline reruns too, two to three times that on a slow or busy
one) shows in the status line which run is going and how many of its months are done
(:attr:`Explorer.on_month`), then that the charts are being drawn, then the redraw's time.

``Explorer`` holds no widget state; :meth:`Explorer.widget` builds the ipywidgets front end (the
only part that needs a kernel).
"""

from __future__ import annotations

import gc
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numba import njit

from simulation.reporting import charts, tables
from simulation.reporting.labels import Lang, check_lang, label, money_unit
from simulation.scenarios.distribution import RELATIVE_LINE, distribution_tables

#: Review schedules offered (months in which classes A, B and C are reviewed); "seed" keeps the
#: locality's own (qijiang §4: A in March, B and C in March and September).
REVIEW_SCHEDULES: dict[str, tuple[int, ...] | None] = {
    "seed": None,
    "yearly": (3,),
    "half_yearly": (3, 9),
    "quarterly": (3, 6, 9, 12),
}
REVIEW_LABELS: dict[str, tuple[str, str]] = {
    "seed": ("按本地政策", "Local rule"),
    "yearly": ("每年一次", "Yearly"),
    "half_yearly": ("每半年一次", "Every six months"),
    "quarterly": ("每季度一次", "Quarterly"),
}
#: units of the standard change: yuan per person per month, or percent of the baseline value in force
STANDARD_UNITS: dict[str, tuple[str, str]] = {"yuan": ("元", "yuan"), "percent": ("%", "%")}
#: the standard slider's range and step per unit
STANDARD_SLIDER: dict[str, tuple[float, float, float]] = {"yuan": (-100, 300, 10), "percent": (-20, 50, 1)}
#: the explorer's charts, in the order they are drawn: cost and coverage, the distribution of the
#: change (mean change and winners and losers by income decile), the cap and staffing
CHARTS: tuple[str, ...] = ("cost", "coverage", "deciles", "winners", "cap", "staffing")
#: chart resolution: 8 × 4.2 inch figures give 880 × 462 px, shown at 560–900 px wide (no upscaling)
DPI = 110
#: seconds the controls must be still before a redraw that needs engine runs starts (the runs
#: start at the change, :meth:`Explorer.begin`)
DEBOUNCE_SECONDS = 0.3
#: the same for a setting whose engine runs are in the cache: enough to take changes made
#: together (a locality's own values, a program's settings) as one, too short for a person to notice
READY_DEBOUNCE_SECONDS = 0.05
#: what drawing a chart in the worker process costs beyond drawing it (its tables pickled there,
#: the image back: 1.4-2.7 ms a chart measured on 2026-12-03): :meth:`Explorer._worker_share` counts it
WORKER_OVERHEAD_SECONDS = 0.002
#: reforms' engine runs kept in memory (their tables, about 0.2 MB each: about 32 MB)
CACHE_RUNS = 160
#: baselines' engine runs kept (each with its household summary, about 9 MB at 100,000
#: households: about 290 MB at most). The take-up, discovery and staffing sliders change the
#: baseline, so a prefetch adds up to a dozen; the oldest go first
CACHE_BASELINES = 32
#: what is kept, by kind (:func:`_cache_kind`): engine runs as above, chart images (a prefetched
#: setting adds six, about 50 kB each), admin tables (one per run and staffing ratio) and the
#: engine states built from a population (``SimulationModel``'s ``state_cache``: about 35 MB each
#: at 100,000 households; the entry wages follow the standard at the start, so the baseline's and
#: a reform's differ; copying one is a fifth of building it), each
#: kind evicted on its own, oldest first, so that images never push out the engine runs nor
#: baselines the reforms; populations, behaviour and weights (a few per locality) are kept
CACHE_LIMITS = {"run": CACHE_RUNS, "baseline": CACHE_BASELINES, "png": 960, "admin": 320,
                "no_change": 40, "state": 4}


def _cache_kind(key: tuple) -> str:
    """The kind of a cache key for :data:`CACHE_LIMITS`: its first element, except that an engine
    run with no policy changes (a baseline; :meth:`Explorer._run_key`) is a kind of its own."""
    if key[0] == "run" and key[-1] == ():
        return "baseline"
    return key[0]


#: steps either way on the slider moved last that the widget prefetches once the next steps are in
#: the cache (:meth:`ExplorerWidget.further`): a drag of the mouse moves a slider several steps
#: before the debounce redraws. A setting costs an engine run and its charts (about 1-2 s of the
#: two cores), stopped at once by a change
PREFETCH_STEPS = 4

#: name of the prefetch threads (their stages are not timed as the redraw's)
PREFETCH_THREAD = "explorer-prefetch"
#: the thread of :meth:`Explorer.begin`: a change's engine runs, started before the debounce ends
BEGIN_THREAD = "explorer-begin"


class ExplorerError(ValueError):
    """A setting outside what the explorer accepts; names the field and the value."""


class _Cancelled(Exception):
    """A prefetch run stopped because a foreground compute started."""


@dataclass(frozen=True)
class ExplorerSettings:
    """One position of the explorer's controls.

    ``None`` for a lever means the locality's own value (policy file or behaviour defaults).
    """

    locality: str
    standard_change: float = 0.0  # added to the urban and rural dibao standards: yuan/person/month or %
    standard_unit: str = "yuan"  # "yuan" or "percent" (of the baseline value in force)
    exit_months: int | None = None  # dibao.gradual_exit.months
    exit_ceiling: float | None = None  # dibao.gradual_exit.ceiling_multiple (× standard)
    review: str = "seed"  # a key of REVIEW_SCHEDULES
    take_up_scale: float = 1.0  # × the locality's monthly take-up rate (behaviour ``take_up``)
    discovery_scale: float = 1.0  # × its active-discovery rate (behaviour ``discovery``); 0 = none
    staffing_ratio: float = 0.003  # township staff per recipient (qijiang 三(三): 0.002–0.004)

    def check(self) -> ExplorerSettings:
        """Return self if every field is in range; raise :class:`ExplorerError` naming the field."""
        problems = []
        if self.review not in REVIEW_SCHEDULES:
            problems.append(("review", self.review, f"one of {sorted(REVIEW_SCHEDULES)}"))
        if self.exit_months is not None and not (isinstance(self.exit_months, int) and 0 <= self.exit_months <= 60):
            problems.append(("exit_months", self.exit_months, "a whole number of months 0..60"))
        if self.exit_ceiling is not None and not 1.0 <= self.exit_ceiling <= 5.0:
            problems.append(("exit_ceiling", self.exit_ceiling, "a multiple of the standard, 1..5"))
        for name in ("take_up_scale", "discovery_scale"):
            value = getattr(self, name)
            if not (np.isfinite(value) and 0.0 <= value <= 5.0):
                problems.append((name, value, "a multiple of the locality's rate, 0..5"))
        if not 0.0 < self.staffing_ratio < 0.05:
            problems.append(("staffing_ratio", self.staffing_ratio, "staff per recipient, e.g. 0.003 for 3‰"))
        if self.standard_unit not in STANDARD_UNITS:
            problems.append(("standard_unit", self.standard_unit, f"one of {list(STANDARD_UNITS)}"))
        elif not np.isfinite(self.standard_change) or (
                self.standard_unit == "percent" and not -50.0 <= self.standard_change <= 200.0):
            problems.append(("standard_change", self.standard_change,
                             "a finite yuan amount" if self.standard_unit == "yuan" else "a percentage -50..200"))
        if problems:
            raise ExplorerError("; ".join(f"explorer setting {f}={v!r}: expected {m}" for f, v, m in problems))
        return self

    def changes(self, start: str) -> dict[str, Any]:
        """The policy changes of this setting in scenario form (``simulation.scenarios``)."""
        day = f"{start}-01"
        out: dict[str, Any] = {}
        if self.standard_change:
            spec = ({"add": float(self.standard_change)} if self.standard_unit == "yuan"
                    else {"scale": round(1.0 + float(self.standard_change) / 100.0, 10)})
            for area in ("urban", "rural"):
                out[f"dibao.standard.{area}"] = {"from": day, **spec}
        if self.exit_months is not None:
            out["dibao.gradual_exit.months"] = {day: int(self.exit_months)}
        if self.exit_ceiling is not None:
            out["dibao.gradual_exit.ceiling_multiple"] = {day: float(self.exit_ceiling)}
        months = REVIEW_SCHEDULES[self.review]
        if months is not None:
            for cls in ("A", "B", "C"):
                out[f"dibao.review.months.{cls}"] = {day: list(months)}
        return out

    def staffing_changes(self, start: str) -> dict[str, Any]:
        """The staffing ratio as policy changes under both runs (baseline and reform): the engine's
        township offices staffed at the ratio from the start (``scenarios.staffing_changes``), so
        that their queue reaches the households (a late review keeps the old payment) as well as
        the office tables."""
        from simulation.scenarios.scenario import staffing_changes

        return staffing_changes(float(self.staffing_ratio), f"{start}-01")

    def behaviour(self, own: Any) -> dict[str, float]:
        """Engine behaviour overrides of this setting, given the locality's own ``Behaviour``.

        A scaled rate above 1 (they are monthly probabilities) raises :class:`ExplorerError`.
        """
        out = {}
        for name, scale in (("take_up", self.take_up_scale), ("discovery", self.discovery_scale)):
            if scale == 1.0:
                continue
            rate = float(getattr(own, name)) * scale
            if rate > 1.0:
                raise ExplorerError(f"explorer setting {name}_scale={scale!r}: {scale} × the locality's "
                                    f"{name} {getattr(own, name)!r} is above 1 (a monthly probability)")
            out[name] = rate
        return out


@dataclass
class ExplorerView:
    """What the explorer shows for one setting: headline numbers and the tables behind the charts."""

    settings: ExplorerSettings
    headline: dict[str, float]
    annual_cost: pd.DataFrame  # index year, columns programme (+ services, staff), yuan/year
    persons: pd.DataFrame  # index month, columns recipient programme, persons
    baseline_annual: pd.Series  # index year: the baseline's total cost (yuan/year)
    baseline_persons: pd.Series  # index month: the baseline's recipients (persons)
    cap: pd.DataFrame  # year, services_cost, cap (yuan/year)
    staff: pd.DataFrame  # index township, staff_* columns
    seconds: float  # time to compute this view (engine runs + tables)
    # distribution_tables' decile and poverty tables of the reform against the baseline
    deciles: pd.DataFrame = field(default_factory=pd.DataFrame)
    poverty: pd.DataFrame = field(default_factory=pd.DataFrame)
    # the township offices at the setting's staffing ratio (tables.offices_by_township), or None
    offices: pd.DataFrame | None = None


def _table_key(table: pd.DataFrame) -> tuple:
    """A content key for a small table (values, index and columns)."""
    values = int(pd.util.hash_pandas_object(table, index=True).sum()) if len(table) else 0
    return (values, tuple(map(str, table.columns)), tuple(map(str, table.index)))


@dataclass(frozen=True)
class DrawnChart:
    """A chart drawn by :func:`render_chart`."""

    png: bytes
    legend: tuple[str, ...]  # the legend's labels
    layout_key: tuple  # _layout_key of the figure
    layout: list[tuple[float, ...]] | None  # axes positions of a new constrained layout, else None
    cpu: float = 0.0  # CPU seconds of the process that drew it


def draw_chart(chart: str, table: pd.DataFrame, baseline: pd.Series | None, lang: Lang) -> Figure:
    """One of the explorer's :data:`CHARTS` from its table (and the baseline for cost and coverage)."""
    if chart == "cost":
        return charts.cost_chart(table, lang, baseline=baseline)
    if chart == "coverage":
        return charts.coverage_chart(table, lang, baseline=baseline)
    draw = {"deciles": charts.decile_chart, "winners": charts.winners_chart, "cap": charts.cap_chart,
            "staffing": charts.staffing_chart}[chart]
    return draw(table, lang)


#: idle figures of drawn charts by (chart, lang, columns, rows), for :func:`render_chart` to draw
#: into (``charts.reusing``); per process, shared by its threads, each figure used by one at a time
_FIGURES: dict[tuple, list[Figure]] = {}
_FIGURES_LOCK = threading.Lock()
#: figures kept per key (the foreground and a prefetch may draw the same chart at once) and keys
_FIGURES_PER_KEY, _FIGURE_KEYS = 2, 24


def _figure_key(chart: str, table: pd.DataFrame, lang: Lang) -> tuple:
    """The figures a chart may be drawn into again: the same chart, language and table shape."""
    return (chart, lang, tuple(map(str, table.columns)), len(table))


def _take_figure(key: tuple) -> Figure | None:
    with _FIGURES_LOCK:
        idle = _FIGURES.get(key)
        return idle.pop() if idle else None


def _give_back_figure(key: tuple, fig: Figure) -> None:
    with _FIGURES_LOCK:
        if key not in _FIGURES and len(_FIGURES) >= _FIGURE_KEYS:
            _FIGURES.clear()  # many shapes seen (another locality, language): start again
        idle = _FIGURES.setdefault(key, [])
        if len(idle) < _FIGURES_PER_KEY:
            idle.append(fig)


def render_chart(chart: str, table: pd.DataFrame, baseline: pd.Series | None, lang: Lang, dpi: int,
                 layouts: Mapping[tuple, list[tuple[float, ...]]]) -> DrawnChart:
    """Draw a chart to PNG (module level: the chart worker process runs it too).

    Constrained layout is a third of a chart's drawing; a figure whose texts around the axes are
    those of a layout in ``layouts`` (by :func:`_layout_key`) gets that layout as it is, the same
    pixels. Otherwise it is laid out, and its axes positions come back to be kept. The chart is
    drawn into a figure of the same chart and table shape drawn before (``charts.reusing``: its
    axes and ticks are kept, the same pixels as a new figure), or a new one."""
    cpu = time.process_time()
    figure_key = _figure_key(chart, table, lang)
    with charts.reusing(_take_figure(figure_key)):
        fig = draw_chart(chart, table, baseline, lang)
    key = _layout_key(fig)
    positions = layouts.get(key)
    if positions is not None:
        fig.set_layout_engine("none")
        for ax, position in zip(fig.axes, positions, strict=True):
            ax.set_position(position)
    legend = fig.axes[0].get_legend()
    labels = tuple(t.get_text() for t in legend.get_texts()) if legend is not None else ()
    png = charts.to_png(fig, dpi=dpi)
    layout = None if positions is not None else [ax.get_position().bounds for ax in fig.axes]
    _give_back_figure(figure_key, fig)
    return DrawnChart(png, labels, key, layout, time.process_time() - cpu)


def _warm_charts(lang: Lang) -> None:
    """Load matplotlib, the fonts and the text machinery once (the chart worker's start)."""
    charts.to_png(charts.winners_chart(pd.DataFrame({
        "decile": [1], "population": ["recipients"], "households": [1.0], "winners": [1.0],
        "losers_fewer_months": [0.0], "losers_lower_amount": [0.0]}), lang), dpi=DPI)


def _layout_key(fig: Figure) -> tuple:
    """What a figure's constrained layout depends on: per axes its title, axis labels, tick
    labels and legend texts (equal keys, equal layouts; the data and annotations do not count)."""
    key = []
    for ax in fig.axes:
        legend = ax.get_legend()
        key.append((ax.get_title(), ax.get_xlabel(), ax.get_ylabel(),
                    tuple(ax.xaxis.get_major_formatter().format_ticks(ax.get_xticks())),
                    tuple(ax.yaxis.get_major_formatter().format_ticks(ax.get_yticks())),
                    tuple(t.get_text() for t in legend.get_texts()) if legend is not None else ()))
    return tuple(key)


def _freeze(mapping: Mapping[str, Any]) -> tuple:
    """A hashable, order-independent key for a nested mapping of scenario changes."""
    def freeze(v: Any) -> Any:
        if isinstance(v, Mapping):
            return tuple(sorted((str(k), freeze(x)) for k, x in v.items()))
        if isinstance(v, list | tuple):
            return tuple(freeze(x) for x in v)
        return v
    return freeze(mapping)


class Explorer:
    """Runs and caches the explorer's scenarios for one population size and horizon.

    Args:
        households: households simulated per locality (weights scale them to the population).
        start: first month, ``YYYY-MM``.
        months: horizon in months.
        seed: population and engine seed.
        lang: ``"zh"`` or ``"en"`` for the charts and the text.
        relative_line: the relative poverty line of the distribution, a share of the median
            per-capita income after transfers (``distribution.RELATIVE_LINE``).
        chart_worker: draw some of a redraw's charts in a second process (started at the first
            redraw that draws two charts or more; only with two cores or more).
    """

    def __init__(self, households: int = 100_000, start: str = "2025-01", months: int = 36,
                 seed: int = 1, lang: Lang = "zh", relative_line: float = RELATIVE_LINE,
                 chart_worker: bool = True) -> None:
        if households <= 0 or months <= 0:
            raise ExplorerError(f"households and months must be > 0; got {households!r}, {months!r}")
        if not 0.0 < relative_line <= 2.0:
            raise ExplorerError(f"relative_line must be a share of the median income in (0, 2]; got {relative_line!r}")
        self.households, self.start, self.months, self.seed = int(households), start, int(months), int(seed)
        self.relative_line = float(relative_line)
        self.lang = check_lang(lang)
        self._runs: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()  # one foreground compute at a time
        self._cache_lock = threading.RLock()  # guards the cache and the generation counter
        # numba's parallel kernels (engine, calculator) must not run from two threads at once
        self._engine_lock = threading.Lock()
        self._generation = 0  # bumped by each foreground compute; a prefetch stops when it moves
        #: the setting :meth:`begin` is running and its thread (joined by a compute of that setting)
        self._begun: tuple[ExplorerSettings, threading.Thread] | None = None
        self._default_cache: dict[str, ExplorerSettings] = {}
        self._own_ratios: dict[str, float] = {}
        self._admin: Any = None
        self._layouts: dict[tuple, list[tuple[float, ...]]] = {}  # chart layouts by the texts they depend on
        #: CPU seconds of each chart's last drawing, here or in the worker (how a redraw shares them)
        self._chart_cpu: dict[str, float] = {}
        #: draw some of a redraw's charts in a second process (two cores draw two charts at once)
        self.chart_worker = chart_worker and (os.cpu_count() or 1) > 1
        self._worker: Any = None
        #: seconds by stage of the last foreground compute and its charts (benchmarks/bench_explorer.py)
        self.timings: dict[str, float] = {}
        #: called after each month of a foreground engine run with (variant, months done, months):
        #: the widget's status shows how far a cold change has got (a prefetch does not call it)
        self.on_month: Callable[[str, int, int], None] | None = None

    @contextmanager
    def _timed(self, stage: str) -> Iterator[None]:
        """Add the time of a stage to :attr:`timings` (foreground only: a prefetch is not the redraw)."""
        began = time.perf_counter()
        try:
            yield
        finally:
            if self._foreground():
                self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - began

    def _foreground(self) -> bool:
        """Whether this thread works for the setting on screen: not a prefetch, nor a
        :meth:`begin` that a later change has replaced."""
        thread = threading.current_thread()
        if thread.name == PREFETCH_THREAD:
            return False
        begun = self._begun
        return thread.name != BEGIN_THREAD or (begun is not None and begun[1] is thread)

    # --- scenario plumbing ------------------------------------------------------------------

    def localities(self) -> list[str]:
        """Localities with a policy file and a population profile."""
        from simulation.scenarios.scenario import known_localities

        # the national profiles (china_2021, china_2018) are checks of the model, not places
        return [loc for loc in known_localities() if not loc.startswith("china_")]

    def locality_name(self, locality: str) -> str:
        """The locality's Chinese name (from its policy file), or its id in English."""
        if self.lang == "en":
            return locality
        from simulation.policy import load_policy

        return str(load_policy(locality).name_zh or locality)

    def defaults(self, locality: str) -> ExplorerSettings:
        """The locality's own values of every lever at the start month (policy file; take-up and
        discovery at 1 × the locality's own rates)."""
        from simulation.policy import load_policy

        params = load_policy(locality).at(f"{self.start}-01")
        return ExplorerSettings(
            locality=locality,
            exit_months=int(params["dibao.gradual_exit.months"]),
            exit_ceiling=float(params["dibao.gradual_exit.ceiling_multiple"]),
            staffing_ratio=float(params["staffing.ratio_min"] + params["staffing.ratio_max"]) / 2,
        )

    def behaviour(self, settings: ExplorerSettings) -> dict[str, float]:
        """Engine behaviour overrides of a setting: the locality's own rates (defaults with the
        profile's overrides, as the engine resolves them) times the setting's scales."""
        from simulation.engine.model import resolve_behaviour

        own = self._cached(("behaviour", settings.locality),
                           lambda: resolve_behaviour(self._population(settings.locality), None))
        return settings.behaviour(own)

    def normalised(self, settings: ExplorerSettings) -> ExplorerSettings:
        """The setting with levers at the locality's own value set to ``None`` (so the reform run
        is keyed, and cached, by what really changes)."""
        own = self._defaults(settings.locality)
        same = {f: None for f in ("exit_months", "exit_ceiling")
                if getattr(settings, f) is not None and np.isclose(getattr(settings, f), getattr(own, f))}
        return replace(settings, **same).check()

    def _own_ratio(self, locality: str) -> float:
        """The locality's own staffing rule at the start (``staffing.ratio_min``, as the engine
        staffs its offices without the explorer's ratio)."""
        from simulation.policy import load_policy

        if locality not in self._own_ratios:
            self._own_ratios[locality] = float(load_policy(locality).at(f"{self.start}-01")["staffing.ratio_min"])
        return self._own_ratios[locality]

    def _defaults(self, locality: str) -> ExplorerSettings:
        if locality not in self._default_cache:
            self._default_cache[locality] = self.defaults(locality)
        return self._default_cache[locality]

    def scenario(self, settings: ExplorerSettings) -> Any:
        """The one-reform scenario of a setting (baseline = the locality's own policy)."""
        from simulation.scenarios.scenario import parse_scenario

        settings.check()
        doc = {
            "name": "explorer", "locality": settings.locality,
            "population": {"households": self.households, "seed": self.seed},
            "start": self.start, "months": self.months, "seed": self.seed, "replications": 1,
            "baseline": {"name": "baseline", "changes": settings.staffing_changes(self.start)},
            "reforms": [{"name": "explorer", "label_zh": "交互设定", "changes": settings.changes(self.start)}],
            "behaviour": self.behaviour(settings), "staffing": {"ratios": [settings.staffing_ratio]},
            "services": {"cap_base": "estimate"}, "executor": {"kind": "serial"},
        }
        return parse_scenario(doc, source="explorer")

    def _cached(self, key: tuple, make: Callable[[], Any]) -> Any:
        """LRU cache of populations, engine runs, admin tables and chart images, each kind within
        its :data:`CACHE_LIMITS`."""
        with self._cache_lock:
            if key in self._runs:
                self._runs.move_to_end(key)
                return self._runs[key]
        value = make()
        with self._cache_lock:
            self._runs[key] = value
            kind = _cache_kind(key)
            limit = CACHE_LIMITS.get(kind)
            if limit is not None:
                same = [k for k in self._runs if _cache_kind(k) == kind]
                for old in same[:max(0, len(same) - limit)]:  # the least recently used first
                    del self._runs[old]
        return value

    def _population(self, locality: str) -> Any:
        from simulation.population import generate, load_profile

        def make() -> Any:
            population = generate(load_profile(locality), n_households=self.households, seed=self.seed)
            # the population lives as long as the explorer: keep the cyclic garbage collector from
            # scanning its objects on every redraw (a third of a chart's drawing time at 100,000
            # households); figures made later are still collected
            gc.freeze()
            return population

        return self._cached(("population", locality), make)

    def _care_share(self, locality: str) -> float:
        """Share of recipients' members who need care (partial or unable), at the start, baseline."""
        from simulation.policy import load_policy

        def make() -> float:
            population = self._population(locality)
            with self._engine_lock:  # the calculator runs numba parallel kernels
                need = tables.care_need(population, load_policy(locality), self.start)
            return float(need.attrs["care_share"])

        return self._cached(("care_share", locality), make)

    def _engine_run(self, settings: ExplorerSettings, variant: str, generation: int | None = None) -> RunTables:
        """One engine run (baseline or the setting's reform), summarised and cached.

        Every household is followed (:class:`HouseholdTally`): the baseline keeps its household
        summary, a reform keeps only its distribution tables against that baseline (small), so
        the cache does not fill with household tables. With ``generation`` (a prefetch) the run
        stops between months once a foreground compute has started, raising :class:`_Cancelled`;
        nothing is cached then.
        """
        from simulation.engine import SimulationModel
        from simulation.scenarios.runner import build_policy

        key = self._run_key(settings, variant)
        behaviour = self.behaviour(settings)

        def make() -> RunTables:
            # the baseline first (cached): the reform's distribution is taken against it
            base = self._engine_run(settings, "baseline", generation) if variant == "explorer" else None
            with self._timed("policy"):
                policy = build_policy(self.scenario(settings), variant, settings.locality)
            population = self._population(settings.locality)
            with self._engine_lock:
                # simulation.engine.run, month by month so that a prefetch can give way
                with self._timed("engine set-up"):
                    model = SimulationModel(population, policy, self.start, self.months, self.seed,
                                            behaviour or None,
                                            state_cache=lambda key, build: self._cached(
                                                ("state", settings.locality, key), build))
                    tally = HouseholdTally(model, start=base is None)
                foreground = self._foreground()
                for month in range(self.months):
                    if generation is not None and generation != self._generation:
                        raise _Cancelled
                    with self._timed("engine months"):
                        model.run_for(1)
                    # read each month: a run begun at the change reports once the redraw has
                    # started (it sets on_month)
                    report = self.on_month if foreground else None
                    if report is not None and (generation is None or generation == self._generation):
                        report(variant, month + 1, self.months)
                    with self._timed("household tally"):
                        tally.record()
                with self._timed("engine result"):
                    result = model.result()
                with self._timed("household tally"):
                    households = tally.summary(self._weights(settings.locality))
            with self._timed("run tables"):
                tables = RunTables.from_result(result.monthly, getattr(result, "offices", None), policy)
            if base is None:
                return replace(tables, households=households)
            with self._timed("distribution"):
                deciles, poverty = self._distribution(base.households, households, settings.locality)
            return replace(tables, deciles=deciles, poverty=poverty)

        return self._cached(key, make)

    def _run_key(self, settings: ExplorerSettings, variant: str) -> tuple:
        """The cache key of an engine run: locality, behaviour, the staffing ratio (both runs'
        offices) and (a reform's) policy changes."""
        changes = settings.changes(self.start) if variant == "explorer" else {}
        return ("run", settings.locality, _freeze(self.behaviour(settings)), settings.staffing_ratio,
                _freeze(changes))

    def _admin_costs(self, settings: ExplorerSettings, variant: str, run: RunTables, share: float,
                     admin: Any) -> tuple:
        """:func:`admin_costs` of a run at the setting's ratio, cached (a ratio seen before, or the
        baseline's under another reform, costs nothing; the office replay is most of it)."""
        key = ("admin", self._run_key(settings, variant), settings.staffing_ratio, share)
        return self._cached(key, lambda: admin_costs(run, settings.staffing_ratio, share, admin))

    def _distribution(self, base: pd.DataFrame, reform: pd.DataFrame, locality: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """distribution_tables of a reform's household summary against the baseline's."""
        return distribution_tables([("baseline", 0, locality, base), ("explorer", 0, locality, reform)],
                                   "baseline", self.relative_line)

    def _weights(self, locality: str) -> pd.Series:
        """Household weights by household_id (what the household summaries are weighted by)."""
        return self._cached(("weights", locality),
                            lambda: self._population(locality).households.set_index("household_id")["weight"])

    def prefetch(self, candidates: list[ExplorerSettings], draw_first: int | None = None) -> threading.Thread:
        """Run the engine for likely next settings in the background (a daemon thread), and draw
        their charts.

        Used by the widget after each redraw for the neighbouring slider positions. The first
        ``draw_first`` candidates (all by default) are run and drawn one by one; the rest are
        all run first and drawn after: a redraw from a run in the cache draws only its charts
        (about half a second), so running more settings sooner leaves fewer cold changes for a
        user who does not wait for the whole prefetch. A foreground :meth:`compute` takes
        precedence: the prefetch stops within one simulated month and leaves what it finished in
        the cache. Returns the thread (``join()`` to wait).
        """
        with self._cache_lock:
            generation = self._generation
        first = len(candidates) if draw_first is None else max(0, draw_first)

        def run(settings: ExplorerSettings) -> ExplorerView | None:
            """The setting's engine runs and view, or ``None`` if it is outside the ranges."""
            try:
                settings = self.normalised(settings)
                self._setting_runs(settings, generation)
                return self._view(settings)
            except ExplorerError:
                return None  # a neighbour outside the accepted range is simply not prefetched

        def draw(view: ExplorerView | None) -> bool:
            """Its charts (a redraw from the prefetch then only fetches images); False once a
            foreground compute has started."""
            for chart in CHARTS if view is not None else ():
                if generation != self._generation:
                    return False
                self.drawn(view, chart)
            return generation == self._generation

        def work() -> None:
            try:
                for settings in candidates[:first]:
                    if generation != self._generation or not draw(run(settings)):
                        return
                views = []
                for settings in candidates[first:]:
                    if generation != self._generation:
                        return
                    views.append(run(settings))
                for view in views:
                    if not draw(view):
                        return
            except _Cancelled:
                return

        thread = threading.Thread(target=work, name=PREFETCH_THREAD, daemon=True)
        thread.start()
        return thread

    def _variants(self, settings: ExplorerSettings) -> tuple[str, ...]:
        """The engine runs a normalised setting needs: its baseline, and its reform if it has
        policy changes."""
        return ("baseline", "explorer") if settings.changes(self.start) else ("baseline",)

    def _setting_runs(self, settings: ExplorerSettings, generation: int | None = None) -> list[RunTables]:
        """A normalised setting's engine runs (:meth:`_variants`), from the cache or run now."""
        return [self._engine_run(settings, variant, generation) for variant in self._variants(settings)]

    def ready(self, settings: ExplorerSettings) -> bool:
        """Whether a setting's engine runs are all in the cache (its redraw runs no engine)."""
        try:
            settings = self.normalised(settings)
        except ExplorerError:
            return False
        with self._cache_lock:
            return all(self._run_key(settings, v) in self._runs for v in self._variants(settings))

    def begin(self, settings: ExplorerSettings) -> threading.Thread | None:
        """Start a setting's engine runs now, in the background (a daemon thread): the widget
        calls it on every change, so the runs go on during the debounce instead of after it.

        A prefetch, or a setting begun before, gives way (within one simulated month); a
        :meth:`compute` of the same setting waits for this one and finds its runs in the cache;
        a compute of another setting stops it. Its stages count in :attr:`timings` and its months
        in :attr:`on_month` as a compute's. An error (a setting out of range, a failed run) is
        left to the compute to raise. Returns the thread, or ``None`` for a setting out of range.
        """
        try:
            settings = self.normalised(settings)
        except ExplorerError:
            return None  # the redraw's compute says what is wrong

        def work() -> None:
            try:
                self._setting_runs(settings, generation)
            except Exception:  # noqa: BLE001 -- cancelled, or failed: the compute runs it again and shows why
                return

        with self._cache_lock:
            self._generation += 1  # a prefetch or an earlier setting gives way
            generation = self._generation
            self.timings = {}
            thread = threading.Thread(target=work, name=BEGIN_THREAD, daemon=True)
            self._begun = (settings, thread)
        thread.start()
        return thread

    # --- the view ---------------------------------------------------------------------------

    def compute(self, settings: ExplorerSettings) -> ExplorerView:
        """Headline numbers and chart tables for a setting (runs the engine only on a cache miss;
        a run :meth:`begin` started for this setting is waited for)."""
        from simulation.admin.parameters import load_admin_parameters

        began = time.perf_counter()
        settings = self.normalised(settings)
        with self._lock:
            begun = self._begun
            if begun is not None and begun[0] == settings:
                begun[1].join()  # its stages are this compute's: timings kept
            else:
                self.timings = {}
            with self._cache_lock:
                # unless a later change has begun another setting (which stopped the prefetch
                # itself, and must go on), any prefetch or a setting begun and left gives way
                if self._begun is begun:
                    self._begun = None
                    self._generation += 1
            if self._admin is None:
                self._admin = load_admin_parameters()
            view = self._view(settings)
        view.seconds = time.perf_counter() - began
        return view

    def _view(self, settings: ExplorerSettings) -> ExplorerView:
        """The view of a normalised setting (engine runs from the cache, or run now)."""
        from simulation.admin.parameters import load_admin_parameters

        runs = self._setting_runs(settings)
        base, reform = runs[0], runs[-1]  # the same run when the setting changes no policy
        if len(runs) > 1:
            deciles, poverty = reform.deciles, reform.poverty
        else:  # no reform: nobody gains or loses, poverty before = after (taken once per baseline)
            deciles, poverty = self._cached(("no_change", settings.locality, _freeze(self.behaviour(settings)),
                                             settings.staffing_ratio),
                                            lambda: self._distribution(base.households, base.households,
                                                                       settings.locality))
        share = self._care_share(settings.locality)
        households = self._population(settings.locality).households
        admin = self._admin or load_admin_parameters()
        with self._timed("view tables"):
            variant = "explorer" if reform is not base else "baseline"
            view = build_view(settings, base, reform, share, admin,
                              sample=(len(households), float(households["weight"].sum())),
                              costs=lambda run: self._admin_costs(
                                  settings, "baseline" if run is base else variant, run, share, admin),
                              own_ratio=self._own_ratio(settings.locality))
        view.deciles, view.poverty = deciles, poverty
        return view

    def figures(self, view: ExplorerView) -> dict[str, Figure]:
        """The four charts of a view: cost and coverage (each with the baseline), cap and staffing."""
        return {name: self._draw(name, table, baseline)
                for name, (table, baseline) in self._chart_inputs(view).items()}

    def _chart_inputs(self, view: ExplorerView) -> dict[str, tuple[pd.DataFrame, pd.Series | None]]:
        return {"cost": (view.annual_cost, view.baseline_annual), "coverage": (view.persons, view.baseline_persons),
                "deciles": (view.deciles, None), "winners": (view.deciles, None),
                "cap": (view.cap, None), "staffing": (view.staff, None)}

    def _draw(self, chart: str, table: pd.DataFrame, baseline: pd.Series | None) -> Figure:
        return draw_chart(chart, table, baseline, self.lang)

    def _png_key(self, view: ExplorerView, chart: str, dpi: int) -> tuple:
        table, baseline = self._chart_inputs(view)[chart]
        extra = _table_key(baseline.to_frame()) if baseline is not None else None
        return ("png", chart, self.lang, dpi, _table_key(table), extra)

    def _keep_layout(self, chart: str, dpi: int, drawn: DrawnChart) -> tuple[bytes, tuple[str, ...]]:
        """Remember a new chart layout and the chart's drawing time (:meth:`_worker_share`);
        return the PNG and the legend's labels."""
        self._chart_cpu[chart] = drawn.cpu
        if drawn.layout is not None:
            if len(self._layouts) >= CACHE_RUNS:
                self._layouts.clear()
            self._layouts[(chart, self.lang, dpi, drawn.layout_key)] = drawn.layout
        return drawn.png, drawn.legend

    def _layouts_of(self, chart: str, dpi: int) -> dict[tuple, list[tuple[float, ...]]]:
        return {k[3]: v for k, v in list(self._layouts.items()) if k[:3] == (chart, self.lang, dpi)}

    def drawn(self, view: ExplorerView, chart: str, dpi: int = DPI) -> tuple[bytes, tuple[str, ...]]:
        """One chart as PNG bytes and its legend's labels; drawn only when its tables differ from
        every pair drawn before (cached by content)."""
        return self._drawn(view, chart, dpi, self._png_key(view, chart, dpi))

    def _drawn(self, view: ExplorerView, chart: str, dpi: int, key: tuple) -> tuple[bytes, tuple[str, ...]]:
        """:meth:`drawn` with the chart's cache key (:meth:`_png_key`) already computed."""
        table, baseline = self._chart_inputs(view)[chart]

        def make() -> tuple[bytes, tuple[str, ...]]:
            with self._timed("charts"):
                drawn = render_chart(chart, table, baseline, self.lang, dpi, self._layouts_of(chart, dpi))
            return self._keep_layout(chart, dpi, drawn)

        return self._cached(key, make)

    def drawn_all(self, view: ExplorerView, dpi: int = DPI) -> dict[str, tuple[bytes, tuple[str, ...]]]:
        """Every chart of a view (see :meth:`drawn`). The charts not in the cache are drawn here
        and in the chart worker process at the same time, shared by :meth:`_worker_share`
        (matplotlib draws in one thread: a second process draws on the second core); without a
        worker, or if it fails, all here."""
        out: dict[str, tuple[bytes, tuple[str, ...]]] = {}
        missing = []
        # each chart's key once (hashing its tables): looked up, drawn and kept under it
        keys = {chart: self._png_key(view, chart, dpi) for chart in CHARTS}
        for chart in CHARTS:
            with self._cache_lock:
                hit = self._runs.get(keys[chart])
            if hit is None:
                missing.append(chart)
            else:
                out[chart] = hit
        worker = self._chart_worker() if len(missing) > 1 else None
        began = time.perf_counter()
        futures = {}
        if worker is not None:
            for chart in self._worker_share(missing):
                table, baseline = self._chart_inputs(view)[chart]
                futures[chart] = worker.submit(render_chart, chart, table, baseline, self.lang, dpi,
                                               self._layouts_of(chart, dpi))
        for chart in missing:
            if chart not in futures:
                out[chart] = self._drawn(view, chart, dpi, keys[chart])
        worker_cpu = 0.0
        for chart, future in futures.items():
            try:
                drawn = future.result()
                worker_cpu += drawn.cpu
            except Exception:  # a worker that died: draw here, and from now on without it
                self._close_worker()
                out[chart] = self._drawn(view, chart, dpi, keys[chart])
                continue
            out[chart] = self._cached(keys[chart], lambda d=drawn, c=chart: self._keep_layout(c, dpi, d))
        if missing and self._foreground():
            self.timings["charts"] = time.perf_counter() - began
            self.timings["charts in the worker"] = float(len(futures))
            self.timings["worker cpu"] = worker_cpu
        return {chart: out[chart] for chart in CHARTS}

    def _worker_share(self, missing: list[str]) -> list[str]:
        """The charts of ``missing`` to draw in the worker: the costliest first (by their last
        drawing's CPU time; before any, every other one), each to the side that would finish
        it first, the worker's side starting :data:`WORKER_OVERHEAD_SECONDS` behind (the tables
        go there and the image comes back). The charts differ by up to three times, and a
        redraw waits for the slower side."""
        if not all(chart in self._chart_cpu for chart in missing):
            return missing[1::2]
        here = there = 0.0
        share = []
        for chart in sorted(missing, key=lambda c: -self._chart_cpu[c]):
            if there + WORKER_OVERHEAD_SECONDS < here:  # the worker would finish it first
                there += self._chart_cpu[chart]
                share.append(chart)
            else:
                here += self._chart_cpu[chart]
        return share

    def _chart_worker(self) -> Any:
        """The chart worker process (started at the first use; ``None`` when disabled)."""
        if not self.chart_worker:
            return None
        if self._worker is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn, not fork: the kernel runs numba and widget threads, which a fork would copy mid-step
            self._worker = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                               initializer=_warm_charts, initargs=(self.lang,))
            # an explorer that is dropped stops its worker (a long-lived kernel or test process
            # would otherwise keep one idle process per explorer it ever made)
            weakref.finalize(self, self._worker.shutdown, wait=False, cancel_futures=True)
        return self._worker

    def warm_charts(self) -> None:
        """Start the chart worker now and let it load matplotlib and the fonts (a few seconds)."""
        worker = self._chart_worker()
        if worker is not None:
            worker.submit(_warm_charts, self.lang)

    def _close_worker(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=False, cancel_futures=True)
        self._worker, self.chart_worker = None, False

    def close(self) -> None:
        """Stop the chart worker process."""
        self._close_worker()

    def png(self, view: ExplorerView, chart: str, dpi: int = DPI) -> bytes:
        """One chart (one of :data:`CHARTS`) as PNG bytes (see :meth:`drawn`)."""
        return self.drawn(view, chart, dpi)[0]

    def pngs(self, view: ExplorerView, dpi: int = DPI) -> dict[str, bytes]:
        """Every chart of :data:`CHARTS` as PNG bytes."""
        return {chart: self.png(view, chart, dpi) for chart in CHARTS}

    def headline_html(self, view: ExplorerView) -> str:
        """The headline numbers as HTML (the element the browser test reads)."""
        return headline_html(view.headline, self.lang)

    def distribution_html(self, view: ExplorerView) -> str:
        """Winners and losers and poverty before and after, as HTML (see :func:`distribution_html`)."""
        return distribution_html(view.deciles, view.poverty, self.relative_line, self.lang)

    def offices_html(self, view: ExplorerView) -> str:
        """The township offices of a view as HTML (:func:`offices_html`)."""
        return offices_html(view.offices, view.settings.staffing_ratio, self.lang)

    def widget(self, initial: ExplorerSettings | None = None) -> Any:
        """The ipywidgets front end: controls on the left; headline, charts and distribution on the right."""
        return ExplorerWidget(self, initial or self.defaults(self.localities()[0])).box


RECIPIENT_PROGRAMMES = ("dibao", "single_inclusion", "tekun")


@njit(cache=True)
def _add_paid(status, enrolled, exiting, dibao_month, paid_single, paid_tekun_basic, paid_tekun_care,
              paid_sum, months_paid, paid_last):
    """One month of every household's payments into the tally's sums, as ``TraceRecorder.record``
    reads them: dibao while enrolled or exiting, single-person inclusion, tekun basic + care (the
    float32 sums of the trace, then float64). A loop: five numpy passes and three temporaries a
    month were a tenth of a redraw's engine time."""
    for h in range(status.shape[0]):
        dibao = dibao_month[h] if status[h] == enrolled or status[h] == exiting else 0.0
        paid = dibao + np.float64(paid_single[h]) + np.float64(paid_tekun_basic[h] + paid_tekun_care[h])
        paid_sum[h] += paid
        months_paid[h] += paid > 0.0
        paid_last[h] = paid


class HouseholdTally:
    """Every household of a running model, summarised as ``distribution.household_summary``
    summarises a trace of every household — without the trace.

    The engine's trace appends a Python row per household and month (100,000 households × 36
    months: 3.6 M rows, far too slow for a redraw); the distribution needs only each household's
    payments summed over the months and its state in the first and last month. So after each
    month :meth:`record` adds the month's payments with array operations, read as the trace
    reads them (``TraceRecorder.record``: dibao as the accounts pay it while enrolled or exiting,
    single-person inclusion, tekun basic + care), and in the first and last month the rules'
    per-capita income and dibao standard of every household come from the trace's own kernel.
    ``tests/test_charts_explorer.py`` checks the result equals ``household_summary`` of a trace.

    ``start=False`` leaves the first month's persons and income out (NaN): a reform's are not
    read (deciles and the alive filter come from the baseline), and the rules' assessment of
    every household is a tenth of a fresh redraw.
    """

    def __init__(self, model: Any, start: bool = True) -> None:
        self.model = model
        self.start = start
        n = int(model.n_households)
        self.paid_sum = np.zeros(n)
        self.months_paid = np.zeros(n, dtype=np.int64)
        self.paid_last = np.zeros(n)
        self.months = 0
        self.first: dict[str, np.ndarray] | None = None

    def _add_paid(self) -> None:
        """Add this month's payments of every household to the sums (:func:`_add_paid`)."""
        from simulation.engine import processes as pr

        hh = self.model.households
        _add_paid(hh.status, np.int8(pr.ST_ENROLLED), np.int8(pr.ST_EXIT), hh.dibao_month, hh.paid_single,
                  hh.paid_tekun_basic, hh.paid_tekun_care, self.paid_sum, self.months_paid, self.paid_last)

    def _state(self) -> dict[str, np.ndarray]:
        """Persons, per-capita income and dibao standard of every household now (NaN if died out)."""
        from simulation.engine.outputs import _trace_assess
        from simulation.rules.entitlement import N_OUTPUTS, O_PER_CAPITA, O_STANDARD

        m = self.model
        s = m.persons
        n = int(m.n_households)
        out = np.zeros((n, N_OUTPUTS))
        # on both cores: called under the explorer's engine lock, as the engine's kernels are
        _trace_assess(np.arange(n, dtype=np.int64), m.bounds, s.age_y, s.urban, s.disability, s.ill, s.paralysed,
                      s.rare, s.labour, s.self_care, s.earned, s.pension, s.other, s.rigid, s.supporter, s.assets,
                      s.care_wish, m.p, out)
        alive = m.households.n_alive.astype(np.float64)
        gone = alive == 0
        return {"persons": alive, "income": np.where(gone, np.nan, out[:n, O_PER_CAPITA]),
                "standard": np.where(gone, np.nan, out[:n, O_STANDARD])}

    def record(self) -> None:
        """Add the month just simulated (call after each ``run_for(1)``)."""
        self._add_paid()
        self.months += 1
        if self.first is None:
            n = int(self.model.n_households)
            self.first = self._state() if self.start else {"persons": np.full(n, np.nan), "income": np.full(n, np.nan)}

    def summary(self, weights: pd.Series) -> pd.DataFrame:
        """The household summary (columns of ``distribution.household_summary``), index household_id."""
        if self.first is None:
            raise ExplorerError("no month recorded: the household summary needs at least one month")
        last = self._state()
        ids = pd.Index(self.model.households.household_id, name="household_id")
        return pd.DataFrame({
            "paid_mean": self.paid_sum / self.months, "months_paid": self.months_paid,
            "months": np.full(ids.size, self.months, dtype=np.int64),
            "persons_start": self.first["persons"], "income_start": self.first["income"],
            "persons_end": last["persons"], "income_end": last["income"], "paid_end": self.paid_last,
            "standard_end": last["standard"], "weight": weights.reindex(ids).to_numpy(float),
        }, index=ids)


@dataclass(frozen=True)
class RunTables:
    """What the explorer keeps of one engine run: small tables, not the population."""

    annual: pd.DataFrame  # index year, columns programme: payments, yuan/year
    persons: pd.DataFrame  # index month (Period), columns programme: persons
    recipients: pd.DataFrame  # index month, columns township: recipients (dibao, single, tekun)
    staff_now: pd.Series | None  # engine offices' staff by township, last month
    params: tuple  # Params at the start of each month of the horizon
    cases: pd.Series  # index month: temporary-assistance cases (the engine's temporary households)
    recipient_households: pd.Series  # index month: weighted households of the recipient programmes
    households: pd.DataFrame | None = None  # a baseline's household summary (distribution.household_summary)
    deciles: pd.DataFrame | None = None  # a reform's distribution_tables against its baseline
    poverty: pd.DataFrame | None = None
    offices: pd.DataFrame | None = None  # the engine's offices table (the office model's work)

    @classmethod
    def from_result(cls, monthly: pd.DataFrame, offices: pd.DataFrame | None, policy: Any) -> RunTables:
        """Summarise an engine run's monthly (and offices) table."""
        # the months parsed once, not by each of the four tables (a fifth of this stage)
        monthly = monthly.assign(month=tables.month_periods(monthly["month"]))
        persons = tables.monthly_by(monthly, value="persons")
        chosen = monthly[monthly["programme"].isin(RECIPIENT_PROGRAMMES)]
        recipients = tables.monthly_by(chosen, value="persons", by="township").reindex(persons.index, fill_value=0.0)
        staff_now = None
        if offices is not None and {"staff", "township", "month"} <= set(offices.columns):
            last = offices[offices["month"].astype(str) == str(offices["month"].astype(str).max())]
            staff_now = last.groupby("township")["staff"].sum().astype(float)
        params = tuple(policy.at(f"{m}-01") for m in persons.index)
        households = tables.monthly_by(monthly, value="households").reindex(persons.index, fill_value=0.0)
        cases = households["temporary"] if "temporary" in households else pd.Series(0.0, index=persons.index)
        chosen_households = households[[p for p in RECIPIENT_PROGRAMMES if p in households.columns]].sum(axis=1)
        return cls(tables.annual_by(monthly), persons, recipients, staff_now, params, cases, chosen_households,
                   offices=offices if offices is not None and "reviews_falling_due" in offices.columns else None)


def admin_costs(run: RunTables, ratio: float, care_share: float, admin: Any
                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.DataFrame | None]:
    """Office and purchased-services cost per year, the cap table, staff by township at the end,
    and the offices by township (``tables.offices_by_township``: days to decision, late decisions,
    backlog; ``None`` without the engine's offices table).

    With the engine's offices table, the township offices are the engine's office model replayed
    at ``ratio`` (``simulation.admin.offices.replay``; the scenario tables do the same; the
    explorer's runs are staffed at its ratio, where the replay is the engine's own table): staff by
    the rule month by month, village assistants, purchased casework and posts, each costed
    (``simulation.scenarios.runner.office_costs``). Without it, staff per township and month by
    the ratio rule (``required_staff``, qijiang 三(三)). Services for recipients × ``care_share``
    at the package cost (``simulation.admin.services``); the cap (all purchases, or the part
    from subsidy funds, as the locality counts it) against the labelled estimate of its base
    (``estimate_cap_base``), as in the scenario runner with ``cap_base: estimate``.
    """
    from simulation.admin.services import (
        assess_cap,
        estimate_cap_base,
        package_cost_per_person_month,
    )
    from simulation.admin.staffing import required_staff

    months = run.recipients.index
    rec = run.recipients.to_numpy(float)
    years = pd.Index(months.year, name="year")
    if run.offices is not None:
        from simulation.admin.offices import office_parameters, replay
        from simulation.scenarios.runner import OFFICE_COMPONENTS, office_costs

        by_month = {str(m): p for m, p in zip(months, run.params, strict=True)}
        if {float(p["staffing.ratio_min"]) for p in run.params} == {float(ratio)}:
            # the run staffed its offices at this ratio (the explorer's runs do): the replay
            # would be the engine's own table (tested), which only lacks the deadline
            deadline = {m: office_parameters(p).deadline_days for m, p in by_month.items()}
            office = run.offices.assign(deadline_days=run.offices["month"].astype(str).map(deadline))
        else:
            office = replay(run.offices, by_month.__getitem__, ratio=ratio)
        office_cost = office_costs(office, by_month.__getitem__).groupby("month")[list(OFFICE_COMPONENTS)].sum()
        office_cost = office_cost.reindex([str(m) for m in months], fill_value=0.0)
        office_cost.index = years
        last = office[office["month"].astype(str) == str(months[-1])]
        staff_end = pd.Series(last["staff"].to_numpy(float), index=last["township_name"].to_numpy(),
                              name="staff_selected")
        by_township = tables.offices_by_township(office)
    else:
        by_township = None
        staff = np.vstack([required_staff(rec[i], ratio, int(p["staffing.minimum"]), int(p["staffing.small_threshold"]))
                           for i, p in enumerate(run.params)]) if len(months) else np.zeros((0, rec.shape[1]))
        office_cost = pd.DataFrame({"staff": staff.sum(axis=1) * np.array(
            [float(p["staffing.annual_cost"]) / 12.0 for p in run.params])}, index=years)
        staff_end = pd.Series(staff[-1].astype(float), index=run.recipients.columns, name="staff_selected")
    total_rec = rec.sum(axis=1)
    care = total_rec * care_share
    services = care * np.array([package_cost_per_person_month(p) for p in run.params])
    costs = office_cost.assign(purchased_services=services).groupby(level=0).sum()
    cap_rows = []
    for year in costs.index:
        sel = np.flatnonzero(years == year)
        base, _label = estimate_cap_base(float(total_rec[sel].mean()), int(year), admin.cap_estimate)
        bought = costs.loc[year]
        a = assess_cap(int(year), float(care[sel].mean()), run.params[sel[0]], base,
                       cap_base_is_estimate=True, months=float(len(sel)),
                       casework_cost=float(bought.get("purchased_casework", 0.0)),
                       posts_cost=float(bought.get("purchased_posts", 0.0)))
        cap_rows.append({"year": int(year), "services_cost": a.cost, "cap": a.cap, "headroom": a.headroom})
    return costs, pd.DataFrame(cap_rows), staff_end, by_township


def standard_increase(base: RunTables, reform: RunTables) -> float:
    """Mean increase of the dibao standards over the horizon (yuan/person/month, urban and rural
    averaged): the setting itself for a yuan change, the baseline's values × the share for %."""
    diffs = [float(r[f"dibao.standard.{a}"]) - float(b[f"dibao.standard.{a}"])
             for b, r in zip(base.params, reform.params, strict=True) for a in ("urban", "rural")]
    return float(np.mean(diffs)) if diffs else 0.0


def sampling_error(recipient_households: float, households: float, sample: int) -> float:
    """Relative standard error of a total over recipient households estimated from a simple
    random sample of ``sample`` households out of ``households`` (weighted): sqrt((1−p)/(n·p)),
    p the recipients' share. It applies to the recipients and, approximately, to their cost."""
    p = recipient_households / households if households > 0 else 0.0
    return float(np.sqrt((1.0 - p) / (sample * p))) if 0.0 < p < 1.0 and sample > 0 else float("nan")


def build_view(settings: ExplorerSettings, base: RunTables, reform: RunTables, care_share: float,
               admin: Any, sample: tuple[int, float] = (0, 0.0),
               costs: Callable[[RunTables], tuple] | None = None,
               own_ratio: float | None = None) -> ExplorerView:
    """Headline numbers and chart tables for a setting from its baseline and reform runs.

    ``sample``: households simulated and the households they stand for (sum of weights), for the
    sample size and sampling error shown. ``costs``: :func:`admin_costs` of a run at the setting's
    ratio (the explorer passes its cache). ``own_ratio``: the locality's own staffing rule
    (``staffing.ratio_min``), whose staff on the reform's recipients at the end are shown as the
    current staff beside the ratio's (without it: the reform run's own offices' staff)."""
    ratio = settings.staffing_ratio
    cost_of = costs or (lambda run: admin_costs(run, ratio, care_share, admin))
    office_costs, cap, staff_end, offices = cost_of(reform)
    annual = reform.annual.join(office_costs, how="outer").fillna(0.0)
    base_costs, _, _, _ = cost_of(base)
    base_annual = base.annual.join(base_costs, how="outer").fillna(0.0).sum(axis=1)
    base_total = float(base_annual.sum())
    total = float(annual.to_numpy().sum())
    staff = staff_end.to_frame()
    if own_ratio is not None and reform.offices is not None and len(reform.params):
        from simulation.admin.offices import rule_staff

        offices_end = reform.offices[reform.offices["month"].astype(str) == str(reform.persons.index[-1])]
        now = pd.Series(rule_staff(offices_end["recipients"], offices_end["townships"], offices_end["staff"],
                                   own_ratio, reform.params[-1]),
                        index=offices_end["township_name"].to_numpy())
        staff.insert(0, "staff_current", now.reindex(staff.index).fillna(0.0))
    elif reform.staff_now is not None:
        now = reform.staff_now
        if reform.offices is not None:  # by township name, as the replayed staff
            names = reform.offices.drop_duplicates("township").set_index("township")["township_name"]
            now = now.rename(index=names.to_dict())
        staff.insert(0, "staff_current", now.reindex(staff.index).fillna(0.0))
    staff.index.name = "township"
    months = len(reform.persons.index)
    per_year = 12.0 / months if months else 0.0
    extra = (total - base_total) * per_year
    recipients = [p for p in RECIPIENT_PROGRAMMES if p in reform.persons.columns]
    increase = standard_increase(base, reform)
    n, weighted = sample
    rel = sampling_error(float(reform.recipient_households.iloc[-1]) if months else 0.0, weighted, n)
    headline = {
        "cost_per_year": total * per_year,
        "extra_per_year": extra,
        "standard_increase": increase,
        "cost_per_yuan": extra / increase if abs(increase) > 1e-9 else float("nan"),
        "recipients_end": float(reform.persons[recipients].iloc[-1].sum()) if recipients and months else 0.0,
        "recipients_end_baseline": float(base.persons[recipients].iloc[-1].sum()) if recipients and months else 0.0,
        "temporary_cases_per_month": float(reform.cases.mean()) if months else 0.0,
        "cap_headroom_first_year": float(cap["headroom"].iloc[0]) if len(cap) else float("nan"),
        "staff_required_end": float(staff_end.sum()),
        "sample_households": float(n), "population_households": float(weighted),
        "relative_error": rel,
    }
    base_persons = base.persons[recipients].sum(axis=1) if recipients else pd.Series(0.0, index=base.persons.index)
    return ExplorerView(settings, headline, annual, reform.persons[recipients], base_annual, base_persons,
                        cap[["year", "services_cost", "cap"]], staff, seconds=0.0, offices=offices)


#: Sampling error (95%, relative) above which the explorer warns that the sample is small.
WARN_ERROR = 0.05


def headline_html(headline: Mapping[str, float], lang: Lang) -> str:
    """Headline numbers as a small HTML table: cost and extra cost, recipients against the
    baseline, temporary-assistance cases, cap, staff, and the sample with its sampling error."""
    divisor, unit = money_unit(max(abs(headline["cost_per_year"]), 1.0), lang)
    zh = lang == "zh"

    def money(v: float) -> str:
        return f"{v / divisor:,.1f} {unit}"

    persons = "人" if zh else "persons"
    rel = headline.get("relative_error", float("nan"))
    rows = [
        ("年均支出" if zh else "Cost per year", money(headline["cost_per_year"])),
        ("比基准方案年均增支" if zh else "Extra per year vs baseline", f"{headline['extra_per_year'] / divisor:+,.1f} {unit}"),
        ("标准每提高 1 元的年增支" if zh else "Extra per year per yuan of standard",
         "—" if not np.isfinite(headline["cost_per_yuan"]) else f"{headline['cost_per_yuan']:,.0f} {'元' if zh else 'yuan'}"),
        ("期末救助对象（基线）" if zh else "Recipients at the end (baseline)",
         f"{headline['recipients_end']:,.0f} ({headline.get('recipients_end_baseline', 0.0):,.0f}) {persons}"),
        ("临时救助（月均件数）" if zh else "Temporary assistance, cases per month",
         f"{headline.get('temporary_cases_per_month', 0.0):,.0f} {'件' if zh else 'cases'}"),
        ("首年 2% 上限剩余额度" if zh else "Headroom under the 2% cap, first year", money(headline["cap_headroom_first_year"])),
        ("期末所需经办人员" if zh else "Staff required at the end",
         f"{headline['staff_required_end']:,.0f} {'人' if zh else ''}".strip()),
    ]
    n, big = headline.get("sample_households", 0.0), headline.get("population_households", 0.0)
    if n > 0:
        error = "—" if not np.isfinite(rel) else f"±{1.96 * rel:.1%}"
        rows.append(("样本（代表户数）" if zh else "Sample (households it stands for)", f"{n:,.0f} ({big:,.0f})"))
        rows.append(("抽样误差（95%，救助对象与支出）" if zh else "Sampling error (95%, recipients and cost)", error))
    cells = "".join(f"<tr><td>{k}</td><td style='text-align:right'><b>{v}</b></td></tr>" for k, v in rows)
    warn = ""
    if np.isfinite(rel) and 1.96 * rel > WARN_ERROR:
        need = int(np.ceil(n * (1.96 * rel / WARN_ERROR) ** 2))
        warn = ("<p class='explorer-warning' style='color:#B00020'>"
                + (f"样本偏小：抽样误差超过 {WARN_ERROR:.0%}，结果仅供参考；至少需要约 {need:,} 户。"
                   if zh else f"Small sample: the sampling error exceeds {WARN_ERROR:.0%}; about {need:,} "
                              "households are needed for a figure to rely on.") + "</p>")
    return f"<table class='explorer-headline'>{cells}</table>{warn}"


#: cell styles of the distribution tables (an HTML widget's tables have no padding of their own)
RIGHT = "style='text-align:right;padding:2px 0 2px 18px'"
SPACED = "style='border-collapse:collapse;margin-bottom:8px'"


def distribution_html(deciles: pd.DataFrame, poverty: pd.DataFrame, relative_line: float, lang: Lang) -> str:
    """Winners and losers among actual recipients and among all households, and persons below
    the dibao standard and the relative line with their gap, before and after, as an HTML table
    (from ``distribution_tables``; the last month for poverty, the horizon's mean monthly
    payment for the change)."""
    zh = lang == "zh"
    rows = []
    for population in ("recipients", "households"):
        g = deciles[deciles["population"] == population] if len(deciles) else deciles
        n = float(g["households"].sum()) if len(g) else 0.0
        win, lose = (float(g[c].sum()) if len(g) else 0.0 for c in ("winners", "losers"))
        mean = float((g["mean_change"] * g["households"]).sum() / n) if n > 0 else 0.0

        def share(v: float, n: float = n) -> str:
            return f"{v / n:.1%}" if n > 0 else "—"

        name = label("recipients" if population == "recipients" else "all_households", lang)
        why = ""
        if lose > 0:
            fewer, lower = (float(g[c].sum()) for c in ("losers_fewer_months", "losers_lower_amount"))
            why = (f"（领取月数减少 {fewer:,.0f}，金额减少 {lower:,.0f}）" if zh
                   else f" ({fewer:,.0f} paid for fewer months, {lower:,.0f} paid less while paid)")
        rows.append((f"{name}（{n:,.0f} 户）" if zh else f"{name} ({n:,.0f} households)",
                     f"{win:,.0f} ({share(win)})", f"{lose:,.0f} ({share(lose)}){why}", f"{mean:+,.1f}"))
    head = (("", "受益户", "受损户", "户均月变化（元）") if zh
            else ("", "Winners", "Losers", "Mean change (yuan/month)"))
    cells = "".join(f"<tr><td>{a}</td><td {RIGHT}>{b}</td><td {RIGHT}>{c}</td><td {RIGHT}><b>{d}</b></td></tr>"
                    for a, b, c, d in rows)
    table = (f"<table class='explorer-winners' {SPACED}><tr>{''.join(f'<th {RIGHT}>{h}</th>' for h in head)}</tr>"
             f"{cells}</table>")
    prows = []
    for r in poverty.itertuples(index=False):
        if r.line == "dibao_standard":
            name = f"低保标准（{r.line_value:,.0f} 元）" if zh else f"Dibao standard ({r.line_value:,.0f} yuan)"
        else:
            name = (f"相对贫困线（收入中位数的 {relative_line:.0%}，{r.line_value:,.0f} 元）" if zh
                    else f"Relative line ({relative_line:.0%} of median income, {r.line_value:,.0f} yuan)")
        prows.append(f"<tr><td>{name}</td><td {RIGHT}>{r.headcount_before:,.0f} → <b>{r.headcount_after:,.0f}</b>"
                     f"</td><td {RIGHT}>{r.rate_before:.2%} → <b>{r.rate_after:.2%}</b></td><td {RIGHT}>"
                     f"{r.gap_before / 1e4:,.1f} → <b>{r.gap_after / 1e4:,.1f}</b></td></tr>")
    phead = (("期末低于贫困线", "人数（改革前 → 后）", "比例", "缺口（万元/月）") if zh
             else ("Below the line, last month", "Persons (before → after)", "Rate", "Gap (10,000 yuan/month)"))
    ptable = (f"<table class='explorer-poverty' {SPACED}><tr>{''.join(f'<th {RIGHT}>{h}</th>' for h in phead)}"
              f"</tr>{''.join(prows)}</table>")
    note = ("变化为全期户均每月领取额（低保、单人户施保、特困）改革减基线，同一人口与随机数；十分位按期初人均收入。"
            if zh else "Change: mean monthly payment over the horizon (dibao, single-person dibao, tekun), reform "
                       "minus baseline on the same population and draws; deciles of per-capita income at the start.")
    title = "收入分配影响（改革与基线相比）" if zh else "Distribution: the reform against the baseline"
    return f"<h4>{title}</h4>{table}{ptable}<p style='font-size:85%;color:#555'>{note}</p>"


def offices_html(offices: pd.DataFrame | None, ratio: float, lang: Lang) -> str:
    """The township offices at the staffing ratio as a small HTML table: staff, mean days to
    decision against the deadline (calendar days; a township over it in red), decisions late,
    applications waiting and reviews overdue at the end (the reform's engine run with its offices
    staffed at the ratio, so the queue reaches the households too)."""
    zh = lang == "zh"
    title = (f"乡镇（街道）经办：按 {ratio * 1000:g}‰ 配备人员" if zh
             else f"Township offices with staff at {ratio * 1000:g}‰")
    if offices is None or offices.empty:
        return f"<h4>{title}</h4><p>{'无经办数据' if zh else 'No office figures'}</p>"
    heads = (("乡镇（街道）", "人员", "平均审批天数", "超时审批", "期末待审申请", "期末逾期复核") if zh else
             ("Township", "Staff", "Mean days to decision", "Decided late", "Applications waiting at the end",
              "Reviews overdue at the end"))
    rows = []
    for town, r in offices.iterrows():
        days = r["days_to_decision"]
        over = np.isfinite(days) and days > r["deadline_days"]
        shown = "–" if not np.isfinite(days) else f"{days:.1f}"
        late = "–" if not np.isfinite(r["late_share"]) else f"{r['late_share']:.1%}"
        style = " style='color:#b00;font-weight:bold'" if over else ""
        rows.append(f"<tr><td>{town}</td><td>{r['staff']:,.0f}</td><td{style}>{shown}</td><td>{late}</td>"
                    f"<td>{r['backlog_end']:,.0f}</td><td>{r['reviews_late']:,.0f}</td></tr>")
    deadline = float(offices["deadline_days"].max())
    note = (f"天数为日历日；办理时限 {deadline:g} 个日历日（以工作日计的时限按 ×7/5 换算）。改革方案与基线均按所选"
            "配比配备经办人员模拟，排队对家庭的影响（待审申请、逾期复核期间待遇不变）计入两者的支出。"
            if zh else
            f"Days are calendar days; the deadline is {deadline:g} calendar days (a limit in working days "
            "× 7/5). The reform and the baseline are both run with their offices staffed at the chosen "
            "ratio: the queue's effect on households (applicants waiting, payments unchanged while a "
            "review is late) is in both runs' costs.")
    head = "".join(f"<th>{h}</th>" for h in heads)
    return (f"<h4>{title}</h4><table class='explorer-offices-table'><tr>{head}</tr>{''.join(rows)}</table>"
            f"<p style='font-size:85%;color:#555'>{note}</p>")


class ExplorerWidget:
    """ipywidgets controls bound to an :class:`Explorer`, redrawn after a debounce."""

    def __init__(self, explorer: Explorer, initial: ExplorerSettings) -> None:
        import ipywidgets as w

        self.explorer = explorer
        zh = explorer.lang == "zh"
        style = {"description_width": "12em"}
        layout = w.Layout(width="30em")

        def text(zh_text: str, en_text: str) -> str:
            return zh_text if zh else en_text

        self.controls: dict[str, Any] = {
            "locality": w.Dropdown(options=[(explorer.locality_name(loc), loc) for loc in explorer.localities()],
                                   value=initial.locality, description=text("地区", "Locality")),
            "standard_unit": w.ToggleButtons(options=[(STANDARD_UNITS[k][0 if zh else 1], k) for k in STANDARD_UNITS],
                                             value=initial.standard_unit, description=text("标准调整单位", "Change in")),
            "standard_change": w.IntSlider(value=int(initial.standard_change),
                                           min=int(STANDARD_SLIDER[initial.standard_unit][0]),
                                           max=int(STANDARD_SLIDER[initial.standard_unit][1]),
                                           step=int(STANDARD_SLIDER[initial.standard_unit][2]),
                                           description=text("低保标准增减", "Standard change")),
            "exit_months": w.IntSlider(value=int(initial.exit_months or 0), min=0, max=24, step=1,
                                       description=text("渐退期（月）", "Gradual-exit months")),
            "exit_ceiling": w.FloatSlider(value=float(initial.exit_ceiling or 1.5), min=1.0, max=3.0, step=0.1,
                                          description=text("渐退上限（倍标准）", "Exit ceiling (× standard)")),
            "review": w.Dropdown(options=[(REVIEW_LABELS[k][0 if zh else 1], k) for k in REVIEW_SCHEDULES],
                                 value=initial.review, description=text("核查频次", "Review frequency")),
            "take_up_scale": w.FloatSlider(value=initial.take_up_scale, min=0.5, max=2.0, step=0.1,
                                           description=text("申请率（×本地值）", "Take-up (× local)")),
            "discovery_scale": w.FloatSlider(value=initial.discovery_scale, min=0.0, max=3.0, step=0.25,
                                             description=text("主动发现（×本地值）", "Active discovery (× local)")),
            "staffing_ratio": w.FloatSlider(value=initial.staffing_ratio * 1000, min=2.0, max=4.0, step=0.5,
                                            description=text("人员配比（‰）", "Staffing ratio (‰)")),
        }
        for name, control in self.controls.items():
            control.style = style
            control.layout = layout
            control.add_class(f"explorer-{name.replace('_', '-')}")
            if hasattr(control, "continuous_update"):
                control.continuous_update = False
            control.observe(self._changed, names="value")
        self.status = w.HTML().add_class("explorer-status")
        self.headline = w.HTML().add_class("explorer-cost")
        self.distribution = w.HTML().add_class("explorer-distribution")
        self.offices = w.HTML().add_class("explorer-offices")
        self.images = {k: w.Image(format="png", layout=w.Layout(width="100%", height="auto"))
                       .add_class(f"explorer-chart-{k}") for k in CHARTS}

        def grid(names: tuple[str, ...]) -> Any:
            # one chart per row below about 1,200 px of chart area, two abreast above: at 1280 × 800
            # a chart is about 760 px wide, at 1920 × 1080 about 690 px (drawn at 880 px)
            return w.GridBox([self.images[k] for k in names], layout=w.Layout(
                grid_template_columns="repeat(auto-fit, minmax(560px, 1fr))", grid_gap="8px", width="100%"))

        # cost and coverage, then the distribution (its table, then its two charts), cap and staff,
        # then the township offices' days to decision
        self.box = w.HBox([
            w.VBox([*self.controls.values(), self.status], layout=w.Layout(flex="0 0 auto")),
            w.VBox([self.headline, grid(CHARTS[:2]), self.distribution, grid(CHARTS[2:]), self.offices],
                   layout=w.Layout(flex="1 1 auto", min_width="0")),
        ], layout=w.Layout(width="100%"))
        self._timer: threading.Timer | None = None
        self._changing = 0  # depth of _changed: a change that sets other controls begins once
        self._redraw_lock = threading.Lock()
        self.last_seconds: float | None = None
        #: seconds of the last redraw until its numbers and tables were on screen (charts after)
        self.numbers_seconds: float | None = None
        self.redraws = 0  # completed redraws (shown in the page as data-redraws, for tests)
        self._last_moved: tuple[str, int] = ("standard_change", 1)
        self.on_redraw: Callable[[ExplorerView], None] | None = None
        explorer.warm_charts()  # the chart worker loads matplotlib while the first view is computed
        self.redraw()

    def settings(self) -> ExplorerSettings:
        """The controls' current position."""
        c = self.controls
        return ExplorerSettings(
            locality=c["locality"].value, standard_change=float(c["standard_change"].value),
            standard_unit=c["standard_unit"].value,
            exit_months=int(c["exit_months"].value), exit_ceiling=round(float(c["exit_ceiling"].value), 3),
            review=c["review"].value, take_up_scale=round(float(c["take_up_scale"].value), 3),
            discovery_scale=round(float(c["discovery_scale"].value), 3),
            staffing_ratio=round(float(c["staffing_ratio"].value) / 1000, 6),
        )

    #: sliders whose neighbouring positions are prefetched (they change an engine run)
    PREFETCHED = ("standard_change", "exit_months", "exit_ceiling", "take_up_scale", "discovery_scale",
                  "staffing_ratio")
    #: of those, the sliders that change only the reform's run (not the baseline's)
    REFORM_ONLY = ("standard_change", "exit_months", "exit_ceiling")

    def _stepped(self, settings: ExplorerSettings, name: str, steps: int) -> ExplorerSettings | None:
        """``settings`` with slider ``name`` moved by ``steps`` of its step, or ``None`` past its range."""
        control = self.controls[name]
        value = control.value + steps * control.step
        if not control.min <= value <= control.max:
            return None
        if name == "staffing_ratio":  # the slider is in ‰
            value = value / 1000
        value = round(value, 6) if isinstance(value, float) else value
        return replace(settings, **{name: value})

    def neighbours(self, settings: ExplorerSettings, limit: int = 3) -> list[ExplorerSettings]:
        """Likely next settings: one step either way on the slider moved last (in the direction it
        moved first), then on the standard slider; within the sliders' ranges."""
        order = [self._last_moved[0]] if self._last_moved[0] in self.PREFETCHED else []
        order += [n for n in ("standard_change",) if n not in order]
        out: list[ExplorerSettings] = []
        for name in order:
            first = self._last_moved[1] if name == self._last_moved[0] else 1
            out += [s for s in (self._stepped(settings, name, first), self._stepped(settings, name, -first))
                    if s is not None]
        return out[:limit]

    def further(self, settings: ExplorerSettings) -> list[ExplorerSettings]:
        """Settings prefetched after :meth:`neighbours` and :meth:`alternatives`, while the user
        still looks: the slider moved last (the standard slider at first) 2 to
        :data:`PREFETCH_STEPS` steps either way (a drag covers several steps before the debounce
        redraws), then one step either way on the other sliders that change only the reform (the
        standard and the gradual exit: one engine run each; take-up, discovery and staffing rerun
        the baseline too, and a baseline with its household summary is about 9 MB)."""
        last = self._last_moved[0] if self._last_moved[0] in self.PREFETCHED else "standard_change"
        steps = [(last, d * k) for k in range(2, PREFETCH_STEPS + 1) for d in (1, -1)]
        steps += [(name, d) for name in self.REFORM_ONLY if name != last for d in (1, -1)]
        seen = set(self.neighbours(settings))
        out = []
        for name, k in steps:
            candidate = self._stepped(settings, name, k)
            if candidate is not None and candidate not in seen:
                seen.add(candidate)
                out.append(candidate)
        return out

    def alternatives(self, settings: ExplorerSettings) -> list[ExplorerSettings]:
        """The review dropdown's other schedules (few, and a dropdown is not a slider: its next
        choice has no neighbour), prefetched after the sliders' neighbours."""
        return [replace(settings, review=key) for key in REVIEW_SCHEDULES if key != settings.review]

    def _changed(self, change: Any) -> None:
        """A control moved. A setting whose engine runs are in the cache (prefetched, or seen) is
        redrawn at once (after ``READY_DEBOUNCE_SECONDS``); otherwise its runs start now
        (:meth:`Explorer.begin`) and the redraw comes once the controls have been still for
        ``DEBOUNCE_SECONDS`` (a quick second change stops the first one's runs instead of waiting
        for their redraw). The controls this change sets in turn (a new locality's own values)
        start nothing of their own."""
        self._changing += 1
        try:
            self._change(change)
        finally:
            self._changing -= 1
        if self._changing:
            return
        settings = self.settings()
        if self.explorer.ready(settings):
            self._redraw_after(READY_DEBOUNCE_SECONDS)
        else:
            self.explorer.begin(settings)
            self._redraw_after(DEBOUNCE_SECONDS)

    def _redraw_after(self, seconds: float) -> None:
        """Redraw in a timer thread after ``seconds``, replacing a redraw not yet started."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(seconds, self.redraw)
        self._timer.daemon = True
        self._timer.start()

    def _change(self, change: Any) -> None:
        name = next(k for k, c in self.controls.items() if c is change["owner"])
        if name in self.PREFETCHED:
            self._last_moved = (name, 1 if change["new"] >= change["old"] else -1)
        if change["owner"] is self.controls["standard_unit"]:
            self._set_standard_unit(change["new"])
        if change["owner"] is self.controls["locality"]:
            # a new locality starts from its own values of every lever: no standard change, its own
            # exit rule, review schedule, take-up, discovery and staffing ratio
            own = self.explorer.defaults(change["new"])
            self.controls["standard_unit"].value = own.standard_unit
            self._set_standard_unit(own.standard_unit)
            for name, value in (("exit_months", own.exit_months), ("exit_ceiling", own.exit_ceiling),
                                ("review", own.review), ("take_up_scale", own.take_up_scale),
                                ("discovery_scale", own.discovery_scale),
                                ("staffing_ratio", own.staffing_ratio * 1000)):
                self.controls[name].value = value

    def _set_standard_unit(self, unit: str) -> None:
        """The standard slider's range for a unit, back at no change."""
        slider = self.controls["standard_change"]
        low, high, step = (int(v) for v in STANDARD_SLIDER[unit])
        slider.value = 0
        slider.min, slider.max, slider.step = min(low, slider.min), max(high, slider.max), step
        slider.min, slider.max = low, high

    #: the status line shows a cold change's engine run every this many months (and at its end)
    PROGRESS_MONTHS = 6

    def _month_done(self, variant: str, done: int, months: int) -> None:
        """The status line during a fresh engine run: which run (the baseline, rerun when a
        setting changes it, or the reform) and how many of its months are done."""
        if done % self.PROGRESS_MONTHS and done != months:
            return
        zh = self.explorer.lang == "zh"
        if variant == "baseline":
            run = "基线" if zh else "baseline"
        else:
            run = "调整方案" if zh else "reform"
        self.status.value = (f"计算中……{run}：第 {done}/{months} 月" if zh else
                             f"Computing… {run}: month {done} of {months}")

    def redraw(self) -> None:
        """Compute the current setting and show it (called by the debounce timer)."""
        zh = self.explorer.lang == "zh"
        with self._redraw_lock:
            began = time.perf_counter()
            self.status.value = "计算中……" if zh else "Computing…"
            self.explorer.on_month = self._month_done
            try:
                try:
                    view = self.explorer.compute(self.settings())
                finally:
                    self.explorer.on_month = None
                # numbers first, then the charts (half of them drawn in the chart worker at once)
                self.headline.value = self.explorer.headline_html(view)
                self.distribution.value = self.explorer.distribution_html(view)
                self.offices.value = self.explorer.offices_html(view)
                self.numbers_seconds = time.perf_counter() - began
                self.status.value = "绘制图表……" if zh else "Drawing the charts…"
                for chart, (png, legend) in self.explorer.drawn_all(view).items():
                    self.images[chart].value = png
                    # the page says which charts carry the baseline (read by the browser test)
                    if label("baseline_total", self.explorer.lang) in legend:
                        self.images[chart].add_class("series-baseline")
            except Exception as exc:  # shown in the page: a widget callback's traceback is invisible
                self.status.value = f"<span style='color:red'>{type(exc).__name__}: {exc}</span>"
                raise
            self.last_seconds = time.perf_counter() - began
            self.redraws += 1
            numbers = self.numbers_seconds or 0.0
            text = (f"重绘用时 {self.last_seconds:.2f} 秒（数字与表格 {numbers:.2f} 秒）" if zh else
                    f"Redrawn in {self.last_seconds:.2f} s (numbers and tables in {numbers:.2f} s)")
            self.status.value = f"<span data-redraws='{self.redraws}'>{text}</span>"
            if self.on_redraw is not None:
                self.on_redraw(view)
            # while the user looks, run the engine for the next likely positions: one step of
            # the sliders (run and drawn at once), the review dropdown's other choices, then
            # further steps (all of these run first, then drawn)
            neighbours = self.neighbours(view.settings)
            self.explorer.prefetch(neighbours + self.alternatives(view.settings) + self.further(view.settings),
                                   draw_first=len(neighbours))


__all__ = ["Explorer", "ExplorerError", "ExplorerSettings", "ExplorerView", "ExplorerWidget",
           "REVIEW_SCHEDULES", "RunTables", "admin_costs", "build_view", "headline_html", "offices_html"]

