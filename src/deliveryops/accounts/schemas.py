"""API shapes for people and tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from deliveryops.accounts.models import Role


class UserRead(BaseModel):
    """A person as the API shows them."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    title: str
    role: Role
    is_active: bool


class UserCreate(BaseModel):
    """A new person (admins only)."""

    email: str = Field(max_length=254)
    name: str = Field(max_length=120)
    role: Role = Role.MEMBER
    title: str = Field(default="", max_length=120)
    password: str | None = Field(default=None, max_length=200)


class UserUpdate(BaseModel):
    """Changes to a person; omitted fields stay as they are."""

    name: str | None = Field(default=None, max_length=120)
    role: Role | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, max_length=200)
    current_password: str | None = Field(
        default=None, max_length=200, description="Your current password: needed to change your own"
    )
    revoke_tokens: bool = Field(default=False, description="With a new password, also revoke the person's API tokens")


class TokenCreate(BaseModel):
    """A new personal API token."""

    name: str = Field(max_length=100)


class TokenRead(BaseModel):
    """A token without its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    """A new token, with its secret shown this once."""

    token: str


class SignIn(BaseModel):
    """The sign-in form: what was typed, and the same-site page to go to afterwards."""

    email: str = Field(default="", max_length=254, title="The e-mail")
    password: str = Field(default="", max_length=200, title="The password")
    next: str = Field(default="/", max_length=500, title="The page to go to")


class PasswordChange(BaseModel):
    """A new password for oneself: every other session ends; API tokens stay unless ``revoke_tokens``."""

    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)
    revoke_tokens: bool = False


class SessionsEnded(BaseModel):
    """How many signed-in sessions were ended."""

    ended: int
