"""Run a scenario: every locality × variant × replication on an executor, then the tables.

One task is one engine run (a locality's population under one policy variant with one seed).
A baseline and its reforms in the same replication use the same population and the same engine
seed, so the engine's keyed draws are common random numbers and the difference is the reform's
effect, not noise. Replication ``r`` uses population seed ``population.seed + r`` and engine seed
``seed + r``. Parameter uncertainty (``uncertainty: {take_up: [lo, hi]}``) is sampled by
stratified quantiles: replication ``r`` of ``R`` takes quantile ``(k + 0.5) / R`` where ``k`` is a
fixed permutation of ``r`` per parameter, so no random numbers are drawn outside the engine.

After the runs, `assemble` builds the tables (cost by component, year, township and area; bands;
reform differences; coverage; staffing; purchased services and the cap; cost per yuan of standard
increase), and `run_scenario` writes them with a manifest (results.py).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.admin.offices import households_needed, replay
from simulation.admin.parameters import AdminParameters, load_admin_parameters
from simulation.admin.services import (
    CARE_TIERS,
    assess_cap,
    care_needs,
    estimate_cap_base,
    package_cost_per_person_month,
)
from simulation.admin.staffing import default_ratios
from simulation.scenarios import summary as S
from simulation.scenarios.distribution import (
    RELATIVE_LINE,
    distribution_lines,
    distribution_tables,
    household_summary,
)
from simulation.scenarios.executors import make_executor, warm_kernels
from simulation.scenarios.results import file_hash, new_run_id, write_results
from simulation.scenarios.scenario import (
    POLICY_CATALOGUE,
    Scenario,
    ScenarioError,
    Variant,
    policy_of,
    policy_reforms,
    policy_samples,
    staffed,
    stratified_value,
)
from simulation.scenarios.summary import FROM_ENGINE, FROM_REPLAY, band_text
from simulation.scenarios.summary import wan as _fmt


class EngineUnavailable(RuntimeError):
    """The engine (simulation.engine.run) is not installed in this tree yet."""


@dataclass(frozen=True)
class RunTask:
    """One engine run."""

    scenario: Scenario
    locality: str
    variant: str
    replication: int
    behaviour: dict[str, float] = field(default_factory=dict)
    #: a staffing run: the variant with its offices staffed at this ratio (``staffing.ratios``);
    #: it feeds the staffing tables only
    staffing_ratio: float | None = None


@dataclass
class RunOutput:
    """What one task returns (small: tables, not the population)."""

    locality: str
    variant: str
    replication: int
    monthly: pd.DataFrame
    offices: pd.DataFrame | None
    population_persons: float  # weighted resident persons
    care_share: dict[str, float]  # '<CARE_GROUPS key>.<CARE_TIERS tier>': share needing care
    policy_hash: str
    standards: pd.DataFrame  # month, urban, rural dibao standards in force
    behaviour: dict[str, float]
    gaps: pd.DataFrame | None = None  # coverage gaps by group (when the scenario asks for them)
    households: pd.DataFrame | None = None  # per-household summary for the distribution tables
    population_households: float | None = None  # households the sample stands for (sum of weights)
    staffing_ratio: float | None = None  # a staffing run's ratio (RunTask.staffing_ratio)


def _variant(scenario: Scenario, name: str) -> Variant:
    for v in scenario.variants:
        if v.name == name:
            return v
    raise KeyError(f"scenario {scenario.name} has no variant {name!r}")


def build_policy(scenario: Scenario, variant: Variant | str, locality: str,
                 replication: int | None = None) -> Any:
    """The variant's policy for a locality; a policy error becomes a ScenarioError naming the file.

    With ``replication``, the policy parameters of the uncertainty block take that replication's
    sampled value from the scenario's start (under every variant's changes, so that baseline and
    reform share it).
    """
    from simulation.policy import PolicyError, load_policy

    v = _variant(scenario, variant) if isinstance(variant, str) else variant
    sampled: list[dict[str, Any]] = []
    if replication is not None and (samples := policy_samples(scenario, replication)):
        ref = f"reform: scenario {scenario.source} uncertainty, replication {replication}"
        sampled = [{path: {f"{scenario.start}-01": {"value": value, "reference": ref}}
                    for path, value in samples.items()}]
    try:
        return load_policy(policy_of(locality),
                           reforms=sampled + policy_reforms(scenario, v, locality, sampled))
    except PolicyError as exc:
        raise ScenarioError([(scenario.source, f"{v.name}.changes.{p}", val, f"{src}: {msg}")
                             for src, p, val, msg in exc.problems]) from None


def months_of(scenario: Scenario) -> list[str]:
    """The horizon's months as YYYY-MM strings."""
    return [str(p) for p in pd.period_range(scenario.start, periods=scenario.months, freq="M")]


def sampled_behaviour(scenario: Scenario, replication: int) -> dict[str, float]:
    """Behaviour overrides for a replication: fixed overrides plus stratified uncertainty samples."""
    out = {k: (v["value"] if isinstance(v, Mapping) else v) for k, v in scenario.behaviour.items()}
    for name, (lo, hi) in sorted(scenario.uncertainty.items()):
        if name not in POLICY_CATALOGUE:  # policy parameters: policy_samples
            out[name] = stratified_value(name, lo, hi, scenario.replications, replication)
    return out


@functools.lru_cache(maxsize=4)
def _population(locality: str, households: int | None, seed: int) -> Any:
    from simulation.population import generate, load_profile

    return generate(load_profile(locality), n_households=households, seed=seed)


#: Which engine programmes' persons each care share applies to (purchased-services demand).
CARE_GROUPS = {"tekun": ("tekun",), "dibao": ("dibao", "single_inclusion")}
#: Care tiers (``self_care``): partly and fully unable to look after oneself.
def _care_share(population: Any, policy: Any, month: str) -> dict[str, float]:
    """Shares of recipients who need the service package at the start, per care group and tier
    (keys ``tekun.partial``, ``tekun.unable``, ``dibao.partial``, ``dibao.unable``).

    Who needs it is :func:`simulation.admin.services.care_needs`; the engine's monthly persons carry
    the shares through the horizon, because its table has no care counts.
    """
    needs = care_needs(population, policy, month)
    recipients = needs.attrs["recipients"]
    out = {}
    for group in ("tekun", "dibao"):
        for tier in CARE_TIERS:
            chosen = needs.loc[(needs["group"] == group) & (needs["tier"] == tier), "weight"].sum()
            out[f"{group}.{tier}"] = float(chosen / recipients[group]) if recipients[group] > 0 else 0.0
    return out


GROUPS = ("all", "elderly", "children", "disabled")
GAP_CATEGORIES = {
    # eligible (the rules would pay now) but not receiving
    ("entitled", "none"): "eligible_not_applied",
    ("entitled", "pending"): "eligible_waiting",
    # receiving but no longer eligible
    ("not_entitled", "gradual_exit"): "receiving_gradual_exit",
    ("not_entitled", "enrolled"): "receiving_until_review",
}


def household_groups(population: Any) -> pd.DataFrame:
    """Per household (index household_id): weight and membership of each group at the start.

    Groups: a member aged 60+ (elderly), under 18 (children), with a disability (disabled), all.
    """
    p = population.persons
    g = p.assign(elderly=p["age"] >= 60, children=p["age"] < 18,
                 disabled=p["disability"].astype(str) != "none")
    out = g.groupby("household_id")[["elderly", "children", "disabled"]].any()
    out["all"] = True
    out["weight"] = population.households.set_index("household_id")["weight"].reindex(out.index)
    return out


