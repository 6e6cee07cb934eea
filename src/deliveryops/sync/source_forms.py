"""The connection form's fields for GitLab, Azure DevOps and Linear: reading them into settings and back.

The Jira and GitHub fields are read in :mod:`deliveryops.sync.pages`; these kinds add their own fields, read
from the submitted form by :func:`source_fields` (a dependency of the add and edit routes), so each field's
error is shown beside it and what was typed is kept.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from deliveryops.connectors.azure_devops_settings import DeploymentSourceLineError, format_sources, parse_sources
from deliveryops.errors import ValidationFailedError

__all__ = [
    "FIELD_NAMES",
    "SOURCE_KINDS",
    "SourceFields",
    "deployment_text",
    "edit_values",
    "form_errors",
    "settings_for",
    "source_fields",
]

SOURCE_KINDS = ("gitlab", "azure-devops", "linear")
_MAX_LENGTHS = {
    "gitlab_projects": 4000,
    "status_labels": 2000,
    "environments": 1000,
    "ado_project": 200,
    "area_paths": 4000,
    "work_item_types": 1000,
    "ado_repositories": 4000,
    "pipelines": 8000,
    "incident_types": 500,
    "incident_tags": 500,
    "linear_teams": 500,
}
FIELD_NAMES = tuple(_MAX_LENGTHS)
# Settings keys whose errors belong beside a differently named form field.
_FORM_NAME = {
    "gitlab": {"projects": "gitlab_projects", "deployment_environments": "environments"},
    "azure-devops": {"project": "ado_project", "repositories": "ado_repositories", "deployments": "pipelines"},
    "linear": {"teams": "linear_teams"},
}


async def source_fields(request: Request) -> dict[str, str]:
    """The GitLab, Azure DevOps and Linear fields of the submitted form ("" when absent; lengths are checked
    by :func:`settings_for`, so that the form is shown again with the message beside the field)."""
    form = await request.form()  # already parsed for the route's own fields: read from Starlette's cache
    return {name: str(form.get(name) or "") for name in FIELD_NAMES}


SourceFields = Annotated[dict[str, str], Depends(source_fields)]


def _listed(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def settings_for(kind: str, form: dict[str, str]) -> dict[str, Any]:
    """The connector settings of a GitLab, Azure DevOps or Linear form (the base URL and incidents-only included).

    Raises:
        ValidationFailedError: naming a field longer than it may be, or the line of a deployment source that
            cannot be read.
    """
    too_long = {name: f"At most {limit} characters." for name, limit in _MAX_LENGTHS.items() if len(form.get(name, "")) > limit}
    if too_long:
        raise ValidationFailedError("Please correct the marked fields.", fields=too_long)
    settings: dict[str, Any] = {}
    base_url = form.get("base_url", "").strip()
    incidents_only = form.get("incidents_only") == "on"
    if kind == "gitlab":
        settings.update(
            base_url=base_url or "https://gitlab.com",
            projects=_listed(form.get("gitlab_projects", "")),
            status_labels=_lines(form.get("status_labels", "")),
            deployment_environments=_listed(form.get("environments", "")),
        )
    elif kind == "azure-devops":
        try:
            deployments = parse_sources(form.get("pipelines", ""))
        except DeploymentSourceLineError as exc:
            raise ValidationFailedError(
                "Please correct the deployment sources.", fields={"pipelines": str(exc)[0].upper() + str(exc)[1:] + "."}
            ) from None
        # Area paths contain backslashes and may contain commas: one per line.
        settings.update(
            base_url=base_url,
            project=form.get("ado_project", "").strip(),
            area_paths=_lines(form.get("area_paths", "")),
            work_item_types=_listed(form.get("work_item_types", "")),
            repositories=_listed(form.get("ado_repositories", "")),
            deployments=deployments,
            incident_types=_listed(form.get("incident_types", "")),
            incident_tags=_listed(form.get("incident_tags", "")),
        )
    elif kind == "linear":
        settings.update(
            base_url=base_url or "https://api.linear.app",
            teams=_listed(form.get("linear_teams", "")),
            incident_labels=_listed(form.get("incident_labels", "")),
        )
    settings["incidents_as_work_items"] = not incidents_only
    return settings


def form_errors(kind: str, errors: dict[str, str]) -> dict[str, str]:
    """Errors keyed by settings name, re-keyed by the form field that shows them."""
    names = _FORM_NAME.get(kind, {})
    renamed: dict[str, str] = {}
    for key, message in errors.items():
        target = names.get(key, key)
        renamed[target] = f"{renamed[target]} {message}" if target in renamed else message
    return renamed


def deployment_text(kind: str, settings: dict[str, Any]) -> str:
    """An Azure DevOps connection's deployment sources as the form writes them ("" for other kinds)."""
    return format_sources(settings.get("deployments") or []) if kind == "azure-devops" else ""


def edit_values(kind: str, stored: dict[str, Any]) -> dict[str, str]:
    """The edit form's fields pre-filled from a GitLab, Azure DevOps or Linear connection's settings."""

    def joined(key: str, separator: str = ", ") -> str:
        return separator.join(str(value) for value in stored.get(key) or [])

    values = dict.fromkeys(FIELD_NAMES, "")
    if kind == "gitlab":
        values.update(
            gitlab_projects=joined("projects"),
            status_labels=joined("status_labels", "\n"),
            environments=joined("deployment_environments"),
        )
    elif kind == "azure-devops":
        values.update(
            ado_project=str(stored.get("project") or ""),
            area_paths=joined("area_paths", "\n"),
            work_item_types=joined("work_item_types"),
            ado_repositories=joined("repositories"),
            pipelines=deployment_text(kind, stored),
            incident_types=joined("incident_types"),
            incident_tags=joined("incident_tags"),
        )
    elif kind == "linear":
        values.update(linear_teams=joined("teams"))
    return values
