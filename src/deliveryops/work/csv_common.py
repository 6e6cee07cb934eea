"""Shared types of the CSV import parsers: formats, results and problems.

The parsers are pure: they read text and return canonical records (``records.py``) or raise
:class:`ImportFileError` listing every problem found in the file, each naming its line and column.
"""

from __future__ import annotations

import enum
import functools
import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NoReturn, ParamSpec, TypeVar

from deliveryops.work.records import WorkflowStatus, WorkItemRecord

MAX_PROBLEMS = 50
"""At most this many problems are listed in one error; the rest are only counted."""
_KEPT_PROBLEMS = 1000  # kept while reading, so that the listed ones are the first by line, not by pass

_P = ParamSpec("_P")
_R = TypeVar("_R")


def garbage_collection_paused(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``function`` with the cyclic garbage collector paused.

    A large file allocates millions of small objects (rows, tuples, records) and no reference cycles:
    the collector's passes over them would find nothing and, measured on 1.2 million rows, take about
    half of the parse time. Reference counting still frees everything; the collector is re-enabled
    afterwards only if it was enabled before.

    Args:
        function: the parser.

    Returns:
        The wrapped parser.
    """

    @functools.wraps(function)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused


class ImportFormat(enum.StrEnum):
    """The CSV formats the importer reads (``docs/import-formats.md``)."""

    STAGE_DATES = "stage-dates"
    FULL_HISTORY = "full-history"
    BLOCKED_PERIODS = "blocked-periods"
    JIRA_EXPORT = "jira-export"
    WORKFLOW = "workflow"


class DateOrder(enum.StrEnum):
    """How to read numeric dates such as 01/03/2026."""

    DAY_FIRST = "day_first"
    MONTH_FIRST = "month_first"

    @property
    def pattern(self) -> str:
        """The order written as a pattern, for messages (``DD/MM/YYYY``)."""
        return "DD/MM/YYYY" if self is DateOrder.DAY_FIRST else "MM/DD/YYYY"

    @property
    def label(self) -> str:
        """The order in words, for messages (``day-first``)."""
        return "day-first" if self is DateOrder.DAY_FIRST else "month-first"


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One problem in an import file.

    ``line`` is the 1-based physical line of the file (the header is line 1), None for a problem
    with the whole file; ``column`` is the column's name as written in the header, if any;
    ``file`` names the file when an import reads more than one (e.g. "blocked-periods file").
    """

    line: int | None
    column: str | None
    message: str
    file: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f'column "{self.column}"')
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportFileError(Exception):
    """A file cannot be imported; ``problems`` lists why, ``omitted_count`` counts the problems not listed.

    Nothing from the file should be imported when this is raised (all-or-nothing).
    """

    def __init__(self, problems: Sequence[ImportProblem], *, omitted_count: int = 0) -> None:
        self.problems: list[ImportProblem] = list(problems)
        self.omitted_count = omitted_count
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.problems) == 1 and not self.omitted_count:
            return str(self.problems[0])
        total = len(self.problems) + self.omitted_count
        lines = [f"{total} problems in the file:"]
        lines.extend(f"- {problem}" for problem in self.problems)
        if self.omitted_count:
            lines.append(f"- and {self.omitted_count} more")
        return "\n".join(lines)


class AmbiguousDateOrderError(ImportFileError):
    """Numeric dates could be day-first or month-first: the user must choose a :class:`DateOrder`."""


MAX_TITLE_LENGTH = 500
"""The longest work-item title an import takes (trackers allow 255; the impediment API takes 300)."""


def check_title(log: ProblemLog, line: int, column: str, title: str) -> None:
    """Record a problem when a title is longer than :data:`MAX_TITLE_LENGTH`."""
    if len(title) > MAX_TITLE_LENGTH:
        log.add(line, column, f"a title is at most {MAX_TITLE_LENGTH} characters, got {len(title):,}")


class ProblemLog:
    """Collects problems while a whole file is validated; an error lists the first by line number."""

    __slots__ = ("file", "omitted_count", "problems")

    def __init__(self, file: str | None = None) -> None:
        self.file = file
        self.problems: list[ImportProblem] = []
        self.omitted_count = 0

    def add(self, line: int | None, column: str | None, message: str) -> None:
        """Record one problem.

        Args:
            line: 1-based file line, None for the whole file.
            column: the column's header text, None for the whole line.
            message: what was expected and what was found.
        """
        if len(self.problems) < _KEPT_PROBLEMS:
            self.problems.append(ImportProblem(line, column, message, self.file))
        else:
            self.omitted_count += 1

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, *others: ProblemLog) -> None:
        """Raise one :class:`ImportFileError` with the problems of this log and ``others``, if any.

        Args:
            others: logs of companion files read in the same import.
        """
        if self.problems or any(other.problems for other in others):
            raise_problems((self, *others))


def raise_problems(
    logs: Sequence[ProblemLog],
    *,
    first: ImportProblem | None = None,
    error_type: type[ImportFileError] = ImportFileError,
) -> NoReturn:
    """Raise one error listing ``first``, then the problems of each log by line, at most :data:`MAX_PROBLEMS`.

    Args:
        logs: the problem logs of the files of one import.
        first: a whole-file problem to list first (e.g. the date order).
        error_type: :class:`ImportFileError` or a subclass.

    Raises:
        ImportFileError: always.
    """
    by_line = [sorted(log.problems, key=lambda problem: problem.line or 0) for log in logs]
    problems = [problem for problems_of_log in by_line for problem in problems_of_log]
    if first is not None:
        problems.insert(0, first)
    omitted = sum(log.omitted_count for log in logs) + max(0, len(problems) - MAX_PROBLEMS)
    raise error_type(problems[:MAX_PROBLEMS], omitted_count=omitted)


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """What a parser read from a file, ready for a preview and for the import service.

    ``statuses`` lists the status names in stage order (stage-dates, workflow) or in order of first
    appearance (full-history, Jira export). ``workflow`` is a proposed workflow when the format implies
    one (stage-dates; Jira export with a "Status Category" column), the caller's workflow when one was
    given, else None. ``date_order_note`` is the sentence saying how dates were read.
    """

    format: ImportFormat
    items: list[WorkItemRecord]
    statuses: list[str]
    workflow: list[WorkflowStatus] | None
    date_order: DateOrder | None
    date_order_note: str
    notes: list[str] = field(default_factory=list)
    row_count: int = 0
    item_count: int = 0
    transition_count: int = 0
    blocked_interval_count: int = 0
