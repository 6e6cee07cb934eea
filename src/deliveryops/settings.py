"""Settings from the environment (``DELIVERYOPS_*``), failing fast on unsafe production config."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "UnsafeConfigError", "get_settings"]

DEFAULT_DATABASE_URL = "sqlite:///deliveryops.db"
SECRET_FILE_NAME = "deliveryops.secret"  # noqa: S105 (a file name, not a secret)


class UnsafeConfigError(RuntimeError):
    """The configuration would run the app in an unsafe way."""


class Settings(BaseSettings):
    """Runtime configuration.

    In development (the embedded default) a secret key is generated on first run and kept in
    ``deliveryops.secret`` next to the SQLite file; in production a key must be given.
    """

    model_config = SettingsConfigDict(env_prefix="DELIVERYOPS_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    min_group_size: int = Field(default=3, ge=1, description="Smallest group whose results are shown")
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    session_max_age_seconds: int = Field(default=14 * 24 * 3600, ge=60)
    cluster_escalation_teams: int = Field(
        default=3, ge=2, le=50, description="Teams whose clustered impediments go to Product Ops automatically"
    )
    scheduler: bool = Field(
        default=True, description="The web process runs an embedded worker: queued jobs and scheduled ones (syncs, digests)"
    )
    sync_in_background: bool = Field(
        default=True, description="Syncs started from the web run on a worker; off: in the request that started them (tests)"
    )
    queue_url: str = Field(
        default="",
        description="Where the job queue keeps its messages: empty for beside the database (a SQLite file next to a "
        "SQLite database, huey's tables in the same PostgreSQL database), or a sqlite:///, postgresql:// or memory:// URL",
    )
    worker_threads: int = Field(default=2, ge=1, le=64, description="Jobs a worker process runs at the same time")
    job_heartbeat_seconds: float = Field(default=10.0, gt=0, description="How often a running job reports it is alive")
    job_stale_seconds: float = Field(
        default=60.0, gt=0, description="A running job silent for this long is taken to have lost its worker and retried"
    )
    job_reap_seconds: float = Field(
        default=30.0, gt=0, description="How often each worker looks for jobs whose worker stopped, and for lost messages"
    )
    jobs_inline: bool = Field(
        default=False, description="Run each job in the process that enqueued it, as soon as it is committed (tests)"
    )
    connector_allow_private_hosts: bool = Field(
        default=False,
        description="Connections may reach private, loopback and link-local addresses (a tracker inside the network)",
    )
    connector_allow_http_loopback: bool = Field(
        default=False, description="Connections may use plain http:// to this machine's loopback address (tests, local fakes)"
    )
    delivery_managers_appoint: bool = Field(
        default=False,
        description="A team's delivery manager may make others delivery managers of that team (otherwise only admins)",
    )
    import_background_mb: float = Field(
        default=1.0,
        ge=0,
        description="Work-item files larger than this (MB) import as a background job with progress and cancel; 0: all",
    )
    max_upload_mb: int = Field(
        default=20,
        ge=1,
        le=4096,
        description="Largest request body (an uploaded file with its form) in MB; refused with 413 while it streams in",
    )
    public_url: str = Field(default="http://127.0.0.1:8000", description="Where people reach the app (links in e-mails)")
    smtp_host: str | None = Field(default=None, description="SMTP server for digests; None: e-mail is off")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP connection with STARTTLS")
    smtp_from: str = Field(default="DeliveryOps <deliveryops@localhost>", description="Sender of digests")
    digests_scheduled: bool = Field(
        default=True, description="The in-process scheduler e-mails the weekly digests (needs scheduler and smtp_host)"
    )
    digest_weekday: int = Field(default=0, ge=0, le=6, description="Weekday the digests go out: 0 Monday ... 6 Sunday")
    digest_hour_utc: int = Field(default=7, ge=0, le=23, description="Hour (UTC) from which the digests go out")

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            if len(self.secret_key) < 32:
                raise UnsafeConfigError(
                    "DELIVERYOPS_SECRET_KEY must be set to at least 32 characters in production "
                    "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
            if self.secret_key in {"changethis", "secret", "development"}:
                raise UnsafeConfigError("DELIVERYOPS_SECRET_KEY is a well-known placeholder; set a real one")
        return self

    @property
    def max_upload_bytes(self) -> int:
        """The upload limit in bytes."""
        return self.max_upload_mb * 1024 * 1024

    @property
    def import_background_bytes(self) -> int:
        """Files larger than this import in the background."""
        return int(self.import_background_mb * 1024 * 1024)

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite default."""
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """Return the secret key, generating and storing one on first run in development.

        Returns:
            The key used to sign session cookies.
        """
        if self.secret_key:
            return self.secret_key
        path = self._secret_path()
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        key = secrets.token_urlsafe(48)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(key + "\n", encoding="utf-8")
        path.chmod(0o600)
        self.secret_key = key
        return key

    def _secret_path(self) -> Path:
        if self.is_sqlite and ":memory:" not in self.database_url:
            db_path = Path(self.database_url.split(":///", 1)[1])
            return db_path.parent / SECRET_FILE_NAME
        return Path(SECRET_FILE_NAME)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once from the environment)."""
    return Settings()
