"""`deliveryops impediments clusters|synonyms|link-blockers`: cross-team clusters, synonyms, blockers never raised.

The commands are registered on the ``impediments`` group by :mod:`deliveryops.cli.impediments`.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress
from sqlalchemy import select

from deliveryops.cli.common import CliError, console, friendly_errors, load_settings, session_scope
from deliveryops.cli.output import (
    Column,
    FormatOption,
    LimitOption,
    OffsetOption,
    OutputFormat,
    page_params,
    print_page,
)
from deliveryops.impediments import blockers, clusters, decisions, embeddings
from deliveryops.impediments.models import Synonym
from deliveryops.impediments.reads import cross_team_cluster_read
from deliveryops.impediments.schemas import CrossTeamClusterRead, SynonymRead
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.teams.service import list_teams

DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]


_CLUSTER_COLUMNS: list[Column[CrossTeamClusterRead]] = [
    Column("Id", lambda row: row.id),
    Column("Cluster", lambda row: row.title),
    Column("Status", lambda row: row.status),
    Column("Teams", lambda row: len(row.team_ids)),
    Column("Impediments", lambda row: len(row.impediment_ids)),
    Column("Blocked days", lambda row: f"{row.blocked_days:.1f}"),
]
_SYNONYM_COLUMNS: list[Column[SynonymRead]] = [Column("Term", lambda row: row.term), Column("Meaning", lambda row: row.meaning)]


@friendly_errors
def list_clusters(
    propose: Annotated[bool, typer.Option("--propose/--no-propose", help="Look for new clusters first.")] = True,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List cross-team clusters with their teams, impediments and blocked days (new members join, never duplicated).

    ``--format json`` prints the page ``GET /api/v1/impediment-clusters`` answers.
    """
    settings = load_settings(database)
    with session_scope(settings) as session:
        if propose:
            clusters.propose(session, escalation_teams=settings.cluster_escalation_teams)
        rows = [cross_team_cluster_read(session, cluster) for cluster in clusters.list_(session, actor=None)]
    print_page(paginate(rows, page_params(limit, offset)), _CLUSTER_COLUMNS, output_format, empty="No cross-team clusters.")


@friendly_errors
def synonyms(
    add: Annotated[str | None, typer.Option("--add", help="TERM=MEANING, e.g. 'CAB=change advisory board'.")] = None,
    remove: Annotated[str | None, typer.Option("--remove", help="A term to remove.")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List the organisation's synonyms that the similarity reads; add or remove one.

    ``--format json`` prints the page ``GET /api/v1/impediment-synonyms`` answers.
    """
    with session_scope(load_settings(database)) as session:
        if add is not None:
            term, separator, meaning = add.partition("=")
            if not separator:
                raise CliError("--add takes TERM=MEANING, e.g. 'CAB=change advisory board'.")
            decisions.add_synonym(session, actor=None, term=term, meaning=meaning)
        if remove is not None:
            found = session.scalar(select(Synonym).where(Synonym.term == remove.strip()))
            if found is None:
                raise CliError(f"No synonym {remove.strip()!r}.")
            decisions.remove_synonym(session, actor=None, synonym_id=found.id)
        rows = [SynonymRead.model_validate(row) for row in decisions.list_synonyms(session)]
    print_page(paginate(rows, page_params(limit, offset)), _SYNONYM_COLUMNS, output_format, empty="No synonyms.")


@friendly_errors
def link_blockers(database: DatabaseOption = None) -> None:
    """Compute missing sentence vectors, then link blocked items to the impediments that describe them, team by team."""
    with session_scope(load_settings(database)) as session:
        teams = list_teams(session=session, actor=None)
        computed = embeddings.refresh(session=session)
        linked = proposed = 0
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Linking blocked items", total=len(teams))
            for team in teams:
                done = blockers.propose_links(session, team_ids={team.id})
                linked, proposed = linked + done.linked, proposed + done.proposed
                progress.advance(task)
        console.print(
            f"{computed} sentence vectors computed; {linked} blocked items linked automatically, "
            f"{proposed} proposed for the teams to check."
        )
