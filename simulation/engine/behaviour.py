"""Behavioural parameters of the engine: the dataclass :class:`Behaviour` and its defaults.

Defaults come from ``data/behaviour/defaults.yaml`` (each value with a reference or an
``assumption:`` reason). A locality overrides any of them in the ``behaviour:`` block of its
profile (``data/localities/<id>.yaml``); a caller may override them again with a mapping.
Mortality is a Gompertz-Makeham hazard fitted by hand to China's 2020 life table (annual hazard
``makeham + a * exp(b * age)``; see :func:`life_expectancy`).

Inside the numba kernels the behaviour travels as one float64 vector (:meth:`Behaviour.pack`);
the index of each field is ``B[name]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from simulation.errors import InputError
from simulation.loading import cache_by_file, load_yaml

DEFAULTS_FILE = Path(__file__).resolve().parents[2] / "data" / "behaviour" / "defaults.yaml"

#: The parsed defaults, keyed by the file's (mtime, size): a changed file is read again.
_DEFAULTS_CACHE: dict[tuple[int, int], Behaviour] = {}
#: Fields that are probabilities (0..1).
_SHARES = {
    "initial_enrolment", "take_up", "take_up_tekun", "labour_loss_elderly", "supporter_loss",
    "supporter_loss_urban", "discovery", "report_change", "major_change_share", "job_loss", "job_find",
    "job_find_partial_factor", "income_rho", "disability_severe_rate", "paralysis_share",
    "self_care_decline", "education_cost_prob", "urgent_rate", "temporary_take_up",
    "illness_recovery", "illness_onset", "disability_onset_60", "fertility",
    "inclusion_share_urban", "inclusion_share_rural", "detect_campaign", "detect_routine",
    "detect_campaign_rural",
    "detect_home_visit_ratio", "detect_declaration_ratio", "campaign_inclusion",
}
#: Fields that are whole numbers.
_INTEGERS = {"labour_loss_age", "job_find_stationary", "work_age_min", "work_age_max", "fertility_age_min", "fertility_age_max",
             "birth_slots", "disability_onset_age_min",
             "self_care_loss_age", "student_age_min", "student_age_max"}


@dataclass(frozen=True)
class Behaviour:
    """Behavioural parameters (monthly rates unless named annual); see the defaults file."""

    initial_enrolment: float
    take_up: float
    take_up_urban_ratio: float
    take_up_tekun: float
    take_up_tekun_urban_ratio: float
    discovery: float
    report_change: float
    major_change_share: float
    job_loss: float
    job_find: float
    job_find_partial_factor: float
    job_find_stationary: int
    work_age_min: int
    work_age_max: int
    entry_wage_multiple: float
    income_rho: float
    income_sd_persistent: float
    income_sd_transitory: float
    income_smoothing_months: float
    mortality_makeham: float
    mortality_gompertz_a: float
    mortality_gompertz_b: float
    mortality_disabled_multiple: float
    mortality_ill_multiple: float
    fertility: float
    fertility_age_min: int
    fertility_age_max: int
    birth_slots: int
    disability_onset_60: float
    disability_onset_slope: float
    disability_severe_rate: float
    illness_onset: float
    illness_recovery: float
    paralysis_share: float
    self_care_decline: float
    labour_loss_age: int
    labour_loss_elderly: float
    supporter_loss: float
    supporter_loss_urban: float
    illness_cost_multiple: float
    education_cost_prob: float
    urgent_rate: float
    temporary_take_up: float
    pension_at_60: float
    disability_onset_age_min: int
    illness_doubling_years: float
    self_care_loss_age: int
    student_age_min: int
    student_age_max: int
    inclusion_share_urban: float
    inclusion_share_rural: float
    inclusion_income_multiple: float
    detect_campaign: float
    detect_campaign_rural: float
    detect_routine: float
    detect_home_visit_ratio: float
    detect_declaration_ratio: float
    campaign_take_up_multiple: float
    campaign_inclusion: float

    @classmethod
    def defaults(cls) -> Behaviour:
        """The defaults from ``data/behaviour/defaults.yaml`` (validated)."""
        # parsed once per version of the file (every run starts here; the file is ~60 fields)
        stat = DEFAULTS_FILE.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        if key not in _DEFAULTS_CACHE:
            _DEFAULTS_CACHE.clear()
            _DEFAULTS_CACHE[key] = cls._read_defaults()
        return _DEFAULTS_CACHE[key]

    @classmethod
    def _read_defaults(cls) -> Behaviour:
        return load_behaviour_file(DEFAULTS_FILE)

    def with_overrides(self, overrides: Mapping[str, Any] | None, source: str = "behaviour") -> Behaviour:
        """A copy with some fields replaced; unknown names or bad values raise InputError.

        An override may be a bare value or a mapping with ``value`` (and ``reference``), as in a
        locality profile's ``behaviour:`` block.
        """
        if not overrides:
            return self
        names = {f.name for f in fields(self)}
        values: dict[str, Any] = {}
        for key, entry in overrides.items():
            if key not in names:
                raise InputError(source, key, "unknown behaviour parameter "
                                 f"(known: {', '.join(sorted(names))})")
            values[key] = entry.get("value") if isinstance(entry, Mapping) else entry
        changed = replace(self, **_checked(values, source))
        _check_order({f.name: getattr(changed, f.name) for f in fields(changed)}, source)
        return changed

    def pack(self) -> np.ndarray:
        """All fields as one float64 vector in field order (index: ``B[name]``)."""
        return np.array([float(getattr(self, f.name)) for f in fields(self)], dtype=np.float64)


@cache_by_file()  # a Behaviour is frozen
def load_behaviour_file(path: str | Path) -> Behaviour:
    """Read a behaviour file (the defaults' format: every field as ``{value, reference}``).

    Raises a `LoadError`: the loading layer's for an unreadable file, bad YAML or a document that
    is not a mapping, `InputError` naming the field for a missing, unknown or bad value.
    """
    raw = load_yaml(path, "behaviour file", expect=dict)
    source = str(path)
    values: dict[str, Any] = {}
    names = {f.name for f in fields(Behaviour)}
    for key, entry in raw.items():
        if key not in names:
            raise InputError(source, str(key), "unknown behaviour parameter")
        if not isinstance(entry, dict) or "value" not in entry or not entry.get("reference"):
            raise InputError(source, key, "needs 'value' and a non-empty 'reference'")
        values[key] = entry["value"]
    missing = names - set(values)
    if missing:
        raise InputError(source, sorted(missing)[0], "missing behaviour parameter")
    return Behaviour(**_checked(values, source))


#: Pairs (lower, upper) of whole-number fields: the lower may not exceed the upper.
_ORDERED = (("work_age_min", "work_age_max"),
            ("fertility_age_min", "fertility_age_max"), ("student_age_min", "student_age_max"))
#: Fields that are ages (years, at most 120 like the person table's age).
_AGES = {"labour_loss_age", "work_age_min", "work_age_max", "fertility_age_min",
         "fertility_age_max", "disability_onset_age_min", "self_care_loss_age", "student_age_min",
         "student_age_max"}


def _checked(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Values checked for type and range; raises InputError naming the field and value."""
    out: dict[str, Any] = {}
    for key, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise InputError(source, key, f"expected a finite number, got {v!r}", values=[v])
        if v < 0:
            raise InputError(source, key, f"negative value {v!r}", values=[v])
        if key in _SHARES and v > 1:
            raise InputError(source, key, f"probability/share above 1: {v!r}", values=[v])
        if key in _INTEGERS:
            if v != int(v):
                raise InputError(source, key, f"expected a whole number, got {v!r}", values=[v])
            v = int(v)
        if key in _AGES and v > 120:
            raise InputError(source, key, f"age {v!r} above 120", values=[v])
        out[key] = v
    _check_order(out, source)
    return out


def _check_order(values: Mapping[str, Any], source: str) -> None:
    """A lower bound above its upper bound (also across an override and a default)."""
    for low, high in _ORDERED:
        if {low, high} <= set(values) and values[low] > values[high]:
            raise InputError(source, low, f"above {high} ({values[high]!r})", values=[values[low]])


#: Index of each field in :meth:`Behaviour.pack`.
B: dict[str, int] = {f.name: i for i, f in enumerate(fields(Behaviour))}


def annual_mortality(behaviour: Behaviour, age: np.ndarray | float) -> np.ndarray:
    """Annual death hazard at an age (Gompertz-Makeham), before health multipliers."""
    return behaviour.mortality_makeham + behaviour.mortality_gompertz_a * np.exp(
        behaviour.mortality_gompertz_b * np.asarray(age, dtype=np.float64))


def life_expectancy(behaviour: Behaviour, max_age: int = 120) -> float:
    """Period life expectancy at birth implied by the mortality parameters (years)."""
    ages = np.arange(max_age + 1, dtype=np.float64)
    q = 1.0 - np.exp(-annual_mortality(behaviour, ages))
    alive = np.concatenate([[1.0], np.cumprod(1.0 - q)])
    return float(np.sum((alive[:-1] + alive[1:]) / 2.0))
