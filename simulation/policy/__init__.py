"""Policy layer (政策参数): parameter catalogue, YAML loading and validation, reforms.

See docs/contracts.md §1.

```python
from simulation.policy import load_policy
policy = load_policy("qijiang")
policy.at("2024-06-01")["dibao.standard.urban"]
```
"""

from .loader import (
    COVERAGE_START,
    DEFAULT_DATA_DIR,
    Entry,
    Params,
    Policy,
    PolicyError,
    list_localities,
    load_policy,
    to_date,
)
from .reform import Reform, load_reform
from .schema import CATALOGUE, ParamSpec

__all__ = [
    "CATALOGUE",
    "COVERAGE_START",
    "DEFAULT_DATA_DIR",
    "Entry",
    "ParamSpec",
    "Params",
    "Policy",
    "PolicyError",
    "Reform",
    "list_localities",
    "load_policy",
    "load_reform",
    "to_date",
]
