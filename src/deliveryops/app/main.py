"""The FastAPI application factory: the one place that wires every domain's routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import swagger_ui_bundle
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from deliveryops import __version__
from deliveryops.accounts import pages as account_pages
from deliveryops.accounts import routes as account_routes
from deliveryops.actions import pages as action_pages
from deliveryops.app import home
from deliveryops.coaching import pages as coaching_pages
from deliveryops.coaching import routes as coaching_routes
from deliveryops.cockpit.catalogue import pages as catalogue_pages
from deliveryops.cockpit.catalogue import routes as catalogue_routes
from deliveryops.cockpit.digest import pages as digest_pages
from deliveryops.cockpit.leadership import pages as leadership_pages
from deliveryops.cockpit.portfolio import pages as portfolio_pages
from deliveryops.cockpit.rollouts import pages as rollout_pages
from deliveryops.cockpit.rollouts import routes as rollout_routes
from deliveryops.db import make_engine, make_session_factory
from deliveryops.dependencies import pages as dependency_pages
from deliveryops.dependencies import risk_pages as dependency_risk_pages
from deliveryops.dependencies import risk_routes as dependency_risk_routes
from deliveryops.dependencies import routes as dependency_routes
from deliveryops.dora import pages as dora_pages
from deliveryops.dora import routes as dora_routes
from deliveryops.enablement import pages as enablement_pages
from deliveryops.enablement import routes as enablement_routes
from deliveryops.experiments import pages as experiment_pages
from deliveryops.experiments import routes as experiment_routes
from deliveryops.facilitation import pages as session_pages
from deliveryops.facilitation import routes as session_routes
from deliveryops.flow import pages as flow_pages
from deliveryops.flow import routes as flow_routes
from deliveryops.health import pages as health_pages
from deliveryops.health import routes as health_routes
from deliveryops.impediments import cluster_pages
from deliveryops.impediments import learning_pages as impediment_learning
from deliveryops.impediments import pages as impediment_pages
from deliveryops.impediments import routes as impediment_routes
from deliveryops.impediments import settings_pages as impediment_settings
from deliveryops.jobs import JobRuntime, configure, ledger
from deliveryops.notify import pages as notify_pages
from deliveryops.outcomes import pages as outcome_pages
from deliveryops.outcomes import routes as outcome_routes
from deliveryops.retros import multi_pages as multi_retro_pages
from deliveryops.retros import multi_routes as multi_retro_routes
from deliveryops.retros import pages as retro_pages
from deliveryops.retros import routes as retro_routes
from deliveryops.risks import pages as risk_pages
from deliveryops.risks import routes as risk_routes
from deliveryops.roadmap import pages as roadmap_pages
from deliveryops.roadmap import routes as roadmap_routes
from deliveryops.settings import Settings, get_settings
from deliveryops.sync import pages as sync_pages
from deliveryops.sync import routes as sync_routes
from deliveryops.teams import pages as team_pages
from deliveryops.teams import people_pages
from deliveryops.teams import routes as team_routes
from deliveryops.web.assets import IMMUTABLE, PLOTLY_JS, SHORT, STATIC_DIR, HashedStaticFiles, content_hash, static_url
from deliveryops.web.errors import error_responses, install_error_handlers
from deliveryops.web.headers import SecurityHeadersMiddleware
from deliveryops.web.uploads import UploadLimitMiddleware
from deliveryops.work import pages as work_pages
from deliveryops.work import routes as work_routes
from deliveryops.worker import load_jobs
from deliveryops.worker import pages as job_pages
from deliveryops.worker import routes as job_routes

__all__ = ["create_app"]


API_DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DeliveryOps API</title>
<link rel="icon" href="{favicon}" type="image/svg+xml">
<link rel="stylesheet" href="/vendor/swagger/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/vendor/swagger/swagger-ui-bundle.js"></script>
<script src="{api_docs}"></script>
</body>
</html>
"""

