"""`accel sweep ...`: run, resume, inspect, export and plot design-space sweeps."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._common import EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_INTERNAL, echo_json, json_option, report_errors

if TYPE_CHECKING:
    import pandas as pd
    from rich.progress import TaskID

    from accel.sweep import PointResult, RunSummary

_STORE_HELP = "SQLite result store (default: results/sweeps/<sweep name>.sqlite)."
_SCHEDULER = click.option("--scheduler", metavar="ADDRESS", default=None,
                          help="Address of an existing Dask scheduler (tcp://host:8786); default: a local cluster.")
_WORKERS = click.option("--workers", type=click.IntRange(min=0), default=2, show_default=True,
                        help="Worker processes of the local Dask cluster (one thread each); 0 runs in this process.")


@click.group(name="sweep")
def group() -> None:
    """Design-space sweeps: run a spec on Dask, resume it, export and plot its results."""


@contextlib.contextmanager
def progress_bar(enabled: bool, label: str) -> Iterator[Callable[[PointResult, int, int], None] | None]:
    """A rich progress bar with ETA on stderr; yields the ``progress(result, done, total)`` callback (or None)."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("elapsed"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True))
    state: dict[str, TaskID] = {}

    def update(result: PointResult, done: int, total: int) -> None:
        if "task" not in state:
            state["task"] = bar.add_task(label, total=total, completed=done - 1)
        bar.update(state["task"], completed=done, total=total)

    with bar:
        yield update


def _summary_text(summary: RunSummary) -> str:
    counts = dict(summary.counts)
    parts = ", ".join(f"{counts[s]} {s}" for s in ("ok", "infeasible", "invalid", "error", "pending") if counts.get(s))
    return (f"sweep {summary.sweep!r}: {summary.total} points ({parts}); evaluated {summary.evaluated} now, "
            f"{summary.reused} already stored, in {summary.seconds:.1f} s\nstore: {summary.store}")


@contextlib.contextmanager
def interruptible(store: Path | str) -> Iterator[None]:
    """On Ctrl-C, say what is stored and how to resume, and exit 130 (128 + SIGINT)."""
    try:
        yield
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: every result so far is stored; continue with `accel sweep resume {store}`", err=True)
        raise SystemExit(130) from None


def finish(summary: RunSummary, as_json: bool) -> None:
    """Print a run summary; exit 1 when points were lost to dead workers, 3 when no point is feasible (2 when
    every point is an invalid architecture, 1 when every point failed unexpectedly)."""
    if as_json:
        echo_json(summary.to_dict())
    else:
        click.echo(_summary_text(summary))
    if summary.lost:
        click.echo(f"error: {summary.lost} point(s) lost to failed workers; they are still pending: "
                   f"run `accel sweep resume {summary.store}`", err=True)
        raise SystemExit(EXIT_INTERNAL)
    counts = dict(summary.counts)
    if summary.total and not counts.get("ok") and not counts.get("pending"):
        click.echo(f"error: no design point of sweep {summary.sweep!r} is feasible "
                   f"({counts.get('infeasible', 0)} infeasible, {counts.get('invalid', 0)} invalid, "
                   f"{counts.get('error', 0)} error); see `accel sweep export`", err=True)
        # Infeasible points make it an infeasible sweep (3); points that failed unexpectedly are a bug (1); a
        # sweep of nothing but invalid architectures is bad input (2).
        if counts.get("infeasible"):
            raise SystemExit(EXIT_INFEASIBLE)
        raise SystemExit(EXIT_INTERNAL if counts.get("error") else EXIT_BAD_INPUT)


@group.command(name="run")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--store", "store", type=click.Path(dir_okay=False), default=None, help=_STORE_HELP)
@_SCHEDULER
@_WORKERS
@json_option
@report_errors
def run_command(spec: str, store: str | None, scheduler: str | None, workers: int, as_json: bool) -> None:
    """Run the sweep in SPEC (YAML), storing every result as it arrives.

    Running again with the same store resumes: nothing stored is recomputed.
    """
    from accel.sweep import load_spec, run_sweep

    sweep = load_spec(spec)
    path = Path(store) if store else Path("results") / "sweeps" / f"{sweep.name}.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    with interruptible(path), progress_bar(not as_json, f"sweep {sweep.name}") as progress:
        summary = run_sweep(sweep, path, scheduler=scheduler, workers=workers, progress=progress)
    finish(summary, as_json)


