"""Static assets under content-hashed names, cached for a year; their plain names still work, briefly cached.

Templates link every script and stylesheet through :func:`static_url` (``/static/app.3f2a9c1b04de.css``) and
:func:`plotly_url` (Plotly's basic bundle, vendored under ``static/vendor``). A hashed name changes whenever the
file's content does, so browsers may keep it forever (``immutable``); the plain name (``/static/app.css``) keeps
answering, for bookmarks and older pages, with a short cache. Compression is left to the application's gzip middleware.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = [
    "BASIC_TRACE_TYPES",
    "CARTESIAN_TRACE_TYPES",
    "IMMUTABLE",
    "PLOTLY_BASIC",
    "PLOTLY_CARTESIAN",
    "PLOTLY_JS",
    "SHORT",
    "STATIC_DIR",
    "HashedStaticFiles",
    "content_hash",
    "hashed_name",
    "plotly_url",
    "split_hashed",
    "static_url",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
HASH_LENGTH = 12
_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<ext>\.[A-Za-z0-9]+)$")


def _plotly_js() -> Path:
    # Found without importing plotly (a large package) so that pages and the CLI start quickly.
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:  # pragma: no cover - plotly is a dependency
        raise RuntimeError("plotly is not installed")
    return Path(spec.origin).parent / "package_data" / "plotly.min.js"


PLOTLY_JS = _plotly_js()


@lru_cache(maxsize=256)
def _hash_of(path: Path, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:HASH_LENGTH]


def content_hash(path: Path) -> str:
    """The first 12 hex digits of the SHA-256 of ``path``'s content (recomputed when the file changes)."""
    stat = path.stat()
    return _hash_of(path, stat.st_mtime_ns, stat.st_size)


def hashed_name(directory: Path, name: str) -> str:
    """``name`` (such as ``app.css``) with the hash of its content before the last suffix: ``app.<hash>.css``."""
    path = directory / name
    return f"{name[: -len(path.suffix)]}.{content_hash(path)}{path.suffix}" if path.suffix else f"{name}.{content_hash(path)}"


def split_hashed(name: str) -> tuple[str, str] | None:
    """``("app.css", "<hash>")`` for ``app.<hash>.css``; ``None`` for a name without a hash."""
    match = _HASHED.match(name)
    if match is None:
        return None
    return match["stem"] + match["ext"], match["hash"]


def static_url(name: str) -> str:
    """The content-hashed URL of a file under ``web/static`` (a Jinja global of every template)."""
    return "/static/" + hashed_name(STATIC_DIR, name)


# plotly.js's "basic" bundle (scatter, bar and pie traces) and "cartesian" bundle (adds heatmap, box, histogram,
# contour, violin...), vendored from npm ``plotly.js-basic-dist-min`` and ``plotly.js-cartesian-dist-min`` at the
# version of the wheel's full bundle: 1.2 MB and 1.5 MB instead of 4.8 MB. A page links the smallest that draws its
# charts (tests/web/test_plotly_bundle.py checks every chart page's trace types against its bundle).
PLOTLY_BASIC = "vendor/plotly-basic.min.js"
PLOTLY_CARTESIAN = "vendor/plotly-cartesian.min.js"
BASIC_TRACE_TYPES = frozenset({"scatter", "bar", "pie"})
CARTESIAN_TRACE_TYPES = BASIC_TRACE_TYPES | {
    "box",
    "contour",
    "heatmap",
    "histogram",
    "histogram2d",
    "histogram2dcontour",
    "image",
    "scatterternary",
    "violin",
}


def plotly_url(*, cartesian: bool = False) -> str:
    """The content-hashed URL of Plotly's basic bundle; ``cartesian=True``: the cartesian bundle (heatmaps...)."""
    return static_url(PLOTLY_CARTESIAN if cartesian else PLOTLY_BASIC)


class HashedStaticFiles(StaticFiles):
    """Static files that answer both ``app.css`` (short cache) and ``app.<hash>.css`` (cached for a year).

    A hashed name whose hash is not the current content's (a page rendered before a deploy) gets the
    current file with the short cache, so nothing breaks and nothing stale is pinned.
    """

    async def get_response(self, path: str, scope: Scope) -> Response:
        split = split_hashed(path)
        if split is not None:
            plain, digest = split
            response = await super().get_response(plain, scope)
            fresh = response.status_code == 200 and digest == content_hash(Path(str(self.directory)) / plain)
            response.headers["Cache-Control"] = IMMUTABLE if fresh else SHORT
            return response
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = SHORT
        return response
