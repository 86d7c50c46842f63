"""numba kernel caches keyed by every source file the kernels compile in.

numba invalidates a cached kernel only when the kernel's own source file changes, not when a
function or constant it uses from another module does (slot numbers in ``rules/params.py``, the
rule kernels the engine inlines). Kernels are therefore cached under a directory named by a hash of
all the sources involved: a change in any of them gives a fresh cache instead of a stale kernel.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from numba.core import config

PACKAGE = Path(__file__).resolve().parent


def source_hash(patterns: Iterable[str]) -> str:
    """SHA-256 (first 16 hex digits) of the package sources matching ``patterns`` (globs)."""
    h = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(PACKAGE.glob(pattern)):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_dir(layer: str, patterns: Iterable[str]) -> str:
    """``simulation/<layer>/__pycache__/numba-<hash of patterns>``."""
    return str(PACKAGE / layer / "__pycache__" / f"numba-{source_hash(patterns)}")


def begin(directory: str) -> str | None:
    """Cache ``@njit(cache=True)`` kernels decorated from now on under ``directory``; returns the
    previous setting for :func:`end`."""
    previous = config.CACHE_DIR
    config.CACHE_DIR = directory
    return previous


def end(previous: str | None) -> None:
    """Restore the cache setting saved by :func:`begin`."""
    config.CACHE_DIR = previous
