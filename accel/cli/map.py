"""`accel map WORKLOAD ARCH`: map each Einsum with the ILP mapper and print loop nests and costs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from accel.pipeline import Options
from mapping import OBJECTIVES
from mapping.search import FUSION_MODES, SOLVERS, FusedCascade

from ._common import echo_json, json_option, number as _g, report_errors, table
from .workload import parse_params, resolve


def _tbl(headers: list[str], rows: list[list[str]]) -> list[str]:
    # first column a name, the others numbers
    return table(headers, rows, right=range(1, len(headers)))


def format_result(result: Any, holds: dict[str, list[str]], sizes: dict[str, int] | None = None) -> str:
    """The loop nest and cost tables of one ``mapping.MapResult`` (``sizes``: real rank sizes, to show padding)."""
    from mapping import render_loop_nest

    rep = result.report
    gap = "n/a" if result.gap is None else f"{result.gap:.3%}"
    out = [
        f"Einsum {result.mapping.einsum!r} on {rep.arch!r}: {result.objective} = {result.objective_value:.6g} "
        f"({result.solver}, status {result.status}, gap {gap}, {result.solve_seconds:.2f} s)",
        "",
        render_loop_nest(result.mapping, holds),
        "",
    ]
    padded = [f"{r} {sizes[r]} -> {q}" for r, q in zip(result.mapping.ranks, result.mapping.padded_sizes) if sizes and q > sizes[r]]
    if padded:
        out[-1:-1] = [f"padded (idle PEs and cycles counted): {', '.join(padded)}"]
    total = rep.total_cycles
    out += _tbl(["cycles by cause", "cycles", "share"],
                  [[k, _g(v), f"{v / total:.1%}" if total else "-"] for k, v in rep.cycles_by_cause] + [["total", _g(total), "100.0%"]])
    out.append("")
    rows = [[f"{e.component}.{e.action}", _g(e.count), e.per, f"{e.pj_per_action:.4g}", _g(e.pj), f"{e.pj / rep.energy_pj:.1%}"]
            for e in rep.energy]
    out += _tbl(["energy", "count", "per", "pJ each", "pJ", "share"], rows + [["total", "", "", "", _g(rep.energy_pj), "100.0%"]])
    out.append("")
    rows = [[a.level, a.tensor, _g(a.reads), _g(a.writes), _g(a.fills), _g(a.drains)] for a in rep.accesses]
    out += _tbl(["level", "tensor", "reads", "writes", "fills", "drains"], rows)
    out.append("")
    out.append(
        f"MACs {rep.macs:,}  ops {rep.ops:,}  utilization {rep.utilization:.1%}  "
        f"PEs used {rep.spatial_utilization:.1%}  latency {rep.seconds * 1e6:.4g} us  energy {rep.energy_pj / 1e6:.4g} uJ"
    )
    return "\n".join(out)


def _holds(einsum: Any, shapes: Any, arch: Any, weights: Any) -> dict[str, list[str]]:
    from mapping import build_problem

    p = build_problem(einsum, shapes, arch, weights)
    return {st.name: [t.name for t, h in zip(p.tensors, st.holds) if h] for st in p.storage}


@click.command(name="map")
@click.argument("workload")
@click.argument("arch")
@click.option("-p", "--param", "pairs", multiple=True, metavar="NAME=VALUE", help="Parameter of a built-in workload (repeatable).")
@click.option("--einsum", "einsums", multiple=True, metavar="NAME", help="Map only this Einsum (repeatable; default: all).")
@click.option("--objective", type=click.Choice(OBJECTIVES), default=Options.objective, show_default=True, help="What to minimize.")
@click.option("--solver", type=click.Choice(SOLVERS), default=Options.solver, show_default=True, help="ILP solver.")
@click.option("--time-limit", type=click.FloatRange(min=0.01), default=Options.time_limit, show_default=True,
              help="Seconds per ILP solve.")
@click.option("--fusion", type=click.Choice(FUSION_MODES), default=None,
              help="auto: the fusion search groups Einsums under shared loops where it helps (tiles of the "
                   "intermediates on chip) and prints the groups as a loop nest; none: every Einsum alone.  "
                   "[default: auto for a cascade of several Einsums; none with --einsum, --constraints or -o]")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the mappings to this YAML file (the loop nests; `accel evaluate --mapping` reads it).")
@click.option("--constraints", "constraints_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Mapspace constraints (YAML: spatial ranks per array axis, fixed loop orders, factors per level) "
                   "the mapper keeps (with --fusion none).")
@click.option("--verify", is_flag=True, default=False,
              help="Run the fusion plan tile by tile on the numpy executor and check every tensor against the "
                   "cascade run whole (small shapes: at most 16M tensor elements).")
@json_option
@report_errors
def command(workload: str, arch: str, pairs: tuple[str, ...], einsums: tuple[str, ...], objective: str, solver: str,
            time_limit: float, fusion: str | None, output: Path | None, constraints_path: Path | None,
            verify: bool, as_json: bool) -> None:
    """Map every Einsum of WORKLOAD (library name or YAML file) onto ARCH (built-in name or YAML file).

    Prints each Einsum's mapping as a loop nest with its cycles by cause,
    energy by component and action, accesses per level and tensor, and
    utilization, then the cascade's totals.  Exit status 2 for bad input, 3
    when no mapping exists (the best one found so far, if any, is printed first).
    """
    from accel import load_architecture
    from accel.pipeline import map_for
    from mapping import InfeasibleMappingError, read_constraints

    cascade = resolve(workload, parse_params(pairs))
    hw = load_architecture(arch)
    chosen = [cascade.einsum(n) for n in einsums] if einsums else list(cascade.einsums)
    if fusion is None:  # fuse a cascade unless one Einsum's mapping, constraints or a mappings file was asked for
        explicit = bool(einsums) or constraints_path is not None or output is not None
        fusion = "none" if explicit or len(cascade.einsums) == 1 else "auto"
    if fusion == "auto" and output is not None:
        raise click.BadParameter("-o writes the mappings of Einsums mapped alone; use --fusion none with it",
                                 param_hint="-o")
    weights = tuple(cascade.weights) or None
    try:
        options = Options(objective=objective, solver=solver, time_limit=time_limit, scheduler="none")
        constraints = read_constraints(constraints_path) if constraints_path is not None else None
        if constraints is not None and fusion == "auto":
            raise click.BadParameter("mapspace constraints apply to Einsums mapped alone; use --fusion none",
                                     param_hint="--constraints")
        out = map_for(cascade, hw, options, einsums=[e.name for e in chosen], fallback=False, constraints=constraints)
    except InfeasibleMappingError as exc:
        if exc.best is not None and not as_json:
            e = cascade.einsum(exc.best.mapping.einsum)
            click.echo("best feasible mapping found before giving up (random search):\n")
            click.echo(format_result(exc.best, _holds(e, cascade.shapes, hw, weights), e.iteration_space(cascade.shapes)))
        raise
    results, total = out.results, out.report
    if fusion == "auto":
        if einsums:
            raise click.BadParameter("--fusion auto maps the whole cascade; leave out --einsum", param_hint="--fusion")
        _print_fused(cascade, hw, options, out, as_json, verify)
        return
    if verify:
        raise click.BadParameter("--verify checks a fusion plan; use it with --fusion auto", param_hint="--verify")
    if output is not None:
        from mapping import write_mappings

        write_mappings(output, [r.mapping for r in results], f"accel map {workload} {arch}: {cascade.name!r} on {hw.name!r}, "
                                                            f"objective {objective}")
    if as_json:
        echo_json({"cascade": cascade.name, "arch": hw.name, "results": [r.to_dict() for r in results], "total": total.to_dict()})
        return
    for e, r in zip(chosen, results):
        click.echo(format_result(r, _holds(e, cascade.shapes, hw, weights), e.iteration_space(cascade.shapes)))
        click.echo("")
    if len(results) > 1:
        click.echo(
            f"cascade {cascade.name!r}: {total.total_cycles:,.0f} cycles ({total.seconds * 1e6:.4g} us), "
            f"{total.energy_pj / 1e6:.4g} uJ, utilization {total.utilization:.1%}"
        )
    if output is not None:
        click.echo(f"wrote {len(results)} mapping(s) to {output}")


def plan_text(fused: FusedCascade) -> str:
    """A fusion plan's groups as a loop nest: each Einsum on its unit, the tensors kept on chip and streamed."""
    from mapping import render_plan

    units = {}
    for g in fused.groups:
        for name, p in g.problems.items():
            units[name] = p.unit
        for name, m in g.mappings.items():
            units.setdefault(name, m.unit)
    return render_plan(tuple(g.facts for g in fused.groups), units)


