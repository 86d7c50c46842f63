"""Issue 15: every crash class of the fuzzer as a fixed regression input (tests/corpus/), the
loading layer's guards, and the command line's answers to bad arguments and Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from simulation.admin.parameters import load_admin_parameters
from simulation.cli import main
from simulation.engine.behaviour import load_behaviour_file
from simulation.errors import LoadError, MissingFileError
from simulation.policy import load_policy
from simulation.policy.loader import DEFAULT_DATA_DIR
from simulation.population.columns import read_persons
from simulation.population.profiles import load_profile
from simulation.scenarios.results import read_results, write_results
from simulation.scenarios.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).parent / "corpus"
YAML_CASES = sorted(p.name for p in (CORPUS / "yaml").iterdir())
#: The kind each broken YAML file must be reported as.
YAML_KIND = {
    "gbk.yaml": "encoding", "utf16_bom.yaml": "encoding", "stray_ff.yaml": "encoding",
    "random_bytes.yaml": "encoding", "tab_indent.yaml": "syntax", "truncated_line.yaml": "syntax",
    "unclosed_flow.yaml": "syntax", "undefined_alias.yaml": "syntax", "python_tag.yaml": "tag",
    "billion_laughs.yaml": "alias", "recursive_alias.yaml": "alias", "empty.yaml": "empty",
    "comment_only.yaml": "empty", "list_document.yaml": "type", "number_document.yaml": "type",
    "string_document.yaml": "type", "duplicate_key.yaml": "syntax", "two_documents.yaml": "syntax",
    "deep_nesting.yaml": "syntax",
}


def _policy_file(path: Path, tmp: Path) -> None:
    shutil.copy(DEFAULT_DATA_DIR / "national.yaml", tmp / "national.yaml")
    shutil.copy(path, tmp / "corpus.yaml")
    load_policy("corpus", data_dir=tmp)


#: Every loader of a user YAML file, called on a path.
YAML_LOADERS: dict[str, Callable[[Path, Path], object]] = {
    "policy": _policy_file,
    "reform": lambda p, _t: load_policy("qijiang", reforms=[p]),
    "profile": lambda p, _t: load_profile(p),
    "scenario": lambda p, _t: load_scenario(p),
    "behaviour": lambda p, _t: load_behaviour_file(p),
    "admin": lambda p, _t: load_admin_parameters(p),
}


def test_every_yaml_case_has_an_expected_kind() -> None:
    assert sorted(YAML_KIND) == YAML_CASES


@pytest.mark.parametrize("loader", sorted(YAML_LOADERS))
@pytest.mark.parametrize("case", YAML_CASES)
def test_broken_yaml_is_a_load_error_with_file_and_place(loader: str, case: str, tmp_path: Path) -> None:
    path = CORPUS / "yaml" / case
    start = time.perf_counter()
    with pytest.raises(LoadError) as err:
        YAML_LOADERS[loader](path, tmp_path)
    assert time.perf_counter() - start < 2.0  # the billion laughs are refused, not expanded
    exc = err.value
    assert exc.kind == YAML_KIND[case], exc
    assert any(p[0].endswith(("corpus.yaml", case)) for p in exc.problems), exc
    if exc.kind in ("encoding", "syntax", "tag", "alias"):
        assert exc.location.startswith("line "), exc
    assert len(exc.short().splitlines()) <= 7


@pytest.mark.parametrize(("case", "location"), [
    ("zero_bytes.csv", "-"), ("header_only.csv", "column 'household_id'"),
    ("extra_fields.csv", "line 4"), ("extra_fields_first_row.csv", "line 2"),
    ("duplicated_column.csv", "header (line 1), columns 1 and 2"),
    ("random_bytes.csv", "line 1, column 3"), ("old_excel.xls", "-")])
def test_broken_person_tables_name_file_and_place(case: str, location: str) -> None:
    with pytest.raises(LoadError) as err:
        read_persons(CORPUS / "persons" / case)
    assert err.value.source == str(CORPUS / "persons" / case)
    assert err.value.location.startswith(location), err.value


def test_a_folder_or_a_missing_file_instead_of_a_person_table(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="is a folder; expected a person table file"):
        read_persons(tmp_path)
    with pytest.raises(MissingFileError, match="No such file"):  # also a FileNotFoundError
        read_persons(tmp_path / "nope.csv")


@pytest.mark.parametrize("case", ["valid_gbk.csv", "valid_utf16_tab.csv"])
def test_person_tables_from_chinese_windows_are_read(case: str) -> None:
    from simulation.rules import example_persons

    table = read_persons(CORPUS / "persons" / case)
    expected = example_persons().reset_index(drop=True)
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


def test_an_xlsx_person_table_is_read(tmp_path: Path) -> None:
    from simulation.rules import example_persons

    example_persons().to_excel(tmp_path / "p.xlsx", index=False)
    expected = example_persons().reset_index(drop=True)
    pd.testing.assert_frame_equal(read_persons(tmp_path / "p.xlsx"), expected, check_dtype=False)


@pytest.mark.parametrize(("case", "location"), [
    ("empty_manifest", "-"), ("truncated_manifest", "line 1, column 13"),
    ("binary_manifest", "line 2, column 118"), ("list_manifest", "(top level)"),
    ("tables_not_a_list", "tables"), ("missing_table", "manifest.json tables"), ("no_manifest", "manifest.json"),
    ("table_not_in_manifest", "manifest.json tables"), ("rows_differ_from_manifest", "rows"),
    ("damaged_table", "-")])
def test_broken_results_folders_name_folder_and_place(case: str, location: str) -> None:
    with pytest.raises(LoadError) as err:
        read_results(CORPUS / "results_folders" / case)
    assert str(CORPUS / "results_folders" / case) in err.value.source
    assert err.value.location == location, err.value


def test_results_record_their_tables_and_a_changed_table_is_refused(tmp_path: Path) -> None:
    tables = {"t": pd.DataFrame({"a": [1, 2]}), "u": pd.DataFrame({"b": [1.0]})}
    run = write_results(tmp_path, "r", tables, {"n": 1})
    assert read_results(run).manifest["table_files"]["t"]["rows"] == 2
    pd.DataFrame({"a": [1, 2, 3]}).to_parquet(run / "t.parquet", index=False)
    with pytest.raises(LoadError, match="differ from the manifest"):
        read_results(run)
    with pytest.raises(LoadError, match="needed but the run has none"):
        read_results(write_results(tmp_path, "s", tables, {}), require=["cost_total_bands"])


def test_admin_parameters_without_allocation_years() -> None:
    with pytest.raises(LoadError, match="central_allocation.*at least one year"):
        load_admin_parameters(CORPUS / "admin" / "no_allocation_years.yaml")


@pytest.mark.parametrize("reforms", [5, 2.5, True, object()])
def test_load_policy_with_a_reform_that_is_not_a_list(reforms: object) -> None:
    with pytest.raises(LoadError, match="reform"):
        load_policy("qijiang", reforms=reforms)  # type: ignore[arg-type]


def test_load_errors_cross_process_boundaries() -> None:
    import pickle

    from simulation.admin.parameters import AdminParameterError
    from simulation.errors import InputError
    from simulation.scenarios.scenario import ScenarioError

    for exc in (ScenarioError([("f", "months", 0, "bad")], kind="value"),
                AdminParameterError("f", "x", 1, "bad"), InputError("f", "age", "neg", [3], [-1]),
                MissingFileError([("f", "-", None, "gone")])):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc) and back.problems == exc.problems


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "says"), [
    (["run", "nowhere.yaml"], "nowhere.yaml: cannot read the scenario file"),
    (["run", "--households", "0"], "--households: must be a whole number > 0"),
    (["run", "--replications", "0"], "--replications: must be a whole number > 0"),
    (["run", "--months", "0"], "--months: must be a whole number > 0"),
    (["run", "--months", "x"], "--months: expected a whole number > 0"),
    (["assess", "--locality", "atlantis", "--month", "2025-01"], "'atlantis': no policy file"),
    (["assess", "--locality", "qijiang", "--month", "2025-13"], "expected a month YYYY-MM"),
    (["assess", "--locality", "qijiang", "--month", "2025-01", "--persons",
      str(CORPUS / "persons" / "extra_fields.csv")], "line 4: a row with 18 fields"),
    (["compare", str(CORPUS / "results_folders" / "truncated_manifest")], "not valid JSON"),
    (["export-excel", str(CORPUS / "results_folders" / "missing_table")], "needed but the run has none"),
    (["compare", str(CORPUS / "results_folders" / "missing_table")], "table listed in the manifest is missing"),
    (["run", str(CORPUS / "yaml" / "billion_laughs.yaml")], "billion laughs"),
])
def test_bad_arguments_get_a_short_error_and_exit_2(capsys, args: list[str], says: str) -> None:
    with pytest.raises(SystemExit) as stop:
        raise SystemExit(main(args))
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert err.startswith("error: ") and len(err.strip().splitlines()) <= 3, err


def test_debug_shows_the_traceback(capsys) -> None:
    assert main(["--debug", "run", "nowhere.yaml"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_an_unwritable_output_folder_is_refused_before_the_run(capsys, tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    start = time.perf_counter()
    assert main(["run", "--output", str(blocker / "results")]) == 2
    assert time.perf_counter() - start < 30  # refused before the engine runs
    err = capsys.readouterr().err
    assert "cannot write the results folder here" in err and str(blocker) in err


def _small_run(output: Path) -> list[str]:
    return ["run", "--households", "150", "--months", "2", "--replications", "1", "--executor",
            "serial", "--no-progress", "--output", str(output)]


def test_ctrl_c_while_writing_leaves_no_results_folder(monkeypatch, capsys, tmp_path: Path) -> None:
    calls = []
    original = pd.DataFrame.to_parquet

    def interrupted(self: pd.DataFrame, *args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 3:  # part of the tables written
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", interrupted)
    assert main(_small_run(tmp_path)) == 130
    assert "interrupted (Ctrl-C)" in capsys.readouterr().err
    assert len(calls) == 3 and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_real_sigint_during_the_write_leaves_no_results_folder(tmp_path: Path) -> None:
    """SIGINT from outside, delivered while the results are being written (the last moment)."""
    script = f"""
import sys, time
import pandas as pd
original = pd.DataFrame.to_parquet
calls = []
def slow(self, *a, **k):
    calls.append(1)
    if len(calls) == 3:
        print("WRITING", file=sys.stderr, flush=True)
        time.sleep(60)
    return original(self, *a, **k)
pd.DataFrame.to_parquet = slow
from simulation.cli import main
sys.exit(main({_small_run(tmp_path)!r}))
"""
    # the child starts with SIGINT at its default action: an earlier test of the suite (a
    # process pool or Dask cluster) can leave it ignored in pytest, and an ignored SIGINT is
    # inherited, so Python in the child would never raise KeyboardInterrupt
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr is not None
    for line in proc.stderr:
        if "WRITING" in line:
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, rest
    assert "interrupted (Ctrl-C)" in rest and "Traceback" not in rest
    assert list(tmp_path.iterdir()) == []
