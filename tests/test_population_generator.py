"""The population generator: reproducible, weighted to the locality, realistic structure."""

import numpy as np
import pandas as pd
import pytest

from simulation.population import generate, load_profile
from simulation.population.columns import validate_persons


@pytest.fixture(scope="module")
def profile():
    return load_profile("china_2021")


@pytest.fixture(scope="module")
def pop(profile):
    return generate(profile, 60_000, seed=7)


def _pc_income(pop):
    p = pop.persons
    inc = (p.earned_income + p.basic_pension + p.other_income).groupby(p.household_id).sum()
    return inc.to_numpy() / pop.households["size"].to_numpy()


def test_same_seed_same_population_bit_for_bit(profile, pop):
    again = generate(profile, 60_000, seed=7)
    pd.testing.assert_frame_equal(pop.persons, again.persons, check_exact=True)
    pd.testing.assert_frame_equal(pop.households, again.households, check_exact=True)
    other = generate(profile, 60_000, seed=8)
    assert not np.array_equal(other.persons["earned_income"].to_numpy()[:1000],
                              pop.persons["earned_income"].to_numpy()[:1000])


def test_weights_sum_to_population(profile, pop):
    hh = pop.households
    total = (hh.weight * hh["size"]).sum()
    assert total == pytest.approx(profile["population.residents"], rel=1e-9)
    urban = (hh.weight * hh["size"])[hh.urban].sum()
    assert urban / total == pytest.approx(profile["population.urban_share"], rel=1e-9)


def test_full_locality_has_unit_weights():
    p = load_profile("boshan")
    full = generate(p, None, seed=1)
    assert full.weight == pytest.approx(1.0, abs=0.02)
    assert (full.households["size"] * full.weight).sum() == pytest.approx(424_400)


def test_persons_valid_sorted_and_consistent(pop):
    persons = pop.persons
    assert (np.diff(persons.household_id.to_numpy()) >= 0).all()
    arrays = validate_persons(persons)
    assert np.array_equal(arrays.hh_start, pop.arrays.hh_start)
    sizes = persons.groupby("household_id").size().to_numpy()
    assert np.array_equal(sizes, pop.households["size"].to_numpy())
    merged = persons[["household_id", "township", "village", "urban"]].drop_duplicates()
    assert len(merged) == len(pop.households)
    assert np.array_equal(merged.township.to_numpy(), pop.households.township.to_numpy())


def test_townships_and_villages_in_range(profile, pop):
    hh = pop.households
    n_t, n_s = profile["townships.count"], profile["townships.streets"]
    assert hh.township.between(0, n_t - 1).all()
    assert (hh.township[~hh.urban] >= n_s).all()  # rural households live in towns
    vpt = profile["townships.villages_per_township"]
    assert (hh.village // vpt == hh.township).all()


def test_age_structure_matches_profile(profile, pop):
    w = np.repeat(pop.weight, pop.households["size"])
    age = pop.persons.age.to_numpy()
    assert np.average(age >= 60, weights=w) == pytest.approx(profile["age.aged_60_plus"], abs=0.005)
    assert np.average(age >= 65, weights=w) == pytest.approx(profile["age.aged_65_plus"], abs=0.005)
    assert np.average(age < 18, weights=w) == pytest.approx(profile["age.under_18"], abs=0.005)
    sev = pop.persons.disability.to_numpy() == "severe"
    assert np.average(sev, weights=w) == pytest.approx(profile["health.disability_severe"], rel=0.1)


def test_income_mean_and_median_match_profile(profile, pop):
    pc = _pc_income(pop) * 12
    hh = pop.households
    for area, mask in (("urban", hh.urban.to_numpy()), ("rural", ~hh.urban.to_numpy())):
        w = hh["size"].to_numpy()[mask] * hh.weight.to_numpy()[mask]
        x = pc[mask]
        assert np.average(x, weights=w) == pytest.approx(profile[f"income.mean.{area}"], rel=1e-6)
        order = np.argsort(x)
        cum = np.cumsum(w[order])
        median = x[order][np.searchsorted(cum, cum[-1] / 2)]
        assert median == pytest.approx(profile[f"income.median.{area}"], rel=0.03)


def test_income_structure(pop):
    """Lone elderly, disabled and low-tail households are poorer; a dibao-level tail exists."""
    hh = pop.households
    p = pop.persons
    pc = _pc_income(pop)
    head = pop.arrays.hh_start[:-1]
    lone_elderly = (hh["size"].to_numpy() == 1) & (p.age.to_numpy()[head] >= 60)
    rural = ~hh.urban.to_numpy()
    assert np.median(pc[lone_elderly & rural]) < 0.7 * np.median(pc[rural])
    disabled_hh = p.groupby("household_id").disability.apply(lambda s: (s == "severe").any()).to_numpy()
    assert np.median(pc[disabled_hh & rural]) < np.median(pc[~disabled_hh & rural])
    tail = pop.tail
    assert np.median(pc[tail & rural]) < 0.4 * np.median(pc[~tail & rural])
    # households below a rural dibao-like standard (530 yuan/month) exist, and not too many
    share_below = np.average(pc[rural] < 530, weights=hh["size"].to_numpy()[rural])
    assert 0.03 < share_below < 0.3
    # assets correlate with income
    assets = p.financial_assets.groupby(p.household_id).sum().to_numpy()
    assert np.corrcoef(np.log(assets), np.log(pc + 1))[0, 1] > 0.3


def test_basic_pension_for_rural_elderly(profile, pop):
    p = pop.persons
    rural_old = (~p.urban) & (p.age >= 60)
    assert (p.basic_pension[rural_old] == profile["pension.basic_amount"]).all()
    assert (p.basic_pension[p.age < 60] == 0).all()


def test_tekun_type_persons(pop):
    p = pop.persons[pop.tekun_type]
    assert len(p) > 0
    assert (~p.has_supporter).all()
    assert (p.labour_ability == "none").all()
    assert (p.earned_income == 0).all() and (p.other_income == 0).all()
    assert (pop.persons.has_supporter[~pop.tekun_type]).all()


def test_free_parameters_change_only_what_they_govern(profile):
    base = generate(profile, 20_000, seed=3)
    more = generate(profile, 20_000, seed=3,
                    free={"tail_share.rural": profile.free["tail_share.rural"] + 0.1})
    assert more.tail.sum() > base.tail.sum()
    assert np.array_equal(base.persons.age, more.persons.age)  # same households (common draws)
    tk = generate(profile, 20_000, seed=3,
                  free={"tekun_share.rural": profile.free["tekun_share.rural"] + 0.2})
    assert tk.tekun_type.sum() > base.tekun_type.sum()


def test_bad_sample_size(profile):
    with pytest.raises(ValueError, match="n_households"):
        generate(profile, 1)


def test_tiny_sample_has_both_areas_weighted(profile):
    pop = generate(profile, 3, seed=1)
    hh = pop.households
    assert hh.urban.any() and (~hh.urban).any()
    assert (hh.weight * hh["size"]).sum() == pytest.approx(profile["population.residents"])


def test_age_shares_impossible_for_household_sizes(profile):
    from simulation.population import ProfileError

    old = profile.values.copy()
    try:
        profile.values.update({"age.aged_60_plus": 0.75, "age.aged_65_plus": 0.6,
                               "age.aged_18_59": 0.05})
        with pytest.raises(ProfileError, match="age shares cannot be reached"):
            generate(profile, 1_000, seed=1)
    finally:
        profile.values.clear()
        profile.values.update(old)
