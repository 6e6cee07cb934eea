"""Authorisation expectations for the dora routes (see ``authz_roles`` for the contract)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops.dora import service
from deliveryops.dora.csv_formats import import_csv
from deliveryops.dora.import_jobs import start_import
from deliveryops.work.models import PendingUpload
from tests.web.authz_roles import (
    A_MANAGERS,
    A_VIEWERS,
    ADMIN,
    ADMINS,
    EXAMPLES,
    FILE,
    NOBODY,
    SIGNED_IN,
    Expectations,
    WorldBase,
)

_DEPLOYMENT = {
    "id": "walk-1",
    "repository": "shop",
    "environment": "production",
    "result": "success",
    "started_at": "2026-03-02T10:00:00Z",
    "finished_at": "2026-03-02T10:20:00Z",
}
_INCIDENT = {"id": "walk-i1", "title": "Down", "created_at": "2026-03-02T11:00:00Z"}

EXPECTED: Expectations = {
    ("GET", "/api/v1/teams/{team_id}/dora"): (A_VIEWERS, None),
    ("GET", "/api/v1/groups/{group_id}/dora"): (A_VIEWERS, None),
    ("GET", "/api/v1/teams/{team_id}/dora/{dora_list}"): (A_VIEWERS, None),
    ("GET", "/api/v1/groups/{group_id}/dora/{dora_list}"): (A_VIEWERS, None),
    ("POST", "/api/v1/teams/{team_id}/dora/imports"): (A_MANAGERS, {FILE: "dora-incidents.csv"}),
    ("GET", "/api/v1/dora/webhook-sources"): (ADMINS, None),
    ("POST", "/api/v1/dora/webhook-sources"): (ADMINS, {"name": "Walk hook", "team_id": "{team_id}"}),
    # A signed-in person is no webhook sender: without a webhook token, everyone gets 401.
    ("POST", "/api/v1/webhooks/deployments"): (NOBODY, _DEPLOYMENT),
    ("POST", "/api/v1/webhooks/incidents"): (NOBODY, _INCIDENT),
    ("GET", "/dora"): (SIGNED_IN, None),
    ("GET", "/teams/{slug}/dora"): (A_VIEWERS, None),
    ("GET", "/groups/{slug}/dora"): (A_VIEWERS, None),
    ("GET", "/teams/{slug}/dora/upload"): (A_MANAGERS, None),
    ("POST", "/teams/{slug}/dora/upload"): (A_MANAGERS, {FILE: "dora-incidents.csv"}),
    ("POST", "/teams/{slug}/dora/settings"): (A_MANAGERS, {"environments": "production"}),
    ("GET", "/api/v1/teams/{team_id}/dora/import-jobs/{job_id}"): (A_MANAGERS, None),
    ("POST", "/api/v1/teams/{team_id}/dora/import-jobs/{job_id}/cancel"): (A_MANAGERS, {}),
    ("GET", "/teams/{slug}/dora/upload/jobs/{job_id}"): (A_MANAGERS, None),
    ("POST", "/teams/{slug}/dora/upload/jobs/{job_id}/cancel"): (A_MANAGERS, {}),
    ("GET", "/admin/dora/webhooks"): (ADMINS, None),
    ("POST", "/admin/dora/webhooks"): (ADMINS, {"name": "Walk page hook", "team_id": "{team_id}"}),
    # Last: they revoke the source created for the walk.
    ("POST", "/api/v1/dora/webhook-sources/{webhook_source_id}/revoke"): (ADMINS, None),
    ("POST", "/admin/dora/webhooks/{webhook_source_id}/revoke"): (ADMINS, {}),
}

PATH_OVERRIDES = {
    ("GET", "/groups/{slug}/dora"): {"slug": "group_slug"},
    **{
        (method, path): {"job_id": "dora_import_job_id"}
        for method, path in (
            ("GET", "/api/v1/teams/{team_id}/dora/import-jobs/{job_id}"),
            ("POST", "/api/v1/teams/{team_id}/dora/import-jobs/{job_id}/cancel"),
            ("GET", "/teams/{slug}/dora/upload/jobs/{job_id}"),
            ("POST", "/teams/{slug}/dora/upload/jobs/{job_id}/cancel"),
        )
    },
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """Create the dora objects the walk acts upon; return their path placeholders."""
    for kind in ("changes", "deployments", "incidents"):
        import_csv(session, team=world.team_a, kind=kind, content=(EXAMPLES / f"dora-{kind}.csv").read_bytes())
    source, _token = service.create_webhook_source(
        session=session, actor=world.people[ADMIN], team_id=world.team_a.id, name="World hook"
    )
    pending = PendingUpload(
        token="walk-dora-upload",
        user_id=world.people[ADMIN].id,
        team_id=world.team_a.id,
        file_name="dora-deployments.csv",
        content=(EXAMPLES / "dora-deployments.csv").read_bytes(),
    )
    session.add(pending)
    job = start_import(session, actor=world.people[ADMIN], team=world.team_a, pending=pending, kind="deployments")
    return {"dora_list": "changes", "webhook_source_id": str(source.id), "dora_import_job_id": str(job.id)}
