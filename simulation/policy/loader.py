"""Loading and validating policy parameter files (政策参数) into a dated `Policy`.

A locality file inherits the national file (``national.yaml``) and overrides paths. Layers stack:
national, then the locality, then reforms in order. For each path a higher layer's schedule
replaces the lower layers' entries on and after the higher layer's first date, so a locality that
publishes a standard only from 2022-07-01 keeps the national value before that date, and a
reform "from 2025-01-01" wins over every base entry from that date on.

Every problem in every file is collected before anything is returned: the caller gets either a
complete, valid policy or one `PolicyError` listing all problems with file, path and value.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulation.errors import LoadError, show_value
from simulation.loading import cache_by_file, load_yaml

from .schema import CATALOGUE, ORDERED_PAIRS, SAME_LENGTH, check_value

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "policies"
NATIONAL = "national"
# Every catalogue path must be in force from this date for every locality (issue 2 §2).
COVERAGE_START = dt.date(2021, 1, 1)

# "published:" names an official publication that statistics.md does not carry (NBS releases)
REFERENCE_PREFIXES = ("seed ", "national:", "statistics.md", "published:", "assumption:", "reform:")
_FILE_KEYS = {"locality", "name_zh", "inherits", "seed", "parameters", "notes"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_RE = re.compile(r"^\d{4}-\d{2}$")

Problem = tuple[str, str, object, str]


class PolicyError(LoadError):
    """Invalid policy input. ``problems`` lists every (file, path, value, message) found."""

    def __init__(self, problems: list[Problem], kind: str | None = None):
        lines = [f"{len(problems)} problem(s) in policy input:"]
        lines += [f"  {f}: {p}: value {show_value(v)}: {m}" for f, p, v, m in problems]
        super().__init__(problems, message="\n".join(lines), kind=kind)


# --- reading (simulation.loading: encoding, syntax, size and alias guards) ----------------------


def read_yaml(path: Path, what: str = "policy file") -> tuple[Any, list[Problem]]:
    """Read a YAML mapping with dates kept as strings; return (data, problems).

    Unreadable files, syntax errors, duplicate keys and documents that are not a mapping come back
    as problems (with line and column) so that the caller can report them with every other file's;
    the problems list is a `FileProblems` carrying the loading layer's ``kind``.
    """
    try:
        return load_yaml(path, what, expect=dict), FileProblems()
    except LoadError as exc:
        return None, FileProblems(exc.problems, exc.kind)


class FileProblems(list):
    """Problems of reading one file, with the `LoadError` kind (``encoding``, ``syntax``, ...)."""

    def __init__(self, problems: Iterable[Problem] = (), kind: str | None = None) -> None:
        super().__init__(problems)
        self.kind = kind


def _kind(*lists: list[Problem]) -> str | None:
    """The first file-level kind among problem lists (None: content problems only)."""
    return next((p.kind for p in lists if getattr(p, "kind", None)), None)


# --- dates -------------------------------------------------------------------------------------


def to_date(value: object) -> dt.date:
    """Normalise a date-like value ('YYYY-MM-DD', 'YYYY-MM', date, datetime, Timestamp) to a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            if _DATE_RE.match(value):
                return dt.date.fromisoformat(value)
            if _MONTH_RE.match(value):
                return dt.date.fromisoformat(value + "-01")
        except ValueError as exc:
            raise ValueError(f"bad date {value!r}: {exc}") from None
        raise ValueError(f"bad date {value!r}: expected YYYY-MM-DD or YYYY-MM")
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date()  # type: ignore[union-attr]
    if hasattr(value, "astype") and "datetime64" in str(getattr(value, "dtype", "")):
        return dt.date.fromisoformat(str(value.astype("datetime64[D]")))  # type: ignore[union-attr]
    raise TypeError(f"not a date: {value!r}")


# --- entries and validation --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One dated value of one parameter."""

    start: dt.date
    value: object
    reference: str
    source: str


