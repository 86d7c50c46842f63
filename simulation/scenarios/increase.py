"""Dibao standard increases written as on the command line: ``5%``, ``10%``, ``+50`` (yuan).

``python -m simulation run --increase 5% 10% +50`` and notebook 02 turn each into a reform that
raises the urban and rural dibao standards from the scenario's start: a percentage scales the
baseline value in force (``scale``), an amount adds yuan per person per month (``add``), as in a
scenario file's changes (:mod:`simulation.scenarios.scenario`). Variants keep the order given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_PERCENT = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*%$")
_AMOUNT = re.compile(r"^([+-])?(\d+(?:\.\d+)?)\s*(元|yuan)?$")
#: A standard may not fall by this share or more (it would be zero or negative).
LARGEST_CUT_PCT = 100.0
#: Increases above this look like a typo (5000% for 50%).
LARGEST_RISE_PCT = 500.0


class IncreaseError(ValueError):
    """An increase that cannot be read; names the option and the value."""


@dataclass(frozen=True)
class Increase:
    """One standard change: ``kind`` ``percent`` (``value`` in %) or ``yuan`` (per person per month)."""

    kind: str
    value: float
    text: str

    @property
    def name(self) -> str:
        """Variant name, e.g. ``standard_plus_5pct``, ``standard_plus_50yuan``."""
        sign = "plus" if self.value > 0 else "minus"
        unit = "pct" if self.kind == "percent" else "yuan"
        return f"standard_{sign}_{abs(self.value):g}{unit}".replace(".", "_")

    @property
    def label_zh(self) -> str:
        """Chinese label, e.g. 城乡低保标准提高5%."""
        verb = "提高" if self.value > 0 else "降低"
        amount = f"{abs(self.value):g}%" if self.kind == "percent" else f"每人每月{abs(self.value):g}元"
        return f"城乡低保标准{verb}{amount}"

    @property
    def label_en(self) -> str:
        """English label, e.g. urban and rural dibao standards +5%."""
        amount = f"{self.value:+g}%" if self.kind == "percent" else f"{self.value:+g} yuan/person/month"
        return f"urban and rural dibao standards {amount}"

    def changes(self, start: str) -> dict[str, Any]:
        """Scenario changes raising both standards from the first day of ``start`` (YYYY-MM)."""
        spec: dict[str, Any] = {"from": f"{start}-01"}
        if self.kind == "percent":
            spec["scale"] = round(1.0 + self.value / 100.0, 10)
        else:
            spec["add"] = self.value
        return {f"dibao.standard.{area}": dict(spec) for area in ("urban", "rural")}

    def reform(self, start: str) -> dict[str, Any]:
        """The reform as a scenario-file entry (name, label_zh, description, changes)."""
        return {"name": self.name, "label_zh": self.label_zh, "description": self.label_en,
                "changes": self.changes(start)}


def parse_increase(text: str, option: str = "--increase") -> Increase:
    """Read ``5%``, ``-2.5%``, ``+50``, ``50元`` or ``+50 yuan``; raise :class:`IncreaseError`
    naming ``option`` and the value otherwise (a bare ``5`` is refused: percent or yuan?)."""
    raw = str(text).strip()
    if m := _PERCENT.match(raw):
        value = float(m.group(1))
        if not -LARGEST_CUT_PCT < value <= LARGEST_RISE_PCT:
            raise IncreaseError(f"{option} {text!r}: a percentage must be above -{LARGEST_CUT_PCT:g}% "
                                f"and at most {LARGEST_RISE_PCT:g}%")
        kind = "percent"
    elif (m := _AMOUNT.match(raw)) and (m.group(1) or m.group(3)):
        value = float(m.group(2)) * (-1.0 if m.group(1) == "-" else 1.0)
        kind = "yuan"
    elif _AMOUNT.match(raw):
        raise IncreaseError(f"{option} {text!r}: write {raw}% for a percentage or +{raw} for yuan per "
                            "person per month")
    else:
        raise IncreaseError(f"{option} {text!r}: expected a percentage (5%, -2.5%) or yuan per person "
                            "per month (+50, 50元)")
    if value == 0:
        raise IncreaseError(f"{option} {text!r}: a zero change is the baseline itself")
    return Increase(kind, value, raw)


def parse_increases(texts: Sequence[str], option: str = "--increase") -> list[Increase]:
    """Every increase in the order given (see :func:`parse_increase`)."""
    return [parse_increase(t, option) for t in texts]


def with_increases(scenario: Any, increases: Sequence[Increase]) -> Any:
    """The scenario with its reforms replaced by the increases (validated like a scenario file)."""
    from simulation.scenarios.scenario import ScenarioError, parse_scenario

    seen: dict[str, str] = {}
    for inc in increases:
        if inc.name in seen:
            raise ScenarioError([("command line", "--increase", inc.text, f"the same increase as {seen[inc.name]!r}")])
        seen[inc.name] = inc.text
    doc = scenario.to_doc()
    doc["reforms"] = [inc.reform(scenario.start) for inc in increases]
    doc["description"] = "; ".join(inc.label_en for inc in increases)
    return parse_scenario(doc, source=f"{scenario.source} with --increase {' '.join(i.text for i in increases)}")
