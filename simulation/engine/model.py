"""The Mesa model: a monthly clock, township offices as agents, and the columnar households.

:class:`SimulationModel` is a ``mesa.Model`` in the Mesa 4.0 style (``rng=``, ``model.time``,
``run_for``, ``schedule_event``). Time is in months: ``model.time == k`` means ``k`` months have
been simulated; the step at time ``k`` simulates calendar month ``start + k - 1``. Each date in
``policy.changes_between(start, end)`` is a scheduled event that loads the new parameters before
the month in which they take effect (a change dated after the 1st takes effect the next month).
When a payment parameter changes (for example the dibao standard), every enrolled household's
payment is re-rated that month (调标) from the income found at its last decision, so a new
standard never reveals a new income; otherwise payments change only at reviews and reported
changes.

Township offices (:class:`TownshipOffice`) are the only Mesa agents: a few hundred at most. The
households stay columnar (``state.py``) and are advanced by the kernels of ``processes.py``.
"""

from __future__ import annotations

import datetime as dt
import math
import time as _time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import mesa
import numba
import numpy as np
import pandas as pd
from numba import njit, prange

from simulation.admin.offices import (
    QUEUE_AGES,
    OfficeMonth,
    OfficeParameters,
    OfficeState,
    OfficeWork,
    office_month,
    office_parameters,
)
from simulation.engine import processes as pr
from simulation.engine.behaviour import Behaviour
from simulation.engine.economy import D_DETECT, monthly_inputs
from simulation.engine.outputs import MonthlyRecorder, SimulationResult, TraceRecorder
from simulation.engine.state import build_state, copy_state, record_of
from simulation.engine.threads import pin_workers
from simulation.errors import InputError
from simulation.rules.entitlement import N_OUTPUTS, N_PERSON_OUTPUTS
from simulation.rules.params import N_ASSESS_PARAMS, P_STANDARD, pack_params
from simulation.rules.special import (
    S_DIS_CARE,
    S_DIS_ENABLED,
    S_DIS_LIVING_MILD,
    S_DIS_LIVING_SEVERE,
    S_DIS_LOW_INCOME,
    pack_special,
)
from simulation.rules.temporary import township_reserve

#: Default CPI path: 2 % a year for CPI and food CPI (below the 3.5 % / 6 % triggers).
DEFAULT_CPI = 0.02


