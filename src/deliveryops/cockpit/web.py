"""Routers of cockpit, which the app factory includes (API under /api/v1, then pages)."""

from __future__ import annotations

from fastapi import APIRouter

from deliveryops.cockpit import (
    catalogue_pages,
    catalogue_routes,
    digest_pages,
    leadership_pages,
    portfolio_pages,
)

__all__ = ["api_routers", "page_routers"]

# JSON routers (mounted under /api/v1) and page routers, in the order they must match.
api_routers: list[APIRouter] = [portfolio_pages.api, leadership_pages.api, digest_pages.api, catalogue_routes.api]
page_routers: list[APIRouter] = [portfolio_pages.router, leadership_pages.router, digest_pages.router, catalogue_pages.router]
