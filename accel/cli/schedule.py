"""`accel schedule`: COSMA-style scheduling of a whole cascade on a scratchpad."""

from __future__ import annotations

from pathlib import Path

import click

from accel.pipeline import AUTO_SCHEDULE, NO_SCHEDULE, SCHEDULERS, Options
from mapping.search import SOLVERS

from ._common import echo_json, json_option, report_errors

_METHODS = tuple(m for m in SCHEDULERS if m != NO_SCHEDULE)


def _mb(value: float) -> str:
    return f"{value / 1e6:,.3f} MB"


@click.command(name="schedule")
@click.argument("workload")
@click.option("--scratchpad", "capacity", default=None, help="Scratchpad capacity, e.g. 512KiB, 4MiB, 64KB.")
@click.option("--arch", "arch_name", default=None,
              help="Take the scratchpad from an architecture (built-in name or YAML file) instead.")
@click.option("--level", default=None, help="--arch: the on-chip level to use [default: the outermost].")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Library workload parameter.")
@click.option("--bits", default=None, type=click.IntRange(min=1),
              help="Bits per tensor element, overriding the widths [default: with --arch, the widths the architecture "
                   "moves (its datatype, and the accumulator width after a MAC); with --scratchpad, 8].")
@click.option("--banks", default=1, show_default=True, type=int, help="Equal scratchpad banks.")
@click.option("--alignment", default=1, show_default=True, type=int, help="Address alignment in bytes.")
@click.option(
    "--method",
    type=click.Choice(_METHODS),
    default=AUTO_SCHEDULE,
    show_default=True,
    help="auto: one ILP for small graphs, divide-and-conquer for large ones.",
)
@click.option("--solver", type=click.Choice(SOLVERS), default="cbc", show_default=True)
@click.option("--time-limit", default=Options.schedule_time_limit, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Solver seconds (shared by all rounds of divide).")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(min=1), help="Solver threads.")
@click.option("--window", default=6, show_default=True, type=click.IntRange(min=1),
              help="divide: operators committed per round.")
@click.option("--lookahead", default=4, show_default=True, type=click.IntRange(min=0),
              help="divide: further operators each round sees.")
@click.option("--png", "png", type=click.Path(dir_okay=False), default=None,
              help="Memory-over-time picture [default: WORKLOAD-schedule.png; none with --json].")
@click.option("--no-png", is_flag=True, help="Do not draw the picture.")
@json_option
@report_errors
def command(
    workload: str,
    capacity: str | None,
    arch_name: str | None,
    level: str | None,
    params: tuple[str, ...],
    bits: int | None,
    banks: int,
    alignment: int,
    method: str,
    solver: str,
    time_limit: float,
    threads: int,
    window: int,
    lookahead: int,
    png: str | None,
    no_png: bool,
    as_json: bool,
) -> None:
    """Schedule WORKLOAD (a library name or a YAML file) on a scratchpad, minimizing DRAM traffic.

    Prints the operator order with each step's loads, stores and evictions,
    the traffic split into compulsory and non-compulsory, and draws scratchpad
    occupancy over time.  Exit status 2 on bad input, 3 when the workload
    cannot fit the scratchpad.
    """
    from accel import load_architecture
    from accel.pipeline import schedule_cascade, schedule_graph
    from memory import Scratchpad, graph_from_cascade, plot_memory

    from .workload import parse_params, resolve

    if (capacity is None) == (arch_name is None):
        raise click.UsageError("give exactly one of --scratchpad SIZE and --arch NAME")
    if arch_name is None and level is not None:
        raise click.UsageError("--level applies only with --arch")
    cascade = resolve(workload, parse_params(params))
    options = Options(scheduler=method, schedule_solver=solver, schedule_time_limit=time_limit,
                      schedule_threads=threads, window=window, lookahead=lookahead, level=level, bits=bits)
    if arch_name is not None:  # what accel simulate schedules: the same level, widths and scheduler
        planned = schedule_cascade(cascade, load_architecture(arch_name), options)
    else:
        pad = Scratchpad(capacity, banks=banks, alignment=alignment)
        planned = schedule_graph(graph_from_cascade(cascade, 8 if bits is None else bits), pad, options)
    graph, pad, result = planned.graph, planned.scratchpad, planned.result
    capacity = f"{pad.capacity}B"
    picture = None
    if not no_png and (png or not as_json):  # with --json, a picture only where --png asks for one
        picture = Path(png) if png else Path(f"{Path(workload).stem}-schedule.png")
        plot_memory(graph, pad, result.schedule, picture, title=f"{workload} on {capacity} ({result.method})")
    if as_json:
        record = planned.as_dict()
        record.update(workload=workload, scratchpad=pad.capacity, png=None if picture is None else str(picture))
        echo_json(record)
        return
    _print_text(graph, pad, result, workload, picture)


def _print_text(graph, pad, result, workload: str, picture: Path | None) -> None:
    click.echo(
        f"{workload}: {len(graph.operators)} operators, {len(graph.tensors)} tensors on a "
        f"{pad.capacity:,}-byte scratchpad ({pad.banks} bank(s), alignment {pad.alignment})"
    )
    status = result.status
    if result.gap is not None and status != "optimal":
        status += f", gap {100 * result.gap:.1f}%"
    click.echo(f"method {result.method} (schedule from {result.source}), {status}, {result.seconds:.2f} s")
    for note in result.notes:
        click.echo(f"  note: {note}")
    click.echo()
    width = max(len(s.operator) for s in result.schedule.steps)
    click.echo(f"{'step':>4}  {'operator':<{width}}  {'resident':>12}  loads / stores / evictions")
    for index, step in enumerate(result.schedule.steps):
        parts = []
        if step.loads:
            parts.append("load " + ", ".join(step.loads))
        if step.stores:
            parts.append("store " + ", ".join(step.stores))
        if step.evictions:
            parts.append("evict " + ", ".join(step.evictions))
        click.echo(f"{index:>4}  {step.operator:<{width}}  {step.used_bytes:>12,}  {'; '.join(parts)}")
    t = result.traffic
    click.echo()
    click.echo(f"DRAM traffic: {_mb(t.total)} total = {_mb(t.compulsory)} compulsory + {_mb(t.non_compulsory)} non-compulsory")
    click.echo(f"  loads {_mb(t.load_bytes)}, stores {_mb(t.store_bytes)}; peak scratchpad use {result.schedule.peak_bytes:,} bytes")
    if picture is not None:
        click.echo(f"memory picture: {picture}")
