"""Impediments: team log, escalation ladder, cross-team clusters and their measured impact."""
