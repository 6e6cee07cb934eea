"""What an Azure DevOps connection reads, and the one-line-per-source text of its deployment sources.

Deployment sources are written one per line, a pipeline (build definition) or a classic release
definition, by name or id, then ``key=value`` options separated by semicolons::

    pipeline: Shop CI; stage=Deploy to production; branch=main; environment=production
    pipeline: 12
    release: Shop release; stage=PROD

- ``pipeline``: every completed run of the pipeline (of ``branch`` when given) is a deployment; with
  ``stage``, the run's stage of that name is (its own result and times), and runs that skipped it are not.
- ``release``: every deployment of the release definition to its ``stage`` (a release environment) is.
- ``environment`` (default ``production``) is the environment the records get; ``repository`` names the
  repository deployed when the pipeline's own repository is not the one (a pipeline in another repository).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from deliveryops.connectors.base import ConnectorSettings, source_url

__all__ = [
    "AzureDevOpsSettings",
    "DeploymentSourceLineError",
    "PipelineSource",
    "format_sources",
    "parse_sources",
    "release_url_for",
]

_NAME = re.compile(r"^[^\r\n;=]+$")
_OPTIONS = {"pipeline": ("stage", "branch", "environment", "repository"), "release": ("stage", "environment", "repository")}


class PipelineSource(BaseModel):
    """One deployment source: a pipeline's runs (or one stage of them), or a release definition's stage.

    Attributes:
        kind: ``pipeline`` (Azure Pipelines build runs) or ``release`` (classic release deployments).
        definition: the pipeline's or release definition's name, or its numeric id.
        stage: the stage whose result is the deployment (pipelines: optional; releases: required).
        branch: pipelines only: the branch whose runs deploy (e.g. ``main``); empty for every branch.
        environment: the environment the deployments are recorded as.
        repository: the repository deployed, when not the pipeline's own (or for a release).
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["pipeline", "release"]
    definition: str
    stage: str | None = None
    branch: str | None = None
    environment: str = "production"
    repository: str | None = None

    @field_validator("definition", "stage", "branch", "repository")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if value and not _NAME.match(value):
            raise ValueError(f"{value!r} cannot contain ; or =")
        return value or None

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        value = value.strip()
        if not value or not re.fullmatch(r"\S+", value):
            raise ValueError("the environment is one word, e.g. production")
        return value

    @model_validator(mode="after")
    def _complete(self) -> PipelineSource:
        if not self.definition:
            raise ValueError(f"name the {self.kind} (its name or id)")
        if self.kind == "release" and not self.stage:
            raise ValueError(f"release {self.definition}: name the stage (release environment) that deploys, e.g. stage=PROD")
        if self.kind == "release" and self.branch:
            raise ValueError(f"release {self.definition}: branch only applies to pipelines")
        return self


