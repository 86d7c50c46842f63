"""Every notebook runs on a small population and fails on any cell error; notebooks are stripped.

The notebooks read ``SIM_SMOKE_N`` (households), ``SIM_SMOKE_MONTHS`` and ``SIM_SMOKE_REPLICATIONS``
in their ``parameters`` cell; the kernel inherits them from this process. The kernel is the
``python3`` kernelspec, which jupyter_client starts with this interpreter (the venv's).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from simulation.scenarios.results import read_results
from simulation.scenarios.summary import band_text

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = ["01_quick_start", "02_finance_bureau", "03_explorer", "04_services_cap", "05_staffing",
            "06_checking_the_model"]
SMOKE_ENV = {"SIM_SMOKE_N": "2000", "SIM_SMOKE_MONTHS": "12", "SIM_SMOKE_REPLICATIONS": "3",
             "SIM_EXECUTOR": "serial"}
NBSTRIPOUT = Path(sys.executable).with_name("nbstripout")


@pytest.fixture(autouse=True)
def venv_kernel_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Look up the ``python3`` kernelspec in this environment before any user-level one (a
    ~/.local kernelspec pointing at another Python would otherwise win)."""
    monkeypatch.setenv("JUPYTER_PATH", str(Path(sys.prefix) / "share" / "jupyter"))


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 600) -> nbformat.NotebookNode:
    """Run every cell in the python3 kernel; nbclient raises CellExecutionError on the first error.

    The kernel talks over Unix sockets in ``cwd`` (``transport="ipc"``), not TCP. Notebook 05's run
    hung until the timeout twice in full test runs (the kernel idle, the client waiting), never
    when run alone; over TCP jupyter_client picks free ports by binding and releasing them, a race
    with the run's other processes that is a known cause of such hangs and that sockets avoid."""
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(cwd / "kernel"))
    client = NotebookClient(nb, km=km, kernel_name="python3", timeout=timeout,
                            resources={"metadata": {"path": str(cwd)}})
    try:
        return client.execute()
    finally:  # a kernel manager handed to nbclient is not shut down by it
        if km.has_kernel:
            km.shutdown_kernel(now=True)


def test_the_six_notebooks_are_there() -> None:
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


def test_kernel_is_this_interpreter(tmp_path: Path) -> None:
    """The python3 kernel runs in the same environment as pytest (the venv)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import sys; print(sys.prefix)")]
    out = execute(nb, tmp_path, timeout=120)
    assert out.cells[0].outputs[0]["text"].strip() == sys.prefix


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stripped_with_a_parameters_cell(path: Path) -> None:
    result = subprocess.run([str(NBSTRIPOUT), "--verify", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, f"{path.name} has outputs; run: .venv/bin/nbstripout {path}"
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    assert "SIM_SMOKE_N" in tagged[0].source
    # no model logic in a notebook: functions and classes live in the package
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert "\ndef " not in f"\n{cell.source}" and "\nclass " not in f"\n{cell.source}", path.name


def test_stripped_check_fails_on_a_notebook_with_outputs(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x\n")]
    dirty = tmp_path / "dirty.ipynb"
    nbformat.write(nb, dirty)
    result = subprocess.run([str(NBSTRIPOUT), "--verify", str(dirty)], capture_output=True)
    assert result.returncode == 1


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_a_small_population(path: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in SMOKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SIM_OUTPUT_DIR", str(tmp_path))
    nb = nbformat.read(path, as_version=4)
    executed = execute(nb, tmp_path)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, json.dumps(errors[0], ensure_ascii=False)[:2000]
    # every notebook shows something: at least one image or table
    shown = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
             if o.get("output_type") in ("display_data", "execute_result")]
    assert shown, f"{path.name} displayed nothing"
    if path.stem == "02_finance_bureau":
        assert list(tmp_path.rglob("*.xlsx")), "the finance notebook ends by writing the Excel workbook"
        # the notebook shows the run's own extra-cost figure (the headline table), in text and table
        stored = read_results(next(p.parent for p in tmp_path.rglob("manifest.json")))
        head = stored.tables["headline"]
        whole = head[(head["variant"] != "baseline") & (head["period"] == head["period"].iloc[-1])].iloc[0]
        text = band_text(whole["extra_p50"], whole["extra_p10"], whole["extra_p90"])
        shown_text = json.dumps([o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])],
                                ensure_ascii=False)
        assert shown_text.count(text) >= 2, text  # the printed summary and the extra-cost table


@pytest.mark.slow
def test_quick_start_in_english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The English option end to end: the same notebook with SIM_LANG=en."""
    for key, value in {**SMOKE_ENV, "SIM_LANG": "en"}.items():
        monkeypatch.setenv(key, value)
    executed = execute(nbformat.read(NOTEBOOK_DIR / "01_quick_start.ipynb", as_version=4), tmp_path)
    images = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert len(images) == 2
