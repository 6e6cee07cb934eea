"""The per-item tables behind DORA's four keys: deployments, changes and incidents, linked.

Internal to the ``dora*`` modules; the public names are re-exported by :mod:`deliveryops.analytics.dora`.
Every function is pure: frames in, frames out. Times are ``Datetime("us", "UTC")``.

Input frames (extra columns are kept where noted and ignored otherwise):

- deployments: ``id`` (Int64), ``repository``, ``environment``, ``result`` (Utf8), ``started_at``,
  ``finished_at`` (nullable); optionally ``ref`` (the branch or tag deployed, nullable).
- changes: ``id`` (Int64), ``repository``, ``first_commit_at``, ``opened_at``, ``first_review_at``,
  ``merged_at`` (all but ``opened_at`` nullable).
- links: ``deployment_id``, ``change_id`` (Int64): which changes each deployment shipped.
- incidents: ``id`` (Int64), ``created_at``, ``resolved_at`` (nullable), ``repository`` (nullable),
  ``deployment_id`` (nullable: the explicit link).
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

__all__ = [
    "CHANGE_SCHEMA",
    "DEFAULT_PRODUCTION_ENVIRONMENTS",
    "DEPLOYMENT_SCHEMA",
    "FAILED_RESULTS",
    "INCIDENT_SCHEMA",
    "LINK_SCHEMA",
    "REVIEW_SCHEMA",
    "SUCCESS_RESULT",
    "change_table",
    "classify_deployments",
    "deployment_table",
    "first_reviews",
    "incident_table",
    "link_changes_by_merge_time",
    "rework_deployments",
]

UTC = pl.Datetime("us", "UTC")
DEFAULT_PRODUCTION_ENVIRONMENTS: tuple[str, ...] = ("production", "prod")
"""Environment names that count as production unless a team sets its own (compared case-insensitively)."""
SUCCESS_RESULT = "success"
FAILED_RESULTS: tuple[str, ...] = ("failure", "error")

DEPLOYMENT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "id": pl.Int64,
    "repository": pl.Utf8,
    "environment": pl.Utf8,
    "result": pl.Utf8,
    "started_at": UTC,
    "finished_at": UTC,
}
CHANGE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "id": pl.Int64,
    "repository": pl.Utf8,
    "first_commit_at": UTC,
    "opened_at": UTC,
    "first_review_at": UTC,
    "merged_at": UTC,
}
LINK_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {"deployment_id": pl.Int64, "change_id": pl.Int64}
INCIDENT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "id": pl.Int64,
    "created_at": UTC,
    "resolved_at": UTC,
    "repository": pl.Utf8,
    "deployment_id": pl.Int64,
}
REVIEW_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "change_id": pl.Int64,
    "reviewer": pl.Utf8,
    "at": UTC,
}
_MICROS_PER_MINUTE = 60_000_000
REWORK_REF_PATTERN = r"(?i)(^|[^a-z])(hotfix|hot-fix|rollback|roll-back|revert)"
"""A ref (branch or tag) that marks a deployment as a fix: a word starting with hotfix, rollback or revert."""


def _ceil_minutes(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Whole minutes from ``start`` to ``end`` rounded up; null when either is missing or the span is negative."""
    micros = (end - start).dt.total_microseconds()
    minutes = (micros + (_MICROS_PER_MINUTE - 1)).floordiv(_MICROS_PER_MINUTE)
    return pl.when(micros >= 0).then(minutes).otherwise(None).cast(pl.Int64)


def classify_deployments(deployments: pl.DataFrame, *, environments: Iterable[str]) -> pl.DataFrame:
    """Add ``production`` (environment is one of ``environments``), ``succeeded`` and ``at`` (when it counts).

    Args:
        deployments: the deployments frame.
        environments: environment names that count as production (case-insensitive).

    Returns:
        The frame with the three columns added; ``at`` is ``finished_at``, or ``started_at`` while unknown.
    """
    names = sorted({name.strip().lower() for name in environments})
    return deployments.with_columns(
        production=pl.col("environment").str.to_lowercase().str.strip_chars().is_in(names),
        succeeded=pl.col("result").str.to_lowercase() == SUCCESS_RESULT,
        at=pl.coalesce(pl.col("finished_at"), pl.col("started_at")),
    )


