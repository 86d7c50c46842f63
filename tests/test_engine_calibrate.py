"""The engine calibration (calibration in motion): fitter, conversions, horizon gaps, the written
behaviour block, and the stored fitted values holding the targets over the horizon."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from simulation.engine.calibrate import (
    FIT_PARAMETERS,
    SUPPORTER_LOSS_HIGH,
    SUPPORTER_LOSS_LOW,
    TEKUN_TAKE_UP_LOW,
    TEKUN_TAKE_UP_REFERENCE,
    behaviour_values,
    bisection_fitter,
    check_engine,
    horizon_gaps,
    tekun_inflow,
)


def test_bisection_fitter_finds_every_rate_at_once_from_the_target_it_governs():
    # a monotone toy model: each stock rises with its own rate (the rural tekun one linearly)
    def model(params):
        return {"dibao_persons.urban": 1000 * params["take_up.urban"] ** 0.5,
                "dibao_persons.rural": 3000 * params["take_up.rural"] ** 0.5,
                "tekun_persons.urban": 50 * params["take_up_tekun.urban"],
                "tekun_persons.rural": 150 * params["tekun_inflow.rural"]}

    targets = {"dibao_persons.urban": 100.0, "dibao_persons.rural": 600.0,
               "tekun_persons.urban": 5.0, "tekun_persons.rural": 180.0}
    values, runs, _ = bisection_fitter(FIT_PARAMETERS, targets, model, rounds=1, steps=24)
    assert values["take_up.urban"] == pytest.approx(0.01, rel=1e-3)
    assert values["take_up.rural"] == pytest.approx(0.04, rel=1e-3)
    assert values["take_up_tekun.urban"] == pytest.approx(0.1, rel=1e-3)
    assert values["tekun_inflow.rural"] == pytest.approx(1.2, abs=1e-3)
    assert runs == 24  # one model run per step for all four rates


def test_the_second_round_corrects_an_interaction_between_targets():
    # urban dibao also rises a little with the rural rate (12 % of it at the solution)
    def model(params):
        return {"dibao_persons.urban": 1000 * params["take_up.urban"] ** 0.5
                + 300 * params["take_up.rural"] ** 0.5,
                "dibao_persons.rural": 3000 * params["take_up.rural"] ** 0.5}

    targets = {"dibao_persons.urban": 500.0, "dibao_persons.rural": 600.0}
    values, runs, _ = bisection_fitter(FIT_PARAMETERS, targets, model, rounds=2, steps=20)
    sim = model(values)
    assert sim["dibao_persons.urban"] == pytest.approx(500.0, rel=1e-3)
    assert sim["dibao_persons.rural"] == pytest.approx(600.0, rel=1e-3)
    assert runs == 40


def test_the_rural_tekun_scale_chains_take_up_then_supporter_loss():
    assert tekun_inflow(0.0) == pytest.approx((TEKUN_TAKE_UP_LOW, SUPPORTER_LOSS_LOW))
    assert tekun_inflow(1.0) == pytest.approx((TEKUN_TAKE_UP_REFERENCE, SUPPORTER_LOSS_LOW))
    assert tekun_inflow(2.0) == pytest.approx((TEKUN_TAKE_UP_REFERENCE, SUPPORTER_LOSS_HIGH))
    # half way up each leg: the geometric mean of its ends
    assert tekun_inflow(0.5)[0] == pytest.approx(math.sqrt(0.001 * 0.3))
    assert tekun_inflow(1.5)[1] == pytest.approx(math.sqrt(0.000001 * 0.02))
    steps = [tekun_inflow(k / 10) for k in range(21)]
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in zip(steps, steps[1:], strict=False))
    with pytest.raises(ValueError, match="outside 0..2"):
        tekun_inflow(2.5)


def test_behaviour_values_turn_area_rates_into_a_rural_rate_and_urban_ratios():
    fields = behaviour_values({"take_up.rural": 0.002, "take_up.urban": 0.005,
                               "take_up_tekun.urban": 0.03, "tekun_inflow.rural": 0.0})
    assert fields == pytest.approx({"take_up": 0.002, "take_up_urban_ratio": 2.5,
                                    "take_up_tekun": 0.001, "take_up_tekun_urban_ratio": 30.0,
                                    "supporter_loss": 0.000001})


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


def test_the_behaviour_block_is_written_as_valid_profile_numbers(tmp_path):
    import shutil

    from simulation.engine.calibrate import behaviour_block, write_behaviour
    from simulation.population.calibrate import FitResult
    from simulation.population.profiles import LOCALITY_DIR, load_profile

    copy = tmp_path / "qijiang.yaml"
    shutil.copy(LOCALITY_DIR / "qijiang.yaml", copy)
    report = pd.DataFrame({"gap_pct": [1.5]}, index=["dibao_persons.urban"])
    fitted = {"take_up.rural": 0.00002, "take_up.urban": 0.00003, "take_up_tekun.urban": 0.25,
              "tekun_inflow.rural": 1.0}
    result = FitResult(values=fitted, simulated={}, targets={}, evaluations=1, message="",
                       report=report)
    write_behaviour("qijiang", behaviour_block(result, "qijiang", 100, 12, 36, seeds=3), copy)
    profile = load_profile(copy)
    assert profile.behaviour == pytest.approx(behaviour_values(fitted))
    assert profile.behaviour["take_up"] == pytest.approx(0.00002)  # a number, not "2e-05"


def test_china_2021_stored_behaviour_holds_the_targets_over_the_horizon():
    """Issue 4: after a 12-month burn-in, the 36-month horizon means of china_2021's baseline are
    within ±5 % of the targets. Run on the calibration's sample (150,000 households: the start
    is the cross-section calibration's) with engine seed 1 only (the fit averages seeds 1-3), so
    this is a check of the stored values under one seed's flows, not a re-run of the fit."""
    gaps = check_engine("china_2021", seeds=(1,))
    assert set(gaps.index) == {"dibao_persons.urban", "dibao_persons.rural",
                               "tekun_persons.urban", "tekun_persons.rural"}
    assert gaps["gap_pct"].abs().max() <= 5.0, gaps


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
