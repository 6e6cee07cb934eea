"""Multi-team retros (teams of teams): a breakout board per team, then a shared synthesis board.

A facilitator (Product Ops, an admin, or the delivery manager of every team in it) creates the retro
across several teams or a group of teams. Each team gets a breakout: an ordinary retro of the team,
live, that only the team's people see (``retros.service``). When every breakout has voted, the
synthesis carries their themes over with their votes and source team (never a card, never an author),
the facilitator merges and renames them, everyone votes across teams, and each action decided is
owned by one team and joins that team's ledger of improvement actions.

Who sees the synthesis: the people of its teams, the facilitator, Product Ops and admins. Who takes
part (votes, proposes actions): the people of its teams and the facilitator. Who runs it: the facilitator.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.actions import service as actions
from deliveryops.actions.models import ImprovementAction
from deliveryops.db import utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.retros import service as retros
from deliveryops.retros.models import FORMATS, Phase, Retro, Vote
from deliveryops.retros.multi_models import (
    Breakout,
    MultiPhase,
    MultiRetro,
    SynthesisAction,
    SynthesisTheme,
    SynthesisVote,
)
from deliveryops.retros.multi_schemas import (
    BreakoutRead,
    MultiRetroRead,
    MultiRetroSummary,
    MultiRetroTeamRead,
    SynthesisActionRead,
    SynthesisThemeRead,
    TeamPersonRead,
)
from deliveryops.retros.themes import card_titled
from deliveryops.teams.models import Group, Membership, Team, TeamRole

__all__ = [
    "MAX_TEAMS",
    "MIN_TEAMS",
    "ORGANISERS",
    "add_action",
    "advance",
    "advance_breakouts",
    "can_create",
    "can_facilitate",
    "can_take_part",
    "create",
    "get_or_raise",
    "list_visible",
    "live_version",
    "merge_themes",
    "rename_theme",
    "state",
    "summaries",
    "vote",
]

ORGANISERS = (Role.PRODUCT_OPS, Role.ADMIN)  # may create one across any teams, and see every synthesis
MIN_TEAMS, MAX_TEAMS = 2, 12
VOTED = (Phase.DISCUSS, Phase.ACTIONS, Phase.FINISHED)  # a breakout in these phases has counted its votes


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _touch(multi: MultiRetro) -> None:
    multi.version = (multi.version or 0) + 1


def _team_ids(multi: MultiRetro) -> list[int]:
    return [b.team_id for b in multi.breakouts]


def _own_team_ids(session: Session, actor: User, team_ids: list[int]) -> set[int]:
    if not team_ids:
        return set()
    return set(
        session.scalars(select(Membership.team_id).where(Membership.user_id == actor.id, Membership.team_id.in_(team_ids)))
    )


def _managed_team_ids(session: Session, actor: User) -> set[int]:
    return set(
        session.scalars(
            select(Membership.team_id).where(Membership.user_id == actor.id, Membership.team_role == TeamRole.DELIVERY_MANAGER)
        )
    )


def can_create(session: Session, actor: User, team_ids: list[int]) -> bool:
    """Product Ops and admins across any teams; a delivery manager across teams they all manage."""
    if actor.role in ORGANISERS:
        return True
    managed = _managed_team_ids(session, actor)
    return bool(team_ids) and set(team_ids) <= managed


def can_take_part(session: Session, actor: User, multi: MultiRetro) -> bool:
    """The people of its teams and the facilitator vote and propose actions."""
    return actor.id == multi.facilitator_id or bool(_own_team_ids(session, actor, _team_ids(multi)))


def can_facilitate(actor: User, multi: MultiRetro) -> bool:
    """Only its facilitator moves the phases, the breakouts, and merges or renames themes."""
    return actor.id == multi.facilitator_id


def _can_view(session: Session, actor: User, multi: MultiRetro) -> bool:
    return actor.role in ORGANISERS or can_take_part(session, actor, multi)


def create(
    *,
    session: Session,
    actor: User,
    title: str,
    team_ids: list[int] | None = None,
    group_id: int | None = None,
    retro_format: str = "start-stop-continue",
    vote_budget: int = 3,
    anonymous: bool = True,
    scheduled_for: datetime | None = None,
) -> MultiRetro:
    """Create a retro across teams, with a breakout retro per team; the creator facilitates it.

    Args:
        session: the unit of work.
        actor: Product Ops, an admin, or the delivery manager of every team in it.
        title: e.g. "PI 7 retro".
        team_ids: the teams (2 to 12), joined with ``group_id``'s teams.
        group_id: a group of teams whose teams all take part.
        retro_format: one of FORMATS, for every breakout.
        vote_budget: votes per person, in the breakouts and on the synthesis (1 to 10).
        anonymous: breakout cards store no author (the default).
        scheduled_for: when it takes place.

    Returns:
        The retro in its breakouts phase; each breakout in its first phase.
    """
    if actor.role not in ORGANISERS and not _managed_team_ids(session, actor):
        raise PermissionDeniedError("Product Ops, admins and delivery managers run multi-team retros.")
    ids = list(dict.fromkeys(team_ids or []))
    errors: dict[str, str] = {}
    if group_id is not None:
        group = session.get(Group, group_id)
        if group is None:
            errors["group_id"] = "No such group of teams."
        else:
            ids += [t.id for t in group.teams if t.id not in ids]
    teams = [session.get(Team, i) for i in ids]
    if any(t is None for t in teams):
        errors["team_ids"] = "No such team."
    elif not MIN_TEAMS <= len(ids) <= MAX_TEAMS:
        errors["team_ids"] = f"Choose {MIN_TEAMS} to {MAX_TEAMS} teams."
    if not title.strip():
        errors["title"] = "Give the retro a title."
    if retro_format not in FORMATS:
        errors["format"] = f"Choose one of: {', '.join(FORMATS)}."
    if not 1 <= vote_budget <= 10:
        errors["vote_budget"] = "Give each person 1 to 10 votes."
    if not can_create(session, actor, ids) and "team_ids" not in errors:
        raise PermissionDeniedError("A delivery manager runs a multi-team retro only across teams they all manage.")
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    when = scheduled_for or utcnow()
    multi = MultiRetro(
        title=title.strip()[:200],
        format=retro_format,
        anonymous=anonymous,
        vote_budget=vote_budget,
        facilitator_id=actor.id,
        group_id=group_id,
        scheduled_for=when,
    )
    session.add(multi)
    session.flush()
    for team in teams:
        assert team is not None
        breakout = Retro(
            team_id=team.id,
            title=f"{multi.title} · {team.name} breakout"[:200],
            format=retro_format,
            columns=FORMATS[retro_format],
            vote_budget=vote_budget,
            anonymous=anonymous,
            facilitator_id=actor.id,
            scheduled_for=when,
        )
        session.add(breakout)
        session.flush()
        multi.breakouts.append(Breakout(team_id=team.id, retro_id=breakout.id))
    session.flush()
    return multi


def get_or_raise(*, session: Session, actor: User, multi_id: int) -> MultiRetro:
    """A multi-team retro, if the actor may see its synthesis."""
    multi = session.get(MultiRetro, multi_id)
    if multi is None:
        raise NotFoundError(f"No multi-team retro with id {multi_id}.")
    if not _can_view(session, actor, multi):
        raise PermissionDeniedError("A multi-team retro is visible to its teams, its facilitator, Product Ops and admins.")
    return multi


def _require_part(session: Session, actor: User, multi_id: int) -> MultiRetro:
    multi = get_or_raise(session=session, actor=actor, multi_id=multi_id)
    if not can_take_part(session, actor, multi):
        raise PermissionDeniedError("Only the people of its teams and its facilitator take part.")
    return multi


def _require_facilitator(session: Session, actor: User, multi_id: int) -> MultiRetro:
    multi = get_or_raise(session=session, actor=actor, multi_id=multi_id)
    if not can_facilitate(actor, multi):
        raise PermissionDeniedError("Only the facilitator runs the multi-team retro.")
    return multi


def _require_phase(multi: MultiRetro, *phases: MultiPhase) -> None:
    if multi.phase not in phases:
        allowed = " or ".join(p.value for p in phases)
        raise ValidationFailedError(
            f"That is done in the {allowed} phase; the retro is in the {multi.phase.value} phase.",
            fields={"phase": multi.phase.value},
        )


def list_visible(*, session: Session, actor: User | None) -> list[MultiRetro]:
    """The multi-team retros the actor may see (all for Product Ops, admins and the command line), newest first."""
    query = select(MultiRetro).order_by(MultiRetro.scheduled_for.desc(), MultiRetro.id.desc())
    if actor is not None and actor.role not in ORGANISERS:
        mine = select(Breakout.multi_retro_id).join(Membership, Membership.team_id == Breakout.team_id)
        query = query.where(
            (MultiRetro.facilitator_id == actor.id) | MultiRetro.id.in_(mine.where(Membership.user_id == actor.id))
        )
    return list(session.scalars(query))


def _pairs(session: Session, multi: MultiRetro) -> list[tuple[Breakout, Retro]]:
    """Each breakout with its retro (deleting a breakout's retro deletes the breakout)."""
    pairs = []
    for breakout in multi.breakouts:
        retro = session.get(Retro, breakout.retro_id)
        if retro is not None:
            pairs.append((breakout, retro))
    return pairs


def _breakout_retros(session: Session, multi: MultiRetro) -> list[Retro]:
    return [retro for _breakout, retro in _pairs(session, multi)]


def advance_breakouts(*, session: Session, actor: User, multi_id: int) -> MultiRetro:
    """Move every breakout that has not voted yet to its next phase (facilitator; breakouts phase).

    The facilitator needs not see a breakout's cards to move it: each team's own delivery manager can
    also move their breakout from its board.
    """
    multi = _require_facilitator(session, actor, multi_id)
    _require_phase(multi, MultiPhase.BREAKOUTS)
    behind = [r for r in _breakout_retros(session, multi) if r.phase not in VOTED]
    if not behind:
        raise ValidationFailedError("Every breakout has voted: move on to the synthesis.", fields={"phase": "voted"})
    for retro in behind:
        retros.move_on(session, retro)
    _touch(multi)
    session.flush()
    return multi


def _carry_over(session: Session, multi: MultiRetro) -> None:
    """The breakouts' themes onto the synthesis, most voted first, with their votes and team. No card: a
    loose card that became a theme of its own when voting started stays with its team."""
    carried: list[tuple[int, str, dict[str, Any]]] = []
    for breakout, retro in _pairs(session, multi):
        counts: dict[int, int] = defaultdict(int)
        for v in session.scalars(select(Vote).where(Vote.retro_id == retro.id)):
            counts[v.theme_id] += 1
        private = card_titled(retro)
        for theme in retro.themes:
            if theme.id in private:
                continue
            source = {"team_id": breakout.team_id, "theme_id": theme.id, "votes": counts.get(theme.id, 0)}
            carried.append((counts.get(theme.id, 0), theme.title, source))
    for _votes, title, source in sorted(carried, key=lambda c: (-c[0], c[2]["team_id"], c[2]["theme_id"])):
        multi.themes.append(SynthesisTheme(title=title, sources=[source], notes=""))


def advance(*, session: Session, actor: User, multi_id: int) -> MultiRetro:
    """Move to the next phase (facilitator). The synthesis starts once every breakout has voted, and
    carries their themes over; finishing finishes the breakouts too (each posts its team's summary)."""
    multi = _require_facilitator(session, actor, multi_id)
    following = multi.phase.next()
    if following is None:
        raise ValidationFailedError("The retro is finished.", fields={"phase": "finished"})
    if following is MultiPhase.SYNTHESIS:
        names = {t.id: t.name for t in session.scalars(select(Team).where(Team.id.in_(_team_ids(multi))))}
        waiting = [names.get(b.team_id, "?") for b, r in _pairs(session, multi) if r.phase not in VOTED]
        if waiting:
            raise ValidationFailedError(
                f"Still to vote in their breakout: {', '.join(waiting)}.", fields={"phase": "breakouts not voted"}
            )
        _carry_over(session, multi)
    multi.phase = following
    if following is MultiPhase.FINISHED:
        multi.finished_at = utcnow()
        for retro in _breakout_retros(session, multi):  # the breakouts end with it, read-only from now on
            while retro.phase is not Phase.FINISHED:
                retros.move_on(session, retro)
    _touch(multi)
    session.flush()
    return multi


def _theme(multi: MultiRetro, theme_id: int) -> SynthesisTheme:
    theme = next((t for t in multi.themes if t.id == theme_id), None)
    if theme is None:
        raise ValidationFailedError("No such theme in this retro.", fields={"theme": "unknown"})
    return theme


def merge_themes(*, session: Session, actor: User, multi_id: int, theme_id: int, into_id: int) -> str:
    """Merge a theme into another (facilitator; synthesis or vote phase): its sources and votes move over."""
    multi = _require_facilitator(session, actor, multi_id)
    _require_phase(multi, MultiPhase.SYNTHESIS, MultiPhase.VOTE)
    source, target = _theme(multi, theme_id), _theme(multi, into_id)
    if source.id == target.id:
        raise ValidationFailedError("Choose another theme to merge into.", fields={"into_id": "same"})
    target.sources = [*target.sources, *source.sources]
    for v in session.scalars(select(SynthesisVote).where(SynthesisVote.theme_id == source.id)):
        v.theme_id = target.id
    session.flush()
    multi.themes.remove(source)
    session.delete(source)
    _touch(multi)
    session.flush()
    return f"The theme \u201c{source.title}\u201d was merged into \u201c{target.title}\u201d."


def rename_theme(*, session: Session, actor: User, multi_id: int, theme_id: int, title: str) -> SynthesisTheme:
    """Rename a synthesis theme (facilitator; synthesis to actions phases)."""
    multi = _require_facilitator(session, actor, multi_id)
    _require_phase(multi, MultiPhase.SYNTHESIS, MultiPhase.VOTE, MultiPhase.ACTIONS)
    theme = _theme(multi, theme_id)
    if not title.strip():
        raise ValidationFailedError("Give the theme a title.", fields={"title": "empty"})
    theme.title = title.strip()[:200]
    _touch(multi)
    session.flush()
    return theme


def _voter(token: str, multi_id: int) -> str:
    return _hash(f"{token}:multi-retro:{multi_id}")


def vote(*, session: Session, actor: User, multi_id: int, token: str, theme_id: int, add: bool = True) -> int:
    """Vote on a synthesis theme within the budget, or take a vote back (vote phase); the votes left.

    ``token`` is the voter's vote token (``participants.vote_token`` for MULTI_RETRO): one per person per
    multi-team retro, so the budget is the person's whatever session they vote from."""
    multi = _require_part(session, actor, multi_id)
    _require_phase(multi, MultiPhase.VOTE)
    _theme(multi, theme_id)
    voter = _voter(token, multi.id)
    mine = list(
        session.scalars(select(SynthesisVote).where(SynthesisVote.multi_retro_id == multi.id, SynthesisVote.voter_token == voter))
    )
    if add:
        if len(mine) >= multi.vote_budget:
            raise ValidationFailedError(f"You have used your {multi.vote_budget} votes.", fields={"votes": "none left"})
        session.add(SynthesisVote(multi_retro_id=multi.id, theme_id=theme_id, voter_token=voter))
        left = multi.vote_budget - len(mine) - 1
    else:
        on_theme = [v for v in mine if v.theme_id == theme_id]
        if on_theme:
            session.delete(on_theme[0])
        left = multi.vote_budget - len(mine) + (1 if on_theme else 0)
    _touch(multi)
    session.flush()
    return left


def add_action(
    *,
    session: Session,
    actor: User,
    multi_id: int,
    title: str,
    team_id: int,
    owner_id: int | None = None,
    due_date: date | None = None,
    theme_id: int | None = None,
) -> ImprovementAction:
    """An action decided on the synthesis, owned by one of its teams (actions phase): it joins that team's
    ledger of improvement actions, linked to the team's breakout. Without a due date it is due in two weeks."""
    multi = _require_part(session, actor, multi_id)
    _require_phase(multi, MultiPhase.ACTIONS)
    breakout = next((b for b in multi.breakouts if b.team_id == team_id), None)
    if breakout is None:
        raise ValidationFailedError("Choose one of the retro's teams to own the action.", fields={"team_id": "not in it"})
    if theme_id is not None:
        _theme(multi, theme_id)
    if (
        owner_id is not None
        and session.scalar(select(Membership.id).where(Membership.team_id == team_id, Membership.user_id == owner_id)) is None
    ):
        raise ValidationFailedError("The owner must be one of the owning team's people.", fields={"owner_id": "not in the team"})
    action = actions.create(
        session=session,
        actor=None,  # checked above: a participant decides it for one of the retro's teams
        team_id=team_id,
        title=title,
        source="retro",
        owner_id=owner_id,
        due_date=due_date or (utcnow() + timedelta(days=14)).date(),
    )
    action.retro_id = breakout.retro_id
    session.add(SynthesisAction(multi_retro_id=multi.id, action_id=action.id, theme_id=theme_id))
    _touch(multi)
    session.flush()
    return action


def live_version(session: Session, multi: MultiRetro) -> int:
    """What the live stream follows: the synthesis's version plus its breakouts' (so their phases show live)."""
    return (multi.version or 0) + sum(r.version or 0 for r in _breakout_retros(session, multi))


def summaries(session: Session, rows: list[MultiRetro]) -> list[MultiRetroSummary]:
    """The list rows, with their teams' names."""
    names: dict[int, str] = dict(session.execute(select(Team.id, Team.name)).all())
    return [
        MultiRetroSummary(id=m.id, title=m.title, phase=m.phase.value, teams=[names.get(b.team_id, "") for b in m.breakouts])
        for m in rows
    ]


def _people(session: Session, team_ids: list[int]) -> dict[int, list[TeamPersonRead]]:
    """Each team's people (id and name, by name): those who may own the team's actions."""
    rows = session.execute(
        select(Membership.team_id, User.id, User.name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.team_id.in_(team_ids))
        .order_by(User.name, User.id)
    )
    found: dict[int, list[TeamPersonRead]] = defaultdict(list)
    for team_id, user_id, name in rows:
        found[team_id].append(TeamPersonRead(id=user_id, name=name))
    return found


def state(session: Session, multi: MultiRetro, *, actor: User, token: str) -> MultiRetroRead:
    """What one viewer sees: the breakouts' progress (a link only to the viewer's own team's),
    the synthesis themes with their source teams and breakout votes, synthesis vote counts hidden while
    voting, and the actions with their owning team; in the actions phase, to those taking part, each team's
    people (who may own its actions). Never a card, never an author. ``token`` is the viewer's vote token."""
    team_ids = _team_ids(multi)
    names = {t.id: t.name for t in session.scalars(select(Team).where(Team.id.in_(team_ids)))}
    own = _own_team_ids(session, actor, team_ids)
    breakouts = [
        BreakoutRead(
            team_id=breakout.team_id,
            team=names.get(breakout.team_id, ""),
            phase=retro.phase.value,
            voted=retro.phase in VOTED,
            private_themes=len(card_titled(retro)) if retro.phase in VOTED else 0,
            retro_id=retro.id if breakout.team_id in own else None,
        )
        for breakout, retro in _pairs(session, multi)
    ]
    voter = _voter(token, multi.id)
    votes = list(session.scalars(select(SynthesisVote).where(SynthesisVote.multi_retro_id == multi.id)))
    counts: dict[int, int] = defaultdict(int)
    for v in votes:
        counts[v.theme_id] += 1
    show_counts = multi.phase in (MultiPhase.ACTIONS, MultiPhase.FINISHED)
    ordered = list(multi.themes)
    if show_counts:
        ordered.sort(key=lambda t: (-counts.get(t.id, 0), -sum(int(s.get("votes", 0)) for s in t.sources)))
    themes = [
        SynthesisThemeRead(
            id=t.id,
            title=t.title,
            teams=sorted({names.get(s["team_id"], "") for s in t.sources}),
            breakout_votes=sum(int(s.get("votes", 0)) for s in t.sources),
            votes=counts.get(t.id, 0) if show_counts else None,
            my_votes=sum(1 for v in votes if v.theme_id == t.id and v.voter_token == voter),
        )
        for t in ordered
    ]
    links = session.scalars(
        select(SynthesisAction).where(SynthesisAction.multi_retro_id == multi.id).order_by(SynthesisAction.id)
    )
    decided = []
    for link in links:
        action = session.get(ImprovementAction, link.action_id)
        if action is None:
            continue
        owner = session.get(User, action.owner_id) if action.owner_id else None
        decided.append(
            SynthesisActionRead(
                id=action.id,
                title=action.title,
                team=names.get(action.team_id, ""),
                owner=owner.name if owner else None,
                due_date=action.due_date,
                status=action.status.value,
            )
        )
    taking_part = can_take_part(session, actor, multi)
    people = _people(session, team_ids) if taking_part and multi.phase is MultiPhase.ACTIONS else {}
    return MultiRetroRead(
        id=multi.id,
        title=multi.title,
        phase=multi.phase.value,
        phases=[p.value for p in MultiPhase],
        version=live_version(session, multi),
        anonymous=multi.anonymous,
        vote_budget=multi.vote_budget,
        votes_left=multi.vote_budget - sum(1 for v in votes if v.voter_token == voter),
        facilitating=can_facilitate(actor, multi),
        taking_part=taking_part,
        teams=[MultiRetroTeamRead(id=i, name=names.get(i, ""), people=people.get(i, [])) for i in team_ids],
        breakouts=breakouts,
        themes=themes,
        actions=decided,
    )
