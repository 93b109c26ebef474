"""`accel simulate WORKLOAD ARCH`: map, schedule and simulate cycle by cycle; print the report, write the trace."""

from __future__ import annotations

from pathlib import Path

import click

from accel.pipeline import SCHEDULERS, Evaluation, Options
from mapping import OBJECTIVES
from mapping.search import FUSION_MODES, SOLVERS

from ._common import echo_json, json_option, number as _g, report_errors, table
from .workload import parse_params, resolve

#: ``accel simulate``'s fusion mode for a cascade of several Einsums unless --map-for-schedule is given.
SIMULATE_FUSION = "auto"


def _tbl(headers: list[str], rows: list[list[str]]) -> list[str]:
    # first column a name, the others numbers
    return table(headers, rows, right=range(1, len(headers)))




def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}x" if b else "-"


def format_report(evaluation: Evaluation, trace: Path | None) -> str:
    """The text report: cycles by cause, energy by component and action, per Einsum, vs the analytical model."""
    rep, analytical = evaluation.report.total, evaluation.analytical.total
    schedule = None if evaluation.schedule is None else evaluation.schedule.result
    out = [
        f"{rep.name!r} on {rep.arch!r}: {_g(rep.total_cycles)} cycles ({rep.seconds * 1e6:.4g} us at {rep.clock_mhz:g} MHz), "
        f"{rep.energy_pj / 1e6:.4g} uJ, utilization {rep.utilization:.1%}",
    ]
    if evaluation.fusion is not None:
        from .map import plan_text

        out.append("fusion: each fused group keeps its intermediates on chip as tiles; tensors between groups go "
                   "through DRAM")
        out += ["", plan_text(evaluation.fusion)]
    elif schedule is not None:
        t = schedule.traffic
        out.append(f"schedule: {schedule.method} ({schedule.status}), DRAM traffic {t.total:,} B "
                   f"({t.compulsory:,} compulsory, {t.non_compulsory:,} not)")
    else:
        out.append("schedule: none (every Einsum reads its inputs from DRAM and writes its output there)")
    out += [f"note: {n}" for n in evaluation.notes]
    out.append("")
    causes = list(dict.fromkeys([k for k, _ in rep.cycles_by_cause] + [k for k, _ in analytical.cycles_by_cause]))
    causes.sort(key=lambda c: ("compute", "fill_drain", "bandwidth_stall", "dependency_wait").index(c.split(".")[0]))
    sim_c, ana_c = dict(rep.cycles_by_cause), dict(analytical.cycles_by_cause)
    rows = [[c, _g(sim_c.get(c, 0.0)), f"{sim_c.get(c, 0.0) / rep.total_cycles:.1%}" if rep.total_cycles else "-",
             _g(ana_c.get(c, 0.0))] for c in causes]
    rows.append(["total", _g(rep.total_cycles), "100.0%", _g(analytical.total_cycles)])
    out += _tbl(["cycles by cause", "simulated", "share", "analytical"], rows)
    out.append("")
    ana_energy = analytical.energy_by_component()
    rows = [[k, _g(v), f"{v / rep.energy_pj:.1%}" if rep.energy_pj else "-", _g(ana_energy.get(k, 0.0))]
            for k, v in sorted(rep.energy_by_component().items(), key=lambda kv: -kv[1])]
    rows.append(["total", _g(rep.energy_pj), "100.0%", _g(analytical.energy_pj)])
    out += _tbl(["energy (pJ) by component", "simulated", "share", "analytical"], rows)
    out.append("")
    rows = [[k, _g(v)] for k, v in sorted(rep.energy_by_action().items(), key=lambda kv: -kv[1])]
    out += _tbl(["energy (pJ) by action", "simulated"], rows)
    out.append("")
    by_name = {r.name: r for r in evaluation.analytical.parts}
    rows = []
    for r in evaluation.report.parts:
        a = by_name.get(r.name)
        rows.append([r.name, _g(r.total_cycles), _g(r.cycles("compute")), _g(r.cycles("fill_drain")),
                     _g(r.cycles("bandwidth_stall")), _g(r.cycles("dependency_wait")), f"{r.utilization:.1%}",
                     _g(a.total_cycles) if a else "-", _ratio(r.total_cycles, a.total_cycles) if a else "-"])
    out += _tbl(["einsum", "cycles", "compute", "fill/drain", "bw stall", "dep wait", "util", "analytical", "sim/ana"], rows)
    out.append("")
    out.append(f"MACs {rep.macs:,}  ops {rep.ops:,}  utilization {rep.utilization:.1%}  PEs used {rep.spatial_utilization:.1%}  "
               f"simulated/analytical {_ratio(rep.total_cycles, analytical.total_cycles)}")
    if trace is not None:
        events = evaluation.simulation.events if evaluation.simulation is not None else ()
        out.append(f"trace: {trace} ({len(events):,} events; open in ui.perfetto.dev or chrome://tracing; 1 us = 1 cycle)")
    return "\n".join(out)


@click.command(name="simulate")
@click.argument("workload")
@click.argument("arch")
@click.option("-p", "--param", "pairs", multiple=True, metavar="NAME=VALUE", help="Parameter of a built-in workload (repeatable).")
@click.option("--scratchpad", "capacity", default=None, metavar="SIZE",
              help="Scratchpad the cascade is scheduled on, e.g. 512KiB [default: the outermost on-chip level's capacity].")
