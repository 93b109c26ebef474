"""`accel evaluate WORKLOAD ARCH --mapping FILE.yaml`: price mappings given as a file (no search)."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import echo_json, json_option, number as _g, report_errors, table
from .workload import parse_params, resolve


def _tbl(headers: list[str], rows: list[list[str]]) -> list[str]:
    return table(headers, rows, right=range(1, len(headers)))


def format_report(report, mapping, holds: dict[str, list[str]], sizes: dict[str, int]) -> str:
    """One Einsum's loop nest, cycles by cause, energy by component and action, and accesses."""
    from mapping import render_loop_nest

    out = [f"Einsum {mapping.einsum!r} on {report.arch!r} (mapping given, priced by sim.analytical)", "",
           render_loop_nest(mapping, holds), ""]
    padded = [f"{r} {sizes[r]} -> {q}" for r, q in zip(mapping.ranks, mapping.padded_sizes) if q > sizes[r]]
    if padded:
        out[-1:-1] = [f"padded (idle PEs and cycles counted): {', '.join(padded)}"]
    total = report.total_cycles
    out += _tbl(["cycles by cause", "cycles", "share"],
                [[k, _g(v), f"{v / total:.1%}" if total else "-"] for k, v in report.cycles_by_cause]
                + [["total", _g(total), "100.0%"]])
    out.append("")
    rows = [[f"{e.component}.{e.action}", _g(e.count), e.per, f"{e.pj_per_action:.4g}", _g(e.pj),
             f"{e.pj / report.energy_pj:.1%}" if report.energy_pj else "-"] for e in report.energy]
    out += _tbl(["energy", "count", "per", "pJ each", "pJ", "share"], rows + [["total", "", "", "", _g(report.energy_pj), "100.0%"]])
    out.append("")
    out += _tbl(["level", "tensor", "reads", "writes", "fills", "drains"],
                [[a.level, a.tensor, _g(a.reads), _g(a.writes), _g(a.fills), _g(a.drains)] for a in report.accesses])
    out.append("")
    out.append(f"MACs {report.macs:,}  utilization {report.utilization:.1%}  PEs used {report.spatial_utilization:.1%}  "
               f"latency {report.seconds * 1e6:.4g} us  energy {report.energy_pj / 1e6:.4g} uJ")
    return "\n".join(out)


@click.command(name="evaluate")
@click.argument("workload")
@click.argument("arch")
@click.option("--mapping", "mapping_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Mapping file (YAML loop nests, as `accel map -o` writes them).")
@click.option("-p", "--param", "pairs", multiple=True, metavar="NAME=VALUE", help="Parameter of a built-in workload (repeatable).")
@click.option("--einsum", "einsums", multiple=True, metavar="NAME",
              help="Price only this Einsum (repeatable; default: every Einsum of WORKLOAD, each needing a mapping).")
@json_option
@report_errors
def command(workload: str, arch: str, mapping_file: Path, pairs: tuple[str, ...], einsums: tuple[str, ...],
            as_json: bool) -> None:
    """Price the mappings of FILE (given with --mapping) for WORKLOAD on ARCH with the analytical model.

    No search: each Einsum runs exactly as its loop nest in the file says.
    Prints each Einsum's loop nest, cycles by cause, energy by component and
    action and accesses per level and tensor, then the cascade's totals.
    Exit status 2 for a malformed or illegal mapping (the message names the
    file and the place), or an Einsum without one.
    """
    from accel import load_architecture
    from mapping import MappingError, MappingFileError, build_problem, check_mapping, read_mappings
    from sim import combine
    from sim.analytical import cost_model, report_for

    cascade = resolve(workload, parse_params(pairs))
    hw = load_architecture(arch)
    chosen = [cascade.einsum(n) for n in einsums] if einsums else list(cascade.einsums)
    weights = tuple(cascade.weights) or None
    problems = {e.name: build_problem(e, cascade.shapes, hw, weights) for e in cascade.einsums}
    mappings = read_mappings(mapping_file, problems)
    missing = [e.name for e in chosen if e.name not in mappings]
    if missing:
        raise MappingFileError(f"{mapping_file}: no mapping for Einsum(s) {', '.join(map(repr, missing))} of "
                               f"{cascade.name!r} (map them with `accel map -o`, or price fewer with --einsum)")
    reports = []
    for e in chosen:
        m = mappings[e.name]
        try:
            check_mapping(problems[e.name], m)
        except MappingError as exc:  # well formed, but illegal on this architecture (capacity, fan-out, coverage)
            raise MappingFileError(f"{mapping_file}: the mapping of {e.name!r} is not legal on {hw.name!r}: {exc}") from None
        reports.append(report_for(cost_model(e, cascade.shapes, hw, weights), m))
    total = combine(reports, cascade.name) if len(reports) > 1 else reports[0]
    if as_json:
        echo_json({"cascade": cascade.name, "arch": hw.name, "mapping_file": str(mapping_file),
                   "results": [r.to_dict() for r in reports], "total": total.to_dict()})
        return
    for e, r in zip(chosen, reports):
        p = problems[e.name]
        holds = {st.name: [t.name for t, h in zip(p.tensors, st.holds) if h] for st in p.storage}
        click.echo(format_report(r, mappings[e.name], holds, e.iteration_space(cascade.shapes)))
        click.echo("")
    if len(reports) > 1:
        click.echo(f"cascade {cascade.name!r}: {total.total_cycles:,.0f} cycles ({total.seconds * 1e6:.4g} us), "
                   f"{total.energy_pj / 1e6:.4g} uJ, utilization {total.utilization:.1%}")