def _check_reference(ref: object) -> str | None:
    if not isinstance(ref, str) or not ref.strip():
        return ("missing reference (seed clause, national: rule, statistics.md source, published: "
                "source or assumption: reason)")
    if not ref.startswith(REFERENCE_PREFIXES):
        return "reference must start with one of: " + ", ".join(repr(p) for p in REFERENCE_PREFIXES)
    if ref.startswith("assumption:") and len(ref[len("assumption:") :].strip()) < 3:
        return "assumption: needs the reason"
    return None


def validate_parameters(
    raw: object,
    source: str,
    default_reference: str | None = None,
    unit_required: bool = True,
) -> tuple[dict[str, tuple[Entry, ...]], list[Problem]]:
    """Validate a ``parameters`` mapping (from a policy file or a reform) against the catalogue.

    Each path maps to ``{unit: ..., values: {"YYYY-MM-DD": {value: ..., reference: ...}}}``.
    With ``default_reference`` (reforms) a bare value may stand for ``{value, reference}``, and
    with ``unit_required=False`` the path may map directly to its dated values.
    Returns (schedules, problems); schedules hold only fully valid paths.
    """
    problems: list[Problem] = []
    out: dict[str, tuple[Entry, ...]] = {}
    if not isinstance(raw, Mapping):
        return out, [(source, "parameters", raw, "must be a mapping of parameter path -> values")]
    for path, body in raw.items():
        spec = CATALOGUE.get(path)  # type: ignore[call-overload]
        if spec is None:
            problems.append((source, str(path), body, "unknown parameter path (not in the catalogue)"))
            continue
        n_before = len(problems)
        if isinstance(body, Mapping) and "values" in body:
            extra = set(body) - {"unit", "values"}
            for key in sorted(map(str, extra)):
                problems.append((source, f"{path}.{key}", body[key], "unknown key"))
            unit = body.get("unit")
            if unit is None and unit_required:
                problems.append((source, path, None, f"missing unit (expected {spec.unit!r})"))
            elif unit is not None and unit != spec.unit:
                problems.append((source, path, unit, f"wrong unit (expected {spec.unit!r})"))
            values = body["values"]
        elif unit_required:
            problems.append((source, path, body, "must be a mapping with 'unit' and 'values'"))
            continue
        else:
            values = body
        if not isinstance(values, Mapping) or not values:
            problems.append((source, path, values, "values must be a non-empty mapping date -> value"))
            continue
        entries: list[Entry] = []
        previous: dt.date | None = None
        for date_key, item in values.items():
            where = f"{path}[{date_key}]"
            try:
                if not isinstance(date_key, str) or not _DATE_RE.match(date_key):
                    raise ValueError("expected a quoted date YYYY-MM-DD")
                start = dt.date.fromisoformat(date_key)
            except ValueError as exc:
                problems.append((source, where, date_key, f"bad date: {exc}"))
                continue
            if previous is not None and start <= previous:
                problems.append(
                    (source, where, date_key, f"dates out of order: {start} is not after {previous}")
                )
            previous = start
            if isinstance(item, Mapping) and "value" in item:
                for key in sorted(map(str, set(item) - {"value", "reference"})):
                    problems.append((source, f"{where}.{key}", item[key], "unknown key"))
                value, ref = item["value"], item.get("reference", default_reference)
            elif default_reference is not None and not isinstance(item, Mapping):
                value, ref = item, default_reference
            else:
                problems.append((source, where, item, "must be a mapping with 'value' and 'reference'"))
                continue
            value, msg = check_value(spec, value)
            if msg:
                problems.append((source, where, value, f"{msg} ({spec.kind}, {spec.unit})"))
            ref_msg = _check_reference(ref)
            if ref_msg:
                problems.append((source, f"{where}.reference", ref, ref_msg))
            entries.append(Entry(start, value, str(ref), source))
        if len(problems) == n_before:
            out[path] = tuple(entries)
    return out, problems


