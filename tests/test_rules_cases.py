"""Declarative household cases (tests/cases/<locality>.yaml), one test per case.

A case file names a ``locality`` and ``month``; each case has an ``id``, the ``clause`` it checks,
the hand ``computation``, optional ``reforms`` (passed to ``load_policy``), a household (``urban``,
``members``: person columns differing from tests/cases/defaults.yaml) and ``expect``: output
columns of ``assess`` with their values (numbers compared to 1e-6 yuan); optional
``expect_persons``: one mapping per member of ``assess_persons`` columns (who gets what). Expectations use the
values in data/policies/*.yaml through ``load_policy(locality)``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulation.policy import load_policy
from simulation.rules import OUTPUT_COLUMNS, assess, assess_persons
from simulation.rules.examples import persons_from_households

CASES_DIR = Path(__file__).parent / "cases"
DEFAULTS = yaml.safe_load((CASES_DIR / "defaults.yaml").read_text(encoding="utf-8"))
CASE_KEYS = {"id", "clause", "computation", "reforms", "urban", "members", "expect", "month",
             "expect_persons"}


def load_cases() -> list:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        if path.name == "defaults.yaml":
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            params.append(pytest.param(doc["locality"], str(doc["month"]), case, path.name,
                                       id=case["id"]))
    return params


CASES = load_cases()


def test_case_collection_is_broad():
    """At least 40 cases, every locality, unique ids, each citing a clause."""
    assert len(CASES) >= 40
    localities = {p.values[0] for p in CASES}
    assert localities == {"qijiang", "jiaohe", "kaizhou", "boshan", "lanzhou_xinqu"}
    ids = [p.id for p in CASES]
    assert len(ids) == len(set(ids))
    for p in CASES:
        case = p.values[2]
        assert set(case) <= CASE_KEYS, (p.id, set(case) - CASE_KEYS)
        assert case.get("clause") and case.get("computation") and case.get("expect"), p.id
        assert set(case["expect"]) <= set(OUTPUT_COLUMNS), (p.id, set(case["expect"]) - set(OUTPUT_COLUMNS))


@pytest.mark.parametrize("locality,month,case,file", CASES)
def test_case(locality, month, case, file):
    policy = load_policy(locality, reforms=case.get("reforms"))
    household = {"household_id": 1, "urban": case["urban"], "members": case["members"]}
    persons = persons_from_households([household], DEFAULTS, f"{file}:{case['id']}")
    month = case.get("month", month)
    row = assess(persons, policy, month).loc[1]
    mismatches = compare(row, case["expect"], "")
    if "expect_persons" in case:
        assert len(case["expect_persons"]) == len(case["members"]), case["id"]
        people = assess_persons(persons, policy, month)
        for m, expected in enumerate(case["expect_persons"]):
            mismatches += compare(people.iloc[m], expected, f"members[{m}].")
    assert not mismatches, f"{case['id']} ({case['clause']}): " + "; ".join(mismatches)


def compare(row, expect: dict, prefix: str) -> list[str]:
    """Mismatches between a result row and expected values (numbers to 1e-6)."""
    mismatches = []
    for column, expected in expect.items():
        actual = row[column]
        if isinstance(expected, (bool, str)):
            ok = actual == expected
        else:
            ok = actual == pytest.approx(expected, abs=1e-6)
        if not ok:
            mismatches.append(f"{prefix}{column}: expected {expected!r}, got {actual!r}")
    return mismatches
