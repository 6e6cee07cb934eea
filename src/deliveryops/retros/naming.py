"""Theme names from what a group of cards shares: the most informative words the cards have in common."""

from __future__ import annotations

import math
from collections import Counter

from deliveryops.analytics.similarity.text import STOP_WORDS, stem, tokens

__all__ = ["suggest_title"]

MAX_WORDS = 3
FALLBACK_CHARS = 60
SMOOTHING = 0.1  # keeps a word every card on the board uses in play
KEEP_SHARE = 0.6  # words scoring under 60% of the best one are left out of the title


def _stems(text: str) -> dict[str, str]:
    """The content stems of a text, each with the first word it came from (in reading order)."""
    found: dict[str, str] = {}
    for word in tokens(text):
        if word in STOP_WORDS or len(word) < 3:
            continue
        found.setdefault(stem(word), word)
    return found


def suggest_title(group: list[str], board: list[str] | None = None) -> str:
    """A theme name for ``group`` from the words its cards share, weighted by how rare they are on the board.

    A word scores by the number of the group's cards that use it (in any inflection) times its inverse
    document frequency over all the board's cards, so a word every card uses ("team", "sprint") weighs
    less than one only this group shares. Up to three words that at least two cards share and that score
    at least 60% of the best word's score are kept, in the order the first card that uses them says them.

    Args:
        group: the texts of the cards in the theme.
        board: the texts of all the retro's cards, the group's included; without it every shared word is
            as informative as another and the words most cards share win.

    Returns:
        A short title, e.g. "Acceptance criteria"; when the cards share no word, the first card's text
        cut to 60 characters; "Untitled theme" for an empty group.
    """
    texts = [t for t in group if t.strip()]
    if not texts:
        return "Untitled theme"
    per_card = [_stems(t) for t in texts]
    corpus = [_stems(t) for t in (board or [])]
    board_df = Counter(s for card in corpus for s in card)
    group_df = Counter(s for card in per_card for s in card)
    documents = max(len(corpus), len(texts))
    minimum = 2 if len(texts) > 1 else 1

    def rarity(s: str, count: int) -> float:
        if not corpus:
            return 1.0
        return SMOOTHING + math.log((documents + 1) / (max(board_df[s], count) + 1))

    scores = {s: count * rarity(s, count) for s, count in group_df.items() if count >= minimum}
    if not scores:
        first = texts[0].strip()
        return first if len(first) <= FALLBACK_CHARS else first[: FALLBACK_CHARS - 1].rstrip() + "…"
    top = max(scores.values())
    chosen = [s for s in sorted(scores, key=lambda s: (-scores[s], s)) if scores[s] >= KEEP_SHARE * top][:MAX_WORDS]
    # Read them in the order a card says them, using the word as written there.
    order: list[tuple[int, int, str]] = []
    for s in chosen:
        card_index = next(i for i, card in enumerate(per_card) if s in card)
        position = list(per_card[card_index]).index(s)
        order.append((card_index, position, per_card[card_index][s]))
    words = [word for _i, _p, word in sorted(order)]
    title = " ".join(words)
    return title[:1].upper() + title[1:]
