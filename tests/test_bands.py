"""Bands over replications that resample the population as well as the engine draws."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.population import generate, load_profile
from simulation.scenarios import runner
from simulation.scenarios import summary as S
from simulation.scenarios.executors import make_executor
from simulation.scenarios.scenario import load_scenario


def test_each_replication_draws_its_own_population_shared_by_its_variants(monkeypatch):
    seen: list[int] = []
    real = runner._population
    engine_seeds: list[int] = []
    import simulation.engine as engine

    real_run = engine.run

    def spy_population(locality, households, seed):
        seen.append(seed)
        return real(locality, households, seed)

    def spy_run(*args, seed, **kw):
        engine_seeds.append(seed)
        return real_run(*args, seed=seed, **kw)

    monkeypatch.setattr(runner, "_population", spy_population)
    monkeypatch.setattr(engine, "run", spy_run)
    sc = load_scenario().with_changes(households=300, months=2, replications=3, coverage_gaps=False)
    with make_executor("serial") as ex:
        result = runner.run_scenario(sc, executor=ex, write=False)
    # the engine runs (one per task, in task order): population and engine seed both move with r
    tasks = runner.tasks_for(sc)
    task_seeds = seen[: len(tasks)]
    assert task_seeds == [sc.population_seed + t.replication for t in tasks]
    # (on a fresh install the kernels are first compiled by one warm-up run: it comes first)
    assert engine_seeds[-len(tasks):] == [sc.seed + t.replication for t in tasks]
    assert len(engine_seeds) in (len(tasks), len(tasks) + 1)
    # the three populations really differ (the band covers the population's sampling error)
    incomes = [generate(load_profile("qijiang"), 300, seed=sc.population_seed + r).persons["earned_income"].sum()
               for r in range(3)]
    assert len(set(np.round(incomes, 2))) == 3
    assert (result.tables["headline"]["replications"] == 3).all()


def test_monte_carlo_error_of_a_quantile_shrinks_with_replications():
    rng = np.random.default_rng(5)
    few, many = rng.normal(0, 1, 10), rng.normal(0, 1, 160)
    assert S.quantile_error(many, 0.9) < S.quantile_error(few, 0.9)
    assert np.isnan(S.quantile_error(np.array([1.0]), 0.1))
    # reproducible: the same replications give the same error
    assert S.quantile_error(few, 0.1) == S.quantile_error(few, 0.1)


def test_default_scenario_replications_match_the_documented_choice():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    reps = load_scenario().replications
    assert f"replications: {reps}" in readme or f"{reps} replications" in readme
    assert reps >= 20, "fewer replications leave the P10/P90 band's Monte Carlo error above a quarter of its width"


@pytest.mark.parametrize("value", ["cost", "extra"])
def test_headline_band_is_ordered(value):
    totals = S.replication_totals(_cost_year(), "baseline")
    head = S.headline(totals)
    assert (head[f"{value}_p10"] <= head[f"{value}_p50"]).all() and (head[f"{value}_p50"] <= head[f"{value}_p90"]).all()


def _cost_year():
    import pandas as pd

    rng = np.random.default_rng(1)
    rows = [{"variant": v, "replication": r, "locality": "x", "year": y, "component": "dibao",
             "cost": 1e7 * (1 + 0.05 * (v == "reform")) + rng.normal(0, 1e5)}
            for r in range(8) for v in ("baseline", "reform") for y in (2025, 2026)]
    return pd.DataFrame(rows)
