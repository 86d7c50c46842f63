"""Where the engine's numba kernels are cached: a directory keyed by their dependencies' source.

numba invalidates a cached kernel only when the kernel's own source file changes, not when a
function or constant it uses from another module does (the rules' kernels and slot numbers, the
behaviour slots, the draws). The engine's kernels are therefore cached under
``__pycache__/numba-<hash>``, where the hash covers every source file they compile in; a change
in any of them gives a fresh cache instead of a stale kernel.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from simulation import _numba_cache

#: Source files compiled into the engine's kernels.
DEPENDENCIES = ("engine/processes.py", "engine/outputs.py", "engine/rng.py", "engine/behaviour.py",
                "admin/offices.py",
                "population/columns.py", "rules/*.py")


def dependency_hash() -> str:
    """SHA-256 (first 16 hex digits) of the sources the engine's kernels compile in."""
    return _numba_cache.source_hash(DEPENDENCIES)


CACHE_DIR = _numba_cache.cache_dir("engine", DEPENDENCIES)


@contextmanager
def kernel_cache() -> Iterator[None]:
    """Within this block, ``@njit(cache=True)`` decorations cache under :data:`CACHE_DIR`."""
    previous = _numba_cache.begin(CACHE_DIR)
    try:
        yield
    finally:
        _numba_cache.end(previous)


def begin() -> str | None:
    """Start caching module-level kernels under :data:`CACHE_DIR`; returns the previous setting
    for :func:`end` (for modules whose kernels are defined at top level)."""
    return _numba_cache.begin(CACHE_DIR)


def end(previous: str | None) -> None:
    """Restore the cache setting saved by :func:`begin`."""
    _numba_cache.end(previous)
