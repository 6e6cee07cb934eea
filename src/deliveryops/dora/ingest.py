"""Store deployments and incidents from any source, and link them to changes and to each other.

Every source (the GitHub connector, webhooks, CSV files, the demo) goes through these functions, so the
rules are the same everywhere:

- Deployments are upserted on (source, repository, external_id), incidents on (source, external_id).
- An older state never overwrites a newer one: each record's own time (a deployment's finish, else its
  start; an incident's resolution, else its creation) is kept as ``status_at``; a delivery whose time is
  earlier, or that reports "in progress" for a finished deployment (or "open" for a resolved incident
  at the same time), is ignored.
- A successful deployment is linked to the changes it shipped: the pull requests whose merge commit is in
  its commit list (``commit_shas`` plus ``commit_sha``); without a commit list, the pull requests of the same
  repository merged after the previous successful deployment of the same repository and environment
  started (so after it finished, or while it ran and could not carry them) and at or before this one
  started. A repository's first known successful deployment ships everything merged before it.
- An incident naming a deployment (``deployment_external_id``) is linked to the team's deployment with
  that id, now or when the deployment arrives later. Incidents without one are linked when the keys are
  computed (the latest successful production deployment finished before the incident was created).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from deliveryops.connectors.base import DeploymentRecord, IncidentRecord
from deliveryops.db import utcnow
from deliveryops.dora.models import Deployment, DeploymentChange, Incident
from deliveryops.errors import ValidationFailedError
from deliveryops.schemas import check_web_url
from deliveryops.teams.models import Team
from deliveryops.work.models import Change

__all__ = [
    "DEPLOYMENT_RESULTS",
    "IdentityConflict",
    "ImportOutcome",
    "OnConflict",
    "import_deployments",
    "import_incidents",
    "relink_changes",
]

DEPLOYMENT_RESULTS = ("success", "failure", "error", "cancelled", "in_progress")
_FINISHED = frozenset({"success", "failure", "error", "cancelled"})


def _safe_url(url: str | None, what: str) -> str | None:
    """The record's link, refused unless it is an http(s) address (a ``javascript:`` link would run on click)."""
    try:
        return check_web_url(url, label=f"{what}'s url")
    except ValueError as exc:
        raise ValidationFailedError(str(exc), fields={"url": str(exc)}) from None


def _is_older(incoming_at: datetime, incoming_done: bool, stored_at: datetime, stored_done: bool) -> bool:
    """Whether an incoming state is older than the stored one (and must not overwrite it)."""
    if incoming_at != stored_at:
        return incoming_at < stored_at
    return stored_done and not incoming_done


def _deployment_values(record: DeploymentRecord) -> dict[str, object]:
    result = record.result.strip().lower()
    if result not in DEPLOYMENT_RESULTS:
        raise ValidationFailedError(
            f"Deployment {record.external_id!r}: unknown result {record.result!r}.",
            fields={"result": f"Use one of: {', '.join(DEPLOYMENT_RESULTS)}."},
        )
    return {
        "repository": record.repository,
        "environment": record.environment.strip(),
        "result": result,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "commit_sha": record.commit_sha,
        "commit_shas": list(record.commit_shas),
        "ref": record.ref,
        "url": _safe_url(record.url, f"Deployment {record.external_id!r}"),
        "status_at": record.finished_at or record.started_at,
    }


@dataclass(frozen=True)
class IdentityConflict:
    """A record whose identity is already another team's: skipped, or moved when the import asked to move.

    Attributes:
        kind: "deployment" or "incident".
        source: the record's source ("csv", "github", "webhook-3", ...).
        repository: the deployment's repository (None for incidents, whose identity has none).
        external_id: the sender's id.
        team_id / team_name: the team the record belonged to.
        moved: whether it was moved to the importing team (else it was skipped and left as it was).
    """

    kind: str
    source: str
    repository: str | None
    external_id: str
    team_id: int
    team_name: str
    moved: bool

    @property
    def reason(self) -> str:
        """Why, in words."""
        what = f"{self.kind} {self.external_id!r}" + (f" of {self.repository}" if self.repository else "")
        if self.moved:
            return f"{what} (source {self.source}) was team {self.team_name}'s and was moved to this team, as asked"
        return (
            f"{what} (source {self.source}) is already team {self.team_name}'s: the same source, "
            f"{'repository and id' if self.repository else 'and id'} is one record, which belongs to one team; "
            "it was left there (import with moving allowed to move it)"
        )


