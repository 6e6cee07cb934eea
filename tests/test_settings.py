"""Settings refuse unsafe production configuration and keep a development secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from deliveryops.settings import Settings, UnsafeConfigError


def test_production_needs_a_real_secret() -> None:
    with pytest.raises(UnsafeConfigError, match="DELIVERYOPS_SECRET_KEY must be set to at least 32 characters"):
        Settings(environment="production", secret_key="")
    assert Settings(environment="production", secret_key="s" * 40).secret_key == "s" * 40


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'app.db'}")
    first = settings.resolved_secret_key()
    assert len(first) >= 48
    assert (tmp_path / "deliveryops.secret").read_text(encoding="utf-8").strip() == first
    assert Settings(database_url=f"sqlite:///{tmp_path / 'app.db'}").resolved_secret_key() == first
    assert oct((tmp_path / "deliveryops.secret").stat().st_mode & 0o777) == "0o600"


def test_digest_schedule_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DELIVERYOPS_DIGEST_WEEKDAY", "DELIVERYOPS_DIGEST_HOUR_UTC", "DELIVERYOPS_DIGESTS_SCHEDULED"):
        monkeypatch.delenv(name, raising=False)
    defaults = Settings()
    assert (defaults.digests_scheduled, defaults.digest_weekday, defaults.digest_hour_utc) == (True, 0, 7)
    monkeypatch.setenv("DELIVERYOPS_DIGEST_WEEKDAY", "4")
    monkeypatch.setenv("DELIVERYOPS_DIGEST_HOUR_UTC", "23")
    monkeypatch.setenv("DELIVERYOPS_DIGESTS_SCHEDULED", "false")
    configured = Settings()
    assert (configured.digests_scheduled, configured.digest_weekday, configured.digest_hour_utc) == (False, 4, 23)


@pytest.mark.parametrize(
    ("field", "value"), [("digest_weekday", 7), ("digest_weekday", -1), ("digest_hour_utc", 24), ("digest_hour_utc", -1)]
)
def test_bad_digest_schedule_is_refused_with_the_field_named(field: str, value: int) -> None:
    with pytest.raises(ValidationError, match=rf"{field}\n  Input should be (greater|less) than or equal to"):
        Settings(**{field: value})  # type: ignore[arg-type]


def test_bad_digest_schedule_from_the_environment_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELIVERYOPS_DIGEST_WEEKDAY", "monday")
    with pytest.raises(ValidationError, match=r"digest_weekday\n  Input should be a valid integer"):
        Settings()
