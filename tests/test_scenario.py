"""Scenario files: the default loads; bad files fail naming the file and the field; reforms."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.scenarios.runner import build_policy, sampled_behaviour, tasks_for
from simulation.scenarios.scenario import (
    DEFAULT_SCENARIO,
    ScenarioError,
    load_scenario,
    parse_scenario,
    policy_reforms,
)

BAD = Path(__file__).parent / "scenarios"


def test_default_scenario_is_a_baseline_against_five_percent_over_three_years():
    sc = load_scenario(DEFAULT_SCENARIO)
    assert sc.months == 36 and sc.years == [2025, 2026, 2027] and sc.end == "2027-12"
    assert [v.name for v in sc.variants] == ["baseline", "standard_plus_5pct"]
    reform = build_policy(sc, "standard_plus_5pct", sc.localities[0])
    base = build_policy(sc, "baseline", sc.localities[0])
    for month in ("2025-01-01", "2025-08-01", "2027-12-01"):
        for path in ("dibao.standard.urban", "dibao.standard.rural"):
            assert reform.value(path, month) == pytest.approx(1.05 * base.value(path, month))
    assert reform.content_hash() != base.content_hash()


@pytest.mark.parametrize(
    ("file", "field", "value"),
    [
        ("unknown_locality.yaml", "locality", "atlantis"),
        ("unknown_parameter.yaml", "reforms[0].changes.dibao.standard.urbn", "dibao.standard.urbn"),
        ("negative_horizon.yaml", "months", -12),
        ("missing_cap_base.yaml", "services.cap_base", None),
        ("partial_cap_base.yaml", "services.cap_base.2026", None),
        ("bad_reform_value.yaml", "reforms[0].changes.services.cap_share.2025-01-01", 1.5),
    ],
)
def test_bad_scenario_names_file_and_field(file, field, value):
    path = BAD / file
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert any(f == str(path) and k == field and v == value for f, k, v, _ in problems), problems
    assert str(path) in str(info.value) and f"'{field}'" in str(info.value)


def test_every_problem_is_reported_together():
    doc = {"locality": "atlantis", "months": 0, "start": "2025-13", "surprise": 1,
           "services": {"cap_base": {2025: -5}}}
    with pytest.raises(ScenarioError) as info:
        parse_scenario(doc, "mem.yaml")
    fields = {k for _, k, _, _ in info.value.problems}
    assert {"locality", "months", "start", "surprise", "services.cap_base.2025"} <= fields
    with pytest.raises(ScenarioError, match="field 'start'.*complete from 2021-01"):
        parse_scenario({"locality": "qijiang", "start": "2019-06", "months": 12,
                        "services": {"cap_base": "estimate"}}, "early.yaml")


def test_scaled_reform_that_breaks_a_policy_rule_names_the_scenario():
    doc = {"locality": "qijiang", "start": "2025-01", "months": 12, "services": {"cap_base": "estimate"},
           "reforms": [{"name": "r", "changes": {"services.cap_share": {"from": "2025-01-01", "scale": 80}}}]}
    sc = parse_scenario(doc, "scaled.yaml")
    with pytest.raises(ScenarioError, match=r"scaled.yaml: field 'r.changes.services.cap_share\[2025-01-01\]'"):
        build_policy(sc, "r", "qijiang")


def test_absolute_and_additive_reforms():
    doc = {"locality": "qijiang", "start": "2025-01", "months": 24, "services": {"cap_base": "estimate"},
           "reforms": [{"name": "r", "changes": {
               "dibao.standard.rural": {"from": "2025-01-01", "add": 30},
               "tekun.care.full": {"2025-03-01": 650}}}]}
    sc = parse_scenario(doc, "mem.yaml")
    [reform] = policy_reforms(sc, sc.reforms[0], "qijiang")
    assert reform["tekun.care.full"]["2025-03-01"]["value"] == 650
    pol, base = build_policy(sc, "r", "qijiang"), build_policy(sc, "baseline", "qijiang")
    assert pol.value("dibao.standard.rural", "2025-10-01") == base.value("dibao.standard.rural", "2025-10-01") + 30
    assert pol.value("tekun.care.full", "2025-02-01") == base.value("tekun.care.full", "2025-02-01")
    assert pol.value("tekun.care.full", "2025-04-01") == 650


def test_uncertainty_is_stratified_and_deterministic():
    doc = {"locality": "qijiang", "start": "2025-01", "months": 12, "replications": 4,
           "services": {"cap_base": "estimate"}, "behaviour": {"job_loss": 0.01},
           "uncertainty": {"take_up": [0.4, 0.8], "discovery": [0.0, 0.2]}}
    sc = parse_scenario(doc, "mem.yaml")
    draws = [sampled_behaviour(sc, r) for r in range(4)]
    assert draws == [sampled_behaviour(sc, r) for r in range(4)]
    # one value in each quarter of each range
    assert sorted(d["take_up"] for d in draws) == pytest.approx([0.45, 0.55, 0.65, 0.75])
    assert sorted(d["discovery"] for d in draws) == pytest.approx([0.025, 0.075, 0.125, 0.175])
    assert all(d["job_loss"] == 0.01 for d in draws)
    # baseline and reform in a replication share population, seed and behaviour
    tasks = tasks_for(sc)
    assert len(tasks) == 4 and {t.replication for t in tasks} == {0, 1, 2, 3}


def test_uncertainty_samples_the_seeds_own_policy_ranges_per_replication():
    # issue 11: boshan §1 25–35 % of urban consumption, qijiang 三(三) 2–4‰ staff, sampled from the
    # start for baseline and reform alike; a reform's scale applies to the sampled value
    from simulation.rules.params import dibao_standard
    from simulation.scenarios.scenario import policy_samples

    doc = {"locality": "boshan", "start": "2025-01", "months": 12, "replications": 4,
           "services": {"cap_base": "estimate"},
           "uncertainty": {"dibao.standard.consumption_share.urban": [0.25, 0.35],
                           "staffing.ratio_min": [0.002, 0.004], "take_up": [0.4, 0.8]},
           "reforms": [{"name": "r", "changes": {
               "dibao.standard.consumption_share.urban": {"from": "2025-01-01", "scale": 1.1}}}]}
    sc = parse_scenario(doc, "mem.yaml")
    shares = sorted(policy_samples(sc, r)["dibao.standard.consumption_share.urban"] for r in range(4))
    assert shares == pytest.approx([0.2625, 0.2875, 0.3125, 0.3375])
    assert "dibao.standard.consumption_share.urban" not in sampled_behaviour(sc, 0)
    for r in range(4):
        share = policy_samples(sc, r)["dibao.standard.consumption_share.urban"]
        base, pol = build_policy(sc, "baseline", "boshan", r), build_policy(sc, "r", "boshan", r)
        assert base.value("dibao.standard.consumption_share.urban", "2025-03-01") == share
        assert pol.value("dibao.standard.consumption_share.urban", "2025-03-01") == pytest.approx(1.1 * share)
        assert dibao_standard(base.at("2025-03-01"), "urban") == pytest.approx(share * 34557 / 12)
        assert base.value("staffing.ratio_min", "2025-03-01") == policy_samples(sc, r)["staffing.ratio_min"]
    assert build_policy(sc, "baseline", "boshan").value(
        "dibao.standard.consumption_share.urban", "2025-03-01") == 0.30  # unsampled without r
    for bad in ({"dibao.payment_mode": [0, 1]}, {"dibao.standard.consumption_share.urban": [0.2, 1.5]}):
        with pytest.raises(ScenarioError):
            parse_scenario({**doc, "uncertainty": bad}, "mem.yaml")


def test_staffing_levels_are_engine_runs_of_each_variant():
    """Each staffing ratio is run by the engine for every variant (``staffing.engine``, default
    true), with the variant's own changes and the offices staffed at the ratio; a ratio the
    variant already staffs at is not run twice; the runs are not variants of their own."""
    from simulation.scenarios.runner import staffing_tasks
    from simulation.scenarios.scenario import staffed

    doc = {"locality": "qijiang", "start": "2025-01", "months": 12, "services": {"cap_base": "estimate"},
           "replications": 2, "staffing": {"ratios": [0.002, 0.004]},
           "reforms": [{"name": "plus5", "changes": {"dibao.standard.urban": {"from": "2025-01-01", "scale": 1.05}}}]}
    sc = parse_scenario(doc, "mem.yaml")
    assert sc.staffing_runs and [v.name for v in sc.variants] == ["baseline", "plus5"]
    assert parse_scenario(sc.to_doc(), "again.yaml").staffing_runs
    tasks = staffing_tasks(sc)  # qijiang staffs at 2‰ (三(三)): 4‰ for each variant and replication
    assert [(t.variant, t.replication, t.staffing_ratio) for t in tasks] == [
        ("baseline", 0, 0.004), ("plus5", 0, 0.004), ("baseline", 1, 0.004), ("plus5", 1, 0.004)]
    pol = build_policy(sc, staffed(sc.reforms[0], 0.004, "2025-01-01"), "qijiang")
    assert pol.value("staffing.ratio_min", "2025-06-01") == 0.004
    assert pol.value("dibao.standard.urban", "2025-06-01") == pytest.approx(
        1.05 * build_policy(sc, "baseline", "qijiang").value("dibao.standard.urban", "2025-06-01"))
    off = parse_scenario({**doc, "staffing": {"ratios": [0.002, 0.004], "engine": False}}, "mem.yaml")
    assert not off.staffing_runs and staffing_tasks(off) == []
    with pytest.raises(ScenarioError, match="'staffing.ratios'"):
        parse_scenario({**doc, "staffing": {"engine": True}}, "mem.yaml")
    assert not parse_scenario({**doc, "staffing": {"engine": False}}, "mem.yaml").staffing_runs  # nothing to run
    with pytest.raises(ScenarioError, match="'staffing.engine'"):
        parse_scenario({**doc, "staffing": {"ratios": [0.002], "engine": "yes"}}, "mem.yaml")


class _Unpicklable(Exception):
    def __init__(self, a, b):  # an error whose type cannot be rebuilt from its message
        super().__init__(f"{a} {b}")


def test_a_failing_worker_names_the_task(monkeypatch):
    from simulation.scenarios import runner
    from simulation.scenarios.executors import ProcessExecutor

    def broken(task):
        raise _Unpicklable("bad", task.variant)

    # fork (not the default forkserver) so that the workers inherit the patch
    monkeypatch.setattr(runner, "_run_task", broken)
    doc = {"locality": "qijiang", "start": "2025-01", "months": 12, "services": {"cap_base": "estimate"},
           "reforms": [{"name": "r", "changes": {}}]}
    tasks = runner.tasks_for(parse_scenario(doc, "mem.yaml"))
    with ProcessExecutor(2, start_method="fork") as ex, pytest.raises(runner.TaskError,
                                                 match=r"qijiang / (baseline|r) / replication 0 failed: _Unpicklable: bad"):
        ex.map(runner.run_task, tasks)
    err = ScenarioError([("f.yaml", "months", -1, "bad")])
    import pickle

    assert pickle.loads(pickle.dumps(err)).problems == err.problems


def test_a_locality_is_a_profile_and_uses_the_policy_it_names():
    from simulation.scenarios.scenario import known_localities, policy_of

    assert {"qijiang", "china_2021"} <= set(known_localities())
    assert policy_of("china_2021") == "national" and policy_of("qijiang") == "qijiang"
    doc = {"locality": "china_2021", "start": "2025-01", "months": 12, "services": {"cap_base": "estimate"}}
    sc = parse_scenario(doc, "national.yaml")
    assert build_policy(sc, "baseline", "china_2021").locality == "national"


def test_to_doc_rebuilds_the_scenario():
    sc = load_scenario(DEFAULT_SCENARIO).with_changes(households=123, months=7)
    again = parse_scenario(sc.to_doc(), sc.source)
    assert again == sc
    doc = {"locality": "qijiang", "start": "2025-01", "months": 12, "services": {"cap_base": {2025: 5e7}},
           "staffing": {"ratios": [0.002, 0.004], "engine": True}, "uncertainty": {"take_up": [0.4, 0.6]}}
    sc2 = parse_scenario(doc, "mem.yaml")
    assert parse_scenario(sc2.to_doc(), "mem.yaml") == sc2
