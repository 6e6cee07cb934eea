"""`deliveryops impediments clusters|synonyms|link-blockers`: cross-team clusters, synonyms, blockers never raised.

The commands are registered on the ``impediments`` group by :mod:`deliveryops.cli.impediments`.
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import RootModel
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

from deliveryops.cli.common import CliError, console, friendly_errors, load_settings, session_scope
from deliveryops.cli.output import FormatOption, OutputFormat, print_json
from deliveryops.impediments import blockers, clusters, decisions, embeddings
from deliveryops.impediments.impact import blocked_days
from deliveryops.impediments.models import Synonym
from deliveryops.impediments.schemas import ClusterSummaryRead, SynonymRead
from deliveryops.teams.service import list_teams

DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]


@friendly_errors
def list_clusters(
    propose: Annotated[bool, typer.Option("--propose/--no-propose", help="Look for new clusters first.")] = True,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """List cross-team clusters with their teams, impediments and blocked days (new members join, never duplicated)."""
    settings = load_settings(database)
    with session_scope(settings) as session:
        if propose:
            clusters.propose(session, escalation_teams=settings.cluster_escalation_teams)
        rows = []
        for cluster in clusters.list_(session, actor=None):
            members = clusters.members_of(session, cluster)
            rows.append(
                ClusterSummaryRead(
                    id=cluster.id,
                    title=cluster.title,
                    status=cluster.status,
                    teams=len({m.team_id for m in members}),
                    impediments=len(members),
                    blocked_days=round(sum(blocked_days(session, members).values()), 1),
                    auto_escalated=cluster.auto_escalated,
                )
            )
        if output_format is OutputFormat.JSON:
            print_json(RootModel[list[ClusterSummaryRead]](rows))
            return
        if not rows:
            console.print("No cross-team clusters.")
            return
        table = Table("Id", "Cluster", "Status", "Teams", "Impediments", "Blocked days")
        for row in rows:
            table.add_row(str(row.id), row.title, row.status, str(row.teams), str(row.impediments), f"{row.blocked_days:.1f}")
        console.print(table)


@friendly_errors
def synonyms(
    add: Annotated[str | None, typer.Option("--add", help="TERM=MEANING, e.g. 'CAB=change advisory board'.")] = None,
    remove: Annotated[str | None, typer.Option("--remove", help="A term to remove.")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """List the organisation's synonyms that the similarity reads; add or remove one."""
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
        rows = decisions.list_synonyms(session)
        if output_format is OutputFormat.JSON:
            print_json(RootModel[list[SynonymRead]]([SynonymRead.model_validate(row) for row in rows]))
            return
        if not rows:
            console.print("No synonyms.")
            return
        table = Table("Term", "Meaning")
        for row in rows:
            table.add_row(row.term, row.meaning)
        console.print(table)


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
