"""The catalogue of tools and practices: its entries, pages and API."""
