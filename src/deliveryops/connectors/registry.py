"""Connectors by kind: the sync engine and the connections page look them up here."""

from __future__ import annotations

from typing import TypeVar

from deliveryops.connectors.base import Connector

__all__ = ["CONNECTORS", "available", "connector_class", "register"]

CONNECTORS: dict[str, type[Connector]] = {}
C = TypeVar("C", bound=type[Connector])


def register(cls: C) -> C:
    """Class decorator: make a connector available under its ``kind``."""
    CONNECTORS[cls.kind] = cls
    return cls


def connector_class(kind: str) -> type[Connector]:
    """The connector class of ``kind``; raises KeyError naming the known kinds."""
    _load_builtin()
    try:
        return CONNECTORS[kind]
    except KeyError:
        raise KeyError(f"unknown connector {kind!r}; known: {', '.join(sorted(CONNECTORS))}") from None


def available() -> dict[str, type[Connector]]:
    """Every connector kind with its class, built-in ones loaded."""
    _load_builtin()
    return dict(CONNECTORS)


def _load_builtin() -> None:
    # Imported lazily so that importing the registry does not import every connector.
    import importlib  # noqa: PLC0415

    for module in ("deliveryops.connectors.jira", "deliveryops.connectors.github"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a connector not written yet must not break the others
            if exc.name != module:
                raise
