"""Progress on long steps (calibration, first compile) and calibration writing only with --write."""

from __future__ import annotations

import io
import types

import pytest
from tqdm import tqdm

import simulation.population.calibrate as pcal
from simulation.population.calibrate import FitResult
from simulation.reporting.progress import clock, count_calls
from simulation.scenarios import executors


def test_count_calls_ticks_per_call_and_restores_the_function_on_error():
    owner = types.SimpleNamespace(work=lambda x: x * 2)
    original = owner.work
    bar = tqdm(file=io.StringIO())
    with pytest.raises(RuntimeError), count_calls(owner, "work", bar):
        assert owner.work(2) == 4 and owner.work(3) == 6
        raise RuntimeError("fit failed")
    assert bar.n == 2 and owner.work is original


def test_clock_shows_the_step_name(capsys):
    with clock("compiling the simulation kernels, once"):
        pass
    assert "compiling the simulation kernels, once: 00:00" in capsys.readouterr().err


def _fake_fit(calls: list) -> FitResult:
    def calibrate(locality, n, seed):
        calls.append(locality)
        return FitResult(values={"take_up": 0.5}, simulated={"t": 1.0}, targets={"t": 1.0}, evaluations=3,
                         message="fake fit", report=pcal.report_table({"t": 1.0}, {"t": 1.0}, {}))
    return calibrate


@pytest.mark.parametrize(("argv", "writes"), [(["qijiang"], 0), (["qijiang", "--write"], 1)])
def test_population_calibration_writes_the_tracked_file_only_with_write(monkeypatch, capsys, tmp_path, argv, writes):
    calls, written = [], []
    monkeypatch.setattr(pcal, "calibrate", _fake_fit(calls))
    monkeypatch.setattr(pcal, "write_calibration", lambda path, block: written.append(path))
    monkeypatch.setattr(pcal, "RESULTS_DIR", tmp_path)
    assert pcal.main([*argv, "--n-households", "100"]) == 0
    assert calls == ["qijiang"] and len(written) == writes
    out = capsys.readouterr().out
    assert ("written to" in out) == bool(writes) and ("add --write" in out) == (not writes)


def test_python_m_simulation_calibrate_passes_write_through(monkeypatch, tmp_path):
    from simulation.cli import main

    written = []
    monkeypatch.setattr(pcal, "calibrate", _fake_fit([]))
    monkeypatch.setattr(pcal, "write_calibration", lambda path, block: written.append(path))
    monkeypatch.setattr(pcal, "RESULTS_DIR", tmp_path)
    assert main(["calibrate", "qijiang", "--n-households", "100"]) == 0 and written == []
    assert main(["calibrate", "qijiang", "--n-households", "100", "--write"]) == 0 and len(written) == 1


def test_population_check_shows_a_bar_of_model_evaluations(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(pcal, "RESULTS_DIR", tmp_path)
    pcal.main(["jiaohe", "--check"])
    err = capsys.readouterr().err
    assert "jiaohe (1/1): model evaluations" in err and "1eval" in err.replace(" ", "")


def test_engine_calibration_check_shows_a_bar_of_engine_runs(capsys):
    import simulation.engine.calibrate as ecal

    ecal.main(["jiaohe", "--check", "--households", "200", "--seeds", "1", "--burn-in", "1", "--horizon", "2"])
    err = capsys.readouterr().err
    assert "jiaohe (1/1): engine runs" in err and "1/1" in err


def test_first_compile_is_announced_and_done_once(monkeypatch, capsys):
    import simulation.engine as engine

    runs = []
    monkeypatch.setattr(engine, "run", lambda *a, **k: runs.append(k["months"]))
    monkeypatch.setattr(executors, "kernels_cached", lambda: False)
    assert executors.warm_kernels("qijiang", "2025-01") is True
    assert runs == [13] and "compiling the simulation kernels, once" in capsys.readouterr().err
    monkeypatch.setattr(executors, "kernels_cached", lambda: True)
    assert executors.warm_kernels("qijiang", "2025-01") is False and runs == [13]
