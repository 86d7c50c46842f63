"""The engine calibration's pieces: the bisection fitter and the horizon gaps."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.engine.calibrate import ENGINE_PARAMETERS, bisection_fitter, horizon_gaps


def test_bisection_fitter_finds_each_rate_from_the_targets_it_governs():
    # a monotone toy model: stocks rise with the rates, the two are separable
    def model(params):
        return {"dibao_persons.urban": 1000 * params["take_up"] ** 0.5,
                "dibao_persons.rural": 3000 * params["take_up"] ** 0.5,
                "tekun_persons.urban": 50 * params["take_up_tekun"],
                "tekun_persons.rural": 150 * params["take_up_tekun"]}

    targets = {"dibao_persons.urban": 100.0, "dibao_persons.rural": 300.0,
               "tekun_persons.urban": 5.0, "tekun_persons.rural": 15.0}
    pars = [p for p in ENGINE_PARAMETERS if p.name in ("take_up", "take_up_tekun")]
    values, runs, _ = bisection_fitter(pars, targets, model, rounds=1, steps=20)
    assert values["take_up"] == pytest.approx(0.01, rel=1e-3)
    assert values["take_up_tekun"] == pytest.approx(0.1, rel=1e-3)
    assert runs == 40


def test_horizon_gaps_skip_the_burn_in_and_report_the_worst_month():
    rows = []
    for k, persons in enumerate([50.0, 90.0, 110.0, 100.0]):
        for programme, area in (("dibao", "urban"), ("dibao", "rural"), ("tekun", "urban"),
                                ("tekun", "rural")):
            rows.append({"month": f"2022-0{k + 1}", "programme": programme, "area": area,
                         "persons": persons})
    gaps = horizon_gaps(pd.DataFrame(rows), {"dibao_persons.urban": 100.0}, burn_in=1)
    assert list(gaps.index) == ["dibao_persons.urban"]
    assert gaps.loc["dibao_persons.urban", "simulated"] == pytest.approx(100.0)
    assert gaps.loc["dibao_persons.urban", "max_monthly_gap_pct"] == pytest.approx(10.0)


def test_the_behaviour_block_is_written_as_valid_profile_numbers(tmp_path):
    import shutil

    from simulation.engine.calibrate import behaviour_block, write_behaviour
    from simulation.population.calibrate import FitResult
    from simulation.population.profiles import LOCALITY_DIR, load_profile

    copy = tmp_path / "qijiang.yaml"
    shutil.copy(LOCALITY_DIR / "qijiang.yaml", copy)
    report = pd.DataFrame({"gap_pct": [1.5]}, index=["dibao_persons.urban"])
    result = FitResult(values={"take_up": 0.00002, "take_up_tekun": 0.25}, simulated={},
                       targets={}, evaluations=1, message="", report=report)
    write_behaviour("qijiang", behaviour_block(result, "qijiang", 100, 12, 36), copy)
    profile = load_profile(copy)
    assert profile.behaviour == {"take_up": pytest.approx(0.00002), "take_up_tekun": 0.25}
