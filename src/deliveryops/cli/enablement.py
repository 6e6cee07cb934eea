"""`deliveryops org-actions|playbooks|onboarding|communities`: enablement from the command line.

Each listing prints, under ``--format json``, the API's page for the same question (as a trusted local caller,
who reads every team).
"""

from __future__ import annotations

from typing import Annotated

import typer

from deliveryops.actions.models import TargetMetric
from deliveryops.cli.common import build, friendly_errors, load_settings, parse_date, session_scope
from deliveryops.cli.dependencies import DatabaseOption
from deliveryops.cli.output import (
    Column,
    FormatOption,
    LimitOption,
    OffsetOption,
    OutputFormat,
    page_params,
    print_json,
    print_page,
)
from deliveryops.db import utcnow
from deliveryops.enablement import communities, onboarding, org_actions, playbooks
from deliveryops.enablement.models import OnboardingKind
from deliveryops.enablement.schemas import (
    ChecklistFilter,
    ChecklistRead,
    CommunityRead,
    LearningRead,
    OrgActionCreate,
    OrgActionRead,
    PlaybookFilter,
    PlaybookRead,
)
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.teams.service import find_team

org_actions_app = typer.Typer(help="Organisation-level improvement actions across teams: list, add.", no_args_is_help=True)
playbooks_app = typer.Typer(help="Playbooks: versioned guides to tools and practices.", no_args_is_help=True)
onboarding_app = typer.Typer(help="Onboarding checklists and their progress.", no_args_is_help=True)
communities_app = typer.Typer(help="Communities of practice and their feed of learnings.", no_args_is_help=True)

ACTION_COLUMNS: list[Column[OrgActionRead]] = [
    Column("Id", lambda r: r.id),
    Column("Action", lambda r: r.title),
    Column("Status", lambda r: r.status.value),
    Column("Teams", lambda r: len(r.team_ids)),
    Column("Target", lambda r: r.target_metric.value if r.target_metric else "—"),
    Column("Across the teams", lambda r: r.pooled.outcome.replace("_", " ") if r.pooled else "not measured"),
]
PLAYBOOK_COLUMNS: list[Column[PlaybookRead]] = [
    Column("Id", lambda r: r.id),
    Column("Playbook", lambda r: r.title),
    Column("Entry", lambda r: r.entry or "—"),
    Column("Practice", lambda r: r.practice_key or "—"),
    Column("Owner", lambda r: r.owner or "—"),
    Column("Version", lambda r: r.version),
]
CHECKLIST_COLUMNS: list[Column[ChecklistRead]] = [
    Column("Id", lambda r: r.id),
    Column("For", lambda r: r.person or "the team"),
    Column("Kind", lambda r: r.kind.value),
    Column("Team", lambda r: r.team),
    Column("Done", lambda r: f"{r.done} of {r.total}"),
]
COMMUNITY_COLUMNS: list[Column[CommunityRead]] = [
    Column("Id", lambda r: r.id),
    Column("Community", lambda r: r.name),
    Column("Entry", lambda r: r.entry or "—"),
    Column("Members", lambda r: len(r.members)),
]
FEED_COLUMNS: list[Column[LearningRead]] = [
    Column("On", lambda r: r.on.isoformat()),
    Column("Kind", lambda r: r.kind),
    Column("Learning", lambda r: r.title),
    Column("Team", lambda r: r.team or "—"),
]


