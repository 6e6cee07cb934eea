"""Coaching insights over a team's data, and delivery managers' coaching notes."""