class AzureDevOpsSettings(ConnectorSettings):
    """What an Azure DevOps connection reads (a personal access token is its secret).

    Attributes:
        base_url: the organization, ``https://dev.azure.com/ORG`` (or ``https://ORG.visualstudio.com``, or an
            Azure DevOps Server collection such as ``https://tfs.example.com/DefaultCollection``).
        project: the project.
        area_paths: work items under these area paths feed the team (empty: the whole project).
        work_item_types: the work item types read (empty: every type).
        blocked_tag: the tag that flags a work item as blocked (the CMMI "Blocked" field counts too).
        repositories: the Azure Repos repositories whose pull requests are read.
        deployments: where deployments come from (see the module docstring).
        incident_types: work item types that are incidents (e.g. ``Incident``).
        incident_tags: tags that make a work item an incident.
        incidents_as_work_items: whether incident work items stay work items as well.
        release_url: the Release Management API root; empty derives it (``https://vsrm.dev.azure.com/ORG``
            for dev.azure.com, the organization URL itself for Azure DevOps Server).
    """

    base_url: str
    project: str
    area_paths: list[str] = Field(default_factory=list)
    work_item_types: list[str] = Field(default_factory=list)
    blocked_tag: str = "Blocked"
    repositories: list[str] = Field(default_factory=list)
    deployments: list[PipelineSource] = Field(default_factory=list)
    incident_types: list[str] = Field(default_factory=list)
    incident_tags: list[str] = Field(default_factory=list)
    incidents_as_work_items: bool = True
    release_url: str | None = None

    @field_validator("area_paths", "work_item_types", "repositories", "incident_types", "incident_tags", mode="before")
    @classmethod
    def _one_value_is_a_list(cls, value: object) -> object:
        # The CLI's --setting KEY=VALUE gives a single value as text; a list of one is meant.
        return [value] if isinstance(value, str) else value

    @field_validator("base_url", "release_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        value = (value or "").strip().rstrip("/")
        if not value:
            return None
        return source_url(value, example="https://dev.azure.com/fabrikam")

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        value = value.strip()
        if not value or any(char in value for char in "/\\'\"#?%"):
            raise ValueError("name the project (letters, digits, spaces, - and _)")
        return value

    @field_validator("area_paths", "work_item_types", "repositories", "incident_types", "incident_tags")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        cleaned = list(dict.fromkeys(name.strip() for name in value if name.strip()))
        for name in cleaned:
            if "'" in name:
                raise ValueError(f"{name!r}: a name cannot contain a single quote")
        return cleaned

    @model_validator(mode="after")
    def _areas_in_project(self) -> AzureDevOpsSettings:
        for path in self.area_paths:
            if path.split("\\")[0].casefold() != self.project.casefold():
                raise ValueError(f"area_paths: {path!r} is not in project {self.project} (write {self.project}\\Team)")
        return self

    def releases_root(self) -> str:
        """The Release Management API root (another host on Azure DevOps Services)."""
        return self.release_url or release_url_for(str(self.base_url))

    def reads_incidents(self) -> bool:
        """Whether any work item can be an incident."""
        return bool(self.incident_types or self.incident_tags)


def release_url_for(organization_url: str) -> str:
    """``https://vsrm.dev.azure.com/ORG`` for ``https://dev.azure.com/ORG``, ``https://ORG.vsrm.visualstudio.com``
    for ``https://ORG.visualstudio.com``, the URL itself otherwise (Azure DevOps Server serves both APIs)."""
    parts = urlsplit(organization_url)
    host = parts.netloc.lower()
    if host == "dev.azure.com":
        return f"{parts.scheme}://vsrm.dev.azure.com{parts.path}"
    if host.endswith(".visualstudio.com") and ".vsrm." not in host:
        return f"{parts.scheme}://{host.removesuffix('.visualstudio.com')}.vsrm.visualstudio.com{parts.path}"
    return organization_url


class DeploymentSourceLineError(ValueError):
    """A line of the deployment sources text that cannot be read; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def parse_sources(text: str) -> list[dict[str, Any]]:
    """Read the form's deployment sources (see the module docstring) into :class:`PipelineSource` dicts.

    Raises:
        DeploymentSourceLineError: naming the line and what is wrong with it.
    """
    sources: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind, colon, rest = line.partition(":")
        kind = kind.strip().lower()
        if not colon or kind not in _OPTIONS:
            raise DeploymentSourceLineError(
                number, 'start with "pipeline:" or "release:", e.g. "pipeline: Shop CI; stage=Deploy"'
            )
        parts = [part.strip() for part in rest.split(";")]
        if not parts[0]:
            raise DeploymentSourceLineError(number, f"name the {kind} after the colon (its name or id)")
        entry: dict[str, Any] = {"kind": kind, "definition": parts[0]}
        for option in parts[1:]:
            if not option:
                continue
            key, equals, value = option.partition("=")
            key = key.strip().lower()
            if not equals or key not in _OPTIONS[kind]:
                raise DeploymentSourceLineError(
                    number, f"{option!r} is not an option of a {kind}; use {', '.join(name + '=' for name in _OPTIONS[kind])}"
                )
            if not value.strip():
                raise DeploymentSourceLineError(number, f"{key}= needs a value")
            entry[key] = value.strip()
        sources.append(entry)
    return sources


def format_sources(sources: Iterable[Mapping[str, Any]]) -> str:
    """The text form of stored deployment sources (the inverse of :func:`parse_sources`)."""
    lines = []
    for source in sources:
        kind = str(source.get("kind") or "pipeline")
        options = [
            f"{key}={source[key]}"
            for key in _OPTIONS[kind]
            if source.get(key) and not (key == "environment" and source[key] == "production")
        ]
        lines.append("; ".join([f"{kind}: {source.get('definition')}", *options]))
    return "\n".join(lines)
