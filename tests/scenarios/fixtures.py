"""Hand-made monthly tables (docs/contracts.md §5) and a fixed-parameter policy for the
scenario and admin tests, so those layers are tested without running the engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.admin.offices import replay
from simulation.admin.staffing import required_staff
from simulation.policy import load_policy
from simulation.scenarios.runner import RunOutput
from simulation.scenarios.scenario import Scenario, Variant

PROGRAMMES = ("dibao", "single_inclusion", "tekun", "temporary", "price_linkage",
              "employment_subsidy", "funeral")

PARAMS = {
    "dibao.standard.urban": 750.0, "dibao.standard.rural": 610.0,
    "staffing.ratio_min": 0.002, "staffing.ratio_max": 0.004, "staffing.minimum": 2,
    "staffing.small_threshold": 1000, "staffing.annual_cost": 96000.0,
    "services.cap_share": 0.02, "services.cap_counts": "all", "services.subsidy_funded_share": 0.5,
    "services.unit_cost.haircut": 20.0, "services.unit_cost.laundry": 30.0,
    "services.unit_cost.cleaning": 50.0, "services.unit_cost.necessities": 120.0,
    "services.frequency.haircut": 1.0, "services.frequency.laundry": 2.0,
    "services.frequency.cleaning": 4.33, "services.frequency.necessities": 1 / 6,
    "admin.decision_deadline_days": 15, "admin.deadline_basis": "working",
}
# the township offices' hours (the national defaults) and Qijiang's review mix (qijiang.yaml, §4)
PARAMS.update({k: v for k, v in load_policy("qijiang").at("2025-01-01").items()
               if (k.startswith(("admin.", "verification.method_share.")) and k not in PARAMS)})


class FixedPolicy:
    """Stands in for simulation.policy.Policy: the same parameters on every date."""

    def __init__(self, **changes: object) -> None:
        self.params = {**PARAMS, **changes}

    def at(self, date: object) -> dict:
        return dict(self.params)


def monthly_table(variant: str, replication: int, months: int = 24, towns: int = 3,
                  scale: float = 1.0, locality: str = "testville") -> pd.DataFrame:
    """A small monthly table: every month × township × area × programme, deterministic values."""
    rows = []
    per = pd.period_range("2025-01", periods=months, freq="M")
    for t, month in enumerate(per):
        for town in range(towns):
            for area in ("urban", "rural"):
                for k, prog in enumerate(PROGRAMMES):
                    persons = (400 + 150 * town + 10 * t + 37 * k) * (1.0 if area == "urban" else 1.6)
                    pay = persons * (300.0 + 20 * k) * scale
                    row = {"month": str(month), "township": town, "area": area, "programme": prog,
                           "persons": persons, "households": persons / 1.7, "payment": pay,
                           "entries": persons * 0.02, "exits_income": persons * 0.01,
                           "reviews": persons * (0.5 if month.month in (3, 9) else 0.0),
                           "applications": persons * 0.03, "pending": persons * 0.01}
                    if prog == "dibao":
                        row["payment_gap"] = pay * 0.8
                        row["payment_supplement"] = pay * 0.2
                    if prog == "tekun":
                        row["payment_basic"] = pay * 0.7
                        row["payment_care"] = pay * 0.3
                    rows.append(row)
    df = pd.DataFrame(rows)
    for c in ("payment_gap", "payment_supplement", "payment_basic", "payment_care"):
        df[c] = df[c].fillna(0.0)
    return df.assign(variant=variant, replication=replication, locality=locality)


def offices_table(monthly: pd.DataFrame, policy: FixedPolicy) -> pd.DataFrame:
    """The offices table an engine run would give for the fixture's work: each township's
    applications and reviews (recipient programmes), temporary cases, 18 villages, staff by the
    rule on last month's recipients, run through the one office model (``replay``)."""
    rec = monthly[monthly["programme"].isin(("dibao", "single_inclusion", "tekun"))]
    work = rec.groupby(["month", "township"], as_index=False)[["persons", "applications", "reviews"]].sum()
    # a tenth of the temporary households are new cases of the month
    temp = 0.1 * monthly[monthly["programme"] == "temporary"].groupby(["month", "township"])["households"].sum()
    work = work.assign(
        township_name=[f"town {t + 1}" for t in work["township"]], townships=1,
        recipients=work.groupby("township")["persons"].shift(1).fillna(work["persons"]),
        reviews_falling_due=work["reviews"], reports_handled=0.0, villages=18.0,
        temporary_cases=temp.reindex(pd.MultiIndex.from_frame(work[["month", "township"]]),
                                     fill_value=0.0).to_numpy())
    p = policy.at(None)
    work["staff"] = required_staff(work["recipients"].to_numpy(), float(p["staffing.ratio_min"]),
                                   int(p["staffing.minimum"]), int(p["staffing.small_threshold"]))
    done = replay(work, policy.at)
    keep = [c for c in work.columns if c not in done.columns or c in ("month", "township")]
    return work[keep].merge(done, on=["month", "township"])


def run_output(variant: str, replication: int, scale: float = 1.0, months: int = 24,
               standard: float = 750.0) -> RunOutput:
    m = monthly_table(variant, replication, months=months, scale=scale * (1 + 0.01 * replication))
    months_s = sorted(m["month"].unique())
    std = pd.DataFrame({"month": months_s, "urban": standard, "rural": standard * 610 / 750}).assign(
        variant=variant, replication=replication, locality="testville")
    offices = offices_table(m, FixedPolicy()).assign(variant=variant, replication=replication,
                                                     locality="testville")
    return RunOutput("testville", variant, replication, m, offices, 1_000_000.0,
                     {"tekun.partial": 0.2, "tekun.unable": 0.1, "dibao.partial": 0.06, "dibao.unable": 0.04},
                     f"hash-{variant}", std, {})


def scenario(replications: int = 3, months: int = 24, cap_base: object = None, **kw) -> Scenario:
    cap = cap_base if cap_base is not None else {2025: 50_000_000.0, 2026: 52_000_000.0}
    return Scenario(
        name="test", description="", localities=("testville",), households=100, population_seed=1,
        start="2025-01", months=months, seed=1, replications=replications,
        baseline=Variant("baseline", "", {}),
        reforms=(Variant("plus5", "提高5%", {"dibao.standard.urban": {"from": "2025-01-01", "scale": 1.05}}),),
        cap_base=cap, source=str(Path("tests/scenarios/none.yaml")), **kw)


def outputs(replications: int = 3, months: int = 24) -> list[RunOutput]:
    out = []
    for r in range(replications):
        out.append(run_output("baseline", r, 1.0, months, 750.0))
        out.append(run_output("plus5", r, 1.05, months, 787.5))
    return out


def policies() -> dict:
    return {("baseline", "testville"): FixedPolicy(), ("plus5", "testville"): FixedPolicy()}


__all__ = ["FixedPolicy", "monthly_table", "np", "offices_table", "outputs", "policies", "run_output", "scenario"]
