"""`accel study`: run the studies that reproduce the reference papers' headline results."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import echo_json, json_option, report_errors


@click.group(name="study")
def group() -> None:
    """Reproduction studies (L-Mul accuracy and energy, FuseMax, COSMA, accelerator Pareto fronts)."""


@group.command(name="list")
@json_option
@report_errors
def list_command(as_json: bool) -> None:
    """List the studies and the claim each reproduces."""
    import studies

    rows = [{"name": n, "description": studies.describe(n)} for n in studies.names()]
    if as_json:
        echo_json(rows)
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        click.echo(f"{r['name']:<{width}}  {r['description']}")


@group.command(name="run")
@click.argument("name")
@click.option("--reduced", is_flag=True, help="Run the small version (what the tests run).")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output folder [default: results/studies/NAME].")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of every random draw.")
@json_option
@report_errors
def run_command(name: str, reduced: bool, out_dir: str | None, seed: int, as_json: bool) -> None:
    """Run study NAME: write its table (table.csv) and figures, print its findings."""
    import studies

    out = Path(out_dir) if out_dir else Path("results") / "studies" / name
    result = studies.run_study(name, out, reduced=reduced, seed=seed)
    if as_json:
        echo_json(result.to_dict())
        return
    click.echo(f"{name}{' (reduced)' if reduced else ''}: {len(result.table)} rows, seed {seed}, {result.seconds:.1f} s")
    click.echo()
    click.echo(result.findings)
    click.echo()
    click.echo(f"table   {result.table_path}")
    for label, path in result.extra_tables:
        click.echo(f"{label:<7} {path}")
    for path in result.plots:
        click.echo(f"figure  {path}")
