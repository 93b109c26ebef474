"""Study 3 -- FuseMax attention: 3-, 2- and 1-pass cascades on a FuseMax-like array and a FLAT-like baseline, 1K to 256K tokens.

Claim reproduced (Nayak et al., "FuseMax: Leveraging Extended Einsums to
Optimize Attention Accelerator Design", MICRO 2024): on attention, in an
iso-area comparison, FuseMax achieves an average 6.7x speedup over FLAT while
using 79 % of its energy, with nearly 100 % compute utilization and on-chip
buffer needs independent of the sequence length.

Method.  The three attention cascades of :mod:`dataflow.library` (3-pass,
2-pass, 1-pass with ``M0 = 256`` keys per chunk; ``M = P = N``, ``E = F =
64``, one head) run through the toolchain, :func:`accel.pipeline.run` (objective
latency, no COSMA schedule), on the built-in ``fusemax_like`` architecture
(256x256 BF16 PE array that streams its folds, 256-lane FP32 vector unit,
8 MiB global buffer, HBM), as three designs:

* ``flat``: FLAT-like -- the fusion search (``fusion='auto'``) with every
  element-wise Einsum bound to the vector unit (``fusion_units='vector'``);
* ``fusemax``: FuseMax-like -- the fusion search free to bind each element-wise
  Einsum to the 2-D array (tiles kept in the PEs, :func:`sim.in_place`) or the
  vector unit;
* ``unfused``: every Einsum alone (seeded random search, 2,000 samples), every
  tensor between Einsums through DRAM.

Both fused designs use the same hardware, so the comparison is iso-area by
construction. The closed-form pipelined model of :mod:`studies._attention_model`
is kept as an independent cross-check: its latency, energy, utilization and
buffer need sit beside the toolchain's in the ``model_*`` columns.
Per (N, cascade, design): 2-D array utilization, latency, energy, the fused
plan's buffer footprint, its shared loops and which element-wise Einsums went
to the array.  The headline pair is FuseMax-like on the 1-pass cascade vs
FLAT-like on the 3-pass cascade; the other pairs split the gain into its
binding part and its pass-count part.  The speedup average is the geometric
mean over ``N``.

Reduced version: ``N`` = 1K and 2K, 3-pass and 1-pass.

Findings (full run of 2026-12-02, 80 s).  FuseMax-like on the 1-pass cascade
against FLAT-like on the 3-pass cascade: 22.0x faster (geometric mean over 1K
to 256K; 12.8x to 25.9x) at 34 % of the energy.  The FuseMax-like plan fuses
all ten Einsums, keeps the scores in the PEs and runs the array at 94-96 %
from 8K on (52.7 % at 1K, where fixed costs are a third of the run) with a
3.2-3.4 MiB footprint at every length; the FLAT-like design is bound by its
softmax unit and by the array's score I/O (3.6-4.4 % utilization) and from 4K
on sends its score rows through DRAM.  The paper reports 6.7x and 79 %; see
``studies/README.md`` for why ours differ.  The side model's latency is 0.90x
the toolchain's for FuseMax-like and 0.46x for FLAT-like (it assumes an ideal
array).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pandas as pd

from accel import load_architecture
from dataflow.library import attention
from accel.pipeline import Options, run as run_pipeline

from ._attention_model import attention_cost
from ._common import StudyResult, check_run_args, figure, save_figure, write_table

__all__ = ["run", "LENGTHS"]

NAME = "fusemax_attention"
#: Sequence lengths of the full study (1K to 256K).
LENGTHS: tuple[int, ...] = tuple(1024 << i for i in range(9))
_REDUCED = (1024, 2048)
_E = 64
_M0 = 256


def _arch():
    return load_architecture("fusemax_like")


#: The three designs per cascade, all through :func:`accel.pipeline.run` on the same architecture.
DESIGNS: tuple[str, ...] = ("unfused", "flat", "fusemax")


def _options(design: str, seed: int) -> Options:
    if design == "unfused":  # every Einsum alone, every tensor between Einsums through DRAM
        return Options(mapper="search", objective="latency", samples=2000, seed=seed, scheduler="none")
    # the fusion search, latency first; FLAT-like binds the softmax's element-wise work to the vector unit
    return Options(objective="latency", seed=seed, scheduler="none", fusion="auto",
                   fusion_units="vector" if design == "flat" else "auto")


def _toolchain(cascade, arch, design: str, seed: int) -> dict:
    """One design of one cascade through the toolchain: the fusion search's plan, priced by sim.analytical."""
    evaluation = run_pipeline(cascade, arch, _options(design, seed))
    r = evaluation.report.total
    macs = cascade.macs()
    groups = [g for g in evaluation.fusion.groups if g.facts.group.fused] if evaluation.fusion else []
    units = {n: p.unit for g in groups for n, p in g.problems.items()}
    elementwise = [e.name for e in cascade.einsums if not e.macs(cascade.shapes)]
    biggest = max(groups, key=lambda g: len(g.facts.group.einsums), default=None)
    return {
        "utilization": macs / (arch.num_pes * r.total_cycles), "latency_cycles": r.total_cycles,
        "latency_s": r.seconds, "energy_pj": r.energy_pj,
        "buffer_need_bytes": float(max((g.facts.footprint_bytes for g in groups), default=float("nan"))),
        "fits": True, "fused_groups": len(groups),
        "fused_einsums": sum(len(g.facts.group.einsums) for g in groups),
        "tiles": "" if biggest is None else " ".join(f"{k}/{t}" for k, t in zip(biggest.facts.group.ranks, biggest.facts.group.tiles)),
        "in_place": "" if biggest is None or biggest.pricing is None else ",".join(sorted(biggest.pricing.in_place)),
        "dram_cycles": r.cycles("bandwidth_stall.dram"), "macs": macs,
        "dram_bytes": sum(e.count for e in r.energy if e.component == "dram"),
        **{f"energy.{k}": v for k, v in r.energy_by_component().items() if k in ("mac", "vector", "dram")},
        "on_array": ",".join(n for n in elementwise if units.get(n) == "pe_array"),
    }


