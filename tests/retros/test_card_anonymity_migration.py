"""Migration 0018_sessions makes existing anonymous cards unlinkable across retros and keeps their day only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.migrate import upgrade
from deliveryops.retros.models import Card, Retro
from tests.factories import make_team

OLD_TOKEN = "f" * 64  # one browser session's token, the same in every retro before the change


def test_existing_cards_get_a_token_per_retro_and_a_day(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0016")
    written = datetime(2026, 3, 2, 14, 37, 12, 345678, tzinfo=UTC)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        team = make_team(session)
        for title in ("Sprint 1", "Sprint 2"):
            # Only the columns the table had then (the model has gained some since).
            values = {"team_id": team.id, "title": title, "format": "start-stop-continue", "columns": ["Stop"]}
            retro_id = session.execute(insert(Retro).values(values).returning(Retro.id)).scalar_one()
            for text in ("a", "b"):
                session.add(Card(retro_id=retro_id, column="Stop", text=text, writer_token=OLD_TOKEN, created_at=written))
    upgrade(engine)
    with unit_of_work(factory) as session:
        cards = list(session.scalars(select(Card).order_by(Card.id)))
    tokens = [card.writer_token for card in cards]
    assert OLD_TOKEN not in tokens
    assert tokens[0] == tokens[1]
    assert tokens[2] == tokens[3]
    assert tokens[0] != tokens[2]
    assert {card.created_at for card in cards} == {datetime(2026, 3, 2, tzinfo=UTC)}
    engine.dispose()
