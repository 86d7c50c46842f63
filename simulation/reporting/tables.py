"""Tables for charts and reports, computed from the engine's monthly table (docs/contracts.md §5).

Money in the monthly table is yuan per month, weighted to the locality's population; the tables
here sum it to years (yuan per year) or keep months. Persons and households are stocks: a year's
figure is the December (last month present) value, not a sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd


class TableError(ValueError):
    """A table handed to the reporting layer lacks a column or holds a bad value."""


def require_columns(df: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    """Raise :class:`TableError` naming ``source`` and every missing column."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise TableError(
            f"{source}: missing column(s) {missing}; present: {list(df.columns)}"
        )


def month_periods(values: pd.Series, source: str = "monthly") -> pd.PeriodIndex:
    """The ``month`` column as monthly periods; a value that is not a month raises, naming it."""
    if isinstance(values.dtype, pd.PeriodDtype):
        return pd.PeriodIndex(values).asfreq("M")
    try:
        return pd.PeriodIndex(pd.to_datetime(values.astype(str), format="mixed"), freq="M")
    except (ValueError, TypeError) as exc:
        bad = next((v for v in values if pd.isna(pd.to_datetime(str(v), errors="coerce"))), None)
        raise TableError(f"{source}: column 'month' holds {bad!r}, which is not a month") from exc


def _numeric(df: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """Column as float; NaN or non-numbers raise, naming the first bad row."""
    try:
        values = pd.to_numeric(df[column], errors="raise").to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise TableError(f"{source}: column {column!r} is not numeric ({exc})") from exc
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        row = df.index[bad[0]]
        raise TableError(
            f"{source}: column {column!r} has {bad.size} missing/infinite value(s), first at row {row!r}"
        )
    return values


def monthly_by(
    monthly: pd.DataFrame, value: str = "payment", by: str = "programme", source: str = "monthly"
) -> pd.DataFrame:
    """Sum ``value`` over townships and areas: index month (Period), one column per ``by`` value."""
    require_columns(monthly, ["month", by, value], source)
    frame = pd.DataFrame(
        {"month": month_periods(monthly["month"], source), by: monthly[by].to_numpy(),
         value: _numeric(monthly, value, source)}
    )
    table = frame.pivot_table(index="month", columns=by, values=value, aggfunc="sum", fill_value=0.0)
    table.columns.name = by
    return table.sort_index()


def annual_by(
    monthly: pd.DataFrame, value: str = "payment", by: str = "programme", source: str = "monthly",
    how: str = "sum",
) -> pd.DataFrame:
    """Yuan per year: ``value`` summed over months of each calendar year, one column per ``by``.

    ``how="last"`` takes the last month present in each year instead (for stocks).
    """
    table = monthly_by(monthly, value, by, source)
    return table.groupby(pd.Index(table.index.year, name="year")).agg(how)


def stock_by_year(
    monthly: pd.DataFrame, value: str = "persons", by: str = "programme", source: str = "monthly"
) -> pd.DataFrame:
    """A stock (persons, households) at the last month present in each year, one column per ``by``."""
    return annual_by(monthly, value, by, source, how="last")


def payment_components(monthly: pd.DataFrame) -> list[str]:
    """The ``payment_<component>`` columns of a monthly table, in table order."""
    return [c for c in monthly.columns if c.startswith("payment_")]


def annual_components(monthly: pd.DataFrame, source: str = "monthly") -> pd.DataFrame:
    """Yuan per year by payment component (the ``payment_<component>`` columns), index year."""
    comps = payment_components(monthly)
    if not comps:
        raise TableError(f"{source}: no payment_<component> columns; present: {list(monthly.columns)}")
    require_columns(monthly, ["month"], source)
    frame = pd.DataFrame({c.removeprefix("payment_"): _numeric(monthly, c, source) for c in comps})
    frame.index = pd.Index(month_periods(monthly["month"], source).year, name="year")
    return frame.groupby(level="year").sum()


def quantile_bands(
    per_replication: pd.DataFrame,
    keys: Sequence[str],
    value: str,
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    source: str = "replications",
) -> pd.DataFrame:
    """P10/P50/P90 (or other quantiles) of ``value`` across replications, per ``keys``.

    ``per_replication`` has one row per replication × keys (e.g. replication, year). Returns one
    row per keys with columns ``p10``, ``p50``, ``p90`` (named by percent).
    """
    require_columns(per_replication, [*keys, value], source)
    for q in quantiles:
        if not 0.0 <= q <= 1.0:
            raise TableError(f"{source}: quantile {q!r} is outside 0..1")
    values = per_replication[[*keys]].copy()
    values[value] = _numeric(per_replication, value, source)
    grouped = values.groupby(list(keys))[value]
    out = pd.DataFrame({f"p{round(q * 100)}": grouped.quantile(q) for q in quantiles})
    out["replications"] = grouped.size()
    return out.reset_index()
