"""The workflow file: ``status, category`` rows in board order (used with ``--workflow FILE``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from deliveryops.work.csv_common import ImportFileError, ProblemLog
from deliveryops.work.csv_table import Source, no_rows_problem, open_table
from deliveryops.work.records import StageCategory, WorkflowStatus

WORKFLOW_HEADER = "status,category"
CATEGORY_CHOICES = ", ".join(category.value for category in StageCategory)


def parse_workflow_file(data: Source) -> list[WorkflowStatus]:
    """Read a workflow file: one ``status, category`` row per status, in board order.

    Args:
        data: the file's bytes, its text, or its path.

    Returns:
        The statuses with positions 0, 1, 2, ... in file order.

    Raises:
        ImportFileError: every problem in the file (empty file, missing column, empty or repeated
            status, unknown category).
    """
    table = open_table(data, expected_header=WORKFLOW_HEADER)
    log = ProblemLog()
    status_column = table.require(log, "status", "status")
    category_column = table.require(log, "category", "category", "stage category")
    log.raise_if_any()
    assert status_column is not None  # the log raised if it was missing
    assert category_column is not None
    status_header, category_header = table.header[status_column], table.header[category_column]
    statuses: list[WorkflowStatus] = []
    first_lines: dict[str, int] = {}
    for line, row in table.rows(log):
        name = row[status_column].strip()
        category_text = row[category_column].strip()
        if not name:
            log.add(line, status_header, "expected a status name, got an empty value")
        elif name.casefold() in first_lines:
            first_line = first_lines[name.casefold()]
            log.add(line, status_header, f'duplicate status "{name}" (first on line {first_line})')
        else:
            first_lines[name.casefold()] = line
        try:
            category = StageCategory(category_text.lower())
        except ValueError:
            got = f'"{category_text}"' if category_text else "an empty value"
            log.add(line, category_header, f"expected a category (one of {CATEGORY_CHOICES}), got {got}")
            continue
        statuses.append(WorkflowStatus(name=name, category=category, position=len(statuses)))
    if not table.row_count and not log:
        raise ImportFileError([no_rows_problem(table)])
    log.raise_if_any()
    return statuses


def propose_workflow(stages: Sequence[str], categories: Mapping[str, StageCategory | str] | None = None) -> list[WorkflowStatus]:
    """A workflow for stages in board order: the first is backlog, the last done, the others active.

    Args:
        stages: the stage names in board order.
        categories: categories chosen by the user, by stage name; they replace the defaults.

    Returns:
        One status per stage with positions 0, 1, 2, ...; a single stage is done.
    """
    chosen = dict(categories or {})
    workflow = []
    last = len(stages) - 1
    for position, name in enumerate(stages):
        if position == last:
            default = StageCategory.DONE
        elif position == 0:
            default = StageCategory.BACKLOG
        else:
            default = StageCategory.ACTIVE
        category = StageCategory(chosen.get(name, default))
        workflow.append(WorkflowStatus(name=name, category=category, position=position))
    return workflow
