"""Sync engine and connections: keeping each team's history current from its tracker."""
