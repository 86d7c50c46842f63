"""End to end on the real engine with small populations: a scenario run, common random numbers,
the same results serially, on local processes and on a Dask LocalCluster, atomic results, CLI."""

from __future__ import annotations

import os

import openpyxl
import pandas as pd
import pytest
import yaml

from simulation.cli import main
from simulation.scenarios import runner
from simulation.scenarios.executors import make_executor
from simulation.scenarios.results import list_results, read_results
from simulation.scenarios.scenario import parse_scenario

DOC = {
    "name": "small", "locality": "qijiang", "population": {"households": 400, "seed": 3},
    "start": "2025-01", "months": 12, "seed": 5, "replications": 2,
    "reforms": [{"name": "plus5", "changes": {
        "dibao.standard.urban": {"from": "2025-01-01", "scale": 1.05},
        "dibao.standard.rural": {"from": "2025-01-01", "scale": 1.05}}}],
    "services": {"cap_base": "estimate"}, "executor": {"kind": "serial"}, "coverage": {"gaps": True},
}


@pytest.fixture(scope="module")
def small():
    return parse_scenario(DOC, "small.yaml")


@pytest.fixture(scope="module")
def serial(small, tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return runner.run_scenario(small, executor=make_executor("serial"), output=root)


def test_run_writes_tables_and_a_traceable_manifest(serial):
    stored = read_results(serial.path)
    m = stored.manifest
    assert m["seed"] == 5 and m["population"] == {"households": 400, "seed": 3}
    assert {h[0] for h in m["policy_hashes"]} == {"baseline", "plus5"}
    assert len({h[2] for h in m["policy_hashes"]}) == 2 and m["package_version"]
    # the manifest holds the scenario as it ran: it parses back to the same scenario
    assert parse_scenario(m["scenario_doc"], "small.yaml") == serial.scenario
    from simulation.scenarios.scenario import load_scenario

    rerun = load_scenario(serial.path)  # a results folder re-runs its own scenario
    assert rerun.with_changes(source="small.yaml") == serial.scenario
    cy = stored.tables["cost_year_component"]
    assert {"dibao.gap", "tekun.basic", "staff", "purchased_services"} <= set(cy["component"])
    # components add up to the engine's payments
    monthly = stored.tables["monthly"]
    prog = cy[~cy["component"].isin([*runner.OFFICE_COMPONENTS, "purchased_services"])]["cost"].sum()
    assert prog == pytest.approx(monthly["payment"].sum(), rel=1e-9)
    cap = stored.tables["services_cap"]
    assert cap["cap_base_is_estimate"].all() and cap["cap_base_label"].str.startswith("ESTIMATE").all()


def test_reform_costs_more_with_the_same_draws(serial):
    t = serial.tables
    diff = t["difference_year_bands"]
    assert (diff["p10"] > 0).all()  # a higher standard costs more in every replication
    monthly = t["monthly"]
    deaths = monthly.groupby(["variant", "replication", "month"])["deaths"].sum().unstack("variant")
    # common random numbers: deaths do not depend on the policy
    assert deaths["baseline"].to_numpy() == pytest.approx(deaths["plus5"].to_numpy())
    cpy = t["cost_per_yuan"]
    assert (cpy["cost_per_yuan_of_standard"] > 0).all()


def test_dask_local_cluster_and_processes_give_the_serial_results(small, serial, tmp_path):
    tasks = runner.tasks_for(small)
    with make_executor("dask", workers=2) as ex:
        dask_out = ex.map(runner.run_task, tasks)
        # the workers share the CPUs: numba's threads left to the OS (engine/threads.py)
        assert set(ex.client.run(os.getenv, "SIMULATION_PIN_THREADS").values()) == {"0"}
    with make_executor("process", workers=2) as ex:
        proc_out = ex.map(runner.run_task, tasks)
        assert ex._pool.submit(os.getenv, "SIMULATION_PIN_THREADS").result() == "0"
    # the assembled table names the townships (runner.assemble); the runs' own tables have the index
    serial_monthly = serial.tables["monthly"].drop(columns="township_name")
    for outs in (dask_out, proc_out):
        merged = pd.concat([o.monthly for o in outs], ignore_index=True)
        pd.testing.assert_frame_equal(merged, serial_monthly)


def test_a_failed_run_leaves_earlier_results_untouched(small, serial, monkeypatch):
    root = serial.path.parent
    before = sorted(p.name for p in root.iterdir())
    calls = {"n": 0}
    real = runner.run_task

    def failing(task):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker died")
        return real(task)

    monkeypatch.setattr(runner, "run_task", failing)
    with pytest.raises(RuntimeError, match="worker died"):
        runner.run_scenario(small, executor=make_executor("serial"), output=root)
    assert sorted(p.name for p in root.iterdir()) == before
    assert list_results(root) == [serial.path]


def test_cli_run_prints_a_summary_and_writes_excel(tmp_path, capsys):
    file = tmp_path / "s.yaml"
    file.write_text(yaml.safe_dump({**DOC, "replications": 1}), encoding="utf-8")
    xlsx = tmp_path / "out.xlsx"
    code = main(["run", str(file), "--households", "300", "--months", "6", "--output",
                 str(tmp_path / "res"), "--excel", str(xlsx), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Extra cost: reform minus baseline" in out and "Purchased services vs the 2% cap" in out
    assert "ESTIMATE" in out and "ratio 2.0‰" in out
    [run_dir] = list_results(tmp_path / "res")
    assert read_results(run_dir).manifest["months"] == 6
    wb = openpyxl.load_workbook(xlsx)
    assert all(len(n) <= 31 for n in wb.sheetnames) and wb.sheetnames[0] == "答复 Answer"
    assert "分配 Distribution" in wb.sheetnames and len(wb.sheetnames) == 10
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]


def test_gains_and_losses_of_a_standard_increase(serial):
    gl = serial.tables["gains_losses"].set_index(["group", "side"])
    assert gl.loc[("all", "gain"), "households"] > 0 and gl.loc[("all", "loss"), "households"] == 0
    for group in ("elderly", "children", "disabled"):
        assert 0 <= gl.loc[(group, "gain"), "households"] <= gl.loc[("all", "gain"), "households"]
    assert gl.loc[("all", "gain"), "mean_change"] > 0


def test_an_existing_dask_cluster_by_address(small, serial):
    from dask.distributed import LocalCluster

    tasks = runner.tasks_for(small)[:2]
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        with make_executor("dask", address=cluster.scheduler_address) as ex:
            out = ex.map(runner.run_task, tasks)
        assert cluster.status.name == "running"  # the executor leaves a cluster it did not start
    merged = pd.concat([o.monthly for o in out], ignore_index=True)
    expected = serial.tables["monthly"].drop(columns="township_name")
    expected = expected[(expected["replication"] == 0)].reset_index(drop=True)
    pd.testing.assert_frame_equal(merged, expected)


def test_a_sharded_run_merges_localities(tmp_path):
    doc = {**DOC, "replications": 1, "months": 6, "population": {"households": 200, "seed": 3},
           "reforms": [], "services": {"cap_base": {2025: 100_000_000}}, "coverage": {"gaps": False}}
    doc.pop("locality")
    both = parse_scenario({**doc, "localities": ["qijiang", "jiaohe"]}, "both.yaml")
    alone = parse_scenario({**doc, "locality": "jiaohe"}, "alone.yaml")
    with make_executor("serial") as ex:
        merged = runner.run_scenario(both, executor=ex, write=False)
        single = runner.run_scenario(alone, executor=ex, write=False)
    m = merged.tables["cost_year_component"]
    assert set(m["locality"]) == {"qijiang", "jiaohe"}
    j = m[m["locality"] == "jiaohe"].reset_index(drop=True)
    s = single.tables["cost_year_component"]
    # the jiaohe shard is the jiaohe run, every component
    pd.testing.assert_frame_equal(j, s)
    total = merged.tables["cost_total_bands"]["mean"].sum()
    assert total == pytest.approx(m["cost"].sum())
    # the scenario's cap base is shared among the shards by their recipients
    cap = merged.tables["services_cap"]
    assert cap["cap_base"].sum() == pytest.approx(100_000_000)
    assert (cap["cap_base"] > 0).all() and cap["cap_base_label"].str.contains("share").all()


def test_coverage_gaps_by_group(serial):
    g = serial.tables["coverage_gaps_month"]
    assert set(g["category"]) <= set(runner.GAP_CATEGORIES.values())
    assert "eligible_not_applied" in set(g["category"])
    wide = g.pivot_table(index=["variant", "replication", "month", "category"], columns="group",
                         values="households", aggfunc="sum", fill_value=0.0)
    for group in ("elderly", "children", "disabled"):
        assert (wide[group] <= wide["all"] + 1e-6).all()
    b = serial.tables["coverage_gaps_year_bands"]
    assert (b["p10"] <= b["p90"]).all()


def test_a_run_records_the_effective_rule_driven_standards():
    # boshan §1: 2025 standards from consumption, rural unified with urban (not the schedule)
    doc = {**DOC, "locality": "boshan", "replications": 1, "months": 2, "reforms": [],
           "population": {"households": 100, "seed": 3}, "coverage": {"gaps": False}}
    out = runner.run_task(runner.RunTask(parse_scenario(doc, "b.yaml"), "boshan", "baseline", 0))
    assert out.standards["urban"].tolist() == pytest.approx([0.30 * 34557 / 12] * 2)
    assert out.standards["rural"].tolist() == pytest.approx([0.30 * 34557 / 12] * 2)


def test_sampled_admin_parameters_price_each_replications_offices():
    """A policy parameter in the uncertainty block (here the staff member's annual cost) prices
    each replication's offices at that replication's value, as its engine run had it: the band
    of the staff cost carries the parameter's range (it was priced at the unsampled value)."""
    from simulation.scenarios.scenario import policy_samples

    sc = parse_scenario({
        "name": "sampled_admin", "locality": "qijiang", "population": {"households": 600, "seed": 1},
        "start": "2025-01", "months": 2, "seed": 1, "replications": 3,
        "uncertainty": {"staffing.annual_cost": [60000, 180000]},
        "reforms": [{"name": "plus5", "changes": {"dibao.standard.urban": {"from": "2025-01-01", "scale": 1.05}}}],
        "executor": {"kind": "serial"}, "services": {"cap_base": "estimate"}})
    res = runner.run_scenario(sc, write=False, progress=False)
    rule = res.tables["staffing_rule"]
    for (variant, rep), g in rule.groupby(["variant", "replication"]):
        per_staff_year = g["staff_cost"].sum() * 12 / g["staff"].sum()
        assert per_staff_year == pytest.approx(policy_samples(sc, rep)["staffing.annual_cost"]), variant
    staff = res.tables["cost_year_component"].query("component == 'staff' and variant == 'baseline'")
    engine = rule[rule["variant"] == "baseline"].groupby("replication")["staff_cost"].sum()
    assert len(set(engine.round(6))) == 3 and staff["cost"].gt(0).all()
    # the parameters table (the workbook's sheet) says the value shown was not every run's
    params = res.tables["parameters"].set_index(["variant", "parameter"])["reference"]
    assert "sampled per replication in [60000, 180000]" in params["baseline", "staffing.annual_cost"]
    assert "sampled" not in params["baseline", "staffing.minimum"]
