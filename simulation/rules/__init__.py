"""Rules layer: the household entitlement calculator (see docs/contracts.md §3).

``assess(persons, policy_or_params, month)`` gives one row per household; the engine calls
``entitlement.assess_arrays(person_arrays, pack_params(params), households, out)`` on columnar
arrays. Each legal concept is one numba scalar kernel in ``income``, ``dibao``, ``tekun``,
``low_income`` and ``review``.
"""

from simulation import _numba_cache

# The rule kernels cache under a directory keyed by every rules source (and the person codes), so a
# change of a slot number in params.py never loads a kernel compiled with the old one.
_previous = _numba_cache.begin(_numba_cache.cache_dir("rules", ("rules/*.py", "population/columns.py")))
try:
    from simulation.rules import gradual_exit, price_linkage, temporary  # noqa: F401
    from simulation.rules.entitlement import (
        N_OUTPUTS,
        OUTPUT_COLUMNS,
        REASONS,
        assess,
        assess_arrays,
        assess_persons,
        format_assessment,
        label_outputs,
    )
    from simulation.rules.params import pack_params
finally:
    _numba_cache.end(_previous)

__all__ = [
    "N_OUTPUTS",
    "OUTPUT_COLUMNS",
    "REASONS",
    "assess",
    "assess_arrays",
    "assess_persons",
    "example_persons",
    "format_assessment",
    "label_outputs",
    "pack_params",
]


def example_persons():  # noqa: ANN201 - re-exported lazily to keep YAML out of the import path
    """The example households of data/examples/households.yaml as a person table."""
    from simulation.rules.examples import example_persons as _load

    return _load()