@dataclass
class ImportOutcome:
    """What an import did with each record.

    Attributes:
        written: records created or changed (moved ones included).
        unchanged: records already stored in the same state.
        older: records older than the stored state, ignored.
        skipped: records left with the team they belong to.
        moved: records moved from another team.
    """

    written: int = 0
    unchanged: int = 0
    older: int = 0
    skipped: list[IdentityConflict] = field(default_factory=list)
    moved: list[IdentityConflict] = field(default_factory=list)
    preview: bool = False

    def summary(self, noun: str, origin: str = "") -> str:
        """The outcome in words: "Imported 3 deployments from the file; 2 unchanged; 1 skipped because ..."."""
        if self.preview:
            parts = [
                f"Preview, nothing was saved: {self.written} {noun}" + (f" {origin}" if origin else "") + " would be written"
            ]
        else:
            parts = [f"Imported {self.written} {noun}" + (f" {origin}" if origin else "")]
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        if self.older:
            parts.append(f"{self.older} older than what is stored, ignored")
        if self.moved:
            parts.append(f"{len(self.moved)} {'would be ' if self.preview else ''}moved from other teams")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped because they belong to other teams")
        return "; ".join(parts) + "."


OnConflict = Literal["skip", "move"]


def _conflict(
    session: Session, *, kind: str, record_source: str, repository: str | None, external_id: str, team_id: int, moved: bool
) -> IdentityConflict:
    owner = session.get(Team, team_id)
    return IdentityConflict(
        kind=kind,
        source=record_source,
        repository=repository,
        external_id=external_id,
        team_id=team_id,
        team_name=owner.name if owner is not None else f"#{team_id}",
        moved=moved,
    )


