"""Believable titles, labels, estimates and resolutions for simulated items (vectorised draws)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_TEMPLATES: dict[str, tuple[str, ...]] = {
    "Story": (
        "Add {topic} to the account page",
        "Let customers manage {topic}",
        "Show {topic} status in the dashboard",
        "Support {topic} for business accounts",
        "Improve {topic} error messages",
        "Allow editing of {topic}",
        "Send a notification when {topic} changes",
        "{Topic}: first usable version",
    ),
    "Bug": (
        "{Topic} fails for some EU customers",
        "{Topic} times out under load",
        "{Topic} shows the wrong currency",
        "{Topic} returns 500 after deploy",
        "{Topic} double-counts retries",
        "{Topic} is missing translations",
        "Crash when opening {topic} on older devices",
    ),
    "Task": (
        "Upgrade the libraries behind {topic}",
        "Add monitoring and alerts to {topic}",
        "Document {topic} for on-call",
        "Clean up old feature flags in {topic}",
        "Migrate {topic} to the new cluster",
        "Add contract tests for {topic}",
    ),
    "Spike": (
        "Investigate slow {topic}",
        "Spike: options for {topic}",
        "Evaluate a vendor for {topic}",
        "Prototype {topic} with the new SDK",
    ),
    "Epic": (
        "{Topic}: v2",
        "{Topic}: general availability",
        "{Topic}: reliability push",
        "{Topic}: EU rollout",
        "{Topic}: self-service",
        "{Topic}: performance",
    ),
}
_GENERIC = ("Work on {topic}", "{Topic} follow-up")
_POINTS = np.array([1.0, 2.0, 3.0, 5.0, 8.0, 13.0])
_POINT_EDGES = np.array([-1.1, -0.35, 0.35, 1.05, 1.8])


def titles(type_names: list[str], topics: tuple[str, ...], rng: np.random.Generator) -> list[str]:
    """Draw a title per item from per-type templates and the team's topics.

    Args:
        type_names: the item type of every item.
        topics: the team's domain nouns, e.g. "refund flow".
        rng: generator.

    Returns:
        One title per item.
    """
    n = len(type_names)
    topic_index = rng.integers(0, len(topics), n).tolist()
    template_pick = rng.random(n).tolist()
    capitals = [topic[:1].upper() + topic[1:] for topic in topics]
    out: list[str] = []
    for type_name, topic, pick in zip(type_names, topic_index, template_pick, strict=True):
        templates = _TEMPLATES.get(type_name, _GENERIC)
        template = templates[int(pick * len(templates))]
        out.append(template.format(topic=topics[topic], Topic=capitals[topic]))
    return out


def labels(n: int, vocabulary: tuple[str, ...], probability: float, rng: np.random.Generator) -> list[tuple[str, ...]]:
    """Draw up to two labels per item; earlier labels in the vocabulary are more frequent.

    Args:
        n: number of items.
        vocabulary: the team's labels, most frequent first.
        probability: chance that an item has at least one label.
        rng: generator.

    Returns:
        A tuple of labels per item (shared tuple objects, to keep memory small).
    """
    if not vocabulary:
        return [()] * n
    size = len(vocabulary)
    weights = 1.0 / np.arange(1, size + 1)
    first = rng.choice(size, size=n, p=weights / weights.sum())
    has = rng.random(n) < probability
    second = (first + 1 + rng.integers(0, max(size - 1, 1), n)) % size
    has_two = has & (rng.random(n) < 0.25) & (second != first)
    singles = [(label,) for label in vocabulary]
    pairs = {(a, b): (vocabulary[a], vocabulary[b]) for a in range(size) for b in range(size) if a != b}
    out: list[tuple[str, ...]] = []
    for one, two, a, b in zip(has.tolist(), has_two.tolist(), first.tolist(), second.tolist(), strict=True):
        out.append(pairs[(a, b)] if two else singles[a] if one else ())
    return out


def estimates(type_names: NDArray[np.str_], size_score: NDArray[np.float64], rng: np.random.Generator) -> list[float | None]:
    """Story points that track size loosely: stories always, tasks half of the time, others never.

    Args:
        type_names: item type per item.
        size_score: the standard-normal size score that drove the item's service time.
        rng: generator.

    Returns:
        An estimate (or None) per item.
    """
    noisy = size_score + 0.6 * rng.standard_normal(size_score.shape[0])
    points = _POINTS[np.searchsorted(_POINT_EDGES, noisy)]
    estimated = (type_names == "Story") | ((type_names == "Task") & (rng.random(size_score.shape[0]) < 0.5))
    return [float(p) if e else None for p, e in zip(points.tolist(), estimated.tolist(), strict=True)]


def resolutions(final_done: NDArray[np.bool_], final_discarded: NDArray[np.bool_], rng: np.random.Generator) -> list[str | None]:
    """Resolution per item: "Done", a discard reason, or None while unresolved.

    Args:
        final_done: whether each item ended in a done status.
        final_discarded: whether each item ended discarded.
        rng: generator.

    Returns:
        The resolution of each item.
    """
    reason = rng.choice(np.array(["Won't Do", "Duplicate", "Obsolete"]), size=final_done.shape[0], p=[0.6, 0.25, 0.15])
    out = np.where(final_done, "Done", np.where(final_discarded, reason, ""))
    return [value or None for value in out.tolist()]
