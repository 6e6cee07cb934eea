"""What people taught the similarity: pair decisions (same problem / different problems) and synonyms.

Every decision Product Ops takes on a cluster (confirm, reject, split, merge, move an impediment)
is kept as **pair decisions** between the impediments involved; the latest decision about a pair
counts. Clustering reads them (``Decisions``): pairs decided "different" are never proposed together
again, pairs decided "same" stay together and their group pulls in the impediments that resemble it.

Admins add the organisation's own terms as **synonyms** ("CAB" → "change advisory board", a tool or
team name → what it is); the similarity reads each impediment with the meanings of its terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import combinations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.analytics.similarity.blended import Decisions
from deliveryops.db import utcnow
from deliveryops.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments.models import PairDecision, Synonym

__all__ = ["add_synonym", "decisions_among", "list_synonyms", "pair_decision_count", "record", "record_groups", "remove_synonym"]

SAME = "same"
DIFFERENT = "different"


def record(
    session: Session,
    *,
    pairs: Iterable[tuple[int, int]],
    verdict: str,
    source: str,
    actor: User | None,
    now: datetime | None = None,
) -> int:
    """Keep a decision about pairs of impediments (replacing an earlier decision about the same pair).

    Args:
        session: the unit of work.
        pairs: impediment id pairs (order does not matter; a pair of one id with itself is ignored).
        verdict: ``"same"`` or ``"different"``.
        source: what the person did (confirm, reject, split, merge, move).
        actor: who decided.
        now: the clock.

    Returns:
        How many pairs were recorded.
    """
    if verdict not in (SAME, DIFFERENT):
        raise ValueError(f"verdict must be same or different, got {verdict!r}")
    wanted = {(min(first, second), max(first, second)) for first, second in pairs if first != second}
    if not wanted:
        return 0
    moment = now or utcnow()
    ids = sorted({identifier for pair in wanted for identifier in pair})
    existing = {
        (row.first_id, row.second_id): row
        for row in session.scalars(select(PairDecision).where(PairDecision.first_id.in_(ids), PairDecision.second_id.in_(ids)))
    }
    for first, second in sorted(wanted):
        row = existing.get((first, second))
        if row is None:
            session.add(
                PairDecision(
                    first_id=first,
                    second_id=second,
                    verdict=verdict,
                    source=source,
                    actor_id=actor.id if actor else None,
                    at=moment,
                )
            )
        else:
            row.verdict, row.source, row.actor_id, row.at = verdict, source, actor.id if actor else None, moment
    session.flush()
    return len(wanted)


def record_groups(
    session: Session, *, groups: Sequence[Sequence[int]], source: str, actor: User | None, now: datetime | None = None
) -> None:
    """Decide each group one problem ("same" within) and the groups different problems ("different" across)."""
    for group in groups:
        record(session, pairs=combinations(group, 2), verdict=SAME, source=source, actor=actor, now=now)
    for first, second in combinations(groups, 2):
        record(session, pairs=((a, b) for a in first for b in second), verdict=DIFFERENT, source=source, actor=actor, now=now)


def decisions_among(session: Session, impediment_ids: Sequence[int]) -> Decisions:
    """The pair decisions between the given impediments, as positions in ``impediment_ids``."""
    position = {identifier: index for index, identifier in enumerate(impediment_ids)}
    same: list[tuple[int, int]] = []
    different: list[tuple[int, int]] = []
    if len(position) < 2:
        return Decisions()
    rows = session.execute(select(PairDecision.first_id, PairDecision.second_id, PairDecision.verdict))
    for first, second, verdict in rows:
        if first in position and second in position:
            (same if verdict == SAME else different).append((position[first], position[second]))
    return Decisions(tuple(same), tuple(different))


def _require_admin(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.ADMIN:
        raise PermissionDeniedError("Only admins edit the organisation's synonyms.")


def list_synonyms(session: Session) -> list[Synonym]:
    """The organisation's synonyms, by term."""
    return list(session.scalars(select(Synonym).order_by(func.lower(Synonym.term))))


def add_synonym(session: Session, *, actor: User | None, term: str, meaning: str, now: datetime | None = None) -> Synonym:
    """Add an organisation term and its meaning (admins).

    Args:
        session: the unit of work.
        actor: who adds it (``None``: a trusted local caller).
        term: the word, acronym, tool or team name as teams write it ("CAB", "Splunk").
        meaning: what it means, in plain words ("change advisory board", "production logs").
        now: the clock.

    Returns:
        The new synonym.
    """
    _require_admin(actor)
    term, meaning = term.strip(), meaning.strip()
    errors = {}
    if not term:
        errors["term"] = "Write the term as teams write it."
    elif len(term) > 100:
        errors["term"] = "Use at most 100 characters."
    if not meaning:
        errors["meaning"] = "Say what the term means."
    elif len(meaning) > 200:
        errors["meaning"] = "Use at most 200 characters."
    elif term and term.casefold() == meaning.casefold():
        errors["meaning"] = "The meaning must say more than the term itself."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    # The exact term too: SQLite's lower() changes only ASCII letters, so "ÅR" would not match "år".
    same = or_(Synonym.term == term, func.lower(Synonym.term) == term.lower())
    if session.scalar(select(Synonym.id).where(same)) is not None:
        raise ConflictError(f"“{term}” is a synonym already.")
    synonym = Synonym(term=term, meaning=meaning, created_by_id=actor.id if actor else None, created_at=now or utcnow())
    session.add(synonym)
    session.flush()
    return synonym


def remove_synonym(session: Session, *, actor: User | None, synonym_id: int) -> None:
    """Remove a synonym (admins)."""
    _require_admin(actor)
    synonym = session.get(Synonym, synonym_id)
    if synonym is None:
        raise NotFoundError(f"No synonym with id {synonym_id}.")
    session.delete(synonym)
    session.flush()


def pair_decision_count(session: Session) -> dict[str, int]:
    """How many pairs are decided "same" and "different" (shown on the clusters page)."""
    counts = dict.fromkeys((SAME, DIFFERENT), 0)
    for verdict, count in session.execute(select(PairDecision.verdict, func.count()).group_by(PairDecision.verdict)):
        counts[verdict] = count
    return counts
