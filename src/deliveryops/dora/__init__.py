"""DORA's four keys: deployments, changes and incidents, their ingestion and the metrics."""
