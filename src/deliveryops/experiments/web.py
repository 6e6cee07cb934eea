"""Routers of experiments, which the app factory includes (API under /api/v1, then pages)."""

from __future__ import annotations

from fastapi import APIRouter

from deliveryops.experiments import pages, routes

__all__ = ["api_routers", "page_routers"]

# JSON routers (mounted under /api/v1) and page routers, in the order they must match.
api_routers: list[APIRouter] = [routes.api]
page_routers: list[APIRouter] = [pages.router]
