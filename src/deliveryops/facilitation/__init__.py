"""Facilitated live sessions beyond retrospectives: stand-up, refinement and planning on the team's data."""
