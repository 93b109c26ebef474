"""`accel demo`: the main job on the built-in example (what `make demo` runs)."""

from __future__ import annotations

import click

from ._common import report_errors


@click.command(name="demo")
@report_errors
def command() -> None:
    """Run the main job on the built-in attention example."""
    from .workload import show_workload

    for name in ("attention_3pass", "attention_2pass", "attention_1pass"):
        show_workload(name, rank="m")
        click.echo()
