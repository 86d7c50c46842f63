"""The engine's state: preallocated columnar arrays for persons (slots) and households.

Persons live in *slots*: household ``i`` owns slots ``hh_start[i]:hh_start[i + 1]``, its
initial members followed by ``behaviour.birth_slots`` empty slots for births (a birth fills a
free slot of its household; the CSR offsets never change, so every kernel can run in parallel
over households without moving data). Members are kept packed at the front of their slots
(``n_alive`` per household): a death moves the household's last member into the freed slot. A
birth in a household whose slots are all used is counted as ``births_blocked`` (reported in the
monthly table and the summary), never silently lost. Person draws are keyed by slot index, which
is the same in a baseline and a reform because demography, health and jobs do not depend on
policy.

Money is float32 in yuan per month (ample precision for amounts below 10^6); assets are float64.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import pandas as pd
from numba import njit, prange

from simulation.errors import InputError
from simulation.population.columns import PersonArrays, validate_persons

#: Household programme states, by code (processes.ST_*).
STATE_NAMES = ("none", "pending", "enrolled", "gradual_exit", "gone")


@dataclass
class PersonSlots:
    """Per-person columns over slots (sorted by household, with empty slots for births)."""

    age_y: np.ndarray  # int16: age in completed years
    birth_m: np.ndarray  # int8: calendar month of the birthday (1..12)
    urban: np.ndarray  # bool (equal within a household; the rules read it per person)
    disability: np.ndarray  # int8 (columns.DISABILITY_*)
    ill: np.ndarray  # bool: serious illness
    paralysed: np.ndarray  # int16: months paralysed
    rare: np.ndarray  # bool
    labour: np.ndarray  # int8 (columns.LABOUR_*)
    self_care: np.ndarray  # int8 (columns.SELF_CARE_*)
    employed: np.ndarray  # uint8
    wage: np.ndarray  # float32: potential monthly wage (yuan) when employed
    perm: np.ndarray  # float32: persistent log-earnings component
    earned: np.ndarray  # float32: earned income this month (yuan)
    pension: np.ndarray  # float32
    other: np.ndarray  # float32
    rigid_base: np.ndarray  # float32: rigid spending from the data
    rigid: np.ndarray  # float32: rigid spending this month (base + illness costs)
    unemployed_reg: np.ndarray  # bool: registered unemployed
    supporter: np.ndarray  # bool: has a legal supporter able to support
    assets: np.ndarray  # float64 (stock, yuan)
    care_wish: np.ndarray  # int8


@dataclass
class Households:
    """Per-household columns (index = household position, not id)."""

    household_id: np.ndarray  # int64
    hh_start: np.ndarray  # int64, n + 1: slot offsets
    urban: np.ndarray  # uint8
    area: np.ndarray  # int8: 0 urban, 1 rural (rules.params.AREA_*)
    township: np.ndarray  # int32 (0..n_townships-1)
    weight: np.ndarray  # float64: households represented
    n_alive: np.ndarray  # int32: members alive (packed at the front of the slots)
    status: np.ndarray  # int8 (processes.ST_*)
    review_class: np.ndarray  # int8: rules.review CLASS_A/B/C/TEKUN (at the last decision)
    applied_month: np.ndarray  # int32: month index of the pending application (-1 none)
    applied_day: np.ndarray  # int16: day of the month of the pending application
    event: np.ndarray  # int8: the household's last event this month (processes.EVENTS)
    paid_gap: np.ndarray  # float32: dibao gap (or tier) payment in force
    paid_supplement: np.ndarray  # float32: key-person supplements in force
    paid_supp_fixed: np.ndarray  # float32: their fixed yuan part (not re-rated with the standard)
    paid_single: np.ndarray  # float32: single-person inclusion payment in force
    paid_tekun_basic: np.ndarray  # float32: tekun basic living standard in force
    paid_tekun_care: np.ndarray  # float32: tekun care standard in force
    paid_dibao_n: np.ndarray  # int16: dibao persons covered (dibao unit at the last decision)
    paid_single_n: np.ndarray  # int16: persons enrolled alone
    paid_tekun_n: np.ndarray  # int16: tekun persons supported
    paid_pci: np.ndarray  # float32: per-capita counted income found at the last decision
    exit_left: np.ndarray  # int16: gradual-exit months left
    exit_elapsed: np.ndarray  # int16: gradual-exit months paid so far
    exit_base: np.ndarray  # float32: last benefit before the exit
    subsidy_left: np.ndarray  # int16: employment-subsidy months left
    instalment_left: np.ndarray  # int16: temporary-assistance payments still due (分次发放)
    instalment_amount: np.ndarray  # float32: each of those payments
    subsidy_amount: np.ndarray  # float32: dibao benefit before the job; the subsidy is its cut
    flags: np.ndarray  # int32: bit 0 job found by a registered-unemployed member, bit 1 died out,
    #                    bits 8.. tekun minors who reached the minor age since the last review
    dirty: np.ndarray  # uint8: 1 = circumstances changed since the household's last assessment
    hidden: np.ndarray  # uint8: 1 = an inclusion error 错保 (enrolled with income the office does not see)
    dibao_month: np.ndarray  # float64: dibao paid this month (gap and supplements, or the exit amount)
    med_used: np.ndarray  # float32: medical assistance paid in med_year (the annual limit)
    med_year: np.ndarray  # int32: the year med_used counts (absolute month // 12)
    renovated: np.ndarray  # uint8: 1 = dangerous house renovated (housing assistance, once)



def record_of(obj: PersonSlots | Households, record_type: type) -> tuple:
    """The kernels' record (``processes.PersonRecord`` or ``processes.HouseholdRecord``) of a
    state dataclass, field by field by name: its arrays themselves (no copy), so the kernels
    update the dataclass's columns."""
    return record_type(*(getattr(obj, name) for name in record_type._fields))

