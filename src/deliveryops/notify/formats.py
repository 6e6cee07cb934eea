"""The messages, in each receiver's documented format.

Slack incoming webhooks take ``{"text", "blocks"}``: ``text`` is the notification's fallback, ``blocks`` the
Block Kit layout (a ``header``, a ``section`` of ``mrkdwn`` text, a ``context`` with the link); ``&``, ``<``
and ``>`` are escaped in text. Microsoft Teams incoming webhooks (and Workflows' "post to a channel when a
webhook request is received") take a message with one Adaptive Card attachment
(``contentType: application/vnd.microsoft.card.adaptive``): ``TextBlock`` elements and an ``Action.OpenUrl``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["payload", "slack_message", "teams_message"]

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(title: str, lines: list[str], link: str | None) -> dict[str, Any]:
    """A Slack incoming-webhook message: fallback ``text`` and Block Kit ``blocks``."""
    body = "\n".join(f"• {_slack_escape(line)}" for line in lines) or "_Nothing to add._"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}},
    ]
    if link:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{link}|Open in DeliveryOps>"}]})
    return {"text": _slack_escape(title), "blocks": blocks}


def teams_message(title: str, lines: list[str], link: str | None) -> dict[str, Any]:
    """A Microsoft Teams incoming-webhook message carrying one Adaptive Card."""
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True}]
    body += [{"type": "TextBlock", "text": f"- {line}", "wrap": True, "spacing": "Small"} for line in lines]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in DeliveryOps", "url": link}]
    return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}]}


def payload(kind: str, title: str, lines: list[str], link: str | None) -> dict[str, Any]:
    """The message for a webhook of ``kind`` ("slack" or "teams")."""
    return slack_message(title, lines, link) if kind == "slack" else teams_message(title, lines, link)
