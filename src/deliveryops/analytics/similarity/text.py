"""Text normalisation for impediment similarity: the same rules for fitting, querying and the lexicon.

An impediment text becomes a list of **tokens** (lower-case words, accents folded, contractions
expanded, ticket numbers dropped) and each token a **stem** (a light suffix stripper, not Porter:
it only has to make "logs", "logging" and "logged" meet, and it is applied identically to the
texts and to the lexicon terms, so the lexicon never has to list inflections).

Choices:

* ``can't``, ``cannot``, ``can not``, ``unable to`` all become the single token ``cannot``, and
  ``n't`` becomes ``not``, so the lexicon can name "cannot see" once.
* Tokens are runs of letters and digits; ``ci/cd`` gives ``ci`` and ``cd``. Tokens made only of
  digits (ticket numbers, dates) are dropped; ``e2e`` and ``k8s`` stay.
* Stop words are English function words and words that every impediment shares ("team",
  "still", "again"); they are dropped from the word features and the character n-grams, but kept
  by the lexicon's phrase matcher (which needs "no access", "log in", "sign off").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["STOP_WORDS", "content_stems", "normalise", "stem", "tokens"]

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_CONTRACTIONS = (
    (re.compile(r"\bcan'?t\b|\bcan not\b|\bunable to\b"), " cannot "),
    (re.compile(r"\bwon'?t\b"), " will not "),
    (re.compile(r"n't\b"), " not "),
    (re.compile(r"'(s|re|ve|ll|d|m)\b"), " "),
)
_TOKEN = re.compile(r"[a-z0-9]+")

# English function words and words every impediment has; one string, split once.
_STOP_WORDS = """
a about above after again against all also am an and any are as at be because been before being below
between both but by could did do does doing down during each even ever every few for from further get
gets getting got had has have having he her here hers him his how i if in into is it its itself just let
lets me more most much my myself nor of off on once only or other our ours out over own same she should
so some such than that the their theirs them then there these they this those through to too under until
up upon us very was we were what when where which while who whom why will with would you your yours yet
still since already anyone someone something anything thing things lot lots really quite again per via
etc eg ie re hi pls please team teams week weeks day days month months today yesterday now currently
need needs needed want wants able make makes made go goes going went one two three four five sprint no
not cannot
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS.split())


def normalise(text: str) -> str:
    """Return ``text`` lower-cased, accents folded, apostrophes unified and contractions expanded.

    Args:
        text: any impediment text.

    Returns:
        The normalised text (still a string; punctuation is left for :func:`tokens` to split on).
    """
    folded = text.translate(_APOSTROPHES)
    if not folded.isascii():
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(char for char in folded if not unicodedata.combining(char))
    folded = folded.casefold()
    for pattern, replacement in _CONTRACTIONS if "'" in folded else _CONTRACTIONS[:1]:
        folded = pattern.sub(replacement, folded)
    return folded


def tokens(text: str) -> list[str]:
    """Split a text into normalised tokens (stop words kept, digit-only tokens dropped).

    Args:
        text: any impediment text.

    Returns:
        The tokens in reading order.
    """
    return [token for token in _TOKEN.findall(normalise(text)) if not token.isdigit()]


_DOUBLE_ENDINGS = frozenset("bdgklmnprt")
# Nouns that end like a verb form; stripping them would make "building B" meet "build".
_KEEP = frozenset({"building", "buildings", "morning", "mornings", "evening", "evenings", "nothing", "pricing", "ceiling"})


@lru_cache(maxsize=65_536)
def stem(token: str) -> str:
    """Strip a few English suffixes so that inflections of a word meet.

    ``logs``, ``logging``, ``logged`` → ``log``; ``permissions`` → ``permission``; ``policies`` →
    ``policy``; ``deployment`` stays ``deployment`` (derivations are the lexicon's business).

    Args:
        token: one normalised token.

    Returns:
        Its stem.
    """
    word = token
    if word in _KEEP:
        return word
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] in _DOUBLE_ENDINGS:
                word = word[:-1]
            break
    return word


def content_stems(words: list[str]) -> list[str]:
    """Return the stems of the tokens that are not stop words, in order.

    Args:
        words: tokens from :func:`tokens`.

    Returns:
        The stems of the content words.
    """
    return [stem(word) for word in words if word not in STOP_WORDS]
