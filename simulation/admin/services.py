"""Purchased social-assistance services (政府购买社会救助服务) and the 2% cap.

Demand: recipients who cannot look after themselves (dispersed tekun in the partial and full care
tiers, dibao members with self-care limits) times a service package at unit costs. The default
package is Lanzhou New Area's "four ones" (lanzhou 四: haircut monthly, laundry twice a month,
cleaning weekly, daily necessities twice a year), read from ``services.unit_cost.*`` and
``services.frequency.*``.

Cap: purchased social-assistance services may not exceed 2% of the year's central and provincial
assistance funds, ``services.cap_share``. What counts follows the locality (``services.cap_counts``):
jiaohe §17 counts every purchase, from working funds or subsidy funds ("总额度原则上不超过当年中央和省级
下拨的社会救助专项资金总额的 2%"); lanzhou §十八 only the part paid from the subsidy funds
("从困难群众救助补贴资金中安排的购买服务资金不得超过...2%"), ``services.subsidy_funded_share`` of it.
Purchases are the care package, casework and surveys bought for the offices (qijiang §15-16,
lanzhou §十七-十八) and bought posts (lanzhou §二十四). The base is an input; when the user has none,
an estimate is offered and labelled as one (``estimate_cap_base``).

Pure functions; money in yuan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation.admin.parameters import CapEstimateParameters

SERVICE_ITEMS = ("haircut", "laundry", "cleaning", "necessities")


def package_cost_per_person_month(params: Mapping[str, Any]) -> float:
    """Monthly cost of the service package for one person (yuan/person/month).

    Sum over items of ``services.unit_cost.<item>`` × ``services.frequency.<item>`` (times per
    month). The package is counted per person who cannot look after himself or herself; for a
    household with two such persons, cleaning is then bought twice (interpretation: most are
    one-person dispersed tekun households).
    """
    return float(
        sum(
            float(params[f"services.unit_cost.{item}"]) * float(params[f"services.frequency.{item}"])
            for item in SERVICE_ITEMS
        )
    )


def service_cost(persons_needing_care: float, params: Mapping[str, Any], months: float = 12.0) -> float:
    """Cost of the full package for ``persons_needing_care`` persons over ``months`` (yuan)."""
    if persons_needing_care < 0:
        raise ValueError(f"persons needing care must be >= 0; got {persons_needing_care!r}")
    return persons_needing_care * package_cost_per_person_month(params) * months


@dataclass(frozen=True)
class CapAssessment:
    """One year's purchased-services cost against the cap (yuan; shares 0..1)."""

    year: int
    persons_needing_care: float  # average over the year
    cost: float  # every purchase: the care package for all who need it, casework, posts
    care_cost: float  # the full care package for all who need it
    casework_cost: float  # casework and survey hours bought for the offices
    posts_cost: float  # posts bought
    cap_counts: str  # "all" (jiaohe §17) or "subsidy_funded" (lanzhou §十八)
    counted_cost: float  # the part of the cost the cap counts
    cap_base: float  # central and provincial assistance funds of the year
    cap_base_is_estimate: bool
    cap_base_label: str
    cap_share: float
    cap: float
    headroom: float  # cap − counted cost; negative is a shortfall
    affordable_coverage: float  # largest share of the demand the cap pays the full package for
    affordable_persons: float  # persons the cap can give the full package

    def as_dict(self) -> dict[str, Any]:
        """A plain dict (for tables and manifests)."""
        return asdict(self)


def assess_cap(
    year: int,
    persons_needing_care: float,
    params: Mapping[str, Any],
    cap_base: float,
    *,
    cap_base_is_estimate: bool = False,
    cap_base_label: str = "input",
    months: float = 12.0,
    casework_cost: float = 0.0,
    posts_cost: float = 0.0,
) -> CapAssessment:
    """Cost, cap, headroom or shortfall, and the largest coverage of the package the cap affords
    besides the other purchases.

    Args:
        year: calendar year.
        persons_needing_care: average persons needing care in the year.
        params: policy parameters (``services.*``).
        cap_base: the year's central and provincial assistance funds, yuan (> 0).
        cap_base_is_estimate / cap_base_label: whether the base is an estimate and how it was made.
        months: months of the year covered (12 for a full year).
        casework_cost, posts_cost: the year's purchased casework hours and posts (yuan).
    """
    if not cap_base > 0:
        raise ValueError(f"cap base for {year} must be a positive amount in yuan; got {cap_base!r}")
    for name, value in (("casework cost", casework_cost), ("posts cost", posts_cost)):
        if not value >= 0:
            raise ValueError(f"{name} for {year} must be >= 0 yuan; got {value!r}")
    cap_share = float(params["services.cap_share"])
    cap = cap_base * cap_share
    care = service_cost(persons_needing_care, params, months)
    cost = care + casework_cost + posts_cost
    counts = str(params["services.cap_counts"])
    counted_share = 1.0 if counts == "all" else float(params["services.subsidy_funded_share"])
    counted = counted_share * cost
    # the care package the cap affords after the other purchases it counts
    room = max(cap / counted_share - casework_cost - posts_cost, 0.0) if counted_share > 0 else care
    per_person = package_cost_per_person_month(params) * months
    coverage = 1.0 if care <= room else (room / care if care > 0 else 1.0)
    affordable = persons_needing_care if care <= room else (room / per_person if per_person > 0 else 0.0)
    return CapAssessment(
        year=int(year),
        persons_needing_care=float(persons_needing_care),
        cost=cost,
        care_cost=care,
        casework_cost=float(casework_cost),
        posts_cost=float(posts_cost),
        cap_counts=counts,
        counted_cost=counted,
        cap_base=float(cap_base),
        cap_base_is_estimate=cap_base_is_estimate,
        cap_base_label=cap_base_label,
        cap_share=cap_share,
        cap=cap,
        headroom=cap - counted,
        affordable_coverage=coverage,
        affordable_persons=affordable,
    )


