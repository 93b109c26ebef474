"""Study 5 -- FP8 vs INT8 vs L-Mul accelerators: Pareto fronts of latency, energy and area on a transformer block.

Question (from the FP8 papers and L-Mul): at the accelerator level, where do
PE arrays of FP8 (E4M3) MACs, INT8 MACs and L-Mul units (E4M3 operands, 3-bit
mantissa, one integer add per product) land in latency, energy and area, next
to a BF16 baseline?  L-Mul's claim is that its arithmetic is far cheaper than
FP8's; the FP8-vs-INT8 papers argue FP8 costs little more than INT8.

Method.  One :mod:`accel.sweep` sweep (the project's sweep engine; nothing is
re-implemented here) over the FuseMax-like base architecture: the arithmetic
unit (``fp8``, ``int8``, ``lmul``, ``bf16``), the PE array (8x8 to 128x128)
and the global buffer (256 KiB to 16 MiB), on one BERT-base encoder block
(:func:`dataflow.library.transformer_block`, 128 tokens, 1-pass attention).
Each Einsum is mapped by the seeded random-search mapper scored by the
analytical model (:mod:`sim.analytical`), reports are summed; area is the
sweep's area model (MACs, register files, SRAM, vector lanes; Horowitz 45 nm
table with its documented scaling rules: INT8 MAC = 8-bit multiply + 32-bit
add, FP8 MAC = fitted FP8 multiply + FP32 add, L-Mul = 7-bit integer add +
FP32 add).  The Pareto front over (latency, energy, area) comes from
:func:`accel.sweep.pareto_front`.

Reduced version: a 64-token block of hidden size 256 (4 heads), three units,
two array sizes, one buffer, 200 samples per Einsum.

Findings (full run of 2026-12-02, 80 design points, 27 s).  Latency is
nearly the same for the three 8-bit units at a given design (same operand
widths; INT8 within 2 %, its cheaper MAC tilts the EDP-driven mapper);
energy and area differ mainly through the MAC.  INT8 arrays are the whole (latency, energy, area) front (8 of 80
points): at the same design INT8 uses 0.92x the energy and 0.62x the area of
FP8, L-Mul 0.975x and 0.98x (its FP32 accumulator costs nearly as much as an
FP8 MAC), BF16 1.53x the energy and 1.71x the latency (16-bit words).  The
MAC is 3.0 % to 11.4 % of the energy at the lowest-EDP designs: memory and data
movement dominate.  The base's folds stream (``fold_pipelining: true``):
without that, every latency is 1.3x to 2.8x longer and BF16 costs 1.60x the
energy and 1.75x the latency of FP8.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from accel.sweep import parse_spec, pareto_front, plot_pareto, results_frame, run_sweep

from ._common import StudyResult, check_run_args, figure, save_figure, write_table

__all__ = ["run", "sweep_spec"]

NAME = "accelerator_pareto"
_UNITS = {
    "fp8": "{label: fp8, arith.kind: fp8_mac, arith.input_format: e4m3}",
    "int8": "{label: int8, arith.kind: int8_mac}",
    "lmul": "{label: lmul, arith.kind: lmul, arith.input_format: e4m3, arith.mantissa_bits: 3}",
    "bf16": "{label: bf16, arith.kind: bf16_mac}",
}


def sweep_spec(reduced: bool, seed: int) -> str:
    """The sweep spec (YAML text) of the full or reduced study."""
    if reduced:
        units, sizes, buffers = ("fp8", "int8", "lmul"), (16, 32), (1 << 20,)
        workload = "{name: transformer_block, params: {P: 64, D: 256, H: 4, FF: 1024, variant: 1, M0: 16}}"
        samples = 200
    else:
        units, sizes, buffers = tuple(_UNITS), (8, 16, 32, 64, 128), (1 << 18, 1 << 20, 1 << 22, 1 << 24)
        workload = "{name: transformer_block, params: {P: 128, variant: 1, M0: 32}}"
        samples = 2000
    lines = [
        f"name: {NAME}{'_reduced' if reduced else ''}",
        "description: FP8 vs INT8 vs L-Mul PE arrays on a transformer encoder block",
        "base: fusemax_like",
        "workloads:",
        f"  - {workload}",
        "axes:",
        "  unit:",
        *(f"    - {_UNITS[u]}" for u in units),
        "  array:",
        *(f"    - {{label: {n}x{n}, pe_array.rows: {n}, pe_array.cols: {n}}}" for n in sizes),
        f"  levels.global_buffer.capacity: [{', '.join(str(b) for b in buffers)}]",
        "sampling: {method: grid}",
        f"mapping: {{mapper: search, samples: {samples}, seed: {seed}}}",
        "objectives: [latency, energy, area]",
    ]
    return "\n".join(lines) + "\n"


def _findings(table: pd.DataFrame) -> str:
    ok = table[table.status == "ok"]
    lines = [f"{len(ok)} of {len(table)} design points evaluated; {int(ok.on_front.sum())} on the (latency, energy, area) front"]
    for unit, part in ok.groupby("unit", sort=False):
        best = part.loc[part.edp.idxmin()]
        lines.append(f"{unit:<5} front points {int(part.on_front.sum()):>2}; lowest EDP at {best['array']}, "
                     f"{int(best['buffer_kib'])} KiB: {best.latency_s * 1e6:.4g} us, {best.energy_pj / 1e6:.4g} uJ, "
                     f"{best.area_mm2:.4g} mm^2; MAC share of energy {100 * best['energy.mac'] / best.energy_pj:.1f}%")
    keyed = ok.set_index(["array", "buffer_kib", "unit"])
    for other in ("lmul", "int8", "bf16"):
        if other not in set(ok.unit) or "fp8" not in set(ok.unit):
            continue
        a = keyed.xs(other, level="unit")
        b = keyed.xs("fp8", level="unit").reindex(a.index)
        lines.append(f"{other} / fp8 at the same design: energy x{np.exp(np.log(a.energy_pj / b.energy_pj).mean()):.3f}, "
                     f"area x{np.exp(np.log(a.area_mm2 / b.area_mm2).mean()):.3f}, "
                     f"latency x{np.exp(np.log(a.latency_s / b.latency_s).mean()):.3f} (geometric means)")
    return "\n".join(lines)


def _area_plot(table: pd.DataFrame, out: Path) -> Path:
    ok = table[table.status == "ok"]
    fig, axes = figure(ncols=2, width=4.6, height=3.6)
    for ax, ycol, ylabel in ((axes[0][0], "latency_s", "latency (s)"), (axes[0][1], "energy_pj", "energy (pJ)")):
        for unit, part in ok.groupby("unit", sort=False):
            pts = ax.scatter(part.area_mm2, part[ycol], s=14, alpha=0.6, label=unit)
            front = part.sort_values("area_mm2")
            front = front[front[ycol] <= front[ycol].cummin()]
            ax.step(front.area_mm2, front[ycol], where="post", color=pts.get_facecolor()[0][:3])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("area (mm^2, 45 nm)")
        ax.set_ylabel(ylabel)
    axes[0][0].legend(fontsize=8)
    axes[0][0].set_title("per-unit fronts vs area", fontsize=9)
    return save_figure(fig, out / "pareto_area.png")


def run(out_dir: str | Path, reduced: bool = False, seed: int = 0) -> StudyResult:
    """Run the accelerator Pareto study, writing ``table.csv``, ``pareto.png`` and ``pareto_area.png`` under ``out_dir``.

    The sweep's result store (``sweep.sqlite``) is kept there; a second run
    with the same settings reuses its points.

    Parameters
    ----------
    out_dir : str or Path
        Output folder (created).
    reduced : bool
        The small sweep (6 points on a small block).
    seed : int
        Seed of the mapping search.

    Raises
    ------
    TypeError, StudyError
        Bad arguments.
    """
    out = check_run_args(NAME, out_dir, reduced, seed)
    start = time.perf_counter()
    spec = parse_spec(sweep_spec(reduced, seed), source=NAME)
    store = out / "sweep.sqlite"
    run_sweep(spec, store, workers=0)
    frame = results_frame(store)
    front = pareto_front(frame, spec.objectives, by=None)
    frame = frame.assign(on_front=frame.key.isin(front.key), buffer_kib=frame["levels.global_buffer.capacity"] // 1024)
    keep = ["unit", "array", "buffer_kib", "status", "latency_s", "energy_pj", "area_mm2", "edp", "utilization",
            "dram_bytes", "energy.mac", "energy.rf", "energy.global_buffer", "energy.dram", "energy.noc", "energy.vector",
            "area.mac", "area.global_buffer", "on_front"]
    table = frame[[c for c in keep if c in frame.columns]]
    path = write_table(table, out / "table.csv")
    plots = (plot_pareto(frame, out / "pareto.png", colour="unit"), _area_plot(table, out))
    return StudyResult(NAME, table, path, plots, _findings(table), reduced, seed, time.perf_counter() - start,
                       extra_tables=(("store", store),))