def _rows(lengths: tuple[int, ...], seed: int, variants: tuple[int, ...] = (3, 2, 1)) -> list[dict]:
    arch = _arch()
    rows = []
    for n in lengths:
        for variant in variants:
            cascade = attention(variant, M=n, P=n, E=_E, F=_E, M0=_M0)
            for design in DESIGNS:
                row = {"seq_len": n, "cascade": f"{variant}-pass", "dataflow": design, "passes": variant,
                       **_toolchain(cascade, arch, design, seed)}
                if design != "unfused":  # the closed-form side model of the same design, as a cross-check
                    c = attention_cost(cascade, arch, "flat" if design == "flat" else "fusemax")
                    row.update({"model_latency_cycles": c.cycles, "model_energy_pj": c.energy_pj,
                                "model_utilization": c.utilization, "model_buffer_bytes": c.buffer_need_bytes})
                rows.append(row)
    return rows


def _pair(table: pd.DataFrame, fast: tuple[str, str], slow: tuple[str, str]) -> pd.DataFrame:
    a = table[(table.cascade == fast[0]) & (table.dataflow == fast[1])].set_index("seq_len")
    b = table[(table.cascade == slow[0]) & (table.dataflow == slow[1])].set_index("seq_len")
    return pd.DataFrame({"speedup": b.latency_cycles / a.latency_cycles, "energy_ratio": a.energy_pj / b.energy_pj})


