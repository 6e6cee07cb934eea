"""One error handler: HTML pages for browsers, ``{"error": {...}}`` JSON for the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from deliveryops.errors import DomainError
from deliveryops.web.security import LoginRequiredError
from deliveryops.web.templating import render

__all__ = ["ErrorBody", "ErrorResponse", "error_responses", "install_error_handlers"]


class ErrorBody(BaseModel):
    """What went wrong, in words a person can act on."""

    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorResponse(BaseModel):
    """The shape of every API error."""

    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses a route may answer."""
    descriptions = {
        400: "Bad request",
        401: "Not authenticated",
        403: "Permission denied",
        404: "Not found",
        409: "Conflict",
        422: "Validation failed",
        429: "Too many attempts",
    }
    return {status: {"model": ErrorResponse, "description": descriptions[status]} for status in statuses}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _json_error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details or {}))
    return JSONResponse(body.model_dump(), status_code=status)


def _html_error(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"status": status, "title": title, "message": message}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, LoginRequiredError) and not _is_api(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        if _is_api(request):
            response = _json_error(exc.status, exc.code, exc.message, exc.details)
            if exc.status == 401:
                response.headers["WWW-Authenticate"] = "Bearer"
            return response
        titles = {401: "Please sign in", 403: "Not allowed", 404: "Not found", 409: "Already exists"}
        return _html_error(request, exc.status, titles.get(exc.status, "Something is not right"), exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        fields: dict[str, str] = {}
        for error in exc.errors():
            location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
            fields[".".join(location) or "request"] = str(error.get("msg", "invalid"))
        message = "; ".join(f"{name}: {text}" for name, text in fields.items())
        if _is_api(request):
            return _json_error(422, "validation_failed", f"Invalid request: {message}", {"fields": fields})
        return _html_error(request, 422, "Invalid request", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.detail else "Error"
        if exc.status_code == 404:
            message = f"Nothing at {request.url.path}."
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
        if _is_api(request):
            code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
            return _json_error(exc.status_code, code, message)
        return _html_error(request, exc.status_code, "Not found" if exc.status_code == 404 else "Error", message)
