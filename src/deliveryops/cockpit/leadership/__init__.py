"""The leadership pack: its numbers, page, API and PDF export."""
