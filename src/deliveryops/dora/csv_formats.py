"""CSV files of deployments, changes (pull requests) and incidents: parse all, or import nothing.

Each format is a header row then one record per line; column names are case-insensitive and may come in any
order. Times are ISO 8601 (``2026-03-02T10:20:00Z``, ``2026-03-02 10:20+01:00``); a time without an offset is
read in the team's time zone. Examples: docs/examples/dora-deployments.csv, dora-changes.csv, dora-incidents.csv.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeAlias, TypeVar, cast, get_args
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from deliveryops.connectors.base import ChangeRecord, DeploymentRecord, IncidentRecord
from deliveryops.dora.ingest import (
    DEPLOYMENT_RESULTS,
    ImportOutcome,
    OnConflict,
    import_deployments,
    import_incidents,
    relink_changes,
)
from deliveryops.errors import ValidationFailedError
from deliveryops.schemas import is_web_url
from deliveryops.teams.models import Team
from deliveryops.work.importing import import_changes

UTC_ZONE = ZoneInfo("UTC")
__all__ = [
    "COLUMNS",
    "CsvFormatError",
    "Kind",
    "import_csv",
    "parse_changes",
    "parse_deployments",
    "parse_incidents",
    "preview_csv",
    "upload_kind",
]

Kind: TypeAlias = Literal["deployments", "changes", "incidents"]
CSV_SOURCE = "csv"
MAX_PROBLEMS_SHOWN = 20
BATCH_ROWS = 2000
"""Rows written between two progress reports of a background import."""


def upload_kind(kind: str | None) -> Kind:
    """What an uploaded file holds, as the form or request said it.

    Raises:
        ValidationFailedError: for anything but deployments, changes or incidents.
    """
    for known in get_args(Kind):
        if kind == known:
            return cast(Kind, known)
    raise ValidationFailedError("Say what the file holds.", fields={"kind": "Use deployments, changes or incidents."})


_Record = TypeVar("_Record", DeploymentRecord, ChangeRecord, IncidentRecord)

COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "deployments": (
        ("id", "repository", "environment", "result", "started_at"),
        ("finished_at", "commit_sha", "commit_shas", "ref", "url"),
    ),
    "changes": (
        ("repository", "number", "author", "opened_at"),
        ("title", "first_commit_at", "first_review_at", "merged_at", "closed_at", "merge_commit_sha", "base_branch", "url"),
    ),
    "incidents": (("id", "title", "created_at"), ("resolved_at", "severity", "repository", "deployment_id", "url")),
}
"""Each format's (required, optional) columns."""


