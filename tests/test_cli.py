"""Command line: assess, bad scenario files, export-excel and compare on stored results."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from scenarios.fixtures import outputs, policies, scenario

from simulation.cli import main
from simulation.scenarios.excel import SHEETS
from simulation.scenarios.results import write_results
from simulation.scenarios.runner import assemble

BAD = Path(__file__).parent / "scenarios"


def test_assess_prints_the_example_households(capsys):
    assert main(["assess", "--locality", "qijiang", "--month", "2025-01"]) == 0
    out = capsys.readouterr().out
    assert "qijiang" in out and "DIBAO_GAP" in out and "yuan/month" in out


@pytest.mark.parametrize(("file", "field"), [("negative_horizon.yaml", "months"),
                                             ("unknown_locality.yaml", "locality"),
                                             ("missing_cap_base.yaml", "services.cap_base")])
def test_run_with_a_bad_file_exits_2_naming_file_and_field(capsys, tmp_path, file, field):
    assert main(["run", str(BAD / file), "--output", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(BAD / file) in err and f"field '{field}'" in err
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    res = assemble(scenario(), outputs(), policies())
    a = write_results(root, "a", res.tables, res.manifest)
    b = write_results(root, "b", res.tables, res.manifest)
    return a, b


def test_export_excel_from_a_stored_result(capsys, tmp_path, stored):
    out = tmp_path / "bureau.xlsx"
    assert main(["export-excel", str(stored[0]), "-o", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    assert openpyxl.load_workbook(out).sheetnames[0] == SHEETS["summary"]


def test_export_excel_of_a_folder_that_is_not_a_result(capsys, tmp_path):
    assert main(["export-excel", str(tmp_path)]) == 2
    assert "manifest.json" in capsys.readouterr().err


def test_compare_prints_costs_side_by_side(capsys, stored):
    assert main(["compare", str(stored[0]), str(stored[1])]) == 0
    out = capsys.readouterr().out
    assert "1. test:a" in out and "2. test:b" in out and "2026" in out and "minus 1. test:a baseline, paired" in out


def test_run_falls_back_to_assess_without_the_engine(monkeypatch, capsys):
    import simulation.engine

    monkeypatch.delattr(simulation.engine, "run")
    assert main(["run"]) == 0
    captured = capsys.readouterr()
    assert "falling back to `assess`" in captured.err and "DIBAO_GAP" in captured.out
