"""`deliveryops report`: Reports for leadership."""

from __future__ import annotations

import typer

__all__ = ["report_app"]

report_app = typer.Typer(help="Reports for leadership.", no_args_is_help=True)
