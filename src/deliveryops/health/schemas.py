"""The contracts of team health checks: templates and their cards, rounds and answers."""

from __future__ import annotations

from datetime import date

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
