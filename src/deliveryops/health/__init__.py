"""Team health checks: templates, rounds, anonymous answers and results."""
