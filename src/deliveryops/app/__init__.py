"""The application: the app factory that wires every domain's routers, and the pages of no single domain."""
