"""Outcomes: objectives and key results measured from data, KPI series, decision briefs and their follow-up."""
