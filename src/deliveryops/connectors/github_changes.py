"""GitHub pull requests, their commits and reviews → canonical changes (DORA lead time)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from deliveryops.connectors.base import ChangeRecord
from deliveryops.connectors.github_history import parse_time
from deliveryops.schemas import web_url_or_none

__all__ = ["change", "cross_references", "first_commit_at", "first_review_at"]

_REFERENCE = re.compile(
    r"(?:(?<![\w.-])(?P<short>[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*)#(?P<number>\d+)\b)"
    r"|(?:https://github\.com/(?P<long>[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*)/(?:issues|pull)/(?P<long_number>\d+))"
)


def change(
    repository: str, pull: Mapping[str, Any], commits: Iterable[Mapping[str, Any]], reviews: Iterable[Mapping[str, Any]]
) -> ChangeRecord:
    """Build the canonical change of one pull request.

    Args:
        repository: "owner/name", as configured on the connection.
        pull: the pull request as listed by ``GET /repos/{owner}/{repo}/pulls``.
        commits: every commit of ``GET .../pulls/{number}/commits``.
        reviews: every review of ``GET .../pulls/{number}/reviews``.

    Returns:
        The change; ``merge_commit_sha`` only when the pull request was merged (GitHub also fills it
        with a test merge commit for open and closed-unmerged pull requests).
    """
    author = _login(pull.get("user"))
    merged_at = _time(pull.get("merged_at"))
    return ChangeRecord(
        source="github",
        repository=repository,
        number=int(pull["number"]),
        title=str(pull.get("title") or ""),
        author=author or "ghost",
        opened_at=parse_time(pull["created_at"]),
        first_commit_at=first_commit_at(commits),
        first_review_at=first_review_at(reviews, author=author),
        merged_at=merged_at,
        closed_at=_time(pull.get("closed_at")),
        merge_commit_sha=(pull.get("merge_commit_sha") or None) if merged_at is not None else None,
        base_branch=str((pull.get("base") or {}).get("ref") or ""),
        url=web_url_or_none(pull.get("html_url")),
        references=tuple(
            f"{repo}#{number}"
            for repo, number in cross_references(f"{pull.get('title') or ''}\n{pull.get('body') or ''}")
            if repo != repository.lower()
        ),
    )


def cross_references(text: str) -> list[tuple[str, int]]:
    """The other repositories' issues and pull requests a text names ("owner/repo#12" or a github.com link).

    Returns:
        (repository in lower case, number) pairs, in order, without repeats.
    """
    found = []
    for match in _REFERENCE.finditer(text or ""):
        repo = match.group("short") or match.group("long")
        number = match.group("number") or match.group("long_number")
        found.append((repo.lower(), int(number)))
    return list(dict.fromkeys(found))


def first_commit_at(commits: Iterable[Mapping[str, Any]]) -> datetime | None:
    """The earliest authored or committed time among a pull request's commits.

    A rebase keeps the author date and moves the committer date, so the author date is usually
    the earlier one; taking the minimum of both also covers commits whose author date is missing.

    Args:
        commits: records of ``GET .../pulls/{number}/commits``.

    Returns:
        The first commit time, or None for a pull request without commits.
    """
    times: list[datetime] = []
    for record in commits:
        commit = record.get("commit") or {}
        for role in ("author", "committer"):
            when = _time((commit.get(role) or {}).get("date"))
            if when is not None:
                times.append(when)
    return min(times, default=None)


def first_review_at(reviews: Iterable[Mapping[str, Any]], *, author: str | None) -> datetime | None:
    """The first review by someone other than the author (DESIGN.md: pickup time).

    Ignored: the author's own reviews (GitHub records the author's replies in a review thread as
    "COMMENTED" reviews), pending reviews (drafts nobody else can see yet), and reviews by bots
    (automatic reviewers answer within seconds and would hide how long people took).

    Args:
        reviews: records of ``GET .../pulls/{number}/reviews``.
        author: the pull request author's login.

    Returns:
        The earliest ``submitted_at`` of a qualifying review, or None.
    """
    times: list[datetime] = []
    for review in reviews:
        user = review.get("user")
        if review.get("state") == "PENDING" or (isinstance(user, Mapping) and user.get("type") == "Bot"):
            continue
        login = _login(user)
        if author is not None and login == author:
            continue
        when = _time(review.get("submitted_at"))
        if when is not None:
            times.append(when)
    return min(times, default=None)


def _login(user: object) -> str | None:
    if isinstance(user, Mapping) and user.get("login"):
        return str(user["login"])
    return None  # a deleted account ("ghost")


def _time(value: object) -> datetime | None:
    return parse_time(value) if isinstance(value, str) and value else None