def estimate_cap_base(
    local_recipients: float, year: int, figures: CapEstimateParameters
) -> tuple[float, str]:
    """Estimate a locality's central assistance allocation for ``year`` (an ESTIMATE).

    The locality's share of national dibao and tekun recipients times the national central
    allocation of the year (or the nearest earlier published year; the latest if all are later).
    Provincial funds are not published and are left out, so the estimate understates the base.

    Returns the amount (yuan) and a label saying how it was made.
    """
    if local_recipients < 0:
        raise ValueError(f"local recipients must be >= 0; got {local_recipients!r}")
    years = sorted(figures.central_allocation)
    earlier = [y for y in years if y <= year]
    used = earlier[-1] if earlier else years[0]
    share = local_recipients / figures.national_recipients
    amount = share * figures.central_allocation[used]
    label = (
        f"ESTIMATE: local recipients {local_recipients:,.0f} / national {figures.national_recipients:,.0f} "
        f"× central allocation {used} {figures.central_allocation[used] / 1e9:,.2f} bn yuan "
        f"({figures.references[f'central_allocation.{used}']}); central funds only, provincial funds not included"
    )
    return amount, label


CARE_TIERS = ("partial", "unable")
"""Self-care tiers that need the service package (``self_care`` partial / unable)."""


def care_needs(population: Any, policy: Any, month: str) -> pd.DataFrame:
    """Recipients who need the purchased-service package at ``month``, one row per person.

    Who (lanzhou 二(二): visiting and care services for dispersed tekun persons and for members of
    dibao households who cannot look after themselves): tekun persons in dispersed care
    (``care_wish`` dispersed) and members of dibao households or persons included alone (单人户)
    whose ``self_care`` is partial or unable. The static calculator (``rules.assess`` and
    ``rules.assess_persons``) on the population finds who is a recipient.

    Returns columns ``household_id``, ``group`` (``tekun`` | ``dibao``), ``tier`` (one of
    :data:`CARE_TIERS`) and ``weight``; ``attrs["recipients"]`` holds the weighted recipient persons
    per group (the denominators of the shares).
    """
    from simulation.rules import assess
    from simulation.rules.entitlement import assess_persons

    persons = population.persons
    when = f"{month}-01" if len(str(month)) == 7 else str(month)
    households = assess(persons, policy, month=when)
    per = assess_persons(persons, policy, month=when)
    weight = persons["household_id"].map(population.households.set_index("household_id")["weight"])
    weight = weight.to_numpy(dtype=float)
    care = persons["self_care"].astype(str).to_numpy()
    tekun = per["tekun"].to_numpy(dtype=bool)
    dispersed = persons["care_wish"].astype(str).eq("dispersed").to_numpy()
    dibao_households = households.index[households["dibao_amount"] > 0]
    dibao = (persons["household_id"].isin(dibao_households).to_numpy() & ~tekun) \
        | per["single_inclusion"].to_numpy(dtype=bool)
    needs = np.isin(care, CARE_TIERS)
    pick_tekun = tekun & dispersed & needs
    pick_dibao = dibao & needs
    pick = pick_tekun | pick_dibao
    out = pd.DataFrame({
        "household_id": persons["household_id"].to_numpy()[pick],
        "group": np.where(pick_tekun, "tekun", "dibao")[pick],
        "tier": care[pick],
        "weight": weight[pick],
    })
    out.attrs["recipients"] = {"tekun": float(weight[tekun].sum()), "dibao": float(weight[dibao].sum())}
    return out
