"""Engine processes on small hand-built populations, invariants, keyed draws and determinism."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simulation.engine import Behaviour, InvariantError, SimulationModel, life_expectancy, run
from simulation.engine import processes as pr
from simulation.engine.outputs import SPECIAL_PROGRAMMES
from simulation.engine.rng import normal_array, uniform_array
from simulation.errors import InputError
from simulation.policy import load_policy
from simulation.population import generate, load_profile
from simulation.rules.params import pack_params
from simulation.rules.tekun import tekun_basic

#: No shocks, no demography, no take-up: only what a test sets happens.
QUIET = dict(
    income_sd_persistent=0.0, income_sd_transitory=0.0, job_loss=0.0, job_find=0.0,
    job_find_stationary=0, mortality_makeham=0.0, mortality_gompertz_a=0.0, fertility=0.0, disability_onset_60=0.0,
    disability_severe_rate=0.0, illness_onset=0.0, illness_recovery=0.0, self_care_decline=0.0,
    urgent_rate=0.0, education_cost_prob=0.0, temporary_take_up=0.0, report_change=0.0,
    take_up=0.0, take_up_tekun=0.0, labour_loss_elderly=0.0, supporter_loss=0.0, discovery=0.0, income_smoothing_months=1.0,
    inclusion_share_urban=0.0, inclusion_share_rural=0.0,
)

PERSON = dict(age=40, urban=True, disability="none", serious_illness=False, paralysed_months=0,
              rare_disease=False, labour_ability="full", self_care="able", earned_income=0.0,
              basic_pension=0.0, other_income=0.0, rigid_expenditure=0.0,
              registered_unemployed=False, has_supporter=True, financial_assets=0.0,
              care_wish="dispersed", township=0, village=0)


def population(households: list[list[dict]], weight: float = 10.0) -> SimpleNamespace:
    """A population object from lists of persons (each a dict of overrides)."""
    rows = []
    for hid, members in enumerate(households):
        for m in members:
            rows.append({**PERSON, **m, "household_id": hid})
    persons = pd.DataFrame(rows)
    hh = persons.groupby("household_id").agg(township=("township", "first"),
                                             urban=("urban", "first"),
                                             size=("age", "size")).reset_index()
    hh["village"] = 0
    hh["weight"] = weight
    return SimpleNamespace(persons=persons, households=hh, free={})


#: A reform freezing incomes and pensions (the engine's economy.py inputs): only what a test sets
#: moves a household's income.
FLAT_ECONOMY = {
    # the 2023 figures, in force in 2024 where the tests run (Jiaohe's standard follows them)
    "expenditure_hardship.disposable_income.urban": {"2018-01-01": 51821},
    "expenditure_hardship.disposable_income.rural": {"2018-01-01": 21691},
    "economy.income_growth.urban": {"2018-01-01": 0.0},
    "economy.income_growth.rural": {"2018-01-01": 0.0},
    "pension.basic_minimum": {"2018-01-01": 100},
}


def model(pop, locality="qijiang", start="2024-01", months=6, behaviour=None,
          initial_enrolment=1.0, economy=False, reforms=None, **kw):
    b = Behaviour.defaults().with_overrides({**QUIET, **(behaviour or {})})
    stack = list(reforms or []) if economy else [FLAT_ECONOMY, *(reforms or [])]
    policy = load_policy(locality, reforms=stack or None)
    return SimulationModel(pop, policy, start=start, months=months, seed=7,
                           behaviour=b, initial_enrolment=initial_enrolment, trace=[0], **kw)


def dibao_rows(result, programme="dibao"):
    m = result.monthly
    return m[m.programme == programme].groupby("month").sum(numeric_only=True)


def standard(locality="qijiang", day="2024-01-01"):
    return float(load_policy(locality).at(day)["dibao.standard.urban"])


def test_review_in_march_finds_raised_income_and_unreported_change_keeps_payment():
    std = standard()
    m = model(population([[dict(earned_income=500.0)]]))
    paid0 = float(m.households.paid_gap[0])
    assert paid0 == pytest.approx((std - 500 * 0.7), rel=1e-5)
    m.persons.wage[m.households.hh_start[0]] = 3 * std  # far above the 1.5x ceiling
    m.run_for(3)  # Jan, Feb (no review, no report), Mar (review)
    r = dibao_rows(m.result())
    assert r.loc["2024-01", "payment"] == pytest.approx(10 * paid0, rel=1e-6)
    assert r.loc["2024-02", "payment"] == pytest.approx(10 * paid0, rel=1e-6)
    assert r.loc["2024-03", "households"] == 0
    assert r.loc["2024-03", "exits_income"] == 10
    assert r.loc["2024-03", "reviews"] == 10
    assert list(m.result().trace.event)[:3] == ["", "", "left_income"]


def test_reported_change_is_acted_on_between_reviews():
    std = standard()
    m = model(population([[dict(earned_income=500.0)]]), behaviour={"report_change": 1.0})
    m.persons.wage[m.households.hh_start[0]] = 3 * std
    m.run_for(1)
    r = dibao_rows(m.result())
    assert r.loc["2024-01", "households"] == 0 and r.loc["2024-01", "exits_income"] == 10
    assert m.result().trace.event.iloc[0] == "left_income"


@pytest.mark.parametrize("locality", ["qijiang", "jiaohe"])
def test_gradual_exit_pays_the_schedule_for_the_locality_months_then_leaves(locality):
    params = load_policy(locality).at("2024-01-01")
    std = float(params["dibao.standard.urban"])
    deduction = float(params["dibao.employment_cost_deduction"])
    months = int(params["dibao.gradual_exit.months"])
    schedule = params["dibao.gradual_exit.payment_schedule"]
    horizon = 2 + months + 2
    m = model(population([[dict(earned_income=300.0)]]), locality=locality, months=horizon)
    base = float(m.households.paid_gap[0] + m.households.paid_supplement[0])
    # counted income between the standard and the ceiling multiple
    m.persons.wage[m.households.hh_start[0]] = 1.2 * std / (1 - deduction)
    m.run_for(horizon)
    res = m.result()
    r = dibao_rows(res)
    months_list = list(r.index)
    exit_rows = r.iloc[2:2 + months]  # from the March review
    expected = [schedule[min(k // 12, len(schedule) - 1)] * base * 10 for k in range(months)]
    assert np.allclose(exit_rows["payment_gradual_exit"], expected, rtol=1e-5)
    assert (exit_rows["payment_gap"] == 0).all()
    end = months_list[2 + months]
    assert r.loc[end, "exits_gradual_end"] == 10 and r.loc[end, "households"] == 0
    assert r["exits_gradual_end"].sum() == 10
    events = list(res.trace.event)
    assert events[2] == "exit_started" and events[2 + months] == "exit_ended"


def test_requalifying_during_exit_ends_the_exit_and_recomputes():
    std = standard()
    m = model(population([[dict(earned_income=300.0)]]), months=6,
              behaviour={"report_change": 1.0})
    slot = m.households.hh_start[0]
    m.persons.wage[slot] = 1.2 * std / 0.7
    m.run_for(1)  # reported in January: gradual exit starts
    assert m.result().trace.event.iloc[0] == "exit_started"
    m.persons.wage[slot] = 100.0  # income falls again: qualifies
    m.run_for(2)
    res = m.result()
    assert list(res.trace.event)[1] == "requalified"
    assert int(m.households.status[0]) == pr.ST_ENROLLED
    assert float(m.households.paid_gap[0]) == pytest.approx(std - 70.0, rel=1e-5)
    r = dibao_rows(res)
    assert r.loc["2024-03", "payment_gradual_exit"] == 0
    assert r.loc["2024-03", "payment_gap"] == pytest.approx(10 * (std - 70.0), rel=1e-5)


def test_tekun_death_pays_the_funeral_subsidy_once():
    pop = population([[dict(age=75, labour_ability="none", has_supporter=False)],
                      [dict(earned_income=5000.0)]])
    m = model(pop, months=4, behaviour={"mortality_makeham": 1000.0})
    assert int(m.households.paid_tekun_n[0]) == 1
    m.run_for(4)
    res = m.result()
    params = load_policy("qijiang").at("2024-01-01")
    basic = tekun_basic(0, 0, pack_params(params))
    f = dibao_rows(res, "funeral")
    assert f["payment"].sum() == pytest.approx(10 * 6 * basic, rel=1e-6)
    assert f.loc["2024-01", "persons"] == 10 and f["persons"].sum() == 10
    t = dibao_rows(res, "tekun")
    assert t.loc["2024-01", "exits_death"] == 10 and t["exits_death"].sum() == 10
    assert t.loc["2024-02", "persons"] == 0
    assert res.facts["deaths"] == 2  # the other household's member died too (hazard ~1)


def test_price_linkage_pays_recipients_when_cpi_reaches_the_trigger():
    std = standard()
    months = pd.date_range("2024-01-01", periods=3, freq="MS").strftime("%Y-%m")
    cpi = pd.DataFrame({"cpi": [0.02, 0.04, 0.02], "food_cpi": [0.02, 0.02, 0.001]},
                       index=months)
    m = model(population([[dict(earned_income=500.0)]]), months=3, cpi=cpi)
    m.run_for(3)
    r = dibao_rows(m.result(), "price_linkage")
    assert r.loc["2024-01", "payment"] == 0 and r.loc["2024-03", "payment"] == 0
    assert r.loc["2024-02", "persons"] == 10
    assert r.loc["2024-02", "payment"] == pytest.approx(10 * max(std * 0.04, 10.0), rel=1e-6)


def test_employment_subsidy_pays_the_benefit_reduction_for_the_locality_months():
    std = standard()
    pop = population([[dict(earned_income=300.0),
                       dict(age=30, registered_unemployed=True)]])
    m = model(pop, months=4, behaviour={"job_find": 1.0})
    old = float(m.households.paid_gap[0])
    assert old == pytest.approx((std - 300 * 0.7 / 2) * 2, rel=1e-5)
    m.run_for(4)  # the unemployed member finds work in January; the March review sees it
    entry = 1.8 * std
    new = (std - (300 + entry) * 0.7 / 2) * 2
    r = dibao_rows(m.result(), "employment_subsidy")
    assert r.loc["2024-02", "payment"] == 0
    assert r.loc["2024-03", "payment"] == pytest.approx(10 * (old - new), rel=1e-4)
    assert r.loc["2024-04", "payment"] == pytest.approx(10 * (old - new), rel=1e-4)
    assert int(m.households.subsidy_left[0]) == 12 - 2


@pytest.mark.parametrize("emergency", [False, True])
def test_applicant_gets_temporary_aid_and_a_decision_in_the_offices_own_time(emergency):
    # jiaohe §15: the advance is a public-emergency measure (seed-coverage row 62), off by default
    from simulation.admin.offices import MONTH_DAYS, office_parameters

    own = office_parameters(load_policy("jiaohe").at("2024-01-01")).own_days
    reforms = [{"temporary.applicant_advance": {"2024-01-01": True}}] if emergency else None
    m = model(population([[dict(earned_income=200.0)]]), locality="jiaohe", months=2,
              behaviour={"take_up": 1.0}, initial_enrolment=0.0, reforms=reforms)
    m.run_for(2)
    res = m.result()
    from simulation.rules.params import dibao_standard

    std = dibao_standard(load_policy("jiaohe").at("2024-01-01"), "urban")
    t = dibao_rows(res, "temporary")
    assert t.loc["2024-01", "payment_applicant"] == pytest.approx(10 * std if emergency else 0.0)
    d = dibao_rows(res)
    assert d.loc["2024-01", "applications"] == 10 and d.loc["2024-01", "entries"] == 10
    days = res.monthly.query("programme == 'dibao' and month == '2024-01'")
    days = days["days_to_decision_mean"].dropna().iloc[0]
    # 10 applications fill under half of the two staff's month: taken up within it, then the
    # application's own time and the public notice
    assert own <= days <= own + 0.5 * MONTH_DAYS
    assert list(res.trace.event) == ["approved", ""]


def test_invariant_violations_raise():
    m = model(population([[dict(earned_income=500.0)], [dict()]]), months=2)
    m.run_for(1)
    acc = m.acc.sum(axis=0)
    broken = acc.copy()
    broken[0, pr.U_DEATHS] += 1  # a person vanishes
    with pytest.raises(InvariantError, match="persons not conserved"):
        m.recorder.check(broken, "test")
    broken = acc.copy()
    broken[0, pr.A_D_GAP] = -5.0
    with pytest.raises(InvariantError, match="negative payment"):
        m.recorder.check(broken, "test")
    broken = acc.copy()
    broken[0, pr.A_D_SUPP] += 100.0  # a component not in the household totals
    with pytest.raises(InvariantError, match="do not add up"):
        m.recorder.check(broken, "test")


def test_bad_inputs_name_the_field():
    pop = population([[dict(earned_income=500.0)]])
    with pytest.raises(InputError, match="take_upp"):
        Behaviour.defaults().with_overrides({"take_upp": 0.1})
    with pytest.raises(InputError, match="report_change"):
        Behaviour.defaults().with_overrides({"report_change": 1.5})
    with pytest.raises(InputError, match="weight"):
        bad = population([[dict()]])
        bad.households["weight"] = -1.0
        model(bad)
    with pytest.raises(InputError, match="unknown household id 99"):
        SimulationModel(pop, load_policy("qijiang"), trace=[99])
    with pytest.raises(InputError, match="start"):
        run(pop, load_policy("qijiang"), start="2024-13")


def test_keyed_draws_are_uniform_and_independent():
    units = np.arange(200_000)
    u = uniform_array(1, 5, units, 3)
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    assert abs(np.corrcoef(u, uniform_array(1, 5, units, 4))[0, 1]) < 0.01
    assert abs(np.corrcoef(u, uniform_array(2, 5, units, 3))[0, 1]) < 0.01
    assert np.array_equal(u[1000:2000], uniform_array(1, 5, units[1000:2000], 3))
    z = normal_array(1, 6, units, 3)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01


def test_mortality_fits_life_expectancy():
    assert life_expectancy(Behaviour.defaults()) == pytest.approx(77.9, abs=0.3)


@pytest.fixture(scope="module")
def small_population():
    return generate(load_profile("qijiang"), 3000, seed=4)


def test_same_seed_same_table_different_seed_different_table(small_population):
    policy = load_policy("qijiang")
    a = run(small_population, policy, start="2024-01", months=12, seed=1)
    b = run(small_population, policy, start="2024-01", months=12, seed=1)
    c = run(small_population, policy, start="2024-01", months=12, seed=2)
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    assert not a.monthly["payment"].equals(c.monthly["payment"])
    assert a.monthly["payment"].sum() > 0


def test_noop_reform_gives_exactly_zero_difference_and_reforms_share_shocks(small_population):
    policy = load_policy("qijiang")
    # a dated reform value holds from its date on: restate the value of the last change in the
    # horizon (2024-07) for a no-op
    value = policy.value("dibao.standard.urban", "2024-07-01")
    noop = policy.with_reforms({"dibao.standard.urban": {"2024-07-01": value}})
    raised = policy.with_reforms({"dibao.standard.urban": {"2024-07-01": value * 1.2}})
    base = run(small_population, policy, start="2024-01", months=12, seed=3)
    same = run(small_population, noop, start="2024-01", months=12, seed=3)
    more = run(small_population, raised, start="2024-01", months=12, seed=3)
    diff = base.monthly.select_dtypes("number") - same.monthly.select_dtypes("number")
    assert (diff.fillna(0).to_numpy() == 0).all()
    # the reform pays more, and sees exactly the same births and deaths
    assert more.monthly["payment"].sum() > base.monthly["payment"].sum()
    for col in ("births", "deaths"):
        assert more.monthly[col].to_numpy().tolist() == base.monthly[col].to_numpy().tolist()


def _final_state(m: SimulationModel) -> dict[str, np.ndarray]:
    from dataclasses import fields

    return {f"{kind}.{f.name}": getattr(obj, f.name).copy()
            for kind, obj in (("person", m.persons), ("household", m.households))
            for f in fields(obj)}


def test_results_do_not_depend_on_threads_or_chunks(small_population):
    """Keyed draws: the same households, persons and tables at any thread count and chunking."""
    import numba

    policy = load_policy("qijiang")
    runs = []
    threads = numba.get_num_threads()
    try:
        for n_threads, n_chunks in ((1, 64), (min(2, numba.config.NUMBA_NUM_THREADS), 7),
                                    (numba.config.NUMBA_NUM_THREADS, 64)):
            numba.set_num_threads(n_threads)
            m = SimulationModel(small_population, policy, start="2024-01", months=12, seed=5,
                                n_chunks=n_chunks)
            m.run_for(12)
            runs.append((_final_state(m), m.result().monthly))
    finally:
        numba.set_num_threads(threads)
    (state0, table0), rest = runs[0], runs[1:]
    for state, table in rest:
        for name, values in state0.items():
            assert np.array_equal(values, state[name]), name
        # sums over other chunk boundaries may round differently in the last digits
        pd.testing.assert_frame_equal(table0, table, check_exact=False, rtol=1e-9)
    assert table0["payment"].sum() > 0


def test_skipping_unchanged_report_checks_changes_nothing():
    """A recipient whose circumstances have not changed since its last assessment is not
    assessed again for a report check (``households.dirty``). Forcing every household dirty
    every month (every report check assessed) must give the same households and tables, across
    a standard change (Lanzhou New Area's standard follows consumption from 2024)."""
    pop = generate(load_profile("lanzhou_xinqu"), 3000, seed=6)
    policy = load_policy("lanzhou_xinqu")
    results = []
    for force in (False, True):
        m = SimulationModel(pop, policy, start="2023-06", months=24, seed=3)
        for _ in range(24):
            if force:
                m.households.dirty[:] = 1
            m.run_for(1)
        state = _final_state(m)
        state.pop("household.dirty")
        results.append((state, m.result().monthly))
    (state0, table0), (state1, table1) = results
    for name, values in state0.items():
        assert np.array_equal(values, state1[name]), name
    pd.testing.assert_frame_equal(table0, table1)
    assert table0.loc[table0["programme"] == "dibao", "persons"].sum() > 0


def test_chunks_are_taken_in_an_interleaved_order():
    from simulation.engine.model import chunk_order

    order = chunk_order(8, 2)
    # every other chunk, each run starting its own share of the way through: two threads
    # taking the next chunks never work on neighbouring chunks at the same time
    assert order.tolist() == [0, 2, 4, 6, 5, 7, 1, 3]
    for n, k in ((64, 2), (7, 3), (5, 1), (3, 8)):
        assert sorted(chunk_order(n, k).tolist()) == list(range(n))


def test_block_draws_equal_the_draws_made_one_by_one():
    from simulation.engine.rng import normal_pair, uniform

    lo, hi, seed, mkey = 1000, 1300, 9, 24_300
    keys, u = np.empty(hi - lo, dtype=np.uint64), np.empty(hi - lo)
    pr.person_draws(seed, mkey, lo, hi, keys, u)
    z0 = np.array([pr.income_shocks(k)[0] for k in keys])
    for slot in (lo, lo + 1, lo + 137, hi - 1):
        assert u[slot - lo] == uniform(seed, pr.STREAM_PERSON, slot, mkey)
        assert pr.income_shocks(keys[slot - lo]) == normal_pair(seed, pr.STREAM_PERSON, slot, mkey)
    assert abs(u.mean() - 0.5) < 0.06 and abs(z0.mean()) < 0.2


def test_monthly_table_schema_and_weighting(small_population):
    res = run(small_population, load_policy("qijiang"), start="2024-01", months=3, seed=1,
              trace=list(small_population.households.household_id[:3]))
    m = res.monthly
    assert set(m.programme) == {"dibao", "single_inclusion", "tekun", "temporary",
                                "price_linkage", "employment_subsidy", "funeral",
                                *SPECIAL_PROGRAMMES}
    comps = [c for c in m.columns if c.startswith("payment_")]
    assert np.allclose(m[comps].sum(axis=1), m["payment"])
    # persons alive in the table are weighted to the locality's population
    hh = small_population.households
    pop_weighted = float((hh.weight * hh["size"]).sum())
    assert len(res.trace) == 9 and set(res.trace.month) == {"2024-01", "2024-02", "2024-03"}
    assert res.offices["staff"].min() >= 2
    s = res.summary()
    assert s.loc["dibao", "persons_mean"] > 0 and s.loc["dibao", "payment_total"] > 0
    assert pop_weighted > 0


def test_progress_bar_counts_the_months(capsys):
    pop = population([[dict(earned_income=500.0)]])
    res = run(pop, load_policy("qijiang"), start="2024-01", months=3, seed=1, progress=True)
    assert "3/3" in capsys.readouterr().err
    assert sorted(set(res.monthly.month)) == ["2024-01", "2024-02", "2024-03"]


def test_a_new_standard_re_rates_with_the_income_found_at_the_last_decision():
    policy = load_policy("qijiang")
    before = float(policy.value("dibao.standard.urban", "2024-06-01"))
    after = float(policy.value("dibao.standard.urban", "2024-07-01"))
    assert after != before  # the Chongqing standard changes in July 2024
    m = model(population([[dict(earned_income=500.0)]]), start="2024-05", months=3)
    m.persons.wage[m.households.hh_start[0]] = 1000.0  # unreported: counted income 700
    m.run_for(3)
    r = dibao_rows(m.result())
    assert r.loc["2024-06", "payment_gap"] == pytest.approx(10 * (before - 350.0), rel=1e-5)
    # July: the new standard with the income on file (350), not the unreported 700
    assert r.loc["2024-07", "payment_gap"] == pytest.approx(10 * (after - 350.0), rel=1e-5)
    assert r.loc["2024-07", "reviews"] == 0


def test_tekun_minor_ages_out_at_the_review_after_the_birthday():
    # slot 0 has its birthday in January: the 17-year-old turns 18 (tekun.minor_age)
    pop = population([[dict(age=17, labour_ability="none", has_supporter=False)]])
    m = model(pop, months=3)
    assert int(m.households.paid_tekun_n[0]) == 1
    m.run_for(3)
    t = dibao_rows(m.result(), "tekun")
    assert t.loc["2024-02", "persons"] == 10  # paid until the review
    assert t.loc["2024-03", "exits_aged_out"] == 10 and t.loc["2024-03", "persons"] == 0
    d = dibao_rows(m.result())
    assert d.loc["2024-03", "entries"] == 10  # now an adult with no income: dibao


def test_the_locality_behaviour_block_overrides_the_defaults(small_population):
    profile = load_profile("qijiang")
    m = SimulationModel(small_population, load_policy("qijiang"), months=1)
    for name, value in profile.behaviour.items():
        assert getattr(m.behaviour, name) == pytest.approx(value)
    m2 = SimulationModel(small_population, load_policy("qijiang"), months=1,
                         behaviour={"take_up": 0.5})
    assert m2.behaviour.take_up == 0.5
    assert "take_up" in profile.behaviour and profile.behaviour["take_up"] != 0.5


def test_office_hours_queue_applications_oldest_first():
    from simulation.admin.offices import office_parameters

    pop = population([[dict(earned_income=200.0)] for _ in range(50)])  # 500 weighted
    p = office_parameters(load_policy("qijiang").at("2024-01-01"))
    # buy hours so that the two staff decide about 200 applications a month
    bought = 200 * p.hours_per_application - 2 * p.casework_hours
    m = model(pop, months=3, behaviour={"take_up": 1.0, "urgent_rate": 0.0}, initial_enrolment=0.0,
              reforms=[{path: {"2024-01-01": {"value": v, "reference": "reform: test"}} for path, v in
                        (("admin.purchased.hours", bought), ("admin.assistants.per_village", 0))}])
    m.run_for(3)
    assert [o.staff for o in m.offices] == [2]  # staffing.minimum for a small township
    res = m.result()
    off = res.offices.set_index("month")
    assert off["applications"].tolist() == [500.0, 0.0, 0.0]
    assert off["decided"].tolist() == pytest.approx([200.0, 200.0, 100.0])  # exactly the hours
    assert off["backlog"].tolist() == pytest.approx([300.0, 100.0, 0.0])
    assert off["days_to_decision"].is_monotonic_increasing  # the later ones waited longer
    d = dibao_rows(res)
    # the households the office reaches are those with the lowest keyed draws: close to its count
    assert d["entries"].sum() == 500 and d["pending"].iloc[-1] == 0
    assert abs(d["decisions"].iloc[0] - 200) <= 60
    days = res.monthly.query("programme == 'dibao'").set_index("month")["days_to_decision_mean"]
    assert days["2024-01"] < days["2024-02"] < days["2024-03"]


def test_offices_table_counts_the_reviews_of_the_month():
    m = model(population([[dict(earned_income=500.0)], [dict(earned_income=600.0)]]), months=3)
    m.run_for(3)
    off = m.result().offices.set_index("month")
    assert off.loc["2024-03", "reviews"] == 20 and off.loc["2024-02", "reviews"] == 0


def test_re_rating_keeps_fixed_add_ons_and_recomputes_the_own_gap_single_payment():
    # seed-coverage row 17 (qijiang §3 调标): Chongqing's add-ons are fixed yuan; only the gap
    # moves with the July 2024 standard, from the income on file
    policy = load_policy("qijiang")
    before = float(policy.value("dibao.standard.rural", "2024-06-01"))
    after = float(policy.value("dibao.standard.rural", "2024-07-01"))
    add_on = float(policy.value("dibao.supplement.elderly.amount", "2024-06-01"))
    assert after != before and add_on > 0
    elder = dict(age=75, urban=False, labour_ability="none", other_income=300.0)
    # a severely disabled member of a low-income family, included alone with own income 100
    single = [dict(age=45, urban=False, disability="severe", labour_ability="none",
                   other_income=100.0),
              dict(age=45, urban=False, other_income=before * 1.2 * 2 - 100.0)]
    m = model(population([[elder], single]), start="2024-06", months=2)
    assert float(m.households.paid_single[1]) == pytest.approx(before - 100.0, rel=1e-6)
    m.run_for(2)
    r = dibao_rows(m.result())
    assert r.loc["2024-07", "payment_gap"] == pytest.approx(10 * (after - 300.0), rel=1e-5)
    assert r.loc["2024-07", "payment_supplement"] == pytest.approx(10 * add_on, rel=1e-6)
    s = dibao_rows(m.result(), "single_inclusion")
    assert s.loc["2024-07", "payment"] == pytest.approx(10 * (after - 100.0), rel=1e-5)


@pytest.mark.parametrize("wage_multiple, exit_months", [(3.0, 0), (1.2 / 0.7, 6)])
def test_employment_subsidy_continues_when_the_job_lifts_the_household_off_or_into_exit(
        wage_multiple, exit_months):
    # seed-coverage row 28 (qijiang §8 按其家庭当月核减低保金总额): the subsidy is the month's cut,
    # the whole benefit once the household has left, for up to 12 months from the review
    std = standard()
    pop = population([[dict(age=30, registered_unemployed=True)]])
    m = model(pop, months=14, behaviour={"job_find": 1.0, "entry_wage_multiple": wage_multiple})
    old = float(m.households.paid_gap[0])
    assert old == pytest.approx(std, rel=1e-6)
    m.run_for(14)  # job found in January; the March review sees it
    r = dibao_rows(m.result(), "employment_subsidy")
    months = list(r.index)
    paid = r["payment"].to_numpy() / 10
    assert paid[:2].tolist() == [0.0, 0.0]
    # in a gradual exit at 100 % (Chongqing) there is no cut; after it, the whole benefit
    expected = [0.0] * exit_months + [old] * (12 - exit_months)
    assert paid[2:14] == pytest.approx(expected, rel=1e-5), months
    assert int(m.households.subsidy_left[0]) == 0


def test_requalifying_during_exit_pays_the_exit_amount_in_the_review_month():
    # seed-coverage row 26 (jiaohe §5 自审核之月下月起终止“渐退”)
    from simulation.rules.params import dibao_standard

    std = dibao_standard(load_policy("jiaohe").at("2024-01-01"), "urban")  # jiaohe §3 rule
    m = model(population([[dict(other_income=100.0)]]), locality="jiaohe", months=3,
              behaviour={"report_change": 1.0})
    base = float(m.households.paid_gap[0] + m.households.paid_supplement[0])
    slot = m.households.hh_start[0]
    m.persons.other[slot] = 1.2 * std
    m.run_for(1)  # reported in January: gradual exit starts (jiaohe: 75 % in year 1)
    m.persons.other[slot] = 100.0  # income falls again: qualifies at the February report
    m.households.dirty[0] = 1
    m.run_for(2)
    res = m.result()
    assert list(res.trace.event)[:2] == ["exit_started", "requalified"]
    r = dibao_rows(res)
    assert r.loc["2024-02", "payment_gradual_exit"] == pytest.approx(10 * 0.75 * base, rel=1e-5)
    assert r.loc["2024-02", "payment_gap"] == 0
    assert r.loc["2024-03", "payment_gap"] == pytest.approx(10 * (std - 100.0), rel=1e-5)


def test_lanzhou_reviews_follow_the_payment_class():
    # seed-coverage row 52 (lanzhou §六): a rural class-3 elderly couple is reviewed every six
    # months (September too), a rural class-1 adult able to work only yearly (March)
    class_3 = [dict(age=72, urban=False, labour_ability="none", other_income=600.0),
               dict(age=70, urban=False, labour_ability="none")]
    class_1 = [dict(age=40, urban=False)]
    m = model(population([class_3, class_1]), locality="lanzhou_xinqu", start="2024-08", months=2)
    assert int(m.households.review_class[0]) == 2 and int(m.households.review_class[1]) == 0
    m.run_for(2)
    r = dibao_rows(m.result())
    assert r.loc["2024-09", "reviews"] == 10  # the class-3 household only


def test_urgent_aid_is_paid_by_severity_tier():
    # seed-coverage row 59 (jiaohe §12): each case is paid its tier's amount, not the average
    amount = float(load_policy("jiaohe").value("temporary.urgent.amount", "2024-01-01"))
    tiers = {round(f * amount, 2) for f in (0.5, 1.0, 2.0)}
    pop = population([[dict(other_income=100.0)] for _ in range(40)], weight=1.0)
    m = model(pop, locality="jiaohe", months=2, behaviour={"urgent_rate": 1.0})
    m.run_for(2)
    t = dibao_rows(m.result(), "temporary")
    assert (t["households"] == 40).all()  # every household a case each month
    paid = t["payment_urgent"].sum()
    assert paid != pytest.approx(80 * amount)  # not every case at the average
    assert len(tiers) == 3 and 80 * 0.5 * amount < paid < 80 * 2 * amount
    units = paid / (0.5 * amount)  # every tier is a whole number of half-averages (1, 2, 4)
    assert units == pytest.approx(round(units), abs=1e-6)


@pytest.mark.parametrize("refilled", [True, False])
def test_township_reserve_binds_and_is_reported(refilled):
    # seed-coverage row 63 (boshan §3 镇（街道）设立5万元以上临时救助储备金): a township's urgent aid
    # in a month stops at its reserve unless the county refills it; the excess is reported
    amount = float(load_policy("boshan").value("temporary.urgent.amount", "2024-01-01"))
    reforms = [{"temporary.township_reserve": {"2024-01-01": 10 * amount},
                "temporary.reserve_refilled": {"2024-01-01": refilled}}]
    pop = population([[dict(other_income=100.0)] for _ in range(3)], weight=5.0)
    m = model(pop, locality="boshan", months=1, behaviour={"urgent_rate": 1.0}, reforms=reforms)
    m.run_for(1)
    t = dibao_rows(m.result(), "temporary")
    demand = 15 * amount  # three cases, weight 5 each, in one township
    assert t.loc["2024-01", "reserve_exceeded"] == pytest.approx(demand - 10 * amount)
    paid = demand if refilled else 10 * amount
    assert t.loc["2024-01", "payment_urgent"] == pytest.approx(paid)
    assert t.loc["2024-01", "payment"] == pytest.approx(paid)


def test_a_large_illness_case_is_approved_once_and_paid_in_parts():
    # seed-coverage row 60 (jiaohe §12 “一次审批、分次发放”): 9 × the urban standard ≥ 6 × → three
    # monthly parts (jiaohe policy file), one case
    from simulation.rules.params import dibao_standard

    reforms = [{"temporary.illness.multiple_min": {"2024-01-01": 9},
                "temporary.illness.multiple_max": {"2024-01-01": 9}}]
    m = model(population([[dict(other_income=100.0)]]), locality="jiaohe", months=4,
              behaviour={"illness_onset": 1.0, "temporary_take_up": 1.0, "illness_recovery": 0.0},
              reforms=reforms)
    m.run_for(4)
    std = dibao_standard(load_policy("jiaohe").at("2024-01-01"), "urban")
    t = dibao_rows(m.result(), "temporary")
    assert t["payment_illness"].tolist() == pytest.approx([10 * 3 * std] * 3 + [0.0], rel=1e-5)
    assert t["households"].tolist() == [10, 0, 0, 0]


def test_the_trace_is_the_households_state_of_each_month(small_population):
    """The trace (recorded as columns a month) against the model's arrays read household by
    household at the end: members, their earnings summed in slot order at the column's own
    precision, status, payments and event names."""
    from simulation.engine.model import SimulationModel
    from simulation.engine.state import STATE_NAMES

    ids = small_population.households["household_id"].to_numpy()[:400]
    m = SimulationModel(small_population, load_policy("qijiang"), "2024-01", 4, 3, trace=ids)
    m.run_for(4)
    trace = m.result().trace
    assert len(trace) == 4 * len(ids) and list(trace["household_id"].iloc[:3]) == list(ids[:3])
    last = trace[trace["month"] == "2024-04"].reset_index(drop=True)
    hh, s = m.households, m.persons
    for r, h in enumerate(m.tracer.positions):
        n = int(hh.n_alive[h])
        lo = int(m.bounds[2 * h])
        row = last.iloc[r]
        assert row["persons"] == n and row["status"] == STATE_NAMES[int(hh.status[h])]
        assert row["earned_income"] == float(s.earned[lo:lo + n].sum())
        assert row["paid_tekun"] == float(hh.paid_tekun_basic[h] + hh.paid_tekun_care[h])
        assert row["event"] == pr.EVENTS[int(hh.event[h])]
        assert (n == 0) == bool(np.isnan(row["per_capita_income"]))
    assert last["earned_income"].gt(0).any() and (last["status"] == "enrolled").any()
    assert trace.dtypes["persons"] == np.int64 and trace.dtypes["dibao_eligible"] == np.dtype(bool)


def test_a_state_kept_for_the_next_model_runs_as_one_built_afresh():
    """``state_cache`` (the explorer's): models built from the kept state run exactly as one
    built from the population, and their runs leave the kept state as it was built."""
    from dataclasses import fields

    pop = generate(load_profile("qijiang"), 600, seed=3)
    policy = load_policy("qijiang")
    kept: dict = {}

    def cache(key, build):
        if key not in kept:
            kept[key] = build()
        return kept[key]

    def ran(**kw):
        m = SimulationModel(pop, policy, start="2024-01", months=5, seed=2, **kw)
        m.run_for(5)
        return m

    fresh = ran()
    first, second = ran(state_cache=cache), ran(state_cache=cache)
    assert len(kept) == 1
    (template_slots, template_hh, _), = kept.values()
    again = SimulationModel(pop, policy, start="2024-01", months=5, seed=2)
    for m in (first, second):
        pd.testing.assert_frame_equal(m.result().monthly, fresh.result().monthly)
        for name in (f.name for f in fields(m.persons)):
            assert np.array_equal(getattr(m.persons, name), getattr(fresh.persons, name)), name
            # the kept state is the state before any month (a model's own copy moved on)
            assert np.array_equal(getattr(template_slots, name), getattr(again.persons, name)), name
        for name in (f.name for f in fields(m.households)):
            assert np.array_equal(getattr(m.households, name), getattr(fresh.households, name)), name
    assert not np.shares_memory(first.persons.earned, second.persons.earned)


def test_kernel_2_takes_kernel_1s_assessments_and_counts_as_its_own():
    """Kernel 1 works out the rules' results and special assistance's member counts of the
    households kernel 2 may need them for (``assessment_ahead``, ``members_ahead``): runs with
    all of them, with one row a chunk (the rest assessed by kernel 2) and with none are the
    same to the bit, over a policy change (every household's circumstances new to the rules)."""
    from dataclasses import fields

    from simulation.rules.entitlement import N_OUTPUTS

    pop = generate(load_profile("qijiang"), 2000, seed=4)
    policy = load_policy("qijiang")

    def ran(rows: int | None):
        raised = policy.with_reforms({"dibao.standard.urban": {
            "2024-07-01": policy.value("dibao.standard.urban", "2024-06-01") * 1.1}})
        m = SimulationModel(pop, raised, start="2024-01", months=14, seed=3)
        if rows is not None:
            n_chunks = m.work.ahead.shape[0]
            m.work = m.work._replace(ahead=np.zeros((n_chunks, rows, N_OUTPUTS)),
                                     ahead_h=np.zeros((n_chunks, rows), np.int64),
                                     members_n=m.work.members_n[:0] if rows == 0
                                     else m.work.members_n)
        ahead = 0
        for _ in range(14):
            m.step()
            ahead += int(m.work.ahead_n.sum())
        return m, ahead

    full, n_full = ran(None)
    one, n_one = ran(1)
    none, n_none = ran(0)
    assert n_full > 200 and 0 < n_one < n_full and n_none == 0
    for m in (one, none):
        pd.testing.assert_frame_equal(m.result().monthly, full.result().monthly)
        for rec in ("persons", "households"):
            for f in fields(getattr(m, rec)):
                assert np.array_equal(getattr(getattr(m, rec), f.name),
                                      getattr(getattr(full, rec), f.name)), f.name


def test_each_kernel_thread_runs_on_a_cpu_of_its_own():
    """``threads.pin_workers``: numba's workers on distinct CPUs, once per process; with
    ``SIMULATION_PIN_THREADS=0`` left to the operating system."""
    import os
    import subprocess
    import sys

    import numba

    from simulation.engine import threads

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) < 2 or numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs two CPUs and two numba threads")
    assert threads.pin_workers() and threads.pin_workers()
    n = numba.config.NUMBA_NUM_THREADS
    in_use = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        tids = np.zeros(n, np.int64)
        threads._worker_ids(tids)
    finally:
        numba.set_num_threads(in_use)
    placed = [frozenset(os.sched_getaffinity(int(t))) for t in tids]
    assert all(len(p) == 1 for p in placed)
    assert len(set(placed)) == min(n, len(cpus))
    assert len(os.sched_getaffinity(0)) == len(cpus)  # the calling thread stays free
    code = "from simulation.engine.threads import pin_workers; print(pin_workers())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "SIMULATION_PIN_THREADS": "0"}, check=True)
    assert out.stdout.strip() == "False"