@click.option("--scheduler", type=click.Choice(SCHEDULERS), default=None,
              help="How the cascade is scheduled (COSMA ILP, divide-and-conquer, greedy); 'none' streams every tensor "
                   f"from DRAM.  With --fusion auto the fused plan is set against every Einsum alone under this "
                   f"schedule and the better kept.  [default: {Options.scheduler}]")
@click.option("--fusion", type=click.Choice(FUSION_MODES), default=None,
              help="auto: the fusion search groups Einsums under shared loops where it helps and each fused group "
                   "runs with its units as concurrent processes (tiles of the intermediates on chip, the rest "
                   "through DRAM), kept where it beats every Einsum alone under --scheduler; none: every Einsum "
                   "alone, under --scheduler.  [default: auto for a cascade of several Einsums; none with "
                   "--map-for-schedule]")
@click.option("--objective", type=click.Choice(OBJECTIVES), default=Options.objective, show_default=True,
              help="What the mapper minimizes.")
@click.option("--solver", type=click.Choice(SOLVERS), default=Options.solver, show_default=True,
              help="ILP solver (the mapper's and, with --scheduler ilp/divide, the scheduler's).")
@click.option("--time-limit", type=click.FloatRange(min=0.01), default=Options.time_limit, show_default=True,
              help="Seconds per mapping ILP solve.")
@click.option("--schedule-time-limit", type=click.FloatRange(min=0.01), default=Options.schedule_time_limit,
              show_default=True, help="Seconds the scheduler's ILP may take (--scheduler ilp/divide/auto).")
@click.option("--map-for-schedule", is_flag=True,
              help="Schedule first, then map each Einsum for the traffic the schedule leaves it (default: map each alone).")
@click.option("--trace", "trace", type=click.Path(dir_okay=False), default=None,
              help="Chrome/Perfetto trace file [default: WORKLOAD.trace.json].")
@click.option("--no-trace", is_flag=True, help="Do not record or write the trace.")
@click.option("--max-cycles", type=click.IntRange(min=1), default=None, help="Watchdog limit on simulated cycles.")
@json_option
@report_errors
def command(workload: str, arch: str, pairs: tuple[str, ...], capacity: str | None, scheduler: str | None,
            fusion: str | None, objective: str,
            solver: str, time_limit: float, schedule_time_limit: float, map_for_schedule: bool, trace: str | None, no_trace: bool, max_cycles: int | None,
            as_json: bool) -> None:
    """Map WORKLOAD onto ARCH (fused where it helps, or scheduled Einsum by Einsum) and simulate it cycle by cycle.

    WORKLOAD is a library name or a YAML file, ARCH a built-in architecture
    or a YAML file.  By default the fusion search groups Einsums under shared
    loops (printed as a loop nest) and each group runs with its units as
    concurrent processes, where that beats every Einsum mapped alone under
    the --scheduler schedule on chip (else that run is reported, with a note
    saying why); --fusion none runs the schedule alone.  Prints cycles by cause, energy by component and action,
    utilization and each Einsum's cycles next to the analytical model's
    estimate of the same mappings under the same schedule, and writes the timeline as Chrome/Perfetto trace JSON
    (timestamps in cycles).  Exit status 2 for bad input, 3 when the workload
    cannot be mapped or scheduled (or the simulation deadlocks).
    """
    from accel import load_architecture
    from accel.pipeline import run
    from memory import Scratchpad

    cascade = resolve(workload, parse_params(pairs))
    hw = load_architecture(arch)
    if fusion is None:  # fuse a cascade (where it beats the schedule) unless mapping for the schedule was asked for
        fusion = "none" if map_for_schedule or len(cascade.einsums) == 1 else SIMULATE_FUSION
    if fusion == "auto" and map_for_schedule:
        raise click.BadParameter("--map-for-schedule maps every Einsum alone for the schedule: use --fusion none",
                                 param_hint="--map-for-schedule")
    if scheduler is None:
        scheduler = Options.scheduler
    if scheduler == "none" and capacity is not None and fusion != "auto":
        raise click.BadParameter("--scratchpad needs a scheduler (not 'none')", param_hint="--scratchpad")
    if scheduler == "none" and map_for_schedule:
        raise click.BadParameter("--map-for-schedule needs a scheduler (not 'none')", param_hint="--map-for-schedule")
    options = Options(objective=objective, solver=solver, time_limit=time_limit, scheduler=scheduler,
                      schedule_time_limit=schedule_time_limit,
                      scratchpad=None if capacity is None else Scratchpad(capacity).capacity,
                      map_for_schedule=map_for_schedule, fusion=fusion, simulator="cycle", trace=not no_trace,
                      max_cycles=max_cycles)
    evaluation = run(cascade, hw, options)
    path = None
    if not no_trace:
        path = evaluation.simulation.write_trace(Path(trace) if trace else default_trace_path(cascade.name))
    if as_json:
        echo_json({
            "cascade": cascade.name,
            "arch": hw.name,
            "options": options.to_dict(),
            "schedule": None if evaluation.schedule is None else evaluation.schedule.as_dict(),
            "report": evaluation.report.total.to_dict(),
            "einsums": [r.to_dict() for r in evaluation.report.parts],
            "analytical": evaluation.analytical.total.to_dict(),
            "trace": None if path is None else str(path),
            "fusion": None if evaluation.fusion is None else evaluation.fusion.to_dict(),
            "notes": list(evaluation.notes),
        })
        return
    click.echo(format_report(evaluation, path))


def default_trace_path(name: str) -> Path:
    """``NAME.trace.json`` in the working folder, whatever the cascade's name holds (no folders, no ``..``)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".") or "cascade"
    return Path(f"{safe}.trace.json")