def _gmean(values) -> float:
    values = list(values)
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _findings(table: pd.DataFrame) -> str:
    lines = []
    pairs = (
        ("FuseMax-like 1-pass vs FLAT-like 3-pass (headline)", ("1-pass", "fusemax"), ("3-pass", "flat")),
        ("binding only: FuseMax-like vs FLAT-like, both 3-pass", ("3-pass", "fusemax"), ("3-pass", "flat")),
        ("passes only: FLAT-like 1-pass vs 3-pass", ("1-pass", "flat"), ("3-pass", "flat")),
    )
    for label, fast, slow in pairs:
        p = _pair(table, fast, slow)
        lines.append(f"{label}: speedup {_gmean(p.speedup):.2f}x (geometric mean; {p.speedup.min():.2f}x to {p.speedup.max():.2f}x), "
                     f"energy {100 * _gmean(p.energy_ratio):.0f}% ({100 * p.energy_ratio.min():.0f}% to {100 * p.energy_ratio.max():.0f}%)")
    p = _pair(table, ("3-pass", "flat"), ("3-pass", "unfused"))
    lines.append(f"unfused per-Einsum toolchain (3-pass) vs FLAT-like 3-pass: FLAT-like {_gmean(p.speedup):.2f}x faster "
                 f"({p.speedup.min():.2f}x to {p.speedup.max():.2f}x), energy {100 * _gmean(p.energy_ratio):.0f}%")
    for cascade, dataflow in (("3-pass", "flat"), ("1-pass", "fusemax")):
        part = table[(table.cascade == cascade) & (table.dataflow == dataflow)]
        lines.append(f"{dataflow} {cascade}: utilization {100 * part.utilization.min():.1f}% to {100 * part.utilization.max():.1f}%, "
                     f"fused buffer footprint {part.buffer_need_bytes.min() / 2**20:.2f} to "
                     f"{part.buffer_need_bytes.max() / 2**20:.2f} MiB; side model / toolchain latency "
                     f"{_gmean(part.model_latency_cycles / part.latency_cycles):.2f}x (geometric mean)")
    return "\n".join(lines)


def _plot(table: pd.DataFrame, out: Path) -> Path:
    fig, axes = figure(ncols=2, nrows=2, width=4.4, height=3.2)
    panels = ((axes[0][0], "utilization", "2-D array utilization", False),
              (axes[0][1], "latency_s", "latency (s)", True),
              (axes[1][0], "energy_pj", "energy (pJ)", True),
              (axes[1][1], "buffer_need_bytes", "buffer needed (bytes)", True))
    styles = {"unfused": ":", "flat": "--", "fusemax": "-"}
    markers = {"3-pass": "s", "2-pass": "^", "1-pass": "o"}
    for ax, col, label, log in panels:
        for (cascade, dataflow), part in table.groupby(["cascade", "dataflow"], sort=False):
            ax.plot(part.seq_len, part[col], styles[dataflow], marker=markers[cascade], ms=4, label=f"{dataflow} {cascade}")
        ax.set_xscale("log", base=2)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("sequence length N")
        ax.set_ylabel(label)
    axes[1][1].axhline(_arch().levels[-1].capacity, color="k", lw=0.8, ls=":", label="global buffer")
    axes[0][0].legend(fontsize=7)
    return save_figure(fig, out / "fusemax_attention.png")


def run(out_dir: str | Path, reduced: bool = False, seed: int = 0) -> StudyResult:
    """Run the FuseMax vs FLAT attention study, writing ``table.csv`` and ``fusemax_attention.png`` under ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Output folder (created).
    reduced : bool
        Sequence lengths 1K and 2K only, 3-pass and 1-pass cascades only.
    seed : int
        Seed of the mapping search of the unfused reference rows.

    Raises
    ------
    TypeError, StudyError
        Bad arguments.
    """
    out = check_run_args(NAME, out_dir, reduced, seed)
    start = time.perf_counter()
    table = pd.DataFrame(_rows(_REDUCED, seed, (3, 1)) if reduced else _rows(LENGTHS, seed))
    path = write_table(table, out / "table.csv")
    plot = _plot(table, out)
    return StudyResult(NAME, table, path, (plot,), _findings(table), reduced, seed, time.perf_counter() - start)