class CsvFormatError(ValidationFailedError):
    """A file that cannot be imported; ``problems`` name the line and column of each."""

    def __init__(self, problems: Sequence[str], *, file_name: str = "") -> None:
        shown = list(problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - len(shown)
        where = f"{file_name}: " if file_name else ""
        text = f"{where}nothing was imported: " + "; ".join(shown) + (f"; and {more} more problems" if more else "")
        count = len(problems)
        super().__init__(text, fields={"file": f"{count} problem{'s' if count != 1 else ''}; nothing was imported"})
        self.problems = list(problems)


@dataclass
class _Row:
    line: int
    values: dict[str, str]


class _Reader:
    """Collects problems while reading cells of one file."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.problems: list[str] = []

    def problem(self, line: int, column: str | None, message: str) -> None:
        where = f"line {line}" + (f", column {column}" if column else "")
        self.problems.append(f"{where}: {message}")

    def text(self, row: _Row, column: str, *, required: bool = False, max_length: int = 200) -> str | None:
        value = row.values.get(column, "").strip()
        if not value:
            if required:
                self.problem(row.line, column, "is empty; it is required")
            return None
        if "\x00" in value:
            self.problem(row.line, column, "contains a NUL character")
            return None
        if len(value) > max_length:
            self.problem(row.line, column, f"is longer than {max_length} characters")
            return None
        return value

    def url(self, row: _Row, column: str = "url") -> str | None:
        value = self.text(row, column, max_length=500)
        if value is not None and not is_web_url(value):
            shown = value if len(value) <= 40 else value[:40] + "…"
            self.problem(row.line, column, f"must be a web address starting with http:// or https://; got {shown!r}")
            return None
        return value

    def time(self, row: _Row, column: str, *, required: bool = False) -> datetime | None:
        value = self.text(row, column, required=required)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            self.problem(row.line, column, f"{value!r} is not a date and time like 2026-03-02T10:20:00Z")
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.zone)
        return parsed.astimezone(UTC)

    def number(self, row: _Row, column: str) -> int | None:
        value = self.text(row, column, required=True)
        if value is None:
            return None
        if not value.isdigit() or not 0 < int(value) < 2**31:
            self.problem(row.line, column, f"{value!r} is not a positive whole number")
            return None
        return int(value)


def _rows(content: str, kind: Kind, reader: _Reader) -> list[_Row]:
    required, optional = COLUMNS[kind]
    table = csv.reader(io.StringIO(content.lstrip("\ufeff")))
    try:
        header = next(table)
    except StopIteration:
        reader.problem(1, None, "the file is empty; the first line must name the columns")
        return []
    except csv.Error as exc:
        reader.problem(1, None, f"not a CSV file ({exc})")
        return []
    names = [name.strip().lower() for name in header]
    missing = [name for name in required if name not in names]
    if missing:
        reader.problem(
            1,
            None,
            f"missing column(s) {', '.join(missing)}; a {kind} file needs "
            f"{', '.join(required)} (optional: {', '.join(optional)})",
        )
        return []
    rows: list[_Row] = []
    try:
        for values in table:
            line = table.line_num
            if not any(cell.strip() for cell in values):
                continue
            if len(values) > len(names):
                reader.problem(line, None, f"{len(values)} cells but the header names {len(names)} columns")
                continue
            rows.append(_Row(line, dict(zip(names, values, strict=False))))
    except csv.Error as exc:
        reader.problem(table.line_num, None, f"unreadable CSV ({exc})")
    if not rows and not reader.problems:
        reader.problem(2, None, "the file has a header but no records")
    return rows


def _check_unique(reader: _Reader, rows: list[_Row], key: Callable[[_Row], object], column: str) -> None:
    seen: dict[object, int] = {}
    for row in rows:
        value = key(row)
        if value in seen:
            reader.problem(row.line, column, f"repeats the record of line {seen[value]}")
        else:
            seen[value] = row.line


def parse_deployments(content: str, *, zone: ZoneInfo = UTC_ZONE, file_name: str = "") -> list[DeploymentRecord]:
    """Read a deployments CSV, or raise :class:`CsvFormatError` listing every problem by line and column."""
    reader = _Reader(zone)
    rows = _rows(content, "deployments", reader)
    _check_unique(reader, rows, lambda row: (row.values.get("repository", "").strip(), row.values.get("id", "").strip()), "id")
    records: list[DeploymentRecord] = []
    for row in rows:
        external_id = reader.text(row, "id", required=True)
        repository = reader.text(row, "repository", required=True)
        environment = reader.text(row, "environment", required=True, max_length=100)
        result = (reader.text(row, "result", required=True) or "").lower()
        if result and result not in DEPLOYMENT_RESULTS:
            reader.problem(row.line, "result", f"{result!r} is not one of {', '.join(DEPLOYMENT_RESULTS)}")
        started = reader.time(row, "started_at", required=True)
        finished = reader.time(row, "finished_at")
        if started and finished and finished < started:
            reader.problem(row.line, "finished_at", "is before started_at")
        if finished is None and result in ("success", "failure", "error"):
            reader.problem(row.line, "finished_at", f"is required for a {result} deployment")
        shas = tuple((row.values.get("commit_shas") or "").replace(",", " ").split())
        if external_id and repository and environment and result and started:
            records.append(
                DeploymentRecord(
                    source=CSV_SOURCE,
                    external_id=external_id,
                    repository=repository,
                    environment=environment,
                    result=result,
                    started_at=started,
                    finished_at=finished,
                    commit_sha=reader.text(row, "commit_sha", max_length=64),
                    commit_shas=shas,
                    ref=reader.text(row, "ref"),
                    url=reader.url(row),
                )
            )
    if reader.problems:
        raise CsvFormatError(reader.problems, file_name=file_name)
    return records


def parse_changes(content: str, *, zone: ZoneInfo = UTC_ZONE, file_name: str = "") -> list[ChangeRecord]:
    """Read a changes (pull requests) CSV, or raise :class:`CsvFormatError`."""
    reader = _Reader(zone)
    rows = _rows(content, "changes", reader)
    _check_unique(
        reader, rows, lambda row: (row.values.get("repository", "").strip(), row.values.get("number", "").strip()), "number"
    )
    records: list[ChangeRecord] = []
    for row in rows:
        repository = reader.text(row, "repository", required=True)
        number = reader.number(row, "number")
        author = reader.text(row, "author", required=True, max_length=100)
        opened = reader.time(row, "opened_at", required=True)
        merged = reader.time(row, "merged_at")
        if repository and number and author and opened:
            records.append(
                ChangeRecord(
                    source=CSV_SOURCE,
                    repository=repository,
                    number=number,
                    title=reader.text(row, "title", max_length=500) or f"#{number}",
                    author=author,
                    opened_at=opened,
                    first_commit_at=reader.time(row, "first_commit_at"),
                    first_review_at=reader.time(row, "first_review_at"),
                    merged_at=merged,
                    closed_at=reader.time(row, "closed_at") or merged,
                    merge_commit_sha=reader.text(row, "merge_commit_sha", max_length=64),
                    base_branch=reader.text(row, "base_branch") or "",
                    url=reader.url(row),
                )
            )
    if reader.problems:
        raise CsvFormatError(reader.problems, file_name=file_name)
    return records


def parse_incidents(content: str, *, zone: ZoneInfo = UTC_ZONE, file_name: str = "") -> list[IncidentRecord]:
    """Read an incidents CSV, or raise :class:`CsvFormatError`."""
    reader = _Reader(zone)
    rows = _rows(content, "incidents", reader)
    _check_unique(reader, rows, lambda row: row.values.get("id", "").strip(), "id")
    records: list[IncidentRecord] = []
    for row in rows:
        external_id = reader.text(row, "id", required=True)
        title = reader.text(row, "title", required=True, max_length=500)
        created = reader.time(row, "created_at", required=True)
        resolved = reader.time(row, "resolved_at")
        if created and resolved and resolved < created:
            reader.problem(row.line, "resolved_at", "is before created_at")
        if external_id and title and created:
            records.append(
                IncidentRecord(
                    source=CSV_SOURCE,
                    external_id=external_id,
                    title=title,
                    created_at=created,
                    resolved_at=resolved,
                    severity=reader.text(row, "severity", max_length=40),
                    repository=reader.text(row, "repository"),
                    deployment_external_id=reader.text(row, "deployment_id"),
                    url=reader.url(row),
                )
            )
    if reader.problems:
        raise CsvFormatError(reader.problems, file_name=file_name)
    return records


def import_csv(
    session: Session,
    *,
    team: Team,
    kind: str,
    content: bytes | str,
    file_name: str = "",
    on_conflict: OnConflict = "skip",
    may_move_from: Callable[[int], bool] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Parse a whole file and import it into ``team``; any problem imports nothing.

    Args:
        session: the unit of work (the caller rolls back when this raises).
        team: the team.
        kind: "deployments", "changes" or "incidents".
        content: the file (UTF-8).
        file_name: shown in messages.
        on_conflict: deployments and incidents that are already another team's: "skip" (default) or "move".
        may_move_from: with "move", whether records may be taken from a team (by id); others are skipped.
        progress: when given, the rows are written in batches of ``BATCH_ROWS`` and this is called with the
            number of rows handled after each batch (a background import reports it, and may stop there by
            raising; the caller then rolls the whole file back). The rows stored are the same either way.

    Returns:
        What was written, unchanged, skipped or moved (pull requests: only how many were written).
    """
    if isinstance(content, bytes):
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CsvFormatError([f"the file is not UTF-8 text (byte {exc.start})"], file_name=file_name) from exc
    else:
        text = content
    if kind == "deployments":
        deployments = parse_deployments(text, zone=team.zone, file_name=file_name)
        return _outcomes_in_batches(
            deployments,
            lambda batch: import_deployments(
                session, team=team, deployments=batch, on_conflict=on_conflict, may_move_from=may_move_from
            ),
            progress,
        )
    if kind == "changes":
        changes = parse_changes(text, zone=team.zone, file_name=file_name)
        written = _in_batches(changes, lambda batch: import_changes(session=session, team=team, changes=batch), progress)
        relink_changes(session, team=team, repositories={change.repository for change in changes})
        return ImportOutcome(written=written)
    if kind == "incidents":
        incidents = parse_incidents(text, zone=team.zone, file_name=file_name)
        return _outcomes_in_batches(
            incidents,
            lambda batch: import_incidents(
                session, team=team, incidents=batch, on_conflict=on_conflict, may_move_from=may_move_from
            ),
            progress,
        )
    raise ValidationFailedError(f"Unknown file kind {kind!r}.", fields={"kind": "Use deployments, changes or incidents."})


def preview_csv(
    session: Session,
    *,
    team: Team,
    kind: str,
    content: bytes | str,
    file_name: str = "",
    on_conflict: OnConflict = "skip",
    may_move_from: Callable[[int], bool] | None = None,
) -> ImportOutcome:
    """What :func:`import_csv` would do with the file, without keeping anything (run in a savepoint, rolled back).

    Raises :class:`CsvFormatError` for a bad file, like the import.
    """
    savepoint = session.begin_nested()
    try:
        outcome = import_csv(
            session,
            team=team,
            kind=kind,
            content=content,
            file_name=file_name,
            on_conflict=on_conflict,
            may_move_from=may_move_from,
        )
    finally:
        savepoint.rollback()
    outcome.preview = True
    return outcome


def _in_batches(
    records: Sequence[_Record], write: Callable[[Sequence[_Record]], int], progress: Callable[[int], None] | None
) -> int:
    """Write ``records`` at once, or (with ``progress``) batch by batch, reporting the rows handled after each."""
    if progress is None:
        return write(records)
    written = 0
    for start in range(0, len(records), BATCH_ROWS):
        written += write(records[start : start + BATCH_ROWS])
        progress(min(start + BATCH_ROWS, len(records)))
    return written


def _outcomes_in_batches(
    records: Sequence[_Record], write: Callable[[Sequence[_Record]], ImportOutcome], progress: Callable[[int], None] | None
) -> ImportOutcome:
    """Like :func:`_in_batches` for writers that report an :class:`ImportOutcome`: the batches' outcomes summed."""
    if progress is None:
        return write(records)
    total = ImportOutcome()
    for start in range(0, len(records), BATCH_ROWS):
        outcome = write(records[start : start + BATCH_ROWS])
        total.written += outcome.written
        total.unchanged += outcome.unchanged
        total.older += outcome.older
        total.skipped.extend(outcome.skipped)
        total.moved.extend(outcome.moved)
        progress(min(start + BATCH_ROWS, len(records)))
    return total