def _series(frame: pd.DataFrame, name: str, source: str) -> np.ndarray:
    if name not in frame.columns:
        raise InputError(source, name, "missing column")
    return frame[name].to_numpy()


def person_arrays_of(population: Any) -> tuple[PersonArrays, pd.DataFrame]:
    """PersonArrays and the household table of a Population (``.persons``, ``.households``)."""
    households = getattr(population, "households", None)
    arrays = getattr(population, "arrays", None)
    if isinstance(arrays, PersonArrays) and isinstance(households, pd.DataFrame):
        return arrays, households  # a generated population: validated arrays, no frame needed
    persons = getattr(population, "persons", None)
    if not isinstance(persons, pd.DataFrame) or not isinstance(households, pd.DataFrame):
        raise InputError("population", "(object)",
                         "expected a Population with .persons and .households DataFrames, got "
                         f"{type(population).__name__}")
    return validate_persons(persons, source="population.persons"), households


@njit(parallel=True, cache=True)
def _slot_positions(slot_start: np.ndarray, person_start: np.ndarray) -> np.ndarray:
    """The slot of each person: its household's first slot plus its place in the household."""
    dest = np.empty(person_start[-1], dtype=np.int64)
    for h in prange(person_start.shape[0] - 1):
        for k in range(person_start[h + 1] - person_start[h]):
            dest[person_start[h] + k] = slot_start[h] + k
    return dest


@njit(parallel=True, cache=True)
def _scatter(out: np.ndarray, dest: np.ndarray, values: np.ndarray) -> None:
    """``out[dest] = values`` on both cores (18 person columns of a million households)."""
    for i in prange(dest.shape[0]):
        out[dest[i]] = values[i]


