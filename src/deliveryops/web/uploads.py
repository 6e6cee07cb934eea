"""The upload limit: a request body over ``DELIVERYOPS_MAX_UPLOAD_MB`` is refused while it streams in.

The limit is checked on what arrives, not after the whole body has been read: a body announced larger
than the limit (``Content-Length``) is refused at its first read, and a body without a length is counted
as its chunks arrive and refused at the first chunk past the limit. The refusal is a 413 in the app's
error formats (see :mod:`deliveryops.web.errors`); the route never runs, so nothing is saved.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["UploadLimitMiddleware", "UploadTooLargeError"]


class UploadTooLargeError(HTTPException):
    """The request body is over the upload limit (an HTTP exception, so that FastAPI's body reading passes it on)."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(status_code=413, detail=f"The request body is larger than {limit_bytes} bytes.")
        self.limit_bytes = limit_bytes


class UploadLimitMiddleware:
    """Refuse request bodies over ``limit_bytes`` as they arrive."""

    def __init__(self, app: ASGIApp, limit_bytes: int) -> None:
        self.app = app
        self.limit_bytes = limit_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_bytes
        announced = _content_length(scope)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if announced is not None and announced > limit:
                raise UploadTooLargeError(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise UploadTooLargeError(limit)
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
