"""The portfolio: every team on one page, with group roll-ups, its sources and charts."""
