"""Routers of dora, which the app factory includes (API under /api/v1, then pages)."""

from __future__ import annotations

from fastapi import APIRouter

from deliveryops.dora.pages import router as pages_router
from deliveryops.dora.routes import api, webhooks

__all__ = ["api_routers", "page_routers"]

# JSON routers (mounted under /api/v1) and page routers, in the order they must match.
api_routers: list[APIRouter] = [webhooks, api]
page_routers: list[APIRouter] = [pages_router]
