"""How a card's answers become a score and a colour (docs/health-checks.md, "Definitions").

- **score** = (2 × green + 1 × amber + 0 × red) / (2 × answers): 0 (all red) to 1 (all green);
- **result colour**: green when the score is at least 0.75, red when it is below 0.40, amber otherwise;
- **trend balance** = (better − worse) / answers: −1 to +1;
- a round's **overall score** is the mean of its cards' scores (every card weighs the same).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from deliveryops.health.models import Colour, Trend

__all__ = ["GREEN_AT", "RED_BELOW", "CardResult", "overall_score", "result_colour", "tally_result"]

GREEN_AT = 0.75
RED_BELOW = 0.40


def result_colour(score: float) -> Colour:
    """The card's team result for a score (see the module docstring)."""
    if score >= GREEN_AT:
        return Colour.GREEN
    if score < RED_BELOW:
        return Colour.RED
    return Colour.AMBER


@dataclass(frozen=True)
class CardResult:
    """One card's result in one round (only ever built for rounds with enough respondents)."""

    key: str
    title: str
    colours: dict[str, int]
    trends: dict[str, int]
    answers: int
    score: float
    colour: Colour
    trend_balance: float
    change: float | None = None  # score change since the previous shown round with this card
    comments: list[str] = field(default_factory=list)


def tally_result(key: str, title: str, tallies: Mapping[tuple[Colour, Trend], int]) -> CardResult | None:
    """A card's distribution, score and colour from its tallies; None when nobody answered it.

    Args:
        key: the card's key.
        title: its title.
        tallies: (colour, trend) -> count.

    Returns:
        The result, without change or comments.
    """
    colours = {c.value: sum(n for (colour, _t), n in tallies.items() if colour is c) for c in Colour}
    trends = {t.value: sum(n for (_c, trend), n in tallies.items() if trend is t) for t in Trend}
    answers = sum(colours.values())
    if answers == 0:
        return None
    score = sum(Colour(c).points * n for c, n in colours.items()) / (2 * answers)
    balance = (trends[Trend.BETTER.value] - trends[Trend.WORSE.value]) / answers
    return CardResult(
        key=key,
        title=title,
        colours=colours,
        trends=trends,
        answers=answers,
        score=round(score, 4),
        colour=result_colour(score),
        trend_balance=round(balance, 4),
    )


def overall_score(cards: Sequence[CardResult]) -> float | None:
    """The mean of the cards' scores (None without cards)."""
    if not cards:
        return None
    return round(sum(c.score for c in cards) / len(cards), 4)
