"""`accel rtl ...` commands."""

from __future__ import annotations

import click


@click.group(name="rtl")
def group() -> None:
    """Rtl commands."""
