"""The roadmap: epics by team on a time axis, dates that share each team's capacity, a team calendar, what-ifs."""
