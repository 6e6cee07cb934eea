"""CSV exports that a spreadsheet cannot run: cells that would start a formula are neutralised.

Following OWASP's advice on CSV injection, a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading single quote, so spreadsheets show it as text instead of evaluating it
(``=HYPERLINK(...)`` in a work item's title stays a title). Numbers are left alone, whether typed as
numbers or written as plain numeric text (``-3.5``, ``+1``, ``1e-3``): they cannot be formulas. The csv
module quotes cells that contain separators or quotes, as OWASP also asks.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import IO, Any

__all__ = ["FORMULA_STARTS", "SafeCsvWriter", "SafeDictWriter", "safe_cell"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as it may go into a CSV cell: text that a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """``csv.writer`` whose rows are neutralised with :func:`safe_cell`."""

    def __init__(self, stream: IO[str], **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row."""
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write many rows."""
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """``csv.DictWriter`` whose values (and header) are neutralised with :func:`safe_cell`."""

    def __init__(self, stream: IO[str], fieldnames: list[str], **options: Any) -> None:
        self._writer = csv.DictWriter(stream, fieldnames=fieldnames, **options)
        self._fieldnames = fieldnames

    def writeheader(self) -> None:
        """Write the header row."""
        self._writer.writerow({name: safe_cell(name) for name in self._fieldnames})

    def writerow(self, row: Mapping[str, Any]) -> None:
        """Write one row."""
        self._writer.writerow({key: safe_cell(value) for key, value in row.items()})
