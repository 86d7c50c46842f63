"""Locality profiles (地区人口概况): the figures a synthetic population is generated from.

A profile is ``data/localities/<id>.yaml``. Every figure is a node ``{value: ..., reference: "..."}``
whose reference is a seed file and clause, a source named in ``statistics.md``, ``national: ...``,
or ``assumption: <reason>``. :func:`load_profile` checks every node against :data:`FIELDS` (kind,
bounds, list length), checks that shares sum to 1, rejects unknown keys and missing references,
and raises one :class:`ProfileError` that lists every problem with file, field and value.

Sections besides the figures:

- ``policy``: the policy file id (``national`` for ``china_2021``).
- ``calibration_targets``: ``date`` (the policy date) and one referenced node per target
  (:data:`TARGETS`).
- ``free_parameters``: starting values of the generator's free parameters (:data:`FREE`), each
  referenced (usually ``assumption:``); calibration replaces them.
- ``calibration``: ``fitted`` (date), ``procedure`` (text), ``sample`` (n_households, seed),
  ``values`` (name -> number) and ``report`` (target -> [target, simulated, gap %]). Written by
  ``python -m simulation.population.calibrate``; values named in :data:`FREE` override the
  starting values.
- ``behaviour``: referenced defaults the engine reads (same node format as
  ``data/behaviour/defaults.yaml``).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.errors import LoadError, MissingFileError, show_value
from simulation.loading import _Loader, cache_by_file, load_yaml

#: Directory of the locality files.
LOCALITY_DIR = Path(__file__).resolve().parents[2] / "data" / "localities"

#: Tolerance for "shares sum to 1" (published shares are rounded to 0.1 percentage point).
SUM_TOLERANCE = 2e-3


@dataclass(frozen=True)
class FieldSpec:
    """One profile figure: kind (``count``, ``share``, ``amount``, ``positive``, ``multiple``,
    ``real``, ``share_list``), unit, meaning, optional bounds and list length."""

    kind: str
    unit: str
    meaning: str
    low: float | None = None
    high: float | None = None
    length: int | None = None


def _f(kind: str, unit: str, meaning: str, **kw: Any) -> FieldSpec:
    return FieldSpec(kind, unit, meaning, **kw)


_AREAS = ("urban", "rural")

#: Every figure a profile must give, by dotted path.
FIELDS: dict[str, FieldSpec] = {
    "population.residents": _f("count", "persons", "resident population 常住人口", low=1),
    "population.urban_share": _f("share", "share", "urban share of residents 城镇化率"),
    "townships.count": _f("count", "townships", "townships and streets 乡镇街道", low=1),
    "townships.streets": _f("count", "townships", "of which urban streets 街道"),
    "townships.villages_per_township": _f("count", "villages", "villages/communities per township", low=1),
    "townships.urban_in_streets": _f("share", "share", "share of urban households living in streets"),
    "household_size.urban": _f("share_list", "share", "households with 1..6+ persons, urban", length=6),
    "household_size.rural": _f("share_list", "share", "households with 1..6+ persons, rural", length=6),
    "age.under_18": _f("share", "share", "persons aged 0-17"),
    "age.aged_18_59": _f("share", "share", "persons aged 18-59"),
    "age.aged_60_plus": _f("share", "share", "persons aged 60+"),
    "age.aged_65_plus": _f("share", "share", "persons aged 65+"),
    "age.mean_years_over_65": _f("positive", "years", "mean years lived beyond 65 by those aged 65+"),
    "age.single_elderly_share": _f("share", "share", "share of one-person households aged 60+"),
    "age.couple_elderly_share": _f("share", "share", "share of two-person households that are 60+ couples"),
    "age.pair_minor_share": _f("share", "share", "share of two-person households of an adult and a minor"),
    "health.disability_mild": _f("share", "share", "persons with disability grade 3-4"),
    "health.disability_severe": _f("share", "share", "persons with disability grade 1-2"),
    "health.disability_elderly_multiple": _f("multiple", "multiple", "disability risk of 60+ vs 18-59"),
    "health.disability_minor_multiple": _f("multiple", "multiple", "disability risk of 0-17 vs 18-59"),
    "health.serious_illness": _f("share", "share", "persons with a serious illness 重病"),
    "health.serious_illness_elderly_multiple": _f("multiple", "multiple", "serious-illness risk of 60+ vs others"),
    "health.rare_disease": _f("share", "share", "rare-disease patients 罕见病"),
    "health.paralysed_share_of_severe": _f("share", "share", "paralysed 瘫痪 among severely disabled"),
    "health.paralysed_mean_months": _f("positive", "months", "mean months paralysed so far"),
    "health.self_care_partial_elderly": _f("share", "share", "60+ partly unable to care for themselves"),
    "health.self_care_unable_elderly": _f("share", "share", "60+ fully unable 失能"),
    "health.self_care_partial_severe": _f("share", "share", "severely disabled under 60 partly unable"),
    "health.self_care_unable_severe": _f("share", "share", "severely disabled under 60 fully unable"),
    "labour.partial_60_69.urban": _f("share", "share", "urban 60-69 with partial labour ability"),
    "labour.partial_60_69.rural": _f("share", "share", "rural 60-69 with partial labour ability"),
    "labour.registered_unemployment.urban": _f("share", "share", "registered unemployed among urban adults able to work"),
    "labour.registered_unemployment.rural": _f("share", "share", "registered unemployed among rural adults able to work"),
    "income.mean.urban": _f("amount", "yuan/person/year", "urban per-capita disposable income, mean", low=1),
    "income.median.urban": _f("amount", "yuan/person/year", "urban per-capita disposable income, median", low=1),
    "income.mean.rural": _f("amount", "yuan/person/year", "rural per-capita disposable income, mean", low=1),
    "income.median.rural": _f("amount", "yuan/person/year", "rural per-capita disposable income, median", low=1),
    "income.other_share": _f("share", "share", "share of a working household's income that is not earned"),
    "income.earner_floor": _f("positive", "earner equivalents", "income capacity of a household without earners"),
    "income.capacity_elasticity": _f("positive", "elasticity", "per-capita income elasticity to earners ÷ size"),
    "income.body_floor": _f("share", "share of area mean", "lowest per-capita income outside the low tail"),
    "income.disability_risk": _f("multiple", "multiple", "low-tail risk of a household with a disabled member vs none"),
    "income.vulnerability_risk": _f("multiple", "multiple", "low-tail risk of a fully vulnerable household vs none"),
    "income.tail_spread": _f("positive", "log points", "sd of log per-capita income in the low tail"),
    "pension.basic_amount": _f("amount", "yuan/person/month", "residents' basic pension 城乡居民基础养老金"),
    "pension.urban_residents_share": _f("share", "share", "urban 60+ in the residents' scheme (rest: employee pensions)"),
    "assets.sigma": _f("positive", "log points", "sd of log financial assets given income"),
    "assets.income_correlation": _f("share", "correlation", "correlation of log assets with log income"),
    "care.centralised_wish": _f("share", "share", "tekun-type persons who wish centralised care 集中供养"),
    "rigid.illness_median": _f("amount", "yuan/person/month", "rigid medical spending of the seriously ill, median"),
    "rigid.schooling": _f("amount", "yuan/person/month", "rigid education spending per pupil aged 6-17"),
}

#: The generator's free parameters (fitted by calibration), with meaning.
FREE: dict[str, FieldSpec] = {
    **{f"tail_share.{a}": _f("share", "share", f"{a} households in the low-income tail") for a in _AREAS},
    **{f"tail_level.{a}": _f("real", "log points", f"{a} tail median income vs area mean (log)")
       for a in _AREAS},
    **{f"tail_size_tilt.{a}": _f("real", "log points", f"{a} tail log-risk per extra member")
       for a in _AREAS},
    **{f"tekun_share.{a}": _f("share", "share",
                              f"{a} lone elderly/disabled without labour ability who have no supporter")
       for a in _AREAS},
    "asset_months": _f("positive", "months", "median financial assets in months of household income"),
    "take_up": _f("share", "share", "share of eligible dibao households that receive it (stock)"),
    "take_up_tekun": _f("share", "share", "share of eligible tekun persons who receive it (stock)"),
}

#: Calibration targets: name -> meaning (values are persons or households, or a share).
#: ``calibrate.FITTED_TARGETS`` are fitted; the others are reported as checks.
TARGETS: dict[str, FieldSpec] = {
    "dibao_persons.urban": _f("count", "persons", "urban dibao recipients"),
    "dibao_households.urban": _f("count", "households", "urban dibao households"),
    "dibao_persons.rural": _f("count", "persons", "rural dibao recipients"),
    "dibao_households.rural": _f("count", "households", "rural dibao households"),
    "tekun_persons.urban": _f("count", "persons", "urban tekun recipients"),
    "tekun_persons.rural": _f("count", "persons", "rural tekun recipients"),
    "disabled_assisted_persons": _f("count", "persons",
                                    "disabled persons in dibao or low-income households (living subsidy)"),
    "dibao_payment_share.urban": _f("share", "share", "average urban dibao payment ÷ urban standard"),
    "dibao_payment_share.rural": _f("share", "share", "average rural dibao payment ÷ rural standard"),
}

#: Groups of shares that must sum to 1.
SHARE_SUMS: tuple[tuple[str, ...], ...] = (("age.under_18", "age.aged_18_59", "age.aged_60_plus"),)

_TOP_KEYS = {"id", "name_zh", "policy", "reference_date", "population", "townships", "household_size",
             "age", "health", "labour", "income", "pension", "assets", "care", "rigid",
             "free_parameters", "calibration_targets", "calibration", "behaviour"}


class ProfileError(LoadError):
    """A bad locality profile. ``problems`` lists ``(file, field, value, message)``; ``str()``
    lists them all."""

    def __init__(self, problems: list[tuple[str, str, Any, str]], kind: str | None = None) -> None:
        lines = [f"{len(problems)} problem(s) in locality profile(s):"]
        lines += [f"  {f}: {path} = {show_value(v)}: {msg}" for f, path, v, msg in problems]
        super().__init__(problems, message="\n".join(lines), kind=kind)


@dataclass
class Profile:
    """A validated locality profile.

    ``values`` maps each path of :data:`FIELDS` to its number (tuples for lists); ``references``
    holds the reference of every figure, target and free parameter; ``targets`` maps target name
    to value; ``free`` holds the free parameters in force (fitted values override the starting
    values); ``behaviour`` maps name -> value for the engine.
    """

    id: str
    name_zh: str
    policy: str
    path: Path
    reference_date: str
    values: dict[str, Any]
    references: dict[str, str]
    targets: dict[str, float]
    target_date: str
    free: dict[str, float]
    free_start: dict[str, float]
    calibration: dict[str, Any] = field(default_factory=dict)
    behaviour: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, path: str) -> Any:
        return self.values[path]

    def township_name(self, index: int) -> str:
        """The name of township ``index`` of the generator: no locality publishes its list here,
        so streets 街道 are "street k" and towns 镇 "town k" (the generator's order: streets
        first)."""
        streets = int(self.values["townships.streets"])
        return f"street {index + 1}" if index < streets else f"town {index - streets + 1}"

    def with_free(self, **overrides: float) -> Profile:
        """A copy whose free parameters are updated (names as in :data:`FREE`)."""
        unknown = sorted(set(overrides) - set(FREE))
        if unknown:
            raise ProfileError([(str(self.path), k, overrides[k], "unknown free parameter")
                                for k in unknown])
        copy = Profile(**{**self.__dict__})
        copy.free = {**self.free, **overrides}
        return copy


#: The loading layer's YAML loader (dates kept as strings); calibration re-checks profiles with it.
_StringDateLoader = _Loader


def list_profiles() -> list[str]:
    """Ids of the locality files in ``data/localities`` (sorted)."""
    return sorted(p.stem for p in LOCALITY_DIR.glob("*.yaml"))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_value(spec: FieldSpec, v: Any) -> str | None:
    """Problem with value ``v`` for ``spec``, or None."""
    if spec.kind == "share_list":
        if not isinstance(v, list) or not all(_is_number(x) for x in v):
            return "expected a list of numbers"
        if spec.length is not None and len(v) != spec.length:
            return f"expected {spec.length} shares, got {len(v)}"
        if any(x < 0 or x > 1 for x in v):
            return "shares must lie in 0..1"
        if abs(sum(v) - 1) > SUM_TOLERANCE:
            return f"shares sum to {sum(v):.4f}, not 1"
        return None
    if not _is_number(v):
        return "expected a number"
    if spec.kind == "count" and v != int(v):
        return "expected a whole number"
    if spec.kind in ("count", "amount") and v < 0:
        return "negative value"
    if spec.kind == "share" and not 0 <= v <= 1:
        return "share outside 0..1"
    if spec.kind in ("positive", "multiple") and v <= 0:
        return "must be > 0"
    if spec.low is not None and v < spec.low:
        return f"below {spec.low}"
    if spec.high is not None and v > spec.high:
        return f"above {spec.high}"
    return None


def _flatten(node: Any, prefix: str, out: dict[str, Any]) -> None:
    """Leaves of nested mappings down to ``{value, reference}`` nodes, by dotted path."""
    if isinstance(node, dict) and ("value" in node or "reference" in node):
        out[prefix] = node
    elif isinstance(node, dict):
        for k, v in node.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix] = node


def _reference_problem(ref: Any) -> str | None:
    if not isinstance(ref, str) or not ref.strip():
        return "missing reference (need a seed clause, statistics.md source, national: or assumption:)"
    if ref.strip().lower() in ("assumption", "assumption:"):
        return "assumption without a reason"
    return None


def _node(file: str, path: str, node: Any, spec: FieldSpec,
          problems: list[tuple[str, str, Any, str]]) -> tuple[Any, str] | None:
    """Check one ``{value, reference}`` node; return (value, reference) when good."""
    if not isinstance(node, dict):
        problems.append((file, path, node, "expected {value: ..., reference: ...}"))
        return None
    extra = sorted(set(node) - {"value", "reference", "unit"})
    if extra:
        problems.append((file, path, extra, "unknown key(s) in figure"))
    ok = True
    if "value" not in node:
        problems.append((file, path, None, "missing value"))
        ok = False
    else:
        msg = _check_value(spec, node["value"])
        if msg:
            problems.append((file, path, node["value"], msg))
            ok = False
    msg = _reference_problem(node.get("reference"))
    if msg:
        problems.append((file, f"{path}.reference", node.get("reference"), msg))
        ok = False
    if not ok:
        return None
    value = node["value"]
    return (tuple(value) if isinstance(value, list) else value), node["reference"]


def _section(file: str, section: Any, label: str, specs: dict[str, FieldSpec],
             problems: list, refs: dict[str, str]) -> dict[str, Any]:
    """Check a mapping of referenced figures against ``specs`` (paths relative to the section).

    ``label`` prefixes field names in messages and references (``""`` for the figures).
    """
    values: dict[str, Any] = {}
    if section is None:
        problems.append((file, label, None, "missing section"))
        return values
    if not isinstance(section, dict):
        problems.append((file, label, section, "expected a mapping"))
        return values
    flat: dict[str, Any] = {}
    _flatten(section, "", flat)
    name = (lambda p: f"{label}.{p}") if label else (lambda p: p)
    for path, node in flat.items():
        if path not in specs:
            problems.append((file, name(path), node, "unknown key"))
            continue
        got = _node(file, name(path), node, specs[path], problems)
        if got is not None:
            values[path], refs[name(path)] = got
    for path in specs:
        if path not in flat:
            problems.append((file, name(path), None, "missing"))
    return values


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _policy_ids() -> list[str]:
    from simulation.policy.loader import NATIONAL, list_localities

    return [NATIONAL, *list_localities()]


#: Groups of shares of one population that cannot exceed 1 together.
SHARE_CEILINGS: tuple[tuple[str, ...], ...] = (
    ("health.disability_mild", "health.disability_severe"),
    ("health.self_care_partial_elderly", "health.self_care_unable_elderly"),
    ("health.self_care_partial_severe", "health.self_care_unable_severe"),
)


def _check_constraints(file: str, values: dict[str, Any], problems: list) -> None:
    """Figures that are valid alone but not together (shares of one group above 1)."""
    for group in SHARE_CEILINGS:
        if all(g in values for g in group):
            total = sum(values[g] for g in group)
            if total > 1 + SUM_TOLERANCE:
                problems.append((file, " + ".join(group), round(total, 6),
                                 "shares of one group sum to more than 1"))


def _check_behaviour(file: str, behaviour: dict[str, float], problems: list) -> None:
    """The behaviour block is checked by the engine's own rules (names, shares, whole numbers)."""
    from simulation.engine.behaviour import Behaviour

    try:
        Behaviour.defaults().with_overrides(behaviour, source=file)
    except LoadError as exc:
        problems += [(file, f"behaviour.{getattr(exc, 'column', loc)}", v, msg)
                     for _, loc, v, msg in exc.problems]


