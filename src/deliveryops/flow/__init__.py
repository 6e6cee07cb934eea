"""Team flow: pages, API and stored forecasts."""
