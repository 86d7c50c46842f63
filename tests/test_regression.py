"""Regression test of the engine's yearly aggregates against the checked-in expected file
(tests/regression/expected_aggregates.csv; regenerate on purpose with
``python -m tests.regression.aggregates --write``)."""

from __future__ import annotations

import pandas as pd
from regression.aggregates import COLUMNS, compare, compute, load_expected


def test_aggregates_match_expected() -> None:
    diff = compare(compute(), load_expected())
    assert diff.empty, (
        "engine aggregates moved against tests/regression/expected_aggregates.csv; if the change "
        "is intended run `python -m tests.regression.aggregates --write` and commit the file "
        "with the reason:\n" + diff.to_string(index=False))


def test_compare_reports_a_moved_aggregate() -> None:
    expected = load_expected()
    moved = expected.copy()
    moved.loc[0, "payment_total"] *= 1.01
    diff = compare(moved, expected)
    assert list(diff["column"]) == ["payment_total"]
    assert abs(float(diff["change_pct"].iloc[0]) - 1.0) < 1e-9
    dropped = compare(expected.iloc[1:], expected)
    assert list(dropped["note"]) == ["only in expected"]
    assert set(COLUMNS) <= set(expected.columns)
    assert isinstance(expected, pd.DataFrame) and len(expected) > 0
