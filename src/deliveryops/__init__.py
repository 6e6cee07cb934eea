"""DeliveryOps: the shared workbench of delivery managers and Product Operations."""

__version__ = "0.1.0"

__all__ = ["__version__"]
