"""`accel workload ...` commands."""

from __future__ import annotations

import click


@click.group(name="workload")
def group() -> None:
    """Workload commands."""
