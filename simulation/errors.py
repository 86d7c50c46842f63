"""Shared input error: bad input names the file or table, the column, the value and the rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: How many offending rows an error message lists before it says "and N more".
MAX_ROWS_SHOWN = 5


class InputError(ValueError):
    """Bad input data (a person table, an example file, a scenario table).

    The message names the source (file or table), the column, what is wrong, the first offending
    values and the rows (index labels) where they occur. Attributes keep the same facts for code:
    ``source``, ``column``, ``problem``, ``rows`` (all offending row labels) and ``values``.
    """

    def __init__(
        self,
        source: str,
        column: str,
        problem: str,
        rows: Sequence[Any] = (),
        values: Sequence[Any] = (),
    ) -> None:
        self.source = source
        self.column = column
        self.problem = problem
        self.rows = list(rows)
        self.values = list(values)
        super().__init__(self._message())

    def _message(self) -> str:
        text = f"{self.source}: column '{self.column}': {self.problem}"
        if self.rows:
            shown = self.rows[:MAX_ROWS_SHOWN]
            pairs = []
            for i, row in enumerate(shown):
                if i < len(self.values):
                    pairs.append(f"row {row!r} (value {self.values[i]!r})")
                else:
                    pairs.append(f"row {row!r}")
            text += "; first offending rows: " + ", ".join(pairs)
            if len(self.rows) > MAX_ROWS_SHOWN:
                text += f" and {len(self.rows) - MAX_ROWS_SHOWN} more"
        return text
