"""Administrative parameters that are not policy rules (data/scenarios/admin_parameters.yaml).

The national figures behind the estimate of the purchased-services cap base. (The township
offices' hours per task, working time and review mix are dated policy parameters, ``admin.*`` and
``verification.method_share.*``, read by ``simulation.admin.offices``.) Every value in the file
carries a ``reference``; loading checks types and signs and names the file and field of anything
wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulation.errors import LoadError, show_value
from simulation.loading import load_yaml

#: The repository's data folder, resolved through the package (not the working directory).
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
ADMIN_PARAMETERS_FILE = DATA_DIR / "scenarios" / "admin_parameters.yaml"



class AdminParameterError(LoadError):
    """A bad value in the administrative parameter file; names file, field and value."""

    def __init__(self, source: str, field: str, value: Any, problem: str,
                 kind: str | None = None) -> None:
        self.field, self.problem = field, problem
        super().__init__([(source, field, value, problem)], kind=kind,
                         message=f"{source}: field '{field}': {problem} (value {show_value(value)})")


#: Upper bounds that no real value reaches (a typo or a unit slip: days for hours, yuan for 万元).
#: China has 1.4 bn residents; central transfers for assistance were ~150 bn yuan a year in
#: 2019-2022, so 10 trillion is a slip.
_MAX = {"national_recipients": 1.5e9, "central_allocation": 1e13}
#: Years the allocation figures may name (the policy coverage starts in 2021).
_YEARS = range(2000, 2101)
_KEYS = {"": {"kind", "cap_estimate"},
         "cap_estimate": {"national_recipients", "central_allocation"}}


@dataclass(frozen=True)
class CapEstimateParameters:
    """National figures used to estimate a locality's central allocation (labelled an estimate)."""

    national_recipients: float
    central_allocation: dict[int, float]
    references: dict[str, str]


@dataclass(frozen=True)
class AdminParameters:
    """Everything in admin_parameters.yaml, validated."""

    cap_estimate: CapEstimateParameters
    source: str


def _number(entry: Any, source: str, field: str, *, positive: bool = False,
            most: float | None = None) -> tuple[float, str]:
    """Read ``{value, reference}`` and check it; return the value and its reference."""
    if not isinstance(entry, dict) or "value" not in entry:
        raise AdminParameterError(source, field, entry, "expected a mapping with 'value' and 'reference'")
    ref = entry.get("reference")
    if not isinstance(ref, str) or not ref.strip():
        raise AdminParameterError(source, f"{field}.reference", ref, "every value needs a reference")
    value = entry["value"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AdminParameterError(source, f"{field}.value", value, "expected a finite number")
    if value < 0 or (positive and value == 0):
        raise AdminParameterError(source, f"{field}.value", value, "must be positive" if positive else "must be >= 0")
    if most is not None and value > most:
        raise AdminParameterError(source, f"{field}.value", value, f"must be at most {most:g}")
    return float(value), ref


def _unknown(doc: dict[str, Any], source: str, prefix: str, known: set[str]) -> None:
    """Refuse keys the loader would not read (a misspelt field would be dropped silently)."""
    extra = sorted(map(str, set(doc) - known))
    if extra:
        field = f"{prefix}.{extra[0]}" if prefix else extra[0]
        raise AdminParameterError(source, field, doc[extra[0]] if extra[0] in doc else None,
                                  f"unknown key (known: {', '.join(sorted(known))})")


def _section(doc: Any, source: str, field: str) -> dict[str, Any]:
    value = doc.get(field) if isinstance(doc, dict) else None
    if not isinstance(value, dict):
        raise AdminParameterError(source, field, value, "missing section")
    return value


def load_admin_parameters(path: str | Path = ADMIN_PARAMETERS_FILE) -> AdminParameters:
    """Load and validate the administrative parameter file.

    Raises AdminParameterError naming the file, the dotted field and the value of the first problem.
    """
    path = Path(path)
    source = str(path)
    try:
        doc = load_yaml(path, "admin parameter file", expect=dict)
    except LoadError as exc:
        raise AdminParameterError(*exc.problems[0], kind=exc.kind) from None
    _unknown(doc, source, "", _KEYS[""])
    cap = _section(doc, source, "cap_estimate")
    _unknown(cap, source, "cap_estimate", _KEYS["cap_estimate"])
    refs: dict[str, str] = {}
    recipients, refs["national_recipients"] = _number(
        cap.get("national_recipients"), source, "cap_estimate.national_recipients", positive=True,
        most=_MAX["national_recipients"])
    alloc_doc = _section(cap, source, "central_allocation")
    if not alloc_doc:
        raise AdminParameterError(source, "cap_estimate.central_allocation", alloc_doc,
                                  "needs at least one year's central allocation (yuan)")
    allocation: dict[int, float] = {}
    for year, entry in alloc_doc.items():
        field = f"cap_estimate.central_allocation.{year}"
        if not str(year).isdigit() or int(year) not in _YEARS:
            raise AdminParameterError(source, field, year,
                                      f"the key must be a year {_YEARS.start}..{_YEARS.stop - 1}")
        if int(year) in allocation:
            raise AdminParameterError(source, field, year, "the year is given twice")
        allocation[int(year)], refs[f"central_allocation.{int(year)}"] = _number(
            entry, source, field, positive=True, most=_MAX["central_allocation"])
    return AdminParameters(
        cap_estimate=CapEstimateParameters(recipients, allocation, refs),
        source=source,
    )
