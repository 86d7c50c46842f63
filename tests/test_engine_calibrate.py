"""The engine calibration (calibration in motion): fitter, conversions, horizon gaps, the written
behaviour block, and the stored fitted values holding the targets over the horizon."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simulation.engine.calibrate import (
    DISCOVERY_SHARE,
    FIT_PARAMETERS,
    TOLERANCE,
    behaviour_values,
    bisection_fitter,
    bound_notes,
    check_engine,
    fit_targets,
    horizon_gaps,
    simulated_targets,
)

FITTED = {"apply.rural": 0.002, "apply.urban": 0.005, "apply_tekun.urban": 0.03,
          "apply_tekun.rural": 0.04, "supporter_loss": 0.0005, "supporter_loss_urban": 0.0002}


def test_bisection_fitter_finds_every_rate_at_once_from_the_target_it_governs():
    # a monotone toy model: each stock rises with its own rate; a tekun stock's end of the
    # horizon rises with its supporter loss and falls with take-up (a drained pool), its mean
    # rises with both
    def model(params):
        out = {"dibao_persons.urban": 1000 * params["apply.urban"] ** 0.5,
               "dibao_persons.rural": 3000 * params["apply.rural"] ** 0.5}
        for area, loss in (("rural", "supporter_loss"), ("urban", "supporter_loss_urban")):
            level = 150 * params[f"apply_tekun.{area}"] ** 0.5 + 2000 * params[loss]
            out[f"tekun_persons.{area}"] = level
            out[f"tekun_persons.{area}.end"] = (level - 100 * params[f"apply_tekun.{area}"]
                                                + 40_000 * params[loss])
        return out

    targets = {"dibao_persons.urban": 100.0, "dibao_persons.rural": 600.0,
               "tekun_persons.urban": 20.0, "tekun_persons.urban.end": 20.0,
               "tekun_persons.rural": 30.0, "tekun_persons.rural.end": 30.0}
    # the urban end target moves little with its supporter loss and much with its take-up: the
    # first rounds leave the supporter loss at an edge of its bracket, which then widens (8 rounds of 16
    # steps: the tekun rates are bracketed over 6-8 decades, down to no inflow at all)
    values, runs, _ = bisection_fitter(FIT_PARAMETERS, targets, model, rounds=8, steps=16)
    assert values["apply.urban"] == pytest.approx(0.01, rel=1e-3)
    assert values["apply.rural"] == pytest.approx(0.04, rel=1e-3)
    sim = model(values)
    for area in ("urban", "rural"):
        for key in (f"tekun_persons.{area}", f"tekun_persons.{area}.end"):
            assert sim[key] == pytest.approx(targets[key], rel=1e-3)
    assert runs == 128  # one model run per step for all six rates


def test_the_second_round_corrects_an_interaction_between_targets():
    # urban dibao also rises a little with the rural rate (12 % of it at the solution)
    def model(params):
        return {"dibao_persons.urban": 1000 * params["apply.urban"] ** 0.5
                + 300 * params["apply.rural"] ** 0.5,
                "dibao_persons.rural": 3000 * params["apply.rural"] ** 0.5}

    targets = {"dibao_persons.urban": 500.0, "dibao_persons.rural": 600.0}
    values, runs, _ = bisection_fitter(FIT_PARAMETERS, targets, model, rounds=2, steps=20)
    sim = model(values)
    assert sim["dibao_persons.urban"] == pytest.approx(500.0, rel=1e-3)
    assert sim["dibao_persons.rural"] == pytest.approx(600.0, rel=1e-3)
    assert runs == 40


def test_discovery_is_part_of_the_fitted_rates_and_take_up_is_the_rest():
    fields = behaviour_values(FITTED)
    d = DISCOVERY_SHARE * 0.002  # a share of the lower (rural) dibao rate
    assert fields["discovery"] == pytest.approx(d)
    # the engine's monthly probability 1 - (1 - take-up) (1 - discovery) is the fitted rate
    for rate, take_up in ((0.002, fields["take_up"]),
                          (0.005, fields["take_up"] * fields["take_up_urban_ratio"]),
                          (0.04, fields["take_up_tekun"]),
                          (0.03, fields["take_up_tekun"] * fields["take_up_tekun_urban_ratio"])):
        assert 1 - (1 - take_up) * (1 - d) == pytest.approx(rate)
        assert take_up > 0  # never at a floor: discovery is below the lowest dibao rate
    assert fields["supporter_loss"] == 0.0005
    assert fields["supporter_loss_urban"] == 0.0002
    # the notes say how discovery was set, and nothing is at a bound here
    assert set(bound_notes(FITTED)) == {"discovery"}


def test_a_rate_at_its_bound_is_reported_with_the_numbers_behind_it():
    report = pd.DataFrame({"gap_pct": [-3.5], "end_gap_pct": [-9.0], "entries": [0.0],
                           "exits": [1.04]}, index=["tekun_persons.urban"])
    notes = bound_notes({**FITTED, "apply_tekun.urban": 0.999}, report)
    text = notes["take_up_tekun_urban_ratio"]
    assert "upper bound 1.0" in text and "-3.5%" in text and "0.0 entries and 1.0 exits" in text


def test_the_end_of_the_horizon_is_a_target_where_a_second_lever_exists():
    profile = SimpleNamespace(targets={"dibao_persons.urban": 10.0, "tekun_persons.rural": 20.0,
                                       "dibao_households.urban": 5.0})
    assert fit_targets(profile) == {"dibao_persons.urban": 10.0, "tekun_persons.rural": 20.0,
                                    "tekun_persons.rural.end": 20.0}
    profile.targets["tekun_persons.urban"] = 4.0
    assert fit_targets(profile)["tekun_persons.urban.end"] == 4.0


def test_horizon_gaps_skip_the_burn_in_and_report_the_worst_month_and_the_sample():
    rows = []
    for k, persons in enumerate([50.0, 90.0, 110.0, 100.0]):
        for programme, area in (("dibao", "urban"), ("dibao", "rural"), ("tekun", "urban"),
                                ("tekun", "rural")):
            rows.append({"month": f"2022-0{k + 1}", "programme": programme, "area": area,
                         "persons": persons, "households": persons / 2})
    gaps = horizon_gaps(pd.DataFrame(rows), {"dibao_persons.urban": 100.0}, burn_in=1,
                        weights={"urban": 0.5, "rural": 1.0})
    assert list(gaps.index) == ["dibao_persons.urban"]
    assert gaps.loc["dibao_persons.urban", "simulated"] == pytest.approx(100.0)
    assert gaps.loc["dibao_persons.urban", "max_monthly_gap_pct"] == pytest.approx(10.0)
    # 100 weighted persons at weight 0.5 = 200 sample persons in 100 households: 10 % error
    assert gaps.loc["dibao_persons.urban", "sample_persons"] == pytest.approx(200.0)
    assert gaps.loc["dibao_persons.urban", "sampling_pct"] == pytest.approx(10.0)
    # months 90, 110, 100 against ±5 %: one of three within; the last months' mean gap
    assert gaps.loc["dibao_persons.urban", "months_within"] == 1
    assert gaps.loc["dibao_persons.urban", "months"] == 3
    assert gaps.loc["dibao_persons.urban", "end_gap_pct"] == pytest.approx(0.0)  # all 3 < 12
    sim = simulated_targets(pd.DataFrame(rows), burn_in=1)
    assert sim["tekun_persons.rural"] == pytest.approx(100.0)
    assert sim["tekun_persons.rural.end"] == pytest.approx(100.0)


def test_a_target_path_is_compared_month_by_month_and_fitted_by_its_horizon_mean():
    """Localities follow the national trajectory: each month's target is the cross-section's
    target × the national path; the fitter matches the horizon mean of that path and the end
    target the mean of its last months."""
    rows = []
    sim = [100.0, 95.0, 90.0, 80.0]
    for k, persons in enumerate(sim):
        for programme, area in (("dibao", "urban"), ("dibao", "rural"), ("tekun", "urban"),
                                ("tekun", "rural")):
            rows.append({"month": f"2022-0{k + 1}", "programme": programme, "area": area,
                         "persons": persons, "households": persons / 2})
    path = np.array([100.0, 95.0, 90.0, 85.0])
    gaps = horizon_gaps(pd.DataFrame(rows), {"dibao_persons.urban": path}, burn_in=1)
    row = gaps.loc["dibao_persons.urban"]
    assert row["target"] == pytest.approx(90.0)  # the path's mean over the horizon
    assert row["max_monthly_gap_pct"] == pytest.approx(100 * 5 / 85)  # the last month
    assert row["months_within"] == 2
    # a flat target over the same months would see gaps of -5%, -10%, -20%
    flat = horizon_gaps(pd.DataFrame(rows), {"dibao_persons.urban": 100.0}, burn_in=1)
    assert flat.loc["dibao_persons.urban", "months_within"] == 1
    profile = SimpleNamespace(targets={"tekun_persons.rural": 20.0})
    paths = {"tekun_persons.rural": np.array([20.0, 19.0, 18.0, 17.0])}
    targets = fit_targets(profile, paths, burn_in=1)
    assert targets["tekun_persons.rural"] == pytest.approx(18.0)
    assert targets["tekun_persons.rural.end"] == pytest.approx(18.5)  # all 4 months < 12


def test_the_behaviour_block_is_written_as_valid_profile_numbers(tmp_path):
    import shutil

    import yaml

    from simulation.engine.behaviour import DEFAULTS_FILE
    from simulation.engine.calibrate import behaviour_block, write_behaviour, write_defaults
    from simulation.population.calibrate import FitResult
    from simulation.population.profiles import LOCALITY_DIR, load_profile

    copy = tmp_path / "qijiang.yaml"
    shutil.copy(LOCALITY_DIR / "qijiang.yaml", copy)
    report = pd.DataFrame({"gap_pct": [1.5]}, index=["dibao_persons.urban"])
    fitted = {**FITTED, "apply.rural": 0.00004}
    result = FitResult(values=fitted, simulated={}, targets={}, evaluations=1, message="",
                       report=report)
    block = behaviour_block(result, "qijiang", 100, 12, 36, seeds=3)
    write_behaviour("qijiang", block, copy)
    profile = load_profile(copy)
    assert profile.behaviour == pytest.approx(behaviour_values(fitted))
    assert profile.behaviour["take_up"] == pytest.approx(0.00002, rel=1e-3)  # not "2e-05"
    # the national profile's block becomes the engine's defaults, every field referenced
    defaults = tmp_path / "defaults.yaml"
    shutil.copy(DEFAULTS_FILE, defaults)
    write_defaults(block, defaults)
    raw = yaml.safe_load(defaults.read_text(encoding="utf-8"))
    for name, value in behaviour_values(fitted).items():
        assert raw[name]["value"] == pytest.approx(value)
        assert "calibrated" in raw[name]["reference"]
    assert raw["job_loss"] == yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))["job_loss"]


#: Targets whose every horizon month the calibration holds. Urban tekun is not among them: the
#: engine has no urban tekun inflow (supporter loss is rural only), so once the eligible
#: non-recipients it starts with are taken up the stock falls by its deaths (qijiang: 0 entries
#: against 1.0 exits a month, 14 % of the target over 36 months); its mean is checked below.
HELD_EVERY_MONTH = ("dibao_persons.urban", "dibao_persons.rural", "tekun_persons.urban",
                    "tekun_persons.rural")


@pytest.mark.parametrize("locality", ["china_2021", "qijiang", "lanzhou_xinqu"])
def test_stored_behaviour_holds_the_targets_in_every_horizon_month(locality):
    """Issue 4: after a 12-month burn-in the baseline stays within ±5 % of the targets in every
    month of the 36-month horizon. Run as the calibration checks it: on its own sample (150,000
    households: the start is the cross-section calibration's, no sampling error of the start
    stock) averaged over its engine seeds 1-3 (~10 s a locality), so the tolerance is the issue's
    5 % and nothing more. One seed alone would not do: its flows move a month by up to 3 points
    more (china_2021 urban dibao, 1,255 sample households: 5.1 % with seed 1, 2.1 % with 1-3).
    The drift this guards against: before the tekun inflows were fitted the stocks fell once
    their starting pool drained (rural 0.4 % a month, qijiang's last month -6.9 %; urban tekun,
    with no inflow at all, down to -11.2 %). Urban tekun rests on ~90-100 sample persons, but the
    start stock has no sampling error on this sample and its flows are averaged over the seeds:
    its worst month is 1.7-1.9 % here. Lanzhou New Area: with its standard frozen after 2023 (the
    last published year) its rural dibao fell to -5.07 % by the horizon's last month; its policy
    file now lets the standard follow consumption (seed 004 §五)."""
    gaps = check_engine(locality)
    held = gaps.loc[list(HELD_EVERY_MONTH)]
    assert (held["max_monthly_gap_pct"] <= 100 * TOLERANCE).all(), held
    assert (held["months_within"] == held["months"]).all(), held


@pytest.mark.parametrize("locality", ["boshan", "jiaohe", "kaizhou", "lanzhou_xinqu", "qijiang"])
def test_locality_stored_behaviour_holds_the_targets_within_their_sampling_error(locality):
    """Localities on a small sample (30,000 households, another seed than the fit's): a horizon
    mean is asserted within ±5 % plus three sampling errors (100 ÷ √(sample recipient
    households), which covers the start stock's own sampling error in this sample), and only
    where the sample holds at least 100 recipient households; below that (urban tekun: 71 to
    ~230 persons in the whole locality, a handful in the sample) nothing can be asserted."""
    gaps = check_engine(locality, n_households=30_000, seeds=(1,), population_seed=7)
    meaningful = gaps[gaps["sample_households"] >= 100]
    assert {"dibao_persons.urban", "dibao_persons.rural"} <= set(meaningful.index)
    limit = 5.0 + 3.0 * meaningful["sampling_pct"]
    assert (meaningful["gap_pct"].abs() <= limit).all(), meaningful
