"""Connectors: one module per source; each yields canonical records page by page.

Connectors know nothing of the web app, the CLI or the database: the sync engine
(``deliveryops.sync``) stores what they yield and keeps their resume cursors.
"""
