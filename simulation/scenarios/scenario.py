"""Scenario files (情景): a locality, a population, a policy with dated reforms, and a horizon.

A scenario file (``data/scenarios/*.yaml``) says what to run and compare::

    name: qijiang_standard_plus_5pct
    locality: qijiang                 # or localities: [qijiang, kaizhou] for a sharded run
    population: {households: 5000, seed: 1}
    start: 2025-01
    months: 36
    seed: 1                           # engine seed; replication r uses seed + r
    replications: 3                   # P10/P50/P90 bands over replications
    reforms:
      - name: standard_plus_5pct
        label_zh: 低保标准提高5%
        changes:
          dibao.standard.urban: {from: 2025-01-01, scale: 1.05}   # × baseline value in force
          dibao.standard.rural: {from: 2025-01-01, add: 30}       # + yuan
          tekun.care.full: {"2025-01-01": 600}                    # dated absolute values
    behaviour: {take_up: 0.7}         # engine behaviour overrides
    uncertainty: {take_up: [0.5, 0.8]}  # sampled per replication (stratified, no random draws);
                                        # a policy path samples the policy's own latitude, e.g.
                                        # dibao.standard.consumption_share.urban: [0.25, 0.35]
    staffing: {ratios: [0.002, 0.003, 0.004]}   # the engine runs each variant at each ratio;
                                      # engine: false replays its work instead (faster, no feedback)
    coverage: {gaps: true}            # trace households: eligible not receiving, and the reverse
    services: {cap_base: {2025: 60000000, 2026: 62000000, 2027: 64000000}}   # or: estimate
    executor: {kind: process, workers: 2, address: null}
    output: results

Every problem is collected and reported together, each naming the file, the field and the value
(`ScenarioError`). Relative reforms (``scale``, ``add``) are turned into dated absolute values on
the baseline's own change dates, so "baseline × 1.05" holds through later baseline increases.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.admin.parameters import DATA_DIR
from simulation.errors import LoadError, show_value
from simulation.loading import load_json, load_yaml
from simulation.policy.schema import CATALOGUE as POLICY_CATALOGUE

SCENARIO_DIR = DATA_DIR / "scenarios"
DEFAULT_SCENARIO = SCENARIO_DIR / "default.yaml"

_KEYS = {
    "name", "description", "locality", "localities", "population", "start", "months", "seed",
    "replications", "baseline", "reforms", "behaviour", "uncertainty", "staffing", "services",
    "executor", "output", "coverage",
}
_REFORM_KEYS = {"name", "label_zh", "description", "changes"}
_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: Upper bounds of the run's size: past them a typo (an extra zero) would run for days or exhaust
#: memory (1 M households take ~1.3 GB). 100 years of months; seeds fit the engine's 64-bit keys.
MAX_MONTHS = 1200
MAX_HOUSEHOLDS = 10_000_000
MAX_REPLICATIONS = 1000
MAX_SEED = 2**63 - 1
LAST_YEAR = 2100
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Problem = tuple[str, str, object, str]


class ScenarioError(LoadError):
    """A bad scenario file. ``problems`` lists (file, field, value, message) for every problem."""

    def __init__(self, problems: list[Problem], kind: str | None = None) -> None:
        lines = [f"{f}: {_where(k)}{msg}" + ("" if v is None else f" (value {show_value(v)})")
                 for f, k, v, msg in problems]
        super().__init__(problems, message="bad scenario:\n  " + "\n  ".join(lines), kind=kind)


def _where(location: str) -> str:
    """``field 'x': `` for a field; a line/column or the whole file as the loading layer gave it."""
    if location in ("-", ""):
        return ""
    if location.startswith(("line ", "(")):
        return f"{location}: "
    return f"field '{location}': "


@dataclass(frozen=True)
class Variant:
    """One policy variant of a scenario: the baseline or a reform, as raw change specs."""

    name: str
    label_zh: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario (see the module docstring for the file format)."""

    name: str
    description: str
    localities: tuple[str, ...]
    households: int | None
    population_seed: int
    start: str  # YYYY-MM
    months: int
    seed: int
    replications: int
    baseline: Variant
    reforms: tuple[Variant, ...]
    behaviour: dict[str, Any] = field(default_factory=dict)
    uncertainty: dict[str, tuple[float, float]] = field(default_factory=dict)
    staffing_ratios: tuple[float, ...] | None = None
    #: the staffing tables from an engine run of each variant at each ratio (``staffing.engine``,
    #: default true); false: the office model replayed on the work of the variant's own run
    staffing_runs: bool = True
    office_staff: dict[str, float] | None = None  # a township's own staff (name → staff), not the rule
    services_enabled: bool = True
    coverage_gaps: bool = False  # trace every household for eligible-not-receiving and the reverse
    cap_base: dict[int, float] | str | None = None  # per year (yuan) or "estimate"
    executor: str = "process"
    workers: int | None = None
    address: str | None = None
    output: Path = Path("results")
    source: str = "<dict>"

    @property
    def variants(self) -> tuple[Variant, ...]:
        """Baseline first, then the reforms."""
        return (self.baseline, *self.reforms)

    @property
    def years(self) -> list[int]:
        """Calendar years the horizon touches."""
        return horizon_years(self.start, self.months)

    @property
    def end(self) -> str:
        """Last simulated month, YYYY-MM."""
        y, m = int(self.start[:4]), int(self.start[5:7])
        k = m - 1 + self.months - 1
        return f"{y + k // 12:04d}-{k % 12 + 1:02d}"

    def to_doc(self) -> dict[str, Any]:
        """The scenario as a scenario-file mapping (what ran, after any overrides), so that
        ``parse_scenario(s.to_doc())`` rebuilds it: kept in every run's manifest for re-runs."""
        doc: dict[str, Any] = {
            "name": self.name, "description": self.description,
            ("locality" if len(self.localities) == 1 else "localities"):
                self.localities[0] if len(self.localities) == 1 else list(self.localities),
            "population": {"households": self.households, "seed": self.population_seed},
            "start": self.start, "months": self.months, "seed": self.seed, "replications": self.replications,
            "baseline": {"name": self.baseline.name, "changes": self.baseline.changes},
            "reforms": [{"name": v.name, "label_zh": v.label_zh, "changes": v.changes} for v in self.reforms],
            "behaviour": dict(self.behaviour),
            "uncertainty": {k: list(v) for k, v in self.uncertainty.items()},
            "services": {"enabled": self.services_enabled,
                         **({"cap_base": self.cap_base} if self.cap_base is not None else {})},
            "coverage": {"gaps": self.coverage_gaps},
            "executor": {"kind": self.executor, "workers": self.workers, "address": self.address},
            "output": str(self.output),
        }
        if self.households is None:
            del doc["population"]["households"]
        if self.staffing_ratios is not None:
            doc["staffing"] = {"ratios": list(self.staffing_ratios), "engine": self.staffing_runs}
        if self.office_staff:
            doc.setdefault("staffing", {})["staff"] = dict(self.office_staff)
        return doc

    def with_changes(self, **changes: Any) -> Scenario:
        """A copy with some fields replaced (e.g. a smaller population for a quick run)."""
        from dataclasses import replace

        return replace(self, **changes)


