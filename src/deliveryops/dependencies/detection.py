"""Dependencies found in the data, proposed to a person who confirms (→ a requested dependency) or dismisses them.

Three signals, each between two different teams (or a team and a function):

- **Tracker links** between items of different teams: "is blocked by" and "depends on" (and their inverses
  "blocks", "is depended on by"), plus the phrases an admin maps (:class:`DependencyLinkType`). The item that
  needs the other belongs to the requesting team; the other item's team provides.
- **Blocked reasons** of items blocked now that name another team or a function (its name, its slug, or an
  alias an admin added), as a whole word, case-insensitively.
- **Cross-repository references** in open pull requests ("owner/repo#12" or a github.com link in the title
  or description, as the GitHub connector reads them) to a repository whose pull requests belong to another team.

Only open items propose (an item whose status is mapped "done" does not). Each finding has a *signature* (the
pair of items, or the item and the named provider); a signature is proposed once, so a dismissed one is never
proposed again, and a finding already covered by a dependency (same teams, the item among its work items) is
not proposed.

Who decides: confirming is requesting, so the requesting team's delivery managers, Product Ops and admins
confirm; either side's delivery managers (or the function's owner), Product Ops and admins dismiss.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, aliased

from deliveryops.accounts.models import Role, User
from deliveryops.connectors.github_changes import cross_references
from deliveryops.db import fetch_page, utcnow
from deliveryops.dependencies import service
from deliveryops.dependencies.detection_schemas import AliasCreate, AliasRead, LinkTypeCreate, LinkTypeRead, ProposalRead
from deliveryops.dependencies.models import (
    Dependency,
    DependencyAlias,
    DependencyFunction,
    DependencyLinkType,
    DependencyProposal,
    ProposalStatus,
)
from deliveryops.dependencies.schemas import DependencyCreate, split_keys
from deliveryops.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.schemas import Page, PageParams
from deliveryops.teams.models import Team
from deliveryops.teams.service import team_ids_of
from deliveryops.work.models import BlockedInterval, Change, ItemLink, WorkflowStatus, WorkItem
from deliveryops.work.records import StageCategory

__all__ = [
    "BUILT_IN_LINK_TYPES",
    "DetectionResult",
    "Finding",
    "add_alias",
    "add_link_type",
    "alias_reads",
    "can_confirm",
    "can_dismiss",
    "confirm",
    "delete_alias",
    "delete_link_type",
    "detect",
    "dismiss",
    "findings",
    "get_proposal_or_raise",
    "link_rules",
    "link_type_reads",
    "list_proposals",
    "mapped_link_types",
    "proposal_reads",
    "references",
    "unmapped_phrases",
]

BUILT_IN_LINK_TYPES: dict[str, str] = {
    "is blocked by": "needs",
    "blocks": "provides",
    "depends on": "needs",
    "is depended on by": "provides",
}
"""Link phrases (read from the item that carries the link) that always mean a dependency."""

_KIND_PHRASES = {"blocks": "blocks", "is_blocked_by": "is blocked by"}


@dataclass(frozen=True)
class Finding:
    """One dependency the data suggests, before it is stored as a proposal."""

    signature: str
    source: str
    requester_team_id: int
    provider_team_id: int | None
    provider_function_id: int | None
    requester_key: str
    provider_key: str
    title: str
    evidence: str


@dataclass(frozen=True)
class DetectionResult:
    """What one detection run found: new proposals, and findings skipped as decided before or already covered."""

    proposed: list[DependencyProposal]
    already_known: int
    covered: int


# --- what the data says -----------------------------------------------------------------------------------


def link_rules(session: Session) -> dict[str, str]:
    """Phrase (lower case) → "needs" or "provides": the built-in ones and those an admin mapped."""
    rules = dict(BUILT_IN_LINK_TYPES)
    rules.update(
        {
            phrase.lower(): direction
            for phrase, direction in session.execute(select(DependencyLinkType.phrase, DependencyLinkType.direction))
        }
    )
    return rules


def _done_statuses(session: Session) -> set[tuple[int, str]]:
    rows = session.execute(
        select(WorkflowStatus.team_id, WorkflowStatus.name).where(WorkflowStatus.category == StageCategory.DONE)
    )
    return {(team_id, name) for team_id, name in rows}


def _link_findings(session: Session, done: set[tuple[int, str]]) -> list[Finding]:
    rules = link_rules(session)
    other = aliased(WorkItem)
    rows = session.execute(
        select(
            ItemLink.kind,
            ItemLink.label,
            WorkItem.team_id,
            WorkItem.external_key,
            WorkItem.title,
            WorkItem.current_status,
            other.team_id,
            other.external_key,
            other.title,
            other.current_status,
        )
        .join(WorkItem, WorkItem.id == ItemLink.item_id)
        .join(other, other.external_key == ItemLink.other_key)
        .where(other.team_id != WorkItem.team_id)
        .order_by(ItemLink.id)
    ).all()
    findings = []
    for kind, label, team_id, key, title, status, other_team, other_key, other_title, other_status in rows:
        phrase = (label or _KIND_PHRASES.get(kind, "")).strip().lower()
        direction = rules.get(phrase)
        if direction is None:
            continue
        if direction == "needs":
            requester = (team_id, key, title, status)
            provider = (other_team, other_key, other_title)
        else:
            requester = (other_team, other_key, other_title, other_status)
            provider = (team_id, key, title)
        if (requester[0], requester[3]) in done:
            continue
        findings.append(
            Finding(
                signature=f"link:{requester[1]}>{provider[1]}",
                source="tracker_link",
                requester_team_id=requester[0],
                provider_team_id=provider[0],
                provider_function_id=None,
                requester_key=requester[1],
                provider_key=provider[1],
                title=(provider[2] or f"{provider[1]} for {requester[1]}")[:200],
                evidence=f"{key} {phrase} {other_key}.",
            )
        )
    return findings


def _names(session: Session) -> list[tuple[re.Pattern[str], str, int]]:
    """(whole-word pattern, "team" | "function", id) for every name, slug and alias."""
    named: list[tuple[str, str, int]] = []
    for team in session.scalars(select(Team)):
        named += [(team.name, "team", team.id), (team.slug, "team", team.id)]
    for function in session.scalars(select(DependencyFunction).where(DependencyFunction.active.is_(True))):
        named.append((function.name, "function", function.id))
    for alias in session.scalars(select(DependencyAlias)):
        if alias.team_id is not None:
            named.append((alias.alias, "team", alias.team_id))
        elif alias.function_id is not None:
            named.append((alias.alias, "function", alias.function_id))
    return [
        (re.compile(rf"(?<!\w){re.escape(name.strip())}(?!\w)", re.IGNORECASE), kind, number)
        for name, kind, number in named
        if len(name.strip()) >= 2
    ]


def _reason_findings(session: Session, done: set[tuple[int, str]]) -> list[Finding]:
    names = _names(session)
    rows = session.execute(
        select(WorkItem.team_id, WorkItem.external_key, WorkItem.title, WorkItem.current_status, BlockedInterval.reason)
        .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
        .where(BlockedInterval.end.is_(None), BlockedInterval.reason != "")
        .order_by(BlockedInterval.id)
    ).all()
    findings = []
    for team_id, key, title, status, reason in rows:
        if (team_id, status) in done:
            continue
        found: dict[tuple[str, int], None] = {}
        for pattern, kind, number in names:
            if (kind, number) != ("team", team_id) and pattern.search(reason):
                found[(kind, number)] = None
        for kind, number in found:
            findings.append(
                Finding(
                    signature=f"reason:{key}>{kind}:{number}",
                    source="blocked_reason",
                    requester_team_id=team_id,
                    provider_team_id=number if kind == "team" else None,
                    provider_function_id=number if kind == "function" else None,
                    requester_key=key,
                    provider_key="",
                    title=(title or key)[:200],
                    evidence=f"{key} is blocked: “{reason[:300]}”.",
                )
            )
    return findings


def references(text: str) -> list[tuple[str, int]]:
    """The "owner/repo#N" references (and github.com links) in a text, in order, without repeats."""
    return cross_references(text)


def _reference_findings(session: Session) -> list[Finding]:
    owners: dict[str, set[int]] = {}
    for repository, team_id in session.execute(
        select(Change.repository, Change.team_id).where(Change.team_id.is_not(None)).distinct()
    ):
        if team_id is not None:
            owners.setdefault(repository.lower(), set()).add(team_id)
    rows = session.execute(
        select(Change.team_id, Change.repository, Change.number, Change.title, Change.references).where(
            Change.team_id.is_not(None), Change.merged_at.is_(None), Change.closed_at.is_(None)
        )
    ).all()
    findings = []
    for team_id, repository, number, title, named in rows:
        if team_id is None:
            continue
        for repo, other_number in references(" ".join([title, *(named or [])])):
            if repo == repository.lower():
                continue
            for provider in sorted(owners.get(repo, set()) - {team_id}):
                requester_key, provider_key = f"{repository}#{number}", f"{repo}#{other_number}"
                findings.append(
                    Finding(
                        signature=f"ref:{requester_key.lower()}>{provider_key}",
                        source="code_reference",
                        requester_team_id=team_id,
                        provider_team_id=provider,
                        provider_function_id=None,
                        requester_key=requester_key,
                        provider_key=provider_key,
                        title=(title or requester_key)[:200],
                        evidence=f"{requester_key} refers to {provider_key}.",
                    )
                )
    return findings


def _covered(session: Session) -> set[tuple[int, str, str]]:
    """(requester team, provider "team:<id>" | "function:<id>", requester key) of every recorded dependency."""
    covered = set()
    for dependency in session.scalars(select(Dependency)):
        provider = (
            f"team:{dependency.provider_team_id}"
            if dependency.provider_team_id
            else f"function:{dependency.provider_function_id}"
        )
        for key in split_keys(dependency.requester_keys):
            covered.add((dependency.requester_team_id, provider, key))
    return covered


def findings(session: Session) -> list[Finding]:
    """Everything the data suggests now, whether decided before or not."""
    done = _done_statuses(session)
    return _link_findings(session, done) + _reason_findings(session, done) + _reference_findings(session)


def detect(session: Session) -> DetectionResult:
    """Store a proposal for every new finding; findings seen before (proposed, confirmed or dismissed) are skipped."""
    known = set(session.scalars(select(DependencyProposal.signature)))
    covered = _covered(session)
    proposed: list[DependencyProposal] = []
    already = covered_count = 0
    for finding in findings(session):
        if finding.signature in known:
            already += 1
            continue
        provider = f"team:{finding.provider_team_id}" if finding.provider_team_id else f"function:{finding.provider_function_id}"
        if (finding.requester_team_id, provider, finding.requester_key) in covered:
            covered_count += 1
            continue
        known.add(finding.signature)
        proposal = DependencyProposal(
            signature=finding.signature,
            source=finding.source,
            requester_team_id=finding.requester_team_id,
            provider_team_id=finding.provider_team_id,
            provider_function_id=finding.provider_function_id,
            requester_key=finding.requester_key,
            provider_key=finding.provider_key,
            title=finding.title,
            evidence=finding.evidence,
            status=ProposalStatus.PROPOSED,
            dismiss_reason="",
        )
        session.add(proposal)
        proposed.append(proposal)
    session.flush()
    return DetectionResult(proposed=proposed, already_known=already, covered=covered_count)


# --- deciding ---------------------------------------------------------------------------------------------


def _visible(session: Session, user: User | None, statement: Select[DependencyProposal]) -> Select[DependencyProposal]:
    if user is None or user.role.sees_all_teams:
        return statement
    teams = team_ids_of(session, user)
    owned = set(session.scalars(select(DependencyFunction.id).where(DependencyFunction.owner_id == user.id)))
    return statement.where(
        or_(
            DependencyProposal.requester_team_id.in_(teams),
            DependencyProposal.provider_team_id.in_(teams),
            DependencyProposal.provider_function_id.in_(owned),
        )
    )


def _may_see(session: Session, user: User, proposal: DependencyProposal) -> bool:
    if user.role.sees_all_teams:
        return True
    teams = team_ids_of(session, user)
    if proposal.requester_team_id in teams or proposal.provider_team_id in teams:
        return True
    owner = session.scalar(select(DependencyFunction.owner_id).where(DependencyFunction.id == proposal.provider_function_id))
    return owner is not None and owner == user.id


def list_proposals(
    *, session: Session, actor: User | None, status: ProposalStatus | None, page: PageParams
) -> Page[ProposalRead]:
    """The proposals the actor may see (their teams' on either side; all for leaders, Product Ops, admins), newest first."""
    statement = _visible(session, actor, select(DependencyProposal))
    if status is not None:
        statement = statement.where(DependencyProposal.status == status)
    statement = statement.order_by(DependencyProposal.id.desc())
    rows, total = fetch_page(session, statement, limit=page.limit, offset=page.offset)
    return Page[ProposalRead](items=proposal_reads(session, actor, list(rows)), total=total, limit=page.limit, offset=page.offset)


def get_proposal_or_raise(*, session: Session, actor: User | None, proposal_id: int) -> DependencyProposal:
    """One proposal, if the actor may see it."""
    proposal = session.get(DependencyProposal, proposal_id)
    if proposal is None:
        raise NotFoundError(f"No proposed dependency with id {proposal_id}.")
    if actor is not None and not _may_see(session, actor, proposal):
        raise PermissionDeniedError("This proposal is between teams you are not in.")
    return proposal


def can_confirm(session: Session, user: User | None, proposal: DependencyProposal) -> bool:
    """The requesting team's delivery managers, Product Ops and admins."""
    if user is None or user.role in (Role.ADMIN, Role.PRODUCT_OPS):
        return True
    return proposal.requester_team_id in service.managed_team_ids(session, user)


def can_dismiss(session: Session, user: User | None, proposal: DependencyProposal) -> bool:
    """Either side's delivery managers (or the function's owner), Product Ops and admins."""
    if can_confirm(session, user, proposal):
        return True
    assert user is not None
    if proposal.provider_team_id is not None:
        return proposal.provider_team_id in service.managed_team_ids(session, user)
    owner = session.scalar(select(DependencyFunction.owner_id).where(DependencyFunction.id == proposal.provider_function_id))
    return owner == user.id


def _undecided(proposal: DependencyProposal) -> None:
    if proposal.status is not ProposalStatus.PROPOSED:
        raise ConflictError(
            f"This proposal was already {proposal.status.value}.",
            details={"fields": {"status": f"Already {proposal.status.value}."}},
        )


def confirm(
    *,
    session: Session,
    actor: User | None,
    proposal_id: int,
    needed_by: date,
    title: str | None = None,
    why: str = "",
) -> Dependency:
    """Turn the proposal into a requested dependency, with the linked items on both sides."""
    proposal = get_proposal_or_raise(session=session, actor=actor, proposal_id=proposal_id)
    if not can_confirm(session, actor, proposal):
        raise PermissionDeniedError("Only the requesting team's delivery managers, Product Ops and admins confirm a proposal.")
    _undecided(proposal)
    body = DependencyCreate(
        requester_team_id=proposal.requester_team_id,
        provider_team_id=proposal.provider_team_id,
        provider_function_id=proposal.provider_function_id,
        title=(title or proposal.title).strip()[:200] or proposal.requester_key,
        why=why or f"Found in the data: {proposal.evidence}",
        needed_by=needed_by,
        requester_keys=[proposal.requester_key],
    )
    dependency = service.create(session=session, actor=actor, body=body)
    if proposal.provider_key:
        dependency.provider_keys = proposal.provider_key
    proposal.status = ProposalStatus.CONFIRMED
    proposal.dependency_id = dependency.id
    proposal.decided_by_id = actor.id if actor else None
    proposal.decided_at = utcnow()
    session.flush()
    return dependency


def dismiss(*, session: Session, actor: User | None, proposal_id: int, reason: str = "") -> DependencyProposal:
    """Dismiss the proposal; the same finding is never proposed again."""
    proposal = get_proposal_or_raise(session=session, actor=actor, proposal_id=proposal_id)
    if not can_dismiss(session, actor, proposal):
        raise PermissionDeniedError("Only either side's delivery managers, Product Ops and admins dismiss a proposal.")
    _undecided(proposal)
    if len(reason) > 2000:
        raise ValidationFailedError("The reason is too long.", fields={"reason": "At most 2,000 characters."})
    proposal.status = ProposalStatus.DISMISSED
    proposal.dismiss_reason = reason.strip()
    proposal.decided_by_id = actor.id if actor else None
    proposal.decided_at = utcnow()
    session.flush()
    return proposal


def proposal_reads(session: Session, actor: User | None, proposals: list[DependencyProposal]) -> list[ProposalRead]:
    """The API's view of proposals, with what the caller may do."""
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    funcs = dict(session.execute(select(DependencyFunction.id, DependencyFunction.name)).all())
    return [
        ProposalRead(
            id=p.id,
            source=p.source,
            requester_team_id=p.requester_team_id,
            requester_team=teams.get(p.requester_team_id, "?"),
            provider_team_id=p.provider_team_id,
            provider_function_id=p.provider_function_id,
            provider=teams.get(p.provider_team_id, "?") if p.provider_team_id else funcs.get(p.provider_function_id or 0, "?"),
            requester_key=p.requester_key,
            provider_key=p.provider_key,
            title=p.title,
            evidence=p.evidence,
            status=p.status,
            dependency_id=p.dependency_id,
            dismiss_reason=p.dismiss_reason,
            decided_at=p.decided_at,
            created_at=p.created_at,
            can_confirm=p.status is ProposalStatus.PROPOSED and can_confirm(session, actor, p),
            can_dismiss=p.status is ProposalStatus.PROPOSED and can_dismiss(session, actor, p),
        )
        for p in proposals
    ]


def mapped_link_types(session: Session) -> list[DependencyLinkType]:
    """The phrases an admin mapped, alphabetically."""
    return list(session.scalars(select(DependencyLinkType).order_by(DependencyLinkType.phrase)))


def unmapped_phrases(session: Session) -> list[str]:
    """Link phrases seen in synced items that no rule maps (to help an admin map them)."""
    rules = link_rules(session)
    seen: Iterable[str] = session.scalars(select(ItemLink.label).where(ItemLink.label != "").distinct())
    return sorted({phrase.strip().lower() for phrase in seen} - set(rules))


# --- what an admin maps -------------------------------------------------------------------------------------


def _require_admin(actor: User | None, what: str) -> None:
    if actor is not None and actor.role is not Role.ADMIN:
        raise PermissionDeniedError(f"Only admins {what}.")


def link_type_reads(session: Session) -> list[LinkTypeRead]:
    """The built-in phrases, then those an admin mapped."""
    built_in = [LinkTypeRead(id=None, phrase=p, direction=d, built_in=True) for p, d in BUILT_IN_LINK_TYPES.items()]
    return built_in + [LinkTypeRead.model_validate(row) for row in mapped_link_types(session)]


def add_link_type(*, session: Session, actor: User | None, body: LinkTypeCreate) -> DependencyLinkType:
    """Map a link phrase to a dependency (admins)."""
    _require_admin(actor, "map link types")
    if body.phrase in link_rules(session):
        raise ValidationFailedError(
            f"{body.phrase!r} is mapped already.", fields={"phrase": f"{body.phrase!r} is mapped already."}
        )
    row = DependencyLinkType(phrase=body.phrase, direction=body.direction)
    session.add(row)
    session.flush()
    return row


def delete_link_type(*, session: Session, actor: User | None, link_type_id: int) -> None:
    """Stop reading a mapped phrase as a dependency (admins); proposals made from it stay."""
    _require_admin(actor, "map link types")
    row = session.get(DependencyLinkType, link_type_id)
    if row is None:
        raise NotFoundError(f"No mapped link type with id {link_type_id}.")
    session.delete(row)
    session.flush()


def alias_reads(session: Session) -> list[AliasRead]:
    """Every alias with the name of what it names."""
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    funcs = dict(session.execute(select(DependencyFunction.id, DependencyFunction.name)).all())
    return [
        AliasRead(
            id=a.id,
            alias=a.alias,
            team_id=a.team_id,
            function_id=a.function_id,
            names=teams.get(a.team_id, "?") if a.team_id else funcs.get(a.function_id or 0, "?"),
        )
        for a in session.scalars(select(DependencyAlias).order_by(DependencyAlias.alias))
    ]


def add_alias(*, session: Session, actor: User | None, body: AliasCreate) -> DependencyAlias:
    """Add another name of a team or a function for blocked reasons (admins)."""
    _require_admin(actor, "add aliases")
    if session.scalar(select(DependencyAlias.id).where(DependencyAlias.alias == body.alias)) is not None:
        raise ValidationFailedError(f"{body.alias!r} is an alias already.", fields={"alias": "This alias exists."})
    if body.team_id is not None and session.get(Team, body.team_id) is None:
        raise ValidationFailedError("No such team.", fields={"team_id": f"No team with id {body.team_id}."})
    if body.function_id is not None and session.get(DependencyFunction, body.function_id) is None:
        raise ValidationFailedError("No such function.", fields={"function_id": f"No function with id {body.function_id}."})
    row = DependencyAlias(alias=body.alias, team_id=body.team_id, function_id=body.function_id)
    session.add(row)
    session.flush()
    return row


def delete_alias(*, session: Session, actor: User | None, alias_id: int) -> None:
    """Remove an alias (admins)."""
    _require_admin(actor, "remove aliases")
    row = session.get(DependencyAlias, alias_id)
    if row is None:
        raise NotFoundError(f"No alias with id {alias_id}.")
    session.delete(row)
    session.flush()
