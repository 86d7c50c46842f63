"""Errors for bad input, all of one type: `LoadError` names the source, the place, the value and
what was expected.

Every loader of a user file (policy, reform, profile, persons table, scenario, behaviour and
admin parameters, results folder) raises a subclass of `LoadError`, so that callers (the CLI, the
explorer) catch one type and print it in a few lines. A `LoadError` carries ``problems``: a list
of ``(source, location, value, expected)``, where the location is ``line L, column C`` for syntax
and encoding problems and a field path or column for content. ``kind`` sorts the problem
(``encoding``, ``syntax``, ``size``, ``alias``, ``tag``, ``empty``, ``type``, ``missing``,
``value``) for the fuzz test's counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: How many offending rows an error message lists before it says "and N more".
MAX_ROWS_SHOWN = 5
#: Longest value repr shown in a message (a whole mapping would bury the message).
MAX_VALUE_CHARS = 80

#: (source, location, value, expected)
Problem = tuple[str, str, Any, str]


def show_value(value: Any) -> str:
    """A value's repr, cut to `MAX_VALUE_CHARS`."""
    text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def format_problem(problem: Problem) -> str:
    """One line: ``source: location: expected (value ...)``; the value is left out when None."""
    source, location, value, expected = problem
    where = f"{source}: {location}" if location and location != "-" else str(source)
    tail = "" if value is None else f" (value {show_value(value)})"
    return f"{where}: {expected}{tail}"


def _rebuild(cls: type, args: tuple, state: dict) -> LoadError:
    """Unpickle any `LoadError` subclass whatever its constructor (errors cross process pools)."""
    obj = (OSError if issubclass(cls, OSError) else ValueError).__new__(cls)
    obj.args = args
    obj.__dict__.update(state)
    return obj


class LoadError(ValueError):
    """Bad input: ``problems`` lists every ``(source, location, value, expected)`` found.

    ``str()`` lists them all (subclasses keep their own wording); :meth:`short` gives at most a
    few lines for the command line. ``source``, ``location``, ``value`` and ``expected`` are those
    of the first problem.
    """

    kind = "value"

    def __init__(self, problems: Sequence[Problem], message: str | None = None,
                 kind: str | None = None) -> None:
        self.problems: list[Problem] = [tuple(p) for p in problems] or [  # type: ignore[misc]
            ("input", "-", None, "bad input")]
        if kind is not None:
            self.kind = kind
        if message is None:
            lines = [format_problem(p) for p in self.problems]
            message = lines[0] if len(lines) == 1 else (
                f"{len(lines)} problems:\n  " + "\n  ".join(lines))
        super().__init__(message)

    @property
    def source(self) -> str:
        """The file or table of the first problem."""
        return str(self.problems[0][0])

    @property
    def location(self) -> str:
        """Line and column, or field path, of the first problem."""
        return str(self.problems[0][1])

    @property
    def value(self) -> Any:
        """The offending value of the first problem (None when missing)."""
        return self.problems[0][2]

    @property
    def expected(self) -> str:
        """What was expected (or what is wrong) in the first problem."""
        return str(self.problems[0][3])

    def short(self, limit: int = 6) -> str:
        """The message cut to ``limit`` lines (then "... and N more lines") for the command line."""
        lines = str(self).splitlines()
        if len(lines) > limit:
            lines = lines[:limit] + [f"  ... and {len(lines) - limit} more line(s)"]
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class MissingFileError(LoadError, FileNotFoundError):
    """A file or folder that is not there (or not readable); also a `FileNotFoundError`."""

    kind = "missing"


class InputError(LoadError):
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
        self.column = column
        self.problem = problem
        self.rows = list(rows)
        self.values = list(values)
        where = f"column '{column}'" + (f", row {self.rows[0]!r}" if self.rows else "")
        super().__init__([(source, where, self.values[0] if self.values else None, problem)],
                         message=self._message(source))

    def _message(self, source: str) -> str:
        text = f"{source}: column '{self.column}': {self.problem}"
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