def _print_fused(cascade: Any, hw: Any, options: Options, mapped: Any, as_json: bool, verify: bool = False) -> None:
    """The fusion search's plan (from the Einsums mapped alone), as a loop nest with each group's figures."""
    import dataclasses

    from accel.pipeline import fuse

    fused = fuse(cascade, hw, dataclasses.replace(options, fusion="auto"), mapped)
    alone = mapped.report
    total = fused.report.total
    check = None
    if verify:
        from mapping import verify_plan

        check = verify_plan(cascade, fused.plan)
    if as_json:
        doc = {"cascade": cascade.name, "arch": hw.name, "fusion": fused.to_dict(), "unfused": alone.to_dict(),
               "results": [r.to_dict() for r in mapped.results], "total": alone.to_dict()}
        if check is not None:
            doc["verify"] = {"tiles": check.tiles, "tensors": check.tensors, "equal": True,
                             "max_abs_error": check.max_abs_error, "max_rel_error": check.max_rel_error}
        echo_json(doc)
        return
    click.echo(plan_text(fused))
    if check is not None:
        click.echo(f"\nchecked on the numpy executor: {check.tiles:,} tiles in the plan's order, all {check.tensors} "
                   f"produced tensors equal to the cascade run whole (largest relative difference "
                   f"{check.max_rel_error:.2g})")
    click.echo("")
    rows = [[g.report.name, _g(g.report.total_cycles), _g(g.report.energy_pj), f"{g.report.utilization:.1%}",
             (g.pricing.bottleneck if g.pricing else "-")] for g in fused.groups]
    click.echo("\n".join(table(["group", "cycles", "energy pJ", "util", "bottleneck"], rows, right=(1, 2, 3))))
    click.echo("")
    for note in fused.notes:
        click.echo(f"note: {note}")
    click.echo(
        f"cascade {cascade.name!r} fused: {total.total_cycles:,.0f} cycles, {total.energy_pj / 1e6:.4g} uJ, "
        f"utilization {total.utilization:.1%}; every Einsum alone: {alone.total_cycles:,.0f} cycles, "
        f"{alone.energy_pj / 1e6:.4g} uJ"
    )