def _check_free_bounds(file: str, free_start: dict[str, float], free: dict[str, float],
                       problems: list) -> None:
    """Free parameters inside the calibration's search bounds (outside them the generator's
    exponentials overflow: a tail level of 1000 log points is no income distribution)."""
    from simulation.population.calibrate import BOUNDS

    fitted = {k: v for k, v in free.items() if free_start.get(k) != v}
    for label, group in (("free_parameters", free_start), ("calibration.values", fitted)):
        for name, value in group.items():
            low, high = BOUNDS.get(name, (-math.inf, math.inf))
            if not low <= value <= high:
                problems.append((file, f"{label}.{name}", value,
                                 f"outside {low:g}..{high:g} (the calibration's bounds)"))


def validate_profile(raw: Any, file: str) -> Profile:
    """Check a parsed profile (the YAML mapping) and build a :class:`Profile`.

    Raises :class:`ProfileError` listing every problem (file, field, value, message).
    """
    problems: list[tuple[str, str, Any, str]] = []
    if not isinstance(raw, dict):
        raise ProfileError([(file, "(file)", type(raw).__name__, "expected a YAML mapping")])
    for k in sorted(set(raw) - _TOP_KEYS, key=str):
        problems.append((file, str(k), raw[k], "unknown key"))
    for k in ("id", "name_zh", "policy", "reference_date"):
        if not isinstance(raw.get(k), str) or not raw.get(k):
            problems.append((file, k, raw.get(k), "missing or not a string"))
    stem = Path(file).stem
    if isinstance(raw.get("id"), str) and raw["id"] != stem:
        problems.append((file, "id", raw["id"], f"id differs from the file name '{stem}'"))

    refs: dict[str, str] = {}
    figures = {k: v for k, v in raw.items() if k in {p.split(".")[0] for p in FIELDS}}
    values = _section(file, figures, "", FIELDS, problems, refs)
    for group in SHARE_SUMS:
        if all(g in values for g in group):
            total = sum(values[g] for g in group)
            if abs(total - 1) > SUM_TOLERANCE:
                problems.append((file, " + ".join(group), round(total, 6), "shares do not sum to 1"))
    if "age.aged_65_plus" in values and "age.aged_60_plus" in values \
            and values["age.aged_65_plus"] > values["age.aged_60_plus"]:
        problems.append((file, "age.aged_65_plus", values["age.aged_65_plus"], "exceeds age.aged_60_plus"))
    if "townships.streets" in values and "townships.count" in values \
            and values["townships.streets"] >= values["townships.count"]:
        problems.append((file, "townships.streets", values["townships.streets"],
                         "must be below townships.count (rural households need towns)"))
    for a in _AREAS:
        mean, median = values.get(f"income.mean.{a}"), values.get(f"income.median.{a}")
        if mean is not None and median is not None and median >= mean:
            problems.append((file, f"income.median.{a}", median,
                             "median must be below the mean (right-skewed income)"))
    _check_constraints(file, values, problems)
    for k in ("reference_date",):
        if isinstance(raw.get(k), str) and not _is_date(raw[k]):
            problems.append((file, k, raw[k], "expected a date YYYY-MM-DD"))
    if isinstance(raw.get("policy"), str) and raw["policy"] not in _policy_ids():
        problems.append((file, "policy", raw["policy"],
                         f"no such policy file (known: {', '.join(_policy_ids())})"))

    free_start = _section(file, raw.get("free_parameters"), "free_parameters", FREE, problems, refs)

    targets_raw = raw.get("calibration_targets")
    targets: dict[str, float] = {}
    target_date = ""
    if not isinstance(targets_raw, dict):
        problems.append((file, "calibration_targets", targets_raw, "missing section"))
    else:
        target_date = targets_raw.get("date", "")
        if not isinstance(target_date, str) or not _is_date(target_date):
            problems.append((file, "calibration_targets.date", target_date, "expected YYYY-MM-DD"))
        rest = {k: v for k, v in targets_raw.items() if k != "date"}
        targets = _section(file, rest, "calibration_targets", TARGETS, problems, refs)
        residents = values.get("population.residents")
        for a in _AREAS:
            persons, households = targets.get(f"dibao_persons.{a}"), targets.get(f"dibao_households.{a}")
            if persons is not None and households is not None and households > persons:
                problems.append((file, f"calibration_targets.dibao_households.{a}", households,
                                 f"more households than persons ({persons})"))
        for name, target in targets.items():
            if residents is not None and TARGETS[name].unit == "persons" and target > residents:
                problems.append((file, f"calibration_targets.{name}", target,
                                 f"more than the resident population ({residents})"))

    calibration = raw.get("calibration") or {}
    free = dict(free_start)
    if not isinstance(calibration, dict):
        problems.append((file, "calibration", calibration, "expected a mapping"))
        calibration = {}
    else:
        for k in sorted(set(calibration) - {"fitted", "procedure", "sample", "values", "report"}):
            problems.append((file, f"calibration.{k}", calibration[k], "unknown key"))
        fitted = calibration.get("values") or {}
        if not isinstance(fitted, dict):
            problems.append((file, "calibration.values", fitted, "expected a mapping name -> number"))
            fitted = {}
        sample = calibration.get("sample")
        if sample is not None and not (
                isinstance(sample, dict) and set(sample) <= {"n_households", "seed"}
                and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                        for v in sample.values())):
            problems.append((file, "calibration.sample", sample,
                             "expected {n_households: whole number, seed: whole number >= 0}"))
        if fitted and not calibration.get("procedure"):
            problems.append((file, "calibration.procedure", None, "fitted values need the procedure"))
        if fitted and not calibration.get("fitted"):
            problems.append((file, "calibration.fitted", None, "fitted values need the date fitted"))
        for k, v in fitted.items():
            if k not in FREE:
                problems.append((file, f"calibration.values.{k}", v, "unknown free parameter"))
                continue
            msg = _check_value(FREE[k], v)
            if msg:
                problems.append((file, f"calibration.values.{k}", v, msg))
            else:
                free[k] = v

    behaviour: dict[str, float] = {}
    braw = raw.get("behaviour") or {}
    if not isinstance(braw, dict):
        problems.append((file, "behaviour", braw, "expected a mapping"))
    else:
        for k, node in braw.items():
            got = _node(file, f"behaviour.{k}", node, _f("real", "", ""), problems)
            if got is not None:
                behaviour[k], refs[f"behaviour.{k}"] = got
        _check_behaviour(file, behaviour, problems)

    _check_free_bounds(file, free_start, free, problems)
    if problems:
        raise ProfileError(problems)
    return Profile(id=raw["id"], name_zh=raw["name_zh"], policy=raw["policy"], path=Path(file),
                   reference_date=raw["reference_date"], values=values, references=refs,
                   targets=targets, target_date=target_date, free=free, free_start=free_start,
                   calibration=calibration, behaviour=behaviour)


def load_profile(locality: str | Path) -> Profile:
    """Load and validate ``data/localities/<locality>.yaml`` (or a path to a profile file).

    Raises :class:`ProfileError` (file, field, value, message for every problem; unreadable
    files, encodings and YAML syntax included), or `MissingFileError` (a ``FileNotFoundError``)
    naming the known ids.
    """
    path = Path(locality)
    if path.suffix != ".yaml":
        path = LOCALITY_DIR / f"{locality}.yaml"
    if not path.exists():
        raise MissingFileError([(str(path), "-", str(locality), "no such locality profile "
                                 f"(known: {', '.join(list_profiles())})")])
    return _validated_profile(path)


@cache_by_file(copy=copy.deepcopy)
def _validated_profile(path: Path) -> Profile:
    """The validated profile of a file, read once per version (a deep copy to each caller: a
    profile's tables are dicts)."""
    try:
        raw = load_yaml(path, "locality profile", expect=dict)
    except LoadError as exc:
        raise ProfileError(exc.problems, kind=exc.kind) from None
    return validate_profile(raw, str(path))
