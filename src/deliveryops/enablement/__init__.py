"""Enablement: organisation-level improvement actions, playbooks, onboarding checklists, communities of practice."""
