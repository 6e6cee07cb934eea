"""A small, safe Markdown renderer for text people write in DeliveryOps (playbooks).

Everything is HTML-escaped first, so no tag or attribute a writer types reaches the page; then a subset of
Markdown becomes HTML: headings (``#`` to ``####``), paragraphs, bullet and numbered lists, fenced code
blocks, ``**bold**``, ``*italic*``, ```code``` and links ``[text](address)`` whose address is a path on this
site (``/…``, not ``//…``), an anchor (``#…``), or an ``http``/``https``/``mailto`` address. Any other
address (``javascript:``, ``data:``…) is shown as text.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup

__all__ = ["render_markdown"]

_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`\n]+)`")
_SAFE_ADDRESS = re.compile(r"^(https?://|mailto:|/(?!/)|#)", re.IGNORECASE)
_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")


def _link(match: re.Match[str]) -> str:
    text, address = match.group(1), html.unescape(match.group(2))
    if not _SAFE_ADDRESS.match(address):
        return match.group(0)
    external = ' rel="noopener noreferrer"' if address.lower().startswith(("http://", "https://")) else ""
    return f'<a href="{html.escape(address, quote=True)}"{external}>{text}</a>'


def _inline(escaped: str) -> str:
    """Inline Markdown on text that is already escaped (code spans are left as they are)."""
    out = []
    for part in re.split(r"(`[^`\n]+`)", escaped):
        if _CODE.fullmatch(part):
            out.append(f"<code>{part[1:-1]}</code>")
        else:
            out.append(_ITALIC.sub(r"<em>\1</em>", _BOLD.sub(r"<strong>\1</strong>", _LINK.sub(_link, part))))
    return "".join(out)


def render_markdown(text: str) -> Markup:
    """The HTML of ``text`` (see the module's subset); safe to put in a page as it is."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""
    code: list[str] | None = None

    def close() -> None:
        nonlocal list_tag
        if paragraph:
            blocks.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            blocks.append(f"<{list_tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{list_tag}>")
            items.clear()
            list_tag = ""

    for raw in text.replace("\r\n", "\n").split("\n"):
        if code is not None:
            if raw.strip().startswith("```"):
                blocks.append("<pre><code>" + "\n".join(code) + "</code></pre>")
                code = None
            else:
                code.append(html.escape(raw))
            continue
        line = html.escape(raw.rstrip(), quote=True)
        if raw.strip().startswith("```"):
            close()
            code = []
        elif not line.strip():
            close()
        elif heading := _HEADING.match(line):
            close()
            level = len(heading.group(1)) + 1  # the page's own title is the h1
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif (bullet := _BULLET.match(line)) or (numbered := _NUMBERED.match(line)):
            tag = "ul" if bullet else "ol"
            found = bullet or numbered
            assert found is not None
            if paragraph or (items and tag != list_tag):
                close()
            list_tag = tag
            items.append(found.group(1))
        elif items and raw.startswith(("  ", "\t")):
            items[-1] += " " + line.strip()
        else:
            if items:
                close()
            paragraph.append(line.strip())
    if code is not None:
        blocks.append("<pre><code>" + "\n".join(code) + "</code></pre>")
    close()
    return Markup("\n".join(blocks))  # noqa: S704 - every piece of text was escaped above
