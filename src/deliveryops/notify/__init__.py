"""Outgoing notifications: Slack and Microsoft Teams incoming webhooks configured per team."""
