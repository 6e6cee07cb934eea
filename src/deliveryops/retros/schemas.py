"""The contracts of retrospectives: the board, its cards, themes, votes, timer and actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, field_serializer

from deliveryops.actions.models import TargetMetric
from deliveryops.retros.models import Retro


def _split_columns(value: object) -> object:
    """Columns from a list, or from one text separated by commas (the page's field)."""
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list):
        return value
    parts = [part.strip() for text in texts for part in (text.split(",") if isinstance(text, str) else [text])]
    return [part for part in parts if part]


class RetroCreate(BaseModel):
    """A new retrospective."""

    title: str = Field(max_length=200)
    format: str = Field(default="start-stop-continue", max_length=40)
    columns: Annotated[list[str] | None, BeforeValidator(_split_columns)] = Field(
        default=None, max_length=6, description="Custom columns; a text is split at commas"
    )
    vote_budget: int = Field(default=3, ge=1, le=10)
    anonymous: bool = True


class CardCreate(BaseModel):
    """A card."""

    column: str = Field(max_length=100)
    text: str = Field(max_length=2000)


class ThemeCreate(BaseModel):
    """A theme with the cards it groups."""

    title: str = Field(default="", max_length=200)
    card_ids: list[int] = Field(default_factory=list, max_length=500)


class ThemeRename(BaseModel):
    """A theme's new title."""

    title: str = Field(max_length=200)


class ThemeMerge(BaseModel):
    """The theme another one is merged into."""

    into_id: int = Field(ge=1, le=2**31 - 1)


class SuggestedTheme(BaseModel):
    """Loose cards that read alike and a title from the words they share."""

    title: str
    card_ids: list[int]


class ReactionToggle(BaseModel):
    """An emoji on a card: added when the caller has not given it yet, taken back when they have."""

    emoji: str = Field(max_length=16, description="one of the board's reaction choices")


class Icebreaker(BaseModel):
    """The icebreaker question: a chosen or written one, a random one (shuffle), or none (empty)."""

    question: str | None = Field(default=None, max_length=300)
    shuffle: bool = False


class CardMove(BaseModel):
    """Where a card goes (null: out of any theme)."""

    theme_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class VoteCast(BaseModel):
    """A vote on a theme, or taking one back."""

    theme_id: int = Field(ge=1, le=2**31 - 1)
    add: bool = True


class Notes(BaseModel):
    """Discussion notes."""

    notes: str = Field(max_length=5000)


class Timer(BaseModel):
    """A countdown for the current phase; 0 stops it."""

    minutes: int = Field(ge=0, le=120)


class RetroAction(BaseModel):
    """An improvement action decided in the retro."""

    title: str = Field(max_length=200)
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="one of the team's people")
    due_date: date | None = Field(default=None, description="default: two weeks from today")
    target_metric: TargetMetric | None = Field(default=None, description="the metric the action should move (hypothesis)")
    expected_direction: Literal["increase", "decrease"] | None = None
    expected_size: float | None = Field(default=None, ge=0, le=1e6, description="expected change, in the metric's unit")
    target_card: str | None = Field(default=None, max_length=60, description="health-check card key (target health_card)")


class RetroSummary(BaseModel):
    """A retro in a list."""

    id: int
    title: str
    phase: str
    format: str

    @classmethod
    def of(cls, retro: Retro) -> RetroSummary:
        """The retro's summary."""
        return cls(id=retro.id, title=retro.title, phase=retro.phase.value, format=retro.format)


Notice = Annotated[
    str | None,
    Field(
        exclude_if=lambda value: value is None,
        description="what the change also did (a theme removed or merged); absent otherwise",
    ),
]
"""A board's ``notice``: in the JSON only when a change has something to say."""


class CardRead(BaseModel):
    """A card as one participant sees it: never its author; ``mine`` marks the participant's own."""

    id: int
    column: str
    text: str
    theme_id: int | None
    mine: bool
    reactions: dict[str, int] = Field(description="emoji → how many participants gave it")
    my_reactions: list[str] = Field(description="the emoji this participant gave")


class ThemeRead(BaseModel):
    """A theme of the board; its vote count stays hidden (null) until voting ends."""

    id: int
    title: str
    notes: str
    votes: int | None
    my_votes: int


class RetroActionRead(BaseModel):
    """An improvement action decided in the retro."""

    id: int
    title: str
    status: str
    owner: str | None = Field(description="the owner's name")
    due_date: date | None
    target_metric: str | None
    target_label: str | None
    expected_direction: str | None


class RetroRead(BaseModel):
    """The board as one participant sees it: others' cards stay private while reflecting (only counted in
    ``hidden_cards``), vote counts stay hidden while voting, and no author is ever included."""

    id: int
    title: str
    phase: str
    version: int
    columns: list[str]
    anonymous: bool
    vote_budget: int
    votes_left: int
    timer_ends_at: datetime | None
    icebreaker: str | None
    reaction_choices: list[str]
    cards: list[CardRead]
    hidden_cards: dict[str, int] = Field(description="column → cards private to their writers")
    themes: list[ThemeRead]
    actions: list[RetroActionRead]
    notice: Notice = None

    @field_serializer("timer_ends_at")
    def _iso(self, value: datetime | None) -> str | None:
        return value.isoformat() if value else None