def horizon_years(start: str, months: int) -> list[int]:
    """Calendar years touched by ``months`` months from ``start`` (YYYY-MM)."""
    y, m = int(start[:4]), int(start[5:7])
    return list(range(y, (m - 1 + months - 1) // 12 + y + 1))


def known_localities() -> list[str]:
    """Localities (population profiles, data/localities) whose policy file exists.

    A profile names its policy (``policy:``; e.g. the national profile ``china_2021`` uses the
    ``national`` policy), so a scenario's locality is a profile id.
    """
    from simulation.population import list_profiles

    return sorted(loc for loc in list_profiles() if _policy_of_profile(loc) is not None)


@functools.lru_cache(maxsize=64)
def _policy_of_profile(locality: str) -> str | None:
    from simulation.policy.loader import NATIONAL, list_localities

    path = DATA_DIR / "localities" / f"{locality}.yaml"
    try:
        doc = load_yaml(path, "locality profile", expect=dict)
    except LoadError:  # load_profile reports it in full
        return None
    policy = doc.get("policy") if isinstance(doc, dict) else None
    return policy if policy == NATIONAL or policy in list_localities() else None


def policy_of(locality: str) -> str:
    """The policy id a locality's population profile names (raises KeyError when none)."""
    policy = _policy_of_profile(locality)
    if policy is None:
        raise KeyError(f"locality {locality!r} has no population profile naming a known policy")
    return policy


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _empty_if_none(value: Any, empty: Any) -> Any:
    """A missing or empty (``key:`` with nothing) section is empty; 0, '' or false stay wrong."""
    return empty if value is None else value


def _date_key(v: object) -> str:
    """Dates in YAML may arrive as date objects (unquoted keys); keep ISO strings."""
    return v.isoformat() if isinstance(v, dt.date) else str(v)


def _check_change(src: str, where: str, path: str, spec: object, problems: list[Problem]) -> None:
    from simulation.policy.schema import CATALOGUE, check_value

    if path not in CATALOGUE:
        problems.append((src, f"{where}.{path}", path, "unknown policy parameter (see simulation.policy.schema)"))
        return
    if not isinstance(spec, Mapping) or not spec:
        problems.append((src, f"{where}.{path}", spec, "expected {from, scale|add} or dated values"))
        return
    keys = {str(k) for k in spec}
    if keys & {"from", "scale", "add"}:
        if "from" not in keys or not _DATE_RE.match(_date_key(spec.get("from"))):
            problems.append((src, f"{where}.{path}.from", spec.get("from"), "needs a date YYYY-MM-DD"))
        ops = keys & {"scale", "add"}
        if len(ops) != 1 or keys - {"from", "scale", "add"}:
            problems.append((src, f"{where}.{path}", dict(spec), "give 'from' and exactly one of 'scale', 'add'"))
            return
        op = ops.pop()
        val = spec[op]
        if not _is_num(val) or (op == "scale" and val <= 0):
            problems.append((src, f"{where}.{path}.{op}", val, "must be a finite number (scale > 0)"))
        if CATALOGUE[path].kind not in ("amount", "share", "multiple"):
            problems.append((src, f"{where}.{path}", op, f"'{op}' needs a numeric parameter, not {CATALOGUE[path].kind}"))
        return
    for day, value in spec.items():
        day_s = _date_key(day)
        if not _DATE_RE.match(day_s):
            problems.append((src, f"{where}.{path}", day_s, "dated values need keys YYYY-MM-DD"))
            continue
        raw = value.get("value") if isinstance(value, Mapping) else value
        _, msg = check_value(CATALOGUE[path], raw)
        if msg:
            problems.append((src, f"{where}.{path}.{day_s}", raw, msg))


def _variant(src: str, where: str, raw: object, problems: list[Problem], default_name: str) -> Variant | None:
    if raw is None:
        return Variant(default_name, "", {})
    if not isinstance(raw, Mapping):
        problems.append((src, where, raw, "expected a mapping with name and changes"))
        return None
    for key in sorted(set(map(str, raw)) - _REFORM_KEYS):
        problems.append((src, f"{where}.{key}", raw[key], "unknown key"))
    name = raw.get("name", default_name)
    if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9_\-]+$", name):
        problems.append((src, f"{where}.name", name, "needs a name of letters, digits, - or _"))
        name = default_name
    if not isinstance(raw.get("label_zh", ""), str):
        problems.append((src, f"{where}.label_zh", raw["label_zh"], "must be text"))
    changes = _empty_if_none(raw.get("changes"), {})
    if not isinstance(changes, Mapping):
        problems.append((src, f"{where}.changes", changes, "expected a mapping of parameter paths"))
        changes = {}
    for path, spec in changes.items():
        _check_change(src, f"{where}.changes", str(path), spec, problems)
    return Variant(name, str(raw.get("label_zh", "")), {str(k): v for k, v in changes.items()})


def staffing_changes(ratio: float, start: str) -> dict[str, Any]:
    """Policy changes that staff the engine's township offices at ``ratio`` from ``start``: the
    engine staffs each office by ``staffing.ratio_min`` (qijiang 三(三)), and ``ratio_max`` is set
    with it so the range stays a range."""
    return {"staffing.ratio_min": {start: ratio}, "staffing.ratio_max": {start: ratio}}


def staffed(variant: Variant, ratio: float, start: str) -> Variant:
    """``variant`` with its township offices staffed at ``ratio`` from ``start`` (its own
    changes, then :func:`staffing_changes` over them): the policy of a staffing run."""
    return Variant(variant.name, variant.label_zh, {**variant.changes, **staffing_changes(ratio, start)})


def parse_scenario(doc: object, source: str = "<dict>") -> Scenario:
    """Validate a scenario mapping; raise ScenarioError listing every problem with file and field."""
    src = source
    problems: list[Problem] = []
    if not isinstance(doc, Mapping):
        raise ScenarioError([(src, "-", doc, "a scenario file must be a mapping")])
    for key in sorted(set(map(str, doc)) - _KEYS):
        problems.append((src, key, doc[key], "unknown key"))

    name = doc.get("name", Path(source).stem)
    if not isinstance(name, str) or not name:
        problems.append((src, "name", name, "needs a non-empty name"))
    if not isinstance(doc.get("description", ""), str):
        problems.append((src, "description", doc["description"], "must be text"))

    # locality or localities (a sharded run)
    if "locality" in doc and "localities" in doc:
        problems.append((src, "locality", doc["locality"], "give 'locality' or 'localities', not both"))
    raw_loc = doc.get("localities", doc.get("locality"))
    loc_field = "localities" if "localities" in doc else "locality"
    locs = [raw_loc] if isinstance(raw_loc, str) else raw_loc
    localities: tuple[str, ...] = ()
    if not isinstance(locs, list) or not locs or not all(isinstance(x, str) for x in locs):
        problems.append((src, loc_field, raw_loc, "needs a locality id (or a list of them)"))
    else:
        known = known_localities()
        for i, loc in enumerate(locs):
            if loc not in known:
                f = loc_field if isinstance(raw_loc, str) else f"{loc_field}[{i}]"
                problems.append((src, f, loc, f"unknown locality; known: {', '.join(known) or 'none'}"))
        if len(set(locs)) != len(locs):
            problems.append((src, loc_field, locs, "a locality is listed twice"))
        localities = tuple(locs)

    pop = _empty_if_none(doc.get("population"), {})
    households, pop_seed = None, 1
    if not isinstance(pop, Mapping):
        problems.append((src, "population", pop, "expected {households, seed}"))
    else:
        for key in sorted(set(map(str, pop)) - {"households", "seed"}):
            problems.append((src, f"population.{key}", pop[key], "unknown key"))
        households = pop.get("households")
        if households is not None and (not _is_int(households) or not 0 < households <= MAX_HOUSEHOLDS):
            problems.append((src, "population.households", households,
                             f"must be a whole number 1..{MAX_HOUSEHOLDS:,}"))
        pop_seed = pop.get("seed", 1)
        if not _is_int(pop_seed) or not 0 <= pop_seed <= MAX_SEED:
            problems.append((src, "population.seed", pop_seed, "must be a whole number >= 0 (64-bit)"))

    start = _date_key(doc.get("start", ""))
    if not _MONTH_RE.match(start):
        problems.append((src, "start", doc.get("start"), "needs a month YYYY-MM"))
    else:
        from simulation.policy import COVERAGE_START

        if f"{start}-01" < COVERAGE_START.isoformat():
            problems.append((src, "start", start, f"policies are complete from {COVERAGE_START:%Y-%m}; start then or later"))
        elif int(start[:4]) > LAST_YEAR:
            problems.append((src, "start", start, f"start in {LAST_YEAR} or earlier"))
    months = doc.get("months")
    if not _is_int(months) or not 0 < months <= MAX_MONTHS:
        problems.append((src, "months", months,
                         f"the horizon must be a whole number of months 1..{MAX_MONTHS}"))
    seed = doc.get("seed", 1)
    if not _is_int(seed) or not 0 <= seed <= MAX_SEED:
        problems.append((src, "seed", seed, "must be a whole number >= 0 (64-bit)"))
    reps = doc.get("replications", 1)
    if not _is_int(reps) or not 1 <= reps <= MAX_REPLICATIONS:
        problems.append((src, "replications", reps, f"must be a whole number 1..{MAX_REPLICATIONS}"))

    baseline = _variant(src, "baseline", doc.get("baseline"), problems, "baseline")
    raw_reforms = _empty_if_none(doc.get("reforms"), [])
    reforms: list[Variant] = []
    if not isinstance(raw_reforms, list):
        problems.append((src, "reforms", raw_reforms, "expected a list of reforms"))
    else:
        for i, r in enumerate(raw_reforms):
            v = _variant(src, f"reforms[{i}]", r, problems, f"reform_{i + 1}")
            if v is not None:
                reforms.append(v)
    names = [v.name for v in ([baseline] if baseline else []) + reforms]
    if len(set(names)) != len(names):
        problems.append((src, "reforms", names, "variant names must be unique"))

    behaviour = _empty_if_none(doc.get("behaviour"), {})
    uncertainty_raw = _empty_if_none(doc.get("uncertainty"), {})
    uncertainty: dict[str, tuple[float, float]] = {}
    try:
        from simulation.engine.behaviour import Behaviour

        base_b = Behaviour.defaults()
        if not isinstance(behaviour, Mapping):
            problems.append((src, "behaviour", behaviour, "expected a mapping of behaviour parameters"))
            behaviour = {}
        else:
            base_b.with_overrides(behaviour, source=f"{src} behaviour")
    except ValueError as exc:  # InputError names the parameter
        problems.append((src, f"behaviour.{getattr(exc, 'column', '?')}", behaviour, str(exc)))
        base_b = None
    if not isinstance(uncertainty_raw, Mapping):
        problems.append((src, "uncertainty", uncertainty_raw, "expected {parameter: [low, high]}"))
    else:
        for key, rng in uncertainty_raw.items():
            where = f"uncertainty.{key}"
            if not (isinstance(rng, list) and len(rng) == 2 and all(_is_num(x) for x in rng) and rng[0] <= rng[1]):
                problems.append((src, where, rng, "expected [low, high] with low <= high"))
                continue
            if str(key) in POLICY_CATALOGUE:  # a policy parameter over the seed's own range
                message = policy_uncertainty_problem(str(key), rng)
                if message:
                    problems.append((src, where, rng, message))
                    continue
            elif base_b is not None:
                try:
                    base_b.with_overrides({str(key): rng[0]}, source=src)
                    base_b.with_overrides({str(key): rng[1]}, source=src)
                except ValueError as exc:
                    problems.append((src, where, rng, str(exc)))
                    continue
            uncertainty[str(key)] = (float(rng[0]), float(rng[1]))

    coverage = _empty_if_none(doc.get("coverage"), {})
    gaps = False
    if not isinstance(coverage, Mapping) or set(map(str, coverage)) - {"gaps"}:
        problems.append((src, "coverage", coverage, "expected {gaps: true|false}"))
    else:
        gaps = coverage.get("gaps", False)
        if not isinstance(gaps, bool):
            problems.append((src, "coverage.gaps", gaps, "must be true or false"))

    staffing = _empty_if_none(doc.get("staffing"), {})
    ratios = None
    if not isinstance(staffing, Mapping) or set(map(str, staffing)) - {"ratios", "engine", "staff"}:
        problems.append((src, "staffing", staffing,
                         "expected {ratios: [..], engine: true|false, staff: {township: staff}}"))
        staffing = {}
    office_staff = None
    own = staffing.get("staff")
    if own is not None:
        if not isinstance(own, Mapping) or not own:
            problems.append((src, "staffing.staff", own, "expected {township name: staff, ...} "
                             "(e.g. {'town 3': 6}; names as in the offices table)"))
        else:
            office_staff = {}
            for town, n in own.items():
                if not (_is_num(n) and 0 <= n <= 10_000):
                    problems.append((src, f"staffing.staff.{town}", n, "expected a number of staff 0..10000"))
                else:
                    office_staff[str(town)] = float(n)
    elif "ratios" in staffing:
        ratios = staffing["ratios"]
        if not (isinstance(ratios, list) and ratios and all(_is_num(r) and 0 < r < 1 for r in ratios)):
            problems.append((src, "staffing.ratios", ratios, "expected a list of ratios between 0 and 1 (e.g. 0.003 for 3‰)"))
            ratios = None
        else:
            ratios = tuple(float(r) for r in ratios)

    engine_staffing = staffing.get("engine", True)
    if not isinstance(engine_staffing, bool):
        problems.append((src, "staffing.engine", engine_staffing, "must be true or false"))
    elif engine_staffing and "engine" in staffing and ratios is None and own is None:
        problems.append((src, "staffing.ratios", None, "staffing.engine needs the ratios to run"))

    services = _empty_if_none(doc.get("services"), {})
    enabled, cap_base = True, None
    if not isinstance(services, Mapping) or set(map(str, services)) - {"enabled", "cap_base"}:
        problems.append((src, "services", services, "expected {enabled, cap_base}"))
    else:
        enabled = services.get("enabled", True)
        if not isinstance(enabled, bool):
            problems.append((src, "services.enabled", enabled, "must be true or false"))
        cap_raw = services.get("cap_base")
        if enabled is True:
            if cap_raw is None:
                problems.append((src, "services.cap_base", None,
                                 "missing: give the year's central and provincial assistance funds in yuan "
                                 "for each year ({2025: 60000000, ...}) or 'estimate' for a labelled estimate"))
            elif cap_raw == "estimate":
                cap_base = "estimate"
            elif isinstance(cap_raw, Mapping):
                cap_base = {}
                for year, amount in cap_raw.items():
                    if not str(year).isdigit() or not 2000 <= int(year) <= LAST_YEAR:
                        problems.append((src, f"services.cap_base.{year}", year,
                                         f"keys must be years 2000..{LAST_YEAR}"))
                    elif not _is_num(amount) or amount <= 0:
                        problems.append((src, f"services.cap_base.{year}", amount, "must be a positive amount in yuan"))
                    else:
                        cap_base[int(year)] = float(amount)
                if _MONTH_RE.match(start) and _is_int(months) and months > 0:
                    for y in horizon_years(start, months):
                        if y not in cap_base and f"services.cap_base.{y}" not in {p[1] for p in problems}:
                            problems.append((src, f"services.cap_base.{y}", None,
                                             f"missing for {y}, a year of the horizon (or use 'estimate')"))
            else:
                problems.append((src, "services.cap_base", cap_raw, "expected {year: yuan} or 'estimate'"))

    execu = _empty_if_none(doc.get("executor"), {})
    kind, workers, address = "process", None, None
    if not isinstance(execu, Mapping) or set(map(str, execu)) - {"kind", "workers", "address"}:
        problems.append((src, "executor", execu, "expected {kind, workers, address}"))
    else:
        kind = execu.get("kind", "process")
        if kind not in ("serial", "process", "dask"):
            problems.append((src, "executor.kind", kind, "must be serial, process or dask"))
        workers = execu.get("workers")
        if workers is not None and (not _is_int(workers) or workers < 1):
            problems.append((src, "executor.workers", workers, "must be a whole number >= 1"))
        address = execu.get("address")
        if address is not None and not isinstance(address, str):
            problems.append((src, "executor.address", address, "must be a scheduler address string"))

    output = doc.get("output", "results")
    if not isinstance(output, str) or not output:
        problems.append((src, "output", output, "must be a folder path"))
        output = "results"

    if problems:
        raise ScenarioError(problems)
    assert baseline is not None
    return Scenario(
        name=str(name), description=str(doc.get("description", "")), localities=localities,
        households=households, population_seed=int(pop_seed), start=start, months=int(months),
        seed=int(seed), replications=int(reps), baseline=baseline, reforms=tuple(reforms),
        behaviour=dict(behaviour), uncertainty=uncertainty, staffing_ratios=ratios,
        staffing_runs=bool(engine_staffing), office_staff=office_staff,
        services_enabled=bool(enabled), coverage_gaps=bool(gaps), cap_base=cap_base, executor=str(kind), workers=workers,
        address=address, output=Path(output), source=src,
    )


def load_scenario(path: str | Path = DEFAULT_SCENARIO) -> Scenario:
    """Read and validate a scenario YAML file; errors name the file and the field.

    A results folder (or its ``manifest.json``) re-runs the scenario recorded in its manifest.
    Besides the fields, every variant's policy is built for every locality, so that a change that
    breaks a parameter's limits (``scale: 100`` on a share) or a rule between parameters is
    reported now, naming the variant and parameter, not when the run reaches it.
    """
    path = Path(path)
    manifest = path / "manifest.json" if path.is_dir() else path
    try:
        if manifest.name == "manifest.json" and manifest.is_file():
            doc = load_json(manifest, "results manifest", expect=dict).get("scenario_doc")
            if doc is None:
                raise ScenarioError([(str(manifest), "scenario_doc", None,
                                      "this manifest records no scenario")], kind="missing")
            source = str(manifest)
        else:
            doc, source = load_yaml(path, "scenario file", expect=dict), str(path)
    except ScenarioError:
        raise
    except LoadError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ScenarioError(exc.problems, kind=exc.kind) from None
    scenario = parse_scenario(doc, source=source)
    check_policies(scenario)
    return scenario


def check_policies(scenario: Scenario) -> None:
    """Build each variant's policy for each locality; raise ScenarioError naming what breaks."""
    from simulation.scenarios.runner import build_policy

    problems: list[Problem] = []
    for locality in scenario.localities:
        for variant in scenario.variants:
            try:
                build_policy(scenario, variant, locality)
            except ScenarioError as exc:
                problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise ScenarioError(problems)


#: Policy parameter kinds an uncertainty block may sample (numbers; integers rounded).
UNCERTAIN_KINDS = ("amount", "share", "multiple", "months", "count", "age")


def policy_uncertainty_problem(path: str, rng: Any) -> str | None:
    """Why ``[low, high]`` cannot be sampled for policy parameter ``path`` (None: it can)."""
    from simulation.policy.schema import check_value

    spec = POLICY_CATALOGUE[path]
    if spec.kind not in UNCERTAIN_KINDS:
        return f"a {spec.kind} parameter cannot be sampled (numbers only: {', '.join(UNCERTAIN_KINDS)})"
    for bound in rng:
        value = round(bound) if spec.kind in ("months", "count", "age") else float(bound)
        _, message = check_value(spec, value)
        if message:
            return f"{bound}: {message} ({spec.unit})"
    return None


def policy_samples(scenario: Scenario, replication: int) -> dict[str, float | int]:
    """The policy parameters the uncertainty block samples, for one replication (stratified:
    replication r takes the ((perm r) + 0.5)/R quantile of [low, high]; no random draws)."""
    out: dict[str, float | int] = {}
    for name, (lo, hi) in sorted(scenario.uncertainty.items()):
        if name in POLICY_CATALOGUE:
            value = stratified_value(name, lo, hi, scenario.replications, replication)
            integer = POLICY_CATALOGUE[name].kind in ("months", "count", "age")
            out[name] = int(round(value)) if integer else value
    return out


def stratified_value(name: str, lo: float, hi: float, n: int, replication: int) -> float:
    """Replication ``replication`` of ``n``'s stratified value of ``[lo, hi]``; a fixed permutation
    per parameter (from its name) decorrelates the parameters."""
    import hashlib

    import numpy as np

    key = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    perm = np.argsort([(hashlib.sha256(f"{key}:{i}".encode()).hexdigest()) for i in range(n)])
    q = (perm[replication] + 0.5) / n
    return float(lo + q * (hi - lo))


def policy_reforms(scenario: Scenario, variant: Variant, locality: str,
                   under: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The variant's changes as reform dicts for ``simulation.policy.load_policy(reforms=...)``.

    Absolute dated values pass through; ``scale``/``add`` become dated values: the baseline value
    in force on ``from`` and on each later change date of that path up to the horizon's end, scaled
    or shifted. Each value carries a ``reform:`` reference naming the scenario file and variant.
    The baseline variant's own changes are applied under every reform too (reforms build on it).
    ``under``: reforms below the variant's (a replication's sampled parameters), which ``scale``
    and ``add`` then apply to.
    """
    from simulation.policy import load_policy

    out: list[dict[str, Any]] = []
    layers = [scenario.baseline] if variant is scenario.baseline else [scenario.baseline, variant]
    base = load_policy(policy_of(locality), reforms=under or None)
    for layer in layers:
        if not layer.changes:
            continue
        reform: dict[str, Any] = {}
        ref = f"reform: scenario {scenario.source} variant {layer.name}"
        for path, spec in layer.changes.items():
            keys = {str(k) for k in spec}
            if keys & {"scale", "add"}:
                start = _date_key(spec["from"])
                dates = [start] + [
                    e.start.isoformat() for e in base.schedule(path)
                    if e.start.isoformat() > start and e.start.isoformat() <= scenario.end + "-31"
                ]
                values = {}
                for d in dates:
                    old = base.value(path, d)
                    new = old * spec["scale"] if "scale" in spec else old + spec["add"]
                    if isinstance(old, int) and float(new).is_integer():
                        new = int(new)
                    how = f"× {spec['scale']}" if "scale" in spec else f"+ {spec['add']}"
                    values[d] = {"value": round(float(new), 6) if not isinstance(new, int) else new,
                                 "reference": f"{ref}: baseline {old} {how}"}
                reform[path] = values
            else:
                reform[path] = {
                    _date_key(d): (v if isinstance(v, Mapping) else {"value": v, "reference": ref})
                    for d, v in spec.items()
                }
        out.append(reform)
        base = base.with_reforms(reform)
    return out
