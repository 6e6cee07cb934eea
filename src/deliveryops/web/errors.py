"""One error handler: HTML pages for browsers, ``{"error": {...}}`` JSON for the API."""

from __future__ import annotations

import html
import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from deliveryops.errors import DomainError, ErrorBody, ErrorResponse, ValidationFailedError, error_key, validation_failed
from deliveryops.web.security import LoginRequiredError
from deliveryops.web.templating import render

__all__ = [
    "UNEXPECTED_MESSAGE",
    "ErrorBody",
    "ErrorResponse",
    "error_responses",
    "install_error_handlers",
    "request_validation_failed",
    "upload_too_large_message",
]

logger = logging.getLogger(__name__)

UNEXPECTED_MESSAGE = (
    "Something went wrong on our side and the request was not completed; what it would have changed was "
    "not saved. Try again in a moment; if it keeps failing, tell your administrator (the server log has the details)."
)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses a route may answer."""
    descriptions = {
        400: "Bad request: the body could not be read (malformed JSON, form or multipart data)",
        401: "Not authenticated",
        403: "Permission denied",
        404: "Not found",
        409: "Conflict",
        422: "Validation failed: the input, or a business rule, was refused; details.fields names each field",
        413: "Upload too large",
        429: "Too many attempts",
        500: "Unexpected error",
    }
    return {status: {"model": ErrorResponse, "description": descriptions[status]} for status in statuses}


def _body_model(request: Request) -> Any:
    """The Pydantic model of the route's JSON body, which names the body's fields in messages."""
    route = request.scope.get("route")
    body = getattr(route, "body_field", None)
    annotation = getattr(getattr(body, "field_info", None), "annotation", None)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def request_validation_failed(request: Request, exc: RequestValidationError) -> ValidationFailedError:
    """A request FastAPI refused, in the words the pages and the CLI use for the same input."""
    errors = list(exc.errors())
    in_body = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("body",)]
    others = [e for e in errors if tuple(e.get("loc", ()))[:1] != ("body",)]
    fields = {**validation_failed(in_body, _body_model(request)).fields, **validation_failed(others).fields}
    fields = {key: fields[key] for key in (error_key(e) for e in errors) if key in fields}
    message = " ".join(dict.fromkeys(fields.values())) or "The request is not valid."
    return ValidationFailedError(message, fields=fields)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _json_error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details or {}))
    return JSONResponse(body.model_dump(), status_code=status)


def _html_error(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"status": status, "title": title, "message": message}, status_code=status)


def upload_too_large_message(limit_mb: int) -> str:
    """What a person sees when an upload is over the limit."""
    return (
        f"The upload is larger than the limit of {limit_mb} MB, so it was refused and nothing was saved. "
        "Split the file into smaller ones (by team or by period), use a connector, or ask an administrator "
        "to raise the limit (setting DELIVERYOPS_MAX_UPLOAD_MB)."
    )


def _unexpected_html(request: Request) -> Response:
    try:
        return _html_error(request, 500, "Something went wrong", UNEXPECTED_MESSAGE)
    except Exception:  # the page itself could not be rendered: a bare page, still not plain text
        logger.exception("the error page could not be rendered")
        body = (
            "<!doctype html><title>Something went wrong</title><h1>Something went wrong</h1>"
            f"<p>{html.escape(UNEXPECTED_MESSAGE)}</p>"
        )
        return HTMLResponse(body, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``.

    Any other exception (a bug, a database that went away, a commit that failed after the route returned)
    answers 500 in the same shapes: ``{"error": {"code": "internal_error", ...}}`` under ``/api/``, the
    error page elsewhere. Starlette's outermost middleware calls that handler, so it also covers what is
    raised in middleware and in the clean-up of the request's unit of work, and the server still logs
    the traceback.
    """

    @app.exception_handler(Exception)
    async def _unexpected_error(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return _json_error(500, "internal_error", UNEXPECTED_MESSAGE)
        return _unexpected_html(request)

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
        error = request_validation_failed(request, exc)
        if _is_api(request):
            return _json_error(422, error.code, error.message, error.details)
        return _html_error(request, 422, "Invalid request", error.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.detail else "Error"
        if exc.status_code == 404:
            message = f"Nothing at {request.url.path}."
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
        if exc.status_code == 413:
            message = upload_too_large_message(request.app.state.settings.max_upload_mb)
            if _is_api(request):
                return _json_error(413, "upload_too_large", message, {"limit_mb": request.app.state.settings.max_upload_mb})
            return _html_error(request, 413, "File too large", message)
        if _is_api(request):
            code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
            return _json_error(exc.status_code, code, message)
        return _html_error(request, exc.status_code, "Not found" if exc.status_code == 404 else "Error", message)
