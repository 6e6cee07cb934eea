"""The demo's organisation synonyms, and its blocked items linked to the impediments that describe them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from deliveryops.impediments import blockers, clusters, decisions, embeddings

# What an admin of the demo organisation added: its tool names and acronyms, in plain words.
SYNONYMS = (
    ("PSP", "payment service provider"),
    ("Splunk", "production logs"),
    ("Kibana", "production logs"),
    ("CAB", "change advisory board"),
    ("BigQuery", "data warehouse"),
)


def build_impediment_learning(session: Session, *, now: datetime, seed: int) -> int:
    """Add the synonyms, compute the vectors, link blocked items, refresh the clusters; returns the links made."""
    del seed  # nothing random here
    for term, meaning in SYNONYMS:
        decisions.add_synonym(session, actor=None, term=term, meaning=meaning, now=now)
    embeddings.refresh(session=session, now=now)
    done = blockers.propose_links(session, now=now)
    clusters.propose(session, now=now)
    return done.linked + done.proposed
