"""Settings refuse unsafe production configuration and keep a development secret."""

from __future__ import annotations

from pathlib import Path

import pytest

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
