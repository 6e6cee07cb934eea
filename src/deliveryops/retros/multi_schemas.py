"""The contracts of multi-team retros and of the retro of retros (recurring themes across teams)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from deliveryops.retros.schemas import Notice


def _ids(value: object) -> object:
    """Team ids from a list, or from one text separated by commas (a form's field)."""
    texts = [value] if isinstance(value, str | int) else value
    if not isinstance(texts, list):
        return value
    parts = [part.strip() for text in texts for part in str(text).split(",")]
    return [part for part in parts if part]


class MultiRetroCreate(BaseModel):
    """A retro across several teams (the teams listed, and those of a group of teams)."""

    title: str = Field(max_length=200)
    team_ids: Annotated[list[Annotated[int, Field(ge=1, le=2**31 - 1)]], BeforeValidator(_ids)] = Field(
        default_factory=list, max_length=50
    )
    group_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="a group whose teams all take part")
    format: str = Field(default="start-stop-continue", max_length=40)
    vote_budget: int = Field(default=3, ge=1, le=10)
    anonymous: bool = True


class MultiRetroSummary(BaseModel):
    """A multi-team retro in a list."""

    id: int
    title: str
    phase: str
    teams: list[str]


class SynthesisMerge(BaseModel):
    """The synthesis theme another one is merged into."""

    into_id: int = Field(ge=1, le=2**31 - 1)


class SynthesisRename(BaseModel):
    """A synthesis theme's new title."""

    title: str = Field(max_length=200)


class SynthesisVoteCast(BaseModel):
    """A vote on a synthesis theme, or taking one back."""

    theme_id: int = Field(ge=1, le=2**31 - 1)
    add: bool = True


class SynthesisActionCreate(BaseModel):
    """An action decided on the synthesis, owned by one of the retro's teams."""

    title: str = Field(max_length=200)
    team_id: int = Field(ge=1, le=2**31 - 1, description="the team that owns it (one of the retro's)")
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="one of the owning team's people")
    due_date: date | None = Field(default=None, description="default: two weeks from today")
    theme_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="the synthesis theme it answers")


class RecurringThemeRead(BaseModel):
    """A theme that recurs across teams' retros: a name from the words its titles share, never a card."""

    title: str
    retros: int = Field(description="retros with a theme in the group")
    teams: list[str] = Field(description="the teams, at least the privacy minimum")


class BreakoutRead(BaseModel):
    """One team's breakout retro as the synthesis board shows it: its progress, never a card."""

    team_id: int
    team: str
    phase: str
    voted: bool
    private_themes: int = Field(description="the breakout's themes carried over once it has voted")
    retro_id: int | None = Field(description="the breakout retro's id, only to the viewer's own team's people")


class SynthesisThemeRead(BaseModel):
    """A synthesis theme: its source teams and breakout votes; its vote count hidden (null) while voting."""

    id: int
    title: str
    teams: list[str]
    breakout_votes: int
    votes: int | None
    my_votes: int


class SynthesisActionRead(BaseModel):
    """An action decided on the synthesis, owned by one of the retro's teams."""

    id: int
    title: str
    team: str
    owner: str | None = Field(description="the owner's name")
    due_date: date | None
    status: str


class TeamPersonRead(BaseModel):
    """One of a team's people, who may own the team's actions."""

    id: int
    name: str


class MultiRetroTeamRead(BaseModel):
    """A team of the retro; its people only to those taking part, in the actions phase."""

    id: int
    name: str
    people: list[TeamPersonRead]


class MultiRetroRead(BaseModel):
    """The synthesis board as one viewer sees it: breakouts' progress, themes with their teams and votes,
    and actions. Never a card, never an author."""

    id: int
    title: str
    phase: str
    phases: list[str]
    version: int
    anonymous: bool
    vote_budget: int
    votes_left: int
    facilitating: bool
    taking_part: bool
    teams: list[MultiRetroTeamRead]
    breakouts: list[BreakoutRead]
    themes: list[SynthesisThemeRead]
    actions: list[SynthesisActionRead]
    notice: Notice = None
