"""An inbound hook's token names its hook by ASCII digits only (issue 17): other digits or too many of them
are an unknown token (401), never an error of the server."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from deliveryops.dependencies.inbound import authenticate
from deliveryops.errors import NotAuthenticatedError


@pytest.mark.parametrize("hook_id", ["\u00b2", "\u0661", "12345678901234567890", "1x", "", "+1", " 1"])
def test_a_token_naming_no_hook_id_is_unknown(session: Session, hook_id: str) -> None:
    with pytest.raises(NotAuthenticatedError, match="unknown or revoked"):
        authenticate(session=session, authorization=f"Bearer dih_{hook_id}_secret", app_key="k" * 32)