@group.command(name="resume")
@click.argument("store", type=click.Path(dir_okay=False))
@_SCHEDULER
@_WORKERS
@click.option("--retry-errors", is_flag=True, help="Also evaluate again the points that ended in an unexpected error.")
@json_option
@report_errors
def resume_command(store: str, scheduler: str | None, workers: int, retry_errors: bool, as_json: bool) -> None:
    """Evaluate the points of STORE still pending (after an interruption); nothing stored is recomputed."""
    from accel.sweep import resume_sweep

    with interruptible(store), progress_bar(not as_json, f"resume {Path(store).name}") as progress:
        summary = resume_sweep(store, scheduler=scheduler, workers=workers, progress=progress, retry_errors=retry_errors)
    finish(summary, as_json)


@group.command(name="status")
@click.argument("store", type=click.Path(dir_okay=False))
@json_option
@report_errors
def status_command(store: str, as_json: bool) -> None:
    """Count the points of STORE: done (ok), infeasible, invalid, error, pending."""
    from accel.sweep import store_status

    status = store_status(store)
    if as_json:
        echo_json(status)
        return
    c = status["counts"]
    click.echo(f"sweep {status['sweep']!r} in {store}: {c['total']} points")
    for s in ("ok", "infeasible", "invalid", "error", "pending"):
        click.echo(f"  {s:<10} {c[s]}")


@group.command(name="export")
@click.argument("store", type=click.Path(dir_okay=False))
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default=None,
              help="Output format (default: from OUT's suffix, .parquet or .csv).")
@json_option
@report_errors
def export_command(store: str, out: str, fmt: str | None, as_json: bool) -> None:
    """Write every point of STORE (axes, status, metrics, breakdowns) to OUT as Parquet or CSV."""
    from accel.sweep import export, results_frame

    path = export(store, out, fmt)
    rows = len(results_frame(store))
    if as_json:
        echo_json({"store": store, "out": str(path), "rows": rows})
    else:
        click.echo(f"wrote {rows} rows to {path}")


def pareto_table(frame: pd.DataFrame, objectives: tuple[str, ...]) -> tuple[list[dict[str, object]], str]:
    """The Pareto-front rows (plain data) and a printable table of them."""
    from accel.sweep import pareto_front

    front = pareto_front(frame, objectives)
    if not front.empty:
        front = front.sort_values(["workload", "latency_s"])
    axes = _axis_columns(frame)
    records = [
        {"design": int(r["design"]), "workload": r["workload"], **{a: r[a] for a in axes},
         "latency_us": r["latency_s"] * 1e6, "energy_uj": r["energy_pj"] / 1e6, "area_mm2": r["area_mm2"],
         "utilization": r["utilization"]}
        for _, r in front.iterrows()
    ]
    headers = ["design", "workload", *axes, "latency_us", "energy_uj", "area_mm2", "utilization"]
    cells = [[f"{v:.4g}" if isinstance(v, float) else str(v) for v in (rec[h] for h in headers)] for rec in records]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    return records, "\n".join(lines)


def _axis_columns(frame: pd.DataFrame) -> list[str]:
    from accel.sweep import METRICS

    fixed = {"key", "design", "workload", "status", "reason", "seconds", *METRICS}
    return [c for c in frame.columns if c not in fixed and not c.startswith(("energy.", "area.", "cycles."))]


@group.command(name="plot")
@click.argument("store", type=click.Path(dir_okay=False))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for the PNGs (default: next to the store, <store>_plots/).")
@click.option("--kind", "kinds", type=click.Choice(["pareto", "energy", "roofline"]), multiple=True,
              help="Which plots (repeatable; default: all three).")
@click.option("--colour", default=None, help="Column to colour points by (default: the arithmetic-unit axis).")
@click.option("--workload", default=None, help="Workload of the energy breakdown (default: the first).")
@json_option
@report_errors
def plot_command(store: str, out_dir: str | None, kinds: tuple[str, ...], colour: str | None, workload: str | None,
                 as_json: bool) -> None:
    """Write the Pareto scatter, energy breakdown and roofline of STORE as PNG, and print the Pareto front."""
    from accel.sweep import plot_energy_breakdown, plot_pareto, plot_roofline, results_frame

    frame = results_frame(store)
    folder = Path(out_dir) if out_dir else Path(store).with_name(Path(store).stem + "_plots")
    written = {}
    for kind in kinds or ("pareto", "energy", "roofline"):
        target = folder / f"{kind}.png"
        if kind == "pareto":
            written[kind] = str(plot_pareto(frame, target, colour=colour))
        elif kind == "energy":
            written[kind] = str(plot_energy_breakdown(frame, target, workload=workload))
        else:
            written[kind] = str(plot_roofline(frame, target, colour=colour))
    records, table = pareto_table(frame, ("latency", "energy", "area"))
    if as_json:
        echo_json({"plots": written, "pareto_front": records})
        return
    click.echo("Pareto front (latency, energy, area):")
    click.echo(table)
    for kind, path in written.items():
        click.echo(f"{kind} plot: {path}")
