"""Progress for long steps: counting a library function's calls, and a clock for waits.

The calibration commands spend minutes inside fitting functions that take no callback; rather
than thread a callback through fitting code, the command line counts the calls of the function
each evaluation makes (the engine run, the population generator) while the fit runs. A step
whose length is unknown (the first compile of the numba kernels) gets a clock that ticks.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tqdm.auto import tqdm


@contextmanager
def count_calls(owner: Any, name: str, bar: tqdm) -> Iterator[tqdm]:
    """Within the block every call of ``owner.<name>`` (a module or object attribute) ticks ``bar``;
    the attribute is restored afterwards, also on error."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def ticking(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        finally:
            bar.update(1)

    setattr(owner, name, ticking)
    try:
        yield bar
    finally:
        setattr(owner, name, original)


@contextmanager
def clock(desc: str, enabled: bool = True, every: float = 0.5) -> Iterator[None]:
    """A bar that shows the elapsed time of a step of unknown length (redrawn every ``every`` s)."""
    bar = tqdm(total=None, desc=desc, bar_format="{desc}: {elapsed}", disable=not enabled, leave=True)
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(every):
            bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        bar.close()
