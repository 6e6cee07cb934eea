"""Product Ops cockpit: portfolio, tools and practices adoption, leadership pack, digests."""
