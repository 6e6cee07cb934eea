"""`deliveryops experiments`: Experiments: analyse statistics files."""

from __future__ import annotations

import typer

__all__ = ["experiments_app"]

experiments_app = typer.Typer(help="Experiments: analyse statistics files.", no_args_is_help=True)