def first_reviews(changes: pl.DataFrame, reviews: pl.DataFrame) -> pl.DataFrame:
    """Set ``first_review_at`` from review events, ignoring the author's own reviews and comments.

    Args:
        changes: the changes frame with an ``author`` column.
        reviews: ``change_id``, ``reviewer``, ``at``: every review or review comment.

    Returns:
        ``changes`` with ``first_review_at`` = the earliest review by someone other than the author (null if none).
    """
    others = (
        reviews.join(changes.select(pl.col("id").alias("change_id"), "author"), on="change_id", how="inner")
        .filter(pl.col("reviewer").str.to_lowercase() != pl.col("author").str.to_lowercase())
        .group_by("change_id")
        .agg(pl.col("at").min().alias("first_review_at"))
    )
    return changes.drop("first_review_at", strict=False).join(others, left_on="id", right_on="change_id", how="left")


def link_changes_by_merge_time(deployments: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """Which changes each successful deployment shipped, when the source gave no commit list.

    A change merged into a repository belongs to the first successful deployment of that repository
    (per environment) that started at or after the merge: that is, it was merged after the previous
    successful deployment of the same repository and environment started (so after it finished, or
    while it ran and could not carry it) and at or before this one started.

    Args:
        deployments: the deployments frame (any environment).
        changes: the changes frame.

    Returns:
        A links frame (``deployment_id``, ``change_id``).
    """
    successful = (
        deployments.filter(pl.col("result").str.to_lowercase() == SUCCESS_RESULT)
        .select(
            pl.col("id").alias("deployment_id"),
            "repository",
            pl.col("environment").str.strip_chars().str.to_lowercase(),
            "started_at",
        )
        .sort("started_at")
    )
    merged = changes.filter(pl.col("merged_at").is_not_null()).select(pl.col("id").alias("change_id"), "repository", "merged_at")
    if successful.is_empty() or merged.is_empty():
        return pl.DataFrame(schema=LINK_SCHEMA)
    environments = successful.select("repository", "environment").unique()
    candidates = merged.join(environments, on="repository", how="inner").sort("merged_at")
    joined = candidates.join_asof(
        successful,
        left_on="merged_at",
        right_on="started_at",
        by=["repository", "environment"],
        strategy="forward",
        check_sortedness=False,
    )
    return (
        joined.filter(pl.col("deployment_id").is_not_null())
        .select("deployment_id", "change_id")
        .unique()
        .sort("deployment_id", "change_id")
    )


def incident_table(deployments: pl.DataFrame, incidents: pl.DataFrame, *, environments: Iterable[str]) -> pl.DataFrame:
    """Link each incident to the deployment that caused it.

    An explicit link (``deployment_id``) is kept. Otherwise the incident is linked to the latest successful
    production deployment finished before it was created, of the incident's repository when it names
    one that has production deployments, else of any repository.

    Args:
        deployments: the deployments frame.
        incidents: the incidents frame.
        environments: production environment names.

    Returns:
        ``incidents`` with ``deployment_id`` filled where a deployment was found and ``link``:
        "explicit", "inferred" or "none".
    """
    classified = classify_deployments(deployments, environments=environments)
    production = (
        classified.filter(pl.col("production") & pl.col("succeeded") & pl.col("finished_at").is_not_null())
        .select(pl.col("id").alias("inferred_id"), "repository", pl.col("finished_at").alias("deployed_at"))
        .sort("deployed_at")
    )
    frame = incidents.with_row_index("_row")
    explicit = frame.filter(pl.col("deployment_id").is_not_null()).with_columns(link=pl.lit("explicit"))
    implicit = frame.filter(pl.col("deployment_id").is_null()).sort("created_at")
    if production.is_empty() or implicit.is_empty():
        implicit = implicit.with_columns(link=pl.lit("none"))
    else:
        # Strictly before: shift creation back by a microsecond for the asof join.
        probe = implicit.with_columns(_probe=pl.col("created_at") - pl.duration(microseconds=1))
        known_repositories = production.get_column("repository").unique().to_list()
        by_repository = probe.join_asof(
            production,
            left_on="_probe",
            right_on="deployed_at",
            by="repository",
            strategy="backward",
            check_sortedness=False,
        ).select("_row", pl.col("inferred_id").alias("_by_repository"))
        any_repository = probe.join_asof(
            production.drop("repository"), left_on="_probe", right_on="deployed_at", strategy="backward"
        ).select("_row", pl.col("inferred_id").alias("_any"))
        implicit = (
            probe.join(by_repository, on="_row", how="left")
            .join(any_repository, on="_row", how="left")
            .with_columns(
                deployment_id=pl.when(pl.col("repository").is_in(known_repositories))
                .then(pl.col("_by_repository"))
                .otherwise(pl.col("_any"))
            )
            .with_columns(link=pl.when(pl.col("deployment_id").is_null()).then(pl.lit("none")).otherwise(pl.lit("inferred")))
            .drop("_probe", "_by_repository", "_any")
        )
    return pl.concat([explicit, implicit], how="diagonal_relaxed").sort("_row").drop("_row")


def deployment_table(
    deployments: pl.DataFrame, linked_incidents: pl.DataFrame, links: pl.DataFrame, *, environments: Iterable[str]
) -> pl.DataFrame:
    """One row per deployment with what DORA makes of it.

    A deployment *counts* when it is a production deployment that succeeded, or that failed (result
    "failure" or "error") and is linked to an incident: it demonstrably changed production.

    Args:
        deployments: the deployments frame.
        linked_incidents: the output of :func:`incident_table`.
        links: the deployment → change links.
        environments: production environment names.

    Returns:
        ``deployments`` plus ``production``, ``succeeded``, ``at``, ``incidents`` (linked count), ``failed_change``
        (linked to at least one incident), ``counted``, ``changes`` (shipped count), ``restored_at`` (latest
        resolution of its incidents, null while one is open) and ``recovery_minutes``.
    """
    classified = classify_deployments(deployments, environments=environments)
    per_deployment = (
        linked_incidents.filter(pl.col("deployment_id").is_not_null())
        .group_by("deployment_id")
        .agg(
            pl.len().cast(pl.Int64).alias("incidents"),
            pl.when(pl.col("resolved_at").is_null().any()).then(None).otherwise(pl.col("resolved_at").max()).alias("restored_at"),
        )
    )
    shipped = links.group_by("deployment_id").agg(pl.len().cast(pl.Int64).alias("changes"))
    table = (
        classified.join(per_deployment, left_on="id", right_on="deployment_id", how="left")
        .join(shipped, left_on="id", right_on="deployment_id", how="left")
        .with_columns(pl.col("incidents").fill_null(0), pl.col("changes").fill_null(0))
        .with_columns(failed_change=pl.col("incidents") > 0)
        .with_columns(
            counted=pl.col("production")
            & (pl.col("succeeded") | (pl.col("result").str.to_lowercase().is_in(FAILED_RESULTS) & pl.col("failed_change")))
        )
    )
    rework = rework_deployments(classified, linked_incidents)
    return table.join(rework, on="id", how="left").with_columns(
        recovery_minutes=pl.when(pl.col("failed_change")).then(_ceil_minutes(pl.col("at"), pl.col("restored_at"))),
        rework=pl.col("rework_reason").is_not_null() & pl.col("counted"),
    )


def rework_deployments(classified: pl.DataFrame, linked_incidents: pl.DataFrame) -> pl.DataFrame:
    """Which production deployments were unplanned fixes of an incident (DORA 2024's deployment rework).

    A successful production deployment is rework when

    - its ref (branch or tag) marks it as a fix: a word of the ref starts with "hotfix", "rollback" or
      "revert" (``hotfix/login``, ``v1.2-rollback``, ``revert-481``), case-insensitive; reason "ref"; or
    - it started while an incident of its repository was open: created at or before the deployment started
      and not resolved by then (an incident still open counts until it is resolved). An incident's
      repository is its own, else that of the deployment it is linked to; reason "incident".

    Args:
        classified: the output of :func:`classify_deployments` (``ref`` optional).
        linked_incidents: the output of :func:`incident_table`.

    Returns:
        ``id`` and ``rework_reason`` ("ref" or "incident") of each rework deployment.
    """
    candidates = classified.filter(pl.col("production") & pl.col("succeeded"))
    refs = candidates.get_column("ref") if "ref" in candidates.columns else pl.Series("ref", [None] * candidates.height, pl.Utf8)
    by_ref = candidates.select("id").with_columns(marked=refs.cast(pl.Utf8).fill_null("").str.contains(REWORK_REF_PATTERN))
    marked = by_ref.filter(pl.col("marked")).select("id", pl.lit("ref").alias("rework_reason"))
    repositories = classified.select(pl.col("id").alias("deployment_id"), pl.col("repository").alias("_linked_repository"))
    incidents = (
        linked_incidents.join(repositories, on="deployment_id", how="left")
        .with_columns(_repository=pl.coalesce(pl.col("repository"), pl.col("_linked_repository")))
        .filter(pl.col("_repository").is_not_null())
        .select("_repository", pl.col("created_at").alias("_created_at"), pl.col("resolved_at").alias("_resolved_at"))
    )
    during = (
        candidates.select("id", "repository", "started_at")
        .join(incidents, left_on="repository", right_on="_repository", how="inner")
        .filter(
            (pl.col("_created_at") <= pl.col("started_at"))
            & (pl.col("_resolved_at").is_null() | (pl.col("_resolved_at") > pl.col("started_at")))
        )
        .select("id")
        .unique()
        .join(marked.select("id"), on="id", how="anti")
        .with_columns(rework_reason=pl.lit("incident"))
    )
    return pl.concat([marked, during]).sort("id")


def change_table(
    deployments: pl.DataFrame, changes: pl.DataFrame, links: pl.DataFrame, *, environments: Iterable[str]
) -> pl.DataFrame:
    """One row per change with the production deployment that shipped it and its lead time.

    The shipping deployment is the earliest-finishing successful production deployment linked to the change.
    Spans are whole minutes rounded up; a negative span (clock skew, a merge before the first commit) is
    missing data (null), never zero.

    Args:
        deployments: the deployments frame.
        changes: the changes frame.
        links: the deployment → change links.
        environments: production environment names.

    Returns:
        ``changes`` plus ``deployment_id``, ``deployed_at``, ``lead_time_minutes``, ``coding_minutes``,
        ``pickup_minutes``, ``review_minutes`` and ``deploy_minutes``.
    """
    classified = classify_deployments(deployments, environments=environments)
    shipped = (
        classified.filter(pl.col("production") & pl.col("succeeded") & pl.col("finished_at").is_not_null())
        .select(pl.col("id").alias("deployment_id"), pl.col("finished_at").alias("deployed_at"))
        .join(links, on="deployment_id", how="inner")
        .sort("deployed_at", "deployment_id")
        .group_by("change_id", maintain_order=True)
        .first()
    )
    return changes.join(shipped, left_on="id", right_on="change_id", how="left").with_columns(
        lead_time_minutes=_ceil_minutes(pl.col("first_commit_at"), pl.col("deployed_at")),
        coding_minutes=_ceil_minutes(pl.col("first_commit_at"), pl.col("opened_at")),
        pickup_minutes=_ceil_minutes(pl.col("opened_at"), pl.col("first_review_at")),
        review_minutes=_ceil_minutes(pl.col("first_review_at"), pl.col("merged_at")),
        deploy_minutes=_ceil_minutes(pl.col("merged_at"), pl.col("deployed_at")),
    )
