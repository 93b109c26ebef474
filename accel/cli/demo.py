"""`accel demo`: the main job (what `make demo` runs).

A small design-space sweep of FP8 vs L-Mul vs INT8 PE arrays on the built-in
1-pass attention cascade (the spec below, also in
``examples/sweeps/fp8_lmul_int8.yaml``): 36 design points, each fused by the
fusion search (its tiles mapped by the ILP) and scored by the analytical model
on a local Dask cluster.  It writes the result store, a CSV table of every point, the Pareto
front as CSV, and the Pareto, energy-breakdown and roofline plots as PNG,
and prints the front and the best design of each arithmetic unit.
"""

from __future__ import annotations

from pathlib import Path

import click

from ._common import echo_json, json_option, report_errors
from .sweep import interruptible, pareto_table, progress_bar

#: The demo sweep (kept equal to examples/sweeps/fp8_lmul_int8.yaml by a test).
DEMO_SPEC = """\
name: fp8_lmul_int8
description: FP8 vs L-Mul vs INT8 PE arrays on 1-pass attention (M = P = 1024, E = F = 64)
base: fusemax_like
workloads:
  - {name: attention_1pass, params: {M: 1024, P: 1024}}
axes:
  unit:
    - {label: fp8, arith.kind: fp8_mac, arith.input_format: e4m3}
    - {label: lmul, arith.kind: lmul, arith.input_format: e4m3, arith.mantissa_bits: 3}
    - {label: int8, arith.kind: int8_mac}
  array:
    - {label: 16x16, pe_array.rows: 16, pe_array.cols: 16}
    - {label: 32x32, pe_array.rows: 32, pe_array.cols: 32}
    - {label: 64x64, pe_array.rows: 64, pe_array.cols: 64}
    - {label: 128x128, pe_array.rows: 128, pe_array.cols: 128}
  levels.global_buffer.capacity: [524288, 2097152, 8388608]
sampling: {method: grid}
mapping: {mapper: ilp, solver: highs, objective: edp, time_limit: 1.2, schedule: none, fusion: auto}
objectives: [latency, energy, area]
"""


def _best_per_unit(frame) -> list[dict]:
    ok = frame[frame["status"] == "ok"]
    out = []
    for unit, part in ok.groupby("unit", sort=False):
        row = part.loc[part["edp"].idxmin()]
        out.append({"unit": unit, "array": row["array"], "global_buffer": int(row["levels.global_buffer.capacity"]),
                    "latency_us": row["latency_s"] * 1e6, "energy_uj": row["energy_pj"] / 1e6,
                    "area_mm2": row["area_mm2"], "edp_pj_s": row["energy_pj"] * row["latency_s"]})
    return out


@click.command(name="demo")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False), default="results/demo", show_default=True,
              help="Folder for the store, tables and plots.")
@click.option("--workers", type=click.IntRange(min=0), default=2, show_default=True,
              help="Worker processes of the local Dask cluster; 0 runs in this process.")
@click.option("--scheduler", metavar="ADDRESS", default=None, help="Use an existing Dask scheduler instead.")
@click.option("--fresh", is_flag=True, help="Recompute every point (start a new store) instead of reusing stored ones.")
@json_option
@report_errors
def command(out_dir: str, workers: int, scheduler: str | None, fresh: bool, as_json: bool) -> None:
    """Sweep FP8 vs L-Mul vs INT8 PE arrays on 1-pass attention; write a Pareto plot and a table."""
    from accel.sweep import export, parse_spec, pareto_front, plot_energy_breakdown, plot_pareto, plot_roofline, results_frame, run_sweep

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    store = out / "demo.sqlite"
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(str(store) + suffix).unlink(missing_ok=True)
    spec = parse_spec(DEMO_SPEC, source="accel demo")
    with interruptible(store), progress_bar(not as_json, "FP8 vs L-Mul vs INT8") as progress:
        summary = run_sweep(spec, store, scheduler=scheduler, workers=workers, progress=progress)
    frame = results_frame(store)
    table = export(store, out / "results.csv")
    front = pareto_front(frame, spec.objectives)
    front.to_csv(out / "pareto.csv", index=False)
    plots = {
        "pareto": str(plot_pareto(frame, out / "pareto.png", colour="unit")),
        "energy": str(plot_energy_breakdown(frame, out / "energy.png")),
        "roofline": str(plot_roofline(frame, out / "roofline.png", colour="unit")),
    }
    records, text = pareto_table(frame, spec.objectives)
    best = _best_per_unit(frame)
    files = {"store": str(store), "table": str(table), "pareto_table": str(out / "pareto.csv"), **plots}
    if as_json:
        echo_json({"summary": summary.to_dict(), "pareto_front": records, "best_per_unit": best, "files": files})
        return
    click.echo(f"FP8 vs L-Mul vs INT8 on {spec.workloads[0].label}, base {spec.base.name}: "
               f"{summary.total} design points, {summary.evaluated} evaluated now, {summary.reused} reused "
               f"({summary.seconds:.1f} s; --fresh recomputes)")
    click.echo()
    click.echo("Pareto front (latency, energy, area):")
    click.echo(text)
    click.echo()
    click.echo("lowest energy-delay product per arithmetic unit:")
    for b in best:
        click.echo(f"  {b['unit']:<5} {b['array']:>8}, buffer {b['global_buffer'] // 1024} KiB: {b['latency_us']:.4g} us, "
                   f"{b['energy_uj']:.4g} uJ, {b['area_mm2']:.4g} mm^2")
    click.echo()
    for name, path in files.items():
        click.echo(f"{name:<13} {path}")
