"""The ROAM register of cross-team risks: Resolved, Owned, Accepted, Mitigated (and not yet ROAMed)."""
