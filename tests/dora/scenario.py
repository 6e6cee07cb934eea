"""The hand-worked DORA scenario of issue 8: 10 deployments, 8 pull requests, 4 incidents (March 2026, UTC).

Repository "shop". Production deployments that succeeded, in start order: D1, D4, D5, D7, D8, D9, D10.
D2 and D6 are staging (ignored); D3 is a failed production deployment with no incident (not counted).

    id  env         result   started           finished
    1   production  success  Mon 03-02 10:00   10:20   (no previous successful deployment)
    2   staging     success  Mon 03-02 12:00   12:10
    3   production  failure  Tue 03-03 09:00   09:15
    4   production  success  Tue 03-03 11:00   11:30
    5   production  success  Wed 03-04 15:00   15:20
    6   staging     success  Thu 03-12 16:40   16:50   (between D9 and incident 4: must be skipped)
    7   production  success  Mon 03-09 10:00   10:30
    8   production  success  Tue 03-10 14:00   14:20
    9   production  success  Thu 03-12 16:00   16:30
    10  production  success  Thu 03-12 18:00   18:10

Pull requests (author ann unless noted; times first commit / opened / first review by another person / merged):

    1  03-01 09:00 / 03-01 12:00 / 03-01 13:00 / 03-01 15:00   -> D1
    2  03-03 08:00 / 09:00 / 10:00 / 11:05   merged 5 min after D4 started -> D5
    3  03-02 14:00 / 03-03 09:00 / (ann's own comment 09:30) bob 10:15 / 10:45 -> D4
    4  03-05 09:00 / 10:00 / 16:00 / 03-06 10:00 -> D7
    5  03-09 12:00 / 03-09 11:00 (first commit after opening: coding is missing) / 13:00 / 03-10 09:00 -> D8
    6  03-10 10:00 / 11:00 / no review / 12:00 -> D8
    7  03-12 09:00 / 10:00 / 11:00 / 17:00 -> D10
    8  03-12 15:00 / 15:30 / 16:00 / 17:30 -> D10

Incidents:

    1  created 03-02 08:00, resolved 09:00: before any deployment -> no deployment
    2  created 03-04 16:00, resolved 17:30 -> inferred D5 (finished 15:20)
    3  created 03-09 12:00, resolved 18:30, explicitly D7
    4  created 03-12 17:00, resolved 03-13 08:30 -> inferred D9 (16:30), not staging D6
"""

from __future__ import annotations

from datetime import UTC, datetime


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2026, UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


# id, environment, result, started_at, finished_at
DEPLOYMENTS = [
    (1, "production", "success", at(2, 10), at(2, 10, 20)),
    (2, "staging", "success", at(2, 12), at(2, 12, 10)),
    (3, "production", "failure", at(3, 9), at(3, 9, 15)),
    (4, "production", "success", at(3, 11), at(3, 11, 30)),
    (5, "production", "success", at(4, 15), at(4, 15, 20)),
    (6, "staging", "success", at(12, 16, 40), at(12, 16, 50)),
    (7, "Production", "success", at(9, 10), at(9, 10, 30)),
    (8, "production", "success", at(10, 14), at(10, 14, 20)),
    (9, "production", "success", at(12, 16), at(12, 16, 30)),
    (10, "production", "success", at(12, 18), at(12, 18, 10)),
]

# number, author, first_commit_at, opened_at, merged_at
CHANGES = [
    (1, "ann", at(1, 9), at(1, 12), at(1, 15)),
    (2, "ann", at(3, 8), at(3, 9), at(3, 11, 5)),
    (3, "ann", at(2, 14), at(3, 9), at(3, 10, 45)),
    (4, "ann", at(5, 9), at(5, 10), at(6, 10)),
    (5, "ann", at(9, 12), at(9, 11), at(10, 9)),
    (6, "ann", at(10, 10), at(10, 11), at(10, 12)),
    (7, "ann", at(12, 9), at(12, 10), at(12, 17)),
    (8, "dan", at(12, 15), at(12, 15, 30), at(12, 17, 30)),
]

# change number, reviewer, at: every review or review comment, the author's own included
REVIEWS = [
    (1, "bob", at(1, 13)),
    (2, "bob", at(3, 10)),
    (3, "ann", at(3, 9, 30)),  # the author's own comment: not a review
    (3, "bob", at(3, 10, 15)),
    (4, "cat", at(5, 16)),
    (5, "bob", at(9, 13)),
    (7, "cat", at(12, 11)),
    (8, "ann", at(12, 16)),
    (8, "bob", at(12, 16, 30)),
]

# id, created_at, resolved_at, explicit deployment id
INCIDENTS = [
    (1, at(2, 8), at(2, 9), None),
    (2, at(4, 16), at(4, 17, 30), None),
    (3, at(9, 12), at(9, 18, 30), 7),
    (4, at(12, 17), at(13, 8, 30), None),
]
