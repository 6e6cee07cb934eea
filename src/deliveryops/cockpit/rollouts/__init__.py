"""Rollouts: a tool or practice planned for several teams, their adoption curve and effect, pages and API."""
