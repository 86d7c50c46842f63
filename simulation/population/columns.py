"""The person table: its columns, units and codes, documented in this one place, and its validation.

A person table has one row per person (yuan per month for money). :func:`validate_persons` checks
it and converts it to :class:`PersonArrays`, the columnar form that the rules (``simulation.rules``),
the population generator and the engine share: categorical columns become small integer codes,
money becomes float64, persons are sorted by household and each household's persons are the slice
``hh_start[i]:hh_start[i + 1]`` (CSR offsets). Nothing is coerced silently: a missing column, NaN,
negative money or age, an unknown category or a household with mixed ``urban`` raises
:class:`~simulation.errors.InputError` naming the column and the first offending rows.

:func:`columns_markdown` renders the column table for the README and docs/contracts.md §2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.errors import InputError

# Category codes. The rules compare against these constants, never against strings.
DISABILITY_NONE, DISABILITY_MILD, DISABILITY_SEVERE = 0, 1, 2
LABOUR_FULL, LABOUR_PARTIAL, LABOUR_NONE = 0, 1, 2
SELF_CARE_ABLE, SELF_CARE_PARTIAL, SELF_CARE_UNABLE = 0, 1, 2
CARE_DISPERSED, CARE_CENTRALISED = 0, 1

#: Category labels in code order: ``CATEGORIES[column][code]`` is the label.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "disability": ("none", "mild", "severe"),
    "labour_ability": ("full", "partial", "none"),
    "self_care": ("able", "partial", "unable"),
    "care_wish": ("dispersed", "centralised"),
}

MAX_AGE = 120


@dataclass(frozen=True)
class Column:
    """One person-table column: name, kind, dtype in :class:`PersonArrays`, unit and meaning."""

    name: str
    kind: str  # "id", "int", "age", "months", "bool", "money", "stock", "category"
    dtype: str
    unit: str
    meaning: str
    required: bool = True


#: The person-table columns (docs/contracts.md §2 is generated from this list).
COLUMNS: tuple[Column, ...] = (
    Column("household_id", "id", "int64", ">= 0", "household the person belongs to"),
    Column("age", "age", "int16", f"years, 0..{MAX_AGE}", "age in completed years"),
    Column("urban", "bool", "bool", "true/false",
           "urban registration/residence; all members of a household equal"),
    Column("disability", "category", "int8", "none, mild (grades 3-4), severe (grades 1-2)",
           "disability 残疾 grade"),
    Column("serious_illness", "bool", "bool", "true/false", "serious illness 重病"),
    Column("paralysed_months", "months", "int16", "months (0 = not paralysed)",
           "months paralysed 瘫痪"),
    Column("rare_disease", "bool", "bool", "true/false", "rare-disease patient 罕见病"),
    Column("labour_ability", "category", "int8", "full, partial, none", "labour ability 劳动能力"),
    Column("self_care", "category", "int8", "able, partial, unable", "self-care ability 自理能力"),
    Column("earned_income", "money", "float64", "yuan/month, >= 0", "earned income (wages, business)"),
    Column("basic_pension", "money", "float64", "yuan/month, >= 0",
           "residents' basic pension 基础养老金"),
    Column("other_income", "money", "float64", "yuan/month, >= 0",
           "transfers, property income, support received"),
    Column("rigid_expenditure", "money", "float64", "yuan/month, >= 0",
           "rigid medical, education and care spending 刚性支出"),
    Column("registered_unemployed", "bool", "bool", "true/false", "registered unemployed"),
    Column("has_supporter", "bool", "bool", "true/false",
           "has a legal supporter able to support 法定赡养抚养扶养人"),
    Column("financial_assets", "stock", "float64", "yuan, >= 0",
           "cash, deposits, securities and claims 金融资产 (stock)"),
    Column("care_wish", "category", "int8", "dispersed, centralised",
           "care setting wished if tekun 分散/集中供养"),
    Column("township", "int", "int32", ">= 0", "township index (added by the generator)", False),
    Column("village", "int", "int32", ">= 0", "village index (added by the generator)", False),
    Column("earned_imputed", "bool", "bool", "true/false",
           "earned income imputed at the local minimum wage 按最低工资标准核算 (no employment-cost "
           "deduction)", False),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)


def columns_markdown() -> str:
    """The person-table columns as a Markdown table (for the README and docs/contracts.md §2)."""
    lines = ["| column | dtype | values / unit | meaning |", "|---|---|---|---|"]
    for c in COLUMNS:
        optional = "" if c.required else " (optional)"
        lines.append(f"| `{c.name}` | {c.dtype} | {c.unit} | {c.meaning}{optional} |")
    return "\n".join(lines)


@dataclass
class PersonArrays:
    """Persons in columnar form, sorted by household, with CSR offsets.

    Household ``i`` (id ``household_ids[i]``) has persons ``hh_start[i]:hh_start[i + 1]``.
    Codes are the module constants (``DISABILITY_*``, ``LABOUR_*``, ``SELF_CARE_*``, ``CARE_*``);
    money is yuan per month as float64 (``financial_assets`` is a stock in yuan). ``row`` gives,
    for each sorted person, the position of that person in the source table. Arrays may be
    updated in place between months (incomes, ages); the sort order and offsets may not.
    """

    household_ids: np.ndarray  # int64, one per household, ascending
    hh_start: np.ndarray  # int64, n_households + 1
    row: np.ndarray  # int64, position of each sorted person in the source table
    age: np.ndarray  # int16
    urban: np.ndarray  # bool
    disability: np.ndarray  # int8
    serious_illness: np.ndarray  # bool
    paralysed_months: np.ndarray  # int16
    rare_disease: np.ndarray  # bool
    labour_ability: np.ndarray  # int8
    self_care: np.ndarray  # int8
    earned_income: np.ndarray  # float64
    basic_pension: np.ndarray  # float64
    other_income: np.ndarray  # float64
    rigid_expenditure: np.ndarray  # float64
    registered_unemployed: np.ndarray  # bool
    has_supporter: np.ndarray  # bool
    financial_assets: np.ndarray  # float64
    care_wish: np.ndarray  # int8
    township: np.ndarray | None = None  # int32
    village: np.ndarray | None = None  # int32
    earned_imputed: np.ndarray | None = None  # bool

    @property
    def n_households(self) -> int:
        """Number of households."""
        return int(self.household_ids.shape[0])

    @property
    def n_persons(self) -> int:
        """Number of persons."""
        return int(self.age.shape[0])

    def household_size(self) -> np.ndarray:
        """Persons per household (int64)."""
        return np.diff(self.hh_start)

    def to_frame(self) -> pd.DataFrame:
        """The persons as a person table (labels for categories), in household order."""
        size = self.household_size()
        data: dict[str, np.ndarray] = {"household_id": np.repeat(self.household_ids, size)}
        for c in COLUMNS:
            if c.name == "household_id":
                continue
            values = getattr(self, c.name)
            if values is None:
                continue
            if c.kind == "category":
                data[c.name] = np.asarray(CATEGORIES[c.name], dtype=object)[values]
            else:
                data[c.name] = values
        return pd.DataFrame(data)


def _rows(df: pd.DataFrame, mask: np.ndarray) -> tuple[list, list]:
    """Index labels and values of offending rows (mask over positions)."""
    pos = np.flatnonzero(mask)
    return list(df.index[pos]), pos


def _fail(source: str, df: pd.DataFrame, column: str, problem: str, mask: np.ndarray) -> None:
    labels, pos = _rows(df, mask)
    values = list(df[column].iloc[pos[:10]]) if column in df.columns else []
    raise InputError(source, column, problem, labels, values)


def _numeric(source: str, df: pd.DataFrame, name: str) -> np.ndarray:
    """The column as float64 after checking it is numeric and has no NaN or infinity."""
    s = df[name]
    if s.dtype == bool:
        _fail(source, df, name, "expected numbers, got true/false", np.ones(len(s), dtype=bool))
    if not pd.api.types.is_numeric_dtype(s.dtype):
        bad = ~s.map(lambda v: isinstance(v, (int, float, np.integer, np.floating))
                     and not isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
        if bad.any():
            _fail(source, df, name, "expected numbers", bad)
    values = s.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = ~np.isfinite(values)
    if missing.any():
        _fail(source, df, name, "missing (NaN) or infinite value", missing)
    return values


def _integer(source: str, df: pd.DataFrame, name: str, low: int, high: int | None) -> np.ndarray:
    values = _numeric(source, df, name)
    frac = values != np.floor(values)
    if frac.any():
        _fail(source, df, name, "expected whole numbers", frac)
    bad = values < low
    if bad.any():
        _fail(source, df, name, f"negative or below {low}", bad)
    if high is not None:
        bad = values > high
        if bad.any():
            _fail(source, df, name, f"above {high}", bad)
    return values.astype(np.int64)


def _boolean(source: str, df: pd.DataFrame, name: str) -> np.ndarray:
    s = df[name]
    if s.dtype == bool:
        return s.to_numpy(dtype=bool)
    if str(s.dtype) == "boolean":  # pandas nullable booleans: NA is missing, not False
        na = s.isna().to_numpy()
        if na.any():
            _fail(source, df, name, "missing (NA) value", na)
        return s.to_numpy(dtype=bool)
    # 0/1 integers are accepted as booleans (CSV files); anything else is an error.
    ok = s.map(lambda v: (isinstance(v, (bool, np.bool_)))
               or (isinstance(v, (int, np.integer)) and v in (0, 1))).to_numpy(dtype=bool)
    if not ok.all():
        _fail(source, df, name, "expected true/false (or 0/1)", ~ok)
    return s.to_numpy().astype(bool)


def _category(source: str, df: pd.DataFrame, name: str) -> np.ndarray:
    labels = CATEGORIES[name]
    # Factorise (fast for Categorical and string columns), then map the few distinct values to
    # codes; anything that is not one of the labels (other text, NaN, numbers) becomes -1.
    uniques_codes, uniques = pd.factorize(df[name], use_na_sentinel=True)
    lookup = np.array([labels.index(u) if isinstance(u, str) and u in labels else -1
                       for u in uniques] + [-1], dtype=np.int64)
    codes = lookup[uniques_codes]  # sentinel -1 indexes the final -1
    bad = codes < 0
    if bad.any():
        _fail(source, df, name, f"unknown category (allowed: {', '.join(labels)})", bad)
    return codes


def validate_persons(df: pd.DataFrame, source: str = "persons") -> PersonArrays:
    """Check a person table and convert it to :class:`PersonArrays` (sorted by household).

    ``source`` names the table or file in error messages. Raises :class:`InputError` naming the
    column and the first offending rows for: a missing required column, NaN or infinite values,
    non-whole numbers in integer columns, negative money, age outside 0..120, an unknown
    category, non-boolean flags, or a household whose members differ in ``urban``.
    Extra columns are allowed and ignored.
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(source, "(table)", f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(source, missing[0], "missing column"
                         + (f" (also missing: {', '.join(missing[1:])})" if missing[1:] else ""))
    if len(df) == 0:
        raise InputError(source, "household_id", "the table has no rows")

    converted: dict[str, np.ndarray] = {}
    for c in COLUMNS:
        if c.name not in df.columns:
            continue
        if c.kind in ("id", "int", "months"):
            values = _integer(source, df, c.name, 0, None)
        elif c.kind == "age":
            values = _integer(source, df, c.name, 0, MAX_AGE)
        elif c.kind == "bool":
            values = _boolean(source, df, c.name)
        elif c.kind == "category":
            values = _category(source, df, c.name)
        else:  # money and stock
            values = _numeric(source, df, c.name)
            bad = values < 0
            if bad.any():
                _fail(source, df, c.name, "negative amount", bad)
        converted[c.name] = values.astype(c.dtype)

    order = np.argsort(converted["household_id"], kind="stable")
    hh_sorted = converted["household_id"][order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = hh_sorted[1:] != hh_sorted[:-1]
    starts = np.flatnonzero(first)
    hh_start = np.append(starts, len(order)).astype(np.int64)

    urban_sorted = converted["urban"][order]
    hh_index = np.cumsum(first) - 1
    urban_first = urban_sorted[starts][hh_index]
    mixed = urban_sorted != urban_first
    if mixed.any():
        mixed_ids = np.unique(hh_sorted[mixed])
        rows_mask = np.isin(converted["household_id"], mixed_ids)
        _fail(source, df, "urban",
              "members of one household differ in urban (household_id "
              + ", ".join(str(int(x)) for x in mixed_ids[:5]) + ")", rows_mask)

    arrays: dict[str, np.ndarray | None] = {
        name: np.ascontiguousarray(values[order]) for name, values in converted.items()
        if name != "household_id"
    }
    for optional in ("township", "village", "earned_imputed"):
        arrays.setdefault(optional, None)
    return PersonArrays(household_ids=hh_sorted[starts].copy(), hh_start=hh_start,
                        row=order.astype(np.int64), **arrays)


def read_persons(path: str | Path) -> pd.DataFrame:
    """Read a person table file (CSV in UTF-8, GBK/GB18030 or UTF-16, or Excel .xlsx) and check it.

    Reading goes through `simulation.loading.read_table` (a folder, a 0-byte file, a duplicated or
    blank column name, a row with more fields than the header, an unreadable encoding raise a
    `LoadError` with file and line); the table is then checked by :func:`validate_persons` with the
    file as source. Returns the table as read.
    """
    from simulation.loading import read_table

    table, _encoding = read_table(path, "person table")
    validate_persons(table, source=str(path))
    return table


def person_arrays_from_columns(columns: Mapping[str, np.ndarray]) -> PersonArrays:
    """Build :class:`PersonArrays` from already-coded columns (for the population generator).

    ``columns`` holds every field of :class:`PersonArrays` except ``hh_start``, ``row`` and
    ``household_ids``, plus ``household_id`` per person (codes already integers). The result is
    checked the same way as a person table.
    """
    frame = {}
    for f in fields(PersonArrays):
        if f.name in ("hh_start", "row", "household_ids"):
            continue
        if f.name in columns:
            values = columns[f.name]
            if f.name in CATEGORIES:
                values = np.asarray(CATEGORIES[f.name], dtype=object)[np.asarray(values)]
            frame[f.name] = values
    frame["household_id"] = columns["household_id"]
    return validate_persons(pd.DataFrame(frame), source="generated persons")
