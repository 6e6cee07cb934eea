"""The export: the filtered list of dependencies (all pages) as CSV or JSON, for the page, the API and the CLI."""

from __future__ import annotations

import io
import json
from datetime import date

from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.dependencies import service
from deliveryops.dependencies.detection_schemas import ExportFormat
from deliveryops.dependencies.schemas import DependencyFilter, DependencyRead
from deliveryops.schemas import MAX_LIMIT, PageParams
from deliveryops.web.csv_export import SafeDictWriter

__all__ = ["CSV_COLUMNS", "MAX_ROWS", "export", "media_type", "rows"]

MAX_ROWS = 50_000
CSV_COLUMNS = [
    "id",
    "requester_team",
    "provider",
    "title",
    "why",
    "needed_by",
    "state",
    "committed_on",
    "countered_on",
    "delivered_on",
    "decline_reason",
    "requester_keys",
    "provider_keys",
    "overdue",
    "days_late",
    "created_at",
]


def rows(*, session: Session, actor: User | None, filters: DependencyFilter, today: date | None = None) -> list[DependencyRead]:
    """Every dependency the list shows with these filters (every page, at most :data:`MAX_ROWS`), soonest first."""
    found: list[DependencyRead] = []
    while len(found) < MAX_ROWS:
        page = service.list_(
            session=session, actor=actor, filters=filters, page=PageParams(limit=MAX_LIMIT, offset=len(found)), today=today
        )
        found += page.items
        if len(page.items) < MAX_LIMIT:
            break
    return found


def export(reads: list[DependencyRead], output_format: ExportFormat) -> str:
    """The dependencies as CSV (one row each, work item keys space-separated) or as a JSON array."""
    if output_format == "json":
        return json.dumps([read.model_dump(mode="json") for read in reads], ensure_ascii=False, indent=1) + "\n"
    stream = io.StringIO()
    writer = SafeDictWriter(stream, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for read in reads:
        data = read.model_dump(mode="json")
        data["requester_keys"] = " ".join(read.requester_keys)
        data["provider_keys"] = " ".join(read.provider_keys)
        writer.writerow({column: _cell(data[column]) for column in CSV_COLUMNS})
    return stream.getvalue()


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def media_type(output_format: ExportFormat) -> str:
    """The response's media type."""
    return "application/json" if output_format == "json" else "text/csv; charset=utf-8"
