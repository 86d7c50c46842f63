"""Reforms (政策改革情景): dated overrides of policy parameters, validated like policy files.

A reform is either a dict or a small YAML file. Accepted shapes:

```python
{"dibao.standard.urban": {"2025-01-01": 800}}                       # bare values
{"dibao.standard.urban": {"2025-01-01": {"value": 800, "reference": "assumption: test"}}}
{"dibao.standard.urban": {"unit": "yuan/person/month", "values": {"2025-01-01": 800}}}
```

and as a file (or a dict of the same shape)::

    reform: raise_urban_standard        # name
    description: ...                    # optional
    parameters:
      dibao.standard.urban:
        unit: yuan/person/month         # optional; checked when given
        values:
          "2025-01-01": 800

A bare value gets the reference ``reform: <source>``. For each path the reform's schedule replaces
the base schedule from the reform's first date on (see `loader._overlay`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .loader import Entry, PolicyError, Problem, read_yaml, validate_parameters

_REFORM_KEYS = {"reform", "description", "parameters"}


@dataclass(frozen=True)
class Reform:
    """A validated reform: its source label, name and per-path dated entries."""

    source: str
    name: str
    schedules: dict[str, tuple[Entry, ...]]


def load_reform(path_or_dict: object, source: str | None = None) -> Reform:
    """Validate a reform given as a dict or a YAML file path; raise `PolicyError` listing all problems."""
    problems: list[Problem] = []
    if isinstance(path_or_dict, str | Path):
        file = Path(path_or_dict)
        label = source or str(file)
        data, problems = read_yaml(file, "reform file")
        if data is None:
            raise PolicyError(problems, kind=getattr(problems, "kind", None))
    elif isinstance(path_or_dict, Mapping):
        data = path_or_dict
        label = source or "reform (dict)"
    else:
        raise PolicyError(
            [(source or "reform", "-", path_or_dict, "reform must be a dict or a YAML file path")]
        )
    if not isinstance(data, Mapping):
        raise PolicyError(problems + [(label, "-", data, "reform must be a mapping")])
    if "parameters" in data:
        for key in sorted(map(str, set(data) - _REFORM_KEYS)):
            problems.append((label, key, data[key], "unknown key"))
        name = str(data.get("reform", label))
        raw = data["parameters"]
    else:
        name, raw = label, data
    schedules, p2 = validate_parameters(
        raw, label, default_reference=f"reform: {label}", unit_required=False
    )
    problems += p2
    if problems:
        raise PolicyError(problems)
    return Reform(label, name, schedules)


def coerce_reforms(reforms: Iterable[object]) -> list[Reform]:
    """Load each reform (Reform, dict or path); collect the problems of all before raising."""
    out: list[Reform] = []
    problems: list[Problem] = []
    kind = None
    if isinstance(reforms, Mapping | str | Path | Reform):  # one reform given without a list
        reforms = [reforms]
    elif not isinstance(reforms, Iterable):
        raise PolicyError([("reforms", "-", reforms, "expected a list of reforms (each a dict, a "
                            "Reform or a YAML file path)")], kind="type")
    flat: list[object] = []
    for r in reforms:  # with_reforms([a, b]) and with_reforms(a, b) mean the same
        flat.extend(r if isinstance(r, list | tuple) else [r])
    for i, r in enumerate(flat):
        if isinstance(r, Reform):
            out.append(r)
            continue
        try:
            label = None if isinstance(r, str | Path) else f"reform #{i + 1} (dict)"
            out.append(load_reform(r, source=label))
        except PolicyError as exc:
            problems += exc.problems
            kind = kind or (exc.kind if exc.kind != "value" else None)
    if problems:
        raise PolicyError(problems, kind=kind)
    return out