def coverage_gaps(trace: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Households eligible but not receiving, and receiving but no longer eligible, by group.

    From the engine's household trace (every household traced): ``entitled_total > 0`` means the
    rules would pay now; a household ``none`` (not applied or not found) or ``pending`` (waiting
    for the decision) while entitled is a coverage gap; one in ``gradual_exit`` (渐退) or still
    ``enrolled`` until its next review while not entitled receives without being eligible.
    Weighted households and persons per month, group and category.
    """
    entitled = np.where(trace["entitled_total"].to_numpy() > 0, "entitled", "not_entitled")
    status = trace["status"].astype(str).to_numpy()
    cat = np.full(len(trace), None, dtype=object)
    for (ent, st), category in GAP_CATEGORIES.items():  # four cases, not a lookup per row
        cat[(entitled == ent) & (status == st)] = category
    keep = pd.notna(cat)
    t = trace.loc[keep, ["month", "household_id", "persons"]].assign(category=cat[keep])
    g = groups.reindex(t["household_id"].to_numpy())
    w = g["weight"].to_numpy(dtype=float)
    frames = []
    for group in GROUPS:
        sel = g[group].to_numpy(dtype=bool)
        f = t[sel].assign(group=group, households=w[sel], persons=w[sel] * t["persons"].to_numpy()[sel])
        frames.append(f.groupby(["month", "group", "category"], as_index=False)[["households", "persons"]].sum())
    out = pd.concat(frames, ignore_index=True)
    return out[["month", "group", "category", "households", "persons"]]


class TaskError(RuntimeError):
    """An engine task failed; the message names the locality, variant and replication.

    Raised in the worker in place of the original error, whose type may not survive the trip
    back from a process or Dask worker; the original's type and message are in the text.
    """


def run_task(task: RunTask) -> RunOutput:
    """Run one engine task (top-level so that process and Dask workers can import it).

    Any failure is re-raised as TaskError naming the task (a scenario error passes unchanged).
    """
    try:
        return _run_task(task)
    except (ScenarioError, EngineUnavailable):
        raise
    except Exception as exc:
        raise TaskError(f"run {task.locality} / {task.variant} / replication {task.replication} failed: "
                        f"{type(exc).__name__}: {exc}") from None


def _run_task(task: RunTask) -> RunOutput:
    try:
        from simulation.engine import run as engine_run
    except ImportError as exc:
        raise EngineUnavailable("simulation.engine.run is not available yet") from exc
    sc = task.scenario
    variant = _variant(sc, task.variant)
    if task.staffing_ratio is not None:
        variant = staffed(variant, task.staffing_ratio, f"{sc.start}-01")
    policy = build_policy(sc, variant, task.locality, task.replication)
    pop = _population(task.locality, sc.households, sc.population_seed + task.replication)
    # every household is traced for the coverage gaps and, when there is a reform, its distribution
    # (a staffing run feeds the staffing tables only: nothing to trace)
    traced = task.staffing_ratio is None and (
        sc.coverage_gaps or (bool(sc.reforms) and len(pop.households) <= DISTRIBUTION_MAX_HOUSEHOLDS))
    trace = pop.households["household_id"].to_numpy() if traced else None
    result = engine_run(pop, policy, start=sc.start, months=sc.months,
                        seed=sc.seed + task.replication, behaviour=task.behaviour or None, trace=trace,
                        office_staff=sc.office_staff)
    keys = {"variant": task.variant, "replication": task.replication, "locality": task.locality}
    if task.staffing_ratio is None:
        monthly = result.monthly.assign(**keys)
    else:  # the staffing tables read a staffing run's payments by month only (memory: 120 runs)
        monthly = result.monthly.groupby("month", as_index=False, sort=True)["payment"].sum().assign(**keys)
    offices = getattr(result, "offices", None)
    if offices is not None:
        offices = offices.assign(**keys)
    hh = pop.households
    persons_total = float((hh["weight"] * hh["size"]).sum())
    months = months_of(sc)
    # the effective standards: a rule-driven standard (boshan §1, jiaohe §3) is not the schedule
    from simulation.rules.params import dibao_standard

    standards = pd.DataFrame({
        "month": months,
        **{area: [dibao_standard(policy.at(f"{m}-01"), area) for m in months]
           for area in ("urban", "rural")},
    }).assign(**keys)
    gaps = coverage_gaps(result.trace, household_groups(pop)).assign(**keys) if traced and sc.coverage_gaps else None
    households = (household_summary(result.trace, pop.households.set_index("household_id")["weight"])
                  if traced and sc.reforms else None)
    return RunOutput(task.locality, task.variant, task.replication, monthly, offices,
                     persons_total, _care_share(pop, policy, sc.start) if task.staffing_ratio is None else {},
                     policy.content_hash(),
                     standards, {**task.behaviour, **policy_samples(sc, task.replication)}, gaps,
                     households, float(hh["weight"].sum()), task.staffing_ratio)


#: Largest sample whose households are all traced for the distribution tables (memory).
DISTRIBUTION_MAX_HOUSEHOLDS = 200_000


def tasks_for(scenario: Scenario) -> list[RunTask]:
    """Every locality × replication × variant, baseline first within a replication, each
    replication's staffing runs (:func:`staffing_tasks`) after its variants (a worker's cached
    population serves them)."""
    staffing = staffing_tasks(scenario)
    return [task for loc in scenario.localities for r in range(scenario.replications)
            for task in [RunTask(scenario, loc, v.name, r, sampled_behaviour(scenario, r)) for v in scenario.variants]
            + [t for t in staffing if t.locality == loc and t.replication == r]]


def own_ratio(policy: Any, months: Sequence[str]) -> float | None:
    """The ratio a policy's engine run staffs its offices at (``staffing.ratio_min``, qijiang
    三(三)) when one ratio holds over all ``months``; None when it changes within them."""
    ratios = {float(policy.at(f"{m}-01")["staffing.ratio_min"]) for m in months}
    return ratios.pop() if len(ratios) == 1 else None


def _same_ratio(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) < 1e-12


def staffing_tasks(scenario: Scenario) -> list[RunTask]:
    """With ``staffing.ratios`` (and ``staffing.engine``, the default): every variant run again
    with its offices staffed at each ratio, on the same population and seeds, so that the
    staffing tables carry the queue's feedback on the households (a review done late keeps the
    old payment, admin.review_lag; a decision made later starts its payment later). A ratio the
    variant's own run already staffs at over the whole horizon is not run again."""
    if not scenario.staffing_ratios or not scenario.staffing_runs:
        return []
    months = months_of(scenario)
    tasks = []
    for loc in scenario.localities:
        for r in range(scenario.replications):
            for v in scenario.variants:
                own = own_ratio(build_policy(scenario, v, loc, r), months)
                tasks.extend(RunTask(scenario, loc, v.name, r, sampled_behaviour(scenario, r), ratio)
                             for ratio in scenario.staffing_ratios if not _same_ratio(own, ratio))
    return tasks


# --- assembling the tables -----------------------------------------------------------------------


@dataclass
class ScenarioResult:
    """The tables of a scenario run and its manifest (and, once written, its folder)."""

    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any]
    path: Path | None = None

    def summary_text(self) -> str:
        """A summary table for the terminal (yuan per year, persons; P10–P90 when replicated)."""
        return format_summary(self.tables, self.scenario.baseline.name,
                              float(self.manifest.get("relative_line", RELATIVE_LINE)))


#: A run's key among the policies it was simulated under: (variant, locality, replication).
RunKey = tuple[str, str, int]


def run_policies(scenario: Scenario, outputs: Sequence[RunOutput],
                 policies: Mapping[tuple[str, str], Any]) -> dict[RunKey, Any]:
    """The policy each run was simulated under: the variant's (``policies``), or, when the
    uncertainty block samples policy parameters, the variant's with that replication's values
    (:func:`build_policy` with the replication, as the run's engine had it), so that the office,
    staff and services costs priced from it vary with them as the engine's runs did."""
    sampled = any(name in POLICY_CATALOGUE for name in scenario.uncertainty)
    out: dict[RunKey, Any] = {}
    for o in outputs:
        key = (o.variant, o.locality, o.replication)
        if key not in out:
            out[key] = (build_policy(scenario, o.variant, o.locality, o.replication) if sampled
                        else policies[(o.variant, o.locality)])
    return out


def _params_at(policies: Mapping[RunKey, Any], run: RunKey, month: str) -> Mapping[str, Any]:
    return policies[run].at(f"{month}-01")


#: Monthly administrative cost components per township from the engine's offices (yuan): staff
#: (qijiang 三(三)), village assistants 协理员 (qijiang 三(三), boshan 二(三), lanzhou §二十四),
#: purchased casework hours (qijiang §15-16, lanzhou §十七-十八) and purchased posts (lanzhou §二十四).
OFFICE_COMPONENTS = ("staff", "assistants", "purchased_casework", "purchased_posts")