def import_deployments(
    session: Session,
    *,
    team: Team,
    deployments: Sequence[DeploymentRecord],
    on_conflict: OnConflict = "skip",
    may_move_from: Callable[[int], bool] | None = None,
) -> ImportOutcome:
    """Upsert deployments on (source, repository, external_id) and (re)link them to the changes they shipped.

    A deployment happened once: its identity (source, repository, id) is unique across all teams and it belongs
    to one team. A record whose identity is another team's is skipped and reported (never moved silently);
    with ``on_conflict="move"`` it is moved to ``team`` and reported as moved.

    Args:
        session: the unit of work (flushed, not committed).
        team: the team the deployments belong to.
        deployments: the deployments as the source reports them.
        on_conflict: "skip" (default) or "move" records that belong to another team.
        may_move_from: with "move", whether records may be taken from a team (by id); others are skipped.

    Returns:
        What was written, unchanged, older, skipped and moved (a repeated delivery of the same state writes nothing).
    """
    outcome = ImportOutcome()
    touched: dict[tuple[str, str], datetime] = {}
    touched_ids: list[int] = []
    external_ids: set[str] = set()
    losing_teams: set[int] = set()
    for record in deployments:
        values = _deployment_values(record)
        row = session.scalar(
            select(Deployment).where(
                Deployment.source == record.source,
                Deployment.repository == record.repository,
                Deployment.external_id == record.external_id,
            )
        )
        if row is None:
            row = Deployment(team_id=team.id, source=record.source, external_id=record.external_id, **values)
            session.add(row)
        else:
            moving = row.team_id != team.id
            if moving:
                allowed = on_conflict == "move" and (may_move_from is None or may_move_from(row.team_id))
                conflict = _conflict(
                    session,
                    kind="deployment",
                    record_source=record.source,
                    repository=record.repository,
                    external_id=record.external_id,
                    team_id=row.team_id,
                    moved=allowed,
                )
                if not allowed:
                    outcome.skipped.append(conflict)
                    continue
                outcome.moved.append(conflict)
                losing_teams.add(row.team_id)
                row.team_id = team.id
            status_at = values["status_at"]
            assert isinstance(status_at, datetime)
            if _is_older(status_at, values["result"] in _FINISHED, row.status_at, row.result in _FINISHED):
                if not moving:
                    outcome.older += 1
                    continue
            elif all(getattr(row, key) == value for key, value in values.items()):
                if not moving:
                    outcome.unchanged += 1
                    continue
            else:
                # The previous repository/environment may lose links too.
                key = (row.repository, row.environment.lower())
                touched[key] = min(touched.get(key, row.started_at), row.started_at)
                for key_name, value in values.items():
                    setattr(row, key_name, value)
            row.updated_at = utcnow()
        outcome.written += 1
        key = (row.repository, row.environment.strip().lower())
        touched[key] = min(touched.get(key, row.started_at), row.started_at)
        external_ids.add(record.external_id)
        session.flush()
        touched_ids.append(row.id)
    if not outcome.written:
        return outcome
    session.execute(delete(DeploymentChange).where(DeploymentChange.deployment_id.in_(touched_ids)))
    for (repository, environment), since in touched.items():
        _relink_group(session, repository=repository, environment=environment, since=since)
    _link_waiting_incidents(session, team=team, external_ids=external_ids)
    for team_id in sorted(losing_teams):
        loser = session.get(Team, team_id)
        if loser is not None:
            # Its incidents that named a moved deployment lose the link (or find another of the same id).
            _link_waiting_incidents(session, team=loser, external_ids=external_ids)
            loser.data_version = (loser.data_version or 0) + 1
    team.data_version = (team.data_version or 0) + 1
    session.flush()
    return outcome


def _changes_merged(session: Session, *, repository: str, after: datetime | None, until: datetime) -> list[int]:
    statement = select(Change.id).where(Change.repository == repository, Change.merged_at.is_not(None), Change.merged_at <= until)
    if after is not None:
        statement = statement.where(Change.merged_at > after)
    return list(session.scalars(statement))


def _relink_group(session: Session, *, repository: str, environment: str, since: datetime | None) -> None:
    """Recompute the links of the successful deployments of one repository+environment from ``since`` on.

    Environment names are compared case-insensitively ("Production" is "production").
    """
    rows = session.execute(
        select(Deployment.id, Deployment.started_at, Deployment.commit_sha, Deployment.commit_shas)
        .where(
            Deployment.repository == repository,
            func.lower(Deployment.environment) == environment.lower(),
            Deployment.result == "success",
        )
        .order_by(Deployment.started_at, Deployment.source, Deployment.external_id)
    ).all()
    previous: datetime | None = None
    for deployment_id, started_at, commit_sha, commit_shas in rows:
        if since is None or started_at >= since:
            session.execute(delete(DeploymentChange).where(DeploymentChange.deployment_id == deployment_id))
            if commit_shas:
                shas = sorted({*commit_shas, *([commit_sha] if commit_sha else [])})
                # The same commits can exist in forks and mirrors: prefer the deployed repository's own pull
                # requests, and look elsewhere only when a service is named differently from its repository.
                change_ids = list(
                    session.scalars(select(Change.id).where(Change.merge_commit_sha.in_(shas), Change.repository == repository))
                )
                if not change_ids:
                    change_ids = list(session.scalars(select(Change.id).where(Change.merge_commit_sha.in_(shas))))
                matched_by = "commits"
            else:
                change_ids = _changes_merged(session, repository=repository, after=previous, until=started_at)
                matched_by = "merge_time"
            session.add_all(
                DeploymentChange(deployment_id=deployment_id, change_id=change_id, matched_by=matched_by)
                for change_id in sorted(set(change_ids))
            )
        previous = started_at
    session.flush()


