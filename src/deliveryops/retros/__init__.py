"""Live retrospectives: phases, private cards, grouping, hidden votes, discussion and actions."""
