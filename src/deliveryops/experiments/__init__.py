"""Experimentation management: registry, pre-launch checks, analysis, decisions, library."""
