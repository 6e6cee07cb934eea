"""Reports as one HTML file that opens offline (the app's CSS and Plotly inlined), for the CLI's ``--format html``.

Each report's template extends ``standalone_report.html``; this module loads no FastAPI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from plotly.offline import get_plotlyjs

__all__ = ["render_standalone"]

_PACKAGE = Path(__file__).resolve().parent.parent
_ENV = Environment(
    loader=FileSystemLoader(
        [_PACKAGE / "web" / "templates", *sorted(p for p in _PACKAGE.glob("*/templates") if p.parent.name != "web")]
    ),
    autoescape=select_autoescape(["html"]),
)
_CSS = (_PACKAGE / "web" / "static" / "app.css").read_text(encoding="utf-8")


def render_standalone(template: str, *, specs: Mapping[str, Any], **context: Any) -> str:
    """Render a report template that extends ``standalone_report.html`` as one self-contained HTML file.

    Args:
        template: the report's template (``flow/report.html``, ``dora/report.html``).
        specs: figure name → Plotly spec, drawn into the element ``chart-<name>``.
        context: the template's own variables.

    Returns:
        The HTML text.
    """
    return _ENV.get_template(template).render(
        css=_CSS,
        plotly_js=get_plotlyjs(),
        # Item titles come from trackers: "</script>" inside one must not end the script element.
        specs=json.dumps(dict(specs)).replace("</", "<\\/"),
        **context,
    )
