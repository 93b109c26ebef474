"""`accel arch ...` commands."""

from __future__ import annotations

import click


@click.group(name="arch")
def group() -> None:
    """Arch commands."""
