"""Outputs of a run: the tidy monthly table, the offices table, the household trace, invariants.

The monthly table has one row per month × township × area × programme (docs/contracts.md §5),
weighted to the locality's population with the household weights. Money is yuan per month.
Applications, the queue and days to decision concern applications for any assistance (dibao,
single-person inclusion, tekun) and are reported on the ``dibao`` rows only (0 elsewhere), so a
sum over programmes does not count them twice.

Every month is checked (a broken invariant raises :class:`InvariantError`): persons are conserved
(start + births − deaths = end, and each month starts where the last ended), households are
conserved (start − died out = end), every payment is non-negative, and the payment components add
up to the total of the month's payments summed household by household.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numba import njit, prange

from simulation.admin.offices import month_row
from simulation.engine import _cache
from simulation.engine import processes as pr
from simulation.engine.state import STATE_NAMES
from simulation.errors import InputError
from simulation.rules.entitlement import (
    N_OUTPUTS,
    N_PERSON_OUTPUTS,
    O_DIBAO_ELIGIBLE,
    O_PER_CAPITA,
    O_REASON,
    O_STANDARD,
    O_TOTAL,
    REASONS,
    assess_household_detail,
)
from simulation.rules.review import REVIEW_CLASSES
from simulation.rules.special import PROGRAMMES as SPECIAL

if TYPE_CHECKING:
    from simulation.engine.model import SimulationModel


# numba kernels below are cached by the hash of everything they compile in (_cache.py)
_PREVIOUS_CACHE = _cache.begin()

class InvariantError(RuntimeError):
    """A broken accounting invariant of the engine (a bug, never a warning)."""


#: Programme rows: (programme, persons column, households column, {component: column},
#: {outcome: column}) with acc column names of processes.ACC_COLUMNS.
PROGRAMMES: tuple[tuple[str, str | None, str | None, dict[str, str], dict[str, str]], ...] = (
    ("dibao", "dibao_persons", "dibao_households",
     {"gap": "dibao_pay_gap", "supplement": "dibao_pay_supplement",
      "gradual_exit": "dibao_pay_gradual_exit"},
     {"entries": "dibao_entries", "exits_income": "dibao_exits_income",
      "exits_gradual_end": "dibao_exits_gradual_end", "exits_death": "dibao_exits_death",
      "exits_other": "dibao_exits_other", "exits_verification": "dibao_exits_verification",
      "reviews": "dibao_reviews",
      "in_gradual_exit": "dibao_in_exit"}),
    ("single_inclusion", "single_persons", "single_households", {"single": "single_pay"},
     {"entries": "single_entries", "exits_income": "single_exits_income",
      "exits_death": "single_exits_death", "exits_other": "single_exits_other"}),
    ("tekun", "tekun_persons", "tekun_households",
     {"basic": "tekun_pay_basic", "care": "tekun_pay_care"},
     {"entries": "tekun_entries", "exits_income": "tekun_exits_income",
      "exits_death": "tekun_exits_death", "exits_aged_out": "tekun_exits_aged_out",
      "exits_other": "tekun_exits_other", "reviews": "tekun_reviews"}),
    ("temporary", None, "temporary_cases",
     {"urgent": "temporary_pay_urgent", "illness": "temporary_pay_illness",
      "education": "temporary_pay_education", "applicant": "temporary_pay_applicant"},
     {"reserve_exceeded": "temporary_reserve_exceeded"}),
    ("price_linkage", "price_persons", None, {"price": "price_pay"}, {}),
    ("employment_subsidy", None, "employment_households", {"employment": "employment_pay"}, {}),
    ("funeral", "funeral_persons", None, {"funeral": "funeral_pay"}, {}),
    # special assistance 专项救助 (rules.special; processes.special_assistance)
    ("medical", "medical_persons", None,
     {"premium": "medical_pay_premium", "inpatient": "medical_pay_inpatient",
      "outpatient": "medical_pay_outpatient"},
     {"cases": "medical_cases", "cases_inpatient": "medical_cases_inpatient"}),
    ("education", "education_persons", None,
     {"preschool": "education_pay_preschool", "compulsory": "education_pay_compulsory",
      "senior": "education_pay_senior", "higher": "education_pay_higher"}, {}),
    ("housing", None, "housing_households",
     {"rent": "housing_pay_rent", "renovation": "housing_pay_renovation"},
     {"cases": "housing_renovations"}),
    ("disability_living", "disability_living_persons", None,
     {"disability_living": "disability_pay_living"}, {}),
    ("disability_care", "disability_care_persons", None,
     {"disability_care": "disability_pay_care"}, {}),
    ("employment_assistance", "placements", None,
     {"welfare_post": "placement_pay_post", "insurance_subsidy": "placement_pay_insurance"},
     {"cases": "placements"}),
    ("funeral_waiver", "funeral_waiver_persons", None, {"funeral_waiver": "funeral_waiver_pay"},
     {}),
)
#: The special-assistance programmes (rows of the monthly table), in the order above.
SPECIAL_PROGRAMMES: tuple[str, ...] = SPECIAL
assert SPECIAL_PROGRAMMES == tuple(p[0] for p in PROGRAMMES[-len(SPECIAL):])
COMPONENTS: tuple[str, ...] = tuple(c for _, _, _, comps, _ in PROGRAMMES for c in comps)
OUTCOMES = ("entries", "exits_income", "exits_gradual_end", "exits_death", "exits_aged_out",
            "exits_other", "exits_verification", "reviews", "in_gradual_exit", "reserve_exceeded",
            "cases", "cases_inpatient")
#: Exit columns of the monthly table (every reason).
EXITS = ("exits_income", "exits_gradual_end", "exits_death", "exits_aged_out", "exits_other",
         "exits_verification")
MONTHLY_COLUMNS: tuple[str, ...] = (
    ("month", "township", "area", "programme", "persons", "households", "payment")
    + tuple(f"payment_{c}" for c in COMPONENTS) + OUTCOMES
    + ("applications", "pending", "decisions", "decisions_late", "days_to_decision_mean",
       "days_to_decision_p90", "births", "deaths", "births_blocked"))
_PAY_COLUMNS = tuple(col for _, _, _, comps, _ in PROGRAMMES for col in comps.values())
_AREAS = ("urban", "rural")


@dataclass
class SimulationResult:
    """The result of a run: ``monthly`` (tidy table), ``trace``, ``offices`` and run facts."""

    monthly: pd.DataFrame
    trace: pd.DataFrame
    offices: pd.DataFrame
    facts: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Per programme: months, mean persons and households a month, total and mean monthly
        payment (yuan), entries and exits over the run."""
        m = self.monthly
        g = m.groupby(["programme", "month"], sort=False)[
            ["persons", "households", "payment", "entries", *EXITS]].sum()
        by = g.groupby(level="programme", sort=False)
        out = pd.DataFrame({
            "months": by.size(),
            "persons_mean": by["persons"].mean(),
            "households_mean": by["households"].mean(),
            "payment_total": by["payment"].sum(),
            "payment_per_month": by["payment"].mean(),
            "entries": by["entries"].sum(),
            "exits": by[list(EXITS)].sum().sum(axis=1),
        })
        return out


