"""Sparklines: tiny inline SVG line charts drawn on the server (no JavaScript needed)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

__all__ = ["sparkline"]


def sparkline(values: Sequence[float | None], *, title: str, width: int = 100, height: int = 24) -> Markup:
    """Return an SVG sparkline of ``values`` (None leaves a gap) with ``title`` as its accessible name.

    Args:
        values: the series, oldest first.
        title: what the line shows, read by screen readers and shown as a tooltip.
        width: pixels.
        height: pixels.

    Returns:
        Safe markup for a template; an empty string when there is nothing to draw.
    """
    known = [v for v in values if v is not None]
    if not known:
        return Markup("")
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)
    points: list[str] = []
    segments: list[str] = []
    for index, value in enumerate(values):
        if value is None:
            if points:
                segments.append(" ".join(points))
            points = []
            continue
        x = 2 + index * step
        y = height - 2 - (value - low) / span * (height - 4)
        points.append(f"{x:.1f},{y:.1f}")
    if points:
        segments.append(" ".join(points))
    last = next(i for i in range(len(values) - 1, -1, -1) if values[i] is not None)
    last_value = values[last]
    assert last_value is not None
    cx, cy = 2 + last * step, height - 2 - (last_value - low) / span * (height - 4)
    lines = "".join(f'<polyline points="{p}" fill="none" stroke="currentColor" stroke-width="1.5"/>' for p in segments)
    label = escape(title, quote=True)
    # Safe: every value is a number formatted here, and the only text, the title, is escaped above.
    return Markup(  # noqa: S704
        f'<svg class="sparkline" role="img" aria-label="{label}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{label}</title>{lines}'
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2" fill="currentColor"/></svg>'
    )
