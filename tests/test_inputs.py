"""Bad person tables and bad arguments raise InputError naming the column and the rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.errors import InputError
from simulation.population.columns import (
    COLUMNS,
    REQUIRED_COLUMNS,
    columns_markdown,
    validate_persons,
)
from simulation.rules.params import month_date, pack_params


def person(household_id: int, **overrides) -> dict:
    row = dict(household_id=household_id, age=40, urban=True, disability="none",
               serious_illness=False, paralysed_months=0, rare_disease=False,
               labour_ability="full", self_care="able", earned_income=500.0, basic_pension=0.0,
               other_income=0.0, rigid_expenditure=0.0, registered_unemployed=False,
               has_supporter=True, financial_assets=0.0, care_wish="dispersed")
    row.update(overrides)
    return row


def table(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), index=[f"p{i}" for i in range(len(rows))])


GOOD = [person(7), person(7, age=8, labour_ability="none"), person(3, urban=False)]


def test_valid_table_is_sorted_by_household_with_offsets():
    arrays = validate_persons(table(*GOOD))
    assert list(arrays.household_ids) == [3, 7]
    assert list(arrays.hh_start) == [0, 1, 3]
    assert list(arrays.row) == [2, 0, 1]  # positions in the source table
    assert list(arrays.age) == [40, 40, 8]
    assert arrays.labour_ability.dtype == np.int8 and list(arrays.labour_ability) == [0, 0, 2]
    assert arrays.earned_income.dtype == np.float64
    back = arrays.to_frame()
    assert list(back["labour_ability"]) == ["full", "full", "none"]


@pytest.mark.parametrize("column", REQUIRED_COLUMNS)
def test_missing_column_is_named(column):
    df = table(*GOOD).drop(columns=[column])
    with pytest.raises(InputError, match=f"column '{column}': missing column") as err:
        validate_persons(df, source="households.csv")
    assert "households.csv" in str(err.value)


@pytest.mark.parametrize("column", ["earned_income", "basic_pension", "other_income",
                                    "rigid_expenditure", "financial_assets"])
def test_nan_money_names_column_and_row(column):
    df = table(*GOOD)
    df.loc["p1", column] = np.nan
    with pytest.raises(InputError) as err:
        validate_persons(df)
    assert err.value.column == column
    assert err.value.rows == ["p1"]
    assert f"column '{column}'" in str(err.value) and "'p1'" in str(err.value)


@pytest.mark.parametrize("column", ["earned_income", "other_income", "financial_assets"])
def test_negative_money_names_column_rows_and_value(column):
    df = table(*GOOD)
    df.loc["p2", column] = -5.0
    with pytest.raises(InputError, match=f"column '{column}': negative amount") as err:
        validate_persons(df)
    assert err.value.rows == ["p2"] and err.value.values == [-5.0]
    assert "-5.0" in str(err.value)


def test_negative_age():
    df = table(*GOOD)
    df.loc["p0", "age"] = -1
    with pytest.raises(InputError, match="column 'age': negative") as err:
        validate_persons(df)
    assert err.value.rows == ["p0"]


def test_age_above_120_and_fractional_age():
    df = table(*GOOD)
    df.loc["p0", "age"] = 121
    with pytest.raises(InputError, match="column 'age': above 120"):
        validate_persons(df)
    df = table(*GOOD)
    df["age"] = df["age"].astype(float)
    df.loc["p1", "age"] = 8.5
    with pytest.raises(InputError, match="column 'age': expected whole numbers") as err:
        validate_persons(df)
    assert err.value.rows == ["p1"]


def test_nan_age():
    df = table(*GOOD)
    df["age"] = df["age"].astype(float)
    df.loc["p2", "age"] = np.nan
    with pytest.raises(InputError, match="column 'age': missing"):
        validate_persons(df)


@pytest.mark.parametrize("column,bad", [("disability", "grade2"), ("labour_ability", "some"),
                                        ("self_care", "Able"), ("care_wish", "home")])
def test_unknown_category_names_value(column, bad):
    df = table(*GOOD)
    df.loc["p1", column] = bad
    with pytest.raises(InputError, match=f"column '{column}': unknown category") as err:
        validate_persons(df)
    assert err.value.values == [bad] and err.value.rows == ["p1"]


def test_categorical_dtype_accepted_and_missing_category_rejected():
    df = table(*GOOD)
    df["disability"] = pd.Categorical(df["disability"], categories=["none", "mild", "severe"])
    assert list(validate_persons(df).disability) == [0, 0, 0]
    df.loc["p0", "disability"] = np.nan
    with pytest.raises(InputError, match="column 'disability': unknown category"):
        validate_persons(df)


def test_mixed_urban_in_household_names_household_and_rows():
    df = table(*GOOD)
    df.loc["p1", "urban"] = False  # p0 and p1 are household 7
    with pytest.raises(InputError, match="column 'urban': members of one household differ") as err:
        validate_persons(df)
    assert "household_id 7" in str(err.value)
    assert err.value.rows == ["p0", "p1"]


def test_boolean_column_rejects_text_and_accepts_0_1():
    df = table(*GOOD)
    df["serious_illness"] = [0, 1, 0]
    assert list(validate_persons(df).serious_illness) == [False, False, True]  # sorted: p2,p0,p1
    df["serious_illness"] = ["no", "yes", "no"]
    with pytest.raises(InputError, match="column 'serious_illness': expected true/false"):
        validate_persons(df)


def test_money_as_text_is_an_error_not_coerced():
    df = table(*GOOD)
    df["earned_income"] = ["500", 500.0, 1.0]
    with pytest.raises(InputError, match="column 'earned_income': expected numbers") as err:
        validate_persons(df)
    assert err.value.rows == ["p0"]


def test_negative_household_id_and_empty_table():
    df = table(*GOOD)
    df.loc["p2", "household_id"] = -3
    with pytest.raises(InputError, match="column 'household_id'"):
        validate_persons(df)
    with pytest.raises(InputError, match="no rows"):
        validate_persons(table(*GOOD).iloc[:0])


def test_many_offending_rows_are_summarised():
    df = pd.DataFrame([person(i, age=-1) for i in range(12)])
    with pytest.raises(InputError, match="and 7 more") as err:
        validate_persons(df)
    assert len(err.value.rows) == 12


def test_missing_parameter_and_bad_enum_are_named():
    with pytest.raises(InputError, match="column 'dibao.standard.urban': missing parameter"):
        pack_params({"dibao.standard.rule": "schedule"})
    with pytest.raises(InputError, match="dibao.standard.rule"):
        pack_params({"dibao.standard.rule": "guess"})


def test_bad_month():
    assert month_date("2024-06") == "2024-06-01"
    assert month_date("2024-06-15") == "2024-06-01"
    with pytest.raises(InputError, match="column 'month'"):
        month_date("2024-13")


def test_columns_markdown_lists_every_column():
    text = columns_markdown()
    for c in COLUMNS:
        assert f"`{c.name}`" in text


def test_person_arrays_from_coded_columns_round_trip():
    from simulation.population.columns import person_arrays_from_columns

    arrays = validate_persons(table(*GOOD))
    columns = {name: getattr(arrays, name) for name in (
        "age", "urban", "disability", "serious_illness", "paralysed_months", "rare_disease",
        "labour_ability", "self_care", "earned_income", "basic_pension", "other_income",
        "rigid_expenditure", "registered_unemployed", "has_supporter", "financial_assets",
        "care_wish")}
    columns["household_id"] = np.repeat(arrays.household_ids, arrays.household_size())
    again = person_arrays_from_columns(columns)
    np.testing.assert_array_equal(again.hh_start, arrays.hh_start)
    np.testing.assert_array_equal(again.labour_ability, arrays.labour_ability)
    columns["disability"] = np.array([0, 5, 0])  # code 5 does not exist
    with pytest.raises((InputError, IndexError)):
        person_arrays_from_columns(columns)


def test_examples_file_errors_name_file_household_and_key(tmp_path):
    from simulation.rules.examples import load_examples

    bad = tmp_path / "households.yaml"
    bad.write_text("households:\n  - {household_id: 1, urban: true, members: [{age: 30, income: 5}]}\n")
    with pytest.raises(InputError, match=r"households\[0\]\.members\[0\]\.income': unknown person column"):
        load_examples(bad)
    defaults = (Path(__file__).parent / "cases" / "defaults.yaml").read_text(encoding="utf-8")
    indented = "".join(f"  {line}\n" for line in defaults.splitlines() if not line.startswith("#"))
    bad.write_text("defaults:\n" + indented
                   + "households:\n  - {household_id: 1, urban: true, members: [{age: -2}]}\n")
    with pytest.raises(InputError, match="column 'age'.*households\\[0\\]\\.members\\[0\\]") as err:
        load_examples(bad)
    assert str(bad) in str(err.value)