def relink_changes(session: Session, *, team: Team, repositories: Iterable[str] | None = None) -> None:
    """Recompute which changes deployments shipped, e.g. after pull requests were imported.

    The result depends only on what is stored, never on the order things arrived in: with ``repositories``
    (the repositories of the pull requests just imported) every deployment whose links those pull requests can
    change is relinked, whichever team it belongs to:

    - the deployments of those repositories (the merge-time rule, and the deployed repository's own pull
      requests being preferred over copies of the same commits elsewhere);
    - the deployments, of any repository, whose commit list names a merge commit of those repositories' pull
      requests (a service named differently from its repository);
    - the deployments linked to one of those pull requests now (a merge commit that changed).

    Args:
        session: the unit of work.
        team: the team that imported the pull requests (all of its deployments are relinked when
            ``repositories`` is None).
        repositories: the repositories of the imported pull requests.
    """
    if repositories is None:
        statement = (
            select(Deployment.repository, func.lower(Deployment.environment)).where(Deployment.team_id == team.id).distinct()
        )
        groups = {(repository, environment) for repository, environment in session.execute(statement).all()}
    else:
        groups = _groups_affected_by(session, sorted(set(repositories)))
    teams = {team.id}
    for repository, environment in sorted(groups):
        _relink_group(session, repository=repository, environment=environment, since=None)
    if groups:
        for repository, environment in groups:
            teams.update(
                session.scalars(
                    select(Deployment.team_id)
                    .where(Deployment.repository == repository, func.lower(Deployment.environment) == environment)
                    .distinct()
                )
            )
    for team_id in sorted(teams):
        owner = team if team_id == team.id else session.get(Team, team_id)
        if owner is not None:
            owner.data_version = (owner.data_version or 0) + 1
    session.flush()


def _groups_affected_by(session: Session, repositories: list[str]) -> set[tuple[str, str]]:
    """The (repository, lower-cased environment) groups whose links pull requests of ``repositories`` can change."""
    if not repositories:
        return set()
    groups: set[tuple[str, str]] = {
        (repository, environment)
        for repository, environment in session.execute(
            select(Deployment.repository, func.lower(Deployment.environment))
            .where(Deployment.repository.in_(repositories))
            .distinct()
        ).all()
    }
    change_rows = session.execute(select(Change.id, Change.merge_commit_sha).where(Change.repository.in_(repositories))).all()
    shas = {sha for _, sha in change_rows if sha}
    change_ids = [change_id for change_id, _ in change_rows]
    for chunk_start in range(0, len(change_ids), 5000):
        chunk = change_ids[chunk_start : chunk_start + 5000]
        groups.update(
            (repository, environment)
            for repository, environment in session.execute(
                select(Deployment.repository, func.lower(Deployment.environment))
                .join(DeploymentChange, DeploymentChange.deployment_id == Deployment.id)
                .where(DeploymentChange.change_id.in_(chunk))
                .distinct()
            ).all()
        )
    if shas:
        # Commit lists are JSON: read the successful deployments that have one and compare here.
        rows = session.execute(
            select(Deployment.repository, Deployment.environment, Deployment.commit_sha, Deployment.commit_shas).where(
                Deployment.result == "success", Deployment.repository.not_in(repositories)
            )
        ).all()
        for repository, environment, commit_sha, commit_shas in rows:
            named = {*(commit_shas or ()), *([commit_sha] if commit_sha else [])}
            if named & shas:
                groups.add((repository, environment.lower()))
    return groups


def _find_deployment(session: Session, *, team: Team, external_id: str, repository: str | None) -> int | None:
    statement = select(Deployment.id).where(Deployment.team_id == team.id, Deployment.external_id == external_id)
    if repository:
        same = session.scalar(statement.where(Deployment.repository == repository).order_by(Deployment.source).limit(1))
        if same is not None:
            return same
    # Several sources or repositories may use the same id: pick by name, not by arrival order.
    return session.scalar(statement.order_by(Deployment.source, Deployment.repository).limit(1))