def _ranks(labels: Any) -> np.ndarray:
    """Each label's place when the labels are sorted as pandas sorts a column of them."""
    order = pd.Series(list(labels), dtype=object).sort_values(kind="stable").index.to_numpy()
    ranks = np.empty(order.shape[0], dtype=np.int64)
    ranks[order] = np.arange(order.shape[0])
    return ranks


class MonthlyRecorder:
    """Sums the kernels' accumulators each month, checks the invariants, keeps the rows."""

    def __init__(self, model: SimulationModel) -> None:
        self.model = model
        self.acc: list[np.ndarray] = []
        self.p90: list[np.ndarray] = []
        self.months: list[str] = []
        self.offices: list[tuple] = []
        self.last_persons: float | None = None
        self.last_households: float | None = None
        hh = model.households
        group = hh.township.astype(np.int64) * 2 + (1 - hh.urban.astype(np.int64))
        self.present = np.bincount(group, minlength=model.n_groups) > 0
        self.pay_idx = np.array([pr.A[c] for c in _PAY_COLUMNS])

    def record(self, t: int, day: dt.date) -> None:
        """Sum this month's accumulators, check the invariants and keep the month."""
        m = self.model
        acc = m.acc.sum(axis=0)
        label = day.strftime("%Y-%m")
        self.check(acc, label)
        self.acc.append(acc)
        # the day bins written this month (the kernel clears them; the rest stay zero), summed
        # into a full-width row: the p90's total is then summed over the same bins as before
        hist = np.zeros(m.days_hist.shape[1:])
        used = int(m.days_used.max(initial=0))
        hist[:, :used] = m.days_hist[:, :, :used].sum(axis=0)
        self.p90.append(_weighted_p90(hist))
        self.months.append(label)
        # reviews and reported changes handled per township (both areas), for the workload
        by_town = acc.reshape(m.n_towns, 2, pr.N_ACC).sum(axis=1)
        reviews = by_town[:, pr.A_D_REVIEWS] + by_town[:, pr.A_T_REVIEWS]
        for o in m.offices:
            w = o.work
            self.offices.append({
                "month": label, "township": o.label, "township_name": o.name,
                "townships": o.townships, "recipients": o.recipients,
                "applications": w.applications, "reviews_falling_due": w.reviews_due,
                "reports_handled": w.reports, "temporary_cases": w.temporary,
                "villages": w.villages, **month_row(o.month),
                "reviews": float(reviews[o.index]), "reports": float(by_town[o.index, pr.A_REPORTS])})

    def check(self, acc: np.ndarray, label: str) -> None:
        """Raise InvariantError if persons, households or payments do not add up."""
        tot = acc.sum(axis=0)
        start, births, deaths, end = (tot[pr.U_PERSONS_START], tot[pr.U_BIRTHS],
                                      tot[pr.U_DEATHS], tot[pr.U_PERSONS_END])
        if start + births - deaths != end:
            raise InvariantError(f"{label}: persons not conserved: start {start:.0f} + births "
                                 f"{births:.0f} - deaths {deaths:.0f} != end {end:.0f}")
        if self.last_persons is not None and start != self.last_persons:
            raise InvariantError(f"{label}: persons at the start {start:.0f} differ from the "
                                 f"end of the previous month {self.last_persons:.0f}")
        hs, hd, he = tot[pr.U_HH_START], tot[pr.U_HH_DIED], tot[pr.U_HH_END]
        if hs - hd != he:
            raise InvariantError(f"{label}: households not conserved: start {hs:.0f} - died "
                                 f"out {hd:.0f} != end {he:.0f}")
        if self.last_households is not None and hs != self.last_households:
            raise InvariantError(f"{label}: households at the start {hs:.0f} differ from the "
                                 f"end of the previous month {self.last_households:.0f}")
        if tot[pr.U_NEGATIVE] > 0:
            raise InvariantError(f"{label}: {tot[pr.U_NEGATIVE]:.0f} households with a negative "
                                 "payment")
        pays = acc[:, self.pay_idx]
        if (pays < 0).any():
            bad = np.argwhere(pays < 0)[0]
            raise InvariantError(f"{label}: negative payment {_PAY_COLUMNS[bad[1]]} = "
                                 f"{pays[bad[0], bad[1]]:.2f} in group {bad[0]}")
        parts = pays.sum(axis=1)
        total = acc[:, pr.A_TOTAL_PAY]
        gap = np.abs(parts - total)
        if (gap > 1e-6 * np.maximum(1.0, np.abs(total))).any():
            k = int(np.argmax(gap))
            raise InvariantError(f"{label}: payment components {parts[k]:.2f} do not add up to "
                                 f"the total of household payments {total[k]:.2f} (group {k})")
        self.last_persons = end
        self.last_households = he

    def monthly(self) -> pd.DataFrame:
        """The tidy monthly table (columns ``MONTHLY_COLUMNS``)."""
        m = self.model
        if not self.acc:
            return pd.DataFrame(columns=list(MONTHLY_COLUMNS))
        acc = np.stack(self.acc)  # months × groups × columns
        p90_all = np.stack(self.p90)  # months × groups
        groups = np.flatnonzero(self.present)
        n_m, n_g = len(self.months), groups.shape[0]
        month = np.repeat(np.array(self.months, dtype=object), n_g)
        town = np.tile(m.township_labels[groups // 2], n_m)
        area = np.tile(np.array(_AREAS, dtype=object)[groups % 2], n_m)
        sub = acc[:, groups, :].reshape(n_m * n_g, pr.N_ACC)
        decisions = sub[:, pr.A_DECISIONS]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_days = np.where(decisions > 0, sub[:, pr.A_DAYS_SUM] / decisions, np.nan)
        p90 = p90_all[:, groups].reshape(n_m * n_g)
        n = n_m * n_g
        zeros = np.zeros(n)
        nan = np.full(n, np.nan)
        parts: dict[str, list[np.ndarray]] = {}

        def put(column: str, values: np.ndarray) -> None:
            parts.setdefault(column, []).append(values)

        for name, persons, households, comps, outcomes in PROGRAMMES:
            put("persons", sub[:, pr.A[persons]] if persons else zeros)
            put("households", sub[:, pr.A[households]] if households else zeros)
            payment = np.zeros(n)
            for comp in COMPONENTS:
                col = comps.get(comp)
                values = sub[:, pr.A[col]] if col else zeros
                put(f"payment_{comp}", values)
                payment = payment + values
            put("payment", payment)
            for outcome in OUTCOMES:
                col = outcomes.get(outcome)
                put(outcome, sub[:, pr.A[col]] if col else zeros)
            first = name == "dibao"
            for out_name, col in (("applications", pr.A_APPLICATIONS), ("pending", pr.A_PENDING),
                                  ("decisions", pr.A_DECISIONS), ("decisions_late", pr.A_LATE),
                                  ("births", pr.A_BIRTHS), ("deaths", pr.A_DEATHS),
                                  ("births_blocked", pr.A_BIRTHS_BLOCKED)):
                put(out_name, sub[:, col] if first else zeros)
            put("days_to_decision_mean", mean_days if first else nan)
            put("days_to_decision_p90", p90 if first else nan)
        # the rows by month, township, area and programme: sorted on each label's rank (months
        # are kept in order), the order that sorting the label columns gave, without the strings
        names = [name for name, *_ in PROGRAMMES]
        k = len(names)
        month_key = np.tile(np.repeat(np.arange(n_m), n_g), k)
        town_key = np.tile(_ranks(m.township_labels)[groups // 2], n_m * k)
        area_key = np.tile(_ranks(_AREAS)[groups % 2], n_m * k)
        programme_key = np.repeat(_ranks(names), n)
        order = np.lexsort((programme_key, area_key, town_key, month_key))
        data: dict[str, Any] = {
            "month": np.tile(month, k)[order], "township": np.tile(town, k)[order],
            "area": np.tile(area, k)[order],
            "programme": np.repeat(np.array(names, dtype=object), n)[order]}
        for column, values in parts.items():
            data[column] = np.concatenate(values)[order]
        return pd.DataFrame({column: data[column] for column in MONTHLY_COLUMNS})

    def offices_frame(self) -> pd.DataFrame:
        """Per month × township (label and name): the work that arrived (applications,
        reviews falling due, reported changes, temporary cases; villages and recipients), the
        office's month (``simulation.admin.offices.month_row``: staff, assistants, hours,
        queue, decided, backlog, reviews done and late, days to decision, late decisions) and
        the reviews and reported changes the households' kernel handled (weighted)."""
        return pd.DataFrame(self.offices)

    def summary_facts(self) -> dict[str, Any]:
        """Run facts: horizon, demography totals, kernel timings."""
        m = self.model
        acc = np.stack(self.acc).sum(axis=1) if self.acc else np.zeros((0, pr.N_ACC))
        return {
            "months": len(self.months),
            "households": m.n_households,
            "births": float(acc[:, pr.U_BIRTHS].sum()),
            "deaths": float(acc[:, pr.U_DEATHS].sum()),
            "births_blocked_weighted": float(acc[:, pr.A_BIRTHS_BLOCKED].sum()),
            "households_died_out": float(acc[:, pr.U_HH_DIED].sum()),
            "townships": m.n_original_towns,
            "townships_pooled": bool(m.townships_pooled),
            "timings_seconds": dict(m.timings),
        }


def _weighted_p90(hist: np.ndarray) -> np.ndarray:
    """90th percentile (days) of each row's weighted one-day histogram; NaN when empty."""
    total = hist.sum(axis=1)
    cum = np.cumsum(hist, axis=1)
    out = np.full(hist.shape[0], np.nan)
    has = total > 0
    if has.any():
        idx = (cum[has] >= 0.9 * total[has, None]).argmax(axis=1)
        out[has] = idx + 0.5
    return out


@njit(parallel=True, cache=True)
def _trace_assess(positions, bounds, age_y, urban_p, disability, ill, paralysed, rare, labour,
                  self_care, earned, pension, other, rigid, supporter, assets, care_wish, p, out):
    """The rules' assessment now of the households at ``positions``, row ``r`` of ``out`` for
    ``positions[r]`` (left as it is for a household that has died out), on every core: the
    traced households each month, and every household in the explorer's household tally."""
    no_pout = np.zeros((0, N_PERSON_OUTPUTS))
    for r in prange(positions.shape[0]):
        if bounds[2 * positions[r] + 1] != bounds[2 * positions[r]]:
            assess_household_detail(2 * positions[r], r, bounds, age_y, urban_p, disability, ill,
                                    paralysed, rare, labour, self_care, earned, pension, other,
                                    rigid, supporter, assets, care_wish, p, out, no_pout)


TRACE_COLUMNS = ("month", "household_id", "status", "persons", "earned_income",
                 "per_capita_income", "dibao_standard", "dibao_eligible", "entitled_total",
                 "paid_dibao", "paid_single", "paid_tekun", "gradual_exit_months_left",
                 "review_class", "reason", "event")


class TraceRecorder:
    """Follows chosen households month by month: their state, what the rules would pay now,
    what is paid, and the event that changed them (``processes.EVENTS``)."""

    def __init__(self, model: SimulationModel, ids: Iterable[int] | None) -> None:
        self.model = model
        self.columns: list[dict[str, np.ndarray]] = []  # one month's columns each
        ids = [] if ids is None else list(ids)
        hh_ids = model.households.household_id
        pos = np.searchsorted(hh_ids, np.asarray(ids, dtype=np.int64)) if ids else np.zeros(0, np.int64)
        for i, hid in enumerate(ids):
            if pos[i] >= hh_ids.shape[0] or hh_ids[pos[i]] != hid:
                raise InputError("trace", "household_id", f"unknown household id {hid!r}",
                                 values=[hid])
        self.ids = np.asarray(ids, dtype=np.int64)
        self.positions = np.asarray(pos, dtype=np.int64)
        self.out = np.zeros((max(1, len(ids)), N_OUTPUTS))

    def record(self, t: int, day: dt.date) -> None:
        """Add this month's row for every traced household (as columns: a scenario traces every
        household of every run, and a row at a time was most of a run's time)."""
        if self.positions.shape[0] == 0:
            return
        m = self.model
        s, hh = m.persons, m.households
        _trace_assess(self.positions, m.bounds, s.age_y, s.urban, s.disability, s.ill,
                      s.paralysed, s.rare, s.labour, s.self_care, s.earned, s.pension, s.other,
                      s.rigid, s.supporter, s.assets, s.care_wish, m.p, self.out)
        h = self.positions
        n = h.shape[0]
        st = hh.status[h].astype(np.int64)
        alive = hh.n_alive[h].astype(np.int64)
        has = alive > 0
        out = self.out[:n]
        self.columns.append({
            "month": np.full(n, day.strftime("%Y-%m"), dtype=object),
            "household_id": self.ids,
            "status": _STATE_NAMES[st],
            "persons": alive,
            "earned_income": _member_sums(s.earned, m.bounds[2 * h], alive),
            "per_capita_income": np.where(has, out[:, O_PER_CAPITA], np.nan),
            "dibao_standard": np.where(has, out[:, O_STANDARD], np.nan),
            "dibao_eligible": has & (out[:, O_DIBAO_ELIGIBLE] != 0.0),
            "entitled_total": np.where(has, out[:, O_TOTAL], 0.0),
            # what the accounts paid this month (a requalified month pays the exit amount)
            "paid_dibao": np.where((st == pr.ST_ENROLLED) | (st == pr.ST_EXIT), hh.dibao_month[h], 0.0),
            "paid_single": hh.paid_single[h].astype(np.float64),
            "paid_tekun": (hh.paid_tekun_basic[h] + hh.paid_tekun_care[h]).astype(np.float64),
            "gradual_exit_months_left": hh.exit_left[h].astype(np.int64),
            "review_class": _REVIEW_CLASSES[hh.review_class[h].astype(np.int64)],
            "reason": np.where(has, _REASONS[np.where(has, out[:, O_REASON], 0.0).astype(np.int64)], ""),
            "event": _EVENTS[hh.event[h].astype(np.int64)],
        })

    def frame(self) -> pd.DataFrame:
        """The trace as a DataFrame (columns ``TRACE_COLUMNS``; months in order, households in
        the order traced within each)."""
        if not self.columns:
            return pd.DataFrame(columns=list(TRACE_COLUMNS))
        return pd.DataFrame({c: np.concatenate([month[c] for month in self.columns])
                             for c in TRACE_COLUMNS})


def _member_sums(earned: np.ndarray, first: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """Each household's members' ``earned`` summed in slot order in the column's own precision
    (as ``earned[lo:lo + n].sum()`` of fewer than eight members), as float64; 0 for none."""
    total = np.zeros(first.shape[0], dtype=earned.dtype)
    for k in range(int(alive.max(initial=0))):  # households have a handful of members
        on = alive > k
        total[on] += earned[first[on] + k]
    return total.astype(np.float64)


_STATE_NAMES = np.array(STATE_NAMES, dtype=object)
_REVIEW_CLASSES = np.array(REVIEW_CLASSES, dtype=object)
_REASONS = np.array(REASONS, dtype=object)
_EVENTS = np.array(pr.EVENTS, dtype=object)


_cache.end(_PREVIOUS_CACHE)
