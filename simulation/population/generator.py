"""Synthetic household populations (合成人口) of a locality, from its profile.

:func:`generate` builds households and persons with numpy only (no loop per household): every
random draw is taken up front, in a fixed order and of a size that depends only on the profile's
structural figures, ``n_households`` and ``seed``. The free parameters (low-tail share, depth and
size tilt, tekun-type share, assets; ``profile.free``) only transform those draws, so a
calibration that changes them sees the same households (common random numbers) and the same seed
always gives the same population, bit for bit.

Model, per area (urban / rural):

- households: size from ``household_size``; composition from ``age`` (one-person: elderly or
  adult; two-person: elderly couple, adult and minor, or two adults; larger: two adults plus
  members who are elderly with probability q and minors with probability r, q and r solved so
  the shares of persons aged 60+ and 0-17 match the profile);
- persons: disability, serious illness, paralysis, rare disease (prevalence × age multiple,
  normalised so the overall share matches), labour ability from age and health, self-care,
  registered unemployment;
- tekun-type persons (特困: no labour ability, no supporter, no income): a share ``tekun_share`` of
  one-person households of elderly or severely disabled persons without labour ability;
- income: households outside the low tail have per-capita income ``body_floor × mean`` plus a
  lognormal part scaled by the household's earning capacity
  (``((earners + earner_floor) ÷ size) ** capacity_elasticity``), its scale set so the area's
  mean per-capita income equals the profile's and its spread so the median does too; a low
  tail (share ``tail_share``; risk higher for households of persons unable to work, by
  ``vulnerability_risk``, for households with a disabled member, by ``disability_risk``,
  and for small ones, by ``tail_size_tilt``) has per-capita income
  ``mean × exp(tail_level + tail_spread × z)``; residents' basic pension for rural elderly and
  urban elderly in the residents' scheme; assets lognormal around ``asset_months`` of
  household income, correlated with income.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulation.population.columns import (
    CATEGORIES,
    COLUMNS,
    DISABILITY_MILD,
    DISABILITY_NONE,
    DISABILITY_SEVERE,
    LABOUR_FULL,
    LABOUR_NONE,
    LABOUR_PARTIAL,
    SELF_CARE_ABLE,
    SELF_CARE_PARTIAL,
    SELF_CARE_UNABLE,
    PersonArrays,
)
from simulation.population.profiles import Profile, ProfileError

# Member roles used while building households.
_MINOR, _ADULT, _ELDERLY = 0, 1, 2
_AREAS = ("urban", "rural")
#: Money floor (yuan/month per capita) under the income used to scale assets.
_ASSET_INCOME_FLOOR = 100.0


@dataclass(eq=False)
class Population:
    """A generated population.

    ``persons``: one row per person (columns of docs/contracts.md §2 plus township, village),
    sorted by household, built on first use; ``households``: household_id, township, village, urban, size, weight
    (persons represented per sample person: ``(weight * size).sum()`` is the resident
    population). ``arrays`` is the same persons as :class:`PersonArrays` (codes), built
    without a second pass of validation. ``tail`` marks households drawn into the low-income
    tail and ``tekun_type`` persons generated as tekun-type (for diagnostics).
    """

    profile_id: str
    seed: int
    households: pd.DataFrame
    arrays: PersonArrays
    free: dict[str, float]
    tail: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, bool))
    tekun_type: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, bool))
    _persons: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def persons(self) -> pd.DataFrame:
        """The person table (built from ``arrays`` on first use and kept); categories as pandas
        Categorical of the labels in docs/contracts.md §2."""
        if self._persons is None:
            self._persons = _frame(self.arrays)
        return self._persons

    @property
    def weight(self) -> np.ndarray:
        """Household weights (persons represented per sample person)."""
        return self.households["weight"].to_numpy()


def _household_urban_share(profile: Profile) -> float:
    """Share of households that are urban, from the urban share of persons and mean sizes."""
    s = profile["population.urban_share"]
    mu = _mean_size(profile["household_size.urban"])
    mr = _mean_size(profile["household_size.rural"])
    return (s / mu) / (s / mu + (1 - s) / mr)


def household_count(profile: Profile) -> int:
    """Number of households of the whole locality (residents ÷ mean household size)."""
    share_u_hh = _household_urban_share(profile)
    mean_size = share_u_hh * _mean_size(profile["household_size.urban"]) + \
        (1 - share_u_hh) * _mean_size(profile["household_size.rural"])
    return int(round(profile["population.residents"] / mean_size))


def _mean_size(shares: tuple[float, ...]) -> float:
    return float(np.dot(np.arange(1, len(shares) + 1), shares) / sum(shares))


def _composition(profile: Profile, area: str) -> tuple[float, float]:
    """Probabilities (q, r) that an extra member of a 3+ household is elderly / a minor.

    Solved so the expected shares of persons aged 60+ and 0-17 equal the profile's.
    """
    h = np.asarray(profile[f"household_size.{area}"], float)
    h = h / h.sum()
    sizes = np.arange(1, 7)
    mean = float(h @ sizes)
    extra = float(h[2:] @ (sizes[2:] - 2))
    a1, a2, c2 = (profile["age.single_elderly_share"], profile["age.couple_elderly_share"],
                  profile["age.pair_minor_share"])
    q = (profile["age.aged_60_plus"] * mean - h[0] * a1 - 2 * h[1] * a2) / extra
    r = (profile["age.under_18"] * mean - h[1] * c2) / extra
    if q < 0 or r < 0 or q + r > 1 or a2 + c2 > 1:
        raise ProfileError([(str(profile.path), "age", {"q_elderly": round(q, 4), "r_minor": round(r, 4)},
                             f"age shares cannot be reached with the {area} household sizes and "
                             "one/two-person compositions (extra members' probabilities outside 0..1)")])
    return q, r


def _draw_sizes(shares: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    cum = np.cumsum(shares) / sum(shares)
    return (np.searchsorted(cum, u, side="right") + 1).clip(1, len(shares)).astype(np.int64)


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cum, cum[-1] / 2)])


def _area_income(profile: Profile, area: str, fp: dict[str, float], log_cap: np.ndarray,
                 z: np.ndarray, z_tail: np.ndarray, in_tail: np.ndarray, tekun: np.ndarray,
                 size: np.ndarray, pension_hh: np.ndarray) -> np.ndarray:
    """Per-capita non-pension income (yuan/month) of one area's households.

    Body (households not in the low tail): ``body_floor × mean + s × capacity × exp(sigma z)``,
    a shifted lognormal: the poor are modelled by the tail, so the body has no households below
    the floor. ``s`` is set so the person-weighted mean per-capita income (pensions included)
    is the profile's mean; sigma so the median matches too (a few fixed-point steps on the first
    50,000 households, which are a random subset). Tail: ``mean × exp(tail_level + tail_spread
    z_tail)``. Tekun-type households: 0.
    """
    mean_m = profile[f"income.mean.{area}"] / 12.0
    log_ratio = np.log(profile[f"income.mean.{area}"] / profile[f"income.median.{area}"])
    w = size.astype(float)
    tail_x = mean_m * np.exp(fp[f"tail_level.{area}"] + profile["income.tail_spread"] * z_tail)
    floor = profile["income.body_floor"] * mean_m
    body = ~(in_tail | tekun)

    def build(sigma: float, idx: slice) -> np.ndarray:
        x = np.where(in_tail[idx], tail_x[idx], np.exp(log_cap[idx] + sigma * z[idx]))
        x[tekun[idx]] = 0.0
        b, ww = body[idx], w[idx]
        need = mean_m * ww.sum() - (x * ww)[~b].sum() - pension_hh[idx].sum() - floor * ww[b].sum()
        have = (x * ww)[b].sum()
        if need <= 0 or have <= 0:
            raise ProfileError([(str(profile.path), f"free_parameters.tail_share.{area}",
                                 fp[f"tail_share.{area}"],
                                 "the low tail leaves no income for the other households")])
        x[b] = floor + x[b] * (need / have)
        return x

    # the household's earning capacity already spreads incomes; the lognormal adds the rest
    var_cap = np.average((log_cap - np.average(log_cap, weights=w)) ** 2, weights=w)
    var = max(2 * log_ratio - var_cap, 0.01)
    sub = slice(0, min(len(w), 50_000))
    for _ in range(3):
        xs = build(np.sqrt(var), sub)
        per_capita = xs + pension_hh[sub] / w[sub]
        realised = np.log(np.average(per_capita, weights=w[sub]) / _weighted_median(per_capita, w[sub]))
        var = max(var + 2 * (log_ratio - realised), 0.01)
    return build(np.sqrt(var), slice(None))


def generate(profile: Profile, n_households: int | None = None, seed: int = 1,
             free: dict[str, float] | None = None) -> Population:
    """Generate the population of a locality.

    ``n_households=None`` builds the whole locality (weights 1 up to rounding); an int builds a
    sample of that many households whose weights sum (× size) to the resident population, urban
    and rural separately. ``free`` overrides the profile's free parameters (for calibration).
    Same profile, size, seed and free parameters give the same population, bit for bit.
    """
    fp = {**profile.free, **(free or {})}
    pop = float(profile["population.residents"])
    share_u_hh = _household_urban_share(profile)
    if n_households is None:
        n_households = household_count(profile)
    if not isinstance(n_households, (int, np.integer)) or n_households < 2:
        raise ValueError(f"n_households must be an integer >= 2, got {n_households!r}")
    n = int(n_households)
    rng = np.random.default_rng(seed)

    # ---- households: area, size, composition -------------------------------------------------
    n_u = int(round(n * share_u_hh))
    urban_hh = np.zeros(n, bool)
    urban_hh[:n_u] = True
    u_size = rng.random(n)
    size = np.where(urban_hh, _draw_sizes(profile["household_size.urban"], u_size),
                    _draw_sizes(profile["household_size.rural"], u_size))
    u_type = rng.random(n)
    hh_start = np.zeros(n + 1, np.int64)
    np.cumsum(size, out=hh_start[1:])
    n_p = int(hh_start[-1])
    hh_of = np.repeat(np.arange(n), size)
    pos = np.arange(n_p) - hh_start[hh_of]
    urban = urban_hh[hh_of]

    role = np.full(n_p, _ADULT, np.int8)
    size_p, type_p = size[hh_of], u_type[hh_of]
    u_member = rng.random(n_p)
    a1, a2, c2 = (profile["age.single_elderly_share"], profile["age.couple_elderly_share"],
                  profile["age.pair_minor_share"])
    role[(size_p == 1) & (type_p < a1)] = _ELDERLY
    role[(size_p == 2) & (type_p < a2)] = _ELDERLY
    role[(size_p == 2) & (type_p >= a2) & (type_p < a2 + c2) & (pos == 1)] = _MINOR
    for area_flag, area in ((True, "urban"), (False, "rural")):
        q, r = _composition(profile, area)
        extra = (size_p >= 3) & (pos >= 2) & (urban == area_flag)
        role[extra & (u_member < q)] = _ELDERLY
        role[extra & (u_member >= q) & (u_member < q + r)] = _MINOR

    # ---- ages ----------------------------------------------------------------------------------
    u_age, u_age2 = rng.random(n_p), rng.random(n_p)
    p_60_64 = 1 - profile["age.aged_65_plus"] / profile["age.aged_60_plus"]
    over65 = np.minimum(np.floor(rng.exponential(profile["age.mean_years_over_65"], n_p)), 35)
    elderly_age = np.where(u_age < p_60_64, 60 + np.floor(5 * u_age2), 65 + over65)
    age = np.select([role == _MINOR, role == _ADULT],
                    [np.floor(18 * u_age), 18 + np.floor(42 * u_age)], elderly_age).astype(np.int16)
    elderly, minor = age >= 60, age < 18

    # ---- health ------------------------------------------------------------------------------
    u_dis, u_ill, u_rare, u_para, u_para_m, u_care = (rng.random(n_p) for _ in range(6))
    mult = np.select([minor, elderly], [profile["health.disability_minor_multiple"],
                                        profile["health.disability_elderly_multiple"]], 1.0)
    mult = mult / mult.mean()  # keeps the overall prevalence at the profile's figure
    p_sev = profile["health.disability_severe"] * mult
    p_mild = profile["health.disability_mild"] * mult
    disability = np.where(u_dis < p_sev, DISABILITY_SEVERE,
                          np.where(u_dis < p_sev + p_mild, DISABILITY_MILD, DISABILITY_NONE)).astype(np.int8)
    ill_mult = np.where(elderly, profile["health.serious_illness_elderly_multiple"], 1.0)
    serious_illness = u_ill < profile["health.serious_illness"] * ill_mult / ill_mult.mean()
    rare_disease = u_rare < profile["health.rare_disease"]
    severe = disability == DISABILITY_SEVERE
    paralysed = severe & (u_para < profile["health.paralysed_share_of_severe"])
    paralysed_months = np.zeros(n_p, np.int16)
    paralysed_months[paralysed] = np.minimum(
        1 + np.floor(-profile["health.paralysed_mean_months"] * np.log1p(-u_para_m[paralysed])), 1200)

    partial_6069 = np.where(urban, profile["labour.partial_60_69.urban"], profile["labour.partial_60_69.rural"])
    labour = np.full(n_p, LABOUR_FULL, np.int8)
    labour[(disability == DISABILITY_MILD) | serious_illness] = LABOUR_PARTIAL
    labour[elderly] = np.where((age[elderly] < 70) & (u_care[elderly] < partial_6069[elderly])
                               & ~severe[elderly], LABOUR_PARTIAL, LABOUR_NONE)
    labour[minor | severe | (paralysed_months > 0)] = LABOUR_NONE

    self_care = np.full(n_p, SELF_CARE_ABLE, np.int8)
    u_sc = rng.random(n_p)
    pe_u, pe_p = profile["health.self_care_unable_elderly"], profile["health.self_care_partial_elderly"]
    ps_u, ps_p = profile["health.self_care_unable_severe"], profile["health.self_care_partial_severe"]
    self_care[elderly & (u_sc < pe_u + pe_p)] = SELF_CARE_PARTIAL
    self_care[elderly & (u_sc < pe_u)] = SELF_CARE_UNABLE
    sev_young = severe & ~elderly
    self_care[sev_young & (u_sc < ps_u + ps_p)] = SELF_CARE_PARTIAL
    self_care[sev_young & (u_sc < ps_u)] = SELF_CARE_UNABLE
    self_care[paralysed_months > 0] = SELF_CARE_UNABLE

    u_unemp = rng.random(n_p)
    unemp_rate = np.where(urban, profile["labour.registered_unemployment.urban"],
                          profile["labour.registered_unemployment.rural"])
    registered_unemployed = (labour == LABOUR_FULL) & ~minor & (u_unemp < unemp_rate)

    # ---- tekun-type persons (lone, unable to work, elderly or severely disabled) --------------
    u_tekun = rng.random(n)
    head = hh_start[:-1]
    candidate = (size == 1) & (labour[head] == LABOUR_NONE) & (elderly[head] | severe[head])
    tekun_share = np.where(urban_hh, fp["tekun_share.urban"], fp["tekun_share.rural"])
    tekun_hh = candidate & (u_tekun < tekun_share)
    has_supporter = ~tekun_hh[hh_of]
    care_wish = (rng.random(n_p) < profile["care.centralised_wish"]).astype(np.int8)

    # ---- incomes ------------------------------------------------------------------------------
    z_hh, z_tail, e_asset, u_tail, u_pension = (rng.standard_normal(n), rng.standard_normal(n),
                                                rng.standard_normal(n), rng.random(n), rng.random(n_p))
    earner_w = np.select([labour == LABOUR_FULL, labour == LABOUR_PARTIAL], [1.0, 0.5], 0.0)
    earner_w[registered_unemployed] = 0.0
    earners = np.add.reduceat(earner_w, head)
    vulnerable = ((labour == LABOUR_NONE) & ~minor) | severe | serious_illness
    vuln_share = np.add.reduceat(vulnerable.astype(float), head) / size
    any_disabled = np.add.reduceat((disability != DISABILITY_NONE).astype(np.int32), head) > 0
    capacity = ((earners + profile["income.earner_floor"]) / size) ** profile["income.capacity_elasticity"]

    pension_share = np.where(urban, profile["pension.urban_residents_share"], 1.0)
    basic_pension = np.where(elderly & (u_pension < pension_share), profile["pension.basic_amount"], 0.0)
    pension_hh = np.add.reduceat(basic_pension, head)

    pc_income = np.zeros(n)  # household per-capita non-pension income, yuan/month
    tail = np.zeros(n, bool)
    for area_flag, area in ((True, "urban"), (False, "rural")):
        sel = urban_hh == area_flag
        if not sel.any():
            continue
        risk = np.exp(fp[f"tail_size_tilt.{area}"] * (size[sel] - 1)) * \
            (1 + (profile["income.vulnerability_risk"] - 1) * vuln_share[sel]) * \
            np.where(any_disabled[sel], profile["income.disability_risk"], 1.0)
        p_tail = np.minimum(fp[f"tail_share.{area}"] * risk / risk.mean(), 1.0)
        in_tail = (u_tail[sel] < p_tail) & ~tekun_hh[sel]
        tail[sel] = in_tail
        pc_income[sel] = _area_income(profile, area, fp, np.log(capacity[sel]), z_hh[sel], z_tail[sel],
                                      in_tail, tekun_hh[sel], size[sel], pension_hh[sel])

    total = pc_income * size  # household non-pension income, yuan/month
    other_share = np.where(earners > 0, profile["income.other_share"], 1.0)
    other_hh = total * other_share
    earned_hh = total - other_hh
    # earned income split over earners by their weight (full 1, partial 0.5)
    per_earner = np.divide(earned_hh, earners, out=np.zeros(n), where=earners > 0)
    earned_income = per_earner[hh_of]
    earned_income *= earner_w
    other_income = (other_hh / size)[hh_of]

    # assets: lognormal around asset_months of household income, correlated with income
    rho, sig_a = profile["assets.income_correlation"], profile["assets.sigma"]
    eps = rho * z_hh + np.sqrt(1 - rho ** 2) * e_asset
    base = np.maximum(pc_income + pension_hh / size, _ASSET_INCOME_FLOOR) * size
    assets_hh = fp["asset_months"] * base * np.exp(sig_a * eps)
    financial_assets = (assets_hh / size)[hh_of]

    u_rigid = rng.random(n_p)
    schooling = (age >= 6) & minor
    rigid = np.zeros(n_p)
    # medical spending of the seriously ill: log-uniform within ±0.8 log points of the median
    rigid[serious_illness] = profile["rigid.illness_median"] * np.exp(1.6 * (u_rigid[serious_illness] - 0.5))
    rigid[schooling] += profile["rigid.schooling"]

    # ---- townships and villages ----------------------------------------------------------------
    n_t, n_s = int(profile["townships.count"]), int(profile["townships.streets"])
    vpt = int(profile["townships.villages_per_township"])
    u_t1, u_t2, u_v = rng.random(n), rng.random(n), rng.random(n)
    in_street = urban_hh & (u_t1 < profile["townships.urban_in_streets"]) if n_s > 0 else np.zeros(n, bool)
    township = np.where(in_street, np.floor(u_t2 * n_s), n_s + np.floor(u_t2 * (n_t - n_s))).astype(np.int32)
    village = (township * vpt + np.floor(u_v * vpt)).astype(np.int32)

    # ---- weights: urban and rural persons each sum to the profile's figure ---------------------
    persons_u = size[urban_hh].sum()
    persons_r = size[~urban_hh].sum()
    w_u = pop * profile["population.urban_share"] / persons_u if persons_u else 0.0
    w_r = pop * (1 - profile["population.urban_share"]) / persons_r if persons_r else 0.0
    weight = np.where(urban_hh, w_u, w_r)

    household_id = np.arange(n, dtype=np.int64)
    arrays = PersonArrays(
        household_ids=household_id, hh_start=hh_start, row=np.arange(n_p, dtype=np.int64),
        age=age, urban=urban, disability=disability, serious_illness=serious_illness,
        paralysed_months=paralysed_months, rare_disease=rare_disease, labour_ability=labour,
        self_care=self_care, earned_income=earned_income, basic_pension=basic_pension,
        other_income=other_income, rigid_expenditure=rigid,
        registered_unemployed=registered_unemployed, has_supporter=has_supporter,
        financial_assets=financial_assets, care_wish=care_wish,
        township=township[hh_of], village=village[hh_of],
    )
    households = pd.DataFrame({"household_id": household_id, "township": township, "village": village,
                               "urban": urban_hh, "size": size, "weight": weight})
    return Population(profile_id=profile.id, seed=seed, households=households, arrays=arrays,
                      free=fp, tail=tail, tekun_type=tekun_hh[hh_of])


def _frame(arrays: PersonArrays) -> pd.DataFrame:
    """The person table (categorical labels) from the arrays."""
    data: dict[str, Any] = {"household_id": np.repeat(arrays.household_ids, arrays.household_size())}
    for c in COLUMNS:
        if c.name == "household_id":
            continue
        values = getattr(arrays, c.name)
        if values is None:  # an optional column the generator does not make (earned_imputed)
            continue
        if c.kind == "category":
            data[c.name] = pd.Categorical.from_codes(values, categories=list(CATEGORIES[c.name]))
        else:
            data[c.name] = values.copy()  # the table must not share memory with the arrays
    return pd.DataFrame(data, copy=False)  # copy=False: no block consolidation (slow here)