def office_costs(offices: pd.DataFrame, params_at: Any) -> pd.DataFrame:
    """Per month × township: the office's monthly cost by component (yuan), from the engine's
    staff and assistants of that month and the purchases in force."""
    # the prices read once per month (a scenario's offices tables have a row per township-month)
    codes, months = pd.factorize(offices["month"].astype(str))
    names = ("staffing.annual_cost", "admin.assistants.annual_cost", "admin.purchased.hours",
             "admin.purchased.hour_cost", "admin.purchased.posts", "admin.purchased.post_cost")
    prices = np.array([[float(params_at(m)[n]) for n in names] for m in months]).reshape(-1, len(names))
    staff_cost, assistant_cost, hours, hour_cost, posts, post_cost = (prices[codes, i] for i in range(len(names)))
    towns = offices["townships"].to_numpy()
    return pd.DataFrame({
        "month": np.asarray(months, dtype=object)[codes], "township": offices["township"].tolist(),
        "staff": offices["staff"].to_numpy() * staff_cost / 12.0,
        "assistants": offices["assistants"].to_numpy() * assistant_cost / 12.0,
        "purchased_casework": towns * hours * hour_cost,
        "purchased_posts": towns * posts * post_cost / 12.0}, columns=["month", "township", *OFFICE_COMPONENTS])


def _admin_rows(outputs: Sequence[RunOutput], policies: Mapping[RunKey, Any]
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Office and purchased-services cost rows (component table shape) and care demand and
    purchases per month.

    The office components are those of the engine's offices (staff follow the rule month by
    month; :func:`office_costs`); purchased care services are bought for the locality (township
    -1, or "all" when the engine pooled its townships).
    """
    rows, care = [], []
    n_parts = len(OFFICE_COMPONENTS)
    for out in outputs:
        rec = S.recipients_by_township(out.monthly)
        run = (out.variant, out.locality, out.replication)
        params_at = functools.partial(_params_at, policies, run)
        costs = office_costs(out.offices, lambda m, f=params_at: f(m)) if out.offices is not None \
            else pd.DataFrame(columns=["month", "township", *OFFICE_COMPONENTS])
        whole = -1 if pd.api.types.is_numeric_dtype(out.monthly["township"]) else "all"
        by_prog = out.monthly.groupby([out.monthly["month"].astype(str), "programme"])["persons"].sum().to_dict()
        # each month's rows as positions into arrays (pandas' indexing month by month was most of
        # the time); the sums below are numpy's over the same rows in the same order
        office_rows = {str(m): idx for m, idx in costs.groupby("month").indices.items()}
        towns = np.empty(len(costs), dtype=object)
        towns[:] = costs["township"].tolist()  # the labels as they are (numbers or names)
        values = costs[list(OFFICE_COMPONENTS)].to_numpy(dtype=float)
        persons = rec["persons"].to_numpy()
        for month, idx in sorted(rec.groupby("month").indices.items()):
            p = _params_at(policies, run, str(month))
            year = int(str(month)[:4])
            mine = office_rows.get(str(month))
            if mine is not None:  # each township's components in order
                k = n_parts * len(mine)
                rows.extend(zip([out.variant] * k, [out.replication] * k, [out.locality] * k,
                                [str(month)] * k, [year] * k, np.repeat(towns[mine], n_parts).tolist(),
                                ["all"] * k, ["admin"] * k, list(OFFICE_COMPONENTS) * len(mine),
                                values[mine].ravel().tolist(), strict=True))
            by_key = {key: share * sum(float(by_prog.get((str(month), prog), 0.0))
                                       for prog in CARE_GROUPS[key.split(".")[0]])
                      for key, share in out.care_share.items()}
            persons_care = sum(by_key.values())
            services = persons_care * package_cost_per_person_month(p)
            rows.append((out.variant, out.replication, out.locality, str(month), year, whole, "all",
                         "admin", "purchased_services", services))
            casework, posts = ((float(values[mine, OFFICE_COMPONENTS.index(c)].sum()) if mine is not None
                                else 0.0) for c in ("purchased_casework", "purchased_posts"))
            care.append({"variant": out.variant, "replication": out.replication, "locality": out.locality,
                         "month": str(month), "year": year, "persons_needing_care": persons_care,
                         **{f"persons_{k.replace('.', '_')}": v for k, v in sorted(by_key.items())},
                         "recipients": float(persons[idx].sum()), "services_cost": services,
                         "casework_cost": casework, "posts_cost": posts})
    cols = S.RUN_KEYS + ["month", "year", "township", "area", "programme", "component", "cost"]
    return pd.DataFrame(rows, columns=cols), pd.DataFrame(care).fillna(0.0)


def _cap_table(scenario: Scenario, care: pd.DataFrame, policies: Mapping[RunKey, Any],
               admin: AdminParameters) -> pd.DataFrame:
    """Purchased services against the 2% cap per variant, replication, locality and year."""
    rows = []
    yearly = care.groupby(S.RUN_KEYS + ["year"], as_index=False).agg(
        persons_needing_care=("persons_needing_care", "mean"), recipients=("recipients", "mean"),
        months=("month", "nunique"), casework_cost=("casework_cost", "sum"), posts_cost=("posts_cost", "sum"))
    n_loc = len(scenario.localities)
    # the allocation does not depend on the reform: an estimate uses the baseline's recipients
    base_rec = {(r.replication, r.locality, r.year): r.recipients
                for r in yearly[yearly["variant"] == scenario.baseline.name].itertuples(index=False)}
    for r in yearly.itertuples(index=False):
        p = _params_at(policies, (r.variant, r.locality, r.replication), f"{r.year}-06" if r.months == 12 else
                       care[(care["year"] == r.year)]["month"].min())
        if scenario.cap_base == "estimate":
            recipients = base_rec.get((r.replication, r.locality, r.year), r.recipients)
            base, label = estimate_cap_base(recipients, int(r.year), admin.cap_estimate)
            estimated = True
        else:
            assert isinstance(scenario.cap_base, dict)
            # the given base is for the whole scenario: a sharded run shares it among the
            # localities by their baseline recipients (stated in the label)
            base = scenario.cap_base[int(r.year)]
            label = "input: services.cap_base"
            if n_loc > 1:
                mine = base_rec.get((r.replication, r.locality, r.year), 0.0)
                total = sum(v for (rep, _, yr), v in base_rec.items() if rep == r.replication and yr == r.year)
                share = mine / total if total > 0 else 1.0 / n_loc
                base *= share
                label += f" × {share:.1%} (locality's share of the scenario's baseline recipients)"
            estimated = False
        a = assess_cap(int(r.year), r.persons_needing_care, p, base, cap_base_is_estimate=estimated,
                       cap_base_label=label, months=float(r.months), casework_cost=float(r.casework_cost),
                       posts_cost=float(r.posts_cost))
        rows.append({"variant": r.variant, "replication": r.replication, "locality": r.locality,
                     "months": int(r.months), "package_cost_per_person_month": package_cost_per_person_month(p),
                     **a.as_dict()})
    return pd.DataFrame(rows)


#: A run's key among the staffing runs: (variant, locality, replication, ratio).
StaffedKey = tuple[str, str, int, float]


def _yearly_payments(monthly: pd.DataFrame) -> pd.Series:
    """The benefit payments of a run's monthly table by year (yuan, weighted)."""
    return monthly["payment"].groupby(S.month_years(monthly["month"].astype(str))).sum()