@org_actions_app.command("list")
@friendly_errors
def list_org_actions(
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List organisation-level actions with the pooled verdict across their teams (the API's list)."""
    settings = load_settings(database)
    with session_scope(settings) as session:
        rows = org_actions.list_(session=session)
        page = paginate(rows, page_params(limit, offset)).map(
            lambda row: org_actions.read(session, None, row, min_group_size=settings.min_group_size)
        )
        print_page(
            page,
            ACTION_COLUMNS,
            output_format,
            empty="No organisation-level actions. Add one with `deliveryops org-actions add`.",
        )


@org_actions_app.command("add")
@friendly_errors
def add_org_action(
    title: Annotated[str, typer.Option(help="What the teams will do.")],
    teams: Annotated[str, typer.Option(help="The teams it touches (names or slugs), comma-separated.")],
    target_metric: Annotated[TargetMetric | None, typer.Option(help="The metric it should move, for a measured verdict.")] = None,
    started_on: Annotated[str | None, typer.Option(help="When it takes effect, YYYY-MM-DD (default today).")] = None,
    due_date: Annotated[str | None, typer.Option(help="When it is due, YYYY-MM-DD.")] = None,
    expected_direction: Annotated[
        str | None, typer.Option(help="increase or decrease: how the metric should move (default: the better one).")
    ] = None,
    description: Annotated[str, typer.Option(help="Why, and how.")] = "",
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Start an organisation-level action across teams (as a trusted local caller)."""
    settings = load_settings(database)
    with session_scope(settings) as session:
        team_ids = [find_team(session, name.strip()).id for name in teams.split(",") if name.strip()]
        body = build(
            OrgActionCreate,
            title=title,
            team_ids=team_ids,
            target_metric=target_metric,
            started_on=started_on,
            due_date=due_date,
            expected_direction=expected_direction,
            description=description,
        )
        row = org_actions.create(session=session, actor=None, body=body, today=utcnow().date())
        read = org_actions.read(session, None, row, min_group_size=settings.min_group_size)
        if output_format is OutputFormat.JSON:
            print_json(read)
        else:
            typer.echo(f"Organisation-level action {read.id}: {read.title}, across {len(read.team_ids)} teams.")


@playbooks_app.command("list")
@friendly_errors
def list_playbooks(
    entry_id: Annotated[int | None, typer.Option(help="Only the playbooks of this catalogue entry.")] = None,
    practice_key: Annotated[str | None, typer.Option(help="Only the playbooks of this coaching practice.")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List playbooks (the API's list, same filters)."""
    with session_scope(load_settings(database)) as session:
        filters = build(PlaybookFilter, entry_id=entry_id, practice_key=practice_key)
        rows = playbooks.list_(session=session, filters=filters)
        page = paginate(rows, page_params(limit, offset)).map(lambda row: playbooks.read(session, row))
        print_page(page, PLAYBOOK_COLUMNS, output_format, empty="No playbooks. Product Ops writes them on the Playbooks page.")


@playbooks_app.command("show")
@friendly_errors
def show_playbook(
    playbook_id: Annotated[int, typer.Argument(help="The playbook's id.")],
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Print a playbook's current version (Markdown)."""
    with session_scope(load_settings(database)) as session:
        read = playbooks.read(session, playbooks.get_or_raise(session=session, playbook_id=playbook_id))
        if output_format is OutputFormat.JSON:
            print_json(read)
        else:
            typer.echo(f"{read.title} (version {read.version} of {read.versions})\n\n{read.body}")


@onboarding_app.command("checklists")
@friendly_errors
def list_checklists(
    team: Annotated[str | None, typer.Option(help="Only this team's (name or slug).")] = None,
    kind: Annotated[OnboardingKind | None, typer.Option(help="Only checklists of this kind.")] = None,
    open_only: Annotated[bool, typer.Option("--open-only", help="Only checklists with steps left.")] = False,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List checklists and their progress, least progress first (the API's list)."""
    with session_scope(load_settings(database)) as session:
        team_id = find_team(session, team).id if team else None
        filters = build(ChecklistFilter, team_id=team_id, kind=kind, open_only=open_only)
        rows = onboarding.list_checklists(session=session, actor=None, filters=filters)
        print_page(paginate(rows, page_params(limit, offset)), CHECKLIST_COLUMNS, output_format, empty="No checklists.")


@communities_app.command("list")
@friendly_errors
def list_communities(
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List communities of practice (the API's list)."""
    with session_scope(load_settings(database)) as session:
        rows = communities.list_(session=session)
        page = paginate(rows, page_params(limit, offset)).map(lambda row: communities.read(session, row))
        print_page(page, COMMUNITY_COLUMNS, output_format, empty="No communities of practice yet.")


@communities_app.command("feed")
@friendly_errors
def community_feed(
    community_id: Annotated[int, typer.Argument(help="The community's id.")],
    since: Annotated[str | None, typer.Option(help="Only learnings from this day on, YYYY-MM-DD.")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """A community's feed of learnings, newest first (the API's feed)."""
    settings = load_settings(database)
    with session_scope(settings) as session:
        row = communities.get_or_raise(session=session, community_id=community_id)
        rows = communities.feed(session, row, min_group_size=settings.min_group_size, since=parse_date(since, "--since"))
        print_page(paginate(rows, page_params(limit, offset)), FEED_COLUMNS, output_format, empty="Nothing learnt yet.")
