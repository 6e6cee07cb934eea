"""What listing and report commands share: ``--format table|json``, ``--limit`` / ``--offset``, and printing.

``--format json`` prints the API's shape: the command builds the same ``Read`` or ``Page`` model the
endpoint returns and prints its ``model_dump_json()``. Errors under ``--format json`` are the API's
``{"error": {...}}`` body on standard error (see :func:`deliveryops.cli.common.friendly_errors`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

import typer
from pydantic import BaseModel, TypeAdapter
from rich.table import Table

from deliveryops.cli.common import console
from deliveryops.schemas import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, PageParams

__all__ = [
    "Column",
    "FormatOption",
    "LimitOption",
    "OffsetOption",
    "OutputFormat",
    "ReportFormat",
    "TextFormat",
    "emit",
    "page_params",
    "print_data",
    "print_json",
    "print_page",
]

T = TypeVar("T")


class OutputFormat(StrEnum):
    """How a listing or report command prints its answer."""

    TABLE = "table"
    JSON = "json"


class TextFormat(StrEnum):
    """How a command that answers one question prints it: the API's JSON, or a few lines of text."""

    JSON = "json"
    TEXT = "text"


class ReportFormat(StrEnum):
    """How a report command writes its report: a self-contained page, a table of rows, or the API's JSON."""

    HTML = "html"
    CSV = "csv"
    JSON = "json"


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", help="table, or json: the API's shape for the same question."),
]
LimitOption = Annotated[
    int, typer.Option("--limit", min=1, max=MAX_LIMIT, help=f"At most this many items (1–{MAX_LIMIT}), as in the API.")
]
OffsetOption = Annotated[int, typer.Option("--offset", min=0, max=MAX_OFFSET, help="Skip this many items first, as in the API.")]


def page_params(limit: int = DEFAULT_LIMIT, offset: int = 0) -> PageParams:
    """The page the options ask for."""
    return PageParams(limit=limit, offset=offset)


@dataclass(frozen=True)
class Column(Generic[T]):
    """A table column: its header and how to read its cell from an item."""

    header: str
    cell: Callable[[T], Any]


def emit(text: str, output: Path | None) -> None:
    """Print a report on standard output, or write it to ``output`` and say so."""
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    output.write_text(text, encoding="utf-8")
    console.print(f"Wrote {output}.", highlight=False)


def print_json(model: BaseModel) -> None:
    """Print a model as the API would answer it."""
    typer.echo(model.model_dump_json(indent=2))


def print_data(data: dict[str, Any]) -> None:
    """Print the plain data an endpoint answers (``response_model=dict[str, Any]``) as the API would."""
    typer.echo(_DATA.dump_json(data, indent=2))


_DATA: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


def print_page(page: Page[T], columns: Sequence[Column[T]], output_format: OutputFormat, *, empty: str) -> None:
    """Print one page of a list as a table (with where it sits in the list) or as the API's JSON.

    Args:
        page: the page.
        columns: the table's columns.
        output_format: table or json.
        empty: what to say when the list is empty (how to add the first item).
    """
    if output_format is OutputFormat.JSON:
        print_json(page)
        return
    if page.total == 0:
        console.print(empty, highlight=False)
        return
    if not page.items:
        console.print(f"Nothing after the first {page.offset:,}: the list has {page.total:,}.", highlight=False)
        return
    table = Table(*(column.header for column in columns))
    for item in page.items:
        table.add_row(*("-" if (cell := column.cell(item)) in (None, "") else str(cell) for column in columns))
    console.print(table)
    if page.total > len(page.items):
        first, last = page.offset + 1, page.offset + len(page.items)
        console.print(f"{first:,}–{last:,} of {page.total:,}; --offset and --limit show others.", highlight=False)