def _link_waiting_incidents(session: Session, *, team: Team, external_ids: set[str]) -> None:
    """(Re)link incidents that name one of these deployment ids (one may have only now arrived)."""
    if not external_ids:
        return
    waiting = session.scalars(
        select(Incident).where(
            Incident.team_id == team.id,
            Incident.deployment_external_id.in_(sorted(external_ids)),
        )
    ).all()
    for incident in waiting:
        assert incident.deployment_external_id is not None
        incident.deployment_id = _find_deployment(
            session, team=team, external_id=incident.deployment_external_id, repository=incident.repository
        )


def import_incidents(
    session: Session,
    *,
    team: Team,
    incidents: Sequence[IncidentRecord],
    on_conflict: OnConflict = "skip",
    may_move_from: Callable[[int], bool] | None = None,
) -> ImportOutcome:
    """Upsert incidents on (source, external_id) and link each to the deployment it names, if any.

    An incident's identity (source, id) is unique across all teams, like a deployment's: one that is already
    another team's is skipped and reported, or moved with ``on_conflict="move"``.

    Args:
        session: the unit of work (flushed, not committed).
        team: the team whose production the incidents hit.
        incidents: the incidents as the source reports them.
        on_conflict: "skip" (default) or "move" records that belong to another team.
        may_move_from: with "move", whether records may be taken from a team (by id); others are skipped.

    Returns:
        What was written, unchanged, older, skipped and moved.
    """
    outcome = ImportOutcome()
    losing_teams: set[int] = set()
    for record in incidents:
        if record.resolved_at is not None and record.resolved_at < record.created_at:
            raise ValidationFailedError(
                f"Incident {record.external_id!r} is resolved before it was created.",
                fields={"resolved_at": "Must be at or after created_at."},
            )
        deployment_id = None
        if record.deployment_external_id:
            deployment_id = _find_deployment(
                session, team=team, external_id=record.deployment_external_id, repository=record.repository
            )
        values: dict[str, object] = {
            "title": record.title,
            "severity": record.severity,
            "repository": record.repository,
            "created_at": record.created_at,
            "resolved_at": record.resolved_at,
            "deployment_external_id": record.deployment_external_id,
            "deployment_id": deployment_id,
            "url": _safe_url(record.url, f"Incident {record.external_id!r}"),
            "status_at": record.resolved_at or record.created_at,
        }
        row = session.scalar(select(Incident).where(Incident.source == record.source, Incident.external_id == record.external_id))
        if row is None:
            session.add(Incident(team_id=team.id, source=record.source, external_id=record.external_id, **values))
            outcome.written += 1
            continue
        moving = row.team_id != team.id
        if moving:
            allowed = on_conflict == "move" and (may_move_from is None or may_move_from(row.team_id))
            conflict = _conflict(
                session,
                kind="incident",
                record_source=record.source,
                repository=None,
                external_id=record.external_id,
                team_id=row.team_id,
                moved=allowed,
            )
            if not allowed:
                outcome.skipped.append(conflict)
                continue
            outcome.moved.append(conflict)
            losing_teams.add(row.team_id)
            row.team_id = team.id
        older = _is_older(
            record.resolved_at or record.created_at, record.resolved_at is not None, row.status_at, row.resolved_at is not None
        )
        if older or all(getattr(row, key) == value for key, value in values.items()):
            if not moving:
                outcome.older += older
                outcome.unchanged += not older
                continue
            # Moved as it is, but its link must name this team's deployment.
            row.deployment_id = (
                _find_deployment(session, team=team, external_id=row.deployment_external_id, repository=row.repository)
                if row.deployment_external_id
                else None
            )
        else:
            for key, value in values.items():
                setattr(row, key, value)
        row.updated_at = utcnow()
        outcome.written += 1
    if outcome.written:
        team.data_version = (team.data_version or 0) + 1
        for team_id in sorted(losing_teams):
            loser = session.get(Team, team_id)
            if loser is not None:
                loser.data_version = (loser.data_version or 0) + 1
    session.flush()
    return outcome
