"""Reading a CSV import file: encoding, delimiter, header and rows with their file line numbers."""

from __future__ import annotations

import codecs
import csv
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from deliveryops.work.csv_common import ImportFileError, ImportProblem, ProblemLog

Source = bytes | str | os.PathLike[str]
"""An import file: raw bytes (decoded here), already-decoded text, or a path to read."""

DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}


def normalize_name(name: str) -> str:
    """Header text as matched against known column names: case, spaces and underscores do not matter.

    Args:
        name: a header cell.

    Returns:
        The lower-case name with ``_`` read as a space and runs of spaces collapsed.
    """
    return " ".join(name.replace("_", " ").lower().split())


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 -> A, 26 -> AA).

    Args:
        index: 0-based column index.

    Returns:
        The column's letters as a spreadsheet shows them.
    """
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def decode(data: Source, *, file: str | None = None) -> str:
    """The text of an import file.

    Bytes are read as UTF-8 (a byte-order mark is allowed), or as UTF-16 when they start with a
    UTF-16 byte-order mark (Excel's "Unicode Text").

    Args:
        data: bytes, text, or a path.
        file: the file's label for messages, when an import reads several files.

    Returns:
        The decoded text, without a byte-order mark.

    Raises:
        ImportFileError: the bytes are not UTF-8 (or UTF-16 with a byte-order mark).
    """
    if isinstance(data, os.PathLike):
        data = Path(data).read_bytes()
    if isinstance(data, str):
        return refuse_nul(data.removeprefix("\ufeff"), file=file)
    encoding = "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    try:
        text = data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        message = (
            f'the file is not UTF-8 text: byte 0x{data[error.start]:02x} cannot be read; save it as "CSV UTF-8" and try again'
        )
        raise ImportFileError([ImportProblem(line, None, message, file)]) from None
    return refuse_nul(text, file=file)


def refuse_nul(text: str, *, file: str | None = None) -> str:
    """``text``, unless it holds a NUL character, which no text field takes (the API refuses it too).

    Raises:
        ImportFileError: naming the first line with a NUL and how many lines have one.
    """
    position = text.find("\x00")
    if position < 0:
        return text
    line = text.count("\n", 0, position) + 1
    lines = len({text.count("\n", 0, index) for index in _positions(text, "\x00", limit=1000)})
    more = f" (and {lines - 1} more line{'s' if lines > 2 else ''})" if lines > 1 else ""
    message = f"the file contains a NUL character (byte 0x00), which is not text{more}; remove it or export the file again"
    raise ImportFileError([ImportProblem(line, None, message, file)])


def _positions(text: str, character: str, *, limit: int) -> Iterator[int]:
    start = text.find(character)
    while start >= 0 and limit > 0:
        yield start
        limit -= 1
        start = text.find(character, start + 1)


def _detect_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most columns (comma on a tie)."""
    best, best_count = ",", 1
    for delimiter in (",", ";", "\t"):
        count = len(next(csv.reader([header_line], delimiter=delimiter)))
        if count > best_count:
            best, best_count = delimiter, count
    return best


class Table:
    """The header and the rows of a CSV file; rows are read once, lazily, with their line numbers."""

    def __init__(self, text: str, *, expected_header: str, file: str | None = None) -> None:
        """Read the header of ``text``.

        Args:
            text: the decoded file.
            expected_header: an example header, shown when the file is empty.
            file: the file's label for messages, when an import reads several files.

        Raises:
            ImportFileError: the file is empty.
        """
        lines = _lines(text)
        header_line_number = 0
        first = ""
        for header_line_number, first in enumerate(lines, start=1):  # noqa: B007 - used after the loop
            if first.strip():
                break
        else:
            message = f"the file is empty; expected a header row such as: {expected_header}"
            raise ImportFileError([ImportProblem(None, None, message, file)])
        self.file = file
        self.delimiter = _detect_delimiter(first.rstrip("\r\n"))
        self._reader = csv.reader(_lines(text), delimiter=self.delimiter, skipinitialspace=True, strict=False)
        # Skip the blank lines before the header and read it with the csv reader (quotes included).
        for _ in range(header_line_number - 1):
            next(self._reader)
        self.header_line = header_line_number
        self.header: list[str] = [cell.strip() for cell in next(self._reader)]
        while self.header and not self.header[-1]:
            self.header.pop()
        self.keys: list[str] = [normalize_name(cell) for cell in self.header]
        self.width = len(self.header)
        self.row_count = 0

    @property
    def delimiter_name(self) -> str:
        """The delimiter in words ("commas")."""
        return DELIMITER_NAMES[self.delimiter]

    def columns(self, *names: str) -> list[int]:
        """Indexes of the columns whose normalized name is one of ``names``, in file order.

        Args:
            names: normalized names (see :func:`normalize_name`).

        Returns:
            0-based column indexes, empty when no column matches.
        """
        return [index for index, key in enumerate(self.keys) if key in names]

    def found_columns(self) -> str:
        """The header as a list for messages: ``"key", "type", "title"``."""
        return ", ".join(f'"{name}"' for name in self.header) if self.header else "none"

    def require(self, log: ProblemLog, display: str, *names: str) -> int | None:
        """The index of a required, single column; a missing or repeated column is logged.

        Args:
            log: where problems go.
            display: the column's name as the documentation spells it.
            names: accepted normalized names, preferred first: the first one present is used.

        Returns:
            The column's index, or None when it is missing or repeated.
        """
        if not self.columns(*names):
            log.add(
                self.header_line,
                None,
                f'missing required column "{display}"; columns found: {self.found_columns()}',
            )
            return None
        return self.optional(log, *names)

    def optional(self, log: ProblemLog, *names: str) -> int | None:
        """The index of an optional, single column; a repeated column is logged.

        Args:
            log: where problems go.
            names: accepted normalized names, preferred first: the first one present is used, so a file
                with both "parent" and "epic" columns reads "parent" and is not an error.

        Returns:
            The column's index, or None when it is absent or repeated.
        """
        for name in names:
            indexes = self.columns(name)
            if indexes:
                return indexes[0] if self.single(log, indexes) else None
        return None

    def single(self, log: ProblemLog, indexes: Sequence[int]) -> bool:
        """Whether ``indexes`` names one column; if not, log that the column is repeated.

        Args:
            log: where problems go.
            indexes: the columns found under one name.

        Returns:
            True when there is exactly one column.
        """
        if len(indexes) == 1:
            return True
        letters = ", ".join(column_letter(index) for index in indexes[:-1])
        letters += f" and {column_letter(indexes[-1])}"
        log.add(
            self.header_line,
            self.header[indexes[0]],
            f"the column appears {len(indexes)} times (columns {letters}); keep one",
        )
        return False

    def rows(self, log: ProblemLog) -> Iterator[tuple[int, list[str]]]:
        """The data rows, each as ``(line, cells)`` with exactly one cell per header column.

        Blank rows (all cells empty) are skipped. ``line`` is the physical line where the row starts,
        so a quoted value spanning lines does not shift later line numbers. A row with more non-empty
        values than the header has columns is logged and skipped.

        Args:
            log: where problems go.

        Yields:
            ``(line, cells)`` pairs.
        """
        reader = self._reader
        width = self.width
        padding = [""] * width
        previous = reader.line_num
        try:
            for row in reader:
                line = previous + 1
                previous = reader.line_num
                if len(row) != width:
                    if len(row) < width:
                        row.extend(padding[len(row) :])
                    elif any(cell.strip() for cell in row[width:]):
                        log.add(
                            line,
                            None,
                            f"found {len(row)} values but the header has {width} columns "
                            f"(columns are separated by {self.delimiter_name}; "
                            "quote values that contain the separator)",
                        )
                        continue
                    else:
                        del row[width:]
                if not any(row):
                    continue
                self.row_count += 1
                yield line, row
        except csv.Error as error:
            log.add(previous + 1, None, f"cannot read the line as CSV: {error}")


def open_table(data: Source, *, expected_header: str, file: str | None = None) -> Table:
    """Decode ``data`` and read its header.

    Args:
        data: bytes, text, or a path.
        expected_header: an example header, shown when the file is empty.
        file: the file's label for messages, when an import reads several files.

    Returns:
        The table, positioned at its first data row.

    Raises:
        ImportFileError: the file cannot be decoded or is empty.
    """
    return Table(decode(data, file=file), expected_header=expected_header, file=file)


def no_rows_problem(table: Table) -> ImportProblem:
    """The problem for a file with a header but no data rows.

    Args:
        table: the file, fully read.

    Returns:
        A whole-file problem.
    """
    return ImportProblem(None, None, "the file has a header but no data rows", table.file)


def parse_number(text: str) -> float | None:
    """A number cell: ``3``, ``2.5`` or ``2,5`` (decimal comma); None when it is not a number.

    Args:
        text: the cell, stripped.

    Returns:
        The number, or None.
    """
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def split_labels(cells: Iterable[str]) -> tuple[str, ...]:
    """Labels from one or more cells, each holding labels separated by ``;`` or ``|``.

    Args:
        cells: the label cells of one row (Jira repeats its Labels column once per label).

    Returns:
        The labels in order, stripped, without empties or repeats.
    """
    labels: dict[str, None] = {}
    for cell in cells:
        for label in cell.replace("|", ";").split(";"):
            label = label.strip()  # noqa: PLW2901 - the stripped label replaces the raw one
            if label:
                labels[label] = None
    return tuple(labels)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their line ends, lazily.

    ``io.StringIO(text)`` would hold a second copy of the whole file at four bytes a character
    (measured: 224 MB for a 56 MB file); slicing line by line keeps only the current line.
    """
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        if end == -1:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1