API_PREFIX = "/api/v1"
# The one place that wires routers: later capabilities add theirs here, JSON routers (under /api/v1)
# and page routers, each in the order they must match.
API_ROUTERS: list[APIRouter] = [
    account_routes.router,
    team_routes.router,
    work_routes.router,
    flow_routes.router,
    sync_routes.router,
    impediment_routes.router,
    cluster_pages.api,
    impediment_learning.api,
    action_pages.api,
    notify_pages.api,
    retro_routes.api,
    multi_retro_routes.api,
    session_routes.api,
    dora_routes.webhooks,
    dora_routes.api,
    health_routes.api,
    coaching_routes.api,
    experiment_routes.api,
    portfolio_pages.api,
    leadership_pages.api,
    digest_pages.api,
    catalogue_routes.api,
    rollout_routes.api,
    dependency_risk_routes.api,  # /dependencies/risk before /dependencies/{id}
    dependency_routes.inbound_webhooks,
    dependency_routes.detection_api,  # before the dependencies API: /dependencies/export is not /dependencies/{id}
    dependency_routes.api,
    roadmap_routes.api,
    risk_routes.api,
    outcome_routes.webhooks,
    outcome_routes.api,
    enablement_routes.api,
    job_routes.api,
]
PAGE_ROUTERS: list[APIRouter] = [
    home.router,
    account_pages.router,
    people_pages.router,
    team_pages.router,
    work_pages.router,
    flow_pages.router,
    sync_pages.router,
    cluster_pages.router,  # before the impediment pages: /impediments/clusters is not /impediments/{id}
    impediment_learning.router,  # /impediments/clusters/{id} too
    impediment_pages.router,
    impediment_settings.router,
    action_pages.router,
    notify_pages.router,
    retro_routes.live,  # /retros/{id}/events and /export.md before /retros/{id}
    retro_pages.router,
    multi_retro_routes.live,  # /multi-retros/{id}/events before /multi-retros/{id}
    multi_retro_pages.router,
    session_routes.live,  # /sessions/{id}/events before /sessions/{id}
    session_pages.router,
    dora_pages.router,
    health_pages.router,
    coaching_pages.router,
    experiment_pages.router,
    portfolio_pages.router,
    leadership_pages.router,
    digest_pages.router,
    rollout_pages.router,
    catalogue_pages.router,
    dependency_risk_pages.router,  # /dependencies/timeline before /dependencies/{id}
    dependency_pages.detection_router,  # before the dependency pages: /dependencies/proposals is not /dependencies/{id}
    dependency_pages.router,
    roadmap_pages.router,
    risk_pages.router,
    outcome_pages.router,
    enablement_pages.router,
    job_pages.router,
]


def api_router() -> APIRouter:
    """Every JSON router under ``/api/v1``."""
    # Every operation may answer these, in the one error shape: a body that cannot be parsed (400), input
    # or a business rule refused (422, with a message per field), an unexpected error (500).
    router = APIRouter(prefix=API_PREFIX, responses=error_responses(400, 422, 500))
    for child in API_ROUTERS:
        router.include_router(child)
    return router


def route_table() -> list[tuple[str, str]]:
    """Every (method, path) the app serves from its routers; the authorisation test walks it."""
    table: list[tuple[str, str]] = []
    for prefix, routers in ((API_PREFIX, API_ROUTERS), ("", PAGE_ROUTERS)):
        for router in routers:
            for route in router.routes:
                path = prefix + str(getattr(route, "path", ""))
                for method in sorted(getattr(route, "methods", None) or ()):
                    if method != "HEAD":
                        table.append((method, path))
    return table


class _App(FastAPI):
    """The FastAPI app with the security headers outside everything, so even an unexpected error's 500 has them."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack())


def create_app(settings: Settings | None = None, session_factory: sessionmaker[Session] | None = None) -> FastAPI:
    """Build the app.

    Args:
        settings: configuration; read from the environment when omitted.
        session_factory: where requests get their database sessions; built from
            ``settings.database_url`` when omitted (tests pass one bound to a transaction).

    Returns:
        The ASGI application.
    """
    settings = settings or get_settings()
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.database_url))

    # Jobs committed by this process go to its queue; with the embedded worker on, the process also runs them.
    load_jobs()
    jobs = JobRuntime(settings, session_factory)
    configure(jobs)
    session_factory.configure(info={**session_factory.kw.get("info", {}), ledger.DELIVER: jobs.deliver})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The embedded worker (DELIVERYOPS_SCHEDULER, on by default): this process also runs queued and scheduled
        # jobs. Off when `deliveryops worker` processes run them: the web process then only queues.
        if settings.scheduler:
            jobs.start()
        yield
        if settings.scheduler:
            jobs.stop()

    app = _App(
        lifespan=lifespan,
        title="DeliveryOps API",
        version=__version__,
        description="Flow, forecasts, impediments, retros, DORA and experiments for delivery managers and "
        "Product Ops. Authenticate with a personal API token: `Authorization: Bearer <token>`.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.jobs = jobs
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie="deliveryops_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.environment == "production",
    )
    app.add_middleware(UploadLimitMiddleware, limit_bytes=settings.max_upload_bytes)
    # Pages, scripts and Plotly's bundles travel compressed (live retro streams are left as they are).
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    install_error_handlers(app)
    app.mount("/static", HashedStaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/vendor/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")

    @app.get("/healthz", tags=["health"], summary="Liveness check")
    def healthz() -> dict[str, str]:
        """Answers 200 without authentication while the app runs."""
        return {"status": "ok"}

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        # Served from the installed plotly wheel: charts work with no network at all.
        return FileResponse(PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": SHORT})

    @app.get("/vendor/plotly.min.{digest}.js", include_in_schema=False)
    def plotly_js_hashed(digest: str) -> FileResponse:
        # The name pages link to (``plotly_url``): immutable while the installed bundle is the same.
        cache = IMMUTABLE if digest == content_hash(PLOTLY_JS) else SHORT
        return FileResponse(PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": cache})

    @app.get("/api/docs", include_in_schema=False, response_class=HTMLResponse)
    def api_docs() -> HTMLResponse:
        # FastAPI's own page starts Swagger UI with an inline script, which the Content-Security-Policy refuses.
        return HTMLResponse(API_DOCS_HTML.format(favicon=static_url("favicon.svg"), api_docs=static_url("api_docs.js")))

    app.include_router(api_router())
    for router in PAGE_ROUTERS:
        app.include_router(router)
    return app
