"""A real HTTP server on 127.0.0.1 for connector tests; each test scripts its answers.

``handler(request) -> Reply`` decides every answer, so a test can serve pages, rate limits,
server errors and malformed bodies exactly as the real API would. Requests are recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """What the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    """What the server answers: a JSON-able body (or raw bytes), a status and headers."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


Handler = Callable[[Request], Reply]


@dataclass
class FakeServer:
    """The running server: its base URL and the requests it received."""

    url: str
    requests: list[Request]


@contextmanager
def fake_server(handler: Handler) -> Iterator[FakeServer]:
    """Serve ``handler`` on a free port of 127.0.0.1 for the duration of the block."""
    received: list[Request] = []

    class _Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            request = Request(
                self.command,
                split.path,
                parse_qs(split.query),
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length) if length else b"",
            )
            received.append(request)
            reply = handler(request)
            payload = (
                reply.raw
                if reply.raw is not None
                else (b"" if reply.body is None and reply.status == 304 else json.dumps(reply.body).encode())
            )
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 (http.server's naming)

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield FakeServer(url=f"http://127.0.0.1:{server.server_address[1]}", requests=received)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
