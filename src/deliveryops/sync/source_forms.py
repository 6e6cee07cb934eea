"""The connection forms' settings fields (:class:`deliveryops.sync.schemas.ConnectionForm`): reading them into a
connector's settings and back, and naming the field beside which a settings error is shown.

The pages read the form through the form adapter, so a field that is too long is named beside it and what
was typed is kept; the connector then checks the settings with the messages the API gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deliveryops.connectors.azure_devops_settings import DeploymentSourceLineError, format_sources, parse_sources
from deliveryops.connectors.github_deployments import DeploymentLineError, parse_deployment_sources
from deliveryops.errors import ValidationFailedError
from deliveryops.sync.schemas import ConnectionForm

__all__ = [
    "SOURCE_FIELDS",
    "SOURCE_KINDS",
    "deployment_text",
    "edit_values",
    "form_errors",
    "settings_for",
]

SOURCE_KINDS = ("gitlab", "azure-devops", "linear")
SOURCE_FIELDS = (
    "gitlab_projects",
    "status_labels",
    "environments",
    "ado_project",
    "area_paths",
    "work_item_types",
    "ado_repositories",
    "pipelines",
    "incident_types",
    "incident_tags",
    "linear_teams",
)
"""The form fields of the GitLab, Azure DevOps and Linear connections (:class:`ConnectionForm`)."""
# Settings keys whose errors belong beside a differently named form field.
_FORM_NAME = {
    "gitlab": {"projects": "gitlab_projects", "deployment_environments": "environments"},
    "azure-devops": {"project": "ado_project", "repositories": "ado_repositories", "deployments": "pipelines"},
    "linear": {"teams": "linear_teams"},
}


def _listed(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _sources(parse: Callable[[str], list[Any]], text: str, field: str) -> list[Any]:
    """Deployment sources as the connector stores them; a line that cannot be read is named beside ``field``."""
    try:
        return parse(text)
    except (DeploymentLineError, DeploymentSourceLineError) as exc:
        message = str(exc)
        raise ValidationFailedError(
            "Please correct the deployment sources.", fields={field: message[0].upper() + message[1:] + "."}
        ) from None


def settings_for(kind: str, form: ConnectionForm) -> dict[str, Any]:
    """The connector settings a connection form holds for ``kind`` (the fields of other kinds are not read).

    Raises:
        ValidationFailedError: naming the line of a deployment source that cannot be read.
    """
    settings: dict[str, Any] = {"base_url": form.base_url.strip()}
    if kind.startswith("jira"):
        settings["projects"] = _listed(form.projects)
        if kind == "jira-cloud":
            settings["email"] = form.email.strip()
        settings["incident_issue_types"] = _listed(form.incident_issue_types)
        settings["incident_labels"] = _listed(form.incident_labels)
        settings["incident_severity_field"] = form.incident_severity_field.strip() or None
        settings["action_issue_type"] = form.action_issue_type.strip() or "Task"
    elif kind == "github":
        settings.update(
            base_url=settings["base_url"] or "https://api.github.com",
            repositories=_listed(form.repositories),
            deployments=_sources(parse_deployment_sources, form.deployments, "deployments"),
            incident_label=form.incident_label.strip() or None,
        )
    elif kind == "gitlab":
        settings.update(
            base_url=settings["base_url"] or "https://gitlab.com",
            projects=_listed(form.gitlab_projects),
            status_labels=_lines(form.status_labels),
            deployment_environments=_listed(form.environments),
        )
    elif kind == "azure-devops":
        deployments = _sources(parse_sources, form.pipelines, "pipelines")
        # Area paths contain backslashes and may contain commas: one per line.
        settings.update(
            project=form.ado_project.strip(),
            area_paths=_lines(form.area_paths),
            work_item_types=_listed(form.work_item_types),
            repositories=_listed(form.ado_repositories),
            deployments=deployments,
            incident_types=_listed(form.incident_types),
            incident_tags=_listed(form.incident_tags),
        )
    elif kind == "linear":
        settings.update(
            base_url=settings["base_url"] or "https://api.linear.app",
            teams=_listed(form.linear_teams),
            incident_labels=_listed(form.incident_labels),
        )
    if kind.startswith("jira") or kind == "github" or kind in SOURCE_KINDS:
        settings["incidents_as_work_items"] = not form.incidents_only
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

    values = dict.fromkeys(SOURCE_FIELDS, "")
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
