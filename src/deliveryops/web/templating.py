"""Jinja2 templates from every domain, the navigation registry and a ``render`` helper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from deliveryops.schemas import web_url_or_none
from deliveryops.web.assets import plotly_url, static_url
from deliveryops.web.security import csrf_token

__all__ = [
    "NavItem",
    "NavViewer",
    "TeamLink",
    "nav_items",
    "register_nav",
    "register_team_link",
    "render",
    "team_links",
    "team_switch",
    "templates",
]

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _template_dirs() -> list[str]:
    dirs = [str(PACKAGE_DIR / "web" / "templates")]
    dirs += sorted(str(p) for p in PACKAGE_DIR.glob("*/templates") if p.parent.name != "web")
    return dirs


templates = Jinja2Templates(directory=_template_dirs())


class NavViewer(Protocol):
    """What the navigation knows of the signed-in person: the name of their role.

    The accounts domain puts its ``Viewer`` on ``request.state.viewer``; its role is a string enum.
    """

    @property
    def role(self) -> str:
        """The role's name, such as ``"admin"``."""
        ...


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation; ``visible`` decides per person."""

    label: str
    href: str
    order: int
    visible: Callable[[NavViewer], bool]


_NAV: list[NavItem] = []


def register_nav(label: str, href: str, *, order: int, visible: Callable[[NavViewer], bool] = lambda _u: True) -> None:
    """Add an entry to the main navigation (later capabilities call this at import time)."""
    if any(item.href == href for item in _NAV):
        return
    _NAV.append(NavItem(label, href, order, visible))
    _NAV.sort(key=lambda item: item.order)


def nav_items(user: NavViewer | None) -> list[NavItem]:
    """The navigation entries ``user`` may see."""
    if user is None:
        return []
    return [item for item in _NAV if item.visible(user)]


@dataclass(frozen=True)
class TeamLink:
    """A link on every team's page to one of its sub-pages, ``/teams/{slug}/{suffix}``."""

    label: str
    suffix: str
    order: int
    section: str | None  # the main navigation entry the sub-page belongs to


_TEAM_LINKS: list[TeamLink] = []


def register_team_link(label: str, suffix: str, *, order: int, section: str | None = None) -> None:
    """Add a sub-page link to team pages (later capabilities call this at import time).

    Args:
        label: the link text.
        suffix: the path after ``/teams/{slug}/``.
        order: position among the registered links.
        section: the navigation entry (an ``href``) highlighted on that sub-page.
    """
    if any(link.suffix == suffix for link in _TEAM_LINKS):
        return
    _TEAM_LINKS.append(TeamLink(label, suffix, order, section))
    _TEAM_LINKS.sort(key=lambda link: link.order)
    if section is not None:
        SECTION_OF_TEAM_PAGE[suffix.split("/", maxsplit=1)[0]] = section


def team_links() -> list[TeamLink]:
    """The registered team sub-page links, in order."""
    return list(_TEAM_LINKS)


# Team sub-pages that belong to another section of the navigation than "Teams" (where that section is in the
# person's navigation; otherwise "Teams" is highlighted).
SECTION_OF_TEAM_PAGE = {
    "flow": "/flow",
    "forecasts": "/forecasts",
    "impediments": "/impediments",
    "actions": "/actions",
    "retros": "/retros",
    "coaching": "/coaching",
    "health": "/health",
    "experiments": "/experiments",
    "dependencies": "/dependencies",
    "dora": "/dora",
}
# Paths under no navigation entry of their own, and the entry they belong to.
SECTION_OF_PATH = {"/admin/": "/admin/people", "/groups": "/teams"}


def _section(path: str) -> str | None:
    parts = path.strip("/").split("/")
    if len(parts) >= 3 and parts[0] == "teams":
        return SECTION_OF_TEAM_PAGE.get(parts[2], "/teams")
    matches = [item.href for item in _NAV if path == item.href or (item.href != "/" and path.startswith(item.href + "/"))]
    if matches:
        return max(matches, key=len)
    return next((section for prefix, section in SECTION_OF_PATH.items() if path.startswith(prefix)), None)


def current_nav(items: list[NavItem], path: str) -> str | None:
    """The one navigation entry a path belongs to: the longest matching entry (team sub-pages by their section);
    a section missing from the person's navigation falls back to "Teams"."""
    section = _section(path)
    if section is None:
        return None
    visible = {item.href for item in items}
    if section in visible:
        return section
    # A section the person has no entry for: a team's page belongs to their teams, anything else to their home.
    fallback = "/teams" if section in SECTION_OF_TEAM_PAGE.values() else "/"
    return fallback if fallback in visible else None


def team_switch(path: str, teams: tuple[tuple[str, str], ...]) -> tuple[str | None, list[tuple[str, str, bool]]]:
    """The team switcher of someone in several teams: the current team's name (on a team's page) and, per team,
    the same page of that team (the team's home elsewhere), marked current.

    Returns ``(None, [])`` for someone in fewer than two teams.
    """
    if len(teams) < 2:
        return None, []
    parts = path.strip("/").split("/")
    slug = parts[1] if len(parts) >= 2 and parts[0] == "teams" else None
    suffix = f"/{parts[2]}" if slug and len(parts) >= 3 else ""
    if path in ("/forecasts", "/retros"):
        suffix = path
    current = next((name for name, team_slug in teams if team_slug == slug), None)
    return current, [(name, f"/teams/{team_slug}{suffix}", team_slug == slug) for name, team_slug in teams]


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200) -> HTMLResponse:
    """Render a page with the signed-in person, navigation and CSRF token available.

    Args:
        request: the current request.
        name: template path such as ``"teams/list.html"``.
        context: template variables.
        status_code: HTTP status of the response.

    Returns:
        The HTML response.
    """
    user: NavViewer | None = getattr(request.state, "viewer", None)
    items = nav_items(user)
    current_team, switch = team_switch(request.url.path, getattr(user, "teams", ()))
    base: dict[str, Any] = {
        "user": user,
        "nav": items,
        "current_nav": current_nav(items, request.url.path),
        "current_team": current_team,
        "team_switch": switch,
        "csrf_token": csrf_token(request),
        "current_path": request.url.path,
    }
    base.update(context or {})
    return templates.TemplateResponse(request, name, base, status_code=status_code)


templates.env.globals["team_links"] = team_links
templates.env.globals["static_url"] = static_url
templates.env.globals["plotly_url"] = plotly_url


def web_url(value: object) -> str | None:
    """Jinja filter: the value when it is an ``http(s)://`` address, else None.

    Links from outside are checked when they come in; this is the second line of defence, for rows written
    before the check existed: ``{% if r.url|web_url %}<a href="{{ r.url|web_url }}">...{% endif %}``.
    """
    return web_url_or_none(value)


templates.env.filters["web_url"] = web_url