def _overlay(
    base: dict[str, tuple[Entry, ...]], layer: Mapping[str, tuple[Entry, ...]]
) -> dict[str, tuple[Entry, ...]]:
    """Stack a layer on a base: the layer's schedule replaces base entries from its first date."""
    merged = dict(base)
    for path, entries in layer.items():
        first = entries[0].start
        kept = tuple(e for e in base.get(path, ()) if e.start < first)
        merged[path] = kept + tuple(entries)
    return merged


def _check_effective(
    schedules: Mapping[str, tuple[Entry, ...]], label: str
) -> list[Problem]:
    """Checks on the stacked result: coverage from COVERAGE_START and cross-parameter rules."""
    problems: list[Problem] = []
    for path in CATALOGUE:
        entries = schedules.get(path)
        if not entries:
            problems.append((label, path, None, "no value given (national default missing)"))
        elif entries[0].start > COVERAGE_START:
            problems.append(
                (label, path, str(entries[0].start), f"no value in force on {COVERAGE_START}")
            )
    if problems:
        return problems
    checks = [(pair, "lower bound above upper bound", lambda a, b: a > b) for pair in ORDERED_PAIRS]
    checks += [(pair, "lists differ in length", lambda a, b: len(a) != len(b)) for pair in SAME_LENGTH]
    for (p1, p2), message, broken in checks:
        # only the dates on which either value changes; one problem per offending pair of values
        seen: set[tuple[object, object]] = set()
        for day in sorted({e.start for e in schedules[p1] + schedules[p2]}):
            a, b = _value_at(schedules[p1], day), _value_at(schedules[p2], day)
            if a is not None and b is not None and (a, b) not in seen and broken(a, b):
                seen.add((a, b))
                problems.append((label, f"{p1} / {p2}", (a, b), f"from {day}: {message}"))
    return problems


def _value_at(entries: tuple[Entry, ...], day: dt.date) -> object:
    e = _entry_at(entries, day)
    return None if e is None else e.value


def _entry_at(entries: tuple[Entry, ...], day: dt.date) -> Entry | None:
    i = bisect.bisect_right([e.start for e in entries], day) - 1
    return entries[i] if i >= 0 else None


# --- Params and Policy -------------------------------------------------------------------------


class Params(Mapping[str, Any]):
    """Immutable mapping path -> value in force (Python scalar, tuple or str).

    ``valid_from`` is the first date of the period in which these values hold.
    """

    __slots__ = ("_data", "valid_from")

    def __init__(self, data: dict[str, Any], valid_from: dt.date | None):
        self._data = data
        self.valid_from = valid_from

    def __getitem__(self, path: str) -> Any:
        try:
            return self._data[path]
        except KeyError:
            raise KeyError(f"unknown policy parameter {path!r} (see simulation.policy.schema)") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setitem__(self, key: str, value: Any) -> None:
        raise TypeError("Params is immutable; use Policy.with_reforms for a changed policy")

    def __repr__(self) -> str:
        return f"Params(valid_from={self.valid_from}, {len(self._data)} parameters)"