def _staffing_tables(scenario: Scenario, outputs: Sequence[RunOutput], policies: Mapping[RunKey, Any],
                     staffed_runs: Mapping[StaffedKey, RunOutput] | None = None
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Staff by rule and the offices' month under each ratio, per run of a variant: the offices
    of the engine run at that ratio (``staffed_runs``, :func:`staffing_tasks`; or the variant's
    own run where it staffs at the ratio), else the engine's office model replayed on the work of
    the variant's own run with the ratio's staff (:func:`simulation.admin.offices.replay`, which
    holds the households as they were: ``offices_from`` says which). Returns (rule per month ×
    township, offices per month, per township over the horizon, cost per year: the ratio's staff
    cost and benefit payments against the variant's own run). ``reviews_late`` per month is the
    reviews waiting past their month at its end (a stock); over the horizon it is the reviews
    that missed their month, each once (``reviews_missed`` summed)."""
    staffed_runs = staffed_runs or {}
    months = months_of(scenario)
    replayed, costs = [], []
    for out in outputs:
        if out.offices is None or out.offices.empty:
            continue
        run = (out.variant, out.locality, out.replication)
        p0 = _params_at(policies, run, scenario.start)
        ratios = scenario.staffing_ratios or default_ratios(p0)
        own = own_ratio(policies[run], months)
        params_at = functools.partial(_params_at, policies, run)
        keys = {"variant": out.variant, "replication": out.replication, "locality": out.locality}
        own_payments = _yearly_payments(out.monthly)
        # the own staff's cost in the replay's row order, as each ratio's below (the engine's
        # table gives the same numbers in another order: sums differing in the last bit)
        own_staff = office_costs(replay(out.offices, params_at), params_at)
        own_staff_cost = own_staff["staff"].groupby(S.month_years(own_staff["month"])).sum()
        for ratio in ratios:
            src = staffed_runs.get((*run, ratio), out if _same_ratio(own, ratio) else None)
            if src is not None and src.offices is not None:
                # the engine's own offices table (replayed with its own staff: the same table,
                # tests/test_offices.py, in the columns of the replay)
                r = replay(src.offices, params_at)
                source, payments = FROM_ENGINE, _yearly_payments(src.monthly)
            else:
                r = replay(out.offices, params_at, ratio=ratio)
                source, payments = FROM_REPLAY, own_payments
            # ``_k``: the run and ratio, in order (the tables below are grouped once over all)
            r = r.assign(**keys, ratio=ratio, offices_from=source, _k=len(replayed))
            r["month"] = r["month"].astype(str)
            r["year"] = S.month_years(r["month"])
            r["staff_cost"] = office_costs(r, params_at)["staff"].to_numpy()
            replayed.append(r)
            # the year's cost at this ratio against the variant's own run: staff and payments
            by_month = r.groupby(["year", "month"])["staff"].sum()
            y = pd.DataFrame({"months": by_month.groupby(level=0).size(), "staff": by_month.groupby(level=0).mean(),
                              "staff_cost": r.groupby("year")["staff_cost"].sum(),
                              "payments": payments}).reindex(own_payments.index, fill_value=0.0)
            y["total"] = y["payments"] + y["staff_cost"]
            y["payments_vs_own"] = y["payments"] - own_payments
            y["extra_vs_own"] = y["payments_vs_own"] + (y["staff_cost"] - own_staff_cost.reindex(y.index, fill_value=0.0))
            costs.append(y.rename_axis("year").reset_index().assign(**keys, ratio=ratio, offices_from=source))
    if not replayed:
        raise ValueError("no engine offices table to build the staffing tables from")
    r = pd.concat(replayed, ignore_index=True)
    rule = r[S.RUN_KEYS + ["month", "year", "ratio", "offices_from", "township", "township_name", "recipients",
                           "staff", "staff_cost"]]
    # a township-month that decided anything is within the limit when at most LATE_TOLERANCE of
    # its decisions were late (the verdict's test, month by month); months deciding nothing do
    # not count either way
    deciding = r["decided"] > 0
    within = deciding & (r["decisions_late"] <= LATE_TOLERANCE * r["decided"])
    q = r.assign(within=within, deciding=deciding, days_x=r["days_to_decision"].fillna(0.0) * r["decided"],
                 utilisation=r["hours_used"] / r["capacity_hours"].where(r["capacity_hours"] > 0))
    g = q.groupby(["_k", *S.RUN_KEYS, "month", "year", "ratio", "offices_from"], as_index=False, sort=True)
    month = g.agg(staff=("staff", "sum"), applications=("applications", "sum"),
                  reviews=("reviews_due", "sum"), reviews_late=("reviews_late", "sum"),
                  reviews_missed=("reviews_missed", "sum"), reviews_fell_due=("reviews_falling_due", "sum"),
                  decisions=("decided", "sum"), decisions_late=("decisions_late", "sum"),
                  backlog_applications=("backlog", "sum"), days_x=("days_x", "sum"),
                  days_to_decision_max=("days_to_decision", "max"),
                  townships_within_limit=("within", "sum"), townships_deciding=("deciding", "sum"),
                  deadline_days=("deadline_days", "first"),
                  utilisation_mean=("utilisation", "mean"))
    month["share_townships_within_limit"] = (month["townships_within_limit"]
                                             / month["townships_deciding"].where(month["townships_deciding"] > 0))
    month["days_to_decision_mean"] = np.where(month["decisions"] > 0,
                                              month["days_x"] / month["decisions"].where(month["decisions"] > 0), 0.0)
    last = q["month"] == q.groupby("_k")["month"].transform("max")
    t = q.groupby(["_k", *S.RUN_KEYS, "ratio", "offices_from", "township", "township_name"], as_index=False,
                  sort=False).agg(
        recipients=("recipients", "mean"), staff=("staff", "mean"),
        decisions=("decided", "sum"), decisions_late=("decisions_late", "sum"),
        days_x=("days_x", "sum"), reviews_late=("reviews_missed", "sum"),
        deadline_days=("deadline_days", "first"))
    t = t.merge(q[last][["_k", "township", "backlog"]].rename(columns={"backlog": "backlog_end"}),
                on=["_k", "township"], how="left")
    t["days_to_decision_mean"] = t["days_x"] / t["decisions"].where(t["decisions"] > 0)
    t["late_share"] = t["decisions_late"] / t["decisions"].where(t["decisions"] > 0)
    return (rule.reset_index(drop=True), month.drop(columns=["_k", "days_x"]),
            t.drop(columns=["_k", "days_x"]), pd.concat(costs, ignore_index=True))


def staffing_sample(scenario: Scenario, outputs: Sequence[RunOutput], town: pd.DataFrame) -> pd.DataFrame:
    """Per locality: the households simulated, the households they stand for, and the households
    a sample needs for township staffing answers good to half a staff member at the largest ratio
    (:func:`simulation.admin.offices.households_needed`), with ``warning`` when it is short."""
    rows = []
    for locality in scenario.localities:
        mine = [o for o in outputs if o.locality == locality and o.population_households]
        if not mine:
            continue
        population = float(np.mean([o.population_households for o in mine]))
        # persons per recipient household, summed run by run (a concatenation of every run's
        # monthly table took a second in the main job)
        persons = households = 0.0
        for o in mine:
            rec = o.monthly["programme"].isin(S.RECIPIENT_PROGRAMMES).to_numpy()
            persons += float(o.monthly["persons"].to_numpy()[rec].sum())
            households += float(o.monthly["households"].to_numpy()[rec].sum())
        k = persons / households if households > 0 else 1.0
        t = town[town["locality"] == locality]
        ratio = float(t["ratio"].max())
        per_town = t[t["ratio"] == ratio].groupby("township")["recipients"].mean()
        needed = households_needed(per_town.to_numpy(), k, population, ratio)
        sample = int(scenario.households or 0)
        rows.append({"locality": locality, "households": sample, "population_households": population,
                     "ratio": ratio, "households_needed": needed,
                     "warning": bool(sample and needed > sample)})
    return pd.DataFrame(rows)


#: A township is within the limit over the horizon when at most this share of its decisions
#: were late and nothing older than the limit is left waiting (a reporting choice: a single late
#: decision of a sampled household, which stands for many, must not decide the verdict).
LATE_TOLERANCE = 0.05
#: Shares of replications at or above which the verdict is "yes" (at or below 1 − it: "no").
CONFIDENT = 0.9


def staffing_verdict(town: pd.DataFrame, tolerance: float = LATE_TOLERANCE,
                     confident: float = CONFIDENT, sample: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per variant and ratio: in how many replications every township stays within the limit,
    and the verdict on the smallest ratio that keeps every township within it, with its
    confidence (each replication draws its own population: their spread is the sampling error).

    ``town``: the per-township table of :func:`_staffing_tables`; ``sample``: the
    :func:`staffing_sample` table. Where a locality's sample is short of the households township
    answers need, a "no" becomes "cannot tell": a sampled application arrives as ``weight``
    applications in one month, so a small sample's work comes in larger lumps than the
    population's and queues more (5,000 Qijiang households: 24% decided late at 2‰; 100,000: none).
    Returns columns ``variant``, ``ratio``, ``replications``, ``share_ok`` (share of replications
    with every township within the limit), ``answer`` (``yes``/``no``/``cannot tell``),
    ``short_sample`` and ``verdict`` (one sentence per variant, on its every row).
    """
    t = town.assign(ok=(town["late_share"].fillna(0.0) <= tolerance))
    per = t.groupby(["variant", "replication", "ratio"], as_index=False)["ok"].all()
    out = per.groupby(["variant", "ratio"], as_index=False, sort=True).agg(
        replications=("ok", "size"), share_ok=("ok", "mean"))
    short = sample[sample["warning"]] if sample is not None and not sample.empty else None
    out["short_sample"] = short is not None and not short.empty
    out["answer"] = np.where(out["share_ok"] >= confident, "yes",
                             np.where((out["share_ok"] <= 1.0 - confident) & ~out["short_sample"], "no",
                                      "cannot tell"))
    need = ("" if short is None or short.empty else
            "; the sample, " + ", ".join(f"{r.households:,} households of {r.locality}" for r in short.itertuples())
            + ", is short of the " + ", ".join(f"{r.households_needed:,}" for r in short.itertuples())
            + " township answers need, and its lumpier work overstates late decisions")
    verdicts = {}
    for variant, grp in out.groupby("variant", sort=False):
        grp = grp.sort_values("ratio")
        text = "no ratio tried keeps every township's decisions within the limit"
        for r in grp.itertuples(index=False):
            if r.answer == "cannot tell":
                text = (f"cannot tell: at {r.ratio * 1000:g}‰ every township decides within the limit in "
                        f"{r.share_ok:.0%} of {r.replications} replications ("
                        + (need[2:] if need else "a larger sample or more replications would decide") + ")")
                break
            if r.answer == "yes":
                text = (f"{r.ratio * 1000:g}‰ is the smallest ratio tried that keeps every township's "
                        f"decisions within the limit (in {r.share_ok:.0%} of {r.replications} replications"
                        + ("; the smaller ratios fail in most" if r.ratio > grp["ratio"].min() else "") + ")")
                break
        verdicts[variant] = text
    out["verdict"] = out["variant"].map(verdicts)
    return out


def _cost_per_yuan(outputs: Sequence[RunOutput], components: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Extra cost per year for each yuan/person/month of standard increase, per reform.

    Δcost (yuan/year, all components, averaged over the horizon's years) ÷ the mean increase of
    the dibao standards (urban and rural weighted by the baseline's urban and rural dibao persons).
    """
    std = pd.concat([o.standards for o in outputs], ignore_index=True)
    persons = pd.concat([o.monthly[o.monthly["programme"] == "dibao"]
                         .groupby(["variant", "replication", "locality", "area"], as_index=False)["persons"].sum()
                         for o in outputs], ignore_index=True)
    rows = []
    base_std = std[std["variant"] == baseline]
    total = components.groupby(["variant", "replication", "locality"], as_index=False)["cost"].sum()
    n_years = components["month"].nunique() / 12.0
    for (variant, rep, loc), grp in std[std["variant"] != baseline].groupby(["variant", "replication", "locality"]):
        b = base_std[(base_std["replication"] == rep) & (base_std["locality"] == loc)]
        du = float((grp["urban"].to_numpy() - b["urban"].to_numpy()).mean())
        dr = float((grp["rural"].to_numpy() - b["rural"].to_numpy()).mean())
        bp = persons[(persons["variant"] == baseline) & (persons["replication"] == rep) & (persons["locality"] == loc)]
        wu = float(bp.loc[bp["area"] == "urban", "persons"].sum())
        wr = float(bp.loc[bp["area"] == "rural", "persons"].sum())
        d_std = (du * wu + dr * wr) / (wu + wr) if wu + wr > 0 else (du + dr) / 2
        c_ref = total[(total["variant"] == baseline) & (total["replication"] == rep) & (total["locality"] == loc)]["cost"].sum()
        c_new = total[(total["variant"] == variant) & (total["replication"] == rep) & (total["locality"] == loc)]["cost"].sum()
        d_cost = (c_new - c_ref) / n_years
        rows.append({"variant": variant, "replication": rep, "locality": loc,
                     "standard_increase_urban": du, "standard_increase_rural": dr,
                     "standard_increase_weighted": d_std, "extra_cost_per_year": d_cost,
                     "cost_per_yuan_of_standard": d_cost / d_std if abs(d_std) > 1e-9 else float("nan")})
    return pd.DataFrame(rows)


def gains_and_losses(scenario: Scenario, policies: Mapping[tuple[str, str], Any],
                     replication: int = 0) -> pd.DataFrame:
    """Who gains and who loses from each reform, by group, in the first month (static calculator).

    The start population of a replication is assessed under the baseline and under each reform
    (``rules.assess``, yuan per month, dibao + single-person inclusion + tekun); households whose
    total rises gain, falls lose. Groups: households with a member aged 60+ (elderly), under 18
    (children), with a disability (disabled), and all. Weighted households and persons, and the
    mean change per gaining or losing household. Dynamics (take-up, exits) are the engine's.
    """
    from simulation.rules import assess

    rows = []
    when = f"{scenario.start}-01"
    for loc in scenario.localities:
        pop = _population(loc, scenario.households, scenario.population_seed + replication)
        persons, hh = pop.persons, pop.households.set_index("household_id")
        base = assess(persons, policies[(scenario.baseline.name, loc)], month=when)["total_amount"]
        groups = household_groups(pop).reindex(base.index)
        weight = groups["weight"].to_numpy(dtype=float)
        size = hh["size"].reindex(base.index).to_numpy(dtype=float)
        for v in scenario.reforms:
            delta = (assess(persons, policies[(v.name, loc)], month=when)["total_amount"] - base).to_numpy()
            for group in GROUPS:
                member = groups[group].to_numpy(dtype=bool)
                for side, sel in (("gain", delta > 0.005), ("loss", delta < -0.005)):
                    m = member & sel
                    w = weight[m]
                    rows.append({"variant": v.name, "locality": loc, "replication": replication,
                                 "group": group, "side": side, "households": float(w.sum()),
                                 "persons": float((w * size[m]).sum()),
                                 "mean_change": float((w * delta[m]).sum() / w.sum()) if w.sum() > 0 else 0.0})
    return pd.DataFrame(rows, columns=["variant", "locality", "replication", "group", "side",
                                       "households", "persons", "mean_change"])


def engine_decisions(monthly: pd.DataFrame, offices: pd.DataFrame) -> pd.DataFrame | None:
    """The engine's own decisions per variant: staff, backlog, days to decision, late share.

    Per variant over all months and replications: mean office staff and backlog (weighted
    cases), days to decision weighted by decisions, and the share of decisions past the legal
    limit (``decisions_late`` ÷ ``decisions``). None when the engine's table lacks the columns.
    """
    need = {"decisions", "decisions_late", "days_to_decision_mean"}
    if not need <= set(monthly.columns) or not {"staff", "backlog"} <= set(offices.columns):
        return None
    m = monthly.assign(days_x=monthly["days_to_decision_mean"].fillna(0.0) * monthly["decisions"])
    d = m.groupby(["variant", "replication", "month"], as_index=False)[["decisions", "decisions_late", "days_x"]].sum()
    o = offices.groupby(["variant", "replication", "month"], as_index=False)[["staff", "backlog"]].sum()
    d = d.merge(o, on=["variant", "replication", "month"], how="left")
    out = d.groupby("variant", as_index=False, sort=False).agg(
        staff_mean=("staff", "mean"), backlog_mean=("backlog", "mean"), decisions=("decisions", "sum"),
        decisions_late=("decisions_late", "sum"), days_x=("days_x", "sum"))
    out["days_to_decision_mean"] = np.where(out["decisions"] > 0, out["days_x"] / out["decisions"], np.nan)
    out["late_share"] = np.where(out["decisions"] > 0, out["decisions_late"] / out["decisions"], np.nan)
    return out.drop(columns="days_x")


def township_names(outputs: Sequence[RunOutput]) -> dict[tuple[Any, Any], str]:
    """(locality, township) → the engine offices' township name, from every run's offices."""
    names: dict[tuple[Any, Any], str] = {}
    for o in outputs:
        if o.offices is not None and "township_name" in o.offices:
            pairs = o.offices[["township", "township_name"]].drop_duplicates()
            names.update(zip(zip([o.locality] * len(pairs), pairs["township"].tolist(), strict=True),
                             pairs["township_name"].tolist(), strict=True))
    return names


def _with_township_names(table: pd.DataFrame, names: Mapping[tuple[Any, Any], str]) -> pd.DataFrame:
    """``table`` with a ``township_name`` column beside ``township``: the engine offices' names
    (:func:`township_names`; "street k" / "town k" where the locality publishes none); purchases
    bought for the whole locality (township -1) are "locality"."""
    if not names or "township_name" in table.columns or not {"locality", "township"} <= set(table.columns):
        return table
    # one lookup per distinct (locality, township), not per row: the monthly table is long
    keys = pd.MultiIndex.from_frame(table[["locality", "township"]].astype(object))
    distinct = keys.unique()
    lookup = pd.Series([names.get(k, "locality" if k[1] in (-1, "all") else str(k[1])) for k in distinct],
                       index=distinct)
    return table.assign(township_name=lookup.reindex(keys).to_numpy())


def _can_assess_population(scenario: Scenario) -> bool:
    """Whether the scenario's localities have population profiles (not so for hand-made tests)."""
    from simulation.scenarios.scenario import known_localities

    return set(scenario.localities) <= set(known_localities())


def assemble(scenario: Scenario, outputs: Sequence[RunOutput],
             policies: Mapping[tuple[str, str], Any], admin: AdminParameters | None = None,
             relative_line: float = RELATIVE_LINE) -> ScenarioResult:
    """Build every table of a scenario from its run outputs.

    ``policies`` maps (variant, locality) to an object with ``.at(date) -> Params``;
    ``relative_line``: the relative poverty line as a share of the median per-capita income.
    """
    admin = admin or load_admin_parameters()
    # the staffing runs feed the staffing tables only; every other table is the variants' own runs
    staffed_runs = {(o.variant, o.locality, o.replication, o.staffing_ratio): o
                    for o in outputs if o.staffing_ratio is not None}
    outputs = [o for o in outputs if o.staffing_ratio is None]
    if not outputs:
        raise ValueError("no run outputs to assemble")
    monthly = pd.concat([o.monthly for o in outputs], ignore_index=True)
    components = S.cost_components(monthly)
    by_run = run_policies(scenario, outputs, policies)
    admin_rows, care = _admin_rows(outputs, by_run)
    components = S.add_admin_costs(components, admin_rows)
    base = scenario.baseline.name

    cost_year = S.cost_by(components, ["year", "component"])
    tables: dict[str, pd.DataFrame] = {
        "monthly": monthly,
        "cost_month_component": S.cost_by(components, ["month", "component"]),
        "cost_year_component": cost_year,
        "cost_year_area": S.cost_by(components, ["year", "area"]),
        "cost_year_township": S.cost_by(components, ["year", "township"]),
        "cost_year_bands": S.bands(cost_year, ["year", "component"], "cost"),
    }
    # the one cost and extra-cost figure: per replication, summed to years and the horizon, then
    # quantiles; every output reads it from here
    totals = S.replication_totals(cost_year, base)
    tables["replication_totals"] = totals
    tables["cost_group_bands"] = S.group_bands(components, base)
    tables["headline"] = S.headline(totals)
    tables["cost_total_bands"] = S.year_bands(tables["headline"], "cost")
    if scenario.reforms:
        diff = S.differences(cost_year, ["year", "component"], "cost", base)
        tables["difference_year_component"] = diff
        tables["difference_year_component_bands"] = S.bands(diff, ["year", "component"], "cost")
        extra = S.year_bands(tables["headline"], "extra")
        tables["difference_year_bands"] = extra[extra["variant"] != base].reset_index(drop=True)
        tables["cost_per_yuan"] = _cost_per_yuan(outputs, components, base)
    pop = pd.DataFrame([{"variant": o.variant, "replication": o.replication, "locality": o.locality,
                         "persons": o.population_persons} for o in outputs])
    cov = S.coverage(monthly, pop)
    tables["coverage_month"] = cov
    cov_year = cov.assign(year=S.month_years(cov["month"]))
    tables["coverage_year_bands"] = S.bands(
        cov_year.groupby(S.RUN_KEYS + ["year", "programme"], as_index=False)[["persons"]].mean(),
        ["year", "programme"], "persons")
    if scenario.reforms and _can_assess_population(scenario):
        tables["gains_losses"] = gains_and_losses(scenario, policies)
    summaries = [(o.variant, o.replication, o.locality, o.households) for o in outputs if o.households is not None]
    if scenario.reforms and summaries:
        tables["distribution_deciles"], tables["distribution_poverty"] = distribution_tables(
            summaries, base, relative_line)
    gaps = [o.gaps for o in outputs if o.gaps is not None]
    if gaps:
        g = pd.concat(gaps, ignore_index=True)
        tables["coverage_gaps_month"] = g
        g_year = g.assign(year=S.month_years(g["month"]))
        per_year = g_year.groupby(S.RUN_KEYS + ["year", "month", "group", "category"], as_index=False)[
            ["households", "persons"]].sum()
        per_year = per_year.groupby(S.RUN_KEYS + ["year", "group", "category"], as_index=False)[
            ["households", "persons"]].mean()
        tables["coverage_gaps_year_bands"] = S.bands(per_year, ["year", "group", "category"], "households")
    tables["services_care"] = care
    if scenario.services_enabled:
        tables["services_cap"] = _cap_table(scenario, care, by_run, admin)
    rule, queue, town, staff_cost = _staffing_tables(scenario, outputs, by_run, staffed_runs)
    tables["staffing_rule"] = rule
    tables["staffing_cost"] = staff_cost[[*S.RUN_KEYS, "year", "months", "ratio", "offices_from", "staff", "staff_cost",
                                          "payments", "total", "payments_vs_own", "extra_vs_own"]]
    tables["staffing_queue"] = queue
    tables["staffing_township"] = town
    sample = staffing_sample(scenario, outputs, town)
    if not sample.empty:
        tables["staffing_sample"] = sample
    tables["staffing_verdict"] = staffing_verdict(town, sample=sample)
    staff_year = rule.groupby(S.RUN_KEYS + ["year", "ratio", "month"], as_index=False)[["staff", "staff_cost"]].sum()
    staff_year = staff_year.groupby(S.RUN_KEYS + ["year", "ratio"], as_index=False).agg(
        staff=("staff", "mean"), staff_cost=("staff_cost", "sum"))
    tables["staffing_year_bands"] = S.bands(staff_year, ["year", "ratio"], "staff")
    town_year = rule.groupby(S.RUN_KEYS + ["year", "ratio", "township", "township_name"], as_index=False).agg(
        recipients=("recipients", "mean"), staff=("staff", "mean"), staff_cost=("staff_cost", "sum"))
    # staffing by township with its sampling error: the spread over replications (each draws its
    # own population), P10 and P90 beside the median
    g = town_year.groupby(["variant", "locality", "year", "ratio", "township", "township_name"], as_index=False)
    tables["staffing_township_year"] = g[["recipients", "staff", "staff_cost"]].median().merge(
        g.agg(staff_p10=("staff", lambda x: x.quantile(0.1)), staff_p90=("staff", lambda x: x.quantile(0.9)),
              recipients_sd=("recipients", "std"), replications=("staff", "size")),
        on=["variant", "locality", "year", "ratio", "township", "township_name"])
    qs = queue.assign(days_x=queue["days_to_decision_mean"] * queue["decisions"])
    summary = qs.groupby(["variant", "ratio"], as_index=False).agg(
        backlog_max=("backlog_applications", "max"),
        days_x=("days_x", "sum"), days_max=("days_to_decision_max", "max"),
        within=("townships_within_limit", "sum"), deciding=("townships_deciding", "sum"),
        deadline_days=("deadline_days", "first"),
        decisions=("decisions", "sum"), decisions_late=("decisions_late", "sum"),
        reviews_late=("reviews_missed", "sum"), reviews_fell_due=("reviews_fell_due", "sum"),
        offices_from=("offices_from", "first"))
    # staff: the scenario's offices together (a sharded run's localities summed) month by month,
    # then the mean, as the staffing cost beside them counts them
    together = qs.groupby(["variant", "ratio", "replication", "month"], sort=False)["staff"].sum()
    summary.insert(2, "staff_mean", pd.MultiIndex.from_frame(summary[["variant", "ratio"]]).map(
        together.groupby(level=["variant", "ratio"]).mean()))
    summary["share_within_limit"] = summary["within"] / summary["deciding"].where(summary["deciding"] > 0)
    summary = summary.drop(columns=["within", "deciding"])
    summary["days_mean"] = summary["days_x"] / summary["decisions"].where(summary["decisions"] > 0)
    summary["late_share"] = summary["decisions_late"] / summary["decisions"].where(summary["decisions"] > 0)
    # reviews not done in the month they fell due (their payment waits), of those falling due
    summary["reviews_late_share"] = summary["reviews_late"] / summary["reviews_fell_due"].where(
        summary["reviews_fell_due"] > 0)
    tables["staffing_queue_summary"] = summary.drop(columns="days_x")
    offices = [o.offices for o in outputs if o.offices is not None]
    if offices:
        tables["engine_offices"] = pd.concat(offices, ignore_index=True)
        decisions = engine_decisions(monthly, tables["engine_offices"])
        if decisions is not None:
            tables["engine_decisions"] = decisions
    tables["parameters"] = parameter_table(scenario, policies)
    # every table by township names its townships (the engine offices' names) beside the index
    names = township_names(outputs)
    tables = {k: _with_township_names(t, names) for k, t in tables.items()}
    manifest = {
        "scenario": scenario.name, "scenario_file": scenario.source, "scenario_doc": _json_safe(scenario.to_doc()),
        "scenario_sha256": file_hash(scenario.source) if Path(scenario.source).is_file() else None,
        "localities": list(scenario.localities), "start": scenario.start, "months": scenario.months,
        "population": {"households": scenario.households, "seed": scenario.population_seed},
        "seed": scenario.seed, "replications": scenario.replications,
        "variants": [{"name": v.name, "label_zh": v.label_zh, "changes": v.changes} for v in scenario.variants],
        "policy_hashes": sorted({(o.variant, o.locality, o.policy_hash) for o in outputs}),
        "staffing_runs": sorted({(v, loc, ratio, o.policy_hash) for (v, loc, _, ratio), o in staffed_runs.items()}),
        "behaviour": [{"variant": o.variant, "replication": o.replication, "locality": o.locality, **o.behaviour}
                      for o in outputs],
        "cap_base": scenario.cap_base if not isinstance(scenario.cap_base, dict)
        else {str(k): v for k, v in scenario.cap_base.items()},
        "admin_parameters": admin.source, "relative_line": relative_line,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return ScenarioResult(scenario, tables, manifest)


def staffing_cost_summary(staffing_cost: pd.DataFrame) -> pd.DataFrame:
    """What each staffing ratio costs a year against the variant's own staffing, per variant and
    ratio: the median over replications (localities summed) of the staff (mean a month) and, in
    yuan a year over the horizon (its total × 12 ÷ its months, so a part year weighs as much as
    it lasts), the staff cost, the change in benefit payments (the reviews and decisions the
    ratio's staff do in time or late) and the two together; ``offices_from`` as in the staffing
    tables."""
    money = ["staff_cost", "payments_vs_own", "extra_vs_own"]
    t = staffing_cost.assign(staff_months=staffing_cost["staff"] * staffing_cost["months"])
    per = t.groupby(["variant", "ratio", "replication", "year"], as_index=False, sort=False).agg(
        **{c: (c, "sum") for c in [*money, "staff_months"]}, months=("months", "first"),
        offices_from=("offices_from", "first"))
    per = per.groupby(["variant", "ratio", "replication"], as_index=False, sort=False).agg(
        **{c: (c, "sum") for c in [*money, "staff_months", "months"]}, offices_from=("offices_from", "first"))
    per["staff"] = per["staff_months"] / per["months"]
    per[money] = per[money].mul(12.0 / per["months"], axis=0)
    cols = ["staff", *money]
    return per.groupby(["variant", "ratio"], as_index=False, sort=False).agg(
        **{c: (c, "median") for c in cols}, offices_from=("offices_from", "first"),
        replications=("replication", "size"))


def services_summary(services_cap: pd.DataFrame) -> pd.DataFrame:
    """Purchased services against the cap per variant and year: means over replications and
    localities summed, so that ``shortfall`` = ``counted_cost`` − ``cap`` holds for the figures
    shown (the cost the cap counts: all purchases, or the part paid from subsidy funds)."""
    cols = [c for c in ("cost", "counted_cost", "care_cost", "casework_cost", "posts_cost", "cap",
                        "persons_needing_care") if c in services_cap.columns]
    per = services_cap.groupby(["variant", "replication", "year"], as_index=False, sort=False)[cols].sum()
    out = per.groupby(["variant", "year"], as_index=False, sort=False)[cols].mean()
    counted = out["counted_cost"] if "counted_cost" in out else out["cost"]
    out["shortfall"] = counted - out["cap"]
    out["affordable_coverage"] = np.where(counted > 0, np.minimum(out["cap"] / counted.where(counted > 0, 1.0), 1.0), 1.0)
    return out


def parameter_table(scenario: Scenario, policies: Mapping[tuple[str, str], Any]) -> pd.DataFrame:
    """Every policy parameter per variant and locality at the start: value, unit, meaning,
    reference (of the value in force) and whether the variant's changes set it. A parameter the
    uncertainty block samples says so in its reference, with its range: each replication ran
    with its own value, not the one shown."""
    from simulation.policy.schema import CATALOGUE

    rows = []
    day = f"{scenario.start}-01"
    changed = {v.name: set(v.changes) for v in scenario.variants}
    sampled = {name: f"; sampled per replication in [{lo:g}, {hi:g}] (scenario {scenario.source}, uncertainty)"
               for name, (lo, hi) in scenario.uncertainty.items() if name in CATALOGUE}
    for (variant, loc), pol in sorted(policies.items()):
        reference = getattr(pol, "reference", None)
        for path, value in sorted(pol.at(day).items()):
            spec = CATALOGUE.get(path)
            rows.append({"variant": variant, "locality": loc, "parameter": path,
                         "description": spec.description if spec else "", "unit": spec.unit if spec else "",
                         "value_at_start": str(list(value) if isinstance(value, tuple) else value),
                         "reference": (str(reference(path, day)) if reference else "") + sampled.get(path, ""),
                         "changed": path in changed.get(variant, ())})
    return pd.DataFrame(rows, columns=["variant", "locality", "parameter", "description", "unit",
                                       "value_at_start", "reference", "changed"])


def _json_safe(doc: Any) -> Any:
    """Dates (from unquoted YAML) as ISO strings, so the document goes into JSON unchanged."""
    if isinstance(doc, Mapping):
        return {str(k.isoformat() if isinstance(k, dt.date) else k): _json_safe(v) for k, v in doc.items()}
    if isinstance(doc, list | tuple):
        return [_json_safe(v) for v in doc]
    return doc.isoformat() if isinstance(doc, dt.date) else doc


def run_scenario(scenario: Scenario, *, executor: Any = None, progress: bool = False,
                 write: bool = True, output: str | Path | None = None,
                 relative_line: float = RELATIVE_LINE) -> ScenarioResult:
    """Run every task of a scenario on an executor, assemble the tables and (optionally) write them.

    ``executor``: an executor from ``make_executor`` (the scenario's own choice when None).
    Results go to ``output`` (default: the scenario's ``output`` folder) under a new run id.
    """
    if _can_assess_population(scenario):
        warm_kernels(scenario.localities[0], scenario.start, progress)
    own = executor is None
    ex = executor or make_executor(scenario.executor, scenario.workers, scenario.address)
    try:
        policies = {(v.name, loc): build_policy(scenario, v, loc)
                    for loc in scenario.localities for v in scenario.variants}
        outputs = ex.map(run_task, tasks_for(scenario), progress=progress, desc=f"{scenario.name} runs")
    finally:
        if own:
            ex.close()
    result = assemble(scenario, outputs, policies, relative_line=relative_line)
    if write:
        root = Path(output) if output is not None else scenario.output
        result.path = write_results(root, new_run_id(scenario.name), result.tables, result.manifest)
    return result


def _resident_share(tables: Mapping[str, pd.DataFrame], variant: str) -> str:
    """' (x.x% of residents)': recipients of the last year as a share of the resident population."""
    cov = tables.get("coverage_month")
    if cov is None or cov.empty:
        return ""
    c = cov[(cov["variant"] == variant) & cov["programme"].isin(S.RECIPIENT_PROGRAMMES)]
    c = c[c["month"].astype(str).str[:4] == c["month"].astype(str).str[:4].max()]
    per = c.groupby(["replication", "month", "locality"], as_index=False).agg(
        persons=("persons", "sum"), population=("population", "first"))
    per = per.groupby(["replication", "month"])[["persons", "population"]].sum()
    share = float((per["persons"] / per["population"]).median()) if len(per) else float("nan")
    return f" ({share:.1%} of residents)"


def headline_lines(head: pd.DataFrame, baseline: str, parts: Sequence[str] = ("cost", "extra")) -> list[str]:
    """Cost and extra cost per year and for the whole horizon (万元, P50 [P10–P90]) from the
    headline table (summary.headline), with the Monte Carlo error of the horizon's band.

    ``parts``: which blocks to print (``cost``, ``extra``); extra is printed for every variant
    other than ``baseline``."""
    periods = list(dict.fromkeys(head["period"]))
    reps = int(head["replications"].max())
    cells = {(r.variant, r.period, v): band_text(getattr(r, f"{v}_p50"), getattr(r, f"{v}_p10"), getattr(r, f"{v}_p90"))
             for r in head.itertuples(index=False) for v in ("cost", "extra")}
    width = max(len(c) for c in cells.values()) + 3
    variants = list(dict.fromkeys(head["variant"]))
    header = f"{'variant':<28}" + "".join(f"{p:>{width}}" for p in periods)
    lines = []
    if "cost" in parts:
        lines += [f"Cost per year and for the whole horizon ({periods[-1]}), 万元 (10,000 yuan): P50 [P10–P90] "
                  f"over {reps} replications", header]
        lines += [f"{v:<28}" + "".join(cells.get((v, p, "cost"), "–").rjust(width) for p in periods)
                  for v in variants]
    reforms = [v for v in variants if v != baseline]
    if reforms and "extra" in parts:
        lines += ["", "Extra cost: reform minus baseline in each replication (same population and draws), 万元"]
        if "cost" not in parts:
            lines.append(header)
        lines += [f"{v:<28}" + "".join(cells.get((v, p, "extra"), "–").rjust(width) for p in periods)
                  for v in reforms]
    whole = head[head["period"] == periods[-1]]
    for r in whole.itertuples(index=False):
        value = "extra" if r.variant != baseline else "cost"
        if value not in parts:
            continue
        lines.append(f"  Monte Carlo error of the band ({r.variant}, {value} {periods[-1]}): P10 ± "
                     f"{_fmt(getattr(r, f'{value}_p10_se'))}, P90 ± {_fmt(getattr(r, f'{value}_p90_se'))} 万元 "
                     f"(bootstrap standard error over the {r.replications} replications)")
    return lines


def group_lines(groups: pd.DataFrame, baseline: str) -> list[str]:
    """Cost (and a reform's extra cost) of the whole horizon by programme group, 万元 P50
    [P10–P90]: dibao, tekun, temporary and special assistance 专项救助 (then each special
    programme), with special assistance's share of the reform's extra cost."""
    lines = ["", "By programme group over the horizon, 万元: P50 [P10–P90] (special assistance = "
             + ", ".join(S.SPECIAL_PROGRAMMES) + ")"]
    for variant, grp in groups.groupby("variant", sort=False):
        g = grp.set_index("group")
        value = "cost" if variant == baseline else "extra"
        cells = [f"{name} {band_text(g.at[name, f'{value}_p50'], g.at[name, f'{value}_p10'], g.at[name, f'{value}_p90'])}"
                 for name in ("dibao", "tekun", "temporary", "special") if name in g.index]
        lines.append(f"  {variant:<26} {value}: " + ", ".join(cells))
        parts = [f"{name} {_fmt(g.at[name, f'{value}_p50'])}" for name in S.SPECIAL_PROGRAMMES
                 if name in g.index]
        lines.append(f"  {'':<26} special assistance by programme (P50): " + ", ".join(parts))
        if variant != baseline and "special" in g.index:
            lines.append(f"  {'':<26} special assistance adds {g.at['special', 'extra_share_p50']:.1%} "
                         "of the reform's extra cost (median over replications)")
    return lines


def format_summary(tables: Mapping[str, pd.DataFrame], baseline: str, relative_line: float = RELATIVE_LINE) -> str:
    """Terminal summary: cost and extra cost (万元, P50 [P10–P90]) per year and horizon, recipients,
    distribution, staff, cap."""
    lines = headline_lines(tables["headline"], baseline)
    cpy = tables.get("cost_per_yuan")
    if cpy is not None and not cpy.empty:
        for variant, grp in cpy.groupby("variant", sort=False):
            lines.append(f"{variant}: +{grp['standard_increase_weighted'].median():.1f} yuan/person/month on the "
                         f"standard costs {grp['cost_per_yuan_of_standard'].median():,.0f} yuan/year per yuan")
    if "cost_group_bands" in tables:
        lines += group_lines(tables["cost_group_bands"], baseline)
    if "distribution_deciles" in tables and not tables["distribution_deciles"].empty:
        lines.append("")
        lines += distribution_lines(tables["distribution_deciles"], tables["distribution_poverty"], relative_line)
    lines.append("")
    cy = tables["coverage_year_bands"]
    lines.append("Recipients (persons, yearly mean, P50)")
    for variant, grp in cy.groupby("variant", sort=False):
        parts = [f"{prog} {grp[grp['programme'] == prog]['p50'].iloc[-1]:,.0f}"
                 for prog in S.RECIPIENT_PROGRAMMES if (grp["programme"] == prog).any()]
        lines.append(f"  {variant:<26} last year: " + ", ".join(parts) + _resident_share(tables, variant))
    qs = tables["staffing_queue_summary"]
    gb = tables.get("coverage_gaps_year_bands")
    if gb is not None and not gb.empty:
        last = gb[(gb["year"] == gb["year"].max()) & (gb["group"] == "all")]
        lines.append("Coverage gaps, households (last year's monthly mean, P50; all groups)")
        for variant, grp in last.groupby("variant", sort=False):
            g = grp.set_index("category")["p50"]
            lines.append(f"  {variant:<26} " + ", ".join(f"{c} {g.get(c, 0.0):,.0f}" for c in GAP_CATEGORIES.values()))
    lines.append("")
    replayed = "offices_from" in qs and (qs["offices_from"] == FROM_REPLAY).any()
    sample = tables.get("staffing_sample")
    short = sample is not None and bool(sample["warning"].any())
    lines.append("Township offices by staffing ratio (calendar days; each ratio an engine run of the variant"
                 + (", * replayed on the variant's own run: payments as run" if replayed else "")
                 + ("; the sample is too small for township answers, its lumpier work overstates days and "
                    "late decisions: see the WARNING)" if short else ")"))
    cost = tables.get("staffing_cost")
    per = (staffing_cost_summary(cost).set_index(["variant", "ratio"]) if cost is not None and not cost.empty
           else None)
    for r in qs.itertuples(index=False):
        star = "*" if getattr(r, "offices_from", FROM_ENGINE) == FROM_REPLAY else ""
        line = (f"  {r.variant:<26} ratio {r.ratio * 1000:.1f}‰{star}: staff {r.staff_mean:,.0f}, mean days to decision "
                f"{r.days_mean:,.1f} (limit {r.deadline_days:.0f}), decided late {r.late_share:.1%}, "
                f"township-months deciding within it {r.share_within_limit:.0%}, reviews missing their month "
                f"{r.reviews_late_share:.0%}")
        if per is not None and (r.variant, r.ratio) in per.index:
            c = per.loc[(r.variant, r.ratio)]
            line += (f"; 万元 a year (P50): staff {_fmt(c['staff_cost'])}, payments "
                     f"{c['payments_vs_own'] / 1e4:+,.1f} against the variant's own staffing")
        lines.append(line)
    verdict = tables.get("staffing_verdict")
    if verdict is not None and not verdict.empty:
        for variant, grp in verdict.groupby("variant", sort=False):
            lines.append(f"  {variant}: {grp['verdict'].iloc[0]}")
    if sample is not None:
        for r in sample[sample["warning"]].itertuples(index=False):
            lines.append(f"  WARNING {r.locality}: {r.households:,} households simulated; township staffing "
                         f"answers (±0.5 staff at {r.ratio * 1000:g}‰) need about {r.households_needed:,} "
                         f"of its {r.population_households:,.0f}")
    ed = tables.get("engine_decisions")
    if ed is not None and not ed.empty:
        lines.append("Households the engine decided at the variant's own staffing (each sampled application "
                     "whole; the offices above give its expected days, so small samples differ)")
        for r in ed.itertuples(index=False):
            lines.append(f"  {r.variant:<26} staff {r.staff_mean:,.0f}, backlog {r.backlog_mean:,.0f} cases, "
                         f"mean days to decision {r.days_to_decision_mean:,.1f}, decided late {r.late_share:.1%}")
    if "services_cap" in tables:
        cap = services_summary(tables["services_cap"])
        est = bool(tables["services_cap"]["cap_base_is_estimate"].any())
        lines.append("")
        lines.append("Purchased services vs the 2% cap, 万元, mean over replications (shortfall = cost − cap)"
                     + (" (cap base is an ESTIMATE)" if est else ""))
        for r in cap.itertuples(index=False):
            lines.append(f"  {r.variant:<26} {r.year}: cost {_fmt(r.cost)}, cap {_fmt(r.cap)}, "
                         f"{'shortfall' if r.shortfall > 0 else 'headroom'} {_fmt(abs(r.shortfall))}, "
                         f"cap affords {r.affordable_coverage:.0%} of the package")
    return "\n".join(lines)
