"""`deliveryops dora`: DORA's four keys: reports and imports."""

from __future__ import annotations

import typer

__all__ = ["dora_app"]

dora_app = typer.Typer(help="DORA's four keys: reports and imports.", no_args_is_help=True)
