"""Stored sentence vectors of impediment texts and blocker reasons: the text each is computed from, lookup, refresh.

A vector is stored once per distinct text (``TextVector``, keyed by the hash of the model and the
exact text), so an impediment whose title, description, category or the organisation's synonyms
change simply has a new text, whose vector is computed by the next :func:`refresh` (or on first use).

**Job hook**: :func:`refresh` is the background work: call ``impediments.embeddings.refresh(session=...)``
after an impediment is raised or edited and after a synonym is added or removed. Until a job queue
runs it, :func:`vectors` computes missing vectors on first use (before clustering, and when a new
impediment is checked against the others), so nothing is ever missing, only slower the first time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.analytics.similarity import embeddings as sentence_model
from deliveryops.analytics.similarity.blended import expand_synonyms
from deliveryops.db import utcnow
from deliveryops.impediments.models import Category, Impediment, Synonym, TextVector
from deliveryops.work.models import BlockedInterval

__all__ = ["impediment_texts", "organisation_synonyms", "reason_text", "refresh", "text_hash", "vectors"]

_LOOKUP_CHUNK = 500


def organisation_synonyms(session: Session) -> list[tuple[str, str]]:
    """The organisation's (term, meaning) pairs, longest term first."""
    rows = session.execute(select(Synonym.term, Synonym.meaning)).all()
    return sorted(((term, meaning) for term, meaning in rows), key=lambda pair: (-len(pair[0]), pair[0].casefold()))


def impediment_texts(
    session: Session, impediments: Sequence[Impediment], synonyms: list[tuple[str, str]] | None = None
) -> list[str]:
    """The text the similarity reads for each impediment: title, description, category, synonyms' meanings."""
    categories = {category.id: category.name for category in session.scalars(select(Category))}
    known = organisation_synonyms(session) if synonyms is None else synonyms
    texts = []
    for impediment in impediments:
        parts = (impediment.title, impediment.description, categories.get(impediment.category_id or -1, ""))
        texts.append(expand_synonyms(" ".join(part for part in parts if part), known))
    return texts


def reason_text(reason: str, synonyms: list[tuple[str, str]]) -> str:
    """The text the similarity reads for a blocked interval's reason."""
    return expand_synonyms(reason.strip(), synonyms)


def text_hash(text: str) -> str:
    """The key of a text's vector: the model and the exact text."""
    return hashlib.sha256(f"{sentence_model.MODEL_ID}\n{text}".encode()).hexdigest()


def vectors(session: Session, texts: Sequence[str], *, compute_missing: bool = True) -> npt.NDArray[np.float32] | None:
    """The stored vectors of ``texts`` (missing ones computed and stored), or ``None`` without the model.

    Args:
        session: the unit of work (new vectors are added and flushed).
        texts: the texts, as :func:`impediment_texts` or :func:`reason_text` make them.
        compute_missing: compute the vectors not stored yet (else ``None`` when one is missing).

    Returns:
        ``len(texts)`` × 384 float32 array, or ``None`` when the sentence model is not installed.
    """
    if not sentence_model.available():
        return None
    hashes = [text_hash(text) for text in texts]
    found: dict[str, npt.NDArray[np.float32]] = {}
    unique = sorted(set(hashes))
    for start in range(0, len(unique), _LOOKUP_CHUNK):
        chunk = unique[start : start + _LOOKUP_CHUNK]
        for key, blob in session.execute(select(TextVector.text_hash, TextVector.vector).where(TextVector.text_hash.in_(chunk))):
            found[key] = np.frombuffer(blob, dtype="<f4")
    missing = {key: text for key, text in zip(hashes, texts, strict=True) if key not in found}
    if missing:
        if not compute_missing:
            return None
        keys = sorted(missing)
        computed = sentence_model.encode([missing[key] for key in keys])
        moment = utcnow()
        for key, vector in zip(keys, computed, strict=True):
            found[key] = vector
            session.add(
                TextVector(
                    text_hash=key, model=sentence_model.MODEL_ID, vector=vector.astype("<f4").tobytes(), computed_at=moment
                )
            )
        session.flush()
    if not texts:
        return np.zeros((0, sentence_model.DIMENSIONS), dtype=np.float32)
    return np.vstack([found[key] for key in hashes]).astype(np.float32)


def refresh(*, session: Session, now: datetime | None = None, reason_days: int = 90) -> int:
    """Compute every missing vector: open impediments, and the reasons of recent blocked intervals.

    The background job (see the module docstring).

    Args:
        session: the unit of work.
        now: the clock.
        reason_days: blocked intervals that ended more than this many days ago are not read.

    Returns:
        How many vectors were computed (0 without the sentence model).
    """
    if not sentence_model.available():
        return 0
    moment = now or utcnow()
    synonyms = organisation_synonyms(session)
    impediments = [row for row in session.scalars(select(Impediment)) if not row.status.is_closed]
    texts = impediment_texts(session, impediments, synonyms)
    reasons = session.scalars(
        select(BlockedInterval.reason)
        .distinct()
        .where(
            BlockedInterval.reason != "",
            (BlockedInterval.end.is_(None)) | (BlockedInterval.end >= moment - timedelta(days=reason_days)),
        )
    )
    texts.extend(reason_text(reason, synonyms) for reason in reasons)
    wanted = {text_hash(text): text for text in texts}
    keys = sorted(wanted)
    stored: set[str] = set()
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[start : start + _LOOKUP_CHUNK]
        stored.update(session.scalars(select(TextVector.text_hash).where(TextVector.text_hash.in_(chunk))))
    missing = [text for key, text in wanted.items() if key not in stored]
    if missing:
        vectors(session, missing)
    return len(missing)
