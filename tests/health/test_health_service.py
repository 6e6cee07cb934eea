"""Health checks: anonymity, the minimum group size, double answers, template versions, scope (both DBs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from deliveryops.health import catalog, crossteam, service
from deliveryops.health.catalog import CardIn
from deliveryops.health.models import (
    Colour,
    HealthComment,
    HealthParticipation,
    HealthRound,
    HealthRoundCard,
    HealthTally,
    Trend,
)
from deliveryops.health.service import AnswerIn, CardStreak, RoundScore
from deliveryops.teams.models import Team, TeamRole
from tests.factories import join, make_team, make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
G, A, R = Colour.GREEN, Colour.AMBER, Colour.RED


@dataclass
class Squad:
    team: Team
    dm: User
    members: list[User]


def squad(session: Session, size: int = 4, name: str | None = None) -> Squad:
    team = make_team(session, name=name)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    members = [make_user(session) for _ in range(size)]
    for member in members:
        join(session, team, member)
    return Squad(team, dm, members)


def two_card_template(session: Session, actor: User, name: str = "Short") -> int:
    return catalog.create_template(
        session=session,
        actor=actor,
        name=name,
        cards=[CardIn("speed", "Speed", "Fast", "Slow"), CardIn("fun", "Fun", "Joy", "Dull")],
    ).id


def run_round(
    session: Session, s: Squad, answers: list[dict[str, AnswerIn]], *, at: datetime, template_id: int | None = None
) -> HealthRound:
    health_round = service.open_round(session=session, actor=s.dm, team_id=s.team.id, template_id=template_id, now=at)
    for member, answer in zip(s.members, answers, strict=False):
        service.submit_answers(session=session, actor=member, round_id=health_round.id, answers=answer, now=at)
    service.close_round(session=session, actor=s.dm, round_id=health_round.id, now=at + timedelta(days=3))
    return health_round


def same(speed: Colour, fun: Colour, trend: Trend = Trend.SAME, comment: str = "") -> dict[str, AnswerIn]:
    return {"speed": AnswerIn(speed, trend, comment), "fun": AnswerIn(fun, trend)}


def test_default_template_exists_after_migration_with_the_standard_cards(session: Session) -> None:
    [template, *_] = catalog.list_templates(session=session)
    assert (template.name, template.is_default) == ("Squad Health Check", True)
    assert [c.key for c in template.cards] == [
        "easy_to_release",
        "suitable_process",
        "tech_quality",
        "value",
        "speed",
        "mission",
        "fun",
        "learning",
        "support",
        "pawns_or_players",
    ]
    assert template.cards[0].awesome == "Releasing is simple, safe, painless and mostly automated."
    assert template.cards[0].crappy == "Releasing is risky, painful, lots of manual work, and takes forever."


def test_no_author_or_correlatable_data_is_stored(session: Session) -> None:
    s = squad(session)
    health_round = service.open_round(session=session, actor=s.dm, team_id=s.team.id, now=T0)
    answers = {c.key: AnswerIn(G, Trend.BETTER, f"note on {c.key}") for c in health_round.cards}
    service.submit_answers(session=session, actor=s.members[0], round_id=health_round.id, answers=answers, now=T0)
    # The schema: answers live only as tallies and comments, which carry no person, time or sequence.
    inspector = inspect(session.connection())
    assert {c["name"] for c in inspector.get_columns("health_tallies")} == {"round_card_id", "colour", "trend", "count"}
    assert {c["name"] for c in inspector.get_columns("health_comments")} == {"id", "round_card_id", "text"}
    assert {c["name"] for c in inspector.get_columns("health_participations")} == {"round_id", "user_id"}
    assert inspector.get_foreign_keys("health_comments")[0]["referred_table"] == "health_round_cards"
    assert [fk["referred_table"] for fk in inspector.get_foreign_keys("health_tallies")] == ["health_round_cards"]
    # The data: the one answer is a count, the participation names nobody's answers.
    counts = session.execute(select(HealthTally.colour, HealthTally.trend, HealthTally.count).where(HealthTally.count > 0)).all()
    assert (sorted(set(counts)), len(counts)) == ([(G, Trend.BETTER, 1)], 10)
    assert session.execute(select(HealthParticipation.round_id, HealthParticipation.user_id)).all() == [
        (health_round.id, s.members[0].id)
    ]
    ids = list(session.scalars(select(HealthComment.id)))
    assert len(ids) == 10
    assert min(ids) > 10_000  # random 62-bit ids, not a sequence
    # Closing writes comments and participations again: new random ids.
    service.close_round(session=session, actor=s.dm, round_id=health_round.id, now=T0 + timedelta(days=1))
    assert set(session.scalars(select(HealthComment.id))).isdisjoint(ids)
    assert sorted(session.scalars(select(HealthComment.text))) == sorted(f"note on {c.key}" for c in health_round.cards)


def test_answers_are_stored_in_no_recoverable_order(session: Session) -> None:
    s = squad(session, size=3)
    template_id = two_card_template(session, s.dm)
    health_round = service.open_round(session=session, actor=s.dm, team_id=s.team.id, template_id=template_id, now=T0)
    for index, member in enumerate(reversed(s.members)):
        service.submit_answers(
            session=session, actor=member, round_id=health_round.id, answers=same(G, G, comment=f"comment {index}"), now=T0
        )
    service.close_round(session=session, actor=s.dm, round_id=health_round.id, now=T0 + timedelta(days=1))
    session.expire_all()
    # Participations are stored in key order (person id), whatever order they answered in.
    stored = [
        row[0]
        for row in session.execute(text("SELECT user_id FROM health_participations WHERE round_id = :r"), {"r": health_round.id})
    ]
    assert stored == sorted(m.id for m in s.members)


def test_a_second_answer_is_refused_and_nothing_changes(session: Session) -> None:
    s = squad(session)
    template_id = two_card_template(session, s.dm)
    health_round = service.open_round(session=session, actor=s.dm, team_id=s.team.id, template_id=template_id, now=T0)
    service.submit_answers(session=session, actor=s.members[0], round_id=health_round.id, answers=same(G, R), now=T0)
    with pytest.raises(ConflictError) as info:
        service.submit_answers(session=session, actor=s.members[0], round_id=health_round.id, answers=same(R, R), now=T0)
    assert info.value.message == (
        "You have answered this health check already. Answers cannot be changed: nothing links them to you."
    )
    assert (
        session.scalar(
            select(func.sum(HealthTally.count)).join(HealthRoundCard).where(HealthRoundCard.round_id == health_round.id)
        )
        == 2
    )  # one answer, two cards
    assert service.respondent_count(session, health_round.id) == 1


def test_who_answers_and_what_is_refused(session: Session) -> None:
    s = squad(session)
    other = squad(session)
    template_id = two_card_template(session, s.dm)
    health_round = service.open_round(session=session, actor=s.dm, team_id=s.team.id, template_id=template_id, now=T0)
    with pytest.raises(PermissionDeniedError, match="Delivery managers facilitate the health check"):
        service.submit_answers(session=session, actor=s.dm, round_id=health_round.id, answers=same(G, G), now=T0)
    with pytest.raises(PermissionDeniedError, match="You are not in this team"):
        service.submit_answers(session=session, actor=other.members[0], round_id=health_round.id, answers=same(G, G), now=T0)
    with pytest.raises(PermissionDeniedError, match="Only the team's members answer"):
        service.submit_answers(
            session=session, actor=make_user(session, role=Role.ADMIN), round_id=health_round.id, answers=same(G, G), now=T0
        )
    with pytest.raises(ValidationFailedError) as missing:
        service.submit_answers(
            session=session, actor=s.members[0], round_id=health_round.id, answers={"speed": AnswerIn(G, Trend.SAME)}, now=T0
        )
    assert missing.value.message == "Answer every card (1 still needs a colour and a trend)."
    assert missing.value.fields == {"fun": "Choose a colour and a trend for Fun."}
    assert service.respondent_count(session, health_round.id) == 0  # nothing half-written
    with pytest.raises(PermissionDeniedError, match="Only the team's delivery manager or an admin opens"):
        service.open_round(session=session, actor=s.members[0], team_id=s.team.id, now=T0)
    with pytest.raises(ConflictError, match="has an open health check already"):
        service.open_round(session=session, actor=s.dm, team_id=s.team.id, now=T0)
    with pytest.raises(PermissionDeniedError, match="Only the team's delivery manager or an admin closes"):
        service.close_round(session=session, actor=s.members[0], round_id=health_round.id, now=T0)
    service.close_round(session=session, actor=s.dm, round_id=health_round.id, now=T0 + timedelta(days=2))
    with pytest.raises(ValidationFailedError, match=r"This health check closed on 2026-03-04; it takes no more"):
        service.submit_answers(
            session=session, actor=s.members[1], round_id=health_round.id, answers=same(G, G), now=T0 + timedelta(days=3)
        )


def test_a_round_closes_by_itself_at_its_closing_time(session: Session) -> None:
    s = squad(session)
    health_round = service.open_round(session=session, actor=s.dm, team_id=s.team.id, now=T0, closes_at=T0 + timedelta(days=5))
    assert service.closed_at_of(health_round, T0 + timedelta(days=4)) is None
    later = service.get_round_or_raise(session=session, actor=s.dm, round_id=health_round.id, now=T0 + timedelta(days=6))
    assert later.closed_at == T0 + timedelta(days=5)
    with pytest.raises(ValidationFailedError) as info:
        service.open_round(session=session, actor=s.dm, team_id=s.team.id, now=T0, closes_at=T0)
    assert info.value.fields == {"closes_at": "Choose a closing time in the future."}


def test_results_only_from_the_minimum_number_of_respondents(session: Session) -> None:
    s = squad(session, size=4)
    template_id = two_card_template(session, s.dm)
    run_round(session, s, [same(G, R), same(A, R)], at=T0, template_id=template_id)  # 2 respondents: hidden
    [hidden] = service.team_history(session, team_id=s.team.id, min_group_size=3)
    assert (hidden.shown, hidden.cards, hidden.overall) == (False, [], None)
    assert service.team_trend(session, team_id=s.team.id, min_group_size=3) == []
    assert service.card_streaks(session, team_id=s.team.id, min_group_size=3) == []
    csv_text = service.export_csv(session, team_id=s.team.id, min_group_size=3)
    assert csv_text.splitlines()[1] == (
        f"{hidden.round_id},Health check March 2026,2026-03-05T09:00:00+00:00,,,,,,,,,,,hidden: fewer than 3 respondents,"
    )
    # With a minimum of 2 the same round is shown.
    [shown] = service.team_history(session, team_id=s.team.id, min_group_size=2)
    assert (shown.shown, shown.respondents) == (True, 2)


def test_scores_colours_change_streaks_and_trend(session: Session) -> None:
    s = squad(session, size=4)
    template_id = two_card_template(session, s.dm)
    first = run_round(session, s, [same(G, R), same(G, R), same(A, R), same(G, A, Trend.WORSE)], at=T0, template_id=template_id)
    second = run_round(
        session,
        s,
        [same(R, R), same(A, R), same(R, A), same(G, R, Trend.WORSE)],
        at=T0 + timedelta(days=40),
        template_id=template_id,
    )
    history = service.team_history(session, team_id=s.team.id, min_group_size=3)
    speed_1, fun_1 = history[0].cards
    assert (speed_1.colours, speed_1.score, speed_1.colour, speed_1.change) == (
        {"green": 3, "amber": 1, "red": 0},
        0.875,
        G,
        None,
    )
    assert (fun_1.score, fun_1.colour, fun_1.trends) == (0.125, R, {"better": 0, "same": 3, "worse": 1})
    assert fun_1.trend_balance == -0.25
    speed_2, fun_2 = history[1].cards
    assert (speed_2.score, speed_2.colour, speed_2.change) == (0.375, R, -0.5)
    assert (fun_2.score, fun_2.colour, fun_2.change) == (0.125, R, 0.0)
    assert (history[1].overall, history[1].previous_round_id) == (0.25, first.id)
    assert service.team_trend(session, team_id=s.team.id, min_group_size=3) == [
        RoundScore(first.id, T0 + timedelta(days=3), 0.5, 4),
        RoundScore(second.id, T0 + timedelta(days=43), 0.25, 4),
    ]
    assert service.card_streaks(session, team_id=s.team.id, min_group_size=3) == [
        CardStreak("fun", "Fun", 2, second.id, T0 + timedelta(days=43)),
        CardStreak("speed", "Speed", 1, second.id, T0 + timedelta(days=43)),
    ]


def test_a_hidden_round_is_skipped_by_changes_and_streaks(session: Session) -> None:
    s = squad(session, size=3)
    template_id = two_card_template(session, s.dm)
    run_round(session, s, [same(R, G)] * 3, at=T0, template_id=template_id)
    run_round(session, s, [same(G, G)] * 1, at=T0 + timedelta(days=30), template_id=template_id)  # hidden
    last = run_round(session, s, [same(R, G)] * 3, at=T0 + timedelta(days=60), template_id=template_id)
    history = service.team_history(session, team_id=s.team.id, min_group_size=3)
    assert [h.shown for h in history] == [True, False, True]
    assert history[2].cards[0].change == 0.0
    assert service.card_streaks(session, team_id=s.team.id, min_group_size=3) == [
        CardStreak("speed", "Speed", 2, last.id, T0 + timedelta(days=63))
    ]


def test_template_edits_do_not_change_past_rounds(session: Session) -> None:
    s = squad(session, size=3)
    template_id = two_card_template(session, s.dm)
    past = run_round(session, s, [same(G, G)] * 3, at=T0, template_id=template_id)
    template = catalog.update_template(
        session=session,
        actor=s.dm,
        template_id=template_id,
        name="Short v2",
        cards=[CardIn("fun", "Fun!", "Joy", "Dull"), CardIn("teamwork", "Teamwork", "Together", "Alone")],
    )
    assert (template.version, [c.key for c in template.cards]) == (2, ["fun", "teamwork"])
    session.expire_all()
    again = session.get(HealthRound, past.id)
    assert again is not None
    assert (again.template_version, [c.title for c in again.cards]) == (1, ["Speed", "Fun"])
    fresh = service.open_round(
        session=session, actor=s.dm, team_id=s.team.id, template_id=template_id, now=T0 + timedelta(days=10)
    )
    assert (fresh.template_version, [c.title for c in fresh.cards]) == (2, ["Fun!", "Teamwork"])


def test_template_validation_and_rights(session: Session) -> None:
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    with pytest.raises(PermissionDeniedError, match="Only admins and delivery managers write"):
        catalog.create_template(session=session, actor=make_user(session), name="X", cards=[])
    with pytest.raises(ValidationFailedError) as twice:
        catalog.create_template(
            session=session, actor=dm, name="Twice", cards=[CardIn("speed", "Speed", "a", "b"), CardIn("speed", "Pace", "a", "b")]
        )
    assert twice.value.fields == {"cards": "Card 2 (Pace): the key 'speed' is used twice."}
    with pytest.raises(ValidationFailedError) as bad_key:
        catalog.create_template(session=session, actor=dm, name="Bad", cards=[CardIn("Speed!", "Speed", "a", "b")])
    assert bad_key.value.fields["cards"].startswith("Card 1 (Speed): the key 'Speed!' must be snake_case")
    with pytest.raises(ValidationFailedError) as taken:
        catalog.create_template(session=session, actor=dm, name="Squad Health Check", cards=[CardIn("speed", "Speed", "a", "b")])
    assert taken.value.fields == {"name": "A template named 'Squad Health Check' exists already."}
    with pytest.raises(ValidationFailedError) as line:
        catalog.parse_cards("speed | Speed | fast | slow\n\nfun | Fun")
    assert line.value.fields == {"cards": "Line 3: write 'key | title | awesome example | crappy example' (found 2 parts)."}
    assert catalog.parse_cards("Team work | together | alone") == [CardIn("team_work", "Team work", "together", "alone")]
    default = catalog.ensure_default_template(session)
    with pytest.raises(ConflictError, match="The standard Squad Health Check cannot be changed"):
        catalog.update_template(
            session=session, actor=dm, template_id=default.id, name="Mine", cards=[CardIn("speed", "Speed", "a", "b")]
        )


def test_heatmap_scope_periods_and_hiding(session: Session) -> None:
    shown_team = squad(session, size=3, name="Aardvark")
    small_team = squad(session, size=3, name="Bison")
    template_id = two_card_template(session, shown_team.dm)
    run_round(session, shown_team, [same(G, R)] * 3, at=datetime(2026, 2, 2, tzinfo=UTC), template_id=template_id)
    run_round(session, shown_team, [same(A, R)] * 3, at=datetime(2026, 5, 4, tzinfo=UTC), template_id=template_id)
    run_round(session, small_team, [same(R, R)] * 2, at=datetime(2026, 5, 11, tzinfo=UTC), template_id=template_id)
    leader = make_user(session, role=Role.LEADER)
    heat = crossteam.heatmap(session=session, actor=leader, min_group_size=3)
    mine = [t.name for t in heat.teams if t.name in ("Aardvark", "Bison")]
    assert mine == ["Aardvark", "Bison"]
    assert heat.periods[-2:] == ["2026 Q1", "2026 Q2"]
    q2 = heat.cell(shown_team.team.id, "2026 Q2")
    assert q2 is not None
    assert q2.shown
    assert {k: (c.score, c.colour) for k, c in q2.cards.items()} == {"speed": (0.5, A), "fun": (0.0, R)}
    hidden = heat.cell(small_team.team.id, "2026 Q2")
    assert hidden is not None
    assert (hidden.shown, hidden.cards, hidden.overall) == (False, {}, None)
    monthly = crossteam.heatmap(session=session, actor=leader, granularity="month", period="2026-02", min_group_size=3)
    assert (monthly.period, monthly.cards) == ("2026-02", [("speed", "Speed"), ("fun", "Fun")])
    # A delivery manager sees their own teams only; a member is refused.
    assert [t.name for t in crossteam.heatmap(session=session, actor=small_team.dm).teams] == ["Bison"]
    with pytest.raises(PermissionDeniedError, match="The cross-team health view is for Product Ops"):
        crossteam.heatmap(session=session, actor=small_team.members[0])
    with pytest.raises(ValidationFailedError) as bad:
        crossteam.heatmap(session=session, actor=leader, granularity="week")
    assert bad.value.fields == {"granularity": "'week' is not one of quarter, month."}


def test_demo_health_follows_the_simulated_teams(session: Session) -> None:
    from deliveryops.demo.health import build_health  # noqa: PLC0415 (the demo is only needed here)

    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    built = {name: squad(session, size=5, name=name) for name in ("Search", "Data Platform")}
    assert build_health(session, now=now, seed=7) == 12  # 5 closed + 1 open round per team
    search = service.team_history(session, team_id=built["Search"].team.id, min_group_size=3, now=now)
    assert [s.shown for s in search] == [True] * 5
    assert [s.overall for s in search] == sorted((s.overall for s in search), reverse=True)  # type: ignore[type-var]  # degrading
    streaks = {s.card_key: s.red_rounds for s in service.card_streaks(session, team_id=built["Search"].team.id, min_group_size=3)}
    assert streaks["easy_to_release"] >= 2
    assert streaks["speed"] >= 2
    platform = service.team_history(session, team_id=built["Data Platform"].team.id, min_group_size=3, now=now)
    assert [s.shown for s in platform] == [True, True, False, True, True]  # two respondents in the third
    open_rounds = [
        r
        for r in service.list_rounds(
            session=session, actor=built["Data Platform"].dm, team_id=built["Data Platform"].team.id, now=now
        )
        if r.closed_at is None
    ]
    assert [(r.template_name, len(r.cards)) for r in open_rounds] == [("Platform health check", 12)]
    assert not service.has_answered(session, open_rounds[0].id, built["Data Platform"].members[0])
