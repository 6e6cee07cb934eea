"""`deliveryops coaching`: coaching insights over teams' data."""

from __future__ import annotations

import typer

__all__ = ["coaching_app"]

coaching_app = typer.Typer(help="Coaching insights over teams' data.", no_args_is_help=True)