class Policy:
    """A validated, complete, dated policy for one locality (政策参数).

    Build with `load_policy`; never mutated: `with_reforms` returns a new Policy.
    """

    def __init__(
        self,
        locality: str,
        name_zh: str,
        schedules: dict[str, tuple[Entry, ...]],
        sources: tuple[str, ...],
        base_layers: tuple[dict[str, tuple[Entry, ...]], ...],
    ):
        self.locality = locality
        self.name_zh = name_zh
        self._schedules = schedules
        self.sources = sources
        self._layers = base_layers  # kept so with_reforms can restack
        self._starts = {p: [e.start for e in es] for p, es in schedules.items()}
        self._change_dates = self._compute_changes()
        # first date on which every path has a value
        self._complete_from = max(s[0] for s in self._starts.values())
        self._cache: dict[int, Params] = {}

    def _compute_changes(self) -> list[dt.date]:
        changes: set[dt.date] = set()
        for es in self._schedules.values():
            for prev, cur in zip(es, es[1:], strict=False):
                if cur.value != prev.value:
                    changes.add(cur.start)
        changes.update(self._unification_januaries())
        return sorted(changes)

    def _unification_januaries(self) -> set[dt.date]:
        # boshan §1: a converging standard is reset each January of its path, without a dated
        # value changing then (rules.params.unification_progress reads the period's year)
        enabled = self._schedules.get("dibao.standard.unification.enabled", ())
        if not any(e.value for e in enabled):
            return set()
        first = min(e.value for e in self._schedules["dibao.standard.unification.start_year"])
        last = max(e.value for e in self._schedules["dibao.standard.unification.target_year"])
        return {dt.date(year, 1, 1) for year in range(int(first), int(last) + 1)}

    # reading values
    def at(self, date: object) -> Params:
        """All parameter values in force on ``date`` (cached per period between changes)."""
        day = to_date(date)
        if day < self._complete_from:
            missing = sorted(p for p, s in self._starts.items() if s[0] > day)
            raise PolicyError([(self.locality, p, str(day), "no value in force") for p in missing])
        k = bisect.bisect_right(self._change_dates, day)
        params = self._cache.get(k)
        if params is None:
            data = {p: _value_at(es, day) for p, es in self._schedules.items()}
            valid_from = self._change_dates[k - 1] if k else None
            params = self._cache[k] = Params(data, valid_from)
        return params

    def value(self, path: str, date: object) -> Any:
        """The value of one parameter in force on ``date``."""
        return self._entry(path, date).value

    def reference(self, path: str, date: object) -> str:
        """The reference (seed clause, national rule, source or assumption) of the value in force."""
        return self._entry(path, date).reference

    def schedule(self, path: str) -> tuple[Entry, ...]:
        """The effective dated entries of one parameter, oldest first."""
        self._spec_check(path)
        return self._schedules[path]

    def _spec_check(self, path: str) -> None:
        if path not in CATALOGUE:
            raise KeyError(f"unknown policy parameter {path!r} (see simulation.policy.schema)")

    def _entry(self, path: str, date: object) -> Entry:
        self._spec_check(path)
        day = to_date(date)
        e = _entry_at(self._schedules[path], day)
        if e is None:
            raise PolicyError([(self.locality, path, str(day), "no value in force on this date")])
        return e

    def changes_between(self, start: object, end: object) -> list[dt.date]:
        """Sorted dates in [start, end] on which any parameter value changes."""
        a, b = to_date(start), to_date(end)
        lo = bisect.bisect_left(self._change_dates, a)
        hi = bisect.bisect_right(self._change_dates, b)
        return self._change_dates[lo:hi]

    def with_reforms(self, *reforms: object) -> Policy:
        """A new policy with reforms stacked on this one (this policy is unchanged).

        Each reform is a `Reform`, a dict, or a path to a reform YAML file.
        """
        from .reform import coerce_reforms

        loaded = coerce_reforms(reforms)
        return _assemble(
            self.locality,
            self.name_zh,
            self._layers + tuple(r.schedules for r in loaded),
            self.sources + tuple(r.source for r in loaded),
        )

    def content_hash(self) -> str:
        """Stable SHA-256 of the effective values (locality, every path's dates and values).

        References and file names are not part of it: two policies with the same effective
        numbers hash equal, so run manifests identify what the model actually used.
        """
        payload = {
            "locality": self.locality,
            "parameters": {
                p: [[e.start.isoformat(), _canonical(e.value)] for e in self._schedules[p]]
                for p in sorted(self._schedules)
            },
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def __repr__(self) -> str:
        return f"Policy({self.locality!r}, {len(self._schedules)} parameters, sources={list(self.sources)})"


def _canonical(value: object) -> object:
    """Numbers as floats (800 and 800.0 are the same policy), tuples as lists, for hashing."""
    if isinstance(value, tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def _assemble(
    locality: str,
    name_zh: str,
    layers: tuple[dict[str, tuple[Entry, ...]], ...],
    sources: tuple[str, ...],
) -> Policy:
    schedules: dict[str, tuple[Entry, ...]] = {}
    for layer in layers:
        schedules = _overlay(schedules, layer)
    problems = _check_effective(schedules, f"{locality} (effective, from {', '.join(sources)})")
    if problems:
        raise PolicyError(problems)
    return Policy(locality, name_zh, schedules, sources, layers)


def _read_policy_file(path: Path, expect_locality: str) -> tuple[dict, dict, list[Problem]]:
    """Read and validate one policy file; return (header, schedules, problems) (fresh containers
    over frozen entries: a file is parsed once per version, :func:`simulation.loading.cache_by_file`)."""
    header, schedules, problems = _validated_policy_file(path, expect_locality)
    return dict(header), dict(schedules), FileProblems(problems, getattr(problems, "kind", None))


@cache_by_file()
def _validated_policy_file(path: Path, expect_locality: str) -> tuple[dict, dict, list[Problem]]:
    name = str(path)
    data, problems = read_yaml(path)
    if data is None:
        return {}, {}, problems
    for key in sorted(map(str, set(data) - _FILE_KEYS)):
        problems.append((name, key, data[key], "unknown key"))
    if data.get("locality") != expect_locality:
        problems.append(
            (name, "locality", data.get("locality"), f"must be {expect_locality!r} (the file name)")
        )
    if not isinstance(data.get("name_zh"), str) or not data["name_zh"].strip():
        problems.append((name, "name_zh", data.get("name_zh"), "missing Chinese name of the place"))
    if expect_locality == NATIONAL:
        if "inherits" in data:
            problems.append((name, "inherits", data["inherits"], "national file inherits nothing"))
    elif data.get("inherits") != NATIONAL:
        problems.append((name, "inherits", data.get("inherits"), "must be 'national'"))
    if "parameters" not in data:
        problems.append((name, "parameters", None, "missing"))
        return dict(data), {}, problems
    schedules, p2 = validate_parameters(data["parameters"], name)
    return dict(data), schedules, problems + p2


def list_localities(data_dir: str | Path | None = None) -> list[str]:
    """Locality ids with a policy file (every ``*.yaml`` in data_dir except national)."""
    d = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    return sorted(p.stem for p in d.glob("*.yaml") if p.stem != NATIONAL)


def load_policy(
    locality: str,
    reforms: Iterable[object] | None = None,
    data_dir: str | Path | None = None,
) -> Policy:
    """Load ``national.yaml`` plus ``<locality>.yaml`` (and reforms), validated.

    ``locality`` may be ``"national"`` for the defaults alone. Raises `PolicyError` listing every
    problem found in every file; nothing partial is returned.
    """
    d = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    known = list_localities(d)
    if locality != NATIONAL and locality not in known:
        raise PolicyError(
            [(str(d), "locality", locality, f"no policy file; known: {', '.join(known) or 'none'}")]
        )
    header, national, problems = _read_policy_file(d / f"{NATIONAL}.yaml", NATIONAL)
    kind = _kind(problems)
    layers = [national]
    sources = [str(d / f"{NATIONAL}.yaml")]
    if locality != NATIONAL:
        header, local, p2 = _read_policy_file(d / f"{locality}.yaml", locality)
        kind = kind or _kind(p2)
        problems += p2
        layers.append(local)
        sources.append(str(d / f"{locality}.yaml"))
    loaded = []
    if reforms is not None:
        from .reform import coerce_reforms

        try:
            loaded = coerce_reforms(reforms)
        except PolicyError as exc:
            problems += exc.problems
            kind = kind or (exc.kind if exc.kind != "value" else None)
    if problems:
        raise PolicyError(problems, kind=kind)
    layers += [r.schedules for r in loaded]
    sources += [r.source for r in loaded]
    return _assemble(locality, str(header.get("name_zh", "")), tuple(layers), tuple(sources))
