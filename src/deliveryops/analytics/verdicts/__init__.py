"""Improvement-action verdicts designed from their measured error rates (effects, rule, simulation)."""
