"""Example households (data/examples/households.yaml) as a person table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import InputError
from simulation.loading import load_yaml
from simulation.population.columns import COLUMN_NAMES, validate_persons

EXAMPLES_FILE = Path(__file__).resolve().parents[2] / "data" / "examples" / "households.yaml"

_HOUSEHOLD_KEYS = {"household_id", "title", "explains", "urban", "members"}


def persons_from_households(households: list[dict[str, Any]], defaults: dict[str, Any],
                            source: str) -> pd.DataFrame:
    """Person table from household records ``{household_id, urban, members: [...]}``.

    A member lists the person columns that differ from ``defaults``. Unknown keys raise
    :class:`InputError` naming ``source``, the household and the key; the table is then validated
    like any person table (errors name the member, e.g. ``households[2].members[0]``). Household
    keys other than ``household_id``, ``urban`` and ``members`` are descriptions and ignored.
    """
    rows: list[dict[str, Any]] = []
    labels: list[str] = []
    for k, hh in enumerate(households):
        where = f"households[{k}]"
        for key in ("household_id", "urban", "members"):
            if key not in hh:
                raise InputError(source, f"{where}.{key}", "missing key")
        for m, member in enumerate(hh["members"]):
            unknown = set(member) - set(COLUMN_NAMES)
            if unknown:
                raise InputError(source, f"{where}.members[{m}].{sorted(unknown)[0]}",
                                 "unknown person column")
            rows.append({**defaults, **member, "household_id": hh["household_id"],
                         "urban": hh["urban"]})
            labels.append(f"{where}.members[{m}]")
    table = pd.DataFrame(rows, index=labels)
    validate_persons(table, source=source)
    return table


def load_examples(path: Path | str = EXAMPLES_FILE) -> tuple[pd.DataFrame, dict[int, dict[str, Any]]]:
    """Person table and per-household descriptions (title, explains) from an examples file."""
    path = Path(path)
    doc = load_yaml(path, "example households file", expect=dict)
    if not isinstance(doc, dict) or "households" not in doc:
        raise InputError(str(path), "households", "the file needs a 'households' list")
    for k, hh in enumerate(doc["households"]):
        unknown = set(hh) - _HOUSEHOLD_KEYS
        if unknown:
            raise InputError(str(path), f"households[{k}].{sorted(unknown)[0]}", "unknown key")
    info = {hh["household_id"]: {"title": hh.get("title", ""), "explains": hh.get("explains", "")}
            for hh in doc["households"]}
    table = persons_from_households(doc["households"], doc.get("defaults", {}), str(path))
    return table, info


def example_persons(path: Path | str = EXAMPLES_FILE) -> pd.DataFrame:
    """The example households as a person table (index: ``households[k].members[m]``)."""
    return load_examples(path)[0]