def parse_month(value: Any, name: str = "start") -> dt.date:
    """``"2024-01"``, ``"2024-01-01"`` or a date → the first day of that month."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value)
    try:
        day = dt.date.fromisoformat(text if len(text) > 7 else text + "-01")
    except ValueError:
        raise InputError("arguments", name, f"expected YYYY-MM or YYYY-MM-DD, got {text!r}") from None
    return day.replace(day=1)


def add_months(day: dt.date, k: int) -> dt.date:
    """The first day of the month ``k`` months after ``day``'s month."""
    m = day.year * 12 + day.month - 1 + k
    return dt.date(m // 12, m % 12 + 1, 1)


def cpi_path(cpi: Any, start: dt.date, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Year-on-year CPI and food CPI (shares) for each simulated month.

    ``cpi``: None (flat 2 %), a number (both series), or a DataFrame indexed by month
    (``YYYY-MM`` strings or dates) with columns ``cpi`` and ``food_cpi`` covering the horizon.
    """
    if cpi is None:
        return np.full(months, DEFAULT_CPI), np.full(months, DEFAULT_CPI)
    if isinstance(cpi, (int, float)) and not isinstance(cpi, bool):
        if not math.isfinite(cpi) or cpi < -0.5 or cpi > 1.0:
            raise InputError("cpi", "cpi", f"year-on-year rate {cpi!r} outside -0.5..1")
        return np.full(months, float(cpi)), np.full(months, float(cpi))
    if not isinstance(cpi, pd.DataFrame):
        raise InputError("cpi", "(table)", f"expected None, a number or a DataFrame, got {type(cpi).__name__}")
    for col in ("cpi", "food_cpi"):
        if col not in cpi.columns:
            raise InputError("cpi", col, "missing column")
    keys = [parse_month(k, "cpi index").isoformat() for k in cpi.index]
    table = dict(zip(keys, zip(cpi["cpi"], cpi["food_cpi"], strict=True), strict=True))
    out_c = np.empty(months)
    out_f = np.empty(months)
    for k in range(months):
        key = add_months(start, k).isoformat()
        if key not in table:
            raise InputError("cpi", "month", f"no CPI for {key[:7]} (the path must cover the run)")
        c, f = (float(v) for v in table[key])
        for name, v in (("cpi", c), ("food_cpi", f)):
            if not math.isfinite(v) or v < -0.5 or v > 1.0:
                raise InputError("cpi", name, f"{key[:7]}: rate {v!r} outside -0.5..1", values=[v])
        out_c[k], out_f[k] = c, f
    return out_c, out_f


class TownshipOffice(mesa.Agent):
    """A township (镇街) assistance office: staff, village assistants, a queue of applications
    and the reviews waiting (``simulation.admin.offices``, the toolkit's one office model).

    Each month the staff follow the staffing rule on the township's recipients of the month
    before (``staffing.ratio_min``, at least ``staffing.minimum`` below
    ``staffing.small_threshold``; qijiang 三(三)), or the run's own number for the township; the
    office then works through the month's urgent cases, reported changes, reviews and
    applications within its hours (:func:`simulation.admin.offices.office_month`).
    """

    def __init__(self, model: SimulationModel, index: int, label: Any, name: str,
                 villages: float, townships: int, fixed_staff: float | None) -> None:
        super().__init__(model)
        self.index = index
        self.label = label
        self.name = name
        self.villages = float(villages)
        self.townships = int(townships)  # original townships pooled into this office
        self.fixed_staff = fixed_staff
        self.state = OfficeState()
        self.staff = 0.0
        self.recipients = 0.0
        self.work: OfficeWork | None = None
        self.month: OfficeMonth | None = None

    def work_month(self, work: OfficeWork, staff: float, recipients: float,
                   params: OfficeParameters) -> OfficeMonth:
        """Run this month's work with ``staff`` (the rule's or the fixed number)."""
        self.staff = float(self.fixed_staff) if self.fixed_staff is not None else float(staff)
        self.recipients = float(recipients)
        self.work = work
        self.state, self.month = office_month(self.state, work, self.staff, params)
        return self.month


class SimulationModel(mesa.Model):
    """The monthly microsimulation: a Mesa clock over a columnar household population.

    Build it and call :meth:`run_for` (or use :func:`simulation.engine.run`). See the module
    docstring of ``processes.py`` for the ordered list of monthly processes.

    ``state_cache(key, build)``: a cache the caller keeps for one population, which it does not
    change: it returns the state kept under ``key`` (the arguments of ``state.build_state``: birth
    slots, entry wages, working ages) or keeps and returns ``build()``; the model runs on a copy,
    so a population run many times (the explorer's) is not built again each time.
    """

    def __init__(self, population: Any, policy: Any, start: Any = "2024-01", months: int = 12,
                 seed: int = 1, behaviour: Behaviour | Mapping[str, Any] | None = None,
                 trace: Iterable[int] | None = None, cpi: Any = None, n_chunks: int = 64,
                 initial_enrolment: float | None = None, max_townships: int = 500,
                 office_staff: Mapping[Any, float] | None = None,
                 state_cache: Callable[[tuple, Callable[[], Any]], Any] | None = None) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise InputError("arguments", "seed", f"expected a non-negative integer, got {seed!r}")
        if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 1:
            raise InputError("arguments", "months", f"expected a positive integer, got {months!r}")
        super().__init__(rng=int(seed))
        pin_workers()  # once per process: each kernel thread on a CPU of its own (threads.py)
        self.seed = int(seed)
        self.policy = policy
        self.start = parse_month(start)
        self.months = int(months)
        self.behaviour = resolve_behaviour(population, behaviour)
        self.b = self.behaviour.pack()
        self.haz = pr.hazard_tables(self.b)
        self.cpi, self.food_cpi = cpi_path(cpi, self.start, self.months)
        # incomes, pensions and verification month by month (economy.py)
        self.dyn = monthly_inputs(policy, self.behaviour, self.start, self.months)
        self._set_params(self.start)
        std = self.p[P_STANDARD:P_STANDARD + 2]
        entry = (self.behaviour.entry_wage_multiple * std).astype(np.float64)
        state_key = (self.behaviour.birth_slots, (float(entry[0]), float(entry[1])),
                     (self.behaviour.work_age_min, self.behaviour.work_age_max))
        if state_cache is None:
            slots, hh, meta = build_state(population, *state_key)
        else:  # the cache keeps the state as built; this model changes a copy
            slots, hh, meta = copy_state(state_cache(state_key, lambda: build_state(population,
                                                                                      *state_key)))
        self.persons = slots
        self.households = hh
        if self.behaviour.job_find_stationary:
            self.behaviour = stationary_job_finding(self.behaviour, slots, hh)
            self.b = self.behaviour.pack()
        self.township_labels = meta["township_labels"]
        self.entry_wage = entry
        n = hh.household_id.shape[0]
        self.n_households = n
        # A national sample spreads over tens of thousands of townships: beyond max_townships
        # the table and the offices are pooled into one township "all" (staff still follow the
        # rule township by township, then are summed).
        self.original_township = hh.township.copy()
        self.n_original_towns = int(self.township_labels.shape[0])
        self.townships_pooled = self.n_original_towns > max_townships
        if self.townships_pooled:
            hh.township[:] = 0
            self.township_labels = np.array(["all"], dtype=object)
        self.n_towns = int(self.township_labels.shape[0])
        self.n_groups = 2 * self.n_towns
        # enough chunks to balance two threads, few enough to keep the accumulators small
        n_chunks = max(1, min(int(n_chunks), n, max(4, 40_000 // self.n_groups)))
        self.chunk_bounds = np.linspace(0, n, n_chunks + 1).astype(np.int64)
        self.n_chunks = n_chunks
        self.slot_cap = np.diff(hh.hh_start).astype(np.int32)
        self.max_members = max(1, int(self.slot_cap.max(initial=0)))
        # bounds[2h], bounds[2h+1]: the household's packed members (what the rules read)
        self.bounds = np.empty(2 * n, dtype=np.int64)
        self.bounds[0::2] = hh.hh_start[:-1]
        self.bounds[1::2] = hh.hh_start[:-1] + hh.n_alive
        self.scratch = np.zeros((n_chunks, N_OUTPUTS), dtype=np.float64)
        # households the persons kernel finishes after each chunk's loop (assessment needed)
        self.defer_h = np.zeros(n, dtype=np.int64)
        self.defer_bits = np.zeros(n, dtype=np.int8)
        # rows for the rules' results kernel 1 works out ahead for kernel 2, per chunk: a quarter
        # of the largest chunk's households (in a month of yearly reviews every recipient; at
        # 1 M china_2021 households up to 1,900 of a chunk's 15,625). Rows not written take no
        # memory (np.zeros' pages); beyond them kernel 2 assesses the rest itself, with the
        # same results
        ahead_rows = int(np.diff(self.chunk_bounds).max(initial=0)) // 4 + 16
        self.acc = np.zeros((n_chunks, self.n_groups, pr.N_ACC), dtype=np.float64)
        # reviews falling due this month per chunk × office (kernel 1 counts them)
        self.reviews_due = np.zeros((n_chunks, self.n_towns))
        self.days_hist = np.zeros((n_chunks, self.n_groups, pr.DAY_BINS), dtype=np.float64)
        self.days_used = np.zeros(n_chunks, dtype=np.int64)  # its bins written this month
        self.rerate = False  # payment parameters changed this month (调标)
        # the kernels' records of the state and work arrays (the same arrays, no copies)
        self.person_record = record_of(slots, pr.PersonRecord)
        self.household_record = record_of(hh, pr.HouseholdRecord)
        self.work = pr.Work(self.chunk_bounds, self.slot_cap, self.max_members, self.bounds,
                            self.scratch, self.acc, self.days_hist, self.defer_h,
                            self.defer_bits,
                            np.zeros((n_chunks, pr.draw_buffer_size(hh.hh_start)), np.uint64),
                            np.zeros((n_chunks, pr.draw_buffer_size(hh.hh_start))),
                            np.zeros((0, N_PERSON_OUTPUTS)), self.reviews_due, self.days_used,
                            ahead=np.zeros((n_chunks, ahead_rows, N_OUTPUTS)),
                            ahead_h=np.zeros((n_chunks, ahead_rows), np.int64),
                            ahead_n=np.zeros(n_chunks, np.int64),
                            members_n=np.zeros(n, np.int64),
                            active_h=np.zeros(n, np.int64), active_n=np.zeros(n_chunks, np.int64),
                            applied_h=np.zeros(n, np.int64),
                            applied_n=np.zeros(n_chunks, np.int64))
        self.free = dict(getattr(population, "free", None) or {})
        self.recorder = MonthlyRecorder(self)
        self.tracer = TraceRecorder(self, trace)
        self.t = 0  # months simulated
        enrol = self.behaviour_initial_enrolment(initial_enrolment)
        self._initial_enrolment(enrol)
        self._make_offices(population, office_staff)
        end = add_months(self.start, self.months - 1)
        for day in policy.changes_between(self.start.isoformat(), end.isoformat()):
            k = (day.year * 12 + day.month) - (self.start.year * 12 + self.start.month)
            if day.day > 1:
                k += 1  # a change during a month applies from the next month
            if 1 <= k < self.months:
                self.schedule_event(self._policy_change, at=float(k))
        self.timings: dict[str, float] = {"persons": 0.0, "offices": 0.0, "programme": 0.0,
                                          "outputs": 0.0}

    # -- set-up --------------------------------------------------------------------------------
    def behaviour_initial_enrolment(self, value: float | None) -> tuple[float, float]:
        """Shares of eligible households enrolled at the start (dibao, tekun households).

        The caller's value, else the population's fitted cross-section take-up (``take_up``,
        ``take_up_tekun`` of the profile's free parameters, so the stock at the start matches
        the calibration targets), else ``behaviour.initial_enrolment`` for both.
        """
        if value is not None:
            shares = (value, value)
        elif "take_up" in self.free:
            shares = (self.free["take_up"], self.free.get("take_up_tekun", self.free["take_up"]))
        else:
            shares = (self.behaviour.initial_enrolment,) * 2
        for v in shares:
            if not 0.0 <= float(v) <= 1.0:
                raise InputError("arguments", "initial_enrolment", f"share {v!r} outside 0..1")
        return float(shares[0]), float(shares[1])

    def _set_params(self, day: dt.date) -> None:
        params = self.policy.at(day.isoformat())
        self.params = params
        self.p = np.ascontiguousarray(pack_params(params, require_dynamic=True))
        self.p_old = self.p
        self.e = pr.pack_engine_params(params)
        self.s = pack_special(params)

    def _policy_change(self) -> None:
        """Scheduled event: load the parameters in force from the month about to start."""
        old = self.p.copy()
        self._set_params(add_months(self.start, int(round(self.time))))
        self.office_params = office_parameters(self.params)
        # re-rate only when what the calculator pays changes (not a temporary-aid amount)
        if not np.array_equal(old[:N_ASSESS_PARAMS], self.p[:N_ASSESS_PARAMS]):
            self.p_old = old
            self.rerate = True  # 调标: re-rate every enrolled household's payment this month

    def _instalments(self) -> None:
        """Pay the parts still due of temporary-assistance cases approved once and paid in parts
        (``rules.temporary.instalments``, jiaohe §12); not a new case. A household that died out
        gets no more."""
        hh = self.households
        due = np.flatnonzero(hh.instalment_left > 0)
        if due.size == 0:
            return
        alive = hh.n_alive[due] > 0
        hh.instalment_left[due[~alive]] = 0
        due = due[alive]
        group = hh.township[due].astype(np.int64) * 2 + (1 - hh.urban[due].astype(np.int64))
        pay = hh.weight[due] * hh.instalment_amount[due].astype(np.float64)
        for col in (pr.A_TMP_ILLNESS, pr.A_TOTAL_PAY):
            np.add.at(self.acc[0, :, col], group, pay)
        hh.instalment_left[due] -= 1

    def _township_reserve(self) -> None:
        """Urgent aid against each township's reserve fund (``rules.temporary.township_reserve``):
        the excess is recorded; without a refill the township's urgent payments are cut to it."""
        acc = self.acc
        cols = (pr.A_TMP_URGENT, pr.A_TMP_APPLICANT)
        by_group = acc[:, :, cols].sum(axis=(0, 2))
        demand = by_group.reshape(self.n_towns, 2).sum(axis=1)
        # a pooled sample's one township stands for all of the locality's townships
        reserve = float(self.params["temporary.township_reserve"]) * (
            self.n_original_towns if self.townships_pooled else 1)
        paid, exceeded = township_reserve(demand, reserve,
                                          bool(self.params["temporary.reserve_refilled"]))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(demand > 0, exceeded / demand, 0.0)
        # recorded in proportion to each area's urgent aid; cut likewise when not refilled
        part = acc[:, :, cols].sum(axis=2) * np.repeat(share, 2)[None, :]
        acc[:, :, pr.A_TMP_RESERVE_EXCEEDED] += part
        if (paid < demand).any():
            factor = np.repeat(np.where(demand > 0, paid / np.where(demand > 0, demand, 1.0), 1.0), 2)
            cut = acc[:, :, cols].sum(axis=2) * (1.0 - factor)[None, :]
            acc[:, :, cols] *= factor[None, :, None]
            acc[:, :, pr.A_TOTAL_PAY] -= cut

    def _disability_month(self, determine: bool) -> None:
        """The disability two subsidies outside dibao (``rules.special``): the care subsidy of
        every severely disabled person and, when extended (``disability.living.low_income``),
        the living subsidy of the disabled in low-income families, from the year's
        determination (each January and at the start, :func:`processes.disability_year`) at
        this month's amounts. Dibao members' living subsidy is paid in the programme kernel."""
        s = self.s
        if s[S_DIS_ENABLED] == 0.0:
            return
        hh, ps = self.households, self.persons
        if determine or not hasattr(self, "_dis_groups"):
            n = self.n_households
            care_n = np.zeros(n, np.int16)
            low_severe = np.zeros(n, np.int16)
            low_mild = np.zeros(n, np.int16)
            pr.disability_year(
                self.p, s[S_DIS_LOW_INCOME] != 0.0, self.chunk_bounds, self.bounds, hh.status,
                hh.paid_dibao_n, hh.paid_single_n, ps.age_y, ps.urban, ps.disability, ps.ill,
                ps.paralysed, ps.rare, ps.labour, ps.self_care, ps.earned, ps.pension, ps.other,
                ps.rigid, ps.supporter, ps.assets, ps.care_wish, self.scratch, care_n,
                low_severe, low_mild)
            self._dis_groups = np.zeros((3, self.n_groups))
            pr.disability_groups(hh.township, hh.urban, hh.weight, care_n, low_severe, low_mild,
                                 self._dis_groups)
        care, low_severe, low_mild = self._dis_groups
        a = self.acc[0]
        care_pay = care * s[S_DIS_CARE]
        living_pay = low_severe * s[S_DIS_LIVING_SEVERE] + low_mild * s[S_DIS_LIVING_MILD]
        a[:, pr.A_DIS_CARE_PERSONS] += care
        a[:, pr.A_DIS_CARE] += care_pay
        a[:, pr.A_DIS_LIVING_PERSONS] += low_severe + low_mild
        a[:, pr.A_DIS_LIVING] += living_pay
        a[:, pr.A_TOTAL_PAY] += care_pay + living_pay

    def _initial_enrolment(self, shares: tuple[float, float]) -> None:
        """The stock at the start: eligible households enrolled at the cross-section take-up,
        then inclusion errors among the near-poor so that they make up
        ``behaviour.inclusion_share_<area>`` of each area's dibao persons."""
        hh = self.households
        s = self.persons
        candidate = np.zeros(self.n_households, dtype=np.uint8)
        inclusion = (self.behaviour.inclusion_share_urban, self.behaviour.inclusion_share_rural)
        # eligible households take the part of the cross-section's stock that is not in error
        eligible_share = np.array([shares[0] * (1.0 - s) for s in inclusion])
        pr.initial_kernel(
            self.seed, self.p, self.e, eligible_share, shares[1], self.chunk_bounds, self.bounds, hh.township,
            hh.urban, hh.weight, hh.status, hh.review_class, hh.paid_gap, hh.paid_supplement,
            hh.paid_supp_fixed, hh.paid_single, hh.paid_tekun_basic, hh.paid_tekun_care, hh.paid_dibao_n,
            hh.paid_single_n, hh.paid_tekun_n, s.age_y, s.urban, s.disability, s.ill,
            s.paralysed, s.rare, s.labour, s.self_care, s.earned, s.pension, s.other, s.rigid,
            s.supporter, s.assets, s.care_wish, self.scratch, hh.paid_pci, candidate,
            self.behaviour.inclusion_income_multiple)
        size = (self.bounds[1::2] - self.bounds[0::2]).astype(np.float64)
        q = np.zeros(2)
        for area, share in enumerate(inclusion):
            in_area = hh.urban == (1 - area)
            enrolled = float(np.sum(hh.weight[in_area] * hh.paid_dibao_n[in_area]))
            pool = float(np.sum((hh.weight * size)[in_area & (candidate == 1)]))
            if share > 0.0 and pool > 0.0:
                q[area] = min(1.0, share / (1.0 - share) * enrolled / pool) if share < 1.0 else 1.0
        self.inclusion_draw = q
        pr.enrol_inclusion_errors(self.seed, self.p, q, self.chunk_bounds, self.bounds, hh.urban,
                                  hh.status, candidate, hh.hidden, hh.paid_gap,
                                  hh.paid_dibao_n, hh.paid_pci)

    def _make_offices(self, population: Any, office_staff: Mapping[Any, float] | None) -> None:
        """One office per township (one for a pooled sample) with its name, villages and the
        recipients of the stock at the start (the first month's staffing)."""
        hh = self.households
        covered = (hh.paid_dibao_n.astype(np.float64) + hh.paid_single_n + hh.paid_tekun_n)
        self.recipients_start = np.bincount(self.original_township, weights=hh.weight * covered,
                                            minlength=self.n_original_towns)
        profile = getattr(population, "profile", None)
        if profile is None and getattr(population, "profile_id", None):
            from simulation.population import load_profile

            profile = load_profile(population.profile_id)
        labels = self.township_labels
        if self.townships_pooled:
            per = float(profile["townships.villages_per_township"]) if profile is not None else 0.0
            names, villages, towns = ["all"], [per * self.n_original_towns], [self.n_original_towns]
        else:
            names = [profile.township_name(int(x)) if profile is not None
                     and isinstance(x, (int, np.integer)) else str(x) for x in labels]
            if profile is not None:
                villages = [float(profile["townships.villages_per_township"])] * len(labels)
            else:  # the villages the sample shows
                vil = getattr(population, "households", None)
                have = vil is not None and "village" in vil
                villages = [float(vil.loc[vil["township"] == x, "village"].nunique()) if have
                            else 0.0 for x in labels]
            towns = [1] * len(labels)
        fixed = dict(office_staff or {})
        unknown = sorted(map(str, set(fixed) - set(labels.tolist()) - set(names)))
        if unknown:
            raise InputError("arguments", "office_staff", f"unknown township {unknown[0]!r} "
                             f"(townships: {', '.join(names[:10])}{'…' if len(names) > 10 else ''})")
        for key, value in fixed.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(float(value)) or value < 0:
                raise InputError("arguments", f"office_staff.{key}",
                                 f"expected a number of staff >= 0, got {value!r}")
        self.offices = [
            TownshipOffice(self, i, label, names[i], villages[i], towns[i],
                           fixed.get(label, fixed.get(names[i])))
            for i, label in enumerate(labels)]
        self.office_params: OfficeParameters = office_parameters(self.params)
        self.office_plan = pr.Offices(
            np.zeros((self.n_towns, QUEUE_AGES)), np.zeros((self.n_towns, QUEUE_AGES)),
            np.zeros((self.n_towns, QUEUE_AGES)), np.zeros((self.n_towns, QUEUE_AGES)),
            np.ones((self.n_towns, 2)), np.zeros(1), False)

    def _office_recipients(self) -> np.ndarray:
        """Recipients (dibao, single-person and tekun persons) per office at the end of last
        month (at the start: the stock enrolled), the staffing rule's base."""
        acc = self._last_month_by_office()
        if acc is None:
            rec = self.recipients_start
            return np.array([rec.sum()]) if self.townships_pooled else rec
        return acc[:, pr.A_D_PERSONS] + acc[:, pr.A_S_PERSONS] + acc[:, pr.A_T_PERSONS]

    def _last_month_by_office(self) -> np.ndarray | None:
        """Last month's accumulators summed over the areas, per office (``None`` in the first
        month)."""
        if not self.recorder.acc:
            return None
        return self.recorder.acc[-1].reshape(self.n_towns, 2, pr.N_ACC).sum(axis=1)

    def _rule_staff(self, recipients: np.ndarray) -> np.ndarray:
        """Staff by the rule this month per office. A pooled office holds every township: each
        keeps its share of the stock at the start, and the rule is applied township by
        township, then summed (an approximation: townships move in proportion)."""
        from simulation.admin.staffing import required_staff

        p = self.params
        rule = (float(p["staffing.ratio_min"]), int(p["staffing.minimum"]),
                int(p["staffing.small_threshold"]))
        if not self.townships_pooled:
            return required_staff(recipients, *rule).astype(np.float64)
        start = self.recipients_start.sum()
        scale = recipients[0] / start if start > 0 else 0.0
        return np.array([float(required_staff(self.recipients_start * scale, *rule).sum())])

    def _plan_offices(self) -> pr.Offices:
        """The offices' month (Mesa agents): the work arriving, staff by the rule, each office's
        hours (``simulation.admin.offices.office_month``); returns the plan kernel 2 follows."""
        by_town = self.acc.sum(axis=0).reshape(self.n_towns, 2, pr.N_ACC).sum(axis=1)
        due = self.reviews_due.sum(axis=0)  # counted by kernel 1 (processes.reviews_falling_due)
        last = self._last_month_by_office()
        reports = last[:, pr.A_REPORTS] if last is not None else np.zeros(self.n_towns)
        recipients = self._office_recipients()
        staff = self._rule_staff(recipients)
        plan = self.office_plan
        for o in self.offices:
            i = o.index
            work = OfficeWork(float(by_town[i, pr.A_APPLICATIONS]), float(due[i]),
                              float(reports[i]), float(by_town[i, pr.A_TMP_CASES]), o.villages,
                              float(o.townships))
            res = o.work_month(work, float(staff[i]), float(recipients[i]), self.office_params)
            plan.cut_lo[i], plan.cut_hi[i] = res.cut_lo, res.cut_hi
            plan.base_day[i], plan.span_day[i] = res.base_day, res.span_day
            plan.review_share[i] = res.review_share
        plan.own_days[0] = self.office_params.own_days
        return plan._replace(lag=bool(self.office_params.review_lag))

    # -- the month -----------------------------------------------------------------------------
    def step(self) -> None:
        """Simulate one month (the processes of ``processes.py``, in order)."""
        if self.t >= self.months:
            raise RuntimeError(f"the model was built for {self.months} months")
        t = self.t
        day = add_months(self.start, t)
        mkey = day.year * 12 + day.month - 1  # absolute month: keys do not depend on start
        cal = day.month
        self.acc[:] = 0.0
        self.reviews_due[:] = 0.0
        n_threads = numba.get_num_threads()
        chunks = chunk_order(self.n_chunks, n_threads)
        # parameters changed since last month (a dated policy change): every household's
        # circumstances are new to the rules, and rigid spending (its illness cost is a multiple
        # of the standard) is recomputed for every person; otherwise the kernel keeps it where
        # illness starts or ends
        params_changed = self.p is not self.p_old and not np.array_equal(self.p, self.p_old)
        refresh_rigid = self.t == 0 or params_changed
        t0 = _time.perf_counter()
        self._instalments()
        month = pr.Month(
            self.seed, mkey, t, cal, self.b, self.p, self.p_old, self.e, self.dyn[t], self.haz,
            self.entry_wage, self.cpi[t], self.food_cpi[t], self.dyn[t, D_DETECT:D_DETECT + 2],
            bool(params_changed), bool(refresh_rigid), bool(self.rerate), chunks, n_threads,
            self.s)
        rates = pr.persons_rates(month, self.max_members)
        pr.persons_kernel(month, rates, self.person_record, self.household_record, self.work)
        self._township_reserve()
        t1 = _time.perf_counter()
        plan = self._plan_offices()
        t2 = _time.perf_counter()
        pr.programme_kernel(month, self.person_record, self.household_record, self.work, plan)
        self._disability_month(t == 0 or cal == 1)
        t3 = _time.perf_counter()
        self.rerate = False
        self.p_old = self.p
        self.recorder.record(t, day)
        self.tracer.record(t, day)
        self.t += 1
        t4 = _time.perf_counter()
        self.timings["persons"] += t1 - t0
        self.timings["offices"] += t2 - t1
        self.timings["programme"] += t3 - t2
        self.timings["outputs"] += t4 - t3

    def result(self) -> SimulationResult:
        """The result of the months simulated so far."""
        return SimulationResult(self.recorder.monthly(), self.tracer.frame(),
                                self.recorder.offices_frame(), self.recorder.summary_facts())


def chunk_order(n_chunks: int, n_threads: int) -> np.ndarray:
    """The order in which the kernels' threads take the chunks.

    Each thread takes the next chunk in this order from a shared counter (processes.py), so a
    thread slowed by other work on the machine takes fewer. The order is every ``n_threads``-th
    chunk, each of these runs starting its own share of the way through, so that the chunks taken
    at the same time are far apart in memory (no cache line of the per-chunk sums and scratch rows
    is written by two threads at once). Each chunk's households and sums are the same in any
    order.
    """
    k_threads = max(1, n_threads)
    runs = []
    for k in range(k_threads):
        mine = np.arange(k, n_chunks, k_threads, dtype=np.int64)
        runs.append(np.roll(mine, -(k * mine.shape[0] // k_threads)))
    return np.concatenate(runs)


@njit(parallel=True, cache=True)
def _job_terms(hh_start, weight, n_alive, age_y, labour, ill, employed, work_min, work_max,
               labour_none, labour_full, partial):
    """Per slot: the household weight of an employed working-age member able to work, and the
    weight × search intensity (1, or ``partial`` with partial ability) of a non-employed one."""
    emp = np.zeros(age_y.shape[0])
    seek = np.zeros(age_y.shape[0])
    for h in prange(hh_start.shape[0] - 1):
        w = weight[h]
        for k in range(hh_start[h], hh_start[h] + n_alive[h]):
            if (age_y[k] >= work_min and age_y[k] <= work_max and labour[k] != labour_none
                    and not ill[k]):
                if employed[k] > 0:
                    emp[k] = w * 1.0
                else:
                    seek[k] = (w * 1.0) * (1.0 if labour[k] == labour_full else partial)
    return emp, seek


def stationary_job_finding(behaviour: Behaviour, slots: Any, hh: Any) -> Behaviour:
    """The behaviour with ``job_find`` set so that the population's employment rate among
    working-age persons able to work is stationary: job_loss × employed = job_find × (full-ability
    non-employed + partial factor × partial-ability non-employed), weighted by households."""
    from simulation.population.columns import LABOUR_FULL, LABOUR_NONE

    emp, seek = _job_terms(hh.hh_start, hh.weight, hh.n_alive, slots.age_y, slots.labour, slots.ill,
                           slots.employed, behaviour.work_age_min, behaviour.work_age_max,
                           LABOUR_NONE, LABOUR_FULL, behaviour.job_find_partial_factor)
    # numpy's sums of the per-slot terms (the same pairwise order as before: same job_find)
    employed = float(emp.sum())
    seekers = float(seek.sum())
    if employed <= 0.0 or seekers <= 0.0:
        return behaviour
    return replace(behaviour, job_find=float(min(0.9, behaviour.job_loss * employed / seekers)))


def resolve_behaviour(population: Any, behaviour: Behaviour | Mapping[str, Any] | None) -> Behaviour:
    """Defaults, then the locality profile's ``behaviour:`` block, then the caller's overrides."""
    if isinstance(behaviour, Behaviour):
        return behaviour
    base = Behaviour.defaults()
    profile = getattr(population, "profile", None)
    if profile is None and getattr(population, "profile_id", None):
        from simulation.population import load_profile

        profile = load_profile(population.profile_id)  # a generated population's locality
    block = getattr(profile, "behaviour", None)
    if block:
        base = base.with_overrides(block, source=f"locality profile {getattr(profile, 'id', '')}"
                                   " behaviour")
    if behaviour is not None:
        if not isinstance(behaviour, Mapping):
            raise InputError("arguments", "behaviour",
                             f"expected a Behaviour or a mapping, got {type(behaviour).__name__}")
        base = base.with_overrides(behaviour, source="behaviour argument")
    return base


def run(population: Any, policy: Any, start: Any = "2024-01", months: int = 12, seed: int = 1,
        behaviour: Behaviour | Mapping[str, Any] | None = None,
        trace: Sequence[int] | None = None, cpi: Any = None, progress: bool = False,
        **options: Any) -> SimulationResult:
    """Run the monthly microsimulation and return its :class:`SimulationResult`.

    ``population``: a generated population (``.persons``, ``.households`` with weights);
    ``policy``: a ``Policy``; ``start``: first month (``YYYY-MM``); ``months``: horizon; ``seed``:
    the key of every random draw; ``behaviour``: a ``Behaviour`` or overrides; ``trace``:
    household ids to follow month by month; ``cpi``: CPI path (default flat 2 %);
    ``progress``: show a tqdm bar. A broken invariant raises ``InvariantError``.
    """
    model = SimulationModel(population, policy, start, months, seed, behaviour, trace, cpi,
                            **options)
    if progress:
        from tqdm import tqdm

        with tqdm(total=months, unit="month", desc="simulating") as bar:
            for _ in range(months):
                model.run_for(1)
                bar.update(1)
    else:
        model.run_for(months)
    return model.result()