def build_state(population: Any, slack: int, entry_wage: tuple[float, float],
                work_ages: tuple[int, int]) -> tuple[PersonSlots, Households, dict]:
    """Preallocate the engine state from a population.

    ``slack``: empty slots per household for births. ``entry_wage``: potential wage (urban,
    rural) of a working-age person able to work who has no observed wage. Returns the person
    slots, the households and a dict with ``township_labels`` (original township values in index
    order).
    """
    pa, hh = person_arrays_of(population)
    src = "population.households"
    ids = _series(hh, "household_id", src).astype(np.int64)
    order = np.argsort(ids, kind="stable")
    ids_sorted = ids[order]
    if ids_sorted.shape[0] != pa.n_households or not np.array_equal(ids_sorted, pa.household_ids):
        extra = np.setdiff1d(pa.household_ids, ids_sorted)
        missing = np.setdiff1d(ids_sorted, pa.household_ids)
        raise InputError(src, "household_id",
                         "households table and persons disagree (in persons only: "
                         f"{extra[:5].tolist()}; in households only: {missing[:5].tolist()}; "
                         f"duplicates: {int(ids.shape[0] - np.unique(ids).shape[0])})")
    weight = _series(hh, "weight", src).astype(np.float64)[order]
    bad = ~np.isfinite(weight) | (weight <= 0)
    if bad.any():
        raise InputError(src, "weight", "weights must be finite and > 0",
                         rows=list(ids_sorted[bad][:10]), values=list(weight[bad][:10]))
    township_raw = _series(hh, "township", src)[order]
    # hash-based (pandas) rather than np.unique's sort: the same sorted labels and codes
    township, labels = pd.factorize(township_raw, sort=True)
    if (township < 0).any():  # a missing value: np.unique's handling (and its error) instead
        labels, township = np.unique(township_raw, return_inverse=True)

    n = pa.n_households
    size = pa.household_size()
    new_size = size + slack
    hh_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(new_size, out=hh_start[1:])
    n_slots = int(hh_start[-1])
    # position of each existing person in the slot arrays
    dest = _slot_positions(hh_start, pa.hh_start)

    def col(values: np.ndarray, dtype: Any, fill: Any = 0) -> np.ndarray:
        out = np.full(n_slots, fill, dtype=dtype)
        _scatter(out, dest, np.asarray(values).astype(dtype, copy=False))
        return out

    urban_p = pa.urban.astype(bool)
    age_y = pa.age.astype(np.int64)
    able = (pa.labour_ability != 2) & (age_y >= work_ages[0]) & (age_y <= work_ages[1])
    employed = pa.earned_income > 0
    wage = np.where(employed, pa.earned_income,
                    np.where(able, np.where(urban_p, entry_wage[0], entry_wage[1]), 0.0))
    urban_slots = np.repeat(pa.urban[pa.hh_start[:-1]].astype(bool), new_size)
    persons = PersonSlots(
        age_y=col(age_y.astype(np.int16), np.int16),
        # birthdays spread over the year (keyed by slot) so ages do not all move in one month
        # (months 1..12 repeated: no int64 temporaries of every slot)
        birth_m=np.tile(np.arange(1, 13, dtype=np.int8), -(-n_slots // 12))[:n_slots],
        urban=urban_slots,
        disability=col(pa.disability, np.int8),
        ill=col(pa.serious_illness.astype(bool), bool),
        paralysed=col(pa.paralysed_months, np.int16),
        rare=col(pa.rare_disease.astype(bool), bool),
        labour=col(pa.labour_ability, np.int8, 2),
        self_care=col(pa.self_care, np.int8),
        employed=col(employed.astype(np.uint8), np.uint8),
        wage=col(wage, np.float32),
        perm=np.zeros(n_slots, np.float32),
        earned=col(pa.earned_income, np.float32),
        pension=col(pa.basic_pension, np.float32),
        other=col(pa.other_income, np.float32),
        rigid_base=col(pa.rigid_expenditure, np.float32),
        rigid=col(pa.rigid_expenditure, np.float32),
        unemployed_reg=col(pa.registered_unemployed.astype(bool), bool),
        supporter=col(pa.has_supporter.astype(bool), bool),
        assets=col(pa.financial_assets, np.float64),
        care_wish=col(pa.care_wish, np.int8),
    )
    urban_h = pa.urban[pa.hh_start[:-1]].astype(np.uint8)
    households = Households(
        household_id=pa.household_ids.copy(),
        hh_start=hh_start,
        urban=urban_h,
        area=(1 - urban_h).astype(np.int8),
        township=township.astype(np.int32),
        weight=weight,
        n_alive=size.astype(np.int32),
        status=np.zeros(n, np.int8),
        review_class=np.zeros(n, np.int8),
        applied_month=np.full(n, -1, np.int32),
        applied_day=np.zeros(n, np.int16),
        event=np.zeros(n, np.int8),
        paid_gap=np.zeros(n, np.float32),
        paid_supplement=np.zeros(n, np.float32),
        paid_supp_fixed=np.zeros(n, np.float32),
        paid_single=np.zeros(n, np.float32),
        paid_tekun_basic=np.zeros(n, np.float32),
        paid_tekun_care=np.zeros(n, np.float32),
        paid_dibao_n=np.zeros(n, np.int16),
        paid_single_n=np.zeros(n, np.int16),
        paid_tekun_n=np.zeros(n, np.int16),
        paid_pci=np.zeros(n, np.float32),
        exit_left=np.zeros(n, np.int16),
        exit_elapsed=np.zeros(n, np.int16),
        exit_base=np.zeros(n, np.float32),
        subsidy_left=np.zeros(n, np.int16),
        instalment_left=np.zeros(n, np.int16),
        instalment_amount=np.zeros(n, np.float32),
        subsidy_amount=np.zeros(n, np.float32),
        flags=np.zeros(n, np.int32),
        dirty=np.ones(n, np.uint8),
        hidden=np.zeros(n, np.uint8),
        dibao_month=np.zeros(n, np.float64),
        med_used=np.zeros(n, np.float32),
        med_year=np.zeros(n, np.int32),
        renovated=np.zeros(n, np.uint8),
    )
    return persons, households, {"township_labels": labels}


def copy_state(state: tuple[PersonSlots, Households, dict]) -> tuple[PersonSlots, Households, dict]:
    """A copy of :func:`build_state`'s result whose arrays a model may change (the engine updates
    its state in place)."""
    slots, hh, meta = state
    return (replace(slots, **{f.name: getattr(slots, f.name).copy() for f in fields(slots)}),
            replace(hh, **{f.name: getattr(hh, f.name).copy() for f in fields(hh)}),
            {key: value.copy() if isinstance(value, np.ndarray) else value
             for key, value in meta.items()})


def nbytes(obj: Any) -> int:
    """Bytes held by the numpy arrays of a state dataclass."""
    return sum(getattr(obj, f.name).nbytes for f in fields(obj)
               if isinstance(getattr(obj, f.name), np.ndarray))
