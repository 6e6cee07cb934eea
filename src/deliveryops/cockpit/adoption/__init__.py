"""Adoption of the catalogue's tools and practices: declared states, the data checks that confirm them, trends."""
