"""The contracts of team health checks: templates and their cards, rounds and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from deliveryops.health import catalog, service
from deliveryops.health.models import Colour, Trend


class CardWrite(BaseModel):
    """A template card."""

    key: str = Field(max_length=60, description="snake_case, unique in the template")
    title: str = Field(max_length=120)
    awesome: str = Field(max_length=500, description="What the card looks like at its best")
    crappy: str = Field(max_length=500, description="What the card looks like at its worst")


class TemplateWrite(BaseModel):
    """A custom template: its cards in the order they are asked."""

    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)
    cards: list[CardWrite] = Field(max_length=catalog.MAX_CARDS)


class TemplateForm(BaseModel):
    """A template as its page's form writes it: one card a line, ``key | title | awesome | crappy``."""

    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)
    cards: str = Field(default="", max_length=30_000)


class CardRead(CardWrite):
    """A template card as stored."""

    model_config = ConfigDict(from_attributes=True)


class TemplateRead(BaseModel):
    """A template and its cards."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    is_default: bool
    version: int
    cards: list[CardRead]


class RoundCreate(BaseModel):
    """A new round; the standard template when ``template_id`` is left out."""

    template_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    title: str = Field(default="", max_length=200)
    closes_at: AwareDatetime | None = Field(default=None, description="When it closes by itself (ISO 8601 with zone)")


class RoundForm(BaseModel):
    """A new round as its page's form writes it: it closes at the end of ``closes_on`` in the team's time zone."""

    template_id: int | None = Field(default=None, ge=1, le=2**31 - 1, title="Template")
    title: str = Field(default="", max_length=200)
    closes_on: date | None = Field(default=None, title="Closing day")


class AnswerWrite(BaseModel):
    """One card's answer."""

    card_key: str = Field(max_length=60)
    colour: Colour
    trend: Trend
    comment: str = Field(default="", max_length=service.MAX_COMMENT)


class AnswersWrite(BaseModel):
    """Answers to every card of the round (anonymous: only that you answered is kept)."""

    answers: list[AnswerWrite] = Field(max_length=catalog.MAX_CARDS)


# --- what a person may see (deliveryops.health.views decides; the API and the CLI print these) -----------------


class AnswersRead(BaseModel):
    """Your answers were kept (only that you answered is stored with your name)."""

    answered: bool


class CardResultRead(BaseModel):
    """A card's result in a shown round: its distribution, score, colour and change since the previous round."""

    key: str
    title: str
    colours: dict[str, int] = Field(description="answers per colour")
    trends: dict[str, int] = Field(description="answers per trend")
    answers: int
    score: float
    result: Colour
    trend_balance: float
    change: float | None = Field(description="score change since the previous shown round with this card")


class CardResultWithCommentsRead(CardResultRead):
    """A card's result with its anonymous comments (the team's people only)."""

    comments: list[str]


class RoundResultsRead(BaseModel):
    """A round's results: shown only once closed with at least ``minimum`` respondents."""

    shown: bool
    minimum: int
    hidden_reason: Literal["open", "too_few"] | None
    overall: float | None
    previous_round_id: int | None
    cards: list[CardResultWithCommentsRead | CardResultRead]


class RoundRead(BaseModel):
    """A round as the person asking may see it: cards, own status, progress and (when shown) results."""

    id: int
    team_id: int
    team_slug: str
    team_name: str
    title: str
    state: Literal["open", "closed"]
    template_name: str
    template_version: int
    opened_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    cards: list[CardRead]
    respondents: int | None = Field(description="progress while open; once closed, only when results are shown")
    can_answer: bool
    answered: bool | None = Field(description="whether you answered (the team's members only)")
    can_manage: bool
    comments_visible: bool
    results: RoundResultsRead


class HistoryRoundRead(BaseModel):
    """A closed round in the team's history; a hidden one without any count or value."""

    round_id: int
    title: str
    closed_at: datetime
    shown: bool
    respondents: int | None
    overall: float | None
    hidden_reason: str | None
    cards: list[CardResultRead]


class RedStreakRead(BaseModel):
    """A card red in the team's latest ``red_rounds`` shown rounds running."""

    card_key: str
    card_title: str
    red_rounds: int
    last_round_id: int
    last_round_closed_at: datetime


class TeamHistoryRead(BaseModel):
    """The team's closed rounds, oldest first (hidden below ``minimum``), and the cards red several rounds running."""

    minimum: int
    rounds: list[HistoryRoundRead]
    red_streaks: list[RedStreakRead]


class HeatCardRead(BaseModel):
    """A card's score and colour in a heat-map cell."""

    score: float
    result: Colour


class HiddenHeatCellRead(BaseModel):
    """A team's round in a period with too few respondents: no values."""

    round_id: int
    shown: Literal[False]
    hidden_reason: str


class ShownHeatCellRead(BaseModel):
    """A team's latest round in a period: its overall score and its cards'."""

    round_id: int
    shown: Literal[True]
    overall: float | None
    cards: dict[str, HeatCardRead]


class HeatTeamRead(BaseModel):
    """A team's row of the heat map: a cell per period (null without a closed round there)."""

    id: int
    name: str
    slug: str
    periods: dict[str, ShownHeatCellRead | HiddenHeatCellRead | None]


class HeatCardTitleRead(BaseModel):
    """A card asked in the selected period."""

    key: str
    title: str


class HeatmapRead(BaseModel):
    """Teams × cards per period; no comments, hidden teams without values."""

    granularity: str
    minimum: int
    periods: list[str] = Field(description="oldest first")
    period: str | None
    cards: list[HeatCardTitleRead]
    teams: list[HeatTeamRead]
