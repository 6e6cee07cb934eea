"""Cross-team dependencies: what a team needs from another team or a function, negotiated and tracked."""
